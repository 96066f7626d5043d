//! The draft body as the composer's schema sees it (Tiptap 3 / ProseMirror node and mark names,
//! docs/collab-editing.md §7.4), and the three conversions the server needs:
//! sanitised HTML → nodes (REST writes), nodes ⇄ yrs XML (the live document), nodes → HTML
//! (the REST projection and the article body). One table of names serves all of them, so the
//! server never writes a node the browser's schema would reject (and delete).

use std::collections::HashMap;
use std::sync::Arc;

use html5ever::tendril::TendrilSink;
use markup5ever_rcdom::{Handle, NodeData, RcDom};
use yrs::types::text::YChange;
use yrs::types::xml::{XmlElementPrelim, XmlElementRef, XmlFragmentRef, XmlOut, XmlTextPrelim};
use yrs::{Any, Out, ReadTxn, Text, TransactionMut, Xml, XmlFragment};

/// A formatting mark on a run of text (`bold`, `italic`, `underline`, `strike`, `code`, `link`).
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    pub name: String,
    /// Only `link` has attributes: `href`, `target`, `rel`, `class`, `title` and a mention's
    /// `data-mention-user-id` (frontend/js/SCHEMA.md).
    pub attrs: Vec<(String, Option<String>)>,
}

/// A node of the body: a block (`paragraph`, `heading`, lists, `blockquote`, `codeBlock`,
/// `horizontalRule`), an inline atom (`hardBreak`, `image`) or a run of text.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Element {
        name: String,
        attrs: Vec<(String, Any)>,
        children: Vec<Node>,
    },
    Text {
        text: String,
        marks: Vec<Mark>,
    },
}

/// A link's attribute naming the mentioned user (the `link` mark's attribute of that name).
const MENTION_ATTRIBUTE: &str = crate::tickets::sanitize::MENTION_ATTRIBUTE;

/// Mark names in the order Tiptap nests them when rendering (its schema order, outermost
/// first; frontend/js/SCHEMA.md).
const MARK_ORDER: [&str; 6] = ["link", "bold", "code", "italic", "strike", "underline"];

const BLOCK_NODES: [&str; 8] = [
    "paragraph",
    "heading",
    "bulletList",
    "orderedList",
    "listItem",
    "blockquote",
    "codeBlock",
    "horizontalRule",
];

fn element(name: &str, attrs: Vec<(String, Any)>, children: Vec<Node>) -> Node {
    Node::Element {
        name: name.into(),
        attrs,
        children,
    }
}

fn paragraph(children: Vec<Node>) -> Node {
    element("paragraph", vec![], children)
}

// ---------------------------------------------------------------------------------------------
// HTML → nodes

/// Parses (already sanitised) HTML into the composer's top-level blocks. Zammad's
/// `<div>line<br></div>` style becomes paragraphs; unknown wrappers are flattened.
/// HTML deeper than this is read as plain paragraphs of its text (the tree walkers below
/// recurse once per level; bodies that reach here were bounded by `html_limits` already).
pub const MAX_HTML_DEPTH_READ: usize = 64;

pub fn from_html(html: &str) -> Vec<Node> {
    let dom = html5ever::parse_document(RcDom::default(), Default::default()).one(html);
    if depth_of(&dom.document) > MAX_HTML_DEPTH_READ {
        return crate::tickets::html_text::html_to_text(html, false)
            .lines()
            .map(|line| {
                paragraph(vec![Node::Text {
                    text: line.to_string(),
                    marks: vec![],
                }])
            })
            .collect();
    }
    let body = find_body(&dom.document).unwrap_or_else(|| dom.document.clone());
    let mut out = Vec::new();
    blocks_into(&body, &mut out);
    out
}

/// The depth of a parsed tree, measured with an explicit stack.
fn depth_of(root: &Handle) -> usize {
    let (mut deepest, mut stack) = (0, vec![(root.clone(), 0usize)]);
    while let Some((node, depth)) = stack.pop() {
        deepest = deepest.max(depth);
        for child in node.children.borrow().iter() {
            stack.push((child.clone(), depth + 1));
        }
    }
    deepest
}

fn find_body(node: &Handle) -> Option<Handle> {
    if tag(node).as_deref() == Some("body") {
        return Some(node.clone());
    }
    node.children.borrow().iter().find_map(find_body)
}

fn tag(node: &Handle) -> Option<String> {
    match &node.data {
        NodeData::Element { name, .. } => Some(name.local.to_string()),
        _ => None,
    }
}

fn attr(node: &Handle, wanted: &str) -> Option<String> {
    match &node.data {
        NodeData::Element { attrs, .. } => attrs
            .borrow()
            .iter()
            .find(|a| &*a.name.local == wanted)
            .map(|a| a.value.to_string()),
        _ => None,
    }
}

fn is_block_tag(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "ul"
            | "ol"
            | "li"
            | "blockquote"
            | "pre"
            | "hr"
            | "table"
            | "thead"
            | "tbody"
            | "tfoot"
            | "tr"
            | "td"
            | "th"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "main"
            | "center"
            | "dl"
            | "dt"
            | "dd"
            | "address"
            | "figure"
            | "figcaption"
    )
}

fn has_block_child(node: &Handle) -> bool {
    node.children
        .borrow()
        .iter()
        .any(|c| tag(c).is_some_and(|t| is_block_tag(&t)))
}

/// Reads the children of a block container (`block+` content) into `out`. Loose inline
/// content between blocks becomes a paragraph.
fn blocks_into(container: &Handle, out: &mut Vec<Node>) {
    let mut inline: Vec<Node> = Vec::new();
    for child in container.children.borrow().iter() {
        match tag(child) {
            Some(t) if is_block_tag(&t) => {
                flush_paragraph(&mut inline, out);
                block(child, &t, out);
            }
            _ => inline_into(child, &[], &mut inline),
        }
    }
    flush_paragraph(&mut inline, out);
}

