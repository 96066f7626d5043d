//! Users, organisations, groups, roles and lookups over HTTP, including bad input.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn users_crud_and_bad_input() {
    for s in servers().await {
        let ctx = s.db.name;
        let r = send(s.post("/users", AGENT1).json(&json!({"firstname": "Carla", "lastname": "Client", "email": "Carla@Client.test", "organization": "Acme Corp"}))).await;
        assert_eq!(r.0, 201, "{ctx}: {}", r.1);
        assert_eq!(r.1["login"], "carla@client.test");
        assert_eq!(r.1["role_ids"], json!([3]), "{ctx}: signup default role");
        let id = r.1["id"].as_i64().unwrap();
        // agents cannot hand out roles: silently dropped
        let r = send(
            s.post("/users", AGENT1)
                .json(&json!({"email": "sneaky@x.test", "role_ids": [1]})),
        )
        .await;
        assert_eq!(r.1["role_ids"], json!([3]), "{ctx}");
        for (body, message) in [
            (
                json!({"email": "carla@client.test"}),
                "Email address 'carla@client.test' is already used for another user.",
            ),
            (
                json!({"login": "carla@client.test", "email": "other@x.test"}),
                "Login 'carla@client.test' is already used for another user.",
            ),
            (
                json!({"email": "not-an-email"}),
                "Invalid email 'not-an-email'",
            ),
            (
                json!({"email": "x@org.test", "organization": "Nope"}),
                "No lookup value found for 'organization': \"Nope\"",
            ),
        ] {
            assert_refused(s.post("/users", ADMIN).json(&body), 422, message, ctx).await;
        }
        let r = send(
            s.post("/users", ADMIN)
                .json(&json!({"note": "no identifier"})),
        )
        .await;
        assert_eq!(r.0, 422, "{ctx}");
        let r = send(s.post("/users", ADMIN).body("{\"email\": ")).await;
        assert_eq!(r.0, 422, "{ctx}: malformed JSON");
        assert!(r.1["error"].as_str().unwrap().starts_with("Malformed JSON"));
        let r = send(s.post("/users", ADMIN).json(&json!({"email": ["x"]}))).await;
        assert_eq!(r.0, 422, "{ctx}: wrong type");
        // nothing half-stored: a bad role id after valid fields leaves no user behind
        let r = send(
            s.post("/users", ADMIN)
                .json(&json!({"email": "half@x.test", "role_ids": [999]})),
        )
        .await;
        assert_error(&r, 422, "Invalid value for param 'role_ids': 999", ctx);
        let r = send(s.get("/users/search?query=half@x.test", ADMIN)).await;
        assert_eq!(r.1, json!([]), "{ctx}: nothing stored");
        // update, show, search
        let r = send(
            s.put(&format!("/users/{id}"), AGENT1)
                .json(&json!({"phone": "+49 1"})),
        )
        .await;
        assert_eq!(r.1["phone"], "+49 1", "{ctx}");
        let r = send(s.get(&format!("/users/{id}?expand=true"), AGENT2)).await;
        assert_eq!(r.1["organization"], "Acme Corp", "{ctx}");
        let r = send(s.get("/users/search?term=carla", AGENT1)).await;
        assert_eq!(r.1[0]["label"], "Carla Client <carla@client.test>", "{ctx}");
        let r = send(s.get("/users/999999", AGENT1)).await;
        assert_error(&r, 404, "Couldn't find User with 'id'=999999", ctx);
        let r = send(s.get("/users/abc", AGENT1)).await;
        assert!(r.0 == 400 || r.0 == 422 || r.0 == 404, "{ctx}: {}", r.0);
        // agents cannot change other staff; admins can
        let admin_id = s.user_id(ADMIN).await;
        let r = send(
            s.put(&format!("/users/{admin_id}"), AGENT1)
                .json(&json!({"firstname": "Mallory"})),
        )
        .await;
        assert_error(&r, 403, "Not authorized", ctx);
        s.finish().await;
    }
}

