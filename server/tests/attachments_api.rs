//! Attachments: base64 uploads, inline images, the upload cache, download headers and checks.

mod common;

use base64::Engine;
use common::*;
use serde_json::{Value, json};

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A real 400×300 PNG, so previews can be scaled.
fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(width, height, image::Rgb([200, 30, 30]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A ticket of Nicole's in group Users that agent1 opens with `article` (201); its id and its
/// first article as `reader` sees it.
async fn ticket_with_files(
    s: &TestServer,
    title: &str,
    article: Value,
    reader: &str,
) -> (i64, Value) {
    let body = json!({"title": title, "group": "Users", "customer": NICOLE, "article": article});
    let t = send(s.post("/tickets", AGENT1).json(&body)).await;
    assert_eq!(t.0, 201, "{}: {}", s.db.name, t.1);
    let id = t.1["id"].as_i64().unwrap();
    let articles = send(s.get(&format!("/ticket_articles/by_ticket/{id}"), reader)).await;
    (id, articles.1[0].clone())
}

/// Agent1 uploads `filename` (the bytes `cached bytes`) into the upload cache `form_id`.
async fn upload_to_cache(s: &TestServer, form_id: &str, filename: &str) {
    let form = reqwest::multipart::Form::new()
        .text("form_id", form_id.to_string())
        .part(
            "File",
            reqwest::multipart::Part::bytes(b"cached bytes".to_vec())
                .file_name(filename.to_string()),
        );
    let r = send(s.post("/attachments", AGENT1).multipart(form)).await;
    assert_eq!(r.1["success"], true, "{}: {}", s.db.name, r.1);
}

/// The attachment called `name` of `article`.
fn file_named(article: &Value, name: &str) -> Value {
    article["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["filename"] == name)
        .unwrap_or_else(|| panic!("{name} in {article}"))
        .clone()
}

/// The download URL of `file` of `article` on `ticket`, with `query` ("" or "?…").
fn attachment_url(
    s: &TestServer,
    ticket: i64,
    article: &Value,
    file: &Value,
    query: &str,
) -> String {
    s.url(&format!(
        "/ticket_attachment/{ticket}/{}/{}{query}",
        article["id"], file["id"]
    ))
}

/// The bytes agent1 downloads from `url`.
async fn download(s: &TestServer, url: String) -> Vec<u8> {
    s.fetch(url, AGENT1).await.bytes().await.unwrap().to_vec()
}

/// Width and height of the image an agent downloads from `url`.
async fn preview_size(s: &TestServer, url: String) -> (u32, u32) {
    let bytes = download(s, url).await;
    let image = image::load_from_memory(&bytes).unwrap();
    (image.width(), image.height())
}

#[tokio::test]
async fn upload_inline_download_and_headers() {
    for s in servers().await {
        let ctx = s.db.name;
        let image = png(400, 300);
        let html = format!(
            r#"<p>see <img src="data:image/png;base64,{}" alt="shot"></p>"#,
            b64(&image)
        );
        let (id, ref article) = ticket_with_files(&s, "files", json!({
            "body": html, "content_type": "text/html",
            "attachments": [
                {"filename": "../../report ä.txt", "data": b64(b"report body"), "mime-type": "text/plain"},
                {"filename": "evil.html", "data": b64(b"<script>alert(1)</script>"), "mime-type": "text/html"}
            ]}), NICOLE).await;
        let files = article["attachments"].as_array().unwrap();
        assert_eq!(
            files.len(),
            3,
            "{ctx}: two uploads + the inline image: {files:?}"
        );
        let by_name = |n: &str| file_named(article, n);
        let report = by_name("report ä.txt");
        assert_eq!(report["size"], "11", "{ctx}: size is a string");
        let inline = by_name("image1.png");
        assert_eq!(inline["preferences"]["Content-Disposition"], "inline");
        assert!(
            inline["preferences"]["Content-ID"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{id}."))
        );
        let article_id = article["id"].as_i64().unwrap();
        let body = article["body"].as_str().unwrap();
        assert!(
            body.contains(&format!(
                "/api/v1/ticket_attachment/{id}/{article_id}/{}?view=inline",
                inline["id"]
            )),
            "{ctx}: cid rewritten: {body}"
        );
        assert!(!body.contains("data:"), "{ctx}");

        let url = |f: &Value, q: &str| attachment_url(&s, id, article, f, q);
        let r = s.fetch(url(&report, ""), NICOLE).await;
        assert_eq!(r.status(), 200, "{ctx}");
        let h = r.headers().clone();
        assert_eq!(h["content-type"], "text/plain");
        assert_eq!(
            h["content-disposition"],
            "attachment; filename=\"report _.txt\"; filename*=UTF-8''report%20%C3%A4%2Etxt",
            "{ctx}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .starts_with("default-src 'none'")
        );
        let etag = h["etag"].to_str().unwrap().to_string();
        assert_eq!(
            r.bytes().await.unwrap().as_ref(),
            b"report body",
            "{ctx}: same bytes back"
        );
        let r = s
            .get_url(url(&report, ""), NICOLE)
            .header("If-None-Match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 304, "{ctx}");
        let evil = by_name("evil.html");
        let r = s.fetch(url(&evil, "?disposition=inline"), AGENT1).await;
        assert_eq!(
            r.headers()["content-type"],
            "application/octet-stream",
            "{ctx}: html never served as html"
        );
        assert!(
            r.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment;")
        );
        let r = s.fetch(url(&inline, ""), AGENT1).await;
        assert!(
            r.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("inline;"),
            "{ctx}"
        );
        assert_eq!(r.bytes().await.unwrap().as_ref(), image.as_slice(), "{ctx}");
        assert_eq!(
            preview_size(&s, url(&inline, "?view=preview")).await,
            (200, 150),
            "{ctx}: preview scaled to 200 px"
        );
        let r = send(s.get(
            &format!(
                "/ticket_attachment/{id}/{article_id}/{}?disposition=evil",
                report["id"]
            ),
            AGENT1,
        ))
        .await;
        assert_error(
            &r,
            403,
            "Invalid disposition evil requested. Only inline, attachment are valid.",
            ctx,
        );
        assert_status(
            s.get(
                &format!("/ticket_attachment/{id}/{article_id}/{}", report["id"]),
                LEE,
            ),
            403,
            &format!("{ctx}: stranger"),
        )
        .await;
        assert_status(
            s.get(
                &format!("/ticket_attachment/{id}/{article_id}/999999"),
                AGENT1,
            ),
            404,
            ctx,
        )
        .await;
        // a file of another article of the same ticket → 403
        let reply = send(
            s.post("/ticket_articles", AGENT1)
                .json(&json!({"ticket_id": id, "body": "more"})),
        )
        .await
        .1;
        let r = send(s.get(
            &format!("/ticket_attachment/{id}/{}/{}", reply["id"], report["id"]),
            AGENT1,
        ))
        .await;
        assert_error(
            &r,
            403,
            "The file does not belong to the specified article.",
            ctx,
        );
        s.finish().await;
    }
}

#[tokio::test]
async fn bad_attachments_store_nothing() {
    for s in servers().await {
        let ctx = s.db.name;
        let body = |atts: Value| json!({"title": "x", "group": "Users", "customer": NICOLE, "article": {"body": "b", "attachments": atts}});
        let r = send(s.post("/tickets", AGENT1).json(&body(
            json!([{"filename": "a", "data": "!!!", "mime-type": "text/plain"}]),
        )))
        .await;
        assert_error(&r, 422, "Invalid base64 for attachment with index '0'", ctx);
        let r = send(
            s.post("/tickets", AGENT1)
                .json(&body(json!([{"filename": "a", "data": "aGk="}]))),
        )
        .await;
        assert_error(
            &r,
            422,
            "Attachment needs 'mime-type' param for attachment with index '0'",
            ctx,
        );
        assert_eq!(
            send(s.get("/tickets", AGENT1)).await.1,
            json!([]),
            "{ctx}: nothing half-stored"
        );
        s.finish().await;
    }
}

#[tokio::test]
async fn upload_cache_feeds_form_id_and_delete_removes_bytes() {
    for s in servers().await {
        let ctx = s.db.name;
        upload_to_cache(&s, "form-123", "notes.txt").await;
        let (id, ref article) = ticket_with_files(
            &s,
            "cached",
            json!({"body": "see file", "form_id": "form-123"}),
            AGENT1,
        )
        .await;
        assert_eq!(article["attachments"][0]["filename"], "notes.txt", "{ctx}");
        assert_eq!(
            article["attachments"][0]["preferences"]["Mime-Type"],
            "text/plain"
        );
        let sha = domain::storage::files::FileStore::sha256(b"cached bytes");
        let path = s.db_files().path_of(&sha).unwrap();
        assert!(path.exists(), "{ctx}");
        assert_status(s.delete(&format!("/tickets/{id}"), ADMIN), 200, "").await;
        assert!(!path.exists(), "{ctx}: last reference gone → bytes gone");
        s.finish().await;
    }
}

#[tokio::test]
async fn sixty_megabytes_are_refused_with_413() {
    let db = common::support::sqlite().await;
    let s = start(db, 50 * 1024 * 1024).await; // the default cap
    let data = "A".repeat(60 * 1024 * 1024);
    let body = format!(
        r#"{{"ticket_id": 1, "body": "x", "attachments": [{{"filename": "big.bin", "data": "{data}", "mime-type": "application/octet-stream"}}]}}"#
    );
    let r = send(
        s.post("/ticket_articles", AGENT1)
            .header("content-type", "application/json")
            .body(body),
    )
    .await;
    assert_error(&r, 413, "Request Entity Too Large", "sqlite");
    s.finish().await;
}

#[tokio::test]
async fn hostile_and_non_utf8_filenames_are_neutralised() {
    let db = common::support::sqlite().await;
    let s = start(db, 50 * 1024 * 1024).await;
    // a raw multipart body whose filename is Latin-1 (not UTF-8)
    let mut body = Vec::new();
    body.extend_from_slice(
        b"--XyZ\r\nContent-Disposition: form-data; name=\"form_id\"\r\n\r\nf1\r\n",
    );
    body.extend_from_slice(b"--XyZ\r\nContent-Disposition: form-data; name=\"File\"; filename=\"r\xe9sum\xe9.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--XyZ--\r\n");
    let r = send(
        s.post("/attachments", AGENT1)
            .header("content-type", "multipart/form-data; boundary=XyZ")
            .body(body),
    )
    .await;
    // either refused as bad input, or stored under a safe name; never a 500
    assert!(r.0 == 200 || r.0 == 422, "{}: {}", r.0, r.1);
    if r.0 == 200 {
        let name = r.1["data"]["filename"].as_str().unwrap();
        assert!(!name.is_empty() && !name.contains('/'), "{name}");
    }
    // script and path tricks in a base64 attachment's name
    let (id, ref article) = ticket_with_files(&s, "x", json!({"body": "b",
        "attachments": [{"filename": "../<img src=x onerror=alert(1)>.txt", "data": b64(b"x"), "mime-type": "text/plain"}]}), AGENT1).await;
    let file = &article["attachments"][0];
    let name = file["filename"].as_str().unwrap();
    assert!(!name.contains('/') && !name.starts_with('.'), "{name}");
    let path = format!("/ticket_attachment/{id}/{}/{}", article["id"], file["id"]);
    let r = s.fetch(s.url(&path), AGENT1).await;
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(
        disposition,
        "attachment; filename=\"<img src=x onerror=alert(1)>.txt\"; filename*=UTF-8''%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E%2Etxt"
    );
    assert_eq!(
        r.headers()["content-type"],
        "text/plain",
        "served as text, never as html"
    );
    s.finish().await;
}

#[tokio::test]
async fn object_storage_upload_download_and_delete() {
    for db in support::backends().await {
        let ctx = db.name;
        let s3 = fake_s3::FakeS3::start().await;
        let s = start_with_files(
            db,
            50 * 1024 * 1024,
            Some(s3.file_store("tandem/attachments")),
        )
        .await;
        let report: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
        let image = png(400, 300);
        let (id, ref article) = ticket_with_files(&s, "in S3", json!({
            "body": "see files",
            "attachments": [
                {"filename": "report.bin", "data": b64(&report), "mime-type": "application/octet-stream"},
                {"filename": "shot.png", "data": b64(&image), "mime-type": "image/png"}
            ]}), NICOLE).await;
        let by_name = |n: &str| file_named(article, n);
        let url = |f: &Value, q: &str| attachment_url(&s, id, article, f, q);

        // the bytes are in the bucket under the prefix, not on local disk
        let keys: Vec<String> = [&report, &image]
            .iter()
            .map(|bytes| {
                let sha = domain::storage::files::FileStore::sha256(bytes);
                format!("tandem/attachments/{}/{}/{sha}", &sha[..2], &sha[2..4])
            })
            .collect();
        assert_eq!(s3.keys().len(), 2, "{ctx}: {:?}", s3.keys());
        assert!(
            s3.object(&keys[0]).unwrap() == report,
            "{ctx}: report stored"
        );
        assert!(s3.object(&keys[1]).unwrap() == image, "{ctx}: image stored");
        for bytes in [&report, &image] {
            let sha = domain::storage::files::FileStore::sha256(bytes);
            let local = domain::storage::files::FileStore::new(&s.files_dir)
                .path_of(&sha)
                .unwrap();
            assert!(!local.exists(), "{ctx}: not on local disk: {local:?}");
        }

        // streamed download: same bytes, Content-Length from the database
        let r = s.fetch(url(&by_name("report.bin"), ""), NICOLE).await;
        assert_eq!(r.status(), 200, "{ctx}");
        assert_eq!(r.headers()["content-length"], report.len().to_string());
        assert!(
            r.bytes().await.unwrap().as_ref() == report.as_slice(),
            "{ctx}: same bytes back"
        );
        // image previews read the whole object
        assert_eq!(
            preview_size(&s, url(&by_name("shot.png"), "?view=preview")).await,
            (200, 150),
            "{ctx}"
        );

        // a second ticket with the same report: stored once (HEAD, no second PUT)
        let puts = s3.count(axum::http::Method::PUT);
        let t2 = send(s.post("/tickets", AGENT1).json(&json!({"title": "again", "group": "Users", "customer": NICOLE, "article": {
            "body": "same file",
            "attachments": [{"filename": "copy.bin", "data": b64(&report), "mime-type": "application/octet-stream"}]}}))).await;
        assert_eq!(t2.0, 201, "{ctx}: {}", t2.1);
        assert_eq!(
            s3.count(axum::http::Method::PUT),
            puts,
            "{ctx}: deduplicated"
        );
        assert_eq!(s3.keys().len(), 2, "{ctx}");

        // deleting the first ticket removes the image; the report is still referenced
        assert_status(s.delete(&format!("/tickets/{id}"), ADMIN), 200, ctx).await;
        assert!(s3.object(&keys[1]).is_none(), "{ctx}: image gone");
        assert!(s3.object(&keys[0]).is_some(), "{ctx}: report still used");
        let t2_id = t2.1["id"].as_i64().unwrap();
        assert_status(s.delete(&format!("/tickets/{t2_id}"), ADMIN), 200, ctx).await;
        assert_eq!(
            s3.keys(),
            Vec::<String>::new(),
            "{ctx}: last reference gone → object gone"
        );

        // an object missing from the bucket: a 500, not a hang or a panic
        let (t3_id, ref a3) = ticket_with_files(&s, "lost", json!({
            "body": "b",
            "attachments": [{"filename": "lost.txt", "data": b64(b"soon lost"), "mime-type": "text/plain"}]}), AGENT1).await;
        s.files
            .delete(&domain::storage::files::FileStore::sha256(b"soon lost"))
            .await
            .unwrap();
        let r = send(s.get(
            &format!(
                "/ticket_attachment/{t3_id}/{}/{}",
                a3["id"], a3["attachments"][0]["id"]
            ),
            AGENT1,
        ))
        .await;
        assert_eq!(r.0, 500, "{ctx}: {}", r.1);
        assert_eq!(s3.unsigned(), 0, "{ctx}: every request signed");
        s.finish().await;
    }
}

/// Forwarding (`POST /ticket_attachment_upload_clone_by_article/{id}`, Zammad's
/// `ticket_attachment_upload_clone_by_article`): the article's attached files — not its inline
/// images — are copied into the caller's upload cache once, and the next article sent with that
/// `form_id` carries them; a customer cannot copy an internal article's files; no `form_id` is
/// Zammad's 422.
#[tokio::test]
async fn forwarding_copies_an_articles_attached_files_into_the_upload_cache() {
    for s in servers().await {
        let ctx = s.db.name;
        let html = format!(
            r#"<p>see <img src="data:image/png;base64,{}" alt="shot"></p>"#,
            b64(&png(40, 30))
        );
        let t = send(s.post("/tickets", AGENT1).json(
            &json!({"title": "forward me", "group": "Users", "customer": NICOLE, "article": {
            "body": html, "content_type": "text/html", "type": "email", "to": NICOLE,
            "attachments": [
                {"filename": "report.txt", "data": b64(b"report body"), "mime-type": "text/plain"},
                {"filename": "data.csv", "data": b64(b"a,b\n1,2\n"), "mime-type": "text/csv"}
            ]}}),
        ))
        .await;
        assert_eq!(t.0, 201, "{ctx}: {}", t.1);
        let ticket = t.1["id"].as_i64().unwrap();
        let original = send(s.get(&format!("/ticket_articles/by_ticket/{ticket}"), AGENT1))
            .await
            .1[0]
            .clone();
        assert_eq!(
            original["attachments"].as_array().unwrap().len(),
            3,
            "{ctx}: 2 files + 1 inline image"
        );
        let article = original["id"].as_i64().unwrap();
        let url = format!("/ticket_attachment_upload_clone_by_article/{article}");

        let r = send(s.post(&url, AGENT1).json(&json!({}))).await;
        assert_eq!(r.0, 422, "{ctx}: {}", r.1);
        assert_eq!(
            r.1["error"], "Need 'form_id' to add attachments to new form.",
            "{ctx}"
        );

        let r = send(
            s.post(&url, AGENT1)
                .json(&json!({"form_id": "x".repeat(201)})),
        )
        .await;
        assert_eq!(r.0, 422, "{ctx}: an over-long form id: {}", r.1);

        let r = send(s.post(&url, AGENT1).json(&json!({"form_id": "fwd-1"}))).await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        let copies = r.1["attachments"].as_array().unwrap();
        let names: Vec<&str> = copies
            .iter()
            .map(|a| a["filename"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["report.txt", "data.csv"], "{ctx}: no inline image");
        assert_eq!(copies[0]["size"], "11", "{ctx}");
        // a second click copies nothing twice
        let r = send(s.post(&url, AGENT1).json(&json!({"form_id": "fwd-1"}))).await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        assert_eq!(r.1["attachments"], json!([]), "{ctx}");

        // the forward carries them; the original keeps its own
        let r = send(s.post("/ticket_articles", AGENT1).json(&json!({
            "ticket_id": ticket, "body": "<p>FYI</p>", "content_type": "text/html", "type": "note",
            "internal": true, "form_id": "fwd-1"
        })))
        .await;
        assert_eq!(r.0, 201, "{ctx}: {}", r.1);
        let forwarded = r.1["id"].as_i64().unwrap();
        let files = send(s.get(&format!("/ticket_articles/{forwarded}"), AGENT1))
            .await
            .1["attachments"]
            .clone();
        let names: Vec<&str> = files
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["filename"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["report.txt", "data.csv"], "{ctx}");
        let bytes = download(
            &s,
            s.url(&format!(
                "/ticket_attachment/{ticket}/{forwarded}/{}",
                files[0]["id"]
            )),
        )
        .await;
        assert_eq!(
            &bytes[..],
            b"report body",
            "{ctx}: the copy has the original's bytes"
        );
        let again = send(s.get(&format!("/ticket_articles/{article}"), AGENT1))
            .await
            .1;
        assert_eq!(again["attachments"].as_array().unwrap().len(), 3, "{ctx}");

        // the internal forward is not the customer's to copy; an unknown article is a 404
        let r = send(
            s.post(
                &format!("/ticket_attachment_upload_clone_by_article/{forwarded}"),
                NICOLE,
            )
            .json(&json!({"form_id": "mine"})),
        )
        .await;
        assert_eq!(r.0, 403, "{ctx}: {}", r.1);
        let r = send(
            s.post("/ticket_attachment_upload_clone_by_article/987654", AGENT1)
                .json(&json!({"form_id": "x"})),
        )
        .await;
        assert_eq!(r.0, 404, "{ctx}: {}", r.1);
        s.finish().await;
    }
}

/// `POST /ticket_articles` answers the article as reading it back shows it, whatever the
/// write stored besides its row: the answer reads only what the request may have added
/// (`NewArticleExtras`: files sent, inline images, an upload cache claimed, time recorded;
/// the login of an origin other than the caller) and must still miss nothing.
#[tokio::test]
async fn a_new_articles_answer_is_what_reading_it_shows() {
    for s in servers().await {
        let ctx = s.db.name;
        let (ticket_id, _) =
            ticket_with_files(&s, "answers", json!({"body": "first"}), AGENT1).await;
        upload_to_cache(&s, "answer-form", "cached.txt").await;
        let inline = format!(
            r#"<p>see <img src="data:image/png;base64,{}" alt="shot"></p>"#,
            b64(&png(4, 3))
        );
        let kinds: [(&str, &str, Value); 7] = [
            (
                "a plain note",
                AGENT1,
                json!({"body": "a note", "internal": true}),
            ),
            (
                "inline image",
                AGENT1,
                json!({"body": inline, "content_type": "text/html"}),
            ),
            (
                "file sent",
                AGENT1,
                json!({"body": "file", "attachments": [
                {"filename": "sent.txt", "data": b64(b"sent bytes"), "mime-type": "text/plain"}]}),
            ),
            (
                "upload cache",
                AGENT1,
                json!({"body": "cached", "form_id": "answer-form"}),
            ),
            (
                "time recorded",
                AGENT1,
                json!({"body": "worked", "time_unit": 15}),
            ),
            (
                "on behalf of",
                AGENT1,
                json!({"body": "she called", "type": "phone",
                "sender": "Customer", "origin_by": NICOLE}),
            ),
            ("by the customer", NICOLE, json!({"body": "thanks"})),
        ];
        for (kind, login, mut article) in kinds {
            article["ticket_id"] = json!(ticket_id);
            let created = send(s.post("/ticket_articles", login).json(&article)).await;
            assert_eq!(created.0, 201, "{ctx}, {kind}: {}", created.1);
            let id = created.1["id"].as_i64().unwrap();
            let read = send(s.get(&format!("/ticket_articles/{id}"), login)).await;
            assert_eq!(read.0, 200, "{ctx}, {kind}: {}", read.1);
            assert_eq!(created.1, read.1, "{ctx}, {kind}");
        }
        let read = send(s.get(&format!("/ticket_articles/by_ticket/{ticket_id}"), AGENT1)).await;
        let with_files = read
            .1
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| !a["attachments"].as_array().unwrap().is_empty());
        assert_eq!(
            with_files.count(),
            3,
            "{ctx}: inline image, file sent, upload cache"
        );
        s.finish().await;
    }
}
