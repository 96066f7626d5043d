//! Mentions written into articles (issue 16, Zammad's `Ticket::Article#check_mentions`), on
//! both databases: an agent's article with a link `<a data-mention-user-id="…">` subscribes the
//! mentioned agent to the ticket and tells them (the bell), through every way an article is
//! made (`POST /ticket_articles`, `POST /tickets`, `PUT /tickets/{id}`); a customer's article,
//! and ids of customers, of agents without access to the group or of nobody, mention no one.

mod common;

use common::{ADMIN, AGENT1, AGENT2, NICOLE, TestServer, send};
use serde_json::{Value, json};

async fn user_id(s: &TestServer, login: &str) -> i64 {
    send(s.get("/users/me", login)).await.1["id"]
        .as_i64()
        .unwrap()
}

/// The composer's mention link (Zammad's attributes).
fn mention(id: i64, name: &str) -> String {
    format!(
        "<a data-mention-user-id=\"{id}\" rel=\"nofollow noreferrer noopener\" href=\"/users/{id}\" target=\"_blank\">{name}</a>"
    )
}

/// The users following the ticket (`GET /mentions`, as an admin).
async fn followers(s: &TestServer, ticket_id: i64) -> Vec<i64> {
    let r = send(s.get(
        &format!("/mentions?mentionable_type=Ticket&mentionable_id={ticket_id}"),
        ADMIN,
    ))
    .await;
    assert_eq!(r.0, 200, "{}", r.1);
    r.1["mentions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user_id"].as_i64().unwrap())
        .collect()
}

/// `login`'s online notifications of a mention on the ticket.
async fn mention_bell(s: &TestServer, login: &str, ticket_id: i64) -> Vec<Value> {
    let r = send(s.get("/online_notifications", login)).await;
    assert_eq!(r.0, 200, "{}", r.1);
    r.1.as_array()
        .unwrap()
        .iter()
        .filter(|n| n["reason"] == "mention" && n["o_id"] == ticket_id)
        .cloned()
        .collect()
}

async fn new_ticket(s: &TestServer, group: &str, body: &str) -> i64 {
    let r = send(s.post("/tickets", AGENT1).json(&json!({
        "title": format!("Mentions in {group}"), "group": group, "customer": NICOLE,
        "article": {"body": body, "content_type": "text/html", "type": "note", "internal": true}
    })))
    .await;
    assert_eq!(r.0, 201, "{}", r.1);
    r.1["id"].as_i64().unwrap()
}

async fn add_article(s: &TestServer, login: &str, ticket_id: i64, body: &str) -> Value {
    let r = send(s.post("/ticket_articles", login).json(&json!({
        "ticket_id": ticket_id, "body": body, "content_type": "text/html", "type": "note",
        "internal": login != NICOLE
    })))
    .await;
    assert_eq!(r.0, 201, "{login}: {}", r.1);
    r.1
}

#[tokio::test]
async fn an_agents_mention_link_subscribes_and_notifies_the_mentioned_agent() {
    for db in common::support::backends().await {
        let s = common::start(db, 50 * 1024 * 1024).await;
        let ctx = s.db.name;
        let bob = user_id(&s, AGENT2).await; // read access to Users

        // POST /ticket_articles: the link survives sanitising and mentions Bob, once
        let ticket = new_ticket(&s, "Users", "<p>first</p>").await;
        assert!(followers(&s, ticket).await.is_empty(), "{ctx}");
        let body = format!(
            "<p>{} please look, {} again</p>",
            mention(bob, "Bob Agent"),
            mention(bob, "Bob")
        );
        let article = add_article(&s, AGENT1, ticket, &body).await;
        let stored = article["body"].as_str().unwrap();
        assert!(
            stored.contains(&format!("data-mention-user-id=\"{bob}\"")),
            "{ctx}: {stored}"
        );
        assert_eq!(followers(&s, ticket).await, vec![bob], "{ctx}");
        let bell = mention_bell(&s, AGENT2, ticket).await;
        assert_eq!(
            bell.len(),
            1,
            "{ctx}: one notification per article: {bell:?}"
        );
        assert_eq!(bell[0]["seen"], false, "{ctx}");
        // the author is not told of their own article
        assert!(mention_bell(&s, AGENT1, ticket).await.is_empty(), "{ctx}");

        // POST /tickets with the article
        let ticket = new_ticket(&s, "Users", &format!("<p>{}</p>", mention(bob, "Bob"))).await;
        assert_eq!(followers(&s, ticket).await, vec![bob], "{ctx}: new ticket");
        assert_eq!(mention_bell(&s, AGENT2, ticket).await.len(), 1, "{ctx}");

        // PUT /tickets/{id} with an article (the web app's Send goes this way)
        let ticket = new_ticket(&s, "Users", "<p>first</p>").await;
        let r = send(s.put(&format!("/tickets/{ticket}"), AGENT1).json(&json!({
            "article": {"body": format!("<p>cc {}</p>", mention(bob, "Bob")),
                        "content_type": "text/html", "type": "note", "internal": true}
        })))
        .await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        assert_eq!(followers(&s, ticket).await, vec![bob], "{ctx}: update");
        assert_eq!(mention_bell(&s, AGENT2, ticket).await.len(), 1, "{ctx}");
        s.finish().await;
    }
}

#[tokio::test]
async fn customers_and_agents_without_access_are_never_mentioned() {
    for db in common::support::backends().await {
        let s = common::start(db, 50 * 1024 * 1024).await;
        let ctx = s.db.name;
        let bob = user_id(&s, AGENT2).await; // Users only
        let nicole = user_id(&s, NICOLE).await;

        // a customer's article with a mention link mentions nobody (and is stored)
        let ticket = new_ticket(&s, "Users", "<p>first</p>").await;
        add_article(
            &s,
            NICOLE,
            ticket,
            &format!("<p>{}</p>", mention(bob, "Bob")),
        )
        .await;
        assert!(followers(&s, ticket).await.is_empty(), "{ctx}: customer");
        assert!(mention_bell(&s, AGENT2, ticket).await.is_empty(), "{ctx}");

        // an agent's article naming a customer, an unknown id and a user id that is no number
        let body = format!(
            "<p>{} {} <a data-mention-user-id=\"{bob}x\" href=\"/users/{bob}\">Bob?</a></p>",
            mention(nicole, "Nicole"),
            mention(987_654, "Nobody")
        );
        add_article(&s, AGENT1, ticket, &body).await;
        assert!(
            followers(&s, ticket).await.is_empty(),
            "{ctx}: forbidden ids"
        );
        assert!(mention_bell(&s, NICOLE, ticket).await.is_empty(), "{ctx}");
        assert!(mention_bell(&s, AGENT2, ticket).await.is_empty(), "{ctx}");

        // Bob may not see Sales tickets: mentioning him there does nothing
        let sales = new_ticket(&s, "Sales", &format!("<p>{}</p>", mention(bob, "Bob"))).await;
        add_article(
            &s,
            AGENT1,
            sales,
            &format!("<p>{}</p>", mention(bob, "Bob")),
        )
        .await;
        assert!(
            followers(&s, sales).await.is_empty(),
            "{ctx}: no group access"
        );
        assert!(mention_bell(&s, AGENT2, sales).await.is_empty(), "{ctx}");
        s.finish().await;
    }
}
