//! Tickets and articles over HTTP (SQLite and PostgreSQL): Zammad's shapes, side effects,
//! permissions and bad input.

mod common;

use common::*;
use serde_json::{Value, json};

async fn new_ticket(s: &TestServer, login: &str, body: Value) -> Value {
    let r = send(s.post("/tickets", login).json(&body)).await;
    assert_eq!(r.0, 201, "{}: create ticket: {}", s.db.name, r.1);
    r.1
}

fn first_ticket() -> Value {
    json!({"title": "Printer\ton fire", "group": "Users", "customer": NICOLE, "priority": "3 high",
           "article": {"subject": "Help", "body": "It burns.", "type": "phone", "sender": "Customer"}})
}

#[tokio::test]
async fn create_show_and_variants() {
    for s in servers().await {
        let ctx = s.db.name;
        let t = new_ticket(&s, AGENT1, first_ticket()).await;
        assert_eq!(t["number"], "42001", "{ctx}: system id 42 + counter");
        assert_eq!(
            t["title"], "Printer on fire",
            "{ctx}: whitespace normalised"
        );
        assert_eq!(t["state_id"], 1);
        assert_eq!(t["priority_id"], 3);
        assert_eq!(t["owner_id"], 1);
        assert_eq!(t["article_count"], 1);
        assert_eq!(t["article_ids"].as_array().unwrap().len(), 1);
        assert_eq!(t["create_article_type_id"], 5);
        assert_eq!(t["create_article_sender_id"], 2);
        let acme = send(s.get("/organizations/search?query=Acme", AGENT1))
            .await
            .1[0]["id"]
            .clone();
        assert_eq!(t["organization_id"], acme, "{ctx}: customer's organisation");
        let id = t["id"].as_i64().unwrap();
        let plain = send(s.get(&format!("/tickets/{id}"), AGENT1)).await.1;
        assert!(
            plain.get("article_ids").is_none(),
            "{ctx}: plain show has no association ids"
        );
        assert!(
            plain["last_contact_customer_at"].is_string(),
            "{ctx}: customer phone call counts as contact"
        );
        let expanded = send(s.get(&format!("/tickets/{id}?expand=true"), AGENT1))
            .await
            .1;
        assert_eq!(expanded["group"], "Users");
        assert_eq!(expanded["state"], "new");
        assert_eq!(expanded["priority"], "3 high");
        assert_eq!(expanded["owner"], "-");
        assert_eq!(expanded["customer"], NICOLE);
        assert_eq!(expanded["create_article_type"], "phone");
        let full = send(s.get(&format!("/tickets/{id}?full=true"), AGENT1))
            .await
            .1;
        assert_eq!(full["id"], id);
        assert!(
            full["assets"]["Ticket"][id.to_string()].is_object(),
            "{ctx}"
        );
        assert!(full["assets"]["User"].as_object().unwrap().len() >= 2);
        let all = send(s.get(&format!("/tickets/{id}?all=true"), AGENT1))
            .await
            .1;
        assert_eq!(all["ticket_id"], id);
        assert_eq!(all["ticket_article_ids"].as_array().unwrap().len(), 1);
        assert_eq!(all["assets"]["TicketArticle"].as_object().unwrap().len(), 1);
        let second = new_ticket(&s, AGENT1, json!({"title": "Two", "group_id": 1, "customer_id": "guess:new.person@example.test", "article": {"body": "x"}})).await;
        assert_eq!(second["number"], "42002", "{ctx}");
        let guessed = send(s.get(&format!("/users/{}", second["customer_id"]), AGENT1))
            .await
            .1;
        assert_eq!(guessed["email"], "new.person@example.test");
        assert_eq!(guessed["role_ids"], json!([3]));
        s.finish().await;
    }
}

#[tokio::test]
async fn list_pages_and_scopes() {
    for s in servers().await {
        let ctx = s.db.name;
        for i in 0..5 {
            new_ticket(&s, AGENT1, json!({"title": format!("T{i}"), "group": "Users", "customer": if i % 2 == 0 { NICOLE } else { LEE }, "article": {"body": "b"}})).await;
        }
        new_ticket(&s, AGENT1, json!({"title": "Sales deal", "group": "Sales", "customer": SAM, "article": {"body": "b"}})).await;
        let page = send(s.get("/tickets?page=2&per_page=2", AGENT1)).await.1;
        let titles: Vec<&str> = page
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["title"].as_str().unwrap())
            .collect();
        assert_eq!(titles, ["T2", "T3"], "{ctx}: ascending ids, page 2");
        // Nicole: her 3 + Sam's (shared Acme org); Lee: only her own 2
        for (path, login, count, what) in [
            ("/tickets?per_page=1000", AGENT1, 6, "all"),
            ("/tickets", AGENT2, 5, "no Sales access"),
            ("/tickets", NICOLE, 4, "her own and her organisation's"),
            ("/tickets", LEE, 2, "her own"),
        ] {
            let list = assert_status(s.get(path, login), 200, ctx).await;
            let got = list.as_array().unwrap().len();
            assert_eq!(got, count, "{ctx}: {login}: {what}");
        }
        let full = send(s.get("/tickets?full=true&per_page=2", AGENT1)).await.1;
        assert_eq!(full["record_ids"].as_array().unwrap().len(), 2);
        s.finish().await;
    }
}

