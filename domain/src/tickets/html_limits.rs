//! Bounds on the shape of HTML a request may send, checked before anything builds a tree of it.
//!
//! An HTML tree builder does work per tag that grows with the number of elements open around
//! it (the WHATWG algorithm's scope checks walk the stack of open elements), so `<div>` nested
//! 100,000 times costs time in the square of its size. [`check`] runs html5ever's tokenizer
//! (linear) and follows how the tree builder would nest the tags closely enough to bound its
//! stack of open elements and its list of active formatting elements; HTML beyond
//! [`MAX_HTML_DEPTH`] is refused with a 422 before it reaches the sanitiser or the database.
//! The simulation never counts fewer open elements than the tree builder keeps (it closes an
//! element only where the WHATWG rules close it too), so the bound holds for hostile input.

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

use crate::{Error, Result};

/// Deepest element nesting accepted (real e-mail, tables in tables, stays far below).
pub const MAX_HTML_DEPTH: usize = 128;
/// Most formatting elements (`b`, `font`, `a`, …) left open at once; the tree builder
/// re-opens these in every following block.
pub const MAX_OPEN_FORMATTING: usize = 128;

/// Elements without content (never on the stack).
fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "basefont"
            | "bgsound"
            | "br"
            | "col"
            | "embed"
            | "frame"
            | "hr"
            | "img"
            | "input"
            | "keygen"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
    )
}

/// WHATWG "formatting" elements (the list of active formatting elements).
fn is_formatting(name: &str) -> bool {
    matches!(
        name,
        "a" | "b"
            | "big"
            | "code"
            | "em"
            | "font"
            | "i"
            | "nobr"
            | "s"
            | "small"
            | "strike"
            | "strong"
            | "tt"
            | "u"
    )
}

/// Elements that stop the search for a matching end tag of an ordinary element (WHATWG
/// "special" category, the ones that can appear in a message body).
fn is_special(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "applet"
            | "article"
            | "aside"
            | "blockquote"
            | "body"
            | "button"
            | "caption"
            | "center"
            | "colgroup"
            | "dd"
            | "details"
            | "dir"
            | "div"
            | "dl"
            | "dt"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "header"
            | "hgroup"
            | "html"
            | "iframe"
            | "li"
            | "listing"
            | "main"
            | "marquee"
            | "menu"
            | "nav"
            | "object"
            | "ol"
            | "p"
            | "pre"
            | "section"
            | "select"
            | "summary"
            | "table"
            | "tbody"
            | "td"
            | "template"
            | "textarea"
            | "tfoot"
            | "th"
            | "thead"
            | "tr"
            | "ul"
            | "xmp"
    )
}

/// Elements that end the scope in which a special element's end tag finds its match.
fn is_scope_boundary(name: &str) -> bool {
    matches!(
        name,
        "applet" | "caption" | "html" | "table" | "td" | "th" | "marquee" | "object" | "template"
    )
}

/// Elements a start tag of the same name closes when it is the current one (`<p>a<p>b`).
fn closes_itself(name: &str) -> bool {
    matches!(
        name,
        "p" | "li" | "dt" | "dd" | "option" | "tr" | "td" | "th"
    )
}

#[derive(Default)]
struct Nesting {
    open: Vec<String>,
    /// Formatting elements opened and not yet closed by an end tag of their name, per name
    /// (the tree builder keeps them in its list of active formatting elements even when an
    /// enclosing block closes).
    formatting_by_name: std::collections::HashMap<String, usize>,
    formatting: usize,
    /// Formatting elements among `open` (the others are re-opened by the next content).
    formatting_on_stack: usize,
    /// Formatting elements the tree builder re-opens in all ("reconstructs").
    reconstructed: usize,
    too_deep: bool,
}

/// Re-opened formatting elements accepted in one body: `<b>`s left open and closed by a
/// block are re-opened in every later block, which multiplies the tree's size.
pub const MAX_RECONSTRUCTED: usize = 100_000;
/// Stands on the simulated stack for a formatting element the tree builder re-opened.
const REOPENED: &str = "~formatting";

