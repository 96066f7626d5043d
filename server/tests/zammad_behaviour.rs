//! Where Zammad clients and people notice the difference (SQLite and PostgreSQL): tag rules,
//! core-workflow state rules and follow-ups, merges, lenient paging, `From:` with UTF-8.

mod common;

use common::*;
use serde_json::{Value, json};

async fn new_ticket(s: &TestServer, login: &str, body: Value) -> Value {
    let r = send(s.post("/tickets", login).json(&body)).await;
    assert_eq!(r.0, 201, "{}: create ticket: {}", s.db.name, r.1);
    r.1
}

fn nicoles_ticket(title: &str) -> Value {
    json!({"title": title, "group": "Users", "customer": NICOLE, "article": {"body": "first"}})
}

async fn tags_of(s: &TestServer, id: i64) -> Value {
    send(s.get(&format!("/tags?object=Ticket&o_id={id}"), AGENT1))
        .await
        .1["tags"]
        .clone()
}

/// Agent1 removes the tag `name` of ticket `id` (200).
async fn untag(s: &TestServer, id: i64, name: &str) {
    tag_change(s, s.delete("/tags/remove", AGENT1), id, name, 200).await;
}

/// Sends a tag change (`request`: add or remove) of tag `name` on ticket `id`; asserts `status`.
async fn tag_change(
    s: &TestServer,
    request: reqwest::RequestBuilder,
    id: i64,
    name: &str,
    status: u16,
) {
    let body = json!({"object": "Ticket", "o_id": id, "item": name});
    let r = send(request.json(&body)).await;
    assert_eq!(r.0, status, "{}: tag {name}: {}", s.db.name, r.1);
}

#[tokio::test]
async fn tags_are_exact_and_commas_separate_them_everywhere() {
    for s in servers().await {
        let ctx = s.db.name;
        let id = new_ticket(&s, AGENT1, nicoles_ticket("tags")).await["id"]
            .as_i64()
            .unwrap();
        for item in ["VIP", "vip", "Vip"] {
            tag(&s, id, item).await;
        }
        untag(&s, id, "vip").await;
        assert_eq!(
            tags_of(&s, id).await,
            json!(["VIP", "Vip"]),
            "{ctx}: removal is exact"
        );

        tag(&s, id, "Malware, Trojan").await;
        let created = new_ticket(
            &s,
            AGENT1,
            json!({"title": "t", "group": "Users", "customer": NICOLE, "tags": "Malware, Trojan", "article": {"body": "b"}}),
        )
        .await;
        let from_create = tags_of(&s, created["id"].as_i64().unwrap()).await;
        assert_eq!(from_create, json!(["Malware", "Trojan"]), "{ctx}");
        let tags = tags_of(&s, id).await;
        for tag in ["Malware", "Trojan"] {
            assert!(
                tags.as_array().unwrap().contains(&json!(tag)),
                "{ctx}: one rule for both: {tags}"
            );
        }
        // a variant: blanks and empty parts, and case beyond ASCII
        let id2 = created["id"].as_i64().unwrap();
        tag(&s, id2, " Ümlaut ,, ümlaut , ").await;
        untag(&s, id2, "ümlaut").await;
        assert_eq!(
            tags_of(&s, id2).await,
            json!(["Malware", "Trojan", "Ümlaut"]),
            "{ctx}: exact beyond ASCII"
        );
        s.finish().await;
    }
}