fn flush_paragraph(inline: &mut Vec<Node>, out: &mut Vec<Node>) {
    let content = tidy_inline(std::mem::take(inline));
    if !content.is_empty() {
        out.push(paragraph(content));
    }
}

fn block(node: &Handle, t: &str, out: &mut Vec<Node>) {
    match t {
        "p" | "div" | "dt" | "dd" | "address" | "figcaption" | "td" | "th" => {
            if has_block_child(node) {
                blocks_into(node, out);
            } else {
                // An empty `<div><br></div>` is an empty paragraph (a blank line).
                out.push(paragraph(inline_content(node)));
            }
        }
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
            let level = i64::from(t.as_bytes()[1] - b'0');
            out.push(element(
                "heading",
                vec![("level".into(), Any::Number(yrs::any::Number::Int(level)))],
                inline_content(node),
            ));
        }
        "ul" | "ol" => {
            let mut items = Vec::new();
            for child in node.children.borrow().iter() {
                match tag(child).as_deref() {
                    Some("li") => items.push(list_item(child)),
                    // a block straight in the list (not in an `<li>`): an item of its own
                    Some(other) if is_block_tag(other) => {
                        let mut inner = Vec::new();
                        block(child, other, &mut inner);
                        if !inner.is_empty() {
                            items.push(list_item_of(inner));
                        }
                    }
                    _ => {
                        let mut inline = Vec::new();
                        inline_into(child, &[], &mut inline);
                        let inline = tidy_inline(inline);
                        if !inline.is_empty() {
                            items.push(list_item_of(vec![paragraph(inline)]));
                        }
                    }
                }
            }
            if items.is_empty() {
                return;
            }
            if t == "ol" {
                let start = attr(node, "start")
                    .and_then(|s| s.trim().parse::<i64>().ok())
                    .unwrap_or(1);
                out.push(element(
                    "orderedList",
                    vec![("start".into(), Any::Number(yrs::any::Number::Int(start)))],
                    items,
                ));
            } else {
                out.push(element("bulletList", vec![], items));
            }
        }
        "li" => out.push(element("bulletList", vec![], vec![list_item(node)])),
        "blockquote" => {
            let mut inner = Vec::new();
            blocks_into(node, &mut inner);
            if inner.is_empty() {
                inner.push(paragraph(vec![]));
            }
            out.push(element("blockquote", vec![], inner));
        }
        "pre" => {
            let mut text = String::new();
            collect_text(node, &mut text);
            let language = node
                .children
                .borrow()
                .iter()
                .find(|c| tag(c).as_deref() == Some("code"))
                .and_then(|code| attr(code, "class"))
                .and_then(|class| {
                    class
                        .split_whitespace()
                        .find_map(|c| c.strip_prefix("language-").map(str::to_string))
                });
            let attrs = language
                .map(|l| vec![("language".to_string(), Any::from(l))])
                .unwrap_or_default();
            let text = text.strip_suffix('\n').unwrap_or(&text).to_string();
            let children = if text.is_empty() {
                vec![]
            } else {
                vec![Node::Text {
                    text,
                    marks: vec![],
                }]
            };
            out.push(element("codeBlock", attrs, children));
        }
        "hr" => out.push(element("horizontalRule", vec![], vec![])),
        // tables, sections and other wrappers: their content, flattened
        _ => blocks_into(node, out),
    }
}

fn list_item(li: &Handle) -> Node {
    let mut inner = Vec::new();
    blocks_into(li, &mut inner);
    list_item_of(inner)
}

/// A `listItem` of these blocks, fixed up for the schema (`paragraph block*`): an empty
/// paragraph goes first when they do not start with one. Every list item read from HTML is
/// made here, so the HTML it renders to (`<li><p></p><hr></li>`) reads back as the same item.
fn list_item_of(mut inner: Vec<Node>) -> Node {
    if !matches!(inner.first(), Some(Node::Element { name, .. }) if name == "paragraph") {
        inner.insert(0, paragraph(vec![]));
    }
    element("listItem", vec![], inner)
}

fn collect_text(node: &Handle, out: &mut String) {
    match &node.data {
        NodeData::Text { contents } => out.push_str(&contents.borrow()),
        NodeData::Element { .. } if tag(node).as_deref() == Some("br") => out.push('\n'),
        _ => {
            for c in node.children.borrow().iter() {
                collect_text(c, out);
            }
        }
    }
}

fn inline_content(node: &Handle) -> Vec<Node> {
    let mut inline = Vec::new();
    for child in node.children.borrow().iter() {
        inline_into(child, &[], &mut inline);
    }
    tidy_inline(inline)
}

fn mark_for(node: &Handle, t: &str) -> Option<Mark> {
    let simple = |name: &str| Mark {
        name: name.into(),
        attrs: vec![],
    };
    match t {
        "b" | "strong" => Some(simple("bold")),
        "i" | "em" => Some(simple("italic")),
        "u" => Some(simple("underline")),
        "s" | "strike" | "del" => Some(simple("strike")),
        "code" => Some(simple("code")),
        "a" => attr(node, "href").map(|href| Mark {
            name: "link".into(),
            attrs: vec![
                ("href".into(), Some(href)),
                (
                    "target".into(),
                    Some(attr(node, "target").unwrap_or_else(|| "_blank".into())),
                ),
                (
                    "rel".into(),
                    Some("noopener noreferrer nofollow".to_string()),
                ),
                ("class".into(), None),
                ("title".into(), None),
                (
                    MENTION_ATTRIBUTE.into(),
                    attr(node, MENTION_ATTRIBUTE)
                        .filter(|id| crate::tickets::sanitize::mention_user_id(id).is_some()),
                ),
            ],
        }),
        _ => None,
    }
}

