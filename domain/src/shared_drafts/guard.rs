//! What every peer's update to a draft must satisfy: shallow, with safe attributes
//! (docs/input-rules.md, "Shapes"; docs/collab-editing.md §7.1).
//!
//! yrs deletes and garbage-collects a branch (an XML element, text, map or array) by recursing
//! into its children, so a document holding a chain of nested branches thousands deep aborts
//! the process (a stack overflow is no panic) the moment anybody deletes its top: a REST
//! write replacing the body, a peer's deletion, or the collection at the end of the very
//! transaction that inserted the chain under an already deleted parent. The guard here keeps
//! the invariant "no branch nests deeper than [`MAX_BRANCH_DEPTH`]" for every update applied:
//!
//! 1. decoding with yrs' own decoder, counting the branches the update creates (each type
//!    reference yrs reads is one new branch); more than [`MAX_NEW_BRANCHES`] is refused before
//!    anything is applied;
//! 2. applying on a stack sized for the deepest recursion the update can cause
//!    (`MAX_BRANCH_DEPTH` + its new branches levels), so even an update that deletes the top of
//!    its own chain cannot overflow;
//! 3. measuring the depth of every branch the update created (walking up to the root, at most
//!    `MAX_BRANCH_DEPTH` steps each); a deeper one takes the whole update back (its items are
//!    deleted, on the same large stack) and the update is refused;
//! 4. checking the attributes of every element the update created or changed, and the
//!    formatting marks of every text it created or changed, against the HTML sanitiser's rules
//!    (`tickets::sanitize::draft_attribute_allowed`): a `javascript:` link or an SVG image must
//!    not reach the other editors; such an update is taken back too;
//! 5. stashed updates waiting for missing predecessors are dropped, so nothing integrates later
//!    outside this count.
//!
//! A refused update is neither relayed nor stored; deletions it made cannot be undone in a
//! CRDT and stay on the server only (the peers that sent nothing wrong never see them).

use std::sync::{Arc, Mutex};

use yrs::block::ClientID;
use yrs::branch::{Branch, BranchID, BranchPtr};
use yrs::encoding::read::{Cursor, Error, Read};
use yrs::encoding::write::Write;
use yrs::types::text::YChange;
use yrs::types::xml::{XmlFragmentRef, XmlOut};
use yrs::types::{Delta, EntryChange, Event};
use yrs::{DeepObservable, Out, Text, Xml};

use crate::tickets::sanitize;
use yrs::updates::decoder::{Decode, Decoder, DecoderV1};
use yrs::updates::encoder::{Encode, Encoder, EncoderV1};
use yrs::{
    Any, Assoc, Doc, ID, IdSet, ReadTxn, StateVector, StickyIndex, Transact, TransactionMut,
    Update, WriteTxn,
};

/// The deepest nesting of branches a draft may hold (the composer's schema needs fewer than
/// ten: a list item's paragraph inside a blockquote inside a list …; the REST projection reads
/// 32 element levels, see `content::MAX_DOCUMENT_DEPTH`).
pub const MAX_BRANCH_DEPTH: usize = 64;

/// The most branches one update may create (a paste of a few thousand paragraphs and list
/// items stays far below it).
pub const MAX_NEW_BRANCHES: usize = 50_000;

/// Stack one level of yrs' recursive delete and collection takes, with a wide margin (measured
/// at about 0.4 KiB per level in a debug build).
const STACK_PER_LEVEL: usize = 2 * 1024;

/// Stack for everything around the recursion.
const STACK_BASE: usize = 256 * 1024;

/// Why an update was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not a y-sync v1 update.
    Malformed,
    /// More than [`MAX_NEW_BRANCHES`] new branches.
    TooManyBranches,
    /// A branch deeper than [`MAX_BRANCH_DEPTH`]; nothing of the update stays.
    TooDeep,
    /// An attribute or formatting mark the HTML sanitiser would not keep (a `javascript:`
    /// link, an SVG `data:` image, …); nothing of the update stays.
    UnsafeAttribute,
    /// yrs refused it (or panicked on it).
    Rejected,
}