#[tokio::test]
async fn state_rules_follow_zammads_core_workflow() {
    for s in servers().await {
        let ctx = s.db.name;
        let id = new_ticket(&s, AGENT1, nicoles_ticket("states")).await["id"]
            .as_i64()
            .unwrap();
        let put = |login: &'static str, body: Value| {
            let s = &s;
            async move { send(s.put(&format!("/tickets/{id}"), login).json(&body)).await }
        };
        // customers: open and closed only
        for state in ["pending reminder", "merged", "pending close", "removed"] {
            let r = put(
                NICOLE,
                json!({"state": state, "pending_time": "2030-01-01T00:00:00Z"}),
            )
            .await;
            assert_error(
                &r,
                422,
                &format!("Invalid value '{state}' for field 'state_id'!"),
                ctx,
            );
        }
        // agents: no merged, no removed; a pending state needs its time
        for state in ["merged", "removed"] {
            let r = put(AGENT1, json!({"state": state})).await;
            assert_error(
                &r,
                422,
                &format!("Invalid value '{state}' for field 'state_id'!"),
                ctx,
            );
        }
        let r = put(AGENT1, json!({"state": "pending reminder"})).await;
        assert_error(
            &r,
            422,
            "Missing required value for field 'pending_time'!",
            ctx,
        );
        let r = put(
            AGENT1,
            json!({"state": "pending reminder", "pending_time": "2030-01-01T00:00:00Z"}),
        )
        .await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        // nothing of a refused change is stored
        let r = put(NICOLE, json!({"state": "merged", "title": "renamed"})).await;
        assert_eq!(r.0, 422, "{ctx}");
        let shown = send(s.get(&format!("/tickets/{id}"), AGENT1)).await.1;
        assert_eq!(shown["title"], "states", "{ctx}");
        // a customer's reply on a pending ticket reopens it
        let r = send(
            s.post("/ticket_articles", NICOLE)
                .json(&json!({"ticket_id": id, "body": "any news?"})),
        )
        .await;
        assert_eq!(r.0, 201, "{ctx}: {}", r.1);
        let shown = send(s.get(&format!("/tickets/{id}"), AGENT1)).await.1;
        assert_eq!(shown["state_id"], 2, "{ctx}: open again: {shown}");
        assert_eq!(shown["pending_time"], Value::Null, "{ctx}");
        // the customer closes; their next message (through a ticket update) reopens it
        let r = put(NICOLE, json!({"state": "closed"})).await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        let r = put(NICOLE, json!({"article": {"body": "it broke again"}})).await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        assert_eq!(r.1["state_id"], 2, "{ctx}: reopened: {}", r.1);
        // closing with a last word keeps it closed
        let r = put(
            NICOLE,
            json!({"state": "closed", "article": {"body": "thanks, solved"}}),
        )
        .await;
        assert_eq!(r.1["state_id"], 4, "{ctx}: {}", r.1);
        // an agent's note on a closed ticket does not reopen it
        let r = send(
            s.post("/ticket_articles", AGENT1)
                .json(&json!({"ticket_id": id, "body": "noted", "internal": true})),
        )
        .await;
        assert_eq!(r.0, 201, "{ctx}: {}", r.1);
        let shown = send(s.get(&format!("/tickets/{id}"), AGENT1)).await.1;
        assert_eq!(shown["state_id"], 4, "{ctx}");
        s.finish().await;
    }
}

#[tokio::test]
async fn merged_tickets_take_part_in_no_further_merge() {
    for s in servers().await {
        let ctx = s.db.name;
        let a = new_ticket(&s, AGENT1, nicoles_ticket("A")).await;
        let b = new_ticket(&s, AGENT1, nicoles_ticket("B")).await;
        let c = new_ticket(&s, AGENT1, nicoles_ticket("C")).await;
        let merge = |source: &Value, target: &Value| {
            let path = format!(
                "/ticket_merge/{}/{}",
                source["id"],
                target["number"].as_str().unwrap()
            );
            let s = &s;
            async move { send(s.put(&path, AGENT1)).await }
        };
        let r = merge(&a, &b).await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        for (source, target) in [(&b, &a), (&a, &c), (&c, &a)] {
            let r = merge(source, target).await;
            assert_error(
                &r,
                422,
                "ticket already merged, no merge into merged ticket possible",
                ctx,
            );
        }
        let b_now = send(s.get(&format!("/tickets/{}", b["id"]), AGENT1))
            .await
            .1;
        assert_ne!(
            b_now["state_id"], 5,
            "{ctx}: B stays the target, not merged"
        );

        // two opposite merges at the same moment: exactly one succeeds
        let d = new_ticket(&s, AGENT1, nicoles_ticket("D")).await;
        let e = new_ticket(&s, AGENT1, nicoles_ticket("E")).await;
        let (one, two) = tokio::join!(merge(&d, &e), merge(&e, &d));
        let statuses = [one.0, two.0];
        assert!(
            statuses.contains(&200) && statuses.contains(&422),
            "{ctx}: {statuses:?} {} {}",
            one.1,
            two.1
        );
        s.finish().await;
    }
}

