//! The reply: its options (type, internal, the e-mail fields), the composer, and sending it
//! together with the sidebar's changes in one request; who is typing; and the read-only draft
//! for agents who may only watch it.

use leptos::prelude::*;

use super::Shared;
use crate::api::mail::email_sending_enabled;
use crate::api::tickets::{UpdateTicket, discard_shared_draft};
use crate::api::{NewReply, TicketChanges, TicketZoom};
use crate::components::composer::{Composer, ComposerSetup, MentionScope, ReplyControl};
use crate::components::live::use_live;
use crate::components::status::use_status;
use crate::pages::overview::clean_error;
use crate::session::SessionUser;

/// The reply being written and its options; the articles' Reply and Quote buttons reach it too.
#[derive(Clone, Copy)]
pub(super) struct Reply {
    pub control: ReplyControl,
    kind: RwSignal<String>,
    internal: RwSignal<bool>,
    to: RwSignal<String>,
    cc: RwSignal<String>,
    subject: RwSignal<String>,
    /// The upload cache key for this reply's files.
    form_id: StoredValue<String>,
    /// The reply is the ticket's live shared draft (its options are co-edited too).
    coedit: bool,
    agent: bool,
}

impl Reply {
    pub fn new(t: &TicketZoom) -> Reply {
        Reply {
            control: ReplyControl::new(),
            kind: RwSignal::new(if t.can.agent { "note" } else { "web" }.to_string()),
            internal: RwSignal::new(t.can.agent),
            to: RwSignal::new(t.customer.email.clone()),
            cc: RwSignal::new(String::new()),
            subject: RwSignal::new(t.title.clone()),
            form_id: StoredValue::new(new_form_id(t.id)),
            coedit: t.can.shared_draft,
            agent: t.can.agent,
        }
    }

    /// An article's Reply: an e-mail from the customer (`email_from`, its sender) is answered
    /// by e-mail, to that sender.
    pub fn answer(self, email_from: Option<&str>) {
        if self.agent
            && let Some(from) = email_from
        {
            self.kind.set("email".into());
            self.internal.set(false);
            self.to.set(from.to_string());
            if self.coedit {
                self.control.set_meta_text("type", "email");
                self.control.set_meta_flag("internal", false);
                self.control.set_meta_text("to", from);
            }
        }
        self.control.focus();
    }

    /// An article's Quote.
    pub fn quote(self, html: &str) {
        self.control.quote(html);
    }

    /// Forwarding an article: its attached files are copied into this reply's upload cache and
    /// shown as chips (none when the page is gone meanwhile). The error is readable text.
    pub async fn attach_forwarded(self, article_id: i64) -> Result<(), String> {
        let Some(form_id) = self.form_id.try_get_value() else {
            return Ok(());
        };
        match crate::api::ticket_tools::forward_attachments(article_id, form_id).await {
            Ok(files) => {
                self.control.add_cached(&files);
                Ok(())
            }
            Err(e) => Err(crate::pages::overview::clean_error(&e.to_string())),
        }
    }

    /// Whether the reply is an agent's (who may answer by e-mail).
    pub fn agent(self) -> bool {
        self.agent
    }

    /// An article's Reply all or Forward (agents): the reply becomes a public e-mail to `to`,
    /// copied to `cc`, with `subject` when given (written into the shared draft too).
    pub fn email(self, to: &str, cc: &str, subject: Option<&str>) {
        if !self.agent {
            return;
        }
        self.kind.set("email".into());
        self.internal.set(false);
        self.to.set(to.to_string());
        self.cc.set(cc.to_string());
        if let Some(subject) = subject {
            self.subject.set(subject.to_string());
        }
        if self.coedit {
            self.control.set_meta_text("type", "email");
            self.control.set_meta_flag("internal", false);
            self.control.set_meta_text("to", to);
            self.control.set_meta_text("cc", cc);
            if let Some(subject) = subject {
                self.control.set_meta_text("subject", subject);
            }
        }
        self.control.focus();
    }

