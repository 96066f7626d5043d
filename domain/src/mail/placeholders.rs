//! Zammad's text placeholders (`#{ticket.number}`, `#{user.firstname}`, …) in signatures and
//! acknowledgements: one left-to-right pass (linear, nothing replaced twice); an unknown or
//! empty value becomes `-`, as Zammad shows it.

/// Replaces every `#{name}` in `template` by its value in `values`.
pub fn render(template: &str, values: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("#{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) if end <= 100 => {
                let name = after[..end].trim();
                let value = values
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, v)| v.as_str())
                    .filter(|v| !v.is_empty())
                    .unwrap_or("-");
                out.push_str(value);
                rest = &after[end + 1..];
            }
            _ => {
                out.push_str("#{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_replaced_once_and_unknown_ones_show_a_dash() {
        let values = [
            ("ticket.number", "31001".to_string()),
            ("user.firstname", "#{ticket.number}".to_string()),
        ];
        assert_eq!(
            render(
                "Ticket #{ticket.number} by #{user.firstname}, #{nope} #{",
                &values
            ),
            "Ticket 31001 by #{ticket.number}, - #{"
        );
    }
}
