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

fn builder() -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::default();
    b.add_tags([
        "img",
        "span",
        "div",
        "font",
        "center",
        "figure",
        "figcaption",
        "s",
        "u",
    ])
    .add_generic_attributes(["style", "title", "dir", "lang", "align"])
    .add_tag_attributes("img", ["src", "alt", "width", "height"])
    .add_tag_attributes("a", ["href", "title", "target"])
    .add_tag_attributes("td", ["colspan", "rowspan", "valign"])
    .add_tag_attributes("th", ["colspan", "rowspan", "valign"])
    .add_tag_attributes("font", ["color", "size", "face"])
    .add_url_schemes(["cid"])
    .link_rel(Some("noopener noreferrer nofollow"))
    .filter_style_properties(HashSet::from([
        "color",
        "background-color",
        "font-weight",
        "font-style",
        "text-decoration",
        "text-align",
        "font-size",
        "font-family",
        "margin",
        "margin-left",
        "padding",
        "border",
        "width",
        "height",
    ]));
    b
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
        if !value.trim_start().to_ascii_lowercase().starts_with("data:") {
            return Some(value.into());
        }
        if element == "img" && attribute == "src" {
            if let Some(image) = decode_data_uri(value) {
                let content_id = make_content_id();
                let reference = format!("cid:{content_id}");
                sink.lock().expect("inline image list").push(InlineImage {
                    content_id,
                    ..image
                });
                return Some(reference.into());
            }
        }
        None
    });
    let clean = b.clean(html).to_string();
    let images = std::mem::take(&mut *found.lock().expect("inline image list"));
    (clean, images)
}

/// Sanitises HTML that must not contain inline data images.
pub fn html(html: &str) -> String {
    builder().clean(html).to_string()
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

/// Plain text shown inside HTML.
pub fn escape_text(text: &str) -> String {
    ammonia::clean_text(text)
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
