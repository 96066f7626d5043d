//! Admin: e-mail — sender addresses, mailboxes (IMAP channels, with how their last poll went),
//! signatures and failed mail, each a list and a record's page. A group chooses its sender
//! address and signature on its own page.

use std::future::Future;

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::{AdminTable, Cell, Section, after_save, list_page, record_page};
use crate::api::email_admin::{
    EmailAddressForm, FailedMailRow, FailedMailView, MailboxEdit, MailboxForm, MailboxRow,
    SSL_CHOICES, SignatureEdit, SignatureForm, admin_email_address, admin_email_addresses,
    admin_failed_mail, admin_failed_mails, admin_mailbox, admin_mailboxes, admin_signature,
    admin_signatures, delete_admin_email_address, delete_admin_failed_mail, delete_admin_mailbox,
    delete_admin_signature, reprocess_admin_failed_mail, save_admin_email_address,
    save_admin_mailbox, save_admin_signature,
};
use crate::components::form::{After, CheckField, FormActions, FormState, TextArea, TextField};
use crate::components::layout::ready_marker;

/// "Used by: Sales, Users" or the hint that no group uses it yet.
fn used_by(groups: &[String]) -> String {
    if groups.is_empty() {
        "No group uses it (choose it on a group's page).".into()
    } else {
        format!("Used by: {}", groups.join(", "))
    }
}

/// A byte count as people read it.
fn size_text(size: i64) -> String {
    match size {
        s if s < 1024 => format!("{s} B"),
        s if s < 1024 * 1024 => format!("{:.1} KB", s as f64 / 1024.0),
        s => format!("{:.1} MB", s as f64 / (1024.0 * 1024.0)),
    }
}

/// A stored time (RFC 3339, UTC) shortened to minutes.
fn when(at: &str) -> String {
    let at = at.replace('T', " ");
    at.get(..16).map_or(at.clone(), |s| format!("{s} UTC"))
}

/// A record page's "Delete" card: the button, then a confirmation naming the record; once
/// deleted, back to `back` (the list).
fn delete_card<F, Fut>(
    button_id: &'static str,
    label: &'static str,
    question: String,
    consequence: &'static str,
    back: &'static str,
    call: F,
) -> impl IntoView
where
    F: Fn() -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<(), ServerFnError>> + 'static,
{
    let confirming = RwSignal::new(false);
    let state = FormState::new();
    let navigate = use_navigate();
    let confirm = move |_| {
        let navigate = navigate.clone();
        state.run(call(), move |()| {
            navigate(back, Default::default());
            After::Leave
        });
    };
    view! {
        <section class="admin-card" aria-labelledby="delete-title">
            <h2 id="delete-title">{label}</h2>
            <p class="muted small">{consequence}</p>
            {move || {
                if confirming.get() {
                    let confirm = confirm.clone();
                    view! {
                        <div class="admin-form"><div class="form-actions" role="group" aria-label="Confirm">
                            <strong>{question.clone()}</strong>
                            <button type="button" on:click=move |_| confirming.set(false)>"Cancel"</button>
                            <button
                                type="button"
                                class="danger"
                                id="confirm-delete"
                                disabled=move || state.saving.get()
                                on:click=confirm
                            >
                                "Delete"
                            </button>
                        </div></div>
                    }
                    .into_any()
                } else {
                    view! {
                        <div>
                            <button type="button" class="danger" id=button_id on:click=move |_| confirming.set(true)>
                                {label}
                            </button>
                        </div>
                    }
                    .into_any()
                }
            }}
            {move || state.error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </section>
    }
}

// ───────────────────────────── sender addresses ─────────────────────────────

#[component]
pub fn EmailAddressesPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| admin_email_addresses());
    list_page(
        Section::EmailAddresses,
        "Sender addresses",
        Some(("/admin/email_addresses/new", "New sender address")),
        list,
        |rows| view! { <EmailAddressTable rows/> }.into_any(),
    )
}