#[tokio::test]
async fn customers_see_themselves_and_shared_colleagues() {
    for s in servers().await {
        let ctx = s.db.name;
        let r = send(s.get("/users", NICOLE)).await;
        let list = r.1.as_array().unwrap();
        assert_eq!(list.len(), 1, "{ctx}");
        assert_eq!(list[0]["login"], NICOLE);
        let sam_id = s.user_id(SAM).await;
        let lee_id = s.user_id(LEE).await;
        assert_status(
            s.get(&format!("/users/{sam_id}"), NICOLE),
            200,
            &format!("{ctx}: shared org colleague"),
        )
        .await;
        assert_status(
            s.get(&format!("/users/{lee_id}"), NICOLE),
            403,
            &format!("{ctx}: stranger"),
        )
        .await;
        assert_status(s.get("/users/search?query=a", NICOLE), 403, ctx).await;
        assert_status(
            s.post("/users", NICOLE).json(&json!({"email": "x@y.test"})),
            403,
            ctx,
        )
        .await;
        s.finish().await;
    }
}

#[tokio::test]
async fn organizations_groups_roles_and_lookups() {
    for s in servers().await {
        let ctx = s.db.name;
        let r = send(
            s.post("/organizations", AGENT1)
                .json(&json!({"name": "Globex", "shared": false})),
        )
        .await;
        assert_eq!(r.0, 201, "{ctx}: {}", r.1);
        assert_eq!(r.1["shared"], false);
        let r = send(
            s.post("/organizations", AGENT1)
                .json(&json!({"name": "globex"})),
        )
        .await;
        assert_eq!(r.0, 422, "{ctx}: duplicate name (case-insensitive)");
        let r = send(s.get("/organizations/search?query=acme", AGENT1)).await;
        assert_eq!(r.1[0]["name"], "Acme Corp", "{ctx}");
        assert_eq!(r.1[0]["member_ids"].as_array().unwrap().len(), 2);
        let r = send(s.get("/organizations", NICOLE)).await;
        assert_eq!(
            r.1.as_array().unwrap().len(),
            1,
            "{ctx}: customers see their own"
        );
        let groups = send(s.get("/groups", AGENT2)).await;
        assert!(
            groups
                .1
                .as_array()
                .unwrap()
                .iter()
                .any(|g| g["name"] == "Users"),
            "{ctx}"
        );
        let r = send(s.post("/groups", AGENT1).json(&json!({"name": "Support"}))).await;
        assert_error(&r, 403, "Not authorized (admin permission required)!", ctx);
        let r = send(
            s.post("/groups", ADMIN)
                .json(&json!({"name": "Support", "shared_drafts": false})),
        )
        .await;
        assert_eq!(r.0, 201, "{ctx}");
        assert_eq!(r.1["shared_drafts"], false);
        let r = send(
            s.post("/groups", ADMIN)
                .json(&json!({"name": "Bad", "follow_up_possible": "maybe"})),
        )
        .await;
        assert_eq!(r.0, 422, "{ctx}");
        let r = send(s.get("/roles", AGENT1)).await;
        let names: Vec<&str> =
            r.1.as_array()
                .unwrap()
                .iter()
                .map(|x| x["name"].as_str().unwrap())
                .collect();
        assert_eq!(names, ["Admin", "Agent", "Customer"], "{ctx}");
        let r = send(s.get("/ticket_states", NICOLE)).await;
        let states: Vec<(i64, String, i64)> =
            r.1.as_array()
                .unwrap()
                .iter()
                .map(|x| {
                    (
                        x["id"].as_i64().unwrap(),
                        x["name"].as_str().unwrap().to_string(),
                        x["state_type_id"].as_i64().unwrap(),
                    )
                })
                .collect();
        assert_eq!(
            states,
            vec![
                (1, "new".into(), 1),
                (2, "open".into(), 2),
                (3, "pending reminder".into(), 3),
                (4, "closed".into(), 5),
                (5, "merged".into(), 6),
                (6, "removed".into(), 7),
                (7, "pending close".into(), 4)
            ],
            "{ctx}"
        );
        let r = send(s.get("/ticket_priorities/2", NICOLE)).await;
        assert_eq!(r.1["name"], "2 normal", "{ctx}");
        assert_eq!(r.1["default_create"], true);
        s.finish().await;
    }
}

