//! `/ws/live` (SQLite and PostgreSQL): each tab hears about exactly the tickets it may read,
//! customers never about internal notes, and agents see who else views a ticket.

mod common;

use std::time::Duration;

use common::live::basic_auth;
use common::*;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(s: &TestServer, login: &str, origin: Option<&str>) -> Result<Socket, u16> {
    let mut request = format!("{}/ws/live", s.base.replace("http://", "ws://"))
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("authorization", basic_auth(login).parse().unwrap());
    if let Some(o) = origin {
        request.headers_mut().insert("origin", o.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((mut ws, _)) => {
            assert_eq!(next(&mut ws).await.unwrap()["t"], "hello");
            Ok(ws)
        }
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => Err(r.status().as_u16()),
        Err(other) => panic!("websocket: {other}"),
    }
}

/// The next JSON message, or `None` when nothing arrives within a short while.
async fn next(ws: &mut Socket) -> Option<Value> {
    loop {
        match tokio::time::timeout(Duration::from_millis(700), ws.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return serde_json::from_str(&text).ok(),
            Ok(Some(Ok(_))) => continue,
            _ => return None,
        }
    }
}

/// Everything that arrives until the socket is quiet.
async fn drain(ws: &mut Socket) -> Vec<Value> {
    let mut out = Vec::new();
    while let Some(v) = next(ws).await {
        out.push(v);
    }
    out
}

async fn send_json(ws: &mut Socket, value: Value) {
    ws.send(Message::Text(value.to_string().into()))
        .await
        .unwrap();
}

fn about(messages: &[Value], kind: &str, ticket: i64) -> bool {
    messages
        .iter()
        .any(|m| m["t"] == kind && m["ticket_id"] == ticket)
}

#[tokio::test]
async fn tabs_hear_only_about_tickets_they_may_read() {
    for s in servers().await {
        let mut agent = connect(&s, AGENT1, None).await.unwrap();
        let mut nicole = connect(&s, NICOLE, None).await.unwrap();
        let mut lee = connect(&s, LEE, None).await.unwrap();

        // a ticket of Nicole's (Acme, shared organisation)
        let body = json!({"title": "Live", "group": "Users", "customer": SAM,
                          "article": {"body": "first", "type": "phone"}});
        let r = send(s.post("/tickets", AGENT1).json(&body)).await;
        assert_eq!(r.0, 201, "{}", r.1);
        let id = r.1["id"].as_i64().unwrap();
        assert!(about(&drain(&mut agent).await, "ticket_changed", id));
        assert!(about(&drain(&mut nicole).await, "ticket_changed", id)); // Sam's colleague
        assert!(drain(&mut lee).await.is_empty(), "another organisation");

        // an internal note: agents hear of it, customers are not even told something happened
        let note =
            json!({"ticket_id": id, "body": "internal only", "type": "note", "internal": true});
        assert_eq!(
            send(s.post("/ticket_articles", AGENT1).json(&note)).await.0,
            201
        );
        assert!(about(&drain(&mut agent).await, "ticket_changed", id));
        let heard = drain(&mut nicole).await;
        assert!(heard.is_empty(), "{}: {heard:?}", s.db.name);
        // nothing but ids travels on this socket
        let public =
            json!({"article": {"body": "public reply", "type": "phone", "internal": false}});
        assert_eq!(
            send(s.put(&format!("/tickets/{id}"), AGENT1).json(&public))
                .await
                .0,
            200
        );
        let heard = drain(&mut nicole).await;
        assert!(about(&heard, "ticket_changed", id));
        assert!(!serde_json::to_string(&heard).unwrap().contains("reply"));

        // deletion reaches everyone who could see it
        assert_eq!(
            send(s.delete(&format!("/tickets/{id}"), ADMIN)).await.0,
            200
        );
        assert!(about(&drain(&mut nicole).await, "ticket_deleted", id));
        assert!(about(&drain(&mut agent).await, "ticket_deleted", id));
        assert!(drain(&mut lee).await.is_empty());
        s.finish().await;
    }
}

#[tokio::test]
async fn agents_see_who_views_and_types_customers_are_neither_shown_nor_told() {
    for s in servers().await {
        let body = json!({"title": "Viewers", "group": "Users", "customer": NICOLE,
                          "article": {"body": "first", "type": "phone"}});
        let id = send(s.post("/tickets", AGENT1).json(&body)).await.1["id"]
            .as_i64()
            .unwrap();
        let mut anna = connect(&s, AGENT1, None).await.unwrap();
        let mut ada = connect(&s, ADMIN, None).await.unwrap();
        let mut nicole = connect(&s, NICOLE, None).await.unwrap();
        send_json(
            &mut anna,
            json!({"t": "view", "ticket_id": id, "typing": false}),
        )
        .await;
        send_json(
            &mut nicole,
            json!({"t": "view", "ticket_id": id, "typing": false}),
        )
        .await;
        send_json(
            &mut ada,
            json!({"t": "view", "ticket_id": id, "typing": true}),
        )
        .await;
        let heard = drain(&mut anna).await;
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
        let told = drain(&mut nicole).await;
        assert!(told.iter().all(|m| m["t"] != "viewers"), "{told:?}");

        // a tab that goes away leaves the row
        drop(ada);
        let heard = drain(&mut anna).await;
        let last = heard.iter().rev().find(|m| m["t"] == "viewers").unwrap();
        assert_eq!(last["viewers"].as_array().unwrap().len(), 1, "{heard:?}");
        s.finish().await;
    }
}

#[tokio::test]
async fn the_socket_needs_a_user_and_our_origin() {
    for s in servers().await {
        let mut request = format!("{}/ws/live", s.base.replace("http://", "ws://"))
            .into_client_request()
            .unwrap();
        request.headers_mut().remove("authorization");
        match tokio_tungstenite::connect_async(request).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(r)) => {
                // Zammad's answer to a request without credentials
                assert!(matches!(r.status().as_u16(), 401 | 403), "{}", r.status())
            }
            other => panic!("anonymous socket accepted: {:?}", other.is_ok()),
        }
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
        let body = json!({"title": "Before", "group": "Users", "customer": NICOLE,
                          "article": {"body": "first", "type": "phone"}});
        let id = send(s.post("/tickets", AGENT1).json(&body)).await.1["id"]
            .as_i64()
            .unwrap();
        assert!(about(&drain(&mut bob).await, "ticket_changed", id));

        // the admin takes Bob's group away
        let bob_id = send(s.get("/users/me", AGENT2)).await.1["id"]
            .as_i64()
            .unwrap();
        let revoked = send(
            s.put(&format!("/users/{bob_id}"), ADMIN)
                .json(&json!({"group_ids": {}})),
        )
        .await;
        assert_eq!(revoked.0, 200, "{}", revoked.1);
        tokio::time::sleep(server::tab_socket::PERMISSIONS_TTL + Duration::from_millis(500)).await;
        let body = json!({"title": "After", "group": "Users", "customer": NICOLE,
                          "article": {"body": "first", "type": "phone"}});
        let later = send(s.post("/tickets", AGENT1).json(&body)).await.1["id"]
            .as_i64()
            .unwrap();
        let heard = drain(&mut bob).await;
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
        let body = json!({"title": "Live articles", "group": "Users", "customer": NICOLE,
                          "article": {"body": "first", "type": "phone"}});
        let r = send(s.post("/tickets", AGENT1).json(&body)).await;
        assert_eq!(r.0, 201, "{}", r.1);
        let id = r.1["id"].as_i64().unwrap();
        let note = json!({"ticket_id": id, "body": "a note", "type": "note", "internal": false});
        let r = send(s.post("/ticket_articles", AGENT1).json(&note)).await;
        assert_eq!(r.0, 201, "{}", r.1);
        let article_id = r.1["id"].as_i64().unwrap();

        let mut agent = connect(&s, AGENT1, None).await.unwrap();
        let mut nicole = connect(&s, NICOLE, None).await.unwrap();

        // the article becomes internal: both hear (the customer's view loses it)
        let r = send(
            s.put(&format!("/ticket_articles/{article_id}"), AGENT1)
                .json(&json!({"internal": true})),
        )
        .await;
        assert_eq!(r.0, 200, "{}", r.1);
        assert!(
            about(&drain(&mut agent).await, "ticket_changed", id),
            "{}",
            s.db.name
        );
        assert!(
            about(&drain(&mut nicole).await, "ticket_changed", id),
            "{}",
            s.db.name
        );

        // a tag: agent-only information, the customer is not told
        let r = send(
            s.post("/tags/add", AGENT1)
                .json(&json!({"object": "Ticket", "o_id": id, "item": "urgent"})),
        )
        .await;
        assert_eq!(r.0, 201, "{}", r.1);
        assert!(
            about(&drain(&mut agent).await, "ticket_changed", id),
            "{}",
            s.db.name
        );
        assert!(drain(&mut nicole).await.is_empty(), "{}", s.db.name);
        let r = send(
            s.delete("/tags/remove", AGENT1)
                .json(&json!({"object": "Ticket", "o_id": id, "item": "urgent"})),
        )
        .await;
        assert_eq!(r.0, 200, "{}", r.1);
        assert!(
            about(&drain(&mut agent).await, "ticket_changed", id),
            "{}",
            s.db.name
        );

        // deleting the (now internal) note: agents hear, the customer never saw it
        let r = send(s.delete(&format!("/ticket_articles/{article_id}"), AGENT1)).await;
        assert_eq!(r.0, 200, "{}", r.1);
        assert!(
            about(&drain(&mut agent).await, "ticket_changed", id),
            "{}",
            s.db.name
        );
        assert!(drain(&mut nicole).await.is_empty(), "{}", s.db.name);
        s.finish().await;
    }
}
