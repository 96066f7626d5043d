//! editorjs documents rendered to HTML (bounded list depth).

use serde_json::{Map, Value};

use crate::Result;
use crate::tickets::html_text::{escape, html_to_text};

use super::*;

/// Renders an editorjs document to HTML. Text fields are editorjs inline HTML (bold, italic,
/// links…): each is cleaned to inline markup on its own, plain fields (code, URLs, alt text)
/// are escaped, and the whole result goes through the article sanitiser when stored.
/// Most JSON values (blocks, list items, fields) one editorjs document may hold: each becomes
/// markup that is cleaned on its own.
pub const MAX_EDITORJS_VALUES: usize = 20_000;

/// The number of JSON values in `doc`, counted without recursion.
fn values_in(doc: &Value) -> usize {
    let (mut count, mut stack) = (0, vec![doc]);
    while let Some(v) = stack.pop() {
        count += 1;
        match v {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.values()),
            _ => {}
        }
    }
    count
}

pub(super) fn render_editorjs(doc: &Value, field: &str) -> Result<(String, EditorJs), FieldError> {
    let Some(obj) = doc.as_object() else {
        return Err(FieldError::bad(field, "editorjs must be an object."));
    };
    if values_in(doc) > MAX_EDITORJS_VALUES {
        return Err(FieldError::bad(
            field,
            format!(
                "editorjs documents may hold at most {MAX_EDITORJS_VALUES} values (blocks, items, fields)."
            ),
        ));
    }
    let time =
        match obj.get("time") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_i64().ok_or_else(|| {
                FieldError::bad(format!("{field}.time"), "time must be an integer.")
            })?),
        };
    let version = optional_text(obj.get("version"), &format!("{field}.version"))?;
    let blocks = match obj.get("blocks") {
        Some(Value::Array(blocks)) => blocks,
        None | Some(Value::Null) => {
            return Err(FieldError::bad(
                format!("{field}.blocks"),
                "blocks are missing.",
            ));
        }
        Some(_) => {
            return Err(FieldError::bad(
                format!("{field}.blocks"),
                "blocks must be an array.",
            ));
        }
    };
    let mut html = String::new();
    let mut out = Vec::new();
    for (i, block) in blocks.iter().enumerate() {
        let at = format!("{field}.blocks[{i}]");
        let Some(b) = block.as_object() else {
            return Err(FieldError::bad(at, "A block must be an object."));
        };
        let kind = match b.get("type") {
            Some(Value::String(s)) => s.clone(),
            _ => {
                return Err(FieldError::bad(
                    format!("{at}.type"),
                    "The block type is missing.",
                ));
            }
        };
        let id = optional_text(b.get("id"), &format!("{at}.id"))?;
        let data = match b.get("data") {
            Some(Value::Object(d)) => d.clone(),
            None | Some(Value::Null) if kind == "delimiter" => Map::new(),
            _ => {
                return Err(FieldError::bad(
                    format!("{at}.data"),
                    "The block data must be an object.",
                ));
            }
        };
        let d = format!("{at}.data");
        html.push_str(&render_block(&kind, &data, &d, &at)?);
        out.push(EditorJsBlock {
            id,
            kind,
            data: Value::Object(data),
        });
    }
    Ok((
        html,
        EditorJs {
            time,
            version,
            blocks: out,
        },
    ))
}

