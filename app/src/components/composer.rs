//! The reply composer: Tiptap 3 (+ Yjs when co-editing) from `frontend/js`, mounted through
//! wasm-bindgen (docs/collab-editing.md §4), with a Leptos toolbar, file chips and presence.
//! On the server it renders the empty frame; the editor appears when the page hydrates.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "browser")]
mod bridge {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen(module = "/js/composer.bundle.js")]
    extern "C" {
        pub type ReplyHandle;

        #[wasm_bindgen(js_name = mountReply)]
        pub fn mount_reply(el: &web_sys::HtmlElement, opts: &JsValue) -> ReplyHandle;
        #[wasm_bindgen(method)]
        pub fn html(this: &ReplyHandle) -> String;
        #[wasm_bindgen(method, js_name = isEmpty)]
        pub fn is_empty(this: &ReplyHandle) -> bool;
        #[wasm_bindgen(method)]
        pub fn command(this: &ReplyHandle, name: &str, arg: &JsValue) -> bool;
        #[wasm_bindgen(method)]
        pub fn focus(this: &ReplyHandle);
        #[wasm_bindgen(method, js_name = addFiles)]
        pub fn add_files(this: &ReplyHandle, files: &web_sys::FileList);
        #[wasm_bindgen(method, js_name = addCached)]
        pub fn add_cached(this: &ReplyHandle, files: &JsValue);
        #[wasm_bindgen(method, js_name = removeFile)]
        pub fn remove_file(this: &ReplyHandle, id: f64);
        #[wasm_bindgen(method)]
        pub fn sent(this: &ReplyHandle);
        #[wasm_bindgen(method, js_name = setMeta)]
        pub fn set_meta(this: &ReplyHandle, key: &str, value: &JsValue);
        #[wasm_bindgen(method, js_name = setTicketAttr)]
        pub fn set_ticket_attr(this: &ReplyHandle, key: &str, value: &JsValue);
        #[wasm_bindgen(method)]
        pub fn close(this: &ReplyHandle, status: &str);
        #[wasm_bindgen(method)]
        pub fn destroy(this: &ReplyHandle);
    }
}

pub use crate::api::UploadedFile;

/// Another editor of the shared draft (from Yjs awareness).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Peer {
    #[serde(rename = "clientId")]
    pub client_id: f64,
    #[serde(default)]
    pub id: Option<f64>,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub color: String,
    #[serde(default, rename = "self")]
    pub is_self: bool,
}

/// The shared draft's article settings (its `meta` map): what every co-editor's reply options
/// show. Missing keys mean "nobody chose yet".
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DraftMeta {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub internal: Option<bool>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub cc: Option<String>,
    #[serde(default)]
    pub subject: Option<String>,
}

/// An id written by the web app (a string, as Zammad stores ticket attributes) or by a REST
/// client (a number).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AnyId {
    Number(i64),
    Text(String),
}

impl AnyId {
    pub fn id(&self) -> Option<i64> {
        match self {
            AnyId::Number(n) => Some(*n),
            AnyId::Text(t) => t.trim().parse().ok(),
        }
    }
}

/// The shared draft's ticket changes (its `ticket` map): the sidebar's choices.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DraftTicket {
    #[serde(default)]
    pub state_id: Option<AnyId>,
    #[serde(default)]
    pub priority_id: Option<AnyId>,
    #[serde(default)]
    pub group_id: Option<AnyId>,
    #[serde(default)]
    pub owner_id: Option<AnyId>,
}

