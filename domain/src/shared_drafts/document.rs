//! One ticket's reply draft as a yrs document (docs/collab-editing.md §5):
//! `default` (XmlFragment) the body in the composer's schema, `meta` (Map) the article fields
//! (`to`, `cc`, `subject`, `type`, `internal`, …), `ticket` (Map) the ticket attributes to
//! apply on send, `attachments` (Array) the draft's files. Positions are UTF-16 code units, as
//! in Yjs.

use serde_json::{Map, Value};
use yrs::{
    Any, Array, ArrayRef, Doc, Map as _, MapRef, OffsetKind, Options, ReadTxn, StateVector,
    Transact, XmlFragmentRef,
};

use super::content;
use crate::tickets::sanitize;

pub const BODY: &str = "default";
pub const META: &str = "meta";
pub const TICKET: &str = "ticket";
pub const ATTACHMENTS: &str = "attachments";

/// What REST sees of a draft: Zammad's `new_article` (with the derived `body`) and
/// `ticket_attributes`.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    pub body_html: String,
    pub new_article: Value,
    pub ticket_attributes: Value,
}

/// A new, empty draft document with UTF-16 offsets (what Yjs clients use).
pub fn new_doc() -> Doc {
    Doc::with_options(Options {
        offset_kind: OffsetKind::Utf16,
        ..Default::default()
    })
}

fn roots(doc: &Doc) -> (XmlFragmentRef, MapRef, MapRef, ArrayRef) {
    (
        doc.get_or_insert_xml_fragment(BODY),
        doc.get_or_insert_map(META),
        doc.get_or_insert_map(TICKET),
        doc.get_or_insert_array(ATTACHMENTS),
    )
}

pub use super::guard::Refusal as UpdateError;

/// Applies an update from an untrusted peer; `Ok(true)` when it changed the document. The
/// document never holds branches nested deeper than [`super::guard::MAX_BRANCH_DEPTH`]: an
/// update that would build them is refused whole (see [`super::guard`]). yrs still panics on
/// some invalid input; a panic refuses this update instead of taking the server down.
pub fn apply_update(doc: &Doc, update: &[u8]) -> Result<bool, UpdateError> {
    super::guard::apply(doc, update)
}

/// Loads a document from its snapshot and the updates logged after it.
pub fn load(snapshot: &[u8], updates: &[Vec<u8>]) -> Doc {
    let doc = new_doc();
    roots(&doc);
    let stored = (!snapshot.is_empty()).then_some(snapshot);
    for (i, update) in stored
        .into_iter()
        .chain(updates.iter().map(Vec::as_slice))
        .enumerate()
    {
        if let Err(e) = apply_update(&doc, update) {
            // keep what can be read; a damaged row must not make the whole draft unusable
            tracing::error!(part = i, error = ?e, "a stored shared-draft update could not be applied");
        }
    }
    doc
}

/// The whole document as one update (the compacted snapshot).
pub fn snapshot(doc: &Doc) -> Vec<u8> {
    doc.transact()
        .encode_state_as_update_v1(&StateVector::default())
}

fn any_to_json(a: &Any) -> Value {
    serde_json::to_value(a).unwrap_or(Value::Null)
}

fn json_to_any(v: &Value) -> Any {
    serde_json::from_value(v.clone()).unwrap_or(Any::Null)
}

fn map_to_json<T: ReadTxn>(txn: &T, map: &MapRef) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in map.iter(txn) {
        let value = match v {
            yrs::Out::Any(a) => any_to_json(&a),
            _ => Value::Null,
        };
        out.insert(k.to_string(), value);
    }
    out
}

/// The REST projection: body rendered from the XML (and sanitised again: peers are not
/// trusted), the meta map as `new_article`, the ticket map as `ticket_attributes`.
pub fn project(doc: &Doc) -> Projection {
    let (body, meta, ticket, _) = roots(doc);
    let txn = doc.transact();
    let body_html = sanitize::draft_html(&content::to_html(&content::read_children(&txn, &body)));
    let mut new_article = map_to_json(&txn, &meta);
    new_article.insert("body".into(), Value::String(body_html.clone()));
    new_article
        .entry("content_type")
        .or_insert_with(|| Value::String("text/html".into()));
    Projection {
        body_html,
        new_article: Value::Object(new_article),
        ticket_attributes: Value::Object(map_to_json(&txn, &ticket)),
    }
}

