//! Authentication over HTTP: no/wrong credentials, Basic, tokens, sessions with CSRF, Origin,
//! lockout, impersonation. Every test runs on SQLite and PostgreSQL.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn missing_and_wrong_credentials() {
    for s in servers().await {
        let ctx = s.db.name;
        let r = send(s.client.get(s.url("/users/me"))).await;
        assert_error(&r, 403, "Authentication required", ctx);
        let response = s
            .client
            .get(s.url("/users/me"))
            .basic_auth(AGENT1, Some("nope"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{ctx}");
        assert_eq!(
            response.headers()["x-failure"],
            "Invalid BasicAuth credentials",
            "{ctx}"
        );
        let r = send(
            s.client
                .get(s.url("/users/me"))
                .header("Authorization", "Token token=unknown"),
        )
        .await;
        assert_error(&r, 401, "Can't find User for Token", ctx);
        let r = send(s.get("/users/me", AGENT1)).await;
        assert_eq!(r.0, 200, "{ctx}");
        assert_eq!(r.1["login"], AGENT1);
        assert_eq!(r.1["group_ids"]["1"], json!(["full"]), "{ctx}");
        s.finish().await;
    }
}

#[tokio::test]
async fn expand_adds_names() {
    for s in servers().await {
        let r = send(s.get("/users/me?expand=true", NICOLE)).await;
        assert_eq!(r.1["organization"], "Acme Corp", "{}", s.db.name);
        assert_eq!(r.1["roles"], json!(["Customer"]));
        let r = send(s.get("/users/me?expand=1", AGENT1)).await;
        assert_eq!(r.1["groups"]["Sales"], json!(["full"]));
        let r = send(s.get("/users/me?expand=false", AGENT1)).await;
        assert!(r.1.get("groups").is_none());
        s.finish().await;
    }
}

#[tokio::test]
async fn token_lifecycle_and_permission_subset() {
    for s in servers().await {
        let ctx = s.db.name;
        let r = send(
            s.post("/user_access_token", AGENT1)
                .json(&json!({"name": "ci", "permission": ["ticket.agent"]})),
        )
        .await;
        assert_eq!(r.0, 201, "{ctx}: {}", r.1);
        let token = r.1["token"].as_str().unwrap().to_string();
        let id = r.1["id"].as_i64().unwrap();
        for header in [
            format!("Token token={token}"),
            format!("Token token=\"{token}\""),
            format!("Bearer {token}"),
        ] {
            let r = send(
                s.client
                    .get(s.url("/users/me"))
                    .header("Authorization", header.clone()),
            )
            .await;
            assert_eq!(r.1["login"], AGENT1, "{ctx}: {header}");
        }
        let listed = send(s.get("/user_access_token", AGENT1)).await;
        assert_eq!(listed.1["tokens"][0]["name"], "ci");
        assert!(
            listed.1.to_string().find(&token).is_none(),
            "the secret is shown only once"
        );
        // a token that only carries user_preferences loses the agent's view of all users
        let r = send(
            s.post("/user_access_token", AGENT1)
                .json(&json!({"name": "narrow", "permission": ["user_preferences"]})),
        )
        .await;
        let narrow = r.1["token"].as_str().unwrap().to_string();
        let r = send(
            s.client
                .get(s.url("/users"))
                .header("Authorization", format!("Bearer {narrow}")),
        )
        .await;
        assert_eq!(
            r.1.as_array().unwrap().len(),
            1,
            "{ctx}: narrowed token sees only itself"
        );
        // cannot grant what the user lacks; name required; expiry must be in the future
        let r = send(
            s.post("/user_access_token", AGENT1)
                .json(&json!({"name": "x", "permission": ["admin"]})),
        )
        .await;
        assert_eq!(r.0, 422, "{ctx}");
        let r = send(
            s.post("/user_access_token", AGENT1)
                .json(&json!({"permission": ["ticket.agent"]})),
        )
        .await;
        assert_error(&r, 422, "The required value 'name' is missing.", ctx);
        let r = send(s.post("/user_access_token", AGENT1).json(
            &json!({"name": "old", "permission": ["ticket.agent"], "expires_at": "2001-01-01"}),
        ))
        .await;
        assert_eq!(r.0, 422, "{ctx}");
        // customers have no tokens
        let r = send(s.get("/user_access_token", NICOLE)).await;
        assert_eq!(r.0, 403, "{ctx}");
        // delete: the token stops working; someone else's id is 404
        let r = send(s.delete(&format!("/user_access_token/{id}"), AGENT2)).await;
        assert_eq!(r.0, 404, "{ctx}");
        let r = send(s.delete(&format!("/user_access_token/{id}"), AGENT1)).await;
        assert_eq!(r.0, 200, "{ctx}");
        let r = send(
            s.client
                .get(s.url("/users/me"))
                .header("Authorization", format!("Token token={token}")),
        )
        .await;
        assert_error(&r, 401, "Can't find User for Token", ctx);
        s.finish().await;
    }
}

#[tokio::test]
async fn expired_token_is_refused() {
    for s in servers().await {
        let r = send(s.post("/user_access_token", AGENT1).json(
            &json!({"name": "soon", "permission": ["ticket.agent"], "expires_at": "2999-01-01"}),
        ))
        .await;
        let token = r.1["token"].as_str().unwrap().to_string();
        let mut tx = s.db.store.write().await.unwrap();
        sqlx::query("UPDATE user_access_tokens SET expires_at = '2001-01-01T00:00:00.000Z'")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let r = send(
            s.client
                .get(s.url("/users/me"))
                .header("Authorization", format!("Token token={token}")),
        )
        .await;
        assert_error(&r, 401, "Not authorized (token expired)!", s.db.name);
        s.finish().await;
    }
}

#[tokio::test]
async fn session_cookie_needs_csrf_for_writes_and_same_origin() {
    for s in servers().await {
        let ctx = s.db.name;
        let response = s
            .client
            .post(s.url("/signin"))
            .json(&json!({"username": AGENT1, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{ctx}");
        let cookie = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        let session = cookie.split(';').next().unwrap().to_string();
        let body: serde_json::Value = response.json().await.unwrap();
        let csrf = body["csrf_token"].as_str().unwrap().to_string();
        let with_cookie = |b: reqwest::RequestBuilder| b.header("Cookie", session.clone());
        let r = send(with_cookie(s.client.get(s.url("/users/me")))).await;
        assert_eq!(r.1["login"], AGENT1, "{ctx}");
        let new_user = json!({"firstname": "Csrf", "email": "csrf@x.test"});
        let r = send(with_cookie(s.client.post(s.url("/users"))).json(&new_user)).await;
        assert_error(&r, 401, "CSRF token verification failed!", ctx);
        let r = send(
            with_cookie(s.client.post(s.url("/users")))
                .header("X-CSRF-Token", &csrf)
                .header("Origin", "https://evil.example")
                .json(&new_user),
        )
        .await;
        assert_eq!(r.0, 403, "{ctx}: cross-site origin");
        let r = send(
            with_cookie(s.client.post(s.url("/users")))
                .header("X-CSRF-Token", &csrf)
                .json(&new_user),
        )
        .await;
        assert_eq!(r.0, 201, "{ctx}: {}", r.1);
        let r = send(with_cookie(s.client.delete(s.url("/signout"))).header("X-CSRF-Token", &csrf))
            .await;
        assert_eq!(r.0, 200, "{ctx}");
        let r = send(with_cookie(s.client.get(s.url("/users/me")))).await;
        assert_error(&r, 403, "Authentication required", ctx);
        let r = send(
            s.client
                .post(s.url("/signin"))
                .json(&json!({"username": AGENT1, "password": "bad"})),
        )
        .await;
        assert_error(&r, 401, "Wrong Username or Password combination.", ctx);
        s.finish().await;
    }
}

#[tokio::test]
async fn ten_failed_logins_lock_the_account() {
    for s in servers().await {
        let ctx = s.db.name;
        for _ in 0..10 {
            let r = send(
                s.client
                    .get(s.url("/users/me"))
                    .basic_auth(SAM, Some("wrong")),
            )
            .await;
            assert_eq!(r.0, 401, "{ctx}");
        }
        let r = send(s.get("/users/me", SAM)).await;
        assert_eq!(r.0, 401, "{ctx}: locked even with the right password");
        assert!(
            r.1["error"].as_str().unwrap().contains("locked"),
            "{ctx}: {}",
            r.1
        );
        // an admin reset unlocks
        let sam_id = send(s.get("/users/search?query=sam", ADMIN)).await.1[0]["id"]
            .as_i64()
            .unwrap();
        let r = send(
            s.put(&format!("/users/{sam_id}"), ADMIN)
                .json(&json!({"password": "another-pass-1"})),
        )
        .await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        let r = send(
            s.client
                .get(s.url("/users/me"))
                .basic_auth(SAM, Some("another-pass-1")),
        )
        .await;
        assert_eq!(r.0, 200, "{ctx}");
        s.finish().await;
    }
}

#[tokio::test]
async fn impersonation_with_from_header() {
    for s in servers().await {
        let ctx = s.db.name;
        let r = send(s.get("/users/me", ADMIN).header("From", NICOLE)).await;
        assert_eq!(r.1["login"], NICOLE, "{ctx}");
        let r = send(
            s.get("/users/me", ADMIN)
                .header("X-On-Behalf-Of", "LEE@other.test"),
        )
        .await;
        assert_eq!(r.1["login"], LEE, "{ctx}");
        let r = send(
            s.get("/users/me", ADMIN)
                .header("From", "ghost@nowhere.test"),
        )
        .await;
        assert_error(&r, 403, "No such user 'ghost@nowhere.test'", ctx);
        let r = send(s.get("/users/me", AGENT1).header("From", NICOLE)).await;
        assert_error(
            &r,
            403,
            "Current user has no permission to use 'From'/'X-On-Behalf-Of'!",
            ctx,
        );
        s.finish().await;
    }
}

#[tokio::test]
async fn cached_credentials_follow_permission_changes_at_once() {
    for s in servers().await {
        let ctx = s.db.name;
        let t = send(
            s.post("/tickets", AGENT1)
                .json(&json!({"title": "cache", "group": "Users", "customer": NICOLE})),
        )
        .await
        .1;
        let id = t["id"].as_i64().unwrap();
        assert_eq!(
            send(s.get(&format!("/tickets/{id}"), AGENT2)).await.0,
            200,
            "{ctx}: read access (now cached)"
        );
        let bob = send(s.get("/users/me", AGENT2)).await.1["id"]
            .as_i64()
            .unwrap();
        let r = send(
            s.put(&format!("/users/{bob}"), ADMIN)
                .json(&json!({"group_ids": {}})),
        )
        .await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        assert_eq!(
            send(s.get(&format!("/tickets/{id}"), AGENT2)).await.0,
            403,
            "{ctx}: access gone immediately"
        );
        let r = send(
            s.put(&format!("/users/{bob}"), ADMIN)
                .json(&json!({"active": false})),
        )
        .await;
        assert_eq!(r.0, 200, "{ctx}");
        assert_eq!(
            send(s.get("/users/me", AGENT2)).await.0,
            401,
            "{ctx}: deactivated user is refused"
        );
        s.finish().await;
    }
}
