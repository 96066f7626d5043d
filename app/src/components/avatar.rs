//! A person's avatar: a round badge with their initials in a colour of their own (the ticket
//! sidebar's customer, the user page).

use leptos::prelude::*;

/// The initials of a name (at most two letters), or of an address's local part.
pub fn initials(name: &str) -> String {
    let name = name.trim();
    let name = name.split('@').next().unwrap_or(name);
    let words: Vec<&str> = name
        .split(|c: char| c.is_whitespace() || c == '.' || c == '_' || c == '-')
        .filter(|w| w.chars().next().is_some_and(char::is_alphanumeric))
        .collect();
    let letters: String = match words.as_slice() {
        [] => "?".into(),
        [one] => one.chars().take(1).collect(),
        [first, .., last] => first.chars().take(1).chain(last.chars().take(1)).collect(),
    };
    letters.to_uppercase()
}

/// A stable hue (0–359) for a name, so one person always has the same colour.
fn hue(name: &str) -> u32 {
    name.bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
        % 360
}

/// A round avatar with the person's initials (decorative: the name is written beside it).
#[component]
pub fn Avatar(#[prop(into)] name: String) -> impl IntoView {
    let style = format!("--avatar-hue: {}", hue(&name));
    view! { <span class="avatar" aria-hidden="true" style=style>{initials(&name)}</span> }
}

#[cfg(test)]
mod tests {
    use super::initials;

    #[test]
    fn initials_of_names_and_addresses() {
        assert_eq!(initials("Nicole Braun"), "NB");
        assert_eq!(initials("nicole@customer.test"), "N");
        assert_eq!(initials("anna.agent"), "AA");
        assert_eq!(initials(""), "?");
    }
}
