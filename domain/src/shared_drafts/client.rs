//! A native y-sync client (what the browser's Yjs provider does), without a transport: the
//! integration tests and the co-editing benchmark drive the real WebSocket with it.

use serde_json::Value;
use yrs::sync::awareness::{AwarenessUpdate, AwarenessUpdateEntry};
use yrs::sync::{Message, MessageReader, SyncMessage};
use yrs::types::xml::{XmlElementPrelim, XmlOut, XmlTextPrelim};
use yrs::updates::decoder::DecoderV1;
use yrs::updates::encoder::Encode;
use yrs::{ClientID, Doc, ReadTxn, StateVector, Text, Transact, XmlFragment};

use super::live::MSG_CONTROL;
use super::{content, document};

pub struct SyncClient {
    pub doc: Doc,
    /// Control messages received (`hello`, `saved`, `sent`, …), oldest first.
    pub controls: Vec<Value>,
    /// Awareness states seen from others: client id → JSON (`null` when gone).
    pub peers: std::collections::HashMap<ClientID, String>,
    awareness_clock: u32,
}

impl Default for SyncClient {
    fn default() -> Self {
        Self::new()
    }
}

impl SyncClient {
    pub fn new() -> SyncClient {
        SyncClient {
            doc: document::new_doc(),
            controls: Vec::new(),
            peers: Default::default(),
            awareness_clock: 0,
        }
    }

    /// The first frame after connecting: our state vector (sync step 1).
    pub fn step1(&self) -> Vec<u8> {
        let sv = self.doc.transact().state_vector();
        Message::Sync(SyncMessage::SyncStep1(sv)).encode_v1()
    }

    /// Handles a frame from the server; returns the frames to answer with.
    pub fn receive(&mut self, frame: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut decoder = DecoderV1::from(frame);
        let messages: Vec<_> = MessageReader::new(&mut decoder).flatten().collect();
        for m in messages {
            match m {
                Message::Sync(SyncMessage::SyncStep1(sv)) => {
                    let update = self.doc.transact().encode_state_as_update_v1(&sv);
                    out.push(Message::Sync(SyncMessage::SyncStep2(update)).encode_v1());
                }
                Message::Sync(SyncMessage::SyncStep2(u))
                | Message::Sync(SyncMessage::Update(u)) => {
                    let _ = document::apply_update(&self.doc, &u);
                }
                Message::Awareness(update) => {
                    for (id, entry) in update.clients {
                        self.peers.insert(id, entry.json.to_string());
                    }
                }
                Message::Custom(MSG_CONTROL, data) => {
                    if let Ok(v) = serde_json::from_slice(&data) {
                        self.controls.push(v);
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// The last control message of a kind (`"saved"`, `"hello"`, …).
    pub fn last_control(&self, kind: &str) -> Option<&Value> {
        self.controls
            .iter()
            .rev()
            .find(|c| c.get("t").and_then(Value::as_str) == Some(kind))
    }

    fn changes_since(&self, before: &StateVector) -> Vec<u8> {
        let update = self.doc.transact().encode_state_as_update_v1(before);
        Message::Sync(SyncMessage::Update(update)).encode_v1()
    }

    /// The whole document as one update frame (what a provider resends on reconnect).
    pub fn full_update(&self) -> Vec<u8> {
        self.changes_since(&StateVector::default())
    }

    /// Types `text` at UTF-16 `offset` of top-level paragraph `block` (created, with any
    /// missing paragraphs before it, when absent), as a Tiptap editor would. Returns the
    /// update frame to send.
    pub fn type_text(&self, block: u32, offset: u32, text: &str) -> Vec<u8> {
        let before = self.doc.transact().state_vector();
        let body = self.doc.get_or_insert_xml_fragment(document::BODY);
        {
            let mut txn = self.doc.transact_mut();
            while body.len(&txn) <= block {
                let len = body.len(&txn);
                body.insert(&mut txn, len, XmlElementPrelim::empty("paragraph"));
            }
            if let Some(XmlOut::Element(p)) = body.get(&txn, block) {
                let t = match p.get(&txn, 0) {
                    Some(XmlOut::Text(t)) => t,
                    _ => p.insert(&mut txn, 0, XmlTextPrelim::new("")),
                };
                let len = t.len(&txn);
                t.insert(&mut txn, offset.min(len), text);
            }
        }
        self.changes_since(&before)
    }

    /// Deletes `len` UTF-16 units at `offset` of paragraph `block`'s first text (what a
    /// backspace does; nothing when absent). Returns the update frame to send.
    pub fn delete_text(&self, block: u32, offset: u32, len: u32) -> Vec<u8> {
        let before = self.doc.transact().state_vector();
        let body = self.doc.get_or_insert_xml_fragment(document::BODY);
        {
            let mut txn = self.doc.transact_mut();
            if let Some(XmlOut::Element(p)) = body.get(&txn, block)
                && let Some(XmlOut::Text(t)) = p.get(&txn, 0)
            {
                let total = t.len(&txn);
                let offset = offset.min(total);
                let len = len.min(total - offset);
                if len > 0 {
                    t.remove_range(&mut txn, offset, len);
                }
            }
        }
        self.changes_since(&before)
    }

    /// Appends `depth` blockquotes nested in one another (what no composer sends, but any
    /// peer can). Returns the update frame to send.
    pub fn nested_chain(&self, depth: usize) -> Vec<u8> {
        let before = self.doc.transact().state_vector();
        let body = self.doc.get_or_insert_xml_fragment(document::BODY);
        {
            let mut txn = self.doc.transact_mut();
            let len = body.len(&txn);
            let mut parent = body.insert(&mut txn, len, XmlElementPrelim::empty("blockquote"));
            for _ in 1..depth {
                parent = parent.insert(&mut txn, 0, XmlElementPrelim::empty("blockquote"));
            }
            parent.insert(&mut txn, 0, XmlTextPrelim::new("deep"));
        }
        self.changes_since(&before)
    }

    /// Number of top-level blocks in the body.
    pub fn block_count(&self) -> u32 {
        let body = self.doc.get_or_insert_xml_fragment(document::BODY);
        body.len(&self.doc.transact())
    }

    /// The text of paragraph `block`.
    pub fn block_text(&self, block: u32) -> String {
        let body = self.doc.get_or_insert_xml_fragment(document::BODY);
        let txn = self.doc.transact();
        match body.get(&txn, block) {
            Some(XmlOut::Element(p)) => content::plain_text(&content::read_children(&txn, &p)),
            _ => String::new(),
        }
    }

    /// The body as HTML (what REST shows).
    pub fn html(&self) -> String {
        document::project(&self.doc).body_html
    }

    /// An awareness frame announcing `state` (JSON) for this client.
    pub fn awareness(&mut self, state: &Value) -> Vec<u8> {
        self.awareness_clock += 1;
        Self::awareness_of(
            self.doc.client_id(),
            self.awareness_clock,
            &state.to_string(),
        )
    }

    /// An awareness frame for any client id, clock and JSON state (what a provider sends when
    /// it echoes a state it heard).
    pub fn awareness_of(client: ClientID, clock: u32, json: &str) -> Vec<u8> {
        let clients = std::collections::HashMap::from([(
            client,
            AwarenessUpdateEntry {
                clock,
                json: json.into(),
            },
        )]);
        Message::Awareness(AwarenessUpdate { clients }).encode_v1()
    }

    /// A control message frame of any JSON (`{"t":"flush"}`, or something the server must
    /// refuse).
    pub fn control(value: &Value) -> Vec<u8> {
        Message::Custom(MSG_CONTROL, value.to_string().into_bytes()).encode_v1()
    }
}