#[tokio::test]
async fn paging_numbers_are_read_as_zammad_reads_them() {
    for s in servers().await {
        let ctx = s.db.name;
        for _ in 0..3 {
            new_ticket(&s, AGENT1, nicoles_ticket("page")).await;
        }
        // a client library sends exactly this: Ruby's to_i reads page 1
        let r = send(s.get("/tickets?page=1,per_page=2", AGENT1)).await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        assert!(!r.1.as_array().unwrap().is_empty(), "{ctx}");
        let r = send(s.get("/tickets?page=abc&per_page=2x", AGENT1)).await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        assert_eq!(r.1.as_array().unwrap().len(), 2, "{ctx}: per_page 2");
        s.finish().await;
    }
}

#[tokio::test]
async fn from_with_a_utf8_login_acts_as_that_user_and_an_unknown_one_is_refused() {
    for s in servers().await {
        let ctx = s.db.name;
        let r = send(s.post("/users", ADMIN).json(&json!({
            "login": "zoë2", "firstname": "Zoë", "lastname": "Zwei", "email": "zoe2@customer.test", "roles": ["Customer"]
        })))
        .await;
        assert_eq!(r.0, 201, "{ctx}: {}", r.1);
        let zoe = r.1["id"].as_i64().unwrap();
        let as_zoe = |login: &'static [u8]| {
            let value = reqwest::header::HeaderValue::from_bytes(login).unwrap();
            s.post("/tickets", ADMIN)
                .header("from", value)
                .json(&json!({
                    "title": "on behalf", "group": "Users", "article": {"body": "hello"}
                }))
        };
        let r = send(as_zoe("zoë2".as_bytes())).await;
        assert_eq!(r.0, 201, "{ctx}: {}", r.1);
        assert_eq!(r.1["customer_id"], zoe, "{ctx}: created as Zoë: {}", r.1);
        assert_eq!(r.1["created_by_id"], zoe, "{ctx}");
        for nobody in ["zoë3".as_bytes(), b"\xff\xfe"] {
            let r = send(as_zoe(nobody)).await;
            assert_eq!(
                r.0,
                403,
                "{ctx}: {:?} → {}",
                String::from_utf8_lossy(nobody),
                r.1
            );
        }
        s.finish().await;
    }
}

#[tokio::test]
async fn expanded_answers_carry_association_ids() {
    for s in servers().await {
        let ctx = s.db.name;
        let t = new_ticket(&s, AGENT1, nicoles_ticket("expanded printer")).await;
        let id = t["id"].as_i64().unwrap();
        let r = send(
            s.post("/ticket_articles", AGENT1)
                .json(&json!({"ticket_id": id, "body": "internal", "internal": true})),
        )
        .await;
        assert_eq!(r.0, 201, "{ctx}: {}", r.1);
        let internal_id = r.1["id"].clone();
        let shown = send(s.get(&format!("/tickets/{id}?expand=true"), AGENT1))
            .await
            .1;
        assert_eq!(
            shown["article_ids"].as_array().map(Vec::len),
            Some(2),
            "{ctx}: {shown}"
        );
        assert_eq!(shown["ticket_time_accounting_ids"], json!([]), "{ctx}");
        assert_eq!(shown["group"], "Users", "{ctx}: names too");
        let listed = send(s.get("/tickets?expand=true", AGENT1)).await.1;
        assert!(
            listed[0]["article_ids"].is_array(),
            "{ctx}: index: {}",
            listed[0]
        );
        let found = send(s.get("/tickets/search?query=expanded&expand=true", AGENT1))
            .await
            .1;
        assert!(found[0]["article_ids"].is_array(), "{ctx}: search: {found}");
        // customers: internal articles stay out
        let theirs = send(s.get(&format!("/tickets/{id}?expand=true"), NICOLE))
            .await
            .1;
        let ids = theirs["article_ids"].as_array().unwrap();
        assert_eq!(ids.len(), 1, "{ctx}: {theirs}");
        assert!(!ids.contains(&internal_id), "{ctx}");
        s.finish().await;
    }
}