/// Decodes a v1 update with yrs' decoder: the update and the number of branches it creates.
pub fn decode(update: &[u8]) -> Result<(Update, usize), Refusal> {
    let mut decoder = CountingDecoder {
        inner: DecoderV1::new(Cursor::new(update)),
        type_refs: 0,
    };
    let decoded = Update::decode(&mut decoder);
    if decoder.type_refs > MAX_NEW_BRANCHES {
        return Err(Refusal::TooManyBranches);
    }
    Ok((decoded.map_err(|_| Refusal::Malformed)?, decoder.type_refs))
}

/// Applies a v1 update from an untrusted peer (see the module comment); `Ok(true)` when it
/// changed the document.
pub fn apply(doc: &Doc, update: &[u8]) -> Result<bool, Refusal> {
    let (update, new_branches) = decode(update)?;
    let deletes = !update.delete_set().is_empty();
    let stack = STACK_BASE + (MAX_BRANCH_DEPTH + new_branches) * STACK_PER_LEVEL;
    // the transactions end (and collect what was deleted) inside the closure, on that stack
    stacker::maybe_grow(stack, stack, || {
        // attribute and formatting changes to existing elements and texts are reported to
        // observers when the transaction commits
        let changes = ChangeWatch::start(doc);
        let mut txn = doc.transact_mut();
        let before = txn.state_vector();
        let applied = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            txn.apply_update(update).map_err(|_| Refusal::Rejected)
        }))
        .unwrap_or(Err(Refusal::Rejected));
        if txn.has_missing_updates() {
            // blocks or deletions waiting for predecessors the server never had
            txn.prune_pending();
        }
        let after = txn.state_vector();
        let created = match (&applied, new_branches) {
            (Ok(()), 1..) => new_branches_of(&txn, &before, &after),
            _ => Vec::new(),
        };
        let verdict = if created
            .iter()
            .any(|b| depth_of(&txn, *b) > MAX_BRANCH_DEPTH)
        {
            Err(Refusal::TooDeep)
        } else if let Some(found) = created.iter().find_map(|b| unsafe_attribute(&txn, *b)) {
            Err(refused_attribute(&found))
        } else {
            applied.map(|()| deletes || after != before)
        };
        if verdict.is_err() {
            take_back(&mut txn, &before, &after);
        }
        drop(txn);
        match (verdict, changes.finish()) {
            (Ok(_), Some(found)) => {
                take_back(&mut doc.transact_mut(), &before, &after);
                Err(refused_attribute(&found))
            }
            (verdict, _) => verdict,
        }
    })
}

fn refused_attribute(found: &str) -> Refusal {
    tracing::info!(attribute = %found, "a shared-draft update with an unsafe attribute was refused");
    Refusal::UnsafeAttribute
}

/// A deep observer on the draft body for one transaction: the first unsafe attribute or
/// formatting mark it changed on an element or text that existed before.
struct ChangeWatch {
    body: yrs::XmlFragmentRef,
    found: Arc<Mutex<Option<String>>>,
}

const WATCH_KEY: &str = "tandem-guard";

impl ChangeWatch {
    fn start(doc: &Doc) -> ChangeWatch {
        let body = doc.get_or_insert_xml_fragment(super::document::BODY);
        let found: Arc<Mutex<Option<String>>> = Arc::default();
        let sink = found.clone();
        body.observe_deep(WATCH_KEY, move |txn, events| {
            let mut slot = sink.lock().unwrap_or_else(|e| e.into_inner());
            if slot.is_none() {
                *slot = events.iter().find_map(|event| unsafe_change(txn, event));
            }
        });
        ChangeWatch { body, found }
    }

