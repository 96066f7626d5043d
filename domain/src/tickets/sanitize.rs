//! HTML on the way in: ammonia with an allow-list fit for e-mail-like article bodies. Inline
//! `data:` images are lifted out into attachments and replaced by `cid:` references.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use base64::Engine;

/// An image found as a data URI in an HTML body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineImage {
    pub content_id: String,
    pub mime_type: String,
    pub bytes: Vec<u8>,
}

/// Raster types that are extracted (never SVG: it can carry script).
const INLINE_TYPES: [(&str, &str); 5] = [
    ("image/png", "png"),
    ("image/jpeg", "jpg"),
    ("image/jpg", "jpg"),
    ("image/gif", "gif"),
    ("image/webp", "webp"),
];

pub fn extension_for(mime: &str) -> &'static str {
    INLINE_TYPES
        .iter()
        .find(|(m, _)| *m == mime)
        .map_or("bin", |(_, e)| e)
}

/// Attributes browsers read as URLs.
const URL_ATTRIBUTES: [&str; 8] = [
    "href",
    "src",
    "cite",
    "action",
    "formaction",
    "background",
    "poster",
    "longdesc",
];

/// A URL attribute's scheme as a browser reads it (the WHATWG URL parser drops tabs and
/// newlines anywhere and leading spaces and controls, so `java&#x09;script:` is `javascript:`),
/// checked against the schemes the sanitiser allows; relative URLs have none and pass.
fn url_scheme_allowed(value: &str, allow_data: bool) -> bool {
    let normalized: String = value
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect::<String>()
        .to_ascii_lowercase();
    let scheme_end = normalized.find([':', '/', '?', '#']);
    match scheme_end {
        Some(i) if normalized[i..].starts_with(':') => {
            let scheme = &normalized[..i];
            matches!(scheme, "http" | "https" | "mailto" | "tel" | "cid")
                || (allow_data && scheme == "data")
        }
        _ => true,
    }
}

/// CSS properties kept in `style` attributes.
pub const STYLE_PROPERTIES: [&str; 15] = [
    "color",
    "background-color",
    "text-align",
    "width",
    "max-width",
    "height",
    "margin-left",
    "margin-right",
    "font-weight",
    "font-style",
    "text-decoration",
    "border",
    "border-collapse",
    "padding",
    "vertical-align",
];

/// A `style` attribute reduced to declarations of [`STYLE_PROPERTIES`] whose values are plain
/// keywords, lengths, percentages and colours (`#abc`, `rgb(…)`, `rgba(…)`, `hsl(…)`): no
/// `url(…)`, no `expression(…)`, no escapes or comments. `None` when nothing is left.
pub fn safe_style(style: &str) -> Option<String> {
    let mut kept = Vec::new();
    for declaration in style.split(';') {
        let Some((property, value)) = declaration.split_once(':') else {
            continue;
        };
        let property = property.trim().to_ascii_lowercase();
        let value = value.trim();
        if !STYLE_PROPERTIES.contains(&property.as_str()) || value.is_empty() || value.len() > 200 {
            continue;
        }
        let plain = value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " #%.,-!()".contains(c));
        let lower = value.to_ascii_lowercase();
        let functions_ok = lower.split('(').count() == 1
            || lower.split('(').rev().skip(1).all(|before| {
                let name = before
                    .rsplit(|c: char| !c.is_ascii_alphabetic())
                    .next()
                    .unwrap_or_default();
                matches!(name, "rgb" | "rgba" | "hsl" | "hsla")
            });
        if plain && functions_ok {
            kept.push(format!("{property}: {value}"));
        }
    }
    (!kept.is_empty()).then(|| kept.join("; "))
}