#[component]
fn EmailAddressTable(rows: Vec<EmailAddressForm>) -> impl IntoView {
    if rows.is_empty() {
        return view! {
            <p class="empty">"No sender addresses yet. A group needs one to send e-mail."</p>
        }
        .into_any();
    }
    let rows = rows
        .into_iter()
        .map(|a| {
            vec![
                Cell::Link(format!("/admin/email_addresses/{}", a.id), a.email),
                Cell::Text(a.name),
                Cell::Muted(if a.groups.is_empty() {
                    "–".into()
                } else {
                    a.groups.join(", ")
                }),
                Cell::Status(a.active),
            ]
        })
        .collect();
    view! {
        <AdminTable id="email-address-table" headers=&["Address", "Name", "Groups", "Status"] rows/>
        <p class="hint muted">"Agents' e-mails come from the sender address of the ticket's group."</p>
    }
    .into_any()
}

#[component]
pub fn EmailAddressPage(id: i64) -> impl IntoView {
    let data = Resource::new(move || id, admin_email_address);
    let title = if id == 0 {
        "New sender address"
    } else {
        "Sender address"
    };
    record_page(
        Section::EmailAddress(id),
        title,
        ("/admin/email_addresses", "Sender addresses"),
        data,
        |address| view! { <EmailAddressEditor address/> }.into_any(),
    )
}

#[component]
fn EmailAddressEditor(address: EmailAddressForm) -> impl IntoView {
    let id = address.id;
    let state = FormState::new();
    let name = RwSignal::new(address.name.clone());
    let email = RwSignal::new(address.email.clone());
    let active = RwSignal::new(address.active);
    let note = RwSignal::new(address.note.clone());
    let groups = address.groups.clone();
    let on_saved = after_save(id == 0, "/admin/email_addresses");
    let heading = if id == 0 {
        "New sender address".to_string()
    } else {
        address.email.clone()
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let form = EmailAddressForm {
            id,
            name: name.get_untracked(),
            email: email.get_untracked(),
            active: active.get_untracked(),
            note: note.get_untracked(),
            groups: Vec::new(),
        };
        state.run(save_admin_email_address(form), on_saved.clone());
    };
    let save_label = if id == 0 {
        "Create sender address"
    } else {
        "Save sender address"
    };
    let question = format!("Delete {}?", address.email);
    view! {
        <h1>{heading}</h1>
        <form class="admin-form" id="email-address-form" data-ready=ready_marker() on:submit=submit>
            <fieldset>
                <legend>"Sender address"</legend>
                <div class="row">
                    <TextField
                        id="email-address-name"
                        label="Name"
                        value=name
                        required=true
                        state
                        hint="Shown as the sender: \"Anna via Example Support\"."
                    />
                    <TextField
                        id="email-address-email"
                        label="E-mail"
                        value=email
                        kind="email"
                        required=true
                        state
                    />
                </div>
                <TextArea id="email-address-note" label="Note" value=note state/>
                <CheckField id="email-address-active" label="Active" value=active state/>
                {(id != 0).then(|| view! { <p class="hint muted">{used_by(&groups)}</p> })}
            </fieldset>
            <FormActions state id="save-email-address" label=save_label busy="Saving…"/>
        </form>
        {(id != 0).then(|| delete_card(
            "delete-email-address",
            "Delete sender address",
            question,
            "Groups sending from it then send from no address until they get another one.",
            "/admin/email_addresses",
            move || delete_admin_email_address(id),
        ))}
    }
}

// ───────────────────────────── mailboxes ─────────────────────────────

/// How a mailbox's last poll went: a word and the detail under it.
fn poll_status(m: &MailboxRow) -> (String, String) {
    let at = m.last_fetch_at.as_deref().map(when).unwrap_or_default();
    match m.status_in.as_deref() {
        Some("ok") => ("OK".into(), format!("Last poll {at}")),
        Some(_) => (
            "Error".into(),
            format!(
                "{} ({at})",
                m.last_log_in.clone().unwrap_or_else(|| "failed".into())
            ),
        ),
        None if m.active => ("Not polled yet".into(), String::new()),
        None => ("Off".into(), String::new()),
    }
}

