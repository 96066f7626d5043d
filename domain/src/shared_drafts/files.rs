//! A draft's files: attachment rows owned by a reply draft (`shared_draft_id`) or a start
//! draft (`start_draft_id`), taken over from and handed back to upload caches (`form_id`).

use serde_json::Value;
use sqlx::AnyConnection;

use crate::policy::access::Actor;
use crate::{Result, storage::clock, tickets::attachments};

const COLUMNS: &str = "id, article_id, form_id, user_id, filename, size, sha256, mime_type, content_id, inline, created_at";

/// Which draft owns the files.
#[derive(Debug, Clone, Copy)]
pub enum Owner {
    Reply(i64),
    Start(i64),
}

impl Owner {
    fn column(self) -> &'static str {
        match self {
            Owner::Reply(_) => "shared_draft_id",
            Owner::Start(_) => "start_draft_id",
        }
    }

    fn id(self) -> i64 {
        match self {
            Owner::Reply(id) | Owner::Start(id) => id,
        }
    }
}

/// Which of a draft's files an operation touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    All,
    /// Not the inline images (a reply draft keeps those inside its body).
    NonInline,
}

impl Which {
    fn condition(self) -> &'static str {
        match self {
            Which::All => "",
            Which::NonInline => " AND inline = 0",
        }
    }
}

/// The draft's files, rendered like article attachments.
pub async fn list(conn: &mut AnyConnection, owner: Owner) -> Result<Vec<Value>> {
    let rows = sqlx::query_as::<_, attachments::AttachmentRecord>(&format!(
        "SELECT {COLUMNS} FROM attachments WHERE {} = $1 ORDER BY id",
        owner.column()
    ))
    .bind(owner.id())
    .fetch_all(conn)
    .await?;
    Ok(rows.iter().map(attachments::render).collect())
}

/// Removes the draft's files; returns their content hashes (to clean up unreferenced bytes).
pub async fn remove(conn: &mut AnyConnection, owner: Owner, which: Which) -> Result<Vec<String>> {
    let condition = format!("{} = $1{}", owner.column(), which.condition());
    let hashes: Vec<String> =
        sqlx::query_scalar(&format!("SELECT sha256 FROM attachments WHERE {condition}"))
            .bind(owner.id())
            .fetch_all(&mut *conn)
            .await?;
    sqlx::query(&format!("DELETE FROM attachments WHERE {condition}"))
        .bind(owner.id())
        .execute(&mut *conn)
        .await?;
    Ok(hashes)
}

/// The draft's files become copies of the caller's upload cache `form_id` (Zammad: an empty
/// cache leaves the draft without files); the form keeps its files for the article the agent
/// may still send. Returns the hashes of the replaced files.
pub async fn take_uploads(
    conn: &mut AnyConnection,
    owner: Owner,
    which: Which,
    actor: &Actor,
    form_id: &str,
) -> Result<Vec<String>> {
    let old = remove(conn, owner, which).await?;
    sqlx::query(&format!(
        "INSERT INTO attachments ({}, user_id, filename, size, sha256, mime_type, content_id, inline, created_at) \
         SELECT $1, user_id, filename, size, sha256, mime_type, content_id, inline, $4 FROM attachments \
         WHERE form_id = $2 AND user_id = $3 AND article_id IS NULL{} ORDER BY id",
        owner.column(),
        which.condition()
    ))
    .bind(owner.id())
    .bind(form_id)
    .bind(actor.id)
    .bind(clock::now())
    .execute(&mut *conn)
    .await?;
    Ok(old)
}

/// Zammad's JSON of the attachments `ids` (as `import_attachments` answers them).
pub async fn rendered(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<Value>> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push(attachments::render(&attachments::find(conn, *id).await?));
    }
    Ok(out)
}

/// `import_attachments`: copies the draft's files into the caller's upload cache `form_id`;
/// the copies' ids, ascending.
pub async fn copy_to_cache(
    conn: &mut AnyConnection,
    owner: Owner,
    actor: &Actor,
    form_id: &str,
) -> Result<Vec<i64>> {
    crate::tickets::attachments::check_form_id(form_id)?;
    let mut ids: Vec<i64> = sqlx::query_scalar(&format!(
        "INSERT INTO attachments (form_id, user_id, filename, size, sha256, mime_type, content_id, inline, created_at) \
         SELECT $1, $2, filename, size, sha256, mime_type, content_id, inline, $3 FROM attachments \
         WHERE {} = $4 ORDER BY id RETURNING id",
        owner.column()
    ))
    .bind(form_id)
    .bind(actor.id)
    .bind(clock::now())
    .bind(owner.id())
    .fetch_all(&mut *conn)
    .await?;
    ids.sort_unstable();
    Ok(ids)
}