fn inline_into(node: &Handle, marks: &[Mark], out: &mut Vec<Node>) {
    match &node.data {
        NodeData::Text { contents } => {
            let collapsed = collapse_whitespace(&contents.borrow());
            if !collapsed.is_empty() {
                // Tiptap's `code` mark excludes every other mark
                let marks = if marks.iter().any(|m| m.name == "code") {
                    marks.iter().filter(|m| m.name == "code").cloned().collect()
                } else {
                    marks.to_vec()
                };
                out.push(Node::Text {
                    text: collapsed,
                    marks,
                });
            }
        }
        NodeData::Element { .. } => {
            let t = tag(node).unwrap_or_default();
            match t.as_str() {
                "br" => out.push(element("hardBreak", vec![], vec![])),
                "img" => {
                    if let Some(src) = attr(node, "src") {
                        let mut attrs = vec![("src".to_string(), Any::from(src))];
                        for name in ["alt", "title"] {
                            if let Some(v) = attr(node, name) {
                                attrs.push((name.to_string(), Any::from(v)));
                            }
                        }
                        out.push(element("image", attrs, vec![]));
                    }
                }
                "script" | "style" | "template" | "head" | "title" => {}
                _ => {
                    let mut inner = marks.to_vec();
                    if let Some(m) = mark_for(node, &t)
                        && !inner.iter().any(|x| x.name == m.name)
                    {
                        inner.push(m);
                    }
                    for child in node.children.borrow().iter() {
                        // a block inside an inline element: read it as inline content
                        inline_into(child, &inner, out);
                    }
                }
            }
        }
        _ => {}
    }
}

fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_space = false;
    for c in s.chars() {
        if c.is_ascii_whitespace() {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            out.push(c);
            in_space = false;
        }
    }
    out
}

/// Merges adjacent runs with equal marks, trims the edges of the paragraph, collapses spaces
/// across runs and drops a trailing `hardBreak` (Zammad's `<div>line<br></div>`).
/// Idempotent, so what it makes renders to HTML that reads back the same: each step looks past
/// runs an earlier step emptied (a run of only `&nbsp;` trims to nothing), and the runs left
/// next to each other are merged at the end.
fn tidy_inline(nodes: Vec<Node>) -> Vec<Node> {
    let mut out = merge_runs(nodes);
    let is_break = |n: &Node| matches!(n, Node::Element { name, .. } if name == "hardBreak");
    // collapse a space at the start of a run that follows a space or a line break
    let mut after_space = false;
    for n in out.iter_mut() {
        match n {
            Node::Text { text, .. } => {
                if after_space && text.starts_with(' ') {
                    text.remove(0);
                }
                if !text.is_empty() {
                    after_space = text.ends_with(' ');
                }
            }
            other => after_space = is_break(other),
        }
    }
    // leading space, over the runs it empties
    for n in out.iter_mut() {
        let Node::Text { text, .. } = n else { break };
        *text = text.trim_start().to_string();
        if !text.is_empty() {
            break;
        }
    }
    // trailing breaks and space, until neither is left
    loop {
        match out.last_mut() {
            Some(n) if is_break(n) => {}
            Some(Node::Text { text, .. }) => {
                *text = text.trim_end().to_string();
                if !text.is_empty() {
                    break;
                }
            }
            _ => break,
        }
        out.pop();
    }
    // a space right before a line break is invisible (over the runs it empties)
    for i in 0..out.len() {
        if !is_break(&out[i]) {
            continue;
        }
        for n in out[..i].iter_mut().rev() {
            let Node::Text { text, .. } = n else { break };
            *text = text.trim_end().to_string();
            if !text.is_empty() {
                break;
            }
        }
    }
    out.retain(|n| !matches!(n, Node::Text { text, .. } if text.is_empty()));
    merge_runs(out)
}

/// Adjacent runs with the same marks as one run (one space where both had one at the seam).
fn merge_runs(nodes: Vec<Node>) -> Vec<Node> {
    let mut out: Vec<Node> = Vec::new();
    for n in nodes {
        match (out.last_mut(), n) {
            (
                Some(Node::Text { text, marks }),
                Node::Text {
                    text: more,
                    marks: more_marks,
                },
            ) if same_marks(marks, &more_marks) => {
                if text.ends_with(' ') && more.starts_with(' ') {
                    text.push_str(&more[1..]);
                } else {
                    text.push_str(&more);
                }
            }
            (_, n) => out.push(n),
        }
    }
    out
}

/// Whether two runs carry the same marks, in any order (HTML may nest them either way; the
/// yrs document keeps them as a set, so such runs become one there).
fn same_marks(a: &[Mark], b: &[Mark]) -> bool {
    a.len() == b.len() && a.iter().all(|m| b.contains(m))
}

// ---------------------------------------------------------------------------------------------
// nodes → HTML

/// Renders nodes as HTML (text escaped, attributes quoted). Trailing empty paragraphs, which
/// the editor keeps for the caret, are left out.
pub fn to_html(nodes: &[Node]) -> String {
    let mut end = nodes.len();
    while end > 0 && is_empty_paragraph(&nodes[end - 1]) {
        end -= 1;
    }
    let mut out = String::new();
    for n in &nodes[..end] {
        render(n, &mut out);
    }
    out
}

fn is_empty_paragraph(n: &Node) -> bool {
    matches!(n, Node::Element { name, children, .. } if name == "paragraph" && children.is_empty())
}

/// One node as HTML: also the key of the block diff.
pub fn node_html(n: &Node) -> String {
    let mut out = String::new();
    render(n, &mut out);
    out
}

fn any_text(a: &Any) -> String {
    match a {
        Any::String(s) => s.to_string(),
        Any::Number(yrs::any::Number::Int(i)) => i.to_string(),
        Any::Number(yrs::any::Number::Float(f)) => format!("{f}"),
        Any::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

fn attr_of<'a>(attrs: &'a [(String, Any)], key: &str) -> Option<&'a Any> {
    attrs
        .iter()
        .find(|(k, v)| k == key && !matches!(v, Any::Null | Any::Undefined))
        .map(|(_, v)| v)
}

