//! Attachments of articles, and the upload cache (`form_id`) the web composer uploads into.

use base64::Engine;
use serde_json::{Value, json};
use sqlx::{AnyConnection, FromRow};

use crate::policy::access::Actor;
use crate::storage::files::FileStore;
use crate::tickets::sanitize::InlineImage;
use crate::{Error, Result, storage::clock};

#[derive(Debug, Clone, FromRow)]
pub struct AttachmentRecord {
    pub id: i64,
    pub article_id: Option<i64>,
    pub form_id: Option<String>,
    pub user_id: i64,
    pub filename: String,
    pub size: i64,
    pub sha256: String,
    pub mime_type: String,
    pub content_id: Option<String>,
    pub inline: i64,
    pub created_at: String,
}

const COLUMNS: &str = "id, article_id, form_id, user_id, filename, size, sha256, mime_type, content_id, inline, created_at";

/// A file to store: from base64 JSON, a multipart upload, or an inline image.
#[derive(Debug, Clone)]
pub struct NewFile {
    pub filename: String,
    pub mime_type: String,
    pub bytes: Vec<u8>,
    pub content_id: Option<String>,
    pub inline: bool,
    /// The SHA-256 of `bytes` once they are in the file store ([`store_bytes`], before the
    /// write transaction); `None`: stored when the row is inserted.
    pub sha256: Option<String>,
}

/// Puts the files' bytes into the file store (content-addressed, so storing twice is
/// harmless) and notes their hashes: done before a write transaction so that no writer waits
/// for disk or S3. The bytes are pinned (see [`FileStore::pin`]) from before they are stored
/// until the returned guard is dropped: keep it until after the commit. If the transaction
/// fails, pass the hashes to [`remove_unreferenced`].
pub async fn store_bytes(
    files: &FileStore,
    list: &mut [NewFile],
) -> Result<crate::storage::files::Pinned> {
    for file in list.iter_mut().filter(|f| f.sha256.is_none()) {
        file.sha256 = Some(FileStore::sha256(&file.bytes));
    }
    let pinned = files.pin(list.iter().filter_map(|f| f.sha256.clone()).collect());
    for file in list.iter() {
        if let Some(sha) = &file.sha256 {
            files.put_hashed(sha, &file.bytes).await?;
        }
    }
    Ok(pinned)
}

/// Keeps the last path component, drops control characters and leading dots; never empty.
pub fn safe_filename(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last.chars().filter(|c| !c.is_control()).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    let cleaned: String = cleaned.chars().take(255).collect();
    if cleaned.is_empty() {
        "file".to_string()
    } else {
        cleaned
    }
}

pub fn render(a: &AttachmentRecord) -> Value {
    let mut preferences = json!({"Mime-Type": a.mime_type, "Content-Type": a.mime_type});
    if let Some(cid) = &a.content_id {
        preferences["Content-ID"] = json!(cid);
    }
    if a.inline != 0 {
        preferences["Content-Disposition"] = json!("inline");
    }
    json!({"id": a.id, "filename": a.filename, "size": a.size.to_string(), "preferences": preferences})
}

/// Standard base64 with its line breaks (`\r`, `\n`) ignored, decoded in 64 KiB pieces
/// straight into the output: no copy of the text is made, so a file costs its base64 once and
/// its bytes once. `None` for anything that is not base64.
fn decode_base64(data: &str) -> Option<Vec<u8>> {
    const PIECE: usize = 64 * 1024; // a multiple of 4: only the last piece may be padded
    let engine = &base64::engine::general_purpose::STANDARD;
    let mut out = Vec::with_capacity(data.len() / 4 * 3);
    let mut piece = Vec::with_capacity(PIECE);
    for &byte in data.as_bytes() {
        if byte == b'\r' || byte == b'\n' {
            continue;
        }
        piece.push(byte);
        if piece.len() == PIECE {
            engine.decode_vec(&piece, &mut out).ok()?;
            piece.clear();
        }
    }
    engine.decode_vec(&piece, &mut out).ok()?;
    Some(out)
}