/// True when nothing was written into the document yet.
pub fn is_blank(doc: &Doc) -> bool {
    let (body, meta, ticket, list) = roots(doc);
    let txn = doc.transact();
    use yrs::XmlFragment;
    body.len(&txn) == 0 && meta.len(&txn) == 0 && ticket.len(&txn) == 0 && list.len(&txn) == 0
}

/// A REST write (Zammad's `PUT`/`PATCH` of `new_article` and `ticket_attributes`) applied as
/// ONE transaction inside the document: map keys set/removed, the body replaced block by
/// block. A `None` part is left as it is. Returns the update to broadcast.
/// `base`: the blocks as the writer last read them (its GET), when known: then only the
/// writer's own changes are merged, and what editors typed since survives
/// ([`content::merge_blocks`]); otherwise the body is replaced block by block.
pub fn apply_rest(
    doc: &Doc,
    new_article: Option<&Map<String, Value>>,
    ticket_attributes: Option<&Map<String, Value>>,
    base: Option<&[content::SeenBlock]>,
) -> Vec<u8> {
    let (body, meta, ticket, _) = roots(doc);
    let before = doc.transact().state_vector();
    {
        let mut txn = doc.transact_mut();
        if let Some(article) = new_article {
            let html = article
                .get("body")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let plain = article
                .get("content_type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case("text/plain"));
            let html = if plain {
                // a plain-text draft: each line a paragraph
                html.lines()
                    .map(|l| format!("<p>{}</p>", crate::tickets::html_text::escape(l)))
                    .collect::<String>()
            } else {
                sanitize::draft_html(html)
            };
            let wanted = content::from_html(&html);
            match base {
                Some(base) => content::merge_blocks(&mut txn, &body, base, &wanted),
                None => content::replace_blocks(&mut txn, &body, &wanted),
            };
            set_map(&mut txn, &meta, article, &["body"]);
        }
        if let Some(attrs) = ticket_attributes {
            set_map(&mut txn, &ticket, attrs, &[]);
        }
    }
    doc.transact().encode_state_as_update_v1(&before)
}

fn set_map(
    txn: &mut yrs::TransactionMut,
    map: &MapRef,
    wanted: &Map<String, Value>,
    skip: &[&str],
) {
    let stale: Vec<String> = map
        .keys(txn)
        .filter(|k| !wanted.contains_key(*k))
        .map(str::to_string)
        .collect();
    for k in stale {
        map.remove(txn, &k);
    }
    for (k, v) in wanted {
        if skip.contains(&k.as_str()) {
            continue;
        }
        let value = json_to_any(v);
        let same = matches!(map.get(txn, k), Some(yrs::Out::Any(ref a)) if *a == value);
        if !same {
            map.insert(txn, k.as_str(), value);
        }
    }
}

/// The body's top-level blocks with their identities (what a REST reader sees).
pub fn seen_blocks(doc: &Doc) -> Vec<content::SeenBlock> {
    let body = doc.get_or_insert_xml_fragment(BODY);
    content::seen_blocks(&doc.transact(), &body)
}

/// Replaces the `attachments` array (the server is its only writer).
pub fn set_attachments(doc: &Doc, files: &[Value]) -> Vec<u8> {
    let (_, _, _, list) = roots(doc);
    let before = doc.transact().state_vector();
    {
        let mut txn = doc.transact_mut();
        let len = list.len(&txn);
        if len > 0 {
            list.remove_range(&mut txn, 0, len);
        }
        for f in files {
            list.push_back(&mut txn, json_to_any(f));
        }
    }
    doc.transact().encode_state_as_update_v1(&before)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rest_write_projects_back_and_survives_a_reload() {
        let doc = new_doc();
        let article = json!({"body": "<div>Hi <b>there</b><script>x()</script></div>", "type": "email", "internal": false, "to": "a@b.c"});
        let attrs = json!({"state_id": "2", "owner_id": 3});
        apply_rest(&doc, article.as_object(), attrs.as_object(), None);
        let p = project(&doc);
        assert_eq!(p.body_html, "<p>Hi <strong>there</strong></p>");
        assert_eq!(p.new_article["type"], "email");
        assert_eq!(p.new_article["to"], "a@b.c");
        assert_eq!(p.new_article["internal"], false);
        assert_eq!(p.ticket_attributes, attrs);
        let reloaded = load(&snapshot(&doc), &[]);
        assert_eq!(project(&reloaded), p);
        // keys missing from the next write are removed
        apply_rest(&doc, json!({"body": "x"}).as_object(), None, None);
        assert!(project(&doc).new_article.get("to").is_none());
        assert_eq!(project(&doc).ticket_attributes, attrs);
    }

    #[test]
    fn a_rest_write_keeps_what_editors_typed_into_a_block_it_did_not_change() {
        use yrs::XmlFragment;
        let doc = new_doc();
        let type_at_end = |doc: &Doc, typed: &str| {
            let body = doc.get_or_insert_xml_fragment(BODY);
            let mut txn = doc.transact_mut();
            let yrs::XmlOut::Element(p) = body.get(&txn, 0).unwrap() else {
                panic!("paragraph")
            };
            let yrs::XmlOut::Text(text) = p.get(&txn, 0).unwrap() else {
                panic!("text")
            };
            let len = yrs::Text::len(&text, &txn);
            yrs::Text::insert(&text, &mut txn, len, typed);
        };
        apply_rest(
            &doc,
            json!({"body": "<p>Start.</p>"}).as_object(),
            None,
            None,
        );
        // an editor is between two words when a REST client reads the draft
        type_at_end(&doc, " ada-1 ");
        let base = seen_blocks(&doc);
        // and keeps typing into that paragraph
        type_at_end(&doc, "ada-2");
        // the client writes back what it read (its HTML lost the trailing space) plus a paragraph
        let written = json!({"body": "<p>Start. ada-1</p><p>Added over REST.</p>"});
        apply_rest(&doc, written.as_object(), None, Some(&base));
        assert_eq!(
            project(&doc).body_html,
            "<p>Start. ada-1 ada-2</p><p>Added over REST.</p>"
        );
    }

    #[test]
    fn writing_back_an_unchanged_draft_leaves_it_unchanged() {
        // a block straight in a list becomes a list item that starts with a paragraph
        // (`listItem: paragraph block*`), so its HTML reads back as the same item
        for body in [
            "<ul><hr>",
            "<ol><li><h3>t</h3></li><blockquote>q</blockquote></ol>",
        ] {
            let doc = new_doc();
            let article = json!({"body": body, "type": "note"});
            apply_rest(&doc, article.as_object(), None, None);
            let first = project(&doc);
            let seen = seen_blocks(&doc);
            let again = json!({"body": first.body_html, "type": "note"});
            let update = apply_rest(&doc, again.as_object(), None, Some(&seen));
            assert_eq!(project(&doc).body_html, first.body_html, "{body}");
            // not even a no-op change to broadcast
            let untouched = new_doc();
            apply_update(&untouched, &snapshot(&doc)).unwrap();
            assert_eq!(apply_update(&untouched, &update), Ok(false), "{body}");
        }
        let doc = new_doc();
        apply_rest(&doc, json!({"body": "<ul><hr>"}).as_object(), None, None);
        assert_eq!(project(&doc).body_html, "<ul><li><p></p><hr></li></ul>");
    }

    #[test]
    fn garbage_updates_are_refused_without_panicking() {
        let doc = new_doc();
        assert_eq!(
            apply_update(&doc, &[0xff, 0x01, 0x02]),
            Err(UpdateError::Malformed)
        );
        assert_eq!(apply_update(&doc, &[]), Err(UpdateError::Malformed));
        // a real update, cut short, is refused too and leaves the document as it was
        let other = new_doc();
        apply_rest(
            &other,
            json!({"body": "<p>hello</p>"}).as_object(),
            None,
            None,
        );
        let full = snapshot(&other);
        assert!(apply_update(&doc, &full[..full.len() / 2]).is_err());
        assert!(is_blank(&doc));
        // applying it whole changes the document once, a second time not at all
        assert_eq!(apply_update(&doc, &full), Ok(true));
        assert_eq!(apply_update(&doc, &full), Ok(false));
        assert_eq!(project(&doc).body_html, "<p>hello</p>");
    }
}