/// Renders `root` with an explicit stack (any depth): a step is a node to open or the closing
/// tag of an element whose children were rendered.
fn render(root: &Node, out: &mut String) {
    enum Step<'a> {
        Open(&'a Node),
        Close(String),
    }
    let mut stack = vec![Step::Open(root)];
    while let Some(step) = stack.pop() {
        let n = match step {
            Step::Open(n) => n,
            Step::Close(tag) => {
                out.push_str(&tag);
                continue;
            }
        };
        match n {
            Node::Text { text, marks } => {
                let mut sorted: Vec<&Mark> = marks.iter().collect();
                sorted.sort_by_key(|m| MARK_ORDER.iter().position(|o| *o == m.name));
                for m in &sorted {
                    out.push_str(&open_mark(m));
                }
                out.push_str(&crate::tickets::html_text::escape(text));
                for m in sorted.iter().rev() {
                    out.push_str(close_mark(m));
                }
            }
            Node::Element {
                name,
                attrs,
                children,
            } => {
                let close = match name.as_str() {
                    "paragraph" => {
                        out.push_str("<p>");
                        "</p>".to_string()
                    }
                    "heading" => {
                        let level = attr_of(attrs, "level")
                            .map(any_text)
                            .and_then(|l| l.parse::<u8>().ok())
                            .filter(|l| (1..=6).contains(l))
                            .unwrap_or(1);
                        out.push_str(&format!("<h{level}>"));
                        format!("</h{level}>")
                    }
                    "bulletList" => {
                        out.push_str("<ul>");
                        "</ul>".to_string()
                    }
                    "orderedList" => {
                        match attr_of(attrs, "start")
                            .map(any_text)
                            .and_then(|s| s.parse::<i64>().ok())
                        {
                            Some(start) if start != 1 => {
                                out.push_str(&format!("<ol start=\"{start}\">"))
                            }
                            _ => out.push_str("<ol>"),
                        }
                        "</ol>".to_string()
                    }
                    "listItem" => {
                        out.push_str("<li>");
                        "</li>".to_string()
                    }
                    "blockquote" => {
                        out.push_str("<blockquote>");
                        "</blockquote>".to_string()
                    }
                    "codeBlock" => {
                        match attr_of(attrs, "language").map(any_text) {
                            Some(lang) if !lang.is_empty() => out.push_str(&format!(
                                "<pre><code class=\"language-{}\">",
                                crate::tickets::html_text::escape(&lang)
                            )),
                            _ => out.push_str("<pre><code>"),
                        }
                        "</code></pre>".to_string()
                    }
                    // atoms: their children (a peer may send some) are not rendered
                    "horizontalRule" => {
                        out.push_str("<hr>");
                        continue;
                    }
                    "hardBreak" => {
                        out.push_str("<br>");
                        continue;
                    }
                    "image" => {
                        if let Some(src) = attr_of(attrs, "src").map(any_text) {
                            out.push_str(&format!(
                                "<img src=\"{}\"",
                                crate::tickets::html_text::escape(&src)
                            ));
                            for key in ["alt", "title"] {
                                if let Some(v) = attr_of(attrs, key).map(any_text) {
                                    out.push_str(&format!(
                                        " {key}=\"{}\"",
                                        crate::tickets::html_text::escape(&v)
                                    ));
                                }
                            }
                            out.push('>');
                        }
                        continue;
                    }
                    // a node this server does not know (a newer editor?): keep its text
                    _ => String::new(),
                };
                stack.push(Step::Close(close));
                stack.extend(children.iter().rev().map(Step::Open));
            }
        }
    }
}

fn open_mark(m: &Mark) -> String {
    match m.name.as_str() {
        "bold" => "<strong>".into(),
        "italic" => "<em>".into(),
        "underline" => "<u>".into(),
        "strike" => "<s>".into(),
        "code" => "<code>".into(),
        "link" => {
            // Tiptap's order: the extension's defaults (target, rel), then the mark's own
            let mut s = String::from("<a");
            for key in ["target", "rel", "href", "title", MENTION_ATTRIBUTE] {
                if let Some((_, Some(v))) = m.attrs.iter().find(|(k, _)| k == key) {
                    s.push_str(&format!(
                        " {key}=\"{}\"",
                        crate::tickets::html_text::escape(v)
                    ));
                }
            }
            s.push('>');
            s
        }
        _ => String::new(),
    }
}

fn close_mark(m: &Mark) -> &'static str {
    match m.name.as_str() {
        "bold" => "</strong>",
        "italic" => "</em>",
        "underline" => "</u>",
        "strike" => "</s>",
        "code" => "</code>",
        "link" => "</a>",
        _ => "",
    }
}

/// The text of the nodes (for previews and emptiness checks), with an explicit stack (any
/// depth): a block or line break ends with a newline, after its children.
pub fn plain_text(nodes: &[Node]) -> String {
    let mut out = String::new();
    // `None`: the newline that ends a block
    let mut stack: Vec<Option<&Node>> = nodes.iter().rev().map(Some).collect();
    while let Some(step) = stack.pop() {
        match step {
            None => out.push('\n'),
            Some(Node::Text { text, .. }) => out.push_str(text),
            Some(Node::Element { name, children, .. }) => {
                if BLOCK_NODES.contains(&name.as_str()) || name == "hardBreak" {
                    stack.push(None);
                }
                stack.extend(children.iter().rev().map(Some));
            }
        }
    }
    out.trim().to_string()
}

// ---------------------------------------------------------------------------------------------
// yrs XML ⇄ nodes (y-prosemirror's layout: an XmlElement per node, consecutive text runs in
// one XmlText whose formatting attributes are the marks, `{bold: {}}`)

/// Deepest element nesting read from a document. The composer's schema nests a few levels
/// (lists in lists, quotes); a peer may send any shape, so what lies deeper is kept as its
/// plain text, gathered without recursion, and nothing reading a document recurses further.
pub const MAX_DOCUMENT_DEPTH: usize = 32;

/// Reads the nodes under a fragment or element.
pub fn read_children<T: ReadTxn>(txn: &T, parent: &impl XmlFragment) -> Vec<Node> {
    read_children_at(txn, parent, 0)
}