/// Decodes the base64 files of an article (Zammad's `attachments: [{filename, data,
/// mime-type}]`); 422 naming the index of a file with a missing part or bad base64.
pub fn decode_base64_files(items: &[crate::tickets::input::Base64File]) -> Result<Vec<NewFile>> {
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let field = |key: &str, value: &Option<String>| -> Result<String> {
            value.clone().ok_or_else(|| {
                Error::unprocessable(format!(
                    "Attachment needs '{key}' param for attachment with index '{i}'"
                ))
            })
        };
        let filename = field("filename", &item.filename)?;
        let data = item.data.as_deref().ok_or_else(|| {
            Error::unprocessable(format!(
                "Attachment needs 'data' param for attachment with index '{i}'"
            ))
        })?;
        let mime = field("mime-type", &item.mime_type)?;
        let bytes = decode_base64(data).ok_or_else(|| {
            Error::unprocessable(format!("Invalid base64 for attachment with index '{i}'"))
        })?;
        let mime_type =
            if mime.contains('/') && !mime.chars().any(|c| c.is_whitespace() || c.is_control()) {
                mime.to_ascii_lowercase()
            } else {
                "application/octet-stream".to_string()
            };
        out.push(NewFile {
            filename: safe_filename(&filename),
            mime_type,
            bytes,
            content_id: None,
            inline: false,
            sha256: None,
        });
    }
    Ok(out)
}

pub fn from_inline_images(images: Vec<InlineImage>) -> Vec<NewFile> {
    images
        .into_iter()
        .enumerate()
        .map(|(i, img)| NewFile {
            filename: format!(
                "image{}.{}",
                i + 1,
                crate::tickets::sanitize::extension_for(&img.mime_type)
            ),
            mime_type: img.mime_type,
            bytes: img.bytes,
            content_id: Some(img.content_id),
            inline: true,
            sha256: None,
        })
        .collect()
}

async fn insert(
    conn: &mut AnyConnection,
    files: &FileStore,
    file: &NewFile,
    article_id: Option<i64>,
    form_id: Option<&str>,
    user_id: i64,
) -> Result<i64> {
    let sha = match &file.sha256 {
        Some(sha) => sha.clone(),
        None => files.put(&file.bytes).await?,
    };
    Ok(sqlx::query_scalar(
        "INSERT INTO attachments (article_id, form_id, user_id, filename, size, sha256, mime_type, content_id, inline, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id",
    )
    .bind(article_id)
    .bind(form_id)
    .bind(user_id)
    .bind(&file.filename)
    .bind(file.bytes.len() as i64)
    .bind(sha)
    .bind(&file.mime_type)
    .bind(&file.content_id)
    .bind(file.inline as i64)
    .bind(clock::now())
    .fetch_one(conn)
    .await?)
}

pub async fn attach_to_article(
    conn: &mut AnyConnection,
    files: &FileStore,
    article_id: i64,
    user_id: i64,
    list: &[NewFile],
) -> Result<()> {
    for file in list {
        insert(conn, files, file, Some(article_id), None, user_id).await?;
    }
    Ok(())
}

/// Moves the caller's cached uploads of `form_id` onto an article (non-inline files).
pub async fn claim_upload_cache(
    conn: &mut AnyConnection,
    actor: &Actor,
    form_id: &str,
    article_id: i64,
) -> Result<usize> {
    let moved = sqlx::query("UPDATE attachments SET article_id = $1, form_id = NULL WHERE form_id = $2 AND user_id = $3 AND article_id IS NULL")
        .bind(article_id)
        .bind(form_id)
        .bind(actor.id)
        .execute(conn)
        .await?;
    Ok(moved.rows_affected() as usize)
}

/// One file of the caller's upload cache (uploaded by them, not yet on an article).
pub async fn cached_upload(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
) -> Result<Option<AttachmentRecord>> {
    Ok(sqlx::query_as::<_, AttachmentRecord>(&format!(
        "SELECT {COLUMNS} FROM attachments WHERE id = $1 AND user_id = $2 AND article_id IS NULL"
    ))
    .bind(id)
    .bind(actor.id)
    .fetch_optional(conn)
    .await?)
}

/// Moves one file of the caller's upload cache onto an article; false if it is not there.
pub async fn claim_cached_upload(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    article_id: i64,
) -> Result<bool> {
    let moved = sqlx::query("UPDATE attachments SET article_id = $1, form_id = NULL WHERE id = $2 AND user_id = $3 AND article_id IS NULL")
        .bind(article_id)
        .bind(id)
        .bind(actor.id)
        .execute(conn)
        .await?;
    Ok(moved.rows_affected() == 1)
}

pub async fn for_article(
    conn: &mut AnyConnection,
    article_id: i64,
) -> Result<Vec<AttachmentRecord>> {
    Ok(sqlx::query_as::<_, AttachmentRecord>(&format!(
        "SELECT {COLUMNS} FROM attachments WHERE article_id = $1 ORDER BY id"
    ))
    .bind(article_id)
    .fetch_all(conn)
    .await?)
}

