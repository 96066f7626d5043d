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
        let Session {
            set_cookie: cookie,
            cookie: session,
            csrf,
        } = s.sign_in(AGENT1).await;
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
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

/// A client that is not 127.0.0.1 (Linux routes all of 127.0.0.0/8 to the loopback).
fn client_from(last_octet: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, last_octet]))
        .build()
        .unwrap()
}

#[tokio::test]
async fn failed_logins_lock_the_account_only_for_the_guessing_client() {
    for s in servers().await {
        let ctx = s.db.name;
        let guesser = client_from(7);
        let url = s.url("/users/me");
        for _ in 0..10 {
            let r = send(guesser.get(&url).basic_auth(SAM, Some("wrong"))).await;
            assert_eq!(r.0, 401, "{ctx}");
        }
        // the guessing client gets the same answer for the right password as for a wrong one:
        // nothing tells that the account exists or is locked
        let locked = send(guesser.get(&url).basic_auth(SAM, Some(PASSWORD))).await;
        let unknown = send(
            client_from(8)
                .get(&url)
                .basic_auth("nobody@x.test", Some("wrong")),
        )
        .await;
        assert_eq!(locked.0, 401, "{ctx}: {}", locked.1);
        assert_eq!(locked.1, unknown.1, "{ctx}: locked and unknown look alike");
        assert!(
            !locked.1.to_string().contains("locked"),
            "{ctx}: {}",
            locked.1
        );
        // its failure budget is used up: refused before any password is checked
        let throttled = guesser
            .get(&url)
            .basic_auth(SAM, Some("wrong"))
            .send()
            .await
            .unwrap();
        assert_eq!(throttled.status().as_u16(), 429, "{ctx}");
        assert!(throttled.headers().contains_key("retry-after"), "{ctx}");
        // the owner, from a client without failures, still signs in (and the lock ends)
        let r = send(client_from(9).get(&url).basic_auth(SAM, Some(PASSWORD))).await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        // an admin reset works as before
        let sam_id = r.1["id"].as_i64().unwrap();
        let new_password = "Another-Pass-2026-Quokka";
        let r = send(
            s.put(&format!("/users/{sam_id}"), ADMIN)
                .json(&json!({"password": new_password})),
        )
        .await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        let r = send(
            client_from(10)
                .get(&url)
                .basic_auth(SAM, Some(new_password)),
        )
        .await;
        assert_eq!(r.0, 200, "{ctx}");
        s.finish().await;
    }
}

#[tokio::test]
async fn own_password_changes_only_with_the_current_one_and_ends_other_sessions() {
    for s in servers().await {
        let ctx = s.db.name;
        let nicole_id = s.user_id(NICOLE).await;
        // an older browser session of Nicole's
        let old = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        let r = send(
            old.post(s.url("/signin"))
                .json(&json!({"username": NICOLE, "password": PASSWORD})),
        )
        .await;
        assert_eq!(r.0, 201, "{ctx}: {}", r.1);
        assert_status(old.get(s.url("/users/me")), 200, "").await;
        // not through PUT /users/{own id}
        let r = send(
            s.put(&format!("/users/{nicole_id}"), NICOLE)
                .json(&json!({"password": "Strong-Enough-Passw0rd"})),
        )
        .await;
        assert!(r.0 == 403 || r.0 == 422, "{ctx}: {}", r.1);
        // nor for an agent through PUT of their own account
        let agent_id = s.user_id(AGENT1).await;
        let r = send(
            s.put(&format!("/users/{agent_id}"), AGENT1)
                .json(&json!({"password": "Strong-Enough-Passw0rd"})),
        )
        .await;
        assert_eq!(r.0, 422, "{ctx}: {}", r.1);
        assert_status(
            s.get("/users/me", AGENT1),
            200,
            &format!("{ctx}: unchanged"),
        )
        .await;
        // the current password is required
        let r = send(
            s.post("/users/password_change", NICOLE)
                .json(&json!({"password_old": "wrong", "password_new": "Strong-Enough-Passw0rd"})),
        )
        .await;
        assert_eq!(r.0, 422, "{ctx}: {}", r.1);
        // weak new passwords are refused: common, too short, her own e-mail or name
        for weak in [
            "password",
            "12345678",
            NICOLE,
            "Nicole-Braun-2026",
            "Password1234",
        ] {
            let r = send(
                s.post("/users/password_change", NICOLE)
                    .json(&json!({"password_old": PASSWORD, "password_new": weak})),
            )
            .await;
            assert_eq!(r.0, 422, "{ctx}: {weak}: {}", r.1);
            assert!(
                r.1["error"].as_str().unwrap().contains("password"),
                "{}",
                r.1
            );
        }
        let r = send(
            s.post("/users/password_change", NICOLE)
                .json(&json!({"password_old": PASSWORD, "password_new": "Strong-Enough-Passw0rd"})),
        )
        .await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        assert_eq!(r.1["message"], "ok");
        // the older session has ended; the new password works
        assert_status(
            old.get(s.url("/users/me")),
            403,
            &format!("{ctx}: old session"),
        )
        .await;
        let r = send(
            s.client
                .get(s.url("/users/me"))
                .basic_auth(NICOLE, Some("Strong-Enough-Passw0rd")),
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
        assert_status(
            s.get(&format!("/tickets/{id}"), AGENT2),
            200,
            &format!("{ctx}: read access (now cached)"),
        )
        .await;
        let bob = s.user_id(AGENT2).await;
        let r = send(
            s.put(&format!("/users/{bob}"), ADMIN)
                .json(&json!({"group_ids": {}})),
        )
        .await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        assert_status(
            s.get(&format!("/tickets/{id}"), AGENT2),
            403,
            &format!("{ctx}: access gone immediately"),
        )
        .await;
        let r = send(
            s.put(&format!("/users/{bob}"), ADMIN)
                .json(&json!({"active": false})),
        )
        .await;
        assert_eq!(r.0, 200, "{ctx}");
        assert_status(
            s.get("/users/me", AGENT2),
            401,
            &format!("{ctx}: deactivated user is refused"),
        )
        .await;
        s.finish().await;
    }
}