fn read_children_at<T: ReadTxn>(txn: &T, parent: &impl XmlFragment, depth: usize) -> Vec<Node> {
    let mut out = Vec::new();
    for child in parent.children(txn) {
        match child {
            XmlOut::Element(el) if depth >= MAX_DOCUMENT_DEPTH => {
                out.push(Node::Text {
                    text: text_below(txn, &el),
                    marks: vec![],
                });
            }
            XmlOut::Element(el) => out.push(read_element(txn, &el, depth + 1)),
            XmlOut::Text(text) => {
                for chunk in text.diff(txn, YChange::identity) {
                    let Out::Any(Any::String(s)) = &chunk.insert else {
                        continue;
                    };
                    let marks = chunk
                        .attributes
                        .map(|attrs| marks_from_attrs(&attrs))
                        .unwrap_or_default();
                    out.push(Node::Text {
                        text: s.to_string(),
                        marks,
                    });
                }
            }
            XmlOut::Fragment(f) if depth >= MAX_DOCUMENT_DEPTH => {
                let mut text = String::new();
                for child in f.children(txn) {
                    if let XmlOut::Element(el) = child {
                        text.push_str(&text_below(txn, &el));
                    }
                }
                out.push(Node::Text {
                    text,
                    marks: vec![],
                });
            }
            XmlOut::Fragment(f) => out.extend(read_children_at(txn, &f, depth + 1)),
        }
    }
    out
}

/// The text of everything under `el`, in document order, with an explicit stack (any depth).
fn text_below<T: ReadTxn>(txn: &T, el: &XmlElementRef) -> String {
    let mut text = String::new();
    let mut stack: Vec<XmlOut> = vec![XmlOut::Element(el.clone())];
    while let Some(node) = stack.pop() {
        let children: Vec<XmlOut> = match &node {
            XmlOut::Element(e) => e.children(txn).collect(),
            XmlOut::Fragment(f) => f.children(txn).collect(),
            XmlOut::Text(t) => {
                for chunk in t.diff(txn, YChange::identity) {
                    if let Out::Any(Any::String(s)) = &chunk.insert {
                        text.push_str(s);
                    }
                }
                continue;
            }
        };
        stack.extend(children.into_iter().rev());
    }
    text
}

fn read_element<T: ReadTxn>(txn: &T, el: &XmlElementRef, depth: usize) -> Node {
    let mut attrs: Vec<(String, Any)> = el
        .attributes(txn)
        .filter_map(|(k, v)| match v {
            Out::Any(a) => Some((k.to_string(), a)),
            _ => None,
        })
        .collect();
    attrs.sort_by(|a, b| a.0.cmp(&b.0));
    Node::Element {
        name: el.tag().to_string(),
        attrs,
        children: read_children_at(txn, el, depth),
    }
}

fn marks_from_attrs(attrs: &HashMap<Arc<str>, Any>) -> Vec<Mark> {
    let mut marks: Vec<Mark> = attrs
        .iter()
        .filter(|(_, v)| !matches!(v, Any::Null | Any::Undefined))
        .map(|(name, value)| {
            // y-prosemirror suffixes marks that may overlap with `--<hash>`
            let name = name.split("--").next().unwrap_or(name).to_string();
            let attrs = match value {
                Any::Map(m) => {
                    let mut v: Vec<(String, Option<String>)> = m
                        .iter()
                        .map(|(k, v)| {
                            let text = match v {
                                Any::Null | Any::Undefined => None,
                                other => Some(any_text(other)),
                            };
                            (k.clone(), text)
                        })
                        .collect();
                    v.sort();
                    v
                }
                _ => vec![],
            };
            Mark { name, attrs }
        })
        .collect();
    marks.sort_by(|a, b| a.name.cmp(&b.name));
    marks
}

fn mark_attrs(marks: &[Mark]) -> HashMap<Arc<str>, Any> {
    marks
        .iter()
        .map(|m| {
            let map: HashMap<String, Any> = m
                .attrs
                .iter()
                .map(|(k, v)| (k.clone(), v.clone().map(Any::from).unwrap_or(Any::Null)))
                .collect();
            (Arc::<str>::from(m.name.as_str()), Any::Map(Arc::new(map)))
        })
        .collect()
}

/// Inserts nodes into a fragment (or element) at `index`, in the layout y-prosemirror reads.
/// Any depth: the elements still to fill are kept on an explicit stack (depth first, in
/// document order, so the operations are the ones a recursive walk would make).
pub fn insert_nodes(
    txn: &mut TransactionMut,
    parent: &impl XmlFragment,
    index: u32,
    nodes: &[Node],
) {
    let mut stack: Vec<Filling> = Vec::new();
    let (mut i, mut at) = (0, index);
    while i < nodes.len() {
        let (next, opened) = insert_one(txn, parent, at, nodes, i);
        (i, at) = (next, at + 1);
        stack.extend(opened);
        while let Some((el, children, i, at)) = stack.last_mut() {
            if *i >= children.len() {
                stack.pop();
                continue;
            }
            let (next, opened) = insert_one(txn, el, *at, children, *i);
            (*i, *at) = (next, *at + 1);
            stack.extend(opened);
        }
    }
}

/// An element being filled by [`insert_nodes`]: the element, its children, the next child to
/// insert and where it goes.
type Filling<'a> = (XmlElementRef, &'a [Node], usize, u32);

