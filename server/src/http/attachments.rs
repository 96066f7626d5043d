//! Attachment download (`/ticket_attachment/...`) with safe headers, and the upload cache
//! (`/attachments`) the web composer uploads into.

use axum::Json;
use axum::body::Body;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::tickets::attachments::{self, NewFile};
use domain::{Error, tickets, tickets::articles};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};

use super::caller::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::QueryParams;
use crate::state::AppState;

/// Types served as themselves (an allow-list: images but SVG, PDF, plain text, audio and
/// video). Anything else (HTML, SVG, XML, scripts, unknown types) is served as
/// `application/octet-stream` with `attachment`, so that no stored file can act as a page or
/// as a script (`<script src>` under the pages' `script-src 'self'`).
fn served_as_itself(mime: &str) -> bool {
    INLINE_OK.contains(&mime)
        || mime == "text/plain"
        || ((mime.starts_with("audio/") || mime.starts_with("video/"))
            && mime.len() < 64
            && mime
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/.+-".contains(&b)))
}

/// Types that may be shown inline.
const INLINE_OK: [&str; 12] = [
    "image/png",
    "image/gif",
    "image/jpeg",
    "image/tiff",
    "image/bmp",
    "image/webp",
    "image/avif",
    "image/vnd.adobe.photoshop",
    "image/x-icon",
    "image/vnd.microsoft.icon",
    "application/pdf",
    "image/pjpeg",
];

/// `Content-Disposition` per RFC 6266: an ASCII fallback plus the exact UTF-8 name.
pub fn content_disposition(disposition: &str, filename: &str) -> String {
    let fallback: String = filename
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() || c == ' ') && c != '"' && c != '\\' && c != ';' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{}",
        utf8_percent_encode(filename, NON_ALPHANUMERIC)
    )
}

/// Content type and disposition actually sent for a stored type and a requested disposition.
pub fn served_as(mime: &str, requested: &str) -> (String, &'static str) {
    let mime = mime
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if !served_as_itself(&mime) {
        return ("application/octet-stream".into(), "attachment");
    }
    let disposition = if requested == "inline" && INLINE_OK.contains(&mime.as_str()) {
        "inline"
    } else {
        "attachment"
    };
    (mime, disposition)
}

#[cfg(test)]
mod tests {
    use super::served_as;

    #[test]
    fn only_safe_types_are_served_as_themselves() {
        for script in [
            "text/x-javascript",
            "text/javascript",
            "application/javascript",
            "text/html",
            "image/svg+xml",
            "application/xml",
            "text/css",
            "application/wasm",
            "application/json",
            "text/vtt",
            "",
            "text/plain/../html",
            "audio/x y",
        ] {
            assert_eq!(
                served_as(script, "inline"),
                ("application/octet-stream".into(), "attachment"),
                "{script}"
            );
        }
        assert_eq!(
            served_as("image/png", "inline"),
            ("image/png".into(), "inline")
        );
        assert_eq!(
            served_as("Application/PDF; x=y", "inline"),
            ("application/pdf".into(), "inline")
        );
        assert_eq!(
            served_as("text/plain; charset=utf-8", "attachment").0,
            "text/plain"
        );
        assert_eq!(served_as("video/mp4", "inline").0, "video/mp4");
    }
}

fn scaled(bytes: &[u8], mime: &str, width: u32) -> Option<Vec<u8>> {
    let format = match mime {
        "image/png" => image::ImageFormat::Png,
        "image/jpeg" | "image/pjpeg" => image::ImageFormat::Jpeg,
        _ => return None,
    };
    let img = image::load_from_memory_with_format(bytes, format).ok()?;
    if img.width() <= width {
        return None;
    }
    let resized = img.resize(width, u32::MAX, image::imageops::FilterType::Triangle);
    let mut out = std::io::Cursor::new(Vec::new());
    resized.write_to(&mut out, format).ok()?;
    Some(out.into_inner())
}

/// Downloads a file of an article the caller may read.
#[utoipa::path(get, path = "/ticket_attachment/{ticket_id}/{article_id}/{file_id}", tag = "attachments",
    params(("ticket_id" = i64, Path), ("article_id" = i64, Path), ("file_id" = i64, Path),
           ("disposition" = Option<String>, Query, description = "inline (default) or attachment"),
           ("view" = Option<String>, Query, description = "preview (200 px) or inline (1800 px) for images")),
    responses((status = 200, description = "The file's bytes"), (status = 304, description = "Not modified (ETag)"),
              (status = 403, description = "No access, or the file/article belongs elsewhere"), (status = 404, description = "Unknown id")))]