#[tokio::test]
async fn a_customer_object_on_create_finds_or_creates_the_customer_by_email() {
    for s in common::servers().await {
        let body = json!({"title": "Object customer", "group": "Users",
            "customer": {"firstname": "Ina Maria", "lastname": "Neu", "email": "Ina.Neu@Example.test"},
            "article": {"body": "first"}});
        let t = new_ticket(&s, AGENT1, body.clone()).await;
        let t2 = new_ticket(&s, AGENT1, body).await;
        assert_eq!(
            t["customer_id"], t2["customer_id"],
            "{}: found the second time",
            s.db.name
        );
        let user = send(s.get(&format!("/users/{}", t["customer_id"]), ADMIN))
            .await
            .1;
        assert_eq!(user["email"], "ina.neu@example.test");
        assert_eq!(user["firstname"], "Ina Maria");
        assert_eq!(user["lastname"], "Neu");
        let existing = new_ticket(
            &s,
            AGENT1,
            json!({"title": "x", "group": "Users",
            "customer": {"email": NICOLE}, "article": {"body": "b"}}),
        )
        .await;
        let nicole = send(s.get("/users/me", NICOLE)).await.1["id"].clone();
        assert_eq!(existing["customer_id"], nicole);
        let bad_customer = json!({"title": "x", "group": "Users",
            "customer": {"firstname": "No", "email": "not-an-address"}, "article": {"body": "b"}});
        assert_refused(
            s.post("/tickets", AGENT1).json(&bad_customer),
            422,
            "Invalid email 'not-an-address' of customer",
            "invalid e-mail",
        )
        .await;
        s.finish().await;
    }
}

