//! HTML as text, and text as HTML: the one escaper and the one HTML-to-text reader (html5ever,
//! so entities and odd markup are read as a browser would) used by search indexing, DeskHero's
//! previews and the composer's document rendering; and the attribute reader that finds an
//! article's mentions.

use html5ever::tendril::TendrilSink;
use markup5ever_rcdom::{Handle, NodeData, RcDom};

/// Escapes text for HTML element content and double- or single-quoted attribute values
/// (`&`, `<`, `>`, `"`, `'`).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Elements that start a new line of text.
const BLOCKS: [&str; 22] = [
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "table",
    "blockquote",
    "pre",
    "hr",
    "figure",
    "figcaption",
    "footer",
    "td",
    "th",
];

/// The text of HTML, one line per block. `newest_only` leaves out quoted history:
/// `<blockquote type="cite">`, lines quoted with `>`, and everything from an
/// "-----Original Message-----" or "On … wrote:" line on. Walks the tree with an explicit
/// stack: any nesting depth is read without recursion, in time linear in the tree's size.
pub fn html_to_text(html: &str, newest_only: bool) -> String {
    let dom = html5ever::parse_document(RcDom::default(), Default::default()).one(html);
    let mut text = String::with_capacity(html.len());
    collect_text(&dom.document, newest_only, &mut text);
    let mut lines = Vec::new();
    for line in text.lines() {
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if newest_only {
            let lower = line.to_ascii_lowercase();
            if lower.starts_with("-----original message-----")
                || (lower.starts_with("on ") && lower.ends_with("wrote:"))
            {
                break;
            }
            if line.starts_with('>') {
                continue;
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
    }
    lines.join("\n")
}

/// Text nodes in document order, with a line break around each block element.
fn collect_text(root: &Handle, newest_only: bool, out: &mut String) {
    enum Step {
        Enter(Handle),
        /// After a block's children: its closing line break.
        Leave,
    }
    let mut stack = vec![Step::Enter(root.clone())];
    while let Some(step) = stack.pop() {
        let node = match step {
            Step::Leave => {
                out.push('\n');
                continue;
            }
            Step::Enter(node) => node,
        };
        let mut block = false;
        match &node.data {
            NodeData::Text { contents } => out.push_str(&contents.borrow()),
            NodeData::Element { name, attrs, .. } => {
                let tag = name.local.as_ref();
                if matches!(tag, "script" | "style" | "template" | "head") {
                    continue;
                }
                let quoted = tag == "blockquote"
                    && attrs
                        .borrow()
                        .iter()
                        .any(|a| &*a.name.local == "type" && a.value.eq_ignore_ascii_case("cite"));
                if newest_only && quoted {
                    continue;
                }
                block = BLOCKS.contains(&tag);
            }
            _ => {}
        }
        if block {
            out.push('\n');
            stack.push(Step::Leave);
        }
        for child in node.children.borrow().iter().rev() {
            stack.push(Step::Enter(child.clone()));
        }
    }
}

/// The values of `attribute` on every `element` of the HTML, in document order, read as a
/// browser would (entities decoded, any nesting depth, without recursion), e.g. the
/// `data-mention-user-id` of the links of an article's body.
pub fn attribute_values(html: &str, element: &str, attribute: &str) -> Vec<String> {
    let dom = html5ever::parse_document(RcDom::default(), Default::default()).one(html);
    let mut found = Vec::new();
    let mut stack = vec![dom.document.clone()];
    while let Some(node) = stack.pop() {
        if let NodeData::Element { name, attrs, .. } = &node.data
            && &*name.local == element
            && let Some(value) = attrs.borrow().iter().find(|a| &*a.name.local == attribute)
        {
            found.push(value.value.to_string());
        }
        for child in node.children.borrow().iter().rev() {
            stack.push(child.clone());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_values_are_read_in_document_order_at_any_depth() {
        let html = format!(
            "<p><a data-mention-user-id=\"3\" href=\"/users/3\">A</a> <b><a href=\"x\">no</a></b>{}<a data-mention-user-id=\"&#55;\">B</a>{}</p><span data-mention-user-id=\"9\">not a link</span>",
            "<div>".repeat(2_000),
            "</div>".repeat(2_000)
        );
        assert_eq!(
            attribute_values(&html, "a", "data-mention-user-id"),
            vec!["3".to_string(), "7".to_string()]
        );
        assert!(attribute_values("plain text", "a", "href").is_empty());
    }

    #[test]
    fn text_of_html_decodes_once_and_keeps_lines() {
        assert_eq!(
            html_to_text("<p>a &amp;lt; b</p><p>c<br>d</p>", false),
            "a &lt; b\nc\nd"
        );
        assert_eq!(
            html_to_text("<p>new</p><blockquote type=\"cite\">old</blockquote>", true),
            "new"
        );
        let deep = format!("{}deep{}", "<div>".repeat(3_000), "</div>".repeat(3_000));
        assert_eq!(html_to_text(&deep, false), "deep");
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