/// The allow-list of docs/collab-editing.md §8: e-mail-like markup, a narrow set of inline styles,
/// no scripts, no event handlers, no stylesheets.
fn builder() -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::default();
    b.add_tags(["font"])
        .add_tag_attributes("img", ["src", "alt", "title", "width", "height", "style"])
        .add_tag_attributes("a", ["target", MENTION_ATTRIBUTE])
        .add_tag_attributes("td", ["style", "colspan", "rowspan"])
        .add_tag_attributes("th", ["style", "colspan", "rowspan"])
        .add_tag_attributes("table", ["style", "border", "cellpadding", "cellspacing"])
        .add_tag_attributes("div", ["data-signature", "data-signature-id"])
        .add_tag_attributes("blockquote", ["type", "cite"])
        .add_tag_attributes("code", ["class"])
        .add_tag_attributes("font", ["color", "size", "face"])
        .add_generic_attributes(["style", "dir"])
        .filter_style_properties(HashSet::from(STYLE_PROPERTIES))
        .url_schemes(HashSet::from(["http", "https", "mailto", "tel", "cid"]))
        .link_rel(Some("noopener noreferrer nofollow"));
    b
}

/// The attribute of a mention link (Zammad's `<a data-mention-user-id="5" href=…>Name</a>`):
/// kept on links only, and only holding a user id ([`mention_user_id`]).
pub const MENTION_ATTRIBUTE: &str = "data-mention-user-id";

/// The user id a mention link's `data-mention-user-id` holds: 1 to 18 ASCII digits, not 0.
/// Anything else is no id (the sanitiser drops it, the mention check skips it).
pub fn mention_user_id(value: &str) -> Option<i64> {
    if value.is_empty() || value.len() > 18 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse::<i64>().ok().filter(|id| *id > 0)
}

/// `class` survives only as a code block's language (`<code class="language-rust">`).
fn keep_class(element: &str, value: &str) -> bool {
    element == "code"
        && value.strip_prefix("language-").is_some_and(|lang| {
            !lang.is_empty()
                && lang.len() <= 40
                && lang
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '#'))
        })
}

/// The attribute rules every variant shares: `class` only for code languages, `style` from
/// the allow-list, URL attributes with an allowed scheme, `cid:` only on images. `Some`: the
/// verdict (`Some(None)` drops the attribute); `None`: the variant decides.
fn common_rules<'a>(
    element: &str,
    attribute: &str,
    value: &'a str,
    allow_data: bool,
) -> Option<Option<std::borrow::Cow<'a, str>>> {
    if attribute == "class" {
        return Some(keep_class(element, value).then(|| value.into()));
    }
    if attribute == "style" {
        return Some(safe_style(value).map(Into::into));
    }
    if attribute == MENTION_ATTRIBUTE {
        return Some((element == "a" && mention_user_id(value).is_some()).then(|| value.into()));
    }
    if URL_ATTRIBUTES.contains(&attribute) && !url_scheme_allowed(value, allow_data) {
        return Some(None);
    }
    let lower = value.trim_start().to_ascii_lowercase();
    if lower.starts_with("cid:") && !is_image_source(element, attribute) {
        return Some(None); // cid: only names inline images
    }
    None
}

fn is_image_source(element: &str, attribute: &str) -> bool {
    element == "img" && attribute == "src"
}

/// Sanitises an HTML body and extracts its inline data-URI images. `make_content_id` names
/// each image (`<ticket>.<random>@<fqdn>`).
pub fn html_with_inline_images(
    html: &str,
    make_content_id: impl Fn() -> String + Send + Sync + 'static,
) -> (String, Vec<InlineImage>) {
    let found: Arc<Mutex<Vec<InlineImage>>> = Arc::default();
    let sink = found.clone();
    let mut b = builder();
    // `data:` passes the scheme check only to reach this filter, which turns raster images
    // into `cid:` references and drops every other data URI, on any element.
    b.add_url_schemes(["data"]);
    b.attribute_filter(move |element, attribute, value| {
        if let Some(verdict) = common_rules(element, attribute, value, true) {
            return verdict;
        }
        let lower = value.trim_start().to_ascii_lowercase();
        if !lower.starts_with("data:") {
            return Some(value.into());
        }
        if is_image_source(element, attribute)
            && let Some(image) = decode_data_uri(value)
        {
            let content_id = make_content_id();
            let reference = format!("cid:{content_id}");
            sink.lock().expect("inline image list").push(InlineImage {
                content_id,
                ..image
            });
            return Some(reference.into());
        }
        None
    });
    let clean = b.clean(html).to_string();
    let images = std::mem::take(&mut *found.lock().expect("inline image list"));
    (clean, images)
}