#[tokio::test]
async fn customers_never_see_internal_articles() {
    for s in servers().await {
        let ctx = s.db.name;
        let t = new_ticket(&s, NICOLE, json!({"title": "Login broken", "group": "Users", "owner": AGENT1, "customer": LEE,
            "article": {"body": "cannot log in", "type": "email", "internal": true, "sender": "Agent"}})).await;
        assert_eq!(
            t["customer_id"],
            send(s.get("/users/me", NICOLE)).await.1["id"],
            "{ctx}: customer forced to self"
        );
        assert_eq!(t["owner_id"], 1, "{ctx}: owner dropped for customers");
        let id = t["id"].as_i64().unwrap();
        let first = s.articles(id, AGENT1).await;
        assert_eq!(
            first[0]["internal"], false,
            "{ctx}: customers cannot write internal"
        );
        assert_eq!(first[0]["sender"], "Customer");
        assert_eq!(
            first[0]["type"], "note",
            "{ctx}: email forced to note for customers"
        );
        assert_eq!(first[0]["from"], "Nicole Braun");
        let note = send(s.post("/ticket_articles", AGENT1).json(&json!({"ticket_id": id, "body": "secret: <b>VIP</b>", "internal": true, "content_type": "text/html"}))).await;
        assert_eq!(note.0, 201, "{ctx}: {}", note.1);
        let note_id = note.1["id"].as_i64().unwrap();
        let reply = send(s.post("/ticket_articles", AGENT1).json(
            &json!({"ticket_id": id, "body": "We are on it", "type": "email", "to": NICOLE}),
        ))
        .await;
        assert_eq!(reply.0, 201, "{ctx}");
        let agent_view = send(s.get(&format!("/tickets/{id}?expand=true"), AGENT1))
            .await
            .1;
        assert_eq!(agent_view["article_count"], 3);
        assert_eq!(
            agent_view["state"], "open",
            "{ctx}: first public agent email opens the ticket"
        );
        assert!(agent_view["first_response_at"].is_string());
        let customer_list = s.articles(id, NICOLE).await;
        assert_eq!(customer_list.len(), 2, "{ctx}");
        assert!(
            !json!(customer_list).to_string().contains("secret"),
            "{ctx}"
        );
        let r = send(s.get(&format!("/ticket_articles/{note_id}"), NICOLE)).await;
        assert_error(&r, 403, "Not authorized", ctx);
        let customer_ticket = send(s.put(&format!("/tickets/{id}"), NICOLE).json(&json!({})))
            .await
            .1;
        assert_eq!(customer_ticket["article_count"], 2, "{ctx}");
        assert!(
            !customer_ticket["article_ids"]
                .as_array()
                .unwrap()
                .contains(&json!(note_id)),
            "{ctx}: internal id hidden"
        );
        for variant in ["all=true", "full=true"] {
            let body = send(s.get(&format!("/tickets/{id}?{variant}"), NICOLE))
                .await
                .1
                .to_string();
            assert!(!body.contains("secret"), "{ctx}: {variant} leaks the note");
        }
        assert_status(
            s.get(&format!("/tickets/{id}"), LEE),
            403,
            &format!("{ctx}: other customer"),
        )
        .await;
        assert_status(
            s.get(&format!("/tickets/{id}"), SAM),
            200,
            &format!("{ctx}: shared org colleague"),
        )
        .await;
        s.finish().await;
    }
}