/// The composer's state, shared with the page that sends the reply.
#[derive(Clone, Copy)]
pub struct ReplyControl {
    pub empty: RwSignal<bool>,
    pub files: RwSignal<Vec<UploadedFile>>,
    pub busy: RwSignal<i32>,
    pub error: RwSignal<Option<String>>,
    pub peers: RwSignal<Vec<Peer>>,
    /// connecting | connected | synced | disconnected | closed | denied | gone (the ticket was
    /// deleted: the draft socket stopped for good) (co-editing only)
    pub status: RwSignal<String>,
    /// Toolbar buttons whose format is active at the caret.
    pub active: RwSignal<Vec<String>>,
    /// Bumped by Ctrl+Enter in the editor.
    pub submits: RwSignal<u32>,
    /// Bumped on every change typed here (drives the "typing" indicator).
    pub edits: RwSignal<u32>,
    /// Co-editing: `Some(true)` once the server confirmed it stored the draft, `Some(false)`
    /// while changes are on their way, `None` before the first change.
    pub saved: RwSignal<Option<bool>>,
    /// Co-editing: the draft's article settings and ticket changes as the others set them.
    pub meta: RwSignal<DraftMeta>,
    pub ticket: RwSignal<DraftTicket>,
    #[cfg(feature = "browser")]
    handle: StoredValue<Option<bridge::ReplyHandle>, LocalStorage>,
}

impl Default for ReplyControl {
    fn default() -> Self {
        ReplyControl::new()
    }
}

impl ReplyControl {
    pub fn new() -> ReplyControl {
        ReplyControl {
            empty: RwSignal::new(true),
            files: RwSignal::new(Vec::new()),
            busy: RwSignal::new(0),
            error: RwSignal::new(None),
            peers: RwSignal::new(Vec::new()),
            status: RwSignal::new(String::new()),
            active: RwSignal::new(Vec::new()),
            submits: RwSignal::new(0),
            edits: RwSignal::new(0),
            saved: RwSignal::new(None),
            meta: RwSignal::new(DraftMeta::default()),
            ticket: RwSignal::new(DraftTicket::default()),
            #[cfg(feature = "browser")]
            handle: StoredValue::new_local(None),
        }
    }

    /// The editor's JS handle, cloned out of its slot: JS runs without any reactive borrow
    /// held (it calls back into the signals), and `None` once the composer or the page is gone.
    #[cfg(feature = "browser")]
    fn js(&self) -> Option<bridge::ReplyHandle> {
        use wasm_bindgen::{JsCast, JsValue};
        self.handle
            .try_with_value(|h| {
                h.as_ref().map(|h| {
                    let value: &JsValue = h;
                    value.clone().unchecked_into::<bridge::ReplyHandle>()
                })
            })
            .flatten()
    }

    /// The reply's HTML (the server sanitises it again).
    pub fn html(&self) -> String {
        #[cfg(feature = "browser")]
        {
            self.js().map(|h| h.html()).unwrap_or_default()
        }
        #[cfg(not(feature = "browser"))]
        String::new()
    }

    /// Whether there is something to send (text or files); false once the page is gone.
    pub fn has_content(&self) -> bool {
        self.empty.try_get_untracked() == Some(false)
            || self.files.try_with_untracked(|f| !f.is_empty()) == Some(true)
    }

    pub fn command(&self, name: &str) {
        #[cfg(feature = "browser")]
        if let Some(h) = self.js() {
            h.command(name, &wasm_bindgen::JsValue::UNDEFINED);
            h.focus();
        }
        #[cfg(not(feature = "browser"))]
        let _ = name;
    }

    /// Puts the caret into the editor (an article's Reply).
    pub fn focus(&self) {
        #[cfg(feature = "browser")]
        if let Some(h) = self.js() {
            h.focus();
        }
    }

    /// Quotes an article's (sanitised) HTML at the end of the reply, as a blockquote.
    pub fn quote(&self, html: &str) {
        #[cfg(feature = "browser")]
        if let Some(h) = self.js() {
            h.command("quote", &wasm_bindgen::JsValue::from_str(html));
        }
        #[cfg(not(feature = "browser"))]
        let _ = html;
    }

    pub fn link(&self, href: &str) {
        #[cfg(feature = "browser")]
        if let Some(h) = self.js() {
            let cmd = if href.is_empty() { "unlink" } else { "link" };
            h.command(cmd, &wasm_bindgen::JsValue::from_str(href));
        }
        #[cfg(not(feature = "browser"))]
        let _ = href;
    }