#[component]
pub fn MailboxesPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| admin_mailboxes());
    list_page(
        Section::Mailboxes,
        "Mailboxes",
        Some(("/admin/email_channels/new", "New mailbox")),
        list,
        |rows| view! { <MailboxTable rows/> }.into_any(),
    )
}

#[component]
fn MailboxTable(rows: Vec<MailboxRow>) -> impl IntoView {
    if rows.is_empty() {
        return view! {
            <p class="empty">"No mailboxes yet. Tandem reads customers' mail from the mailboxes here (IMAP)."</p>
        }
        .into_any();
    }
    let rows = rows
        .into_iter()
        .map(|m| {
            let (status, detail) = poll_status(&m);
            vec![
                Cell::Link(
                    format!("/admin/email_channels/{}", m.id),
                    format!("{}@{}", m.user, m.host),
                ),
                Cell::Text(m.group.clone()),
                Cell::Muted(format!("{} · port {} · {}", m.ssl, m.port, m.folder)),
                Cell::Strong(status, detail),
                Cell::Status(m.active),
            ]
        })
        .collect();
    view! {
        <AdminTable
            id="mailbox-table"
            headers=&["Mailbox", "Group", "Connection", "Last poll", "Status"]
            rows
        />
        <p class="hint muted">"New tickets from a mailbox go to its group. Tandem polls every mailbox, waiting with IDLE where the server offers it."</p>
    }
    .into_any()
}

#[component]
pub fn MailboxPage(id: i64) -> impl IntoView {
    let data = Resource::new(move || id, admin_mailbox);
    let title = if id == 0 { "New mailbox" } else { "Mailbox" };
    record_page(
        Section::Mailbox(id),
        title,
        ("/admin/email_channels", "Mailboxes"),
        data,
        |edit| view! { <MailboxEditor edit/> }.into_any(),
    )
}