#[tokio::test]
async fn update_owner_state_follow_up_and_delete() {
    for s in servers().await {
        let ctx = s.db.name;
        let t = new_ticket(&s, AGENT1, first_ticket()).await;
        let id = t["id"].as_i64().unwrap();
        let agent1_id = send(s.get("/users/me", AGENT1)).await.1["id"].clone();
        let r = send(s.put(&format!("/tickets/{id}"), AGENT1).json(&json!({"owner": AGENT1, "state": "pending reminder", "pending_time": "2030-01-01T10:00:00Z", "number": "99999"}))).await.1;
        assert_eq!(r["owner_id"], agent1_id, "{ctx}");
        assert_eq!(r["number"], t["number"], "{ctx}: number is ignored");
        assert_eq!(r["pending_time"], "2030-01-01T10:00:00.000Z");
        let r = send(
            s.put(&format!("/tickets/{id}"), AGENT1)
                .json(&json!({"owner": AGENT2, "state_id": 2})),
        )
        .await
        .1;
        assert_eq!(
            r["owner_id"], 1,
            "{ctx}: read-only agent cannot own; reset to nobody"
        );
        assert_eq!(
            r["pending_time"],
            Value::Null,
            "{ctx}: cleared on non-pending state"
        );
        let r = send(
            s.put(&format!("/tickets/{id}"), AGENT2)
                .json(&json!({"title": "x"})),
        )
        .await;
        assert_error(&r, 403, "Not authorized", ctx);
        let r = send(
            s.put(&format!("/tickets/{id}"), AGENT1)
                .json(&json!({"group": "Nope"})),
        )
        .await;
        assert_error(&r, 422, "No lookup value found for 'group': \"Nope\"", ctx);
        let r = send(
            s.put(&format!("/tickets/{id}"), AGENT1)
                .json(&json!({"state_id": 999})),
        )
        .await;
        assert_error(&r, 422, "Invalid value for param 'state_id': 999", ctx);
        // closed + group says "new_ticket": customers cannot reopen, agents can
        s.set_state(id, "closed").await;
        send(
            s.put("/groups/1", ADMIN)
                .json(&json!({"follow_up_possible": "new_ticket"})),
        )
        .await;
        let r = send(
            s.put(&format!("/tickets/{id}"), NICOLE)
                .json(&json!({"state": "open", "article": {"body": "again"}})),
        )
        .await;
        assert_error(
            &r,
            422,
            "Cannot follow-up on a closed ticket. Please create a new ticket.",
            ctx,
        );
        let r = send(
            s.post("/ticket_articles", NICOLE)
                .json(&json!({"ticket_id": id, "body": "again"})),
        )
        .await;
        assert_eq!(r.0, 422, "{ctx}");
        s.set_state(id, "open").await;
        // delete: admins only, then gone
        let r = send(s.delete(&format!("/tickets/{id}"), AGENT1)).await;
        assert_error(&r, 403, "Not authorized (admin permission required)!", ctx);
        let r = send(s.delete(&format!("/tickets/{id}"), LEE)).await;
        assert_error(&r, 403, "Not authorized", ctx);
        let r = send(s.delete(&format!("/tickets/{id}"), ADMIN)).await;
        assert_eq!(r, (200, json!({})), "{ctx}");
        let r = send(s.get(&format!("/tickets/{id}"), ADMIN)).await;
        assert_error(
            &r,
            404,
            &format!("Couldn't find Ticket with 'id'={id}"),
            ctx,
        );
        let r = send(s.get(&format!("/ticket_articles/by_ticket/{id}"), ADMIN)).await;
        assert_eq!(r.0, 404, "{ctx}");
        s.finish().await;
    }
}