    /// The article to send, if the reply holds anything (not tracked). Trailing empty
    /// paragraphs are not sent: an editor holding only those sends nothing.
    fn article(self) -> Option<NewReply> {
        let control = self.control;
        let body_html = control.html();
        let has_files = control.files.with_untracked(|f| !f.is_empty());
        (control.has_content() && (!body_html.trim().is_empty() || has_files)).then(|| NewReply {
            kind: self.kind.get_untracked(),
            internal: self.internal.get_untracked(),
            to: self.to.get_untracked(),
            cc: self.cc.get_untracked(),
            subject: self.subject.get_untracked(),
            body_html,
            form_id: self.form_id.get_value(),
            from_shared_draft: self.coedit,
        })
    }

    /// Whether the reply holds text or files (tracked).
    fn written(self) -> bool {
        !self.control.empty.get() || !self.control.files.get().is_empty()
    }
}

/// The reply form: options, composer, Discard and Send (which also saves the sidebar's
/// choices; without a reply it is "Update").
#[component]
pub(super) fn ReplyForm(z: Shared, user: SessionUser) -> impl IntoView {
    let Shared {
        ticket_id,
        can,
        reply,
        ..
    } = z;
    let control = reply.control;
    let coedit = reply.coedit;
    let status = use_status();
    let live = use_live();
    let send = ServerAction::<UpdateTicket>::new();
    let sending = send.pending();
    let send_error = RwSignal::new(None::<String>);
    let confirm_discard = RwSignal::new(false);
    // whether the request being answered carried an article
    let sent_article = StoredValue::new(false);

    let changes = move || {
        let mut c = z.choices.changes(&z.original.get_value());
        c.article = reply.article();
        c
    };
    let dirty = move || z.choices.differ(&z.original.get_value()) || reply.written();
    let submit = move || {
        if sending.get_untracked() || control.busy.get_untracked() > 0 {
            return;
        }
        let c = changes();
        if c == TicketChanges::default() {
            return;
        }
        if c.pending_time.as_deref() == Some("") {
            send_error.set(Some(
                "Choose the date and time the ticket is pending till.".into(),
            ));
            return;
        }
        send_error.set(None);
        sent_article.set_value(c.article.is_some());
        send.dispatch(UpdateTicket {
            id: ticket_id,
            changes: c,
        });
    };
    // the answer (an effect runs only while the page is there)
    Effect::new(move |_| {
        let Some(answer) = send.value().get() else {
            return;
        };
        untrack(|| match answer {
            Ok(()) => {
                // the uploads were claimed by the article; the form id stays usable
                if sent_article.get_value() {
                    control.sent();
                }
                live.view(ticket_id, false);
                z.reload();
            }
            // the text stays in the editor (and in local storage) to try again
            Err(e) => {
                status.noticed(&e);
                send_error.set(Some(clean_error(&e.to_string())));
            }
        });
    });
    // Ctrl+Enter in the editor
    Effect::new(move |prev: Option<u32>| {
        let n = control.submits.get();
        if prev.is_some_and(|p| p != n) {
            submit();
        }
        n
    });
    show_typing(ticket_id, control);
    if coedit {
        follow_draft_options(reply);
    }
    close_when_deleted(z.deleted, control);

    let setup = ComposerSetup {
        form_id: reply.form_id.get_value(),
        csrf_token: user.csrf_token.clone(),
        storage_key: format!("tandem-reply-{ticket_id}"),
        placeholder: if can.agent {
            "Write a reply or an internal note…".into()
        } else {
            "Write a reply…".into()
        },
        // agents with the group's shared drafts co-edit the reply live
        collab: coedit.then(|| (ticket_id, user.id, user.name.clone())),
        rich: can.agent,
        editable: true,
        // `@` lists the agents of the ticket's group (agents only, as Zammad)
        mentions: can.agent.then_some(MentionScope::Ticket(ticket_id)),
    };
    let discard = move || {
        confirm_discard.set(false);
        if coedit {
            leptos::task::spawn_local(async move {
                if let Err(e) = discard_shared_draft(ticket_id).await {
                    let _ = send_error.try_set(Some(clean_error(&e.to_string())));
                }
            });
        }
        control.sent();
    };
    view! {
        <section class="reply" aria-label="Reply">
            <h2 class="sr-only">"Reply"</h2>
            {can.agent.then(|| view! { <ReplyOptions reply/> })}
            <Composer control setup/>
            <div class="reply-actions">
                {move || send_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <span class="muted hint">"Ctrl+Enter sends the reply with the sidebar changes."</span>
                {move || if confirm_discard.get() {
                    view! {
                        <span class="confirm" role="group" aria-label="Discard the reply?">
                            <span>{if coedit { "Discard the draft for everyone?" } else { "Discard the reply?" }}</span>
                            <button type="button" on:click=move |_| confirm_discard.set(false)>"Keep"</button>
                            <button type="button" class="danger" id="confirm-discard" on:click=move |_| discard()>
                                "Discard"
                            </button>
                        </span>
                    }
                        .into_any()
                } else {
                    view! {
                        <button
                            type="button"
                            id="discard-reply"
                            disabled=move || sending.get() || !reply.written()
                            on:click=move |_| confirm_discard.set(true)
                        >
                            "Discard"
                        </button>
                    }
                        .into_any()
                }}
                <button
                    type="button"
                    class="primary"
                    id="submit-reply"
                    disabled=move || sending.get() || !dirty()
                    on:click=move |_| submit()
                >
                    {move || if sending.get() {
                        "Saving…"
                    } else if reply.written() {
                        "Send"
                    } else {
                        "Update"
                    }}
                </button>
            </div>
        </section>
    }
}

/// The agents' reply options: the article's type, internal or not, and an e-mail's
/// addresses and subject (shared with the other editors when co-editing).
#[component]
fn ReplyOptions(reply: Reply) -> impl IntoView {
    let Reply {
        control,
        kind,
        internal,
        to,
        cc,
        subject,
        coedit,
        ..
    } = reply;
    // whether this server sends e-mail: asked once the agent chooses the E-mail type
    let email_on = RwSignal::new(None::<bool>);
    let email_asked = StoredValue::new(false);
    Effect::new(move |_| {
        if kind.get() != "email" || email_asked.get_value() {
            return;
        }
        email_asked.set_value(true);
        leptos::task::spawn_local(async move {
            match email_sending_enabled().await {
                Ok(on) => {
                    let _ = email_on.try_set(Some(on));
                }
                // asked again the next time E-mail is chosen
                Err(_) => {
                    let _ = email_asked.try_set_value(false);
                }
            }
        });
    });
    // a text option: the input's value, also written into the shared draft
    let text = move |signal: RwSignal<String>, key: &'static str| {
        move |ev: leptos::ev::Event| {
            let v = event_target_value(&ev);
            if coedit {
                control.set_meta_text(key, &v);
            }
            signal.set(v);
        }
    };
    view! {
        <div class="reply-options">
            <label>
                "Type "
                <select
                    name="article-type"
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        internal.set(v == "note");
                        if coedit {
                            control.set_meta_text("type", &v);
                            control.set_meta_flag("internal", v == "note");
                        }
                        kind.set(v);
                    }
                    prop:value=move || kind.get()
                >
                    <option value="note">"Note"</option>
                    <option value="email">"E-mail"</option>
                    <option value="phone">"Phone"</option>
                </select>
            </label>
            <label class="check">
                <input
                    type="checkbox"
                    name="internal"
                    prop:checked=move || internal.get()
                    on:change=move |ev| {
                        let checked = event_target_checked(&ev);
                        internal.set(checked);
                        if coedit {
                            control.set_meta_flag("internal", checked);
                        }
                    }
                />
                " Internal"
            </label>
            {move || (kind.get() == "email").then(|| view! {
                <label class="grow">"To " <input type="email" multiple name="to" prop:value=move || to.get() on:input=text(to, "to")/></label>
                <label class="grow">"Cc " <input type="text" name="cc" prop:value=move || cc.get() on:input=text(cc, "cc")/></label>
                <label class="grow">"Subject " <input type="text" name="subject" prop:value=move || subject.get() on:input=text(subject, "subject")/></label>
                <EmailHint on=email_on/>
            })}
        </div>
    }
}