#[component]
fn MailboxEditor(edit: MailboxEdit) -> impl IntoView {
    let MailboxEdit {
        mailbox,
        groups,
        has_password,
        status,
    } = edit;
    let id = mailbox.id;
    let state = FormState::new();
    let group = RwSignal::new(mailbox.group_id);
    let host = RwSignal::new(mailbox.host.clone());
    let port = RwSignal::new(mailbox.port.clone());
    let ssl = RwSignal::new(mailbox.ssl.clone());
    let user = RwSignal::new(mailbox.user.clone());
    let password = RwSignal::new(String::new());
    let folder = RwSignal::new(mailbox.folder.clone());
    let keep = RwSignal::new(mailbox.keep_on_server);
    let active = RwSignal::new(mailbox.active);
    let navigate = use_navigate();
    let heading = if id == 0 {
        "New mailbox".to_string()
    } else {
        format!("{}@{}", mailbox.user, mailbox.host)
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let form = MailboxForm {
            id,
            group_id: group.get_untracked(),
            host: host.get_untracked(),
            port: port.get_untracked(),
            ssl: ssl.get_untracked(),
            user: user.get_untracked(),
            password: password.get_untracked(),
            folder: folder.get_untracked(),
            keep_on_server: keep.get_untracked(),
            active: active.get_untracked(),
        };
        let navigate = navigate.clone();
        state.run(save_admin_mailbox(form), move |saved| {
            if id == 0 {
                navigate(
                    &format!("/admin/email_channels/{saved}"),
                    Default::default(),
                );
                After::Leave
            } else {
                // the typed password is stored now; the field empties (it is never shown back)
                password.set(String::new());
                After::Note("Saved. The mailbox is read on its next poll.".to_string())
            }
        });
    };
    let save_label = if id == 0 {
        "Create mailbox"
    } else {
        "Save mailbox"
    };
    let password_hint = if has_password {
        "A password is stored; it is never shown. Leave empty to keep it."
    } else {
        "No password stored yet."
    };
    let initial_group = mailbox.group_id;
    let initial_ssl = mailbox.ssl.clone();
    let question = format!("Delete the mailbox {heading}?");
    view! {
        <h1>{heading.clone()}</h1>
        <form class="admin-form" id="mailbox-form" data-ready=ready_marker() on:submit=submit>
            {status.map(|s| {
                let (word, detail) = poll_status(&s);
                let error = s.status_in.as_deref() == Some("error");
                view! {
                    <p class=if error { "error" } else { "hint muted" } id="mailbox-status" role="status">
                        <strong>{format!("Last poll: {word}")}</strong>
                        {(!detail.is_empty()).then(|| format!(" — {detail}"))}
                    </p>
                }
            })}
            <fieldset>
                <legend>"Server (IMAP)"</legend>
                <div class="row">
                    <TextField id="mailbox-host" label="Host" value=host required=true state/>
                    <TextField
                        id="mailbox-port"
                        label="Port"
                        value=port
                        kind="number"
                        state
                        hint="Empty: the encryption's usual port."
                    />
                </div>
                <div class="field">
                    <label for="mailbox-ssl">"Encryption"</label>
                    <select
                        id="mailbox-ssl"
                        prop:value=move || ssl.get()
                        on:change=move |ev| {
                            ssl.set(event_target_value(&ev));
                            state.changed();
                        }
                    >
                        {SSL_CHOICES
                            .iter()
                            .map(|&(key, label)| {
                                view! { <option value=key selected={key == initial_ssl}>{label}</option> }
                            })
                            .collect_view()}
                    </select>
                </div>
                <div class="row">
                    <TextField
                        id="mailbox-user"
                        label="User"
                        value=user
                        required=true
                        autocomplete="off"
                        state
                    />
                    <div class="field">
                        <label for="mailbox-password">"Password"</label>
                        <input
                            id="mailbox-password"
                            name="mailbox-password"
                            type="password"
                            autocomplete="new-password"
                            prop:value=move || password.get()
                            on:input=move |ev| {
                                password.set(event_target_value(&ev));
                                state.changed();
                            }
                        />
                        <p class="hint muted">{password_hint}</p>
                    </div>
                </div>
                <TextField id="mailbox-folder" label="Folder" value=folder state hint="Usually INBOX."/>
                <CheckField
                    id="mailbox-keep"
                    label="Keep messages on the server"
                    value=keep
                    state
                    hint="Read messages are marked seen instead of deleted."
                />
            </fieldset>
            <fieldset>
                <legend>"Tickets"</legend>
                <div class="field">
                    <label for="mailbox-group">"Group of new tickets"</label>
                    <select
                        id="mailbox-group"
                        prop:value=move || group.get().map(|g| g.to_string()).unwrap_or_default()
                        on:change=move |ev| {
                            group.set(event_target_value(&ev).parse().ok());
                            state.changed();
                        }
                    >
                        {groups
                            .into_iter()
                            .map(|g| {
                                let selected = initial_group == Some(g.id);
                                view! { <option value=g.id.to_string() selected=selected>{g.name}</option> }
                            })
                            .collect_view()}
                    </select>
                </div>
                <CheckField
                    id="mailbox-active"
                    label="Active"
                    value=active
                    state
                    hint="Only active mailboxes are read."
                />
            </fieldset>
            <FormActions state id="save-mailbox" label=save_label busy="Saving…"/>
        </form>
        {(id != 0).then(|| delete_card(
            "delete-mailbox",
            "Delete mailbox",
            question,
            "Tandem stops reading it. Tickets and mail already received stay.",
            "/admin/email_channels",
            move || delete_admin_mailbox(id),
        ))}
    }
}

// ───────────────────────────── signatures ─────────────────────────────

#[component]
pub fn SignaturesPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| admin_signatures());
    list_page(
        Section::Signatures,
        "Signatures",
        Some(("/admin/signatures/new", "New signature")),
        list,
        |rows| view! { <SignatureTable rows/> }.into_any(),
    )
}