/// Inserts `nodes[i]` (or, for text, the run of text nodes from `i`, which share one XmlText)
/// into `parent` at `at`. Returns the index after what was inserted and, for an element, the
/// new element with the children it still needs.
fn insert_one<'a>(
    txn: &mut TransactionMut,
    parent: &impl XmlFragment,
    at: u32,
    nodes: &'a [Node],
    mut i: usize,
) -> (usize, Option<Filling<'a>>) {
    match &nodes[i] {
        Node::Element {
            name,
            attrs,
            children,
        } => {
            let el = parent.insert(txn, at, XmlElementPrelim::empty(name.as_str()));
            for (k, v) in attrs {
                if !matches!(v, Any::Null | Any::Undefined) {
                    el.insert_attribute(txn, k.as_str(), v.clone());
                }
            }
            (i + 1, Some((el, children.as_slice(), 0, 0)))
        }
        Node::Text { .. } => {
            let text = parent.insert(txn, at, XmlTextPrelim::new(""));
            let mut offset = 0u32;
            while let Some(Node::Text { text: chunk, marks }) = nodes.get(i) {
                text.insert_with_attributes(txn, offset, chunk, mark_attrs(marks));
                offset += chunk.encode_utf16().count() as u32;
                i += 1;
            }
            (i, None)
        }
    }
}

/// Replaces the body in `fragment` with `wanted`, touching only the top-level blocks that
/// differ (LCS over the blocks' HTML), so carets and concurrent typing in the other blocks
/// survive. Returns (kept, deleted, inserted).
pub fn replace_blocks(
    txn: &mut TransactionMut,
    fragment: &XmlFragmentRef,
    wanted: &[Node],
) -> (usize, usize, usize) {
    let current: Vec<String> = read_children(txn, fragment).iter().map(node_html).collect();
    let target: Vec<String> = wanted.iter().map(node_html).collect();
    // The fragment may hold loose text (not from our writers); then rebuild everything.
    let lengths_agree = fragment.len(txn) as usize == current.len();
    let ops = if lengths_agree {
        lcs_ops(&current, &target)
    } else {
        let mut ops: Vec<Op> = Vec::new();
        ops.extend(std::iter::repeat_n(Op::Delete, fragment.len(txn) as usize));
        ops.extend(std::iter::repeat_n(Op::Insert, target.len()));
        ops
    };
    let (mut kept, mut deleted, mut inserted) = (0, 0, 0);
    let mut at = 0u32;
    let mut next_new = 0usize;
    for op in ops {
        match op {
            Op::Keep => {
                at += 1;
                next_new += 1;
                kept += 1;
            }
            Op::Delete => {
                fragment.remove_range(txn, at, 1);
                deleted += 1;
            }
            Op::Insert => {
                insert_nodes(txn, fragment, at, std::slice::from_ref(&wanted[next_new]));
                at += 1;
                next_new += 1;
                inserted += 1;
            }
        }
    }
    (kept, deleted, inserted)
}

/// A top-level block as a REST client saw it: its identity in the CRDT and its HTML.
pub type SeenBlock = (yrs::branch::BranchID, String);

/// The top-level blocks of a fragment with their identities.
pub fn seen_blocks<T: ReadTxn>(txn: &T, fragment: &XmlFragmentRef) -> Vec<SeenBlock> {
    fragment
        .children(txn)
        .filter_map(|child| match child {
            XmlOut::Element(el) => {
                let id = AsRef::<yrs::branch::Branch>::as_ref(&el).id();
                Some((id, node_html(&read_element(txn, &el, 1))))
            }
            _ => None,
        })
        .collect()
}

/// What decides whether the REST writer changed a block: its HTML without the whitespace an
/// HTML round trip may not keep (trailing or doubled spaces, `&nbsp;`). A block that only lost
/// such whitespace on its way through a client is unchanged, so what editors typed into it
/// meanwhile stays.
fn merge_key(html: &str) -> String {
    let html = html.replace("&nbsp;", " ").replace('\u{a0}', " ");
    html.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(" <", "<")
        .replace("> ", ">")
}

/// A three-way block merge: `base` is what the REST client read, `wanted` what it wrote. Only
/// the writer's own changes (blocks it removed, blocks it added) are applied to the current
/// document; blocks that editors typed into or added since stay as they are now.
/// Returns (kept, deleted, inserted).
pub fn merge_blocks(
    txn: &mut TransactionMut,
    fragment: &XmlFragmentRef,
    base: &[SeenBlock],
    wanted: &[Node],
) -> (usize, usize, usize) {
    let base_html: Vec<String> = base.iter().map(|(_, h)| merge_key(h)).collect();
    let target: Vec<String> = wanted.iter().map(|n| merge_key(&node_html(n))).collect();
    let ops = lcs_ops(&base_html, &target);
    let mut deletions = Vec::new();
    // (anchor: the kept base block to insert after, or None for the start; the new nodes)
    let mut insertions: Vec<(Option<yrs::branch::BranchID>, Vec<Node>)> = vec![(None, vec![])];
    let (mut i, mut j) = (0, 0);
    let mut kept = 0;
    for op in ops {
        match op {
            Op::Keep => {
                insertions.push((Some(base[i].0.clone()), vec![]));
                kept += 1;
                i += 1;
                j += 1;
            }
            Op::Delete => {
                deletions.push(base[i].0.clone());
                i += 1;
            }
            Op::Insert => {
                if let Some(last) = insertions.last_mut() {
                    last.1.push(wanted[j].clone());
                }
                j += 1;
            }
        }
    }
    let position = |txn: &TransactionMut, id: &yrs::branch::BranchID| -> Option<u32> {
        seen_blocks(txn, fragment)
            .iter()
            .position(|(b, _)| b == id)
            .map(|p| p as u32)
    };
    let mut deleted = 0;
    for id in &deletions {
        if let Some(at) = position(txn, id) {
            fragment.remove_range(txn, at, 1);
            deleted += 1;
        }
    }
    let mut inserted = 0;
    for (anchor, nodes) in insertions {
        if nodes.is_empty() {
            continue;
        }
        let at = match &anchor {
            None => 0,
            Some(id) => position(txn, id).map_or(fragment.len(txn), |p| p + 1),
        };
        insert_nodes(txn, fragment, at, &nodes);
        inserted += nodes.len();
    }
    (kept, deleted, inserted)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Keep,
    Delete,
    Insert,
}