    #[cfg(feature = "browser")]
    pub fn add_files(&self, files: &web_sys::FileList) {
        if let Some(h) = self.js() {
            h.add_files(files)
        }
    }

    /// Files already in the reply's upload cache (a forwarded article's) become chips.
    pub fn add_cached(&self, files: &[UploadedFile]) {
        #[cfg(feature = "browser")]
        if let Some(h) = self.js()
            && let Ok(json) = serde_json::to_string(files)
            && let Ok(list) = js_sys::JSON::parse(&json)
        {
            h.add_cached(&list)
        }
        #[cfg(not(feature = "browser"))]
        let _ = files;
    }

    pub fn remove_file(&self, id: i64) {
        #[cfg(feature = "browser")]
        if let Some(h) = self.js() {
            h.remove_file(id as f64)
        }
        #[cfg(not(feature = "browser"))]
        let _ = id;
    }

    /// Writes an article setting into the shared draft (co-editing; a no-op otherwise).
    pub fn set_meta_text(&self, key: &str, value: &str) {
        #[cfg(feature = "browser")]
        if let Some(h) = self.js() {
            h.set_meta(key, &wasm_bindgen::JsValue::from_str(value));
        }
        #[cfg(not(feature = "browser"))]
        let _ = (key, value);
    }

    pub fn set_meta_flag(&self, key: &str, value: bool) {
        #[cfg(feature = "browser")]
        if let Some(h) = self.js() {
            h.set_meta(key, &wasm_bindgen::JsValue::from_bool(value));
        }
        #[cfg(not(feature = "browser"))]
        let _ = (key, value);
    }

    /// Writes a sidebar choice into the shared draft (as a string, like Zammad).
    pub fn set_ticket_attr(&self, key: &str, id: i64) {
        #[cfg(feature = "browser")]
        if let Some(h) = self.js() {
            h.set_ticket_attr(key, &wasm_bindgen::JsValue::from_str(&id.to_string()));
        }
        #[cfg(not(feature = "browser"))]
        let _ = (key, id);
    }

    /// The ticket is gone (`status` "gone": deleted): the shared draft's socket stops for good
    /// and the editor turns read-only. A browser cannot tell a refused draft-socket handshake
    /// (404) from an outage, so the page calls this as soon as it learns the ticket is gone;
    /// the composer also does it by itself on the draft room's `ticket_deleted`.
    pub fn close(&self, status: &str) {
        #[cfg(feature = "browser")]
        if let Some(h) = self.js() {
            h.close(status)
        }
        #[cfg(not(feature = "browser"))]
        let _ = status;
    }

    /// After a successful send: clears the editor, the chips and the locally kept copy.
    pub fn sent(&self) {
        #[cfg(feature = "browser")]
        if let Some(h) = self.js() {
            h.sent()
        }
    }
}

/// What the composer is for.
#[derive(Debug, Clone, PartialEq)]
pub struct ComposerSetup {
    /// The upload cache key for this reply's files.
    pub form_id: String,
    pub csrf_token: String,
    /// localStorage key for unsent text (local mode).
    pub storage_key: String,
    pub placeholder: String,
    /// Co-edit the ticket's shared draft: (ticket id, user id, user name).
    pub collab: Option<(i64, i64, String)>,
    /// Formatting toolbar (agents); customers get a plain box.
    pub rich: bool,
    /// False: shows the (shared) draft without letting the user change it.
    pub editable: bool,
    /// `@` mentions agents (agents' replies and new tickets; `None`: no `@` list).
    pub mentions: Option<MentionScope>,
}

/// Whom the composer's `@` list offers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MentionScope {
    /// The agents who may see this ticket (its id): `mention_candidates`.
    Ticket(i64),
    /// A ticket being created: the agents of the group chosen in the form at the moment the
    /// list opens (`group_mention_candidates`; nobody before a group is chosen).
    Group(Signal<Option<i64>>),
}