    /// Stops watching; what was found.
    fn finish(self) -> Option<String> {
        self.found.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

impl Drop for ChangeWatch {
    fn drop(&mut self) {
        self.body.unobserve_deep(WATCH_KEY);
    }
}

/// An unsafe value among the attributes an event set on an element, or the formatting it put
/// on text.
fn unsafe_change(txn: &TransactionMut, event: &Event) -> Option<String> {
    match event {
        Event::XmlFragment(event) => {
            let XmlOut::Element(element) = event.target() else {
                return None;
            };
            let tag = element.tag().to_string();
            event
                .keys(txn)
                .iter()
                .find_map(|(name, change)| match change {
                    EntryChange::Inserted(value) | EntryChange::Updated(_, value) => {
                        out_verdict(&tag, name, value)
                    }
                    EntryChange::Removed(_) => None,
                })
        }
        Event::XmlText(event) => event.delta(txn).iter().find_map(|delta| match delta {
            Delta::Inserted(_, Some(marks)) | Delta::Retain(_, Some(marks)) => marks_verdict(marks),
            _ => None,
        }),
        _ => None,
    }
}

/// The branches created between the two states.
fn new_branches_of<T: ReadTxn>(
    txn: &T,
    before: &StateVector,
    after: &StateVector,
) -> Vec<BranchPtr> {
    let mut created = Vec::new();
    for (client, clock) in after.iter() {
        for at in before.get(client)..*clock {
            if let Some(branch) = BranchID::get_nested(txn, &ID::new(*client, at)) {
                created.push(branch);
            }
        }
    }
    created
}

/// The first attribute of `branch` (an element's attributes, a text's formatting marks) that
/// the sanitiser would not keep as it is, as `element attribute=value`.
fn unsafe_attribute<T: ReadTxn>(txn: &T, branch: BranchPtr) -> Option<String> {
    match XmlOut::try_from(branch) {
        Ok(XmlOut::Element(element)) => {
            let tag = element.tag().to_string();
            element
                .attributes(txn)
                .find_map(|(name, value)| out_verdict(&tag, name, &value))
        }
        Ok(XmlOut::Text(text)) => text
            .diff(txn, YChange::identity)
            .into_iter()
            .find_map(|chunk| chunk.attributes.and_then(|marks| marks_verdict(&marks))),
        _ => None,
    }
}

/// [`value_verdict`] for an attribute value, which must be a plain value.
fn out_verdict(element: &str, attribute: &str, value: &Out) -> Option<String> {
    match value {
        Out::Any(any) => value_verdict(element, attribute, any),
        _ => Some(format!("{element} {attribute}=<a shared type>")),
    }
}

/// [`value_verdict`] for formatting marks: each mark's fields (a Tiptap `link` mark is
/// `{"href": …, "target": …, …}`).
fn marks_verdict(marks: &yrs::types::Attrs) -> Option<String> {
    marks.iter().find_map(|(mark, value)| match value {
        Any::Map(fields) => fields
            .iter()
            .find_map(|(name, field)| value_verdict(mark, name, field)),
        other => value_verdict(mark, mark, other),
    })
}

/// `Some(description)` when `value` of `attribute` on `element` (named as in the composer's
/// schema: the `image` node is an HTML `img`, the `link` mark an `a`) is something the HTML
/// sanitiser would not keep as it is (`tickets::sanitize::draft_attribute_allowed`).
fn value_verdict(element: &str, attribute: &str, value: &Any) -> Option<String> {
    let element = match element {
        "image" => "img",
        "link" => "a",
        other => other,
    };
    match value {
        Any::String(text) if !sanitize::draft_attribute_allowed(element, attribute, text) => {
            Some(format!("{element} {attribute}={text}"))
        }
        Any::String(_) | Any::Null | Any::Undefined | Any::Bool(_) | Any::Number(_) => None,
        other => Some(format!("{element} {attribute}={other}")), // nested values
    }
}

/// How many branches lie above `branch` (up to [`MAX_BRANCH_DEPTH`] + 1).
fn depth_of<T: ReadTxn>(txn: &T, mut branch: BranchPtr) -> usize {
    let mut depth = 0;
    while depth <= MAX_BRANCH_DEPTH {
        let BranchID::Nested(id) = branch.id() else {
            return depth; // a root
        };
        // XML parents are one pointer away; any other parent (a map or an array) is found
        // through the item's position
        let parent = match XmlFragmentRef::from(branch).parent() {
            Some(xml) => Some(xml_branch(xml)),
            None => StickyIndex::from_id(id, Assoc::After)
                .get_offset(txn)
                .map(|offset| offset.branch),
        };
        match parent {
            Some(parent) => branch = parent,
            None => return depth, // parent collected: nothing above to count
        }
        depth += 1;
    }
    depth
}

fn xml_branch(xml: yrs::XmlOut) -> BranchPtr {
    match xml {
        yrs::XmlOut::Element(e) => BranchPtr::from(AsRef::<Branch>::as_ref(&e)),
        yrs::XmlOut::Fragment(f) => BranchPtr::from(AsRef::<Branch>::as_ref(&f)),
        yrs::XmlOut::Text(t) => BranchPtr::from(AsRef::<Branch>::as_ref(&t)),
    }
}

/// Deletes every item created between the two states (the update that made them is refused).
fn take_back(txn: &mut TransactionMut, before: &StateVector, after: &StateVector) {
    let mut created = IdSet::new();
    for (client, clock) in after.iter() {
        let from = before.get(client);
        if *clock > from {
            created.insert(ID::new(*client, from), clock - from);
        }
    }
    // an update of deletions only: no blocks, then the delete set
    let mut encoder = EncoderV1::new();
    encoder.write_var(0u32);
    created.encode(&mut encoder);
    let taken_back = Update::decode_v1(&encoder.to_vec())
        .map_err(|e| e.to_string())
        .and_then(|undo| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| txn.apply_update(undo)))
                .map_err(|_| "yrs panicked".to_string())?
                .map_err(|e| e.to_string())
        });
    if let Err(e) = taken_back {
        // the refused update's items stay (the peer is told; nothing is relayed or stored)
        tracing::error!(error = %e, "a refused shared-draft update could not be taken back");
    }
}

