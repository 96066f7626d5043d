use serde_json::json;

use crate::tickets::html_text::html_to_text;

use super::*;

#[test]
fn enums_by_value_or_name() {
    assert_eq!(
        ConversationType::from_json(&json!(4)),
        Some(ConversationType::Forward)
    );
    assert_eq!(
        ConversationType::from_json(&json!("note_private")),
        Some(ConversationType::NotePrivate)
    );
    assert_eq!(ConversationType::from_json(&json!(0)), None);
    assert_eq!(ConversationType::from_json(&json!(7)), None);
    assert_eq!(ConversationType::from_json(&json!(true)), None);
    assert_eq!(Direction::from_json(&json!("7")), Some(Direction::ReplyTo));
    assert_eq!(Direction::from_json(&json!("UNKNOWN")), None);
}

#[test]
fn addresses_are_formatted_and_quoted() {
    assert_eq!(format_address("", "a@b.test"), "a@b.test");
    assert_eq!(format_address("Ann Lee", "a@b.test"), "Ann Lee <a@b.test>");
    assert_eq!(
        format_address("Lee, Ann \"A\"", "a@b.test"),
        "\"Lee, Ann \\\"A\\\"\" <a@b.test>"
    );
    assert_eq!(clean_name(" Ann\r\nBcc: x@y.test "), "Ann Bcc: x@y.test");
}

#[test]
fn text_preview_and_minutes() {
    let html = "<p>Hello &amp; <b>welcome</b></p><blockquote type=\"cite\"><p>old</p></blockquote><p>&gt; quoted</p><p>On Mon, Ann wrote:</p><p>older</p>";
    assert_eq!(
        html_to_text(html, false),
        "Hello & welcome\nold\n> quoted\nOn Mon, Ann wrote:\nolder"
    );
    assert_eq!(html_to_text(html, true), "Hello & welcome");
    assert_eq!(
        html_to_text("<p title=\"a>b\">x&#38;&#x41;</p>", false),
        "x&A"
    );
    assert_eq!(read_minutes(""), 1);
    assert_eq!(read_minutes(&"w ".repeat(200)), 1);
    assert_eq!(read_minutes(&"w ".repeat(201)), 2);
    let long = "word ".repeat(100);
    let preview = plain_preview(&long);
    assert_eq!(preview.chars().count(), 200);
    assert!(preview.ends_with('…'));
}

#[test]
fn editorjs_blocks_render_and_escape() {
    let doc = json!({"time": 1, "version": "2.28", "blocks": [
        {"id": "a", "type": "paragraph", "data": {"text": "Hi <b>there</b><script>alert(1)</script><img src=x onerror=alert(2)>"}},
        {"type": "header", "data": {"text": "Title", "level": 3}},
        {"type": "list", "data": {"style": "ordered", "items": ["one", {"content": "two", "items": [{"content": "two.a", "items": []}]}]}},
        {"type": "quote", "data": {"text": "Wise", "caption": "Someone"}},
        {"type": "code", "data": {"code": "if a < b { \"x\" }"}},
        {"type": "delimiter", "data": {}},
        {"type": "image", "data": {"file": {"url": "https://example.test/a.png?x=1&y='2'"}, "caption": "A <i>cat</i>"}},
    ]});
    let (html, parsed) = render_editorjs(&doc, "e").unwrap();
    assert_eq!(parsed.blocks.len(), 7);
    assert!(html.starts_with("<p>Hi <b>there</b></p>"), "{html}");
    assert!(
        !html.contains("script") && !html.contains("onerror") && !html.contains("alert"),
        "{html}"
    );
    assert!(html.contains("<h3>Title</h3>"));
    assert!(
        html.contains("<ol><li>one</li><li>two<ol><li>two.a</li></ol></li></ol>"),
        "{html}"
    );
    assert!(html.contains("<blockquote><p>Wise</p><footer>Someone</footer></blockquote>"));
    assert!(
        html.contains("<pre><code>if a &lt; b { &quot;x&quot; }</code></pre>"),
        "{html}"
    );
    assert!(html.contains("<hr>"));
    assert!(
        html.contains("src=\"https://example.test/a.png?x=1&amp;y=&#39;2&#39;\""),
        "{html}"
    );
    assert!(html.contains("alt=\"A cat\""), "{html}");
    let bad = json!({"blocks": [{"type": "table", "data": {}}]});
    let err = render_editorjs(&bad, "e").unwrap_err();
    assert_eq!(err.field, "e.blocks[0].type");
    let js = json!({"blocks": [{"type": "image", "data": {"url": "javascript:alert(1)"}}]});
    assert!(render_editorjs(&js, "e").is_err());
}
