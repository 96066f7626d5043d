//! Response rules that hold for every answer (SQLite and PostgreSQL): errors in Zammad's shape
//! whatever produced them, security headers, no caching of signed-in data, downloads of
//! unsafe types as `application/octet-stream`.

mod common;

use common::*;
use serde_json::Value;

fn assert_error_shape(status: u16, body: &Value, what: &str) {
    assert!((400..500).contains(&status), "{what}: status {status}");
    assert!(body["error"].is_string(), "{what}: {body}");
    assert!(body["error_human"].is_string(), "{what}: {body}");
}

#[tokio::test]
async fn every_api_error_is_in_the_error_shape() {
    for s in servers().await {
        for path in [
            "/tickets/abc",
            "/tickets/99999999999999999999",
            "/users/-x",
            "/ticket_articles/1.5",
        ] {
            let r = s.get(path, AGENT1).send().await.unwrap();
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            assert_error_shape(status, &body, path);
        }
        // a known path with an unknown method: Zammad's JSON 404
        let r = s
            .client
            .patch(format!("{}/api/v1/tickets", s.base))
            .basic_auth(AGENT1, Some(PASSWORD))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 404);
        let body: Value = r.json().await.unwrap();
        assert_error_shape(404, &body, "PATCH /tickets");
        // a body of the wrong kind for the extractor
        let r = s
            .client
            .post(format!("{}/api/v1/attachments", s.base))
            .basic_auth(AGENT1, Some(PASSWORD))
            .header("content-type", "text/plain")
            .body("not a form")
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        assert_error_shape(status, &body, "upload without multipart");
        s.finish().await;
    }
}

#[tokio::test]
async fn security_headers_on_api_answers_and_pages() {
    for s in servers().await {
        for (path, api) in [
            ("/api/v1/users/me", true),
            ("/login", false),
            ("/api/v1/nothing", true),
        ] {
            let r = s.fetch(format!("{}{path}", s.base), AGENT1).await;
            let h = r.headers();
            assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
            assert!(h.contains_key("permissions-policy"), "{path}");
            assert_eq!(h["cache-control"], "no-store", "{path}");
            assert!(
                !h.contains_key("strict-transport-security"),
                "{path}: HSTS only over HTTPS"
            );
            if api {
                assert!(
                    h["content-type"]
                        .to_str()
                        .unwrap()
                        .starts_with("application/json"),
                    "{path}"
                );
            }
        }
        s.finish().await;
    }
}

/// The web app's server functions live under `/api/` too, but answer errors in Leptos' own
/// encoding, which the browser decodes: the error shaping leaves them alone.
#[tokio::test]
async fn server_function_errors_keep_their_own_encoding() {
    for s in servers().await {
        // the sign-in form posts to the server function (its path carries a hash)
        let page = s
            .client
            .get(format!("{}/login", s.base))
            .send()
            .await
            .unwrap();
        let html = page.text().await.unwrap();
        let action = html
            .split("action=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .filter(|a| a.starts_with("/api/sign_in"))
            .expect("the sign-in form's action")
            .to_string();
        let r = s
            .client
            .post(format!("{}{action}", s.base))
            .form(&[("login", AGENT1), ("password", "not-the-password")])
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        assert!(status >= 400, "{status}: {text}");
        assert!(!text.contains("error_human"), "{}: {text}", s.db.name);
        s.finish().await;
    }
}