/// yrs' v1 decoder, counting the type references it reads (one per branch in the update).
struct CountingDecoder<'a> {
    inner: DecoderV1<'a>,
    type_refs: usize,
}

impl Read for CountingDecoder<'_> {
    fn read_exact(&mut self, len: usize) -> Result<&[u8], Error> {
        self.inner.read_exact(len)
    }

    fn read_u8(&mut self) -> Result<u8, Error> {
        self.inner.read_u8()
    }
}

/// Trait methods that only hand the call to the inner decoder.
macro_rules! forward_to_inner {
    ($($method:ident -> $out:ty;)*) => {
        $(fn $method(&mut self) -> Result<$out, Error> {
            self.inner.$method()
        })*
    };
}

impl Decoder for CountingDecoder<'_> {
    fn reset_ds_cur_val(&mut self) {
        self.inner.reset_ds_cur_val()
    }
    fn read_type_ref(&mut self) -> Result<u8, Error> {
        self.type_refs += 1;
        if self.type_refs > MAX_NEW_BRANCHES {
            // stop decoding early: the update is refused anyway
            return Err(Error::UnexpectedValue);
        }
        self.inner.read_type_ref()
    }
    fn read_to_end(&mut self) -> Result<&[u8], Error> {
        self.inner.read_to_end()
    }
    forward_to_inner! {
        read_ds_clock -> u32;
        read_ds_len -> u32;
        read_left_id -> ID;
        read_right_id -> ID;
        read_client -> ClientID;
        read_info -> u8;
        read_parent_info -> bool;
        read_len -> u32;
        read_any -> Any;
        read_json -> Any;
        read_key -> Arc<str>;
    }
}

#[cfg(test)]
mod tests {
    use yrs::types::xml::{XmlElementPrelim, XmlElementRef, XmlTextPrelim};
    use yrs::{Map, MapPrelim, MapRef, Options, XmlFragment};

    use super::*;
    use crate::shared_drafts::document::{self, BODY, META};

    /// A tokio worker's stack: where rooms apply updates.
    const WORKER_STACK: usize = 2 * 1024 * 1024;