#[tokio::test]
async fn unknown_routes_and_oversize_bodies() {
    let db = common::support::sqlite().await;
    let s = start(db, 1024 * 1024).await;
    let r = send(s.post("/tickets/1/shared_draft", AGENT1)).await;
    assert_error(
        &r,
        404,
        "No route matches [POST] /api/v1/tickets/1/shared_draft",
        "sqlite",
    );
    let r = send(
        s.client
            .patch(s.url("/users/me"))
            .basic_auth(AGENT1, Some(PASSWORD)),
    )
    .await;
    assert_error(
        &r,
        404,
        "No route matches [PATCH] /api/v1/users/me",
        "sqlite",
    );
    let big = format!("{{\"note\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let r = send(
        s.post("/users", ADMIN)
            .header("content-type", "application/json")
            .body(big),
    )
    .await;
    assert_eq!(r.0, 413, "{}", r.1);
    assert_eq!(r.1["error"], "Request Entity Too Large");
    s.finish().await;
}

#[tokio::test]
async fn openapi_lists_every_endpoint() {
    let db = common::support::sqlite().await;
    let s = start(db, 1024 * 1024).await;
    let doc = s.openapi().await;
    let paths = doc["paths"].as_object().unwrap();
    for (path, methods) in [
        ("/api/v1/signin", &["post"][..]),
        ("/api/v1/signout", &["delete"]),
        ("/api/v1/users/me", &["get"]),
        ("/api/v1/users", &["get", "post"]),
        ("/api/v1/users/search", &["get", "post"]),
        ("/api/v1/users/{id}", &["get", "put", "delete"]),
        ("/api/v1/organizations", &["get", "post"]),
        ("/api/v1/organizations/search", &["get"]),
        ("/api/v1/organizations/{id}", &["get", "put", "delete"]),
        ("/api/v1/groups", &["get", "post"]),
        ("/api/v1/groups/{id}", &["get", "put"]),
        ("/api/v1/roles", &["get"]),
        ("/api/v1/ticket_states", &["get"]),
        ("/api/v1/ticket_priorities", &["get"]),
        ("/api/v1/user_access_token", &["get", "post"]),
        ("/api/v1/user_access_token/{id}", &["delete"]),
        ("/api/v1/tickets", &["get", "post"]),
        ("/api/v1/tickets/{id}", &["get", "put", "delete"]),
        ("/api/v1/tickets/search", &["get", "post"]),
        ("/api/v1/ticket_articles", &["post"]),
        ("/api/v1/ticket_articles/{id}", &["get", "put", "delete"]),
        ("/api/v1/ticket_articles/by_ticket/{ticket_id}", &["get"]),
        (
            "/api/v1/ticket_attachment/{ticket_id}/{article_id}/{file_id}",
            &["get"],
        ),
        ("/api/v1/attachments", &["post"]),
        ("/api/v1/attachments/{id}", &["delete"]),
        ("/api/v1/tags", &["get"]),
        ("/api/v1/tags/add", &["post"]),
        ("/api/v1/tags/remove", &["delete"]),
        ("/api/v1/mentions", &["get", "post"]),
        ("/api/v1/mentions/{id}", &["delete"]),
        ("/api/v1/ticket_history/{id}", &["get"]),
        (
            "/api/v1/ticket_merge/{source_ticket_id}/{target_ticket_number}",
            &["put"],
        ),
        // issue 18: the endpoints Zammad's client libraries call
        ("/api/v1/users/password_change", &["post"]),
        (
            "/api/v1/tickets/{ticket_id}/time_accountings",
            &["get", "post"],
        ),
        (
            "/api/v1/tickets/{ticket_id}/time_accountings/{id}",
            &["get", "put", "delete"],
        ),
        ("/api/v1/links", &["get"]),
        ("/api/v1/links/add", &["post"]),
        ("/api/v1/links/remove", &["delete"]),
        ("/api/v1/tag_list", &["get", "post"]),
        ("/api/v1/tag_list/{id}", &["put", "delete"]),
        ("/api/v1/tag_search", &["get"]),
        ("/api/v1/online_notifications", &["get"]),
        ("/api/v1/online_notifications/{id}", &["put", "delete"]),
        ("/api/v1/online_notifications/mark_all_as_read", &["post"]),
        ("/api/v1/ticket_article_plain/{id}", &["get"]),
    ] {
        for m in methods {
            assert!(
                paths.get(path).and_then(|p| p.get(*m)).is_some(),
                "{m} {path} missing from OpenAPI"
            );
        }
    }
    s.finish().await;
}
