//! Mentions written into articles (issue 16, Zammad's `Ticket::Article#check_mentions`), on
//! both databases: an agent's article with a link `<a data-mention-user-id="…">` subscribes the
//! mentioned agent to the ticket and tells them (the bell), through every way an article is
//! made (`POST /ticket_articles`, `POST /tickets`, `PUT /tickets/{id}`); a customer's article,
//! and ids of customers, of agents without access to the group or of nobody, mention no one.
//! An agent's e-mail and DeskHero note mention as the web app's reply does.

mod common;

use common::{ADMIN, AGENT1, AGENT2, NICOLE, TestServer, send};
use serde_json::{Value, json};

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
    for s in common::servers().await {
        let ctx = s.db.name;
        let bob = s.user_id(AGENT2).await; // read access to Users

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
    for s in common::servers().await {
        let ctx = s.db.name;
        let bob = s.user_id(AGENT2).await; // Users only
        let nicole = s.user_id(NICOLE).await;

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

/// A MIME message in HTML from `from` about `subject` (threaded onto the ticket by its hook).
fn html_mail(from: &str, subject: &str, html: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: support@tandem.test\r\nSubject: {subject}\r\n\
         Message-ID: <{}@mentions.test>\r\nDate: Tue, 1 Dec 2026 10:00:00 +0000\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body>{html}</body></html>\r\n",
        subject.len() * 7919 + html.len()
    )
    .into_bytes()
}

#[tokio::test]
async fn mentions_count_in_an_agents_email_and_deskhero_note_but_not_a_customers() {
    for s in common::servers().await {
        let ctx = s.db.name;
        let bob = s.user_id(AGENT2).await; // read access to Users
        let ticket = new_ticket(&s, "Users", "<p>first</p>").await;
        let number = send(s.get(&format!("/tickets/{ticket}"), AGENT1)).await.1["number"]
            .as_str()
            .unwrap()
            .to_string();
        let hook = format!("Printer [Ticket#{number}]");
        let receive = |message: Vec<u8>| {
            let s = &s;
            async move {
                let r = common::inbound(s, message).await;
                assert_eq!(r["ticket_id"], ticket, "{ctx}: threaded: {r}");
            }
        };

        // a customer's e-mail with a mention link: stored, mentions nobody
        receive(html_mail(
            NICOLE,
            &hook,
            &format!("<p>{}</p>", mention(bob, "Bob")),
        ))
        .await;
        assert!(
            followers(&s, ticket).await.is_empty(),
            "{ctx}: customer mail"
        );

        // an agent of the group answering by e-mail mentions as in the web app
        receive(html_mail(
            AGENT1,
            &format!("Re: {hook}"),
            &format!("<p>{} have a look</p>", mention(bob, "Bob")),
        ))
        .await;
        assert_eq!(followers(&s, ticket).await, vec![bob], "{ctx}: agent mail");
        assert_eq!(mention_bell(&s, AGENT2, ticket).await.len(), 1, "{ctx}");

        // DeskHero: an agent's private note mentions; a customer's inbound reply does not
        let other = new_ticket(&s, "Users", "<p>first</p>").await;
        let url = format!("{}/api/acme/v1/ticket_conversations/{other}", s.base);
        let post = |kind: &str, html: String| {
            let body = json!([{"type": kind, "sys_content_rich": {"html": html}}]);
            let s = &s;
            let url = url.clone();
            async move { send(s.as_user(s.client.post(url), AGENT1).json(&body)).await }
        };
        let r = post("REPLY_INBOUND", format!("<p>{}</p>", mention(bob, "Bob"))).await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        assert!(followers(&s, other).await.is_empty(), "{ctx}: inbound");
        let r = post("NOTE_PRIVATE", format!("<p>{}</p>", mention(bob, "Bob"))).await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        assert_eq!(
            followers(&s, other).await,
            vec![bob],
            "{ctx}: DeskHero note"
        );
        assert_eq!(mention_bell(&s, AGENT2, other).await.len(), 1, "{ctx}");
        s.finish().await;
    }
}
