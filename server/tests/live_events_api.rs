//! `/ws/live` (SQLite and PostgreSQL): each tab hears about exactly the tickets it may read,
//! customers never about internal notes, and agents see who else views a ticket.

mod common;

use std::time::Duration;

use common::live::{Socket, drain_tab, open_tab, send_message, upgrade};
use common::*;
use serde_json::{Value, json};

/// A tab on `/ws/live` as `login`.
async fn connect(s: &TestServer, login: &str, origin: Option<&str>) -> Result<Socket, u16> {
    open_tab(&s.base, login, origin).await
}

fn about(messages: &[Value], kind: &str, ticket: i64) -> bool {
    messages
        .iter()
        .any(|m| m["t"] == kind && m["ticket_id"] == ticket)
}

/// Whether what `ws` hears until it is quiet includes a `kind` message about `ticket`.
async fn hears(ws: &mut Socket, kind: &str, ticket: i64) -> bool {
    about(&drain_tab(ws).await, kind, ticket)
}

/// A ticket agent1 opens for `customer` in group Users (201); its id.
async fn new_ticket(s: &TestServer, title: &str, customer: &str) -> i64 {
    let body = json!({"title": title, "group": "Users", "customer": customer,
                      "article": {"body": "first", "type": "phone"}});
    create_ticket(s, &body).await
}

#[tokio::test]
async fn tabs_hear_only_about_tickets_they_may_read() {
    for s in servers().await {
        let mut agent = connect(&s, AGENT1, None).await.unwrap();
        let mut nicole = connect(&s, NICOLE, None).await.unwrap();
        let mut lee = connect(&s, LEE, None).await.unwrap();

        // a ticket of Nicole's (Acme, shared organisation)
        let id = new_ticket(&s, "Live", SAM).await;
        assert!(hears(&mut agent, "ticket_changed", id).await);
        assert!(hears(&mut nicole, "ticket_changed", id).await); // Sam's colleague
        assert!(drain_tab(&mut lee).await.is_empty(), "another organisation");

        // an internal note: agents hear of it, customers are not even told something happened
        let note =
            json!({"ticket_id": id, "body": "internal only", "type": "note", "internal": true});
        assert_status(s.post("/ticket_articles", AGENT1).json(&note), 201, "").await;
        assert!(hears(&mut agent, "ticket_changed", id).await);
        let heard = drain_tab(&mut nicole).await;
        assert!(heard.is_empty(), "{}: {heard:?}", s.db.name);
        // nothing but ids travels on this socket
        let public =
            json!({"article": {"body": "public reply", "type": "phone", "internal": false}});
        assert_status(
            s.put(&format!("/tickets/{id}"), AGENT1).json(&public),
            200,
            "",
        )
        .await;
        let heard = drain_tab(&mut nicole).await;
        assert!(about(&heard, "ticket_changed", id));
        assert!(!serde_json::to_string(&heard).unwrap().contains("reply"));

        // deletion reaches everyone who could see it
        assert_status(s.delete(&format!("/tickets/{id}"), ADMIN), 200, "").await;
        assert!(hears(&mut nicole, "ticket_deleted", id).await);
        assert!(hears(&mut agent, "ticket_deleted", id).await);
        assert!(drain_tab(&mut lee).await.is_empty());
        s.finish().await;
    }
}