/// Sanitises HTML that must not contain inline data images (`data:` URIs are dropped).
pub fn html(html: &str) -> String {
    let mut b = builder();
    b.attribute_filter(|element, attribute, value| {
        if let Some(verdict) = common_rules(element, attribute, value, false) {
            return verdict;
        }
        Some(value.into())
    });
    b.clean(html).to_string()
}

/// Sanitises a shared draft's body: like [`html`], but raster `data:` images stay inline on
/// `<img src>` (a Zammad draft keeps pasted images as data URIs until it is sent).
pub fn draft_html(html: &str) -> String {
    let mut b = builder();
    b.add_url_schemes(["data"]);
    b.attribute_filter(|element, attribute, value| {
        if let Some(verdict) = common_rules(element, attribute, value, true) {
            return verdict;
        }
        let lower = value.trim_start().to_ascii_lowercase();
        if lower.starts_with("data:") {
            let raster = INLINE_TYPES
                .iter()
                .any(|(mime, _)| lower.starts_with(&format!("data:{mime};base64,")));
            return (raster && is_image_source(element, attribute)).then(|| value.into());
        }
        Some(value.into())
    });
    b.clean(html).to_string()
}

/// Whether a co-editing document may carry `value` in `attribute` of the HTML element
/// `element` (the composer's `image` node is `img`, its `link` mark `a`): what [`draft_html`]
/// would keep unchanged. URL attributes need an allowed scheme (raster `data:` images only on
/// an image's `src`, `cid:` only there too), `style` only allowed declarations, `class` only a
/// code language.
pub fn draft_attribute_allowed(element: &str, attribute: &str, value: &str) -> bool {
    if let Some(verdict) = common_rules(element, attribute, value, true) {
        return verdict.is_some_and(|kept| kept == value);
    }
    let lower = value.trim_start().to_ascii_lowercase();
    if lower.starts_with("data:") && URL_ATTRIBUTES.contains(&attribute) {
        let raster = INLINE_TYPES
            .iter()
            .any(|(mime, _)| lower.starts_with(&format!("data:{mime};base64,")));
        return raster && is_image_source(element, attribute);
    }
    true
}