impl Nesting {
    /// Content follows: the tree builder re-opens the active formatting elements that are no
    /// longer open, inside the current element.
    fn reconstruct(&mut self) {
        let missing = self.formatting.saturating_sub(self.formatting_on_stack);
        if missing == 0 {
            return;
        }
        self.reconstructed += missing;
        for _ in 0..missing.min(MAX_HTML_DEPTH + 1) {
            self.open.push(REOPENED.to_string());
        }
        self.formatting_on_stack += missing;
        if self.open.len() > MAX_HTML_DEPTH || self.reconstructed > MAX_RECONSTRUCTED {
            self.too_deep = true;
        }
    }

    /// Closes the elements from `i` on.
    fn truncate(&mut self, i: usize) {
        let closed = self.open[i..]
            .iter()
            .filter(|name| *name == REOPENED || is_formatting(name))
            .count();
        self.formatting_on_stack = self.formatting_on_stack.saturating_sub(closed);
        self.open.truncate(i);
    }
}

struct Sink(RefCell<Nesting>);

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let tag = match token {
            Token::TagToken(tag) => tag,
            Token::CharacterTokens(text) => {
                if !text.trim().is_empty() {
                    self.0.borrow_mut().reconstruct();
                }
                return TokenSinkResult::Continue;
            }
            _ => return TokenSinkResult::Continue,
        };
        let name: &str = &tag.name;
        let mut n = self.0.borrow_mut();
        match tag.kind {
            TagKind::StartTag => {
                if !closes_itself(name) && !is_special(name) {
                    n.reconstruct();
                }
                if is_void(name) {
                    return TokenSinkResult::Continue;
                }
                if closes_itself(name) && n.open.last().is_some_and(|top| top == name) {
                    let last = n.open.len() - 1;
                    n.truncate(last);
                }
                n.open.push(name.to_string());
                if is_formatting(name) {
                    *n.formatting_by_name.entry(name.to_string()).or_default() += 1;
                    n.formatting += 1;
                    n.formatting_on_stack += 1;
                }
                if n.open.len() > MAX_HTML_DEPTH || n.formatting > MAX_OPEN_FORMATTING {
                    n.too_deep = true;
                }
                // the tree builder switches the tokenizer to raw text inside these
                match name {
                    "script" => return TokenSinkResult::RawData(RawKind::ScriptData),
                    "style" | "xmp" | "iframe" | "noembed" | "noframes" => {
                        return TokenSinkResult::RawData(RawKind::Rawtext);
                    }
                    "textarea" | "title" => return TokenSinkResult::RawData(RawKind::Rcdata),
                    "plaintext" => return TokenSinkResult::Plaintext,
                    _ => {}
                }
            }
            TagKind::EndTag => {
                // an end tag closes an open formatting element of its own name, if any (a stray
                // `</i>` closes nothing)
                if is_formatting(name)
                    && let Some(count) = n.formatting_by_name.get_mut(name)
                    && *count > 0
                {
                    *count -= 1;
                    n.formatting -= 1;
                }
                // the stack is at most MAX_HTML_DEPTH + 1 long: the search is bounded
                let special = is_special(name);
                let mut found = None;
                for (i, open) in n.open.iter().enumerate().rev() {
                    if open == name {
                        found = Some(i);
                        break;
                    }
                    let stops = if special {
                        is_scope_boundary(open)
                    } else {
                        is_special(open)
                    };
                    if stops {
                        break;
                    }
                }
                if let Some(i) = found {
                    n.truncate(i);
                }
            }
        }
        TokenSinkResult::Continue
    }
}

/// Most attributes one tag may carry: the tokenizer compares each new attribute with the
/// tag's earlier ones (duplicates are dropped), which is quadratic in their number.
pub const MAX_ATTRIBUTES_PER_TAG: usize = 256;