    /// Runs `f` on a thread with `stack` bytes of stack and returns its result.
    fn on_stack<R: Send + 'static>(stack: usize, f: impl FnOnce() -> R + Send + 'static) -> R {
        std::thread::Builder::new()
            .stack_size(stack)
            .spawn(f)
            .expect("thread")
            .join()
            .expect("no panic")
    }

    /// A peer's document (no collection, so building it needs no deep stack).
    fn peer() -> Doc {
        Doc::with_options(Options {
            skip_gc: true,
            ..Options::default()
        })
    }

    /// The update of `doc` since `since`.
    fn diff(doc: &Doc, since: &StateVector) -> Vec<u8> {
        doc.transact().encode_state_as_update_v1(since)
    }

    /// Inserts a chain of `depth` nested elements at the start of the body; returns its top.
    fn chain(txn: &mut TransactionMut, depth: usize) -> XmlElementRef {
        let body = txn.get_or_insert_xml_fragment(BODY);
        let top: XmlElementRef = body.insert(txn, 0, XmlElementPrelim::empty("blockquote"));
        let mut parent = top.clone();
        for _ in 0..depth {
            parent = parent.insert(txn, 0, XmlElementPrelim::empty("blockquote"));
        }
        parent.insert(txn, 0, XmlTextPrelim::new("leaf"));
        top
    }

    fn server_with_text() -> Doc {
        let doc = document::new_doc();
        document::apply_rest(
            &doc,
            serde_json::json!({"body": "<p>kept</p>", "content_type": "text/html"}).as_object(),
            None,
            None,
        );
        doc
    }

    fn body_of(doc: &Doc) -> String {
        document::project(doc).body_html
    }

    #[test]
    fn a_deep_chain_is_refused_whole_and_the_document_stays_usable() {
        let server = server_with_text();
        let (client, sv) = synced_peer(&server);
        chain(&mut client.transact_mut(), 5_000);
        let update = diff(&client, &sv);
        let result = on_stack(WORKER_STACK, move || {
            let outcome = apply(&server, &update);
            // deleting the whole body afterwards recurses no deeper than the limit
            document::apply_rest(
                &server,
                serde_json::json!({"body": "<p>replaced</p>", "content_type": "text/html"})
                    .as_object(),
                None,
                None,
            );
            (outcome, body_of(&server))
        });
        assert_eq!(result, (Err(Refusal::TooDeep), "<p>replaced</p>".into()));
    }

    #[test]
    fn a_chain_within_the_limit_stays() {
        let server = server_with_text();
        let (client, sv) = synced_peer(&server);
        chain(&mut client.transact_mut(), 10);
        assert_eq!(apply(&server, &diff(&client, &sv)), Ok(true));
        assert!(body_of(&server).contains("leaf"));
    }

    #[test]
    fn a_deep_chain_deleted_in_its_own_update_does_not_overflow() {
        // inserting a chain and deleting its top in one update: yrs deletes the chain while
        // applying, recursively, before any check can run
        let client = peer();
        let update = on_stack(256 * 1024 * 1024, move || {
            let mut txn = client.transact_mut();
            chain(&mut txn, 6_000);
            txn.get_or_insert_xml_fragment(BODY)
                .remove_range(&mut txn, 0, 1);
            drop(txn);
            diff(&client, &StateVector::default())
        });
        let server = server_with_text();
        let outcome = on_stack(WORKER_STACK, move || {
            (apply(&server, &update), body_of(&server))
        });
        // refused (deleted branches count too) and, above all, still running
        assert_eq!(outcome, (Err(Refusal::TooDeep), "<p>kept</p>".into()));
    }

    #[test]
    fn a_deep_chain_under_a_deleted_parent_does_not_overflow_when_collected() {
        // the server already deleted the parent: every level integrates as deleted and the
        // commit collects the chain, recursively
        let server = server_with_text();
        let (client, sv) = synced_peer(&server);
        {
            let mut txn = client.transact_mut();
            let body = txn.get_or_insert_xml_fragment(BODY);
            let Some(yrs::XmlOut::Element(paragraph)) = body.get(&txn, 0) else {
                panic!("a paragraph")
            };
            let mut parent = paragraph;
            for _ in 0..6_000 {
                parent = parent.insert(&mut txn, 0, XmlElementPrelim::empty("blockquote"));
            }
        }
        let update = diff(&client, &sv);
        document::apply_rest(
            &server,
            serde_json::json!({"body": "<p>new</p>", "content_type": "text/html"}).as_object(),
            None,
            None,
        );
        let outcome = on_stack(WORKER_STACK, move || {
            let outcome = apply(&server, &update);
            (outcome, body_of(&server))
        });
        assert_eq!(outcome.1, "<p>new</p>");
    }

    #[test]
    fn nested_maps_count_as_depth_too() {
        let server = server_with_text();
        let (client, sv) = synced_peer(&server);
        {
            let mut txn = client.transact_mut();
            let meta = txn.get_or_insert_map(META);
            let mut parent: MapRef = meta.insert(&mut txn, "x", MapPrelim::default());
            for _ in 0..3_000 {
                parent = parent.insert(&mut txn, "x", MapPrelim::default());
            }
        }
        let update = diff(&client, &sv);
        let outcome = on_stack(WORKER_STACK, move || {
            let outcome = apply(&server, &update);
            let meta = server.get_or_insert_map(META);
            let txn = server.transact();
            (outcome, meta.get(&txn, "x").is_none())
        });
        assert_eq!(outcome, (Err(Refusal::TooDeep), true));
    }

    #[test]
    fn too_many_new_branches_are_refused_before_applying() {
        let client = peer();
        {
            let mut txn = client.transact_mut();
            let body = txn.get_or_insert_xml_fragment(BODY);
            for _ in 0..=MAX_NEW_BRANCHES {
                body.insert(&mut txn, 0, XmlElementPrelim::empty("paragraph"));
            }
        }
        let update = diff(&client, &StateVector::default());
        let server = server_with_text();
        assert_eq!(apply(&server, &update), Err(Refusal::TooManyBranches));
        assert_eq!(body_of(&server), "<p>kept</p>");
    }

    /// A peer synced with `server` and its state vector then (what it did since is
    /// `diff(&peer, &sv)`).
    fn synced_peer(server: &Doc) -> (Doc, StateVector) {
        let client = peer();
        client
            .transact_mut()
            .apply_update(Update::decode_v1(&document::snapshot(server)).unwrap())
            .unwrap();
        let sv = client.transact().state_vector();
        (client, sv)
    }

    /// Inserts `<image src=…>` as a peer would (the composer's node name).
    fn image_update(server: &Doc, src: &str) -> Vec<u8> {
        let (client, sv) = synced_peer(server);
        {
            let mut txn = client.transact_mut();
            let body = txn.get_or_insert_xml_fragment(BODY);
            let paragraph: XmlElementRef =
                body.insert(&mut txn, 0, XmlElementPrelim::empty("paragraph"));
            let image: XmlElementRef =
                paragraph.insert(&mut txn, 0, XmlElementPrelim::empty("image"));
            image.insert_attribute(&mut txn, "src", src);
        }
        diff(&client, &sv)
    }

    /// Types `text` as a link to `href` (a Tiptap `link` mark) into a new paragraph.
    fn link_update(server: &Doc, href: &str) -> Vec<u8> {
        let (client, sv) = synced_peer(server);
        {
            let mut txn = client.transact_mut();
            let body = txn.get_or_insert_xml_fragment(BODY);
            let paragraph: XmlElementRef =
                body.insert(&mut txn, 0, XmlElementPrelim::empty("paragraph"));
            let text = paragraph.insert(&mut txn, 0, XmlTextPrelim::new(""));
            let mark = Any::from(std::collections::HashMap::from([(
                "href".to_string(),
                Any::from(href),
            )]));
            let attrs = yrs::types::Attrs::from([(Arc::from("link"), mark)]);
            text.insert_with_attributes(&mut txn, 0, "click", attrs);
        }
        diff(&client, &sv)
    }

    #[test]
    fn unsafe_urls_from_a_peer_are_refused_and_safe_ones_stay() {
        for src in [
            "javascript:alert(1)",
            " java\tscript:alert(1)",
            "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=",
            "data:text/html;base64,PHNjcmlwdD48L3NjcmlwdD4=",
            "vbscript:x",
        ] {
            let src = src.replace("\\t", "\t");
            let server = server_with_text();
            assert_eq!(
                apply(&server, &image_update(&server, &src)),
                Err(Refusal::UnsafeAttribute),
                "{src}"
            );
            assert_eq!(body_of(&server), "<p>kept</p>", "{src}: taken back");
            let server = server_with_text();
            assert_eq!(
                apply(&server, &link_update(&server, &src)),
                Err(Refusal::UnsafeAttribute),
                "link {src}"
            );
            assert_eq!(body_of(&server), "<p>kept</p>", "link {src}: taken back");
        }
        for src in [
            "https://example.com/a.png",
            "/api/v1/attachments/1",
            "cid:logo@example",
            "data:image/png;base64,iVBORw0KGgo=",
        ] {
            let server = server_with_text();
            assert_eq!(
                apply(&server, &image_update(&server, src)),
                Ok(true),
                "{src}"
            );
        }
        for href in [
            "https://example.com",
            "mailto:a@example.com",
            "#top",
            "/tickets/1",
        ] {
            let server = server_with_text();
            assert_eq!(
                apply(&server, &link_update(&server, href)),
                Ok(true),
                "{href}"
            );
            assert!(body_of(&server).contains("click"), "{href}");
        }
    }

    #[test]
    fn changing_an_existing_image_to_an_unsafe_source_is_refused() {
        let server = server_with_text();
        assert_eq!(
            apply(&server, &image_update(&server, "https://a.example/x.png")),
            Ok(true)
        );
        let (client, sv) = synced_peer(&server);
        {
            let mut txn = client.transact_mut();
            let body = txn.get_or_insert_xml_fragment(BODY);
            let Some(XmlOut::Element(paragraph)) = body.get(&txn, 0) else {
                panic!("the paragraph")
            };
            let Some(XmlOut::Element(image)) = paragraph.get(&txn, 0) else {
                panic!("the image")
            };
            image.insert_attribute(&mut txn, "src", "javascript:alert(1)");
        }
        assert_eq!(
            apply(&server, &diff(&client, &sv)),
            Err(Refusal::UnsafeAttribute)
        );
        assert!(!body_of(&server).contains("javascript"));
    }

    #[test]
    fn formatting_existing_text_as_an_unsafe_link_is_refused_and_typing_next_to_links_is_not() {
        let server = server_with_text();
        assert_eq!(
            apply(&server, &link_update(&server, "https://example.com")),
            Ok(true)
        );
        let format_as = |href: &str| {
            let (client, sv) = synced_peer(&server);
            {
                let mut txn = client.transact_mut();
                let body = txn.get_or_insert_xml_fragment(BODY);
                let Some(XmlOut::Element(paragraph)) = body.get(&txn, 1) else {
                    panic!("the first paragraph")
                };
                let Some(XmlOut::Text(text)) = paragraph.get(&txn, 0) else {
                    panic!("its text")
                };
                let mark = Any::from(std::collections::HashMap::from([(
                    "href".to_string(),
                    Any::from(href),
                )]));
                text.format(
                    &mut txn,
                    0,
                    4,
                    yrs::types::Attrs::from([(Arc::from("link"), mark)]),
                );
            }
            diff(&client, &sv)
        };
        assert_eq!(
            apply(&server, &format_as("javascript:alert(1)")),
            Err(Refusal::UnsafeAttribute)
        );
        assert!(
            !body_of(&server).contains("javascript"),
            "{}",
            body_of(&server)
        );
        assert_eq!(
            apply(&server, &format_as("https://tandem.example")),
            Ok(true)
        );
        // typing into the paragraph holding the (safe) link is ordinary
        let (client, sv) = synced_peer(&server);
        {
            let mut txn = client.transact_mut();
            let body = txn.get_or_insert_xml_fragment(BODY);
            let Some(XmlOut::Element(paragraph)) = body.get(&txn, 0) else {
                panic!("the link paragraph")
            };
            let Some(XmlOut::Text(text)) = paragraph.get(&txn, 0) else {
                panic!("its text")
            };
            text.insert(&mut txn, 5, " here");
        }
        assert_eq!(apply(&server, &diff(&client, &sv)), Ok(true));
        assert!(
            body_of(&server).contains("click here"),
            "{}",
            body_of(&server)
        );
    }

    #[test]
    fn garbage_is_malformed() {
        let server = server_with_text();
        assert_eq!(apply(&server, &[0xff, 0xff, 0xff]), Err(Refusal::Malformed));
    }
}