const TOOLS: [(&str, &str, &str); 9] = [
    ("bold", "B", "Bold (Ctrl+B)"),
    ("italic", "I", "Italic (Ctrl+I)"),
    ("underline", "U", "Underline (Ctrl+U)"),
    ("strike", "S", "Strikethrough"),
    ("heading2", "H", "Heading"),
    ("bulletList", "•", "Bulleted list"),
    ("orderedList", "1.", "Numbered list"),
    ("blockquote", "❝", "Quote"),
    ("code", "</>", "Code"),
];

/// The editor with its toolbar, file chips and (co-editing) the other editors.
#[component]
pub fn Composer(control: ReplyControl, setup: ComposerSetup) -> impl IntoView {
    let mount_ref = NodeRef::<leptos::html::Div>::new();
    let file_input = NodeRef::<leptos::html::Input>::new();
    #[cfg(feature = "browser")]
    {
        use std::sync::atomic::Ordering;
        let setup = setup.clone();
        // Every JS callback checks this first: the editor (its socket, uploads, its own
        // teardown) may call back after this composer or the page that owns `control` is gone.
        let alive = mount::Alive::new(true.into());
        let mount_alive = alive.clone();
        Effect::new(move |_| {
            let Some(el) = mount_ref.get() else {
                return;
            };
            if !mount_alive.load(Ordering::Relaxed)
                || control.handle.try_with_value(|h| h.is_some()) != Some(false)
            {
                return;
            }
            let mut handle = Some(mount::mount(&el, &setup, control, mount_alive.clone()));
            let _ = control
                .handle
                .try_update_value(|slot| *slot = handle.take());
            // the page went away while the editor was being built
            if let Some(handle) = handle {
                mount_alive.store(false, Ordering::Relaxed);
                handle.destroy();
            }
        });
        on_cleanup(move || {
            // detach first: nothing the editor does from now on reaches Rust
            alive.store(false, Ordering::Relaxed);
            // then destroy it outside any reactive borrow (its teardown runs the callbacks)
            if let Some(h) = control.handle.try_update_value(|h| h.take()).flatten() {
                h.destroy();
            }
        });
    }
    let rich = setup.rich && setup.editable;
    let editable = setup.editable;
    let collab = setup.collab.is_some();
    // the ticket was deleted: nothing to format any more
    let gone = move || control.status.try_with(|s| s == "gone").unwrap_or(false);
    let tools = move || {
        (rich && !gone()).then(|| {
            view! {
                <div class="toolbar" role="toolbar" aria-label="Formatting">
                    {TOOLS
                        .iter()
                        .map(|(name, label, title)| {
                            let name = *name;
                            view! {
                                <button
                                    type="button"
                                    class="tool"
                                    data-command=name
                                    title=*title
                                    aria-label=*title
                                    aria-pressed=move || control.active.try_with(|a| a.iter().any(|a| a == name)).unwrap_or(false).to_string()
                                    on:mousedown=|ev| ev.prevent_default()
                                    on:click=move |_| control.command(name)
                                >
                                    {*label}
                                </button>
                            }
                        })
                        .collect_view()}
                    <button
                        type="button"
                        class="tool"
                        title="Link"
                        aria-label="Link"
                        on:mousedown=|ev| ev.prevent_default()
                        on:click=move |_| {
                            #[cfg(feature = "browser")]
                            if let Some(href) = web_sys::window()
                                .and_then(|w| w.prompt_with_message("Link address (empty removes the link)").ok().flatten())
                            {
                                control.link(href.trim());
                            }
                        }
                    >
                        "Link"
                    </button>
                </div>
            }
        })
    };
    view! {
        <div class="composer" class:collab=collab>
            {tools}
            <div class="editor-frame" node_ref=mount_ref data-testid="composer"></div>
            <div class="composer-footer" class:hidden=move || !editable || gone()>
                <label class="attach">
                    <span>"Attach files"</span>
                    <input
                        type="file"
                        multiple
                        node_ref=file_input
                        aria-label="Attach files"
                        on:change=move |_| {
                            #[cfg(feature = "browser")]
                            if let Some(input) = file_input.get() {
                                if let Some(files) = input.files() {
                                    control.add_files(&files);
                                }
                                input.set_value("");
                            }
                        }
                    />
                </label>
                {move || (control.busy.try_get().unwrap_or(0) > 0).then(|| view! { <span class="muted uploading" role="status">"Uploading…"</span> })}
                <ul class="chips" aria-label="Attached files">
                    <For
                        each=move || control.files.try_get().unwrap_or_default()
                        key=|f| f.id
                        children=move |f| {
                            let id = f.id;
                            view! {
                                <li class="chip">
                                    <span class="chip-name">{f.filename.clone()}</span>
                                    <span class="muted">{format_size(f.size)}</span>
                                    <button
                                        type="button"
                                        class="chip-remove"
                                        aria-label=format!("Remove {}", f.filename)
                                        on:click=move |_| control.remove_file(id)
                                    >
                                        "×"
                                    </button>
                                </li>
                            }
                        }
                    />
                </ul>
                {move || control.error.try_get().flatten().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            </div>
            {collab.then(|| view! {
                <div class="coeditors" aria-live="polite">
                    <span class="muted">{move || control.status.try_with(|s| status_text(s)).unwrap_or("")}</span>
                    <span class="muted draft-saved" role="status">
                        {move || match control.saved.try_get().flatten() {
                            Some(true) => "· saved",
                            Some(false) => "· saving…",
                            None => "",
                        }}
                    </span>
                    <For
                        each=move || control.peers.try_get().map(others).unwrap_or_default()
                        key=|p| p.client_id.to_bits()
                        children=move |p| view! {
                            <span class="peer" style=format!("--peer: {}", safe_color(&p.color))>{p.name.clone()}</span>
                        }
                    />
                </div>
            })}
        </div>
    }
}

fn others(peers: Vec<Peer>) -> Vec<Peer> {
    peers.into_iter().filter(|p| !p.is_self).collect()
}

fn status_text(status: &str) -> &'static str {
    match status {
        "synced" => "Shared draft: live",
        "connected" | "connecting" => "Shared draft: connecting…",
        "disconnected" => "Shared draft: offline, reconnecting (your text is kept)",
        "denied" | "closed" => "Shared draft: not available",
        // as the page's banner: "This ticket was deleted."
        "gone" => "Shared draft: closed, the ticket was deleted",
        _ => "",
    }
}