/// Counts, without any tree or tokenizer, an upper bound of the attributes of each tag: every
/// run of non-space characters inside `<name …>` counts as one, a quoted value (opened right
/// after `=`) hides its `>` and spaces. Linear; never counts fewer than the tokenizer finds.
fn most_attributes_in_a_tag(html: &str) -> usize {
    let bytes = html.as_bytes();
    let (mut most, mut i) = (0, 0);
    while i < bytes.len() {
        if bytes[i] != b'<' || !bytes.get(i + 1).is_some_and(u8::is_ascii_alphabetic) {
            i += 1;
            continue;
        }
        i += 1;
        let (mut count, mut in_word, mut after_equals) = (0usize, false, false);
        while i < bytes.len() && bytes[i] != b'>' {
            let b = bytes[i];
            if after_equals && (b == b'"' || b == b'\'') {
                // a quoted value: skip to its end
                i += 1;
                while i < bytes.len() && bytes[i] != b {
                    i += 1;
                }
                after_equals = false;
                in_word = true;
            } else if b.is_ascii_whitespace() || b == b'/' {
                in_word = false;
            } else {
                if !in_word {
                    count += 1;
                }
                in_word = true;
                after_equals = b == b'=' || (after_equals && b.is_ascii_whitespace());
            }
            i += 1;
        }
        most = most.max(count);
    }
    most
}

/// Bound of the work html5ever's serializer does on the text of a body (see
/// [`escaping_cost`]): about 0.1 s of scanning.
pub const MAX_ESCAPING_COST: u64 = 400_000_000;

/// The serializer (html5ever 0.40, `write_escaped`) looks for the next `<` or `>` in the rest
/// of a text before it looks for the next `&` or U+00A0: for each such character it scans to
/// the end of the run of text without `<`/`>`, which is quadratic in long runs full of
/// `&amp;` or `&nbsp;`. This is an upper bound of the bytes it scans: for each run of the
/// input between `<` and `>` characters, the `&`s and `0xC2` bytes (U+0080–U+00BF) in it
/// times its length.
fn escaping_cost(html: &str) -> u64 {
    html.as_bytes()
        .split(|b| *b == b'<' || *b == b'>')
        .map(|run| {
            let escapes = run.iter().filter(|b| **b == b'&' || **b == 0xC2).count() as u64;
            escapes * run.len() as u64
        })
        .sum()
}