#[component]
fn SignatureTable(rows: Vec<SignatureForm>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty">"No signatures yet."</p> }.into_any();
    }
    let rows = rows
        .into_iter()
        .map(|s| {
            vec![
                Cell::Link(format!("/admin/signatures/{}", s.id), s.name),
                Cell::Muted(if s.groups.is_empty() {
                    "–".into()
                } else {
                    s.groups.join(", ")
                }),
                Cell::Status(s.active),
            ]
        })
        .collect();
    view! {
        <AdminTable id="signature-table" headers=&["Name", "Groups", "Status"] rows/>
        <p class="hint muted">"An agent's e-mail ends with the signature of the ticket's group."</p>
    }
    .into_any()
}

#[component]
pub fn SignaturePage(id: i64) -> impl IntoView {
    let data = Resource::new(move || id, admin_signature);
    let title = if id == 0 {
        "New signature"
    } else {
        "Signature"
    };
    record_page(
        Section::Signature(id),
        title,
        ("/admin/signatures", "Signatures"),
        data,
        |edit| view! { <SignatureEditor edit/> }.into_any(),
    )
}

#[component]
fn SignatureEditor(edit: SignatureEdit) -> impl IntoView {
    let SignatureEdit {
        signature,
        placeholders,
    } = edit;
    let id = signature.id;
    let state = FormState::new();
    let name = RwSignal::new(signature.name.clone());
    let body = RwSignal::new(signature.body.clone());
    let active = RwSignal::new(signature.active);
    let note = RwSignal::new(signature.note.clone());
    let groups = signature.groups.clone();
    let on_saved = after_save(id == 0, "/admin/signatures");
    let heading = if id == 0 {
        "New signature".to_string()
    } else {
        signature.name.clone()
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let form = SignatureForm {
            id,
            name: name.get_untracked(),
            body: body.get_untracked(),
            active: active.get_untracked(),
            note: note.get_untracked(),
            groups: Vec::new(),
        };
        state.run(save_admin_signature(form), on_saved.clone());
    };
    let save_label = if id == 0 {
        "Create signature"
    } else {
        "Save signature"
    };
    let question = format!("Delete the signature {}?", signature.name);
    let initial_body = signature.body.clone();
    view! {
        <h1>{heading}</h1>
        <form class="admin-form" id="signature-form" data-ready=ready_marker() on:submit=submit>
            <fieldset>
                <legend>"Signature"</legend>
                <TextField id="signature-name" label="Name" value=name required=true state/>
                <div class="field">
                    <label for="signature-body">"Text"</label>
                    <textarea
                        id="signature-body"
                        rows="8"
                        aria-describedby="signature-placeholders"
                        prop:value=move || body.get()
                        on:input=move |ev| {
                            body.set(event_target_value(&ev));
                            state.changed();
                        }
                    >
                        {initial_body}
                    </textarea>
                    <div class="hint muted" id="signature-placeholders">
                        <p>"HTML (" <code>"<p>"</code> ", " <code>"<br>"</code> ", " <code>"<strong>"</code> ", links…). Placeholders are filled when the e-mail is sent:"</p>
                        <ul class="chips">
                            {placeholders
                                .into_iter()
                                .map(|p| view! { <li><code>{format!("#{{{p}}}")}</code></li> })
                                .collect_view()}
                        </ul>
                    </div>
                </div>
                <TextArea id="signature-note" label="Note" value=note state/>
                <CheckField id="signature-active" label="Active" value=active state/>
                {(id != 0).then(|| view! { <p class="hint muted">{used_by(&groups)}</p> })}
            </fieldset>
            <FormActions state id="save-signature" label=save_label busy="Saving…"/>
        </form>
        {(id != 0).then(|| delete_card(
            "delete-signature",
            "Delete signature",
            question,
            "Groups using it then send their e-mail without a signature.",
            "/admin/signatures",
            move || delete_admin_signature(id),
        ))}
    }
}

// ───────────────────────────── failed mail ─────────────────────────────

#[component]
pub fn FailedMailsPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| admin_failed_mails());
    list_page(Section::FailedMails, "Failed mail", None, list, |rows| {
        view! { <FailedMailTable rows/> }.into_any()
    })
}