/// Colours come from other browsers: only `#rgb`/`#rrggbb` reach a style attribute.
fn safe_color(color: &str) -> String {
    let hex = color.strip_prefix('#').unwrap_or("");
    if (hex.len() == 3 || hex.len() == 6) && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        color.to_string()
    } else {
        "#888".into()
    }
}

pub fn format_size(bytes: i64) -> String {
    // integer arithmetic: float formatting would add ~10 KB to the browser bundle
    const MB: i64 = 1024 * 1024;
    if bytes >= MB {
        format!("{}.{} MB", bytes / MB, (bytes % MB) * 10 / MB)
    } else if bytes >= 1024 {
        format!("{} KB", bytes / 1024)
    } else {
        format!("{bytes} B")
    }
}

#[cfg(feature = "browser")]
mod mount {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use js_sys::{Object, Reflect};
    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::*;

    use super::{ComposerSetup, ReplyControl, UploadedFile, bridge};
    use leptos::prelude::*;

    /// Whether the callbacks may still reach the component's signals (see `Composer`).
    pub type Alive = Arc<AtomicBool>;

    fn set(obj: &Object, key: &str, value: impl Into<JsValue>) {
        let _ = Reflect::set(obj, &JsValue::from_str(key), &value.into());
    }

    /// A callback handed to JS once per mount. It does nothing once `alive` is false (the
    /// composer unmounted); the signals it writes use `try_*`, so even a late call never
    /// touches a disposed value.
    fn callback<T: wasm_bindgen::convert::FromWasmAbi + 'static>(
        alive: &Alive,
        mut f: impl FnMut(T) + 'static,
    ) -> JsValue {
        let alive = alive.clone();
        Closure::<dyn FnMut(T)>::new(move |value: T| {
            if alive.load(Ordering::Relaxed) {
                f(value)
            }
        })
        .into_js_value()
    }

    pub fn mount(
        el: &web_sys::HtmlDivElement,
        setup: &ComposerSetup,
        control: ReplyControl,
        alive: Alive,
    ) -> bridge::ReplyHandle {
        let opts = Object::new();
        let collab = setup.collab.is_some();
        set(&opts, "formId", setup.form_id.as_str());
        set(&opts, "csrfToken", setup.csrf_token.as_str());
        set(&opts, "storageKey", setup.storage_key.as_str());
        set(&opts, "placeholder", setup.placeholder.as_str());
        set(&opts, "editable", setup.editable);
        let on_change_alive = alive.clone();
        set(
            &opts,
            "onChange",
            Closure::<dyn FnMut(JsValue, JsValue)>::new(move |empty: JsValue, local: JsValue| {
                if !on_change_alive.load(Ordering::Relaxed) {
                    return;
                }
                let empty = empty.as_bool().unwrap_or(false);
                let _ = control.empty.try_set(empty);
                // only this user's own typing counts (for "typing…" and "saving…")
                if local.as_bool() == Some(true) {
                    let _ = control.edits.try_update(|n| *n = n.wrapping_add(1));
                    if collab {
                        let _ = control.saved.try_set((!empty).then_some(false));
                    }
                }
            })
            .into_js_value(),
        );
        set(
            &opts,
            "onFiles",
            callback(&alive, move |list: JsValue| {
                let files: Vec<UploadedFile> = serde_wasm(list).unwrap_or_default();
                let _ = control.files.try_set(files);
            }),
        );
        set(
            &opts,
            "onBusy",
            callback(&alive, move |n: JsValue| {
                let _ = control.busy.try_set(n.as_f64().unwrap_or(0.0) as i32);
            }),
        );
        set(
            &opts,
            "onError",
            callback(&alive, move |msg: JsValue| {
                let _ = control.error.try_set(msg.as_string());
            }),
        );
        set(
            &opts,
            "onState",
            callback(&alive, move |state: JsValue| {
                let mut active = Vec::new();
                if let Ok(obj) = state.dyn_into::<Object>() {
                    for entry in Object::entries(&obj).iter() {
                        let pair: js_sys::Array = entry.unchecked_into();
                        if pair.get(1).as_bool() == Some(true)
                            && let Some(name) = pair.get(0).as_string()
                        {
                            active.push(name);
                        }
                    }
                }
                let _ = control.active.try_set(active);
            }),
        );
        let on_submit_alive = alive.clone();
        set(
            &opts,
            "onSubmit",
            Closure::<dyn FnMut()>::new(move || {
                if on_submit_alive.load(Ordering::Relaxed) {
                    let _ = control.submits.try_update(|n| *n += 1);
                }
            })
            .into_js_value(),
        );
        if let Some(scope) = setup.mentions {
            let mentions = Object::new();
            set(&mentions, "load", mention_loader(scope));
            set(&opts, "mentions", mentions);
        }
        if let Some((ticket_id, user_id, name)) = &setup.collab {
            let location = web_sys::window().map(|w| w.location());
            let host = location
                .as_ref()
                .and_then(|l| l.host().ok())
                .unwrap_or_default();
            let scheme = match location.and_then(|l| l.protocol().ok()).as_deref() {
                Some("https:") => "wss",
                _ => "ws",
            };
            let collab = Object::new();
            set(&collab, "url", format!("{scheme}://{host}/ws/tickets"));
            set(&collab, "room", ticket_id.to_string());
            let user = Object::new();
            set(&user, "id", *user_id as f64);
            set(&user, "name", name.as_str());
            set(&user, "color", color_for(*user_id));
            set(&collab, "user", user);
            set(&opts, "collab", collab);
            set(
                &opts,
                "onPeers",
                callback(&alive, move |peers: JsValue| {
                    let _ = control.peers.try_set(serde_wasm(peers).unwrap_or_default());
                }),
            );
            set(
                &opts,
                "onMeta",
                callback(&alive, move |meta: JsValue| {
                    if let Some(m) = parse::<super::DraftMeta>(&meta) {
                        let _ = control.meta.try_set(m);
                    }
                }),
            );
            set(
                &opts,
                "onTicket",
                callback(&alive, move |ticket: JsValue| {
                    if let Some(t) = parse::<super::DraftTicket>(&ticket) {
                        let _ = control.ticket.try_set(t);
                    }
                }),
            );
            set(
                &opts,
                "onControl",
                callback(&alive, move |msg: JsValue| {
                    let kind = Reflect::get(&msg, &JsValue::from_str("t"))
                        .ok()
                        .and_then(|t| t.as_string());
                    let _ = match kind.as_deref() {
                        Some("saved") => control.saved.try_set(Some(true)),
                        Some("sent" | "deleted" | "reset" | "ticket_deleted") => {
                            control.saved.try_set(None)
                        }
                        _ => None,
                    };
                }),
            );
            set(
                &opts,
                "onStatus",
                callback(&alive, move |status: JsValue| {
                    let _ = control
                        .status
                        .try_set(status.as_string().unwrap_or_default());
                }),
            );
        }
        bridge::mount_reply(el.unchecked_ref(), &opts)
    }

    /// The `@` list's `load(query)`: a Promise of the agents the scope's server function finds
    /// for `query` (`[{id, name, email}]`), rejected when it fails. It only reads the group
    /// signal (untracked, `try_`: nobody when the form is gone), so it needs no `Alive` check;
    /// the list ignores answers that come too late.
    fn mention_loader(scope: super::MentionScope) -> JsValue {
        Closure::<dyn FnMut(JsValue) -> js_sys::Promise>::new(move |query: JsValue| {
            let mut query = Some(query.as_string().unwrap_or_default());
            js_sys::Promise::new(&mut |resolve: js_sys::Function, reject: js_sys::Function| {
                let query = query.take().unwrap_or_default();
                leptos::task::spawn_local(async move {
                    use crate::api::ticket_tools::{group_mention_candidates, mention_candidates};
                    let found = match scope {
                        super::MentionScope::Ticket(ticket_id) => {
                            mention_candidates(ticket_id, query).await
                        }
                        super::MentionScope::Group(group) => {
                            match group.try_get_untracked().flatten() {
                                Some(group_id) => group_mention_candidates(group_id, query).await,
                                None => Ok(Vec::new()),
                            }
                        }
                    };
                    match found {
                        Ok(found) => {
                            let json =
                                serde_json::to_string(&found).unwrap_or_else(|_| "[]".into());
                            let list = js_sys::JSON::parse(&json)
                                .unwrap_or_else(|_| js_sys::Array::new().into());
                            let _ = resolve.call1(&JsValue::NULL, &list);
                        }
                        Err(e) => {
                            let _ =
                                reject.call1(&JsValue::NULL, &JsValue::from_str(&e.to_string()));
                        }
                    }
                });
            })
        })
        .into_js_value()
    }

    /// A JS object → Rust through JSON.
    fn parse<T: serde::de::DeserializeOwned>(value: &JsValue) -> Option<T> {
        let text = js_sys::JSON::stringify(value).ok()?.as_string()?;
        serde_json::from_str(&text).ok()
    }

    /// JS value → Rust through JSON (small lists only).
    fn serde_wasm<T: serde::de::DeserializeOwned>(value: JsValue) -> Option<Vec<T>> {
        let text = js_sys::JSON::stringify(&value).ok()?.as_string()?;
        let items: Vec<serde_json::Value> = serde_json::from_str(&text).ok()?;
        Some(
            items
                .into_iter()
                .filter_map(|v| serde_json::from_value(v).ok())
                .collect(),
        )
    }

    fn color_for(user_id: i64) -> &'static str {
        const COLORS: [&str; 8] = [
            "#1c7ed6", "#e8590c", "#2b8a3e", "#c2255c", "#6741d9", "#0b7285", "#a61e4d", "#5c940d",
        ];
        COLORS[(user_id.unsigned_abs() as usize) % COLORS.len()]
    }
}