#[tokio::test]
async fn agents_see_who_views_and_types_customers_are_neither_shown_nor_told() {
    for s in servers().await {
        let id = new_ticket(&s, "Viewers", NICOLE).await;
        let mut anna = connect(&s, AGENT1, None).await.unwrap();
        let mut ada = connect(&s, ADMIN, None).await.unwrap();
        let mut nicole = connect(&s, NICOLE, None).await.unwrap();
        send_message(
            &mut anna,
            json!({"t": "view", "ticket_id": id, "typing": false}),
        )
        .await;
        send_message(
            &mut nicole,
            json!({"t": "view", "ticket_id": id, "typing": false}),
        )
        .await;
        send_message(
            &mut ada,
            json!({"t": "view", "ticket_id": id, "typing": true}),
        )
        .await;
        let heard = drain_tab(&mut anna).await;
        let last = heard
            .iter()
            .rev()
            .find(|m| m["t"] == "viewers")
            .expect("viewers");
        let names: Vec<(String, bool)> = last["viewers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| (v["name"].as_str().unwrap().to_string(), v["typing"] == true))
            .collect();
        assert_eq!(
            names,
            vec![("Ada Admin".into(), true), ("Anna Agent".into(), false)],
            "{}",
            s.db.name
        );
        let told = drain_tab(&mut nicole).await;
        assert!(told.iter().all(|m| m["t"] != "viewers"), "{told:?}");

        // a tab that goes away leaves the row
        drop(ada);
        let heard = drain_tab(&mut anna).await;
        let last = heard.iter().rev().find(|m| m["t"] == "viewers").unwrap();
        assert_eq!(last["viewers"].as_array().unwrap().len(), 1, "{heard:?}");
        s.finish().await;
    }
}

#[tokio::test]
async fn the_socket_needs_a_user_and_our_origin() {
    for s in servers().await {
        let url = format!("{}/ws/live", s.base.replace("http://", "ws://"));
        // Zammad's answer to a request without credentials
        let anonymous = upgrade(&url, None, None).await.err();
        assert!(
            matches!(anonymous, Some(401 | 403)),
            "anonymous socket: {anonymous:?}"
        );
        assert_eq!(
            connect(&s, AGENT1, Some("https://evil.example"))
                .await
                .err(),
            Some(403)
        );
        s.finish().await;
    }
}

#[tokio::test]
async fn a_tab_stops_hearing_about_a_group_once_its_access_is_taken_away() {
    for s in servers().await {
        let mut bob = connect(&s, AGENT2, None).await.unwrap(); // read access to Users
        let id = new_ticket(&s, "Before", NICOLE).await;
        assert!(hears(&mut bob, "ticket_changed", id).await);

        // the admin takes Bob's group away
        let bob_id = s.user_id(AGENT2).await;
        let revoked = send(
            s.put(&format!("/users/{bob_id}"), ADMIN)
                .json(&json!({"group_ids": {}})),
        )
        .await;
        assert_eq!(revoked.0, 200, "{}", revoked.1);
        tokio::time::sleep(server::tab_socket::PERMISSIONS_TTL + Duration::from_millis(500)).await;
        let later = new_ticket(&s, "After", NICOLE).await;
        let heard = drain_tab(&mut bob).await;
        assert!(
            !about(&heard, "ticket_changed", later),
            "{}: {heard:?}",
            s.db.name
        );
        s.finish().await;
    }
}

/// Article changes and deletions and tag changes go through the same use cases as every other
/// write, so open tabs hear of them: agents of everything, customers of what they may see.
#[tokio::test]
async fn article_update_delete_and_tags_reach_open_tabs() {
    for s in servers().await {
        let id = new_ticket(&s, "Live articles", NICOLE).await;
        let note = json!({"ticket_id": id, "body": "a note", "type": "note", "internal": false});
        let r = send(s.post("/ticket_articles", AGENT1).json(&note)).await;
        assert_eq!(r.0, 201, "{}", r.1);
        let article_id = r.1["id"].as_i64().unwrap();

        let mut agent = connect(&s, AGENT1, None).await.unwrap();
        let mut nicole = connect(&s, NICOLE, None).await.unwrap();

        let ctx = s.db.name;
        let tag = json!({"object": "Ticket", "o_id": id, "item": "urgent"});
        let article = format!("/ticket_articles/{article_id}");
        // each write, its status, and whether Nicole's tab hears of it (`Some(false)`: hears
        // nothing at all; `None`: not checked here); agents always hear
        for (step, request, status, customer_hears) in [
            // the article becomes internal: both hear (the customer's view loses it)
            (
                "made internal",
                s.put(&article, AGENT1).json(&json!({"internal": true})),
                200,
                Some(true),
            ),
            // a tag: agent-only information, the customer is not told
            (
                "tag added",
                s.post("/tags/add", AGENT1).json(&tag),
                201,
                Some(false),
            ),
            (
                "tag removed",
                s.delete("/tags/remove", AGENT1).json(&tag),
                200,
                None,
            ),
            // deleting the (now internal) note: agents hear, the customer never saw it
            ("deleted", s.delete(&article, AGENT1), 200, Some(false)),
        ] {
            let r = send(request).await;
            assert_eq!(r.0, status, "{ctx}: {step}: {}", r.1);
            assert!(
                hears(&mut agent, "ticket_changed", id).await,
                "{ctx}: {step}"
            );
            match customer_hears {
                Some(true) => assert!(
                    hears(&mut nicole, "ticket_changed", id).await,
                    "{ctx}: {step}"
                ),
                Some(false) => assert!(drain_tab(&mut nicole).await.is_empty(), "{ctx}: {step}"),
                None => {}
            }
        }
        s.finish().await;
    }
}