pub async fn download(
    State(state): State<AppState>,
    caller: Caller,
    Path((ticket_id, article_id, file_id)): Path<(i64, i64, i64)>,
    q: QueryParams,
    request_headers: HeaderMap,
) -> ApiResult<Response> {
    let mut conn = state.store.read().await?;
    tickets::load_readable(&mut conn, &caller.actor, ticket_id).await?;
    let article = articles::find(&mut conn, article_id).await?;
    if article.ticket_id != ticket_id {
        return Err(ApiError(Error::Forbidden(
            "The article does not belong to the specified ticket.".into(),
        )));
    }
    articles::load_readable(&mut conn, &caller.actor, article_id).await?;
    let file = attachments::find(&mut conn, file_id).await?;
    if file.article_id != Some(article_id) {
        return Err(ApiError(Error::Forbidden(
            "The file does not belong to the specified article.".into(),
        )));
    }
    drop(conn);
    let requested = q.text("disposition").unwrap_or("inline");
    if requested != "inline" && requested != "attachment" {
        return Err(ApiError(Error::Forbidden(format!(
            "Invalid disposition {requested} requested. Only inline, attachment are valid."
        ))));
    }
    let view = q.text("view").unwrap_or_default();
    let width = match view {
        "preview" => Some(200),
        "inline" => Some(1800),
        _ => None,
    };
    let etag = format!(
        "\"{}{}\"",
        file.sha256,
        width.map(|w| format!("-{w}")).unwrap_or_default()
    );
    let (content_type, disposition) = served_as(&file.mime_type, requested);
    let mut headers = HeaderMap::new();
    let set = |h: &mut HeaderMap, k: header::HeaderName, v: &str| {
        if let Ok(v) = HeaderValue::from_str(v) {
            h.insert(k, v);
        }
    };
    set(&mut headers, header::ETAG, &etag);
    set(
        &mut headers,
        header::CACHE_CONTROL,
        "private, max-age=86400",
    );
    set(&mut headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    let csp = if content_type == "application/pdf" {
        "default-src 'none'; object-src 'self'; plugin-types application/pdf"
    } else {
        "default-src 'none'; sandbox"
    };
    set(&mut headers, header::CONTENT_SECURITY_POLICY, csp);
    if request_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return Ok((StatusCode::NOT_MODIFIED, headers).into_response());
    }
    set(&mut headers, header::CONTENT_TYPE, &content_type);
    set(
        &mut headers,
        header::CONTENT_DISPOSITION,
        &content_disposition(disposition, &file.filename),
    );
    if let Some(width) = width {
        let bytes = state.files.get(&file.sha256).await?;
        if let Some(smaller) = scaled(&bytes, &content_type, width) {
            return Ok((headers, smaller).into_response());
        }
        return Ok((headers, bytes).into_response());
    }
    let bytes = state.files.stream(&file.sha256).await?;
    set(&mut headers, header::CONTENT_LENGTH, &file.size.to_string());
    Ok((headers, Body::from_stream(bytes)).into_response())
}

/// Uploads a file (`File`, `form_id`) into the caller's upload cache.
#[utoipa::path(post, path = "/attachments", tag = "attachments",
    request_body(content_type = "multipart/form-data", description = "`File` (the file) and `form_id`"),
    responses((status = 200, description = "`{success, data: {id, filename, size}}`", body = Value), (status = 422, description = "Missing file or form_id")))]
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    mut multipart: Multipart,
) -> ApiResult<Json<Value>> {
    // the file is read into one buffer sized by the request (the body limit layer has refused
    // longer requests already), so a large upload is held once, not copied while it grows
    let expected = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0)
        .min(1 << 30);
    let mut form_id = None;
    let mut file = None;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| bad_multipart(&e.to_string(), e.status()))?
    {
        match field.name() {
            Some("form_id") => {
                form_id = Some(
                    field
                        .text()
                        .await
                        .map_err(|e| bad_multipart(&e.to_string(), e.status()))?,
                )
            }
            Some("File") | Some("file") => {
                let filename = attachments::safe_filename(field.file_name().unwrap_or("file"));
                let mime = field.content_type().map(str::to_string).unwrap_or_else(|| {
                    mime_guess::from_path(&filename)
                        .first_or_octet_stream()
                        .to_string()
                });
                let mut bytes = Vec::with_capacity(expected);
                while let Some(chunk) = field
                    .chunk()
                    .await
                    .map_err(|e| bad_multipart(&e.to_string(), e.status()))?
                {
                    bytes.extend_from_slice(&chunk);
                }
                file = Some(NewFile {
                    filename,
                    mime_type: mime,
                    bytes,
                    content_id: None,
                    inline: false,
                    sha256: None,
                });
            }
            _ => {}
        }
    }
    let form_id = form_id.ok_or_else(|| {
        ApiError(Error::unprocessable(
            "The required value 'form_id' is missing.",
        ))
    })?;
    let file = file.ok_or_else(|| {
        ApiError(Error::unprocessable(
            "The required value 'File' is missing.",
        ))
    })?;
    let stored = state
        .desk
        .upload_to_cache(&caller.actor, &form_id, file)
        .await?;
    Ok(Json(
        json!({"success": true, "data": {"id": stored.id, "filename": stored.filename, "size": stored.size.to_string()}}),
    ))
}

fn bad_multipart(message: &str, status: StatusCode) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError(Error::PayloadTooLarge("Request Entity Too Large".into()))
    } else {
        ApiError(Error::unprocessable(format!("Invalid upload: {message}")))
    }
}

/// Removes one of the caller's cached uploads.
#[utoipa::path(delete, path = "/attachments/{id}", tag = "attachments", params(("id" = i64, Path)),
    responses((status = 200, description = "Deleted", body = Value), (status = 403, description = "Not the caller's cached upload")))]
pub async fn delete_cached(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    state.desk.delete_cached_upload(&caller.actor, id).await?;
    Ok(Json(json!({"success": true})))
}