/// Refuses HTML nested deeper than [`MAX_HTML_DEPTH`] elements, with more than
/// [`MAX_OPEN_FORMATTING`] formatting elements open at once, or with a tag of more than
/// [`MAX_ATTRIBUTES_PER_TAG`] attributes, or whose text would cost the serializer more than
/// [`MAX_ESCAPING_COST`] (422, naming `field`). Linear in the input's length.
pub fn check(field: &str, html: &str) -> Result<()> {
    if escaping_cost(html) > MAX_ESCAPING_COST {
        return Err(Error::unprocessable(format!(
            "The HTML of '{field}' has too many character references (such as &amp;amp; or &amp;nbsp;) in one run of text."
        )));
    }
    if !html.contains('<') {
        return Ok(());
    }
    if most_attributes_in_a_tag(html) > MAX_ATTRIBUTES_PER_TAG {
        return Err(Error::unprocessable(format!(
            "The HTML of '{field}' has a tag with more than {MAX_ATTRIBUTES_PER_TAG} attributes."
        )));
    }
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let tokenizer = Tokenizer::new(
        Sink(RefCell::new(Nesting::default())),
        TokenizerOpts::default(),
    );
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    if tokenizer.sink.0.borrow().too_deep {
        return Err(Error::unprocessable(format!(
            "The HTML of '{field}' is nested more than {MAX_HTML_DEPTH} elements deep (or re-opens too many unclosed formatting elements)."
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(open: &str, close: &str, n: usize) -> String {
        format!("{}x{}", open.repeat(n), close.repeat(n))
    }

    #[test]
    fn deep_nesting_is_refused_and_ordinary_mail_passes() {
        assert!(check("body", &nested("<div>", "</div>", 100_000)).is_err());
        assert!(check("body", &"<div>".repeat(MAX_HTML_DEPTH + 1)).is_err());
        assert!(check("body", &nested("<b>", "", 1_000)).is_err());
        assert!(check("body", &nested("<span><div>", "</span></div>", 1_000)).is_err());
        // sibling paragraphs and list items without end tags do not nest
        assert!(check("body", &"<p>para".repeat(10_000)).is_ok());
        assert!(check("body", &format!("<ul>{}</ul>", "<li>item".repeat(10_000))).is_ok());
        assert!(check("body", &nested("<div>", "</div>", MAX_HTML_DEPTH)).is_ok());
        assert!(check("body", &"<div>a</div>".repeat(10_000)).is_ok());
        assert!(check("body", "<style>p { } <div><div><div></style><p>x</p>").is_ok());
        assert!(check("body", "plain text, no markup").is_ok());
        // self-closing syntax does not close an HTML element
        assert!(check("body", &"<div/>".repeat(1_000)).is_err());
    }

    #[test]
    fn stray_end_tags_do_not_hide_open_formatting_elements() {
        // `</i>` closes no `<b>`: the tree builder still re-opens every `b` in later blocks
        let mut html = String::new();
        for r in 0..100 {
            html.push_str("<p>");
            for k in 0..100 {
                html.push_str(&format!("<b title=\"{r}-{k}\">"));
            }
            html.push_str("</p>");
            html.push_str(&"</i>".repeat(100));
        }
        assert!(check("body", &html).is_err());
        assert!(check("body", &"<p><b>x</b> and <i>y</i></p>".repeat(1_000)).is_ok());
    }

    #[test]
    fn runs_of_text_full_of_character_references_are_refused() {
        assert!(check("body", &"&amp;".repeat(250_000)).is_err());
        assert!(check("body", &"&bogus;".repeat(150_000)).is_err());
        assert!(check("body", &"\u{a0}x".repeat(100_000)).is_err());
        // the same references spread over paragraphs, and ordinary mail, pass
        assert!(
            check(
                "body",
                &"<p>Tom &amp; Jerry&nbsp;&nbsp;say hi</p>".repeat(20_000)
            )
            .is_ok()
        );
        assert!(check("body", &format!("<p>{}</p>", "a&nbsp;b ".repeat(2_000))).is_ok());
    }

    #[test]
    fn formatting_left_open_across_many_blocks_is_refused() {
        let mut html = String::from("<p>");
        for k in 0..120 {
            html.push_str(&format!("<b title=\"{k}\">"));
        }
        html.push_str("</p>");
        html.push_str(&"<p>x</p>".repeat(5_000));
        assert!(check("body", &html).is_err());
        // a few unclosed <font>s across a long mail are fine
        let outlook = format!(
            "<font face=\"Arial\"><font size=\"2\">{}",
            "<p>line</p>".repeat(10_000)
        );
        assert!(check("body", &outlook).is_ok());
    }

    #[test]
    fn tags_with_too_many_attributes_are_refused() {
        let many: String = (0..100_000).map(|i| format!(" a{i}=\"v\"")).collect();
        assert!(check("body", &format!("<p{many}>x</p>")).is_err());
        // a `>` or spaces inside a quoted value do not end the count early
        let hidden: String = (0..1_000).map(|i| format!(" a{i}=\"> x y\"")).collect();
        assert!(check("body", &format!("<p{hidden}>x</p>")).is_err());
        assert!(
            check(
                "body",
                r#"<a href="https://x.test/?a=b" title="a > b" target="_blank">x</a>"#
            )
            .is_ok()
        );
        // the tag name counts too: an upper bound
        assert_eq!(
            most_attributes_in_a_tag(r#"<img src="x" alt='a b' width=3>"#),
            4
        );
    }

    #[test]
    fn an_end_tag_behind_a_block_does_not_close_an_inline_element() {
        // `</span>` is ignored by the tree builder when a `div` is open inside the span
        let html = "<span><div></span>".repeat(200);
        assert!(check("body", &html).is_err());
    }
}