pub(super) fn render_block(
    kind: &str,
    data: &Map<String, Value>,
    d: &str,
    at: &str,
) -> Result<String, FieldError> {
    let text = |key: &str| -> Result<String, FieldError> {
        match data.get(key) {
            Some(Value::String(s)) => Ok(s.clone()),
            _ => Err(FieldError::bad(
                format!("{d}.{key}"),
                format!("{key} must be a string."),
            )),
        }
    };
    let optional = |key: &str| optional_text(data.get(key), &format!("{d}.{key}"));
    Ok(match kind {
        "paragraph" => format!("<p>{}</p>", inline(&text("text")?)),
        "header" => {
            let level = match data.get("level") {
                None | Some(Value::Null) => 2,
                Some(v) => v.as_i64().filter(|l| (1..=6).contains(l)).ok_or_else(|| {
                    FieldError::bad(format!("{d}.level"), "level must be 1 to 6.")
                })?,
            };
            format!("<h{level}>{}</h{level}>", inline(&text("text")?))
        }
        "list" => {
            let style = optional("style")?.unwrap_or_else(|| "unordered".into());
            if !["ordered", "unordered", "checklist"].contains(&style.as_str()) {
                return Err(FieldError::bad(
                    format!("{d}.style"),
                    "style must be ordered, unordered or checklist.",
                ));
            }
            render_list(&style, data.get("items"), &format!("{d}.items"), 0)?
        }
        "quote" => {
            let caption = optional("caption")?
                .filter(|c| !c.trim().is_empty())
                .map(|c| format!("<footer>{}</footer>", inline(&c)))
                .unwrap_or_default();
            format!(
                "<blockquote><p>{}</p>{caption}</blockquote>",
                inline(&text("text")?)
            )
        }
        "code" => format!("<pre><code>{}</code></pre>", escape(&text("code")?)),
        "delimiter" => "<hr>".to_string(),
        "image" => {
            let url = match (data.get("file"), data.get("url")) {
                (Some(Value::Object(file)), _) => file.get("url").and_then(Value::as_str),
                (_, Some(Value::String(url))) => Some(url.as_str()),
                _ => None,
            }
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .ok_or_else(|| FieldError::bad(format!("{d}.file.url"), "The image needs a URL."))?;
            let lower = url.to_ascii_lowercase();
            if url.contains(|c: char| c.is_whitespace() || c.is_control() || "\"<>\\`".contains(c))
            {
                return Err(FieldError::bad(
                    format!("{d}.file.url"),
                    "The image URL is not a valid URL.",
                ));
            }
            if !(lower.starts_with("https://")
                || lower.starts_with("http://")
                || lower.starts_with("data:image/"))
            {
                return Err(FieldError::bad(
                    format!("{d}.file.url"),
                    "The image URL must be http(s) or a data:image URI.",
                ));
            }
            let caption = optional("caption")?.unwrap_or_default();
            let alt = html_to_text(&inline(&caption), false);
            let figcaption = if caption.trim().is_empty() {
                String::new()
            } else {
                format!("<figcaption>{}</figcaption>", inline(&caption))
            };
            format!(
                "<figure><img src=\"{}\" alt=\"{}\">{figcaption}</figure>",
                escape(url),
                escape(alt.trim())
            )
        }
        other => {
            return Err(FieldError::bad(
                format!("{at}.type"),
                format!(
                    "Unknown block type '{other}' (paragraph, header, list, quote, code, delimiter, image)."
                ),
            ));
        }
    })
}

/// An editorjs list: items as strings (list 1.x) or `{content, items, meta}` (nested list 2.x).
pub(super) fn render_list(
    style: &str,
    items: Option<&Value>,
    field: &str,
    depth: usize,
) -> Result<String, FieldError> {
    if depth >= MAX_LIST_DEPTH {
        return Err(FieldError::bad(field, "The list is nested too deeply."));
    }
    let items = match items {
        Some(Value::Array(items)) => items,
        None | Some(Value::Null) if depth > 0 => return Ok(String::new()),
        _ => return Err(FieldError::bad(field, "items must be an array.")),
    };
    if items.is_empty() && depth > 0 {
        return Ok(String::new());
    }
    let tag = if style == "ordered" { "ol" } else { "ul" };
    let mut html = format!("<{tag}>");
    for (i, item) in items.iter().enumerate() {
        let at = format!("{field}[{i}]");
        let (content, checked, children) = match item {
            Value::String(s) => (s.clone(), false, None),
            Value::Object(obj) => {
                let content = match obj.get("content").or_else(|| obj.get("text")) {
                    Some(Value::String(s)) => s.clone(),
                    _ => {
                        return Err(FieldError::bad(
                            format!("{at}.content"),
                            "A list item needs its content as a string.",
                        ));
                    }
                };
                let checked = obj
                    .get("meta")
                    .and_then(|m| m.get("checked"))
                    .or_else(|| obj.get("checked"))
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                (content, checked, obj.get("items"))
            }
            _ => {
                return Err(FieldError::bad(
                    at,
                    "A list item must be a string or an object.",
                ));
            }
        };
        let marker = match (style, checked) {
            ("checklist", true) => "☑ ",
            ("checklist", false) => "☐ ",
            _ => "",
        };
        let nested = render_list(style, children, &format!("{at}.items"), depth + 1)?;
        html.push_str(&format!("<li>{marker}{}{nested}</li>", inline(&content)));
    }
    html.push_str(&format!("</{tag}>"));
    Ok(html)
}

/// editorjs inline HTML reduced to inline markup (scripts and their content dropped).
pub(super) fn inline(text: &str) -> String {
    let mut b = ammonia::Builder::empty();
    b.add_tags([
        "b", "strong", "i", "em", "u", "s", "strike", "del", "mark", "code", "a", "br", "span",
        "sub", "sup", "small",
    ])
    .add_tag_attributes("a", ["href"])
    .clean_content_tags(std::collections::HashSet::from(["script", "style"]))
    .url_schemes(std::collections::HashSet::from([
        "http", "https", "mailto", "tel",
    ]))
    .link_rel(Some("noopener noreferrer nofollow"));
    b.clean(text).to_string()
}