/// The attachments of several articles at once (`article id → files` in id order).
pub async fn for_articles(
    conn: &mut AnyConnection,
    article_ids: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<AttachmentRecord>>> {
    let mut out: std::collections::HashMap<i64, Vec<AttachmentRecord>> =
        std::collections::HashMap::new();
    if article_ids.is_empty() {
        return Ok(out);
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM attachments WHERE article_id IN ({}) ORDER BY id",
        crate::storage::store::id_list(article_ids.iter().copied())
    );
    for file in sqlx::query_as::<_, AttachmentRecord>(&sql)
        .persistent(false)
        .fetch_all(conn)
        .await?
    {
        if let Some(article) = file.article_id {
            out.entry(article).or_default().push(file);
        }
    }
    Ok(out)
}

pub async fn find(conn: &mut AnyConnection, id: i64) -> Result<AttachmentRecord> {
    sqlx::query_as::<_, AttachmentRecord>(&format!(
        "SELECT {COLUMNS} FROM attachments WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| Error::not_found("Store", id))
}

/// `POST /attachments`: a file into the caller's upload cache for a form.
pub async fn upload_to_cache(
    conn: &mut AnyConnection,
    files: &FileStore,
    actor: &Actor,
    form_id: &str,
    file: NewFile,
) -> Result<AttachmentRecord> {
    check_form_id(form_id)?;
    let id = insert(conn, files, &file, None, Some(form_id), actor.id).await?;
    find(conn, id).await
}

/// `POST /ticket_attachment_upload_clone_by_article/{article_id}` (forwarding an article):
/// copies the article's attached files into the caller's upload cache `form_id`, so that the
/// article the caller sends with that `form_id` carries them. As Zammad's
/// `CanCloneAttachments#clone_attachments(only_attached_attachments: true)`
/// (`app/models/concerns/can_clone_attachments.rb`): inline images are left out (an HTML
/// article's files whose Content-ID its body references, and Tandem's inline images), and so
/// is a file the cache already holds under the same name and size (a second click copies
/// nothing twice). The copies share the originals' bytes (content-addressed); returns the
/// copies, in the article's order. The caller checked that `actor` may read the article.
/// Errors: 422 for a missing or over-long `form_id`.
pub async fn clone_to_cache(
    conn: &mut AnyConnection,
    actor: &Actor,
    article: &crate::tickets::articles::ArticleRecord,
    form_id: &str,
) -> Result<Vec<AttachmentRecord>> {
    check_form_id(form_id)?;
    let html = article.content_type.eq_ignore_ascii_case("text/html");
    let referenced = |cid: &str| {
        let cid = cid.trim_matches(['<', '>']);
        !cid.is_empty() && article.body.contains(cid)
    };
    let cached = sqlx::query_as::<_, AttachmentRecord>(&format!(
        "SELECT {COLUMNS} FROM attachments WHERE form_id = $1 AND user_id = $2 AND article_id IS NULL"
    ))
    .bind(form_id)
    .bind(actor.id)
    .fetch_all(&mut *conn)
    .await?;
    let mut copies = Vec::new();
    for file in for_article(conn, article.id).await? {
        let inline =
            file.inline != 0 || (html && file.content_id.as_deref().is_some_and(referenced));
        let cached_already = cached
            .iter()
            .chain(copies.iter())
            .any(|c: &AttachmentRecord| c.filename == file.filename && c.size == file.size);
        if inline || cached_already {
            continue;
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO attachments (form_id, user_id, filename, size, sha256, mime_type, content_id, inline, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,0,$8) RETURNING id",
        )
        .bind(form_id)
        .bind(actor.id)
        .bind(&file.filename)
        .bind(file.size)
        .bind(&file.sha256)
        .bind(&file.mime_type)
        .bind(&file.content_id)
        .bind(clock::now())
        .fetch_one(&mut *conn)
        .await?;
        copies.push(find(conn, id).await?);
    }
    Ok(copies)
}

/// A `form_id` names an upload cache: 1–200 characters, not blank; 422 otherwise. Every way
/// into an upload cache checks it (uploads, forwarding, a draft's files).
pub fn check_form_id(form_id: &str) -> Result<()> {
    if form_id.trim().is_empty() || form_id.len() > 200 {
        return Err(Error::unprocessable(
            "The required value 'form_id' is missing.",
        ));
    }
    Ok(())
}

/// `DELETE /attachments/{id}`: only the uploader's own cached files.
pub async fn delete_cached(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
) -> Result<Option<String>> {
    let a = find(conn, id).await?;
    if a.user_id != actor.id || a.article_id.is_some() {
        return Err(Error::not_authorized());
    }
    sqlx::query("DELETE FROM attachments WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(Some(a.sha256))
}

/// Content hashes referenced by a ticket's attachments (to clean up after deleting it).
pub async fn hashes_of_ticket(conn: &mut AnyConnection, ticket_id: i64) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar("SELECT DISTINCT a.sha256 FROM attachments a JOIN ticket_articles ar ON ar.id = a.article_id WHERE ar.ticket_id = $1 \
         UNION SELECT a.sha256 FROM attachments a JOIN ticket_shared_drafts d ON d.id = a.shared_draft_id WHERE d.ticket_id = $2 \
         UNION SELECT m.sha256 FROM ticket_article_mails m JOIN ticket_articles ar ON ar.id = m.article_id WHERE ar.ticket_id = $3")
        .bind(ticket_id)
        .bind(ticket_id)
        .bind(ticket_id)
        .fetch_all(conn)
        .await?)
}

/// Removes the bytes of hashes nothing refers to any more — no attachment, no article's raw
/// e-mail, no failed mail (call after commit).
pub async fn remove_unreferenced(
    conn: &mut AnyConnection,
    files: &FileStore,
    hashes: &[String],
) -> Result<()> {
    for sha in hashes {
        let refs: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM attachments WHERE sha256 = $1) \
             + (SELECT COUNT(*) FROM ticket_article_mails WHERE sha256 = $2) \
             + (SELECT COUNT(*) FROM failed_mails WHERE sha256 = $3)",
        )
        .bind(sha)
        .bind(sha)
        .bind(sha)
        .fetch_one(&mut *conn)
        .await?;
        if refs == 0 {
            files.delete(sha).await?;
        }
    }
    Ok(())
}

