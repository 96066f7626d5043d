//! Entries as DeskHero shows them: previews, reading time, people, rich text.

use std::collections::HashMap;

use sqlx::AnyConnection;

use crate::tickets::TicketRecord;
use crate::tickets::articles::ArticleRecord;
use crate::tickets::html_text::html_to_text;
use crate::{Result, accounts::users, tickets::attachments, tickets::states};

use super::*;

/// Text for an HTML text node or a double-quoted attribute.
/// words / 200, rounded up, at least 1.
pub fn read_minutes(text: &str) -> i64 {
    let words = text.split_whitespace().count();
    words.div_ceil(WORDS_PER_MINUTE).max(1) as i64
}

/// The text on one line, cut at 200 characters.
pub fn plain_preview(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= PREVIEW_CHARS {
        flat
    } else {
        let cut: String = flat.chars().take(PREVIEW_CHARS - 1).collect();
        format!("{}…", cut.trim_end())
    }
}

#[derive(Default)]
pub(super) struct People(HashMap<i64, users::UserRecord>);

impl People {
    pub(super) async fn get(
        &mut self,
        conn: &mut AnyConnection,
        id: i64,
    ) -> Result<&users::UserRecord> {
        if let std::collections::hash_map::Entry::Vacant(slot) = self.0.entry(id) {
            slot.insert(users::find(conn, id).await?);
        }
        Ok(&self.0[&id])
    }

    pub(super) async fn reference(
        &mut self,
        conn: &mut AnyConnection,
        id: i64,
    ) -> Result<ReferenceUser> {
        let u = self.get(conn, id).await?;
        Ok(ReferenceUser {
            id: u.id,
            label: u.fullname(),
            email: u.email.clone(),
            profile_pic: String::new(),
        })
    }

    pub(super) async fn contact(&mut self, conn: &mut AnyConnection, id: i64) -> Result<Contact> {
        let u = self.get(conn, id).await?;
        Ok(Contact {
            user_id: Some(u.id),
            email: u.email.clone(),
            name: u.fullname(),
            profile_pic: String::new(),
        })
    }
}

/// The ticket's state as a coloured reference.
pub(super) async fn sys_status(
    conn: &mut AnyConnection,
    ticket: &TicketRecord,
) -> Result<ReferenceColor> {
    let state = states::find(conn, ticket.state_id).await?;
    let bg = match state.state_type.as_str() {
        "new" => "#1e88e5",
        "open" => "#43a047",
        "pending reminder" | "pending action" => "#fb8c00",
        "closed" => "#757575",
        _ => "#9e9e9e",
    };
    Ok(ReferenceColor {
        id: state.id,
        label: state.name,
        bg_color: bg.into(),
        text_color: "#ffffff".into(),
    })
}

pub(super) fn rich_text(
    html: String,
    stored_body: &str,
    editorjs: Option<EditorJs>,
) -> (RichText, String) {
    let text = html_to_text(stored_body, false);
    let newest = html_to_text(stored_body, true);
    (
        RichText {
            plain_preview: plain_preview(&text),
            html,
            editorjs,
            read_minutes: read_minutes(&text),
        },
        newest,
    )
}

pub(super) async fn present_article(
    conn: &mut AnyConnection,
    people: &mut People,
    article: &ArticleRecord,
    kind: ConversationType,
    addresses: Vec<EmailAddress>,
    editorjs: Option<EditorJs>,
    status: &ReferenceColor,
) -> Result<Conversation> {
    let files = attachments::for_article(conn, article.id).await?;
    let html = attachments::rewrite_cids(&article.body, article.ticket_id, article.id, &files);
    let (content, newest) = rich_text(html, &article.body, editorjs);
    Ok(Conversation {
        id: article.id,
        ticket_id: article.ticket_id,
        kind: kind.value(),
        sys_status: status.clone(),
        created_by: people.reference(conn, article.created_by_id).await?,
        last_updated_by: people.reference(conn, article.updated_by_id).await?,
        requester: people
            .contact(conn, article.origin_by_id.unwrap_or(article.created_by_id))
            .await?,
        last_message_extracted: newest,
        sys_attachments: files
            .iter()
            .map(|f| ReferenceAttachment {
                id: f.id,
                label: f.filename.clone(),
                size_kb: (f.size + 1023) / 1024,
                status: ATTACHMENT_STATUS_OK,
                status_message: "OK".into(),
                download_url: format!(
                    "/api/v1/ticket_attachment/{}/{}/{}",
                    article.ticket_id, article.id, f.id
                ),
            })
            .collect(),
        created: article.created_at.clone(),
        last_updated: article.updated_at.clone(),
        email_addresses: addresses,
        sys_content_rich: content,
    })
}

pub(super) async fn present_draft(
    conn: &mut AnyConnection,
    people: &mut People,
    ticket_id: i64,
    draft: &SuggestedReply,
    addresses: Vec<EmailAddress>,
    editorjs: Option<EditorJs>,
    status: &ReferenceColor,
) -> Result<Conversation> {
    let (content, newest) = rich_text(draft.html.clone(), &draft.html, editorjs);
    Ok(Conversation {
        id: draft.draft_id,
        ticket_id,
        kind: ConversationType::SuggestedReply.value(),
        sys_status: status.clone(),
        created_by: people.reference(conn, draft.created_by_id).await?,
        last_updated_by: people.reference(conn, draft.updated_by_id).await?,
        requester: people.contact(conn, draft.updated_by_id).await?,
        last_message_extracted: newest,
        sys_attachments: Vec::new(),
        created: draft.created_at.clone(),
        last_updated: draft.updated_at.clone(),
        email_addresses: addresses,
        sys_content_rich: content,
    })
}