#[tokio::test]
async fn bad_input_is_rejected_and_nothing_is_half_stored() {
    for s in servers().await {
        let ctx = s.db.name;
        let r = send(
            s.post("/tickets", AGENT1)
                .json(&json!({"title": "x", "article": {"body": "b"}})),
        )
        .await;
        assert_error(&r, 422, "The required value 'group_id' is missing.", ctx);
        let r = send(s.post("/tickets", AGENT1).json(
            &json!({"title": "x", "group": "Users", "customer": NICOLE, "article": {"body": ""}}),
        ))
        .await;
        assert_error(&r, 422, "Need at least an 'article body' field.", ctx);
        let r = send(s.post("/tickets", AGENT1).json(&json!({"title": "x", "group": "Users", "customer": NICOLE, "article": {"subject": "no body"}}))).await;
        assert_error(&r, 422, "Need at least an 'article body' field.", ctx);
        assert_eq!(
            send(s.get("/tickets", AGENT1)).await.1,
            json!([]),
            "{ctx}: failed creates leave no ticket"
        );
        let r =
            send(s.post("/tickets", AGENT1).json(
                &json!({"title": "x", "group": "Users", "customer_id": "guess:not-an-email"}),
            ))
            .await;
        assert_eq!(r.0, 422, "{ctx}");
        let long = "a".repeat(1_500_001);
        let t = new_ticket(
            &s,
            AGENT1,
            json!({"title": "x", "group": "Users", "customer": NICOLE}),
        )
        .await;
        let id = t["id"].as_i64().unwrap();
        let r = send(
            s.post("/ticket_articles", AGENT1)
                .json(&json!({"ticket_id": id, "body": long})),
        )
        .await;
        assert_eq!(r.0, 422, "{ctx}: body over 1.5M chars");
        let r = send(
            s.post("/ticket_articles", AGENT1)
                .json(&json!({"ticket_id": 999999, "body": "x"})),
        )
        .await;
        assert_error(&r, 404, "Couldn't find Ticket with 'id'=999999", ctx);
        let r = send(s.get("/ticket_articles/999999", AGENT1)).await;
        assert_error(
            &r,
            404,
            "Couldn't find Ticket::Article with 'id'=999999",
            ctx,
        );
        let r = send(
            s.post("/ticket_articles", AGENT1)
                .json(&json!({"ticket_id": id, "body": "x", "type": "email"})),
        )
        .await;
        assert_error(
            &r,
            422,
            "Sending an email without a valid recipient is not possible.",
            ctx,
        );
        let xss = r#"<p onmouseover="alert(1)">Hi <script>alert(2)</script><a href="javascript:alert(3)">x</a><img src="x" onerror="alert(4)"></p>"#;
        let r = send(
            s.post("/ticket_articles", AGENT1)
                .json(&json!({"ticket_id": id, "body": xss, "content_type": "text/html"})),
        )
        .await;
        assert_eq!(r.0, 201, "{ctx}");
        let body = r.1["body"].as_str().unwrap();
        assert!(
            !body.contains("alert") && !body.contains("script") && !body.contains("javascript"),
            "{ctx}: {body}"
        );
        let r = send(
            s.post("/ticket_articles", AGENT1)
                .json(&json!({"ticket_id": id, "body": "<b>plain</b>"})),
        )
        .await;
        assert_eq!(
            r.1["body"], "<b>plain</b>",
            "{ctx}: plain text stored as given"
        );
        s.finish().await;
    }
}

/// Ids of records that do not exist are refused with a 422 before anything is written: a
/// ticket's group, priority and state, an article's type and sender. On PostgreSQL no foreign
/// key stands behind these (migration 0029 dropped them: their row locks serialised every
/// writer), so this check is what keeps every ticket and article pointing at a row.
#[tokio::test]
async fn unknown_lookup_ids_are_refused_before_anything_is_written() {
    for s in servers().await {
        let ctx = s.db.name;
        for (field, unknown) in unknown_ids(&["group_id", "priority_id", "state_id"]) {
            let mut body = json!({"title": "x", "group": "Users", "customer": NICOLE,
                                  "article": {"body": "b"}});
            body[field] = json!(unknown);
            let r = send(s.post("/tickets", AGENT1).json(&body)).await;
            assert_error(
                &r,
                422,
                &format!("Invalid value for param '{field}': {unknown}"),
                &format!("{ctx}: create, {field}"),
            );
        }
        assert_eq!(
            send(s.get("/tickets", AGENT1)).await.1,
            json!([]),
            "{ctx}: refused creates leave no ticket"
        );
        let t = new_ticket(&s, AGENT1, first_ticket()).await;
        let id = t["id"].as_i64().unwrap();
        for (field, unknown) in unknown_ids(&["group_id", "priority_id", "state_id"]) {
            let r = send(
                s.put(&format!("/tickets/{id}"), AGENT1)
                    .json(&json!({ field: unknown, "article": {"body": "with it"} })),
            )
            .await;
            assert_error(
                &r,
                422,
                &format!("Invalid value for param '{field}': {unknown}"),
                &format!("{ctx}: update, {field}"),
            );
        }
        for (field, unknown) in unknown_ids(&["type_id", "sender_id"]) {
            let r = send(
                s.post("/ticket_articles", AGENT1)
                    .json(&json!({"ticket_id": id, "body": "x", field: unknown})),
            )
            .await;
            assert_error(
                &r,
                422,
                &format!("Invalid value for param '{field}': {unknown}"),
                &format!("{ctx}: article, {field}"),
            );
        }
        let after = send(s.get(&format!("/tickets/{id}"), AGENT1)).await.1;
        for field in [
            "group_id",
            "priority_id",
            "state_id",
            "article_count",
            "updated_at",
        ] {
            assert_eq!(after[field], t[field], "{ctx}: {field} unchanged");
        }
        let articles = send(s.get(&format!("/ticket_articles/by_ticket/{id}"), AGENT1))
            .await
            .1;
        assert_eq!(
            articles.as_array().map(Vec::len),
            Some(1),
            "{ctx}: no article stored"
        );
        s.finish().await;
    }
}