/// Co-editing: the reply's options as the other editors set them.
fn follow_draft_options(reply: Reply) {
    let control = reply.control;
    Effect::new(move |_| {
        let m = control.meta.get();
        let apply = |signal: RwSignal<String>, value: Option<String>| {
            if let Some(v) = value
                && signal.get_untracked() != v
            {
                signal.set(v);
            }
        };
        apply(reply.kind, m.kind);
        apply(reply.to, m.to);
        apply(reply.cc, m.cc);
        apply(reply.subject, m.subject);
        if let Some(i) = m.internal
            && reply.internal.get_untracked() != i
        {
            reply.internal.set(i);
        }
    });
}

/// Under the e-mail fields: whether the article will really be sent.
#[component]
fn EmailHint(on: RwSignal<Option<bool>>) -> impl IntoView {
    let hint = move || match on.get() {
        Some(true) => ("email-hint on", "Sent by e-mail to the recipients"),
        Some(false) => (
            "email-hint off",
            "E-mail sending is off on this server (TANDEM_SMTP_URL is not set): the article is stored but not sent",
        ),
        None => ("email-hint muted", "Checking e-mail sending…"),
    };
    view! { <p class=move || hint().0 role="status" data-testid="email-hint">{move || hint().1}</p> }
}

/// Agents who may only read the ticket watch the shared draft as it is written.
#[component]
pub(super) fn DraftWatch(z: Shared, user: SessionUser) -> impl IntoView {
    let control = ReplyControl::new();
    close_when_deleted(z.deleted, control);
    let setup = ComposerSetup {
        form_id: String::new(),
        csrf_token: String::new(),
        storage_key: String::new(),
        placeholder: "No reply draft yet.".into(),
        collab: Some((z.ticket_id, user.id, user.name.clone())),
        rich: false,
        editable: false,
        mentions: None,
    };
    view! {
        <section class="reply draft-watch" aria-label="Reply draft (read only)">
            <h2 class="small-heading">"Reply draft (read only)"</h2>
            <Composer control setup/>
        </section>
    }
}