#[component]
fn FailedMailTable(rows: Vec<FailedMailRow>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty">"No failed mail. Every message received became a ticket or a reply."</p> }
            .into_any();
    }
    let rows = rows
        .into_iter()
        .map(|f| {
            vec![
                Cell::Link(
                    format!("/admin/failed_mails/{}", f.id),
                    f.subject
                        .clone()
                        .filter(|s| !s.trim().is_empty())
                        .unwrap_or_else(|| "(no subject)".into()),
                ),
                Cell::Text(f.sender.clone().unwrap_or_else(|| "–".into())),
                Cell::Muted(f.reason.clone()),
                Cell::Muted(size_text(f.size)),
                Cell::Muted(when(&f.created_at)),
            ]
        })
        .collect();
    view! {
        <AdminTable
            id="failed-mail-table"
            headers=&["Subject", "From", "Reason", "Size", "Received"]
            rows
        />
        <p class="hint muted">"Messages that could not become a ticket or a reply are kept whole here: look at them, receive them again after a fix, or delete them."</p>
    }
    .into_any()
}

#[component]
pub fn FailedMailPage(id: i64) -> impl IntoView {
    let data = Resource::new(move || id, admin_failed_mail);
    record_page(
        Section::FailedMail(id),
        "Failed mail",
        ("/admin/failed_mails", "Failed mail"),
        data,
        |view| view! { <FailedMailDetail view/> }.into_any(),
    )
}

#[component]
fn FailedMailDetail(view: FailedMailView) -> impl IntoView {
    let FailedMailView { mail, raw, cut } = view;
    let id = mail.id;
    let state = FormState::new();
    let ticket = RwSignal::new(None::<i64>);
    // received again: this record is gone (a new failure is a new record in the list)
    let gone = RwSignal::new(false);
    let reprocess = move |_| {
        state.run(reprocess_admin_failed_mail(id), move |done| {
            ticket.set(done.ticket_id);
            gone.set(true);
            After::Note(done.message)
        });
    };
    let subject = mail
        .subject
        .clone()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "(no subject)".into());
    let question = format!("Delete the failed message \u{201c}{subject}\u{201d}?");
    let raw_url = format!("/api/v1/failed_mails/{id}/raw");
    view! {
        <h1>{subject}</h1>
        <section class="admin-card" aria-labelledby="failed-facts-title">
            <h2 id="failed-facts-title">"Why it failed"</h2>
            <p class="error" id="failed-reason">{mail.reason.clone()}</p>
            <AdminTable
                headers=&["From", "Group", "Size", "Received"]
                rows=vec![vec![
                    Cell::Text(mail.sender.clone().unwrap_or_else(|| "–".into())),
                    Cell::Text(mail.group.clone().unwrap_or_else(|| "–".into())),
                    Cell::Text(size_text(mail.size)),
                    Cell::Text(when(&mail.created_at)),
                ]]
            />
            <div class="admin-form"><div class="form-actions">
                <button
                    type="button"
                    class="primary"
                    id="reprocess-failed-mail"
                    hidden=move || gone.get()
                    disabled=move || state.saving.get()
                    on:click=reprocess
                >
                    {move || if state.saving.get() { "Receiving…" } else { "Receive again" }}
                </button>
                <a href=raw_url.clone() download=format!("failed-mail-{id}.eml")>"Download (.eml)"</a>
                <span class="saved-note" role="status">
                    {move || state.notice.get()}
                    {move || ticket.get().map(|t| view! { " " <a href=format!("/tickets/{t}")>"Open the ticket"</a> })}
                </span>
            </div></div>
            {move || state.error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </section>
        <section class="admin-card" aria-labelledby="failed-raw-title">
            <h2 id="failed-raw-title">"The message as received"</h2>
            {cut.then(|| view! { <p class="hint muted">"Only the start is shown; download it for the whole message."</p> })}
            <div class="body"><pre id="failed-raw">{raw}</pre></div>
        </section>
        <div hidden=move || gone.get()>
            {delete_card(
                "delete-failed-mail",
                "Delete failed mail",
                question,
                "The message is removed for good.",
                "/admin/failed_mails",
                move || delete_admin_failed_mail(id),
            )}
        </div>
    }
}