/// Each of `fields` with ids no record has: a large one, 0 and a negative one.
fn unknown_ids<'a>(fields: &'a [&'a str]) -> impl Iterator<Item = (&'a str, i64)> + 'a {
    fields
        .iter()
        .flat_map(|field| [999_999, 0, -1].map(|unknown| (*field, unknown)))
}

#[tokio::test]
async fn concurrent_articles_keep_counts_and_numbers() {
    for s in servers().await {
        let ctx = s.db.name;
        let t = new_ticket(&s, AGENT1, json!({"title": "busy", "group": "Users", "customer": NICOLE, "article": {"body": "0"}})).await;
        let id = t["id"].as_i64().unwrap();
        let mut tasks = Vec::new();
        for i in 0..20 {
            let req = s
                .post("/ticket_articles", AGENT1)
                .json(&json!({"ticket_id": id, "body": format!("n{i}"), "internal": true}));
            tasks.push(tokio::spawn(async move {
                req.send().await.unwrap().status().as_u16()
            }));
        }
        let mut creates = Vec::new();
        for i in 0..10 {
            let req = s
                .post("/tickets", AGENT1)
                .json(&json!({"title": format!("c{i}"), "group": "Users", "customer": NICOLE}));
            creates.push(tokio::spawn(async move {
                req.send().await.unwrap().json::<Value>().await.unwrap()
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap(), 201, "{ctx}");
        }
        let mut numbers = std::collections::BTreeSet::new();
        for c in creates {
            numbers.insert(c.await.unwrap()["number"].as_str().unwrap().to_string());
        }
        assert_eq!(numbers.len(), 10, "{ctx}: unique numbers");
        let r = send(s.get(&format!("/tickets/{id}"), AGENT1)).await.1;
        assert_eq!(r["article_count"], 21, "{ctx}: no lost updates");
        s.finish().await;
    }
}

#[tokio::test]
async fn article_update_and_delete_rules() {
    for s in servers().await {
        let ctx = s.db.name;
        let t = new_ticket(&s, AGENT1, json!({"title": "x", "group": "Users", "customer": NICOLE, "article": {"body": "hello", "type": "email", "to": NICOLE}})).await;
        let id = t["id"].as_i64().unwrap();
        let email_id = t["article_ids"][0].as_i64().unwrap();
        let r = send(
            s.put(&format!("/ticket_articles/{email_id}"), AGENT1)
                .json(&json!({"internal": true, "body": "changed"})),
        )
        .await;
        assert_eq!(r.1["internal"], true, "{ctx}");
        assert_eq!(r.1["body"], "hello", "{ctx}: only internal changes");
        assert_status(
            s.put(&format!("/ticket_articles/{email_id}"), NICOLE)
                .json(&json!({"internal": false})),
            403,
            ctx,
        )
        .await;
        let note = send(
            s.post("/ticket_articles", AGENT1)
                .json(&json!({"ticket_id": id, "body": "mine", "internal": true})),
        )
        .await
        .1;
        let r = send(s.delete(&format!("/ticket_articles/{}", note["id"]), ADMIN)).await;
        assert_error(
            &r,
            403,
            "Not authorized (you can only delete your own notes)!",
            ctx,
        );
        assert_status(
            s.delete(&format!("/ticket_articles/{}", note["id"]), AGENT1),
            200,
            ctx,
        )
        .await;
        send(
            s.put(&format!("/ticket_articles/{email_id}"), AGENT1)
                .json(&json!({"internal": false})),
        )
        .await;
        let r = send(s.delete(&format!("/ticket_articles/{email_id}"), AGENT1)).await;
        assert_error(
            &r,
            403,
            "Not authorized (communication articles cannot be deleted)!",
            ctx,
        );
        assert_eq!(
            send(s.get(&format!("/tickets/{id}"), AGENT1)).await.1["article_count"],
            1,
            "{ctx}"
        );
        s.finish().await;
    }
}

#[tokio::test]
async fn tags_mentions_history_and_merge() {
    for s in servers().await {
        let ctx = s.db.name;
        let a = new_ticket(&s, AGENT1, json!({"title": "A", "group": "Users", "customer": NICOLE, "tags": "vip", "article": {"body": "first"}})).await;
        let b = new_ticket(&s, AGENT1, json!({"title": "B", "group": "Users", "customer": NICOLE, "article": {"body": "second"}})).await;
        let (a_id, b_id) = (a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap());
        assert_eq!(
            send(
                s.post("/tags/add", AGENT1)
                    .json(&json!({"item": "billing", "object": "Ticket", "o_id": a_id}))
            )
            .await
            .1,
            json!(true)
        );
        let r = send(s.get(&format!("/tags?object=Ticket&o_id={a_id}"), AGENT2))
            .await
            .1;
        assert_eq!(r["tags"], json!(["vip", "billing"]), "{ctx}");
        assert_status(
            s.post("/tags/add", AGENT2)
                .json(&json!({"item": "x", "object": "Ticket", "o_id": a_id})),
            403,
            &format!("{ctx}: read-only agent"),
        )
        .await;
        assert_status(
            s.get(&format!("/tags?object=Ticket&o_id={a_id}"), NICOLE),
            403,
            ctx,
        )
        .await;
        send(
            s.client
                .delete(s.url("/tags/remove"))
                .basic_auth(AGENT1, Some(PASSWORD))
                .json(&json!({"item": "vip", "object": "Ticket", "o_id": a_id})),
        )
        .await;
        assert_eq!(
            send(s.get(&format!("/tags?object=Ticket&o_id={a_id}"), AGENT1))
                .await
                .1["tags"],
            json!(["billing"]),
            "{ctx}"
        );

        let m = send(
            s.post("/mentions", AGENT2)
                .json(&json!({"mentionable_type": "Ticket", "mentionable_id": a_id})),
        )
        .await;
        assert_eq!(m.0, 201, "{ctx}: {}", m.1);
        assert_status(
            s.post("/mentions", NICOLE)
                .json(&json!({"mentionable_type": "Ticket", "mentionable_id": a_id})),
            403,
            ctx,
        )
        .await;
        let list = send(s.get(
            &format!("/mentions?mentionable_type=Ticket&mentionable_id={a_id}"),
            AGENT1,
        ))
        .await
        .1;
        assert_eq!(list["mentions"].as_array().unwrap().len(), 1, "{ctx}");

        send(
            s.put(&format!("/tickets/{a_id}"), AGENT1)
                .json(&json!({"state": "open", "title": "A renamed"})),
        )
        .await;
        let h = send(s.get(&format!("/ticket_history/{a_id}"), AGENT1))
            .await
            .1;
        let entries = h["history"].as_array().unwrap();
        assert!(
            entries
                .iter()
                .any(|e| e["history_type"] == "created" && e["history_object"] == "Ticket"),
            "{ctx}"
        );
        assert!(
            entries.iter().any(|e| e["attribute"] == "state"
                && e["value_from"] == "new"
                && e["value_to"] == "open"),
            "{ctx}: {entries:?}"
        );
        assert!(
            entries
                .iter()
                .any(|e| e["attribute"] == "title" && e["value_to"] == "A renamed"),
            "{ctx}"
        );
        assert_status(
            s.get(&format!("/ticket_history/{a_id}"), NICOLE),
            403,
            &format!("{ctx}: customers have no history"),
        )
        .await;

        let r = send(s.put(&format!("/ticket_merge/{a_id}/000000"), AGENT1))
            .await
            .1;
        assert_eq!(
            r,
            json!({"result": "failed", "message": "The target ticket number could not be found."}),
            "{ctx}"
        );
        let r = send(s.put(
            &format!("/ticket_merge/{a_id}/{}", b["number"].as_str().unwrap()),
            AGENT1,
        ))
        .await
        .1;
        assert_eq!(r["result"], "success", "{ctx}: {r}");
        assert_eq!(r["source_ticket"]["state_id"], 5, "{ctx}: merged");
        assert_eq!(
            r["target_ticket"]["article_count"], 2,
            "{ctx}: articles moved"
        );
        let tags = send(s.get(&format!("/tags?object=Ticket&o_id={b_id}"), AGENT1))
            .await
            .1;
        assert_eq!(tags["tags"], json!(["billing"]), "{ctx}: tags moved");
        s.finish().await;
    }
}

/// Customers see of other users (the owning agent, colleagues) only their name, image and
/// whether they are active, in every response variant that embeds users (Zammad's field
/// scopes); agents see everything.
#[tokio::test]
async fn embedded_records_show_customers_only_their_fields() {
    for s in servers().await {
        let body = json!({"title": "Scoped", "group": "Users", "customer": NICOLE, "owner": AGENT1,
                          "article": {"body": "hello", "type": "phone"}});
        let r = send(s.post("/tickets", AGENT1).json(&body)).await;
        assert_eq!(r.0, 201, "{}", r.1);
        let id = r.1["id"].as_i64().unwrap();
        let owner = r.1["owner_id"].as_i64().unwrap().to_string();
        for variant in ["all=true", "full=true"] {
            let (status, seen) = send(s.get(&format!("/tickets/{id}?{variant}"), NICOLE)).await;
            assert_eq!(status, 200, "{variant}: {seen}");
            let assets = &seen["assets"];
            let agent = assets["User"][&owner].as_object().expect("owner in assets");
            let mut fields: Vec<&str> = agent.keys().map(String::as_str).collect();
            fields.sort();
            assert_eq!(
                fields,
                [
                    "active",
                    "firstname",
                    "id",
                    "image",
                    "image_source",
                    "lastname"
                ],
                "{}: {variant}",
                s.db.name
            );
            for group in assets["Group"].as_object().unwrap().values() {
                assert!(group.get("note").is_none(), "{}: group note", s.db.name);
            }
            // her own record stays whole
            let own = assets["User"]
                .as_object()
                .unwrap()
                .values()
                .find(|u| u["email"] == NICOLE);
            assert!(own.is_some(), "{}: own record with e-mail", s.db.name);
            // the agent sees the owner's private fields
            let (_, full) = send(s.get(&format!("/tickets/{id}?{variant}"), AGENT1)).await;
            assert!(full["assets"]["User"][&owner].get("email").is_some());
        }
        // the search results embed the same assets
        let (status, found) = send(s.get("/tickets/search?query=Scoped", NICOLE)).await;
        assert_eq!(status, 200, "{found}");
        if let Some(user) = found["assets"]["User"].get(&owner) {
            assert!(user.get("email").is_none(), "{}: search assets", s.db.name);
        }
        s.finish().await;
    }
}

/// `POST /tickets` reads what its request names before its write transaction and creates a
/// customer named by a new address inside it: a new address makes one customer (named as
/// sent), the same address again finds that customer, a request that fails after naming a new
/// address leaves no user behind; the owner hears of the assignment and the group's agents of
/// the new ticket, the creator of neither.
#[tokio::test]
async fn new_tickets_find_or_create_their_customer_and_tell_their_owner() {
    for s in servers().await {
        let ctx = s.db.name;
        let agent1 = s.user_id(AGENT1).await;
        let t = new_ticket(
            &s,
            ADMIN,
            json!({"title": "Ada", "group": "Users", "owner_id": agent1,
            "customer": {"firstname": "Ada", "lastname": "Lovelace", "email": " Ada@Example.TEST "},
            "article": {"body": "x"}}),
        )
        .await;
        assert_eq!(t["owner_id"], agent1, "{ctx}");
        let customer = send(s.get(&format!("/users/{}", t["customer_id"]), AGENT1))
            .await
            .1;
        assert_eq!(
            (
                &customer["email"],
                &customer["firstname"],
                &customer["lastname"]
            ),
            (
                &json!("ada@example.test"),
                &json!("Ada"),
                &json!("Lovelace")
            ),
            "{ctx}"
        );
        let again = new_ticket(
            &s,
            ADMIN,
            json!({"title": "Ada again", "group": "Users",
            "customer_id": "guess:ADA@example.test", "article": {"body": "y"}}),
        )
        .await;
        assert_eq!(
            again["customer_id"], t["customer_id"],
            "{ctx}: found, not made twice"
        );
        let r = send(s.get("/users/search?query=ada@example.test", ADMIN)).await;
        assert_eq!(r.1.as_array().map(Vec::len), Some(1), "{ctx}: {}", r.1);

        // a request that fails after naming a new address creates nobody
        let r = send(
            s.post("/tickets", AGENT1)
                .json(&json!({"title": "No", "group": "Users",
            "customer_id": "guess:nobody.yet@example.test", "state": "no such state"})),
        )
        .await;
        assert_eq!(r.0, 422, "{ctx}: {}", r.1);
        let r = send(s.get("/users/search?query=nobody.yet@example.test", ADMIN)).await;
        assert_eq!(r.1, json!([]), "{ctx}: nothing stored");

        // agent1 heard of the new ticket and of being its owner, agent2 (read access) of the
        // new ticket, the admin (who made it) of neither
        for (login, heard) in [
            (AGENT1, &["assign", "create"][..]),
            (AGENT2, &["create"][..]),
            (ADMIN, &[][..]),
        ] {
            let bell = send(s.get("/online_notifications", login)).await.1;
            let mut reasons: Vec<&str> = bell
                .as_array()
                .unwrap()
                .iter()
                .filter(|n| n["o_id"] == t["id"])
                .map(|n| n["reason"].as_str().unwrap())
                .collect();
            reasons.sort_unstable();
            assert_eq!(reasons, heard, "{ctx}: {login}: {bell}");
        }
        s.finish().await;
    }
}

/// `POST /tickets` answers its plain view from what the write returned, without reading the
/// ticket again: the answer is the one a read of the ticket gives (`PUT` without changes
/// answers the same view, read from the database), for agents and customers, internal and
/// public first articles, none, and a first article with time spent (read again).
#[tokio::test]
async fn a_new_tickets_answer_is_the_ticket_as_read_again() {
    for s in servers().await {
        let ctx = s.db.name;
        let article = |extra: Value| {
            let mut a = json!({"body": "It jams.", "type": "note"});
            a.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            a
        };
        let cases = [
            (AGENT1, Some(article(json!({"internal": true})))),
            (
                AGENT1,
                Some(article(json!({"internal": false, "type": "phone"}))),
            ),
            (AGENT1, Some(article(json!({"time_unit": 2})))),
            (AGENT1, None),
            (NICOLE, Some(article(json!({"type": "web"})))),
        ];
        for (login, first) in cases {
            let mut body = json!({"title": "Jammed", "group": "Users", "customer": NICOLE});
            if let Some(first) = &first {
                body["article"] = first.clone();
            }
            let created = new_ticket(&s, login, body).await;
            let id = created["id"].as_i64().unwrap();
            let r = send(s.put(&format!("/tickets/{id}"), login).json(&json!({}))).await;
            assert_eq!(r.0, 200, "{ctx}: {}", r.1);
            let mut read = r.1;
            let mut answered = created.clone();
            for field in ["updated_at", "updated_by_id"] {
                read.as_object_mut().unwrap().remove(field);
                answered.as_object_mut().unwrap().remove(field);
            }
            assert_eq!(answered, read, "{ctx}: {login} {first:?}");
            let articles = created["article_ids"].as_array().unwrap().len();
            assert_eq!(articles, usize::from(first.is_some()), "{ctx}: {created}");
        }
        s.finish().await;
    }
}

/// What a new ticket's plan read is kept per caller and named records under the auth
/// generation: the next request naming the same records still gets its own title, note and
/// pending time (and the 422 for a missing one), and a change to the default priority or the
/// customer's organisation counts for the next ticket.
#[tokio::test]
async fn kept_plans_of_new_tickets_follow_each_request_and_every_change() {
    for s in servers().await {
        let ctx = s.db.name;
        let request = |title: &str, pending: Option<&str>| {
            let mut body = json!({"title": title, "group": "Users", "customer": NICOLE,
                "state": "pending reminder", "note": format!("note of {title}"),
                "article": {"body": "Later.", "type": "note"}});
            if let Some(pending) = pending {
                body["pending_time"] = json!(pending);
            }
            body
        };
        let first = new_ticket(&s, AGENT1, request("First", Some("2030-01-01T10:00:00Z"))).await;
        let second = new_ticket(&s, AGENT1, request("Second", Some("2031-02-03T04:05:06Z"))).await;
        assert_eq!(first["pending_time"], "2030-01-01T10:00:00.000Z", "{ctx}");
        assert_eq!(second["pending_time"], "2031-02-03T04:05:06.000Z", "{ctx}");
        assert_eq!(second["title"], "Second", "{ctx}");
        assert_eq!(second["note"], "note of Second", "{ctx}");
        assert_eq!(second["priority_id"], 2, "{ctx}: the default priority");
        let r = send(s.post("/tickets", AGENT1).json(&request("Third", None))).await;
        assert_error(
            &r,
            422,
            "Missing required value for field 'pending_time'!",
            ctx,
        );

        // another default priority (no API changes it: as an administrator would, in SQL)
        support::execute(
            &s.db.store,
            "UPDATE ticket_priorities SET default_create = CASE WHEN id = 3 THEN 1 ELSE 0 END",
        )
        .await;
        let later = new_ticket(&s, AGENT1, request("Later", Some("2030-01-01T10:00:00Z"))).await;
        assert_eq!(later["priority_id"], 3, "{ctx}: the new default priority");

        // the customer moves to another organisation
        let r = send(
            s.post("/organizations", ADMIN)
                .json(&json!({"name": "Plan Co"})),
        )
        .await;
        assert_eq!(r.0, 201, "{ctx}: {}", r.1);
        let plan_co = r.1["id"].clone();
        let nicole = first["customer_id"].as_i64().unwrap();
        let r = send(
            s.put(&format!("/users/{nicole}"), ADMIN)
                .json(&json!({"organization_id": plan_co})),
        )
        .await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        let moved = new_ticket(&s, AGENT1, request("Moved", Some("2030-01-01T10:00:00Z"))).await;
        assert_eq!(moved["organization_id"], plan_co, "{ctx}: {moved}");
        assert_ne!(first["organization_id"], plan_co, "{ctx}");
        s.finish().await;
    }
}