/// Rewrites `cid:` image references to the download URL of the matching inline attachment.
pub fn rewrite_cids(
    body: &str,
    ticket_id: i64,
    article_id: i64,
    attachments: &[AttachmentRecord],
) -> String {
    let mut out = body.to_string();
    for a in attachments {
        if let Some(cid) = &a.content_id {
            let url = format!(
                "/api/v1/ticket_attachment/{ticket_id}/{article_id}/{}?view=inline",
                a.id
            );
            out = out
                .replace(&format!("cid:{cid}"), &url)
                .replace(&format!("cid:&lt;{cid}&gt;"), &url);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_is_decoded_across_pieces_and_line_breaks() {
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i * 7919 % 251) as u8).collect();
        let text = base64::engine::general_purpose::STANDARD.encode(&bytes);
        assert_eq!(decode_base64(&text).as_deref(), Some(&bytes[..]));
        // MIME-style lines of 76 characters
        let wrapped: String = text
            .as_bytes()
            .chunks(76)
            .map(|l| format!("{}\r\n", std::str::from_utf8(l).unwrap()))
            .collect();
        assert_eq!(decode_base64(&wrapped).as_deref(), Some(&bytes[..]));
        assert_eq!(decode_base64("").as_deref(), Some(&[][..]));
        assert_eq!(decode_base64("aGk=").as_deref(), Some(&b"hi"[..]));
        assert!(decode_base64("a=Gk").is_none());
        assert!(decode_base64("not base64!").is_none());
    }

    #[test]
    fn filenames_lose_paths_and_control_characters() {
        assert_eq!(safe_filename("../../etc/passwd"), "passwd");
        assert_eq!(safe_filename("..\\..\\boot.ini"), "boot.ini");
        assert_eq!(safe_filename("a\u{0}b\nc.txt"), "abc.txt");
        assert_eq!(safe_filename(".."), "file");
        assert_eq!(safe_filename("<script>x</script>.html"), "script>.html");
    }

    fn parse_base64_list(list: &Value) -> Result<Vec<NewFile>> {
        let part =
            |item: &Value, key: &str| item.get(key).and_then(Value::as_str).map(String::from);
        let files: Vec<crate::tickets::input::Base64File> = list
            .as_array()
            .into_iter()
            .flatten()
            .map(|item| crate::tickets::input::Base64File {
                filename: part(item, "filename"),
                data: part(item, "data"),
                mime_type: part(item, "mime-type"),
            })
            .collect();
        decode_base64_files(&files)
    }

    #[test]
    fn base64_errors_name_the_index() {
        let bad = json!([{"filename": "a", "data": "aGk=", "mime-type": "text/plain"}, {"filename": "b", "data": "%%%", "mime-type": "text/plain"}]);
        assert_eq!(
            parse_base64_list(&bad).unwrap_err().to_string(),
            "Invalid base64 for attachment with index '1'"
        );
        let missing = json!([{"filename": "a", "data": "aGk="}]);
        assert_eq!(
            parse_base64_list(&missing).unwrap_err().to_string(),
            "Attachment needs 'mime-type' param for attachment with index '0'"
        );
        let ok = json!([{"filename": "a.txt", "data": "aG\r\nk=", "mime-type": "text/plain"}]);
        assert_eq!(parse_base64_list(&ok).unwrap()[0].bytes, b"hi");
    }
}