/// The ticket was deleted (the tab's live socket said so): its draft room refuses every
/// reconnect (404), which a browser cannot tell from an outage, so the composer stops here,
/// whether or not the room's own `ticket_deleted` reached it.
fn close_when_deleted(deleted: RwSignal<bool>, control: ReplyControl) {
    Effect::new(move |_| {
        if deleted.get() {
            control.close("gone");
        }
    });
}

/// The typing indicator the others see: on while edits arrive, off 3 s after the last one.
fn show_typing(ticket_id: i64, control: ReplyControl) {
    let live = use_live();
    let typing_until = StoredValue::new(0.0f64);
    Effect::new(move |prev: Option<u32>| {
        let n = control.edits.get();
        if prev.is_some_and(|p| p != n) && !control.empty.get_untracked() {
            live.view(ticket_id, true);
            typing_until.set_value(now_ms() + 3000.0);
            set_timeout(
                move || {
                    if typing_until.try_get_value().is_some_and(|t| now_ms() >= t) {
                        live.view(ticket_id, false);
                    }
                },
                std::time::Duration::from_millis(3100),
            );
        }
        n
    });
}

fn new_form_id(ticket_id: i64) -> String {
    #[cfg(feature = "browser")]
    {
        format!("web-{ticket_id}-{}", (js_sys::Math::random() * 1e15) as u64)
    }
    #[cfg(not(feature = "browser"))]
    format!("web-{ticket_id}")
}

fn now_ms() -> f64 {
    #[cfg(feature = "browser")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(feature = "browser"))]
    0.0
}