/// The edit script from `a` to `b` by longest common subsequence.
fn lcs_ops(a: &[String], b: &[String]) -> Vec<Op> {
    let (n, m) = (a.len(), b.len());
    let mut table = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            table[i][j] = if a[i] == b[j] {
                table[i + 1][j + 1] + 1
            } else {
                table[i + 1][j].max(table[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut ops = Vec::with_capacity(n + m);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            ops.push(Op::Keep);
            i += 1;
            j += 1;
        } else if j < m && (i == n || table[i][j + 1] >= table[i + 1][j]) {
            ops.push(Op::Insert);
            j += 1;
        } else {
            ops.push(Op::Delete);
            i += 1;
        }
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::{Doc, GetString, OffsetKind, Options, Transact};

    fn doc() -> Doc {
        Doc::with_options(Options {
            offset_kind: OffsetKind::Utf16,
            ..Default::default()
        })
    }

    #[test]
    fn a_document_nested_any_depth_is_read_without_recursing_past_the_limit() {
        let d = doc();
        let body = d.get_or_insert_xml_fragment("body");
        {
            let mut txn = d.transact_mut();
            let mut el = body.insert(&mut txn, 0, XmlElementPrelim::empty("blockquote"));
            for _ in 0..20_000 {
                el = el.insert(&mut txn, 0, XmlElementPrelim::empty("blockquote"));
            }
            el.insert(&mut txn, 0, XmlTextPrelim::new("deep text"));
        }
        let txn = d.transact();
        let nodes = read_children(&txn, &body);
        let html = to_html(&nodes);
        assert!(
            html.contains("deep text"),
            "{}",
            &html[..200.min(html.len())]
        );
        assert!(html.matches("<blockquote>").count() <= MAX_DOCUMENT_DEPTH);
    }

    #[test]
    fn a_node_tree_nested_any_depth_is_inserted_without_recursing() {
        let mut node = paragraph(vec![Node::Text {
            text: "deep text".into(),
            marks: vec![],
        }]);
        for i in 0..20_000 {
            node = match i % 3 {
                0 => element("blockquote", vec![], vec![node]),
                1 => element("listItem", vec![], vec![paragraph(vec![]), node]),
                _ => element("bulletList", vec![], vec![node]),
            };
        }
        let d = doc();
        let body = d.get_or_insert_xml_fragment("body");
        {
            let mut txn = d.transact_mut();
            insert_nodes(&mut txn, &body, 0, std::slice::from_ref(&node));
        }
        // the innermost element is there, 20,000 levels down (read back without recursion)
        let txn = d.transact();
        let nodes = read_children(&txn, &body);
        assert!(plain_text(&nodes).contains("deep text"));
        let mut depth = 0;
        let mut at = body.get(&txn, 0);
        while let Some(XmlOut::Element(el)) = at {
            depth += 1;
            at = el.get(&txn, el.len(&txn).saturating_sub(1));
        }
        assert_eq!(depth, 20_001);
        drop(txn);
        // a derived `Drop` recurses once per level too: take the tree apart from the top
        let mut stack = vec![node];
        while let Some(Node::Element { children, .. }) = stack.pop() {
            stack.extend(children);
        }
    }

    #[test]
    fn nested_nodes_insert_in_document_order() {
        let nodes = from_html(
            "<ul><li><p>a <b>b</b> c<br>d</p><ol start=\"2\"><li>x</li><li>y</li></ol></li></ul>\
             <blockquote><p>q</p><blockquote><p>r</p></blockquote></blockquote><p>end</p>",
        );
        let d = doc();
        let frag = d.get_or_insert_xml_fragment("default");
        {
            let mut txn = d.transact_mut();
            insert_nodes(&mut txn, &frag, 0, &nodes);
            // and in the middle of what is there
            insert_nodes(&mut txn, &frag, 1, &from_html("<h2>mid</h2><hr>"));
        }
        let txn = d.transact();
        assert_eq!(
            to_html(&read_children(&txn, &frag)),
            "<ul><li><p>a <strong>b</strong> c<br>d</p><ol start=\"2\"><li><p>x</p></li><li><p>y</p></li></ol></li></ul>\
             <h2>mid</h2><hr><blockquote><p>q</p><blockquote><p>r</p></blockquote></blockquote><p>end</p>"
        );
        assert_eq!(read_children(&txn, &frag).len(), 5);
    }

    #[test]
    fn a_list_item_starts_with_a_paragraph_and_reads_back_as_itself() {
        for (html, once) in [
            ("<ul><hr>", "<ul><li><p></p><hr></li></ul>"),
            ("<ul><li><hr></li></ul>", "<ul><li><p></p><hr></li></ul>"),
            ("<ol><h2>t</h2></ol>", "<ol><li><p></p><h2>t</h2></li></ol>"),
            (
                "<ul><ul><li>a</li></ul></ul>",
                "<ul><li><p></p><ul><li><p>a</p></li></ul></li></ul>",
            ),
            (
                "<ul><blockquote>q</blockquote><pre>c</pre></ul>",
                "<ul><li><p></p><blockquote><p>q</p></blockquote></li><li><p></p><pre><code>c</code></pre></li></ul>",
            ),
            (
                "<ul><p>a</p>b</ul>",
                "<ul><li><p>a</p></li><li><p>b</p></li></ul>",
            ),
            ("<li><hr></li>", "<ul><li><p></p><hr></li></ul>"),
        ] {
            let nodes = from_html(html);
            assert_eq!(to_html(&nodes), once, "{html}");
            assert_eq!(from_html(once), nodes, "{html}: read back");
        }
    }

    #[test]
    fn inline_tidying_reads_its_own_html_back_the_same() {
        for (html, once) in [
            // trimming the `&nbsp;` uncovers a trailing break
            ("<p><br>&nbsp;</p>", ""),
            ("<p>a<br>&nbsp;<br> </p>", "<p>a</p>"),
            // the same marks, nested the other way round: one run (as in the yrs document)
            (
                "<i><b>x</b></i><b><i>y</i></b>",
                "<p><strong><em>xy</em></strong></p>",
            ),
            // a run emptied by collapsing spaces no longer separates its neighbours
            (
                "<p><b>a </b><i> </i><b>c</b></p>",
                "<p><strong>a c</strong></p>",
            ),
            ("<p><br><b> </b> y</p>", "<p><br>y</p>"),
            ("<p><b>&nbsp;</b> a</p>", "<p>a</p>"),
            ("<p>a <b>&nbsp;</b><br>b</p>", "<p>a<br>b</p>"),
        ] {
            let nodes = from_html(html);
            assert_eq!(to_html(&nodes), once, "{html}");
            assert_eq!(to_html(&from_html(once)), once, "{html}: read back");
        }
    }

    #[test]
    fn zammad_div_style_becomes_paragraphs() {
        let nodes = from_html("<div>Hello <b>world</b><br></div><div><br></div><div>Bye</div>");
        assert_eq!(
            to_html(&nodes),
            "<p>Hello <strong>world</strong></p><p></p><p>Bye</p>"
        );
    }

    #[test]
    fn lists_quotes_code_links_and_images() {
        let html = "<h2>Title</h2><ul><li>one</li><li><p>two</p><ol start=\"3\"><li>x</li></ol></li></ul>\
                    <blockquote>quoted<br>line</blockquote><pre><code class=\"language-rust\">fn a() {}\n</code></pre>\
                    <p>see <a href=\"https://example.com/\">here</a> <img src=\"cid:1@x\" alt=\"pic\"></p><hr>";
        let nodes = from_html(html);
        assert_eq!(
            to_html(&nodes),
            "<h2>Title</h2><ul><li><p>one</p></li><li><p>two</p><ol start=\"3\"><li><p>x</p></li></ol></li></ul>\
             <blockquote><p>quoted<br>line</p></blockquote><pre><code class=\"language-rust\">fn a() {}</code></pre>\
             <p>see <a target=\"_blank\" rel=\"noopener noreferrer nofollow\" href=\"https://example.com/\">here</a> <img src=\"cid:1@x\" alt=\"pic\"></p><hr>"
        );
    }

    #[test]
    fn mention_links_keep_their_user_id_through_yrs() {
        let html = "<p>ask <a data-mention-user-id=\"7\" rel=\"nofollow noreferrer noopener\" href=\"/users/7\" target=\"_blank\">Bob Agent</a> and <a href=\"/x\" data-mention-user-id=\"no\">x</a></p>";
        let want = "<p>ask <a target=\"_blank\" rel=\"noopener noreferrer nofollow\" href=\"/users/7\" data-mention-user-id=\"7\">Bob Agent</a> and <a target=\"_blank\" rel=\"noopener noreferrer nofollow\" href=\"/x\">x</a></p>";
        let nodes = from_html(html);
        assert_eq!(to_html(&nodes), want);
        let d = doc();
        let frag = d.get_or_insert_xml_fragment("default");
        {
            let mut txn = d.transact_mut();
            insert_nodes(&mut txn, &frag, 0, &nodes);
        }
        let back = read_children(&d.transact(), &frag);
        assert_eq!(to_html(&back), want);
    }

    #[test]
    fn text_is_escaped_on_output() {
        let nodes = vec![paragraph(vec![Node::Text {
            text: "<script>alert(1)</script> & co".into(),
            marks: vec![],
        }])];
        assert_eq!(
            to_html(&nodes),
            "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; co</p>"
        );
    }

    #[test]
    fn nodes_round_trip_through_yrs_with_utf16_offsets() {
        let d = doc();
        let frag = d.get_or_insert_xml_fragment("default");
        let nodes = from_html("<p>Grüße 😀 <b>fett</b> und <i>mehr</i> Ende</p><h3>Zwei</h3>");
        {
            let mut txn = d.transact_mut();
            insert_nodes(&mut txn, &frag, 0, &nodes);
        }
        let txn = d.transact();
        let back = read_children(&txn, &frag);
        assert_eq!(
            to_html(&back),
            "<p>Grüße 😀 <strong>fett</strong> und <em>mehr</em> Ende</p><h3>Zwei</h3>"
        );
        // the layout y-prosemirror expects: node names as tags
        assert!(frag.get_string(&txn).starts_with("<paragraph>"));
    }

    #[test]
    fn block_diff_keeps_unchanged_blocks_and_concurrent_edits() {
        let server = doc();
        let frag = server.get_or_insert_xml_fragment("default");
        {
            let mut txn = server.transact_mut();
            insert_nodes(
                &mut txn,
                &frag,
                0,
                &from_html("<p>one</p><p>two</p><p>three</p>"),
            );
        }
        // a second replica (an editor) types into "three" while the REST replace happens
        let editor = doc();
        let sync = |from: &Doc, to: &Doc| {
            let sv = to.transact().state_vector();
            let update = from.transact().encode_state_as_update_v1(&sv);
            to.transact_mut()
                .apply_update(yrs::Update::decode_v1(&update).unwrap())
                .unwrap();
        };
        use yrs::updates::decoder::Decode;
        sync(&server, &editor);
        {
            let efrag = editor.get_or_insert_xml_fragment("default");
            let mut txn = editor.transact_mut();
            let Some(XmlOut::Element(p)) = efrag.get(&txn, 2) else {
                panic!("no third paragraph")
            };
            let Some(XmlOut::Text(t)) = p.get(&txn, 0) else {
                panic!("no text")
            };
            t.insert(&mut txn, 5, "!!");
        }
        let counts = {
            let mut txn = server.transact_mut();
            replace_blocks(
                &mut txn,
                &frag,
                &from_html("<p>zero</p><p>one</p><p>three</p>"),
            )
        };
        assert_eq!(counts, (2, 1, 1));
        sync(&server, &editor);
        sync(&editor, &server);
        let a = to_html(&read_children(&server.transact(), &frag));
        let efrag = editor.get_or_insert_xml_fragment("default");
        let b = to_html(&read_children(&editor.transact(), &efrag));
        assert_eq!(a, b);
        assert_eq!(a, "<p>zero</p><p>one</p><p>three!!</p>");
    }
}