#[tokio::test]
async fn time_accounting_is_stored_summed_and_guarded() {
    for s in common::servers().await {
        let t = new_ticket(&s, AGENT1, nicoles_ticket("Timed")).await;
        let id = t["id"].as_i64().unwrap();
        let r = send(s.post("/ticket_articles", AGENT1).json(&json!({
            "ticket_id": id, "body": "worked on it", "type": "note", "internal": true, "time_unit": "1,5"
        })))
        .await;
        assert_eq!(r.0, 201, "{}", r.1);
        assert_eq!(r.1["time_unit"], "1.5", "{}: article time", s.db.name);
        let r = send(
            s.post(&format!("/tickets/{id}/time_accountings"), AGENT1)
                .json(&json!({"time_unit": 2})),
        )
        .await;
        assert_eq!(r.0, 201, "{}", r.1);
        let second = r.1["id"].as_i64().unwrap();
        let ticket = send(s.get(&format!("/tickets/{id}?expand=true"), AGENT1))
            .await
            .1;
        assert_eq!(ticket["time_unit"], "3.5", "{ticket}");
        assert_eq!(
            ticket["ticket_time_accounting_ids"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            send(s.get(&format!("/tickets/{id}/time_accountings"), AGENT1))
                .await
                .1
                .as_array()
                .unwrap()
                .len(),
            2
        );
        // customers see no time; read-only agents record none; only time admins change entries
        let theirs = send(s.get(&format!("/tickets/{id}"), NICOLE)).await.1;
        assert!(theirs.get("time_unit").is_none(), "{theirs}");
        assert_status(
            s.get(&format!("/tickets/{id}/time_accountings"), NICOLE),
            403,
            "",
        )
        .await;
        assert_status(
            s.post(&format!("/tickets/{id}/time_accountings"), AGENT2)
                .json(&json!({"time_unit": 1})),
            403,
            "",
        )
        .await;
        assert_status(
            s.put(&format!("/tickets/{id}/time_accountings/{second}"), AGENT1)
                .json(&json!({"time_unit": 1})),
            403,
            "",
        )
        .await;
        let r = send(
            s.put(&format!("/tickets/{id}/time_accountings/{second}"), ADMIN)
                .json(&json!({"time_unit": "1.0"})),
        )
        .await;
        assert_eq!(r.0, 200, "{}", r.1);
        assert_eq!(
            send(s.get(&format!("/tickets/{id}"), AGENT1)).await.1["time_unit"],
            "2.5"
        );
        assert_status(
            s.delete(&format!("/tickets/{id}/time_accountings/{second}"), ADMIN),
            200,
            "",
        )
        .await;
        assert_eq!(
            send(s.get(&format!("/tickets/{id}"), AGENT1)).await.1["time_unit"],
            "1.5"
        );
        assert_refused(
            s.post(&format!("/tickets/{id}/time_accountings"), AGENT1)
                .json(&json!({"time_unit": "a lot"})),
            422,
            "Invalid value for param 'time_unit': \"a lot\"",
            "unparsable time",
        )
        .await;
        s.finish().await;
    }
}

#[tokio::test]
async fn links_read_from_both_tickets_with_parent_and_child_swapped() {
    for s in common::servers().await {
        let a = new_ticket(&s, AGENT1, nicoles_ticket("Parent")).await;
        let b = new_ticket(&s, AGENT1, nicoles_ticket("Child")).await;
        let (a_id, b_id) = (a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap());
        let r = send(s.post("/links/add", AGENT1).json(&json!({
            "link_type": "parent", "link_object_source": "Ticket", "link_object_source_number": a["number"],
            "link_object_target": "Ticket", "link_object_target_value": b_id
        })))
        .await;
        assert_eq!(r.0, 201, "{}: {}", s.db.name, r.1);
        let from_a = send(s.get(
            &format!("/links?link_object=Ticket&link_object_value={a_id}"),
            AGENT1,
        ))
        .await
        .1;
        assert_eq!(
            from_a["links"],
            json!([{"link_type": "parent", "link_object": "Ticket", "link_object_value": b_id}])
        );
        assert!(
            from_a["assets"]["Ticket"][b_id.to_string()].is_object(),
            "{from_a}"
        );
        let from_b = send(s.get(
            &format!("/links?link_object=Ticket&link_object_value={b_id}"),
            AGENT1,
        ))
        .await
        .1;
        assert_eq!(from_b["links"][0]["link_type"], "child");
        let zoom = send(s.get(&format!("/tickets/{b_id}?all=true"), AGENT1))
            .await
            .1;
        assert_eq!(
            zoom["links"][0]["link_object_value"], a_id,
            "{}",
            zoom["links"]
        );
        // customers and read-only agents do not link; a ticket is not linked to itself
        assert_status(
            s.get(
                &format!("/links?link_object=Ticket&link_object_value={a_id}"),
                NICOLE,
            ),
            403,
            "",
        )
        .await;
        let self_link = send(s.post("/links/add", AGENT1).json(&json!({
            "link_type": "normal", "link_object_source_number": a["number"], "link_object_target_value": a_id
        })))
        .await;
        assert_error(
            &self_link,
            422,
            "A ticket cannot be linked to itself.",
            "self link",
        );
        let bad_type = send(s.post("/links/add", AGENT1).json(&json!({
            "link_type": "sibling", "link_object_source_number": a["number"], "link_object_target_value": b_id
        })))
        .await;
        assert_error(
            &bad_type,
            422,
            "Invalid value for param 'link_type': \"sibling\"",
            "type",
        );
        assert_status(s.post("/links/add", AGENT2).json(&json!({
            "link_type": "normal", "link_object_source_number": b["number"], "link_object_target_value": a_id
        })), 403, "").await;
        let r = send(s.delete("/links/remove", AGENT1).json(&json!({
            "link_type": "parent", "link_object_source": "Ticket", "link_object_source_value": a_id,
            "link_object_target": "Ticket", "link_object_target_value": b_id
        })))
        .await;
        assert_eq!(r.0, 200, "{}", r.1);
        assert_eq!(
            send(s.get(
                &format!("/links?link_object=Ticket&link_object_value={b_id}"),
                AGENT1
            ))
            .await
            .1["links"],
            json!([])
        );
        s.finish().await;
    }
}

#[tokio::test]
async fn users_and_organisations_are_deleted_only_without_references() {
    for s in common::servers().await {
        let r = send(s.post("/users", ADMIN).json(
            &json!({"firstname": "Temp", "lastname": "User", "email": "temp.user@example.test"}),
        ))
        .await;
        assert_eq!(r.0, 201, "{}", r.1);
        let temp = r.1["id"].as_i64().unwrap();
        assert_status(
            s.delete(&format!("/users/{temp}"), AGENT1),
            403,
            "agents do not delete users",
        )
        .await;
        let r = send(s.delete(&format!("/users/{temp}"), ADMIN)).await;
        assert_eq!(r.0, 200, "{}: {}", s.db.name, r.1);
        assert_status(s.get(&format!("/users/{temp}"), ADMIN), 404, "").await;
        let nicole = s.user_id(NICOLE).await;
        new_ticket(&s, AGENT1, nicoles_ticket("Keeps Nicole")).await;
        assert_refused(
            s.delete(&format!("/users/{nicole}"), ADMIN),
            422,
            "Can't delete, object has references.",
            "customer with tickets",
        )
        .await;
        let me = s.user_id(ADMIN).await;
        assert_status(s.delete(&format!("/users/{me}"), ADMIN), 403, "not oneself").await;

        let r = send(
            s.post("/organizations", ADMIN)
                .json(&json!({"name": "Short-lived Ltd"})),
        )
        .await;
        assert_eq!(r.0, 201, "{}", r.1);
        let org = r.1["id"].as_i64().unwrap();
        assert_status(s.delete(&format!("/organizations/{org}"), AGENT1), 403, "").await;
        assert_status(s.delete(&format!("/organizations/{org}"), ADMIN), 200, "").await;
        let nicoles_org = send(s.get("/users/me", NICOLE)).await.1["organization_id"]
            .as_i64()
            .expect("Nicole has an organisation");
        assert_refused(
            s.delete(&format!("/organizations/{nicoles_org}"), ADMIN),
            422,
            "Can't delete, object has references.",
            "organisation with members",
        )
        .await;
        s.finish().await;
    }
}

/// Agent1 adds the tag `name` to ticket `id` (201).
async fn tag(s: &TestServer, id: i64, name: &str) {
    tag_change(s, s.post("/tags/add", AGENT1), id, name, 201).await;
}

#[tokio::test]
async fn the_tag_list_counts_renames_merges_and_deletes_names_everywhere() {
    for s in common::servers().await {
        let a = new_ticket(&s, AGENT1, nicoles_ticket("A")).await["id"]
            .as_i64()
            .unwrap();
        let b = new_ticket(&s, AGENT1, nicoles_ticket("B")).await["id"]
            .as_i64()
            .unwrap();
        tag(&s, a, "VIP").await;
        tag(&s, b, "vip").await;
        tag(&s, a, "Printer").await;
        tag(&s, b, "Printer").await;
        let list = send(s.get("/tag_list", ADMIN)).await.1;
        let count = |list: &Value, name: &str| {
            list.as_array()
                .unwrap()
                .iter()
                .find(|t| t["name"] == name)
                .map(|t| t["count"].clone())
        };
        assert_eq!(count(&list, "Printer"), Some(json!(2)), "{list}");
        assert_eq!(count(&list, "VIP"), Some(json!(1)));
        assert_status(s.get("/tag_list", AGENT1), 403, "").await;
        let found = send(s.get("/tag_search?term=vI", AGENT1)).await.1;
        let values: Vec<&str> = found
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["value"].as_str().unwrap())
            .collect();
        assert_eq!(values, vec!["VIP", "vip"], "{found}");
        assert_status(s.get("/tag_search?term=vip", NICOLE), 403, "").await;
        // renaming vip onto VIP merges them
        let vip_lower = list
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "vip")
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        let r = send(
            s.put(&format!("/tag_list/{vip_lower}"), ADMIN)
                .json(&json!({"name": "VIP"})),
        )
        .await;
        assert_eq!(r.0, 200, "{}", r.1);
        let list = send(s.get("/tag_list", ADMIN)).await.1;
        assert_eq!(count(&list, "VIP"), Some(json!(2)), "{list}");
        assert_eq!(count(&list, "vip"), None);
        let mut on_b: Vec<String> = tags_of(&s, b)
            .await
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_string())
            .collect();
        on_b.sort();
        assert_eq!(on_b, vec!["Printer", "VIP"], "renamed on the ticket");
        // deleting Printer takes it off both tickets; a created name starts at 0
        let printer = list
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "Printer")
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        assert_status(s.delete(&format!("/tag_list/{printer}"), ADMIN), 200, "").await;
        assert!(
            !tags_of(&s, a)
                .await
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t == "Printer")
        );
        assert_status(
            s.post("/tag_list", ADMIN)
                .json(&json!({"name": "Escalated"})),
            200,
            "",
        )
        .await;
        assert_eq!(
            count(&send(s.get("/tag_list", ADMIN)).await.1, "Escalated"),
            Some(json!(0))
        );
        assert_refused(
            s.post("/tag_list", ADMIN).json(&json!({"name": "  "})),
            422,
            "Invalid tag name.",
            "blank",
        )
        .await;
        s.finish().await;
    }
}