fn decode_data_uri(value: &str) -> Option<InlineImage> {
    let rest = value
        .trim()
        .strip_prefix("data:")
        .or_else(|| value.trim().strip_prefix("DATA:"))?;
    let (meta, data) = rest.split_once(',')?;
    let mime = meta.strip_suffix(";base64")?.to_ascii_lowercase();
    INLINE_TYPES.iter().find(|(m, _)| *m == mime)?;
    let cleaned: String = data.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(cleaned)
        .ok()?;
    let mime = if mime == "image/jpg" {
        "image/jpeg".to_string()
    } else {
        mime
    };
    Some(InlineImage {
        content_id: String::new(),
        mime_type: mime,
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_handlers_and_javascript_urls_are_removed() {
        let dirty = r#"<p onclick="x()">Hi<script>alert(1)</script><a href="javascript:alert(2)">l</a><img src=x onerror="alert(3)"></p>"#;
        let clean = html(dirty);
        for bad in ["script", "onclick", "javascript:", "onerror", "alert"] {
            assert!(!clean.contains(bad), "{bad} survived in {clean}");
        }
        assert!(clean.contains("<p>Hi"));
    }

    #[test]
    fn url_attributes_are_checked_as_browsers_read_them() {
        for hidden in [
            "<del cite=\"java&#x09;script:alert(1)\">x</del>",
            "<a href=\" \u{1}javascript:alert(1)\">x</a>",
            "<a href=\"jav&#x0A;ascript:alert(1)\">x</a>",
            "<blockquote cite=\"vbscript:x\">q</blockquote>",
        ] {
            let clean = html(hidden);
            assert!(
                !clean.to_ascii_lowercase().contains("script:"),
                "{hidden} → {clean}"
            );
        }
        assert!(html("<a href=\"/relative?a=b\">x</a>").contains("href=\"/relative?a=b\""));
        assert!(html("<a href=\"mailto:a@b.test\">x</a>").contains("mailto:"));
    }

    #[test]
    fn style_values_are_plain_keywords_lengths_and_colours() {
        assert_eq!(
            safe_style("color: red; width: expression(alert(1)); position: fixed"),
            Some("color: red".into())
        );
        assert_eq!(safe_style("background-color: url(javascript:x)"), None);
        assert_eq!(
            safe_style("color: rgb(1, 2, 3) !important").as_deref(),
            Some("color: rgb(1, 2, 3) !important")
        );
        assert_eq!(safe_style("color: r\\65 d"), None);
        assert_eq!(
            safe_style("width: 50%; /* c */ height: 2px"),
            Some("width: 50%".into())
        );
        let clean = html(r#"<p style="width: expression(alert(1)); color: #fff">x</p>"#);
        assert!(!clean.contains("expression"), "{clean}");
        assert!(clean.contains("color"), "{clean}");
    }

    #[test]
    fn styles_are_narrowed_and_cid_stays_on_images() {
        let clean = html(
            r#"<p style="position: fixed; width: 1000px; background-image: url(x)">a</p><a href="cid:x">l</a><img src="cid:y">"#,
        );
        assert!(
            clean.contains("width:1000px") || clean.contains("width: 1000px"),
            "{clean}"
        );
        assert!(
            !clean.contains("position") && !clean.contains("background-image"),
            "{clean}"
        );
        assert!(!clean.contains("href=\"cid:"), "{clean}");
        assert!(clean.contains("src=\"cid:y\""), "{clean}");
    }

    #[test]
    fn mention_links_keep_their_user_id_and_nothing_else_does() {
        let link = r#"<a data-mention-user-id="12" rel="nofollow noreferrer noopener" href="/users/12" target="_blank">Bob Agent</a>"#;
        for clean in [
            html(link),
            draft_html(link),
            html_with_inline_images(link, || "c".into()).0,
        ] {
            assert!(clean.contains(r#"data-mention-user-id="12""#), "{clean}");
            assert!(clean.contains(r#"href="/users/12""#), "{clean}");
        }
        for bad in ["x", "12 ", "-3", "0", "1e3", "", "1234567890123456789"] {
            let clean = html(&format!(
                r#"<a data-mention-user-id="{bad}" href="/u">x</a>"#
            ));
            assert!(!clean.contains("data-mention"), "{bad:?} → {clean}");
        }
        // only on links
        let clean =
            html(r#"<span data-mention-user-id="12">x</span><p data-mention-user-id="3">y</p>"#);
        assert!(!clean.contains("data-mention"), "{clean}");
        // the co-editing guard's verdict is the same
        assert!(draft_attribute_allowed("a", MENTION_ATTRIBUTE, "12"));
        assert!(!draft_attribute_allowed("a", MENTION_ATTRIBUTE, "12; x"));
        assert!(!draft_attribute_allowed("img", MENTION_ATTRIBUTE, "12"));
        assert_eq!(mention_user_id("0042"), Some(42));
    }

    #[test]
    fn data_links_are_dropped() {
        let (clean, images) = html_with_inline_images(
            r#"<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>"#,
            || "c".into(),
        );
        assert!(images.is_empty());
        assert!(!clean.contains("data:"), "{clean}");
    }

    #[test]
    fn png_data_uri_becomes_cid_and_svg_is_dropped() {
        let png = base64::engine::general_purpose::STANDARD.encode([137u8, 80, 78, 71]);
        let body = format!(
            r#"<p>a<img src="data:image/png;base64,{png}"><img src="data:image/svg+xml;base64,PHN2Zz4="></p>"#
        );
        let (clean, images) = html_with_inline_images(&body, || "1.abc@host".into());
        assert_eq!(images.len(), 1);
        assert_eq!(images[0].mime_type, "image/png");
        assert_eq!(images[0].bytes, vec![137u8, 80, 78, 71]);
        assert!(clean.contains(r#"src="cid:1.abc@host""#), "{clean}");
        assert!(!clean.contains("svg"), "{clean}");
    }
}
