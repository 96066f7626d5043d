//! Notifications on both databases: a customer's new ticket tells the group's agents (bell and
//! e-mail through a real SMTP server) and gets the group's acknowledgement; an assignment, a
//! customer reply on an owned ticket and a mention tell the one concerned; preferences switch
//! e-mail off; the bell's list, mark-read and delete are per user.

mod common;

use std::time::Duration;

use common::{
    ADMIN, AGENT1, AGENT2, NICOLE, TestServer, assert_status, send, servers, servers_with_smtp,
    support_address,
};
use mail_parser::MessageParser;
use serde_json::{Value, json};

/// How many notifications `login`'s bell holds.
async fn rings(s: &TestServer, login: &str) -> usize {
    bell(s, login).await.len()
}

async fn bell(s: &TestServer, login: &str) -> Vec<Value> {
    let r = send(s.get("/online_notifications", login)).await;
    assert_eq!(r.0, 200, "{}", r.1);
    r.1.as_array().unwrap().clone()
}

fn subjects(messages: &[Vec<u8>]) -> Vec<(String, String)> {
    messages
        .iter()
        .map(|raw| {
            let m = MessageParser::default().parse(raw).unwrap();
            (
                m.header_raw("X-RcptTo")
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
                m.subject().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn agents_hear_of_what_concerns_them_in_the_bell_and_by_email() {
    for (s, smtp) in servers_with_smtp().await {
        // group Users sends from an address and acknowledges new tickets
        let (_, users) = support_address(&s).await;
        let r = send(s.put(&format!("/groups/{users}"), ADMIN).json(&json!({
            "acknowledgement": "Hello #{ticket.customer.firstname}, we received your request #{ticket.number}. #{unknown}"
        })))
        .await;
        assert_eq!(r.0, 200, "{}", r.1);
        assert!(
            r.1["acknowledgement"]
                .as_str()
                .unwrap()
                .starts_with("Hello")
        );

        // agent1 wants no e-mail for new tickets (the bell still rings)
        let agent1 = s.user_id(AGENT1).await;
        let r = send(s.put(&format!("/users/{agent1}"), ADMIN).json(&json!({
            "preferences": {"notification_config": {"matrix": {"create": {"channel": {"email": false, "online": true}}}}}
        })))
        .await;
        assert_eq!(r.0, 200, "{}", r.1);

        // the customer opens a ticket on the web
        let r = send(s.post("/tickets", NICOLE).json(&json!({
            "title": "Cannot print", "group": "Users", "article": {"body": "The printer says no."}
        })))
        .await;
        assert_eq!(r.0, 201, "{}", r.1);
        let ticket_id = r.1["id"].as_i64().unwrap();
        let number = r.1["number"].as_str().unwrap().to_string();

        for login in [AGENT1, AGENT2] {
            let b = bell(&s, login).await;
            assert_eq!(b.len(), 1, "{login}: {b:?}");
            assert_eq!(b[0]["o_id"], ticket_id);
            assert_eq!(b[0]["type"], "create");
            assert_eq!(b[0]["seen"], false);
            assert_eq!(b[0]["ticket_title"], "Cannot print");
        }
        assert!(
            bell(&s, NICOLE).await.is_empty(),
            "the customer gets no bell"
        );

        // mail: agent2 and the admin hear of it, agent1 does not; Nicole gets the acknowledgement
        smtp.wait_for(3).await;
        // a little longer, so that a mail to agent1 would have arrived too
        tokio::time::sleep(Duration::from_millis(500)).await;
        let got_all = subjects(&smtp.messages());
        let new_ticket = format!("[Ticket#{number}] New ticket: Cannot print");
        assert!(
            got_all.contains(&("agent2@tandem.test".into(), new_ticket.clone())),
            "{got_all:?}"
        );
        assert!(
            !got_all.iter().any(|(to, _)| to == "agent1@tandem.test"),
            "{got_all:?}"
        );
        let ack = got_all
            .iter()
            .find(|(to, _)| to == "nicole@customer.test")
            .expect("acknowledgement");
        assert_eq!(
            ack.1,
            format!("Thanks for your inquiry (Cannot print) [Ticket#{number}]")
        );
        let articles = s.articles(ticket_id, AGENT1).await;
        let ack_article = articles
            .iter()
            .find(|a| a["sender"] == "System")
            .expect("ack article");
        assert_eq!(
            ack_article["body"],
            format!("Hello Nicole, we received your request {number}. -")
        );
        assert_eq!(ack_article["type"], "email");

        // the admin gives it to agent1: agent1 hears of it
        let r = send(
            s.put(&format!("/tickets/{ticket_id}"), ADMIN)
                .json(&json!({"owner_id": agent1})),
        )
        .await;
        assert_eq!(r.0, 200, "{}", r.1);
        let b = bell(&s, AGENT1).await;
        assert_eq!(b[0]["reason"], "assign", "{b:?}");
        assert_eq!(b[0]["type"], "update");

        // the customer answers: the owner hears of it, agent2 (not owner, not following) not
        let before_agent2 = bell(&s, AGENT2).await.len();
        let r = send(
            s.post("/ticket_articles", NICOLE)
                .json(&json!({"ticket_id": ticket_id, "body": "Still broken."})),
        )
        .await;
        assert_eq!(r.0, 201, "{}", r.1);
        let b = bell(&s, AGENT1).await;
        assert_eq!(b[0]["reason"], "update", "{b:?}");
        assert_eq!(bell(&s, AGENT2).await.len(), before_agent2);
        let mails = smtp.wait_for(got_all.len() + 2).await;
        assert!(
            subjects(&mails).contains(&(
                "agent1@tandem.test".into(),
                format!("[Ticket#{number}] Customer reply: Cannot print")
            )),
            "{:?}",
            subjects(&mails)
        );

        // agent2 mentions agent1
        let r = send(s.post("/mentions", AGENT2).json(
            &json!({"mentionable_type": "Ticket", "mentionable_id": ticket_id, "user_id": agent1}),
        ))
        .await;
        assert_eq!(r.0, 201, "{}", r.1);
        let b = bell(&s, AGENT1).await;
        assert_eq!(b[0]["reason"], "mention", "{b:?}");

        // marking: one, then all; others' notifications are not reachable
        let first = b[0]["id"].as_i64().unwrap();
        let r = send(
            s.put(&format!("/online_notifications/{first}"), AGENT1)
                .json(&json!({"seen": true})),
        )
        .await;
        assert_eq!(r.0, 200, "{}", r.1);
        assert_eq!(bell(&s, AGENT1).await[0]["seen"], true);
        assert_status(
            s.put(&format!("/online_notifications/{first}"), AGENT2)
                .json(&json!({"seen": true})),
            404,
            "",
        )
        .await;
        assert_status(
            s.delete(&format!("/online_notifications/{first}"), AGENT2),
            404,
            "",
        )
        .await;
        let r = send(s.post("/online_notifications/mark_all_as_read", AGENT1)).await;
        assert_eq!(r.0, 200);
        assert!(bell(&s, AGENT1).await.iter().all(|n| n["seen"] == true));
        assert_status(
            s.delete(&format!("/online_notifications/{first}"), AGENT1),
            200,
            "",
        )
        .await;
        assert!(!bell(&s, AGENT1).await.iter().any(|n| n["id"] == first));
        s.finish().await;
    }
}

/// Preferences with the bell for new tickets on or off (e-mail on).
fn bell_for_new_tickets(online: bool) -> Value {
    json!({"notification_config": {"matrix": {"create": {"channel": {"email": true, "online": online}}}}})
}

/// Who hears of a new ticket is read once and kept until an account, group or setting
/// changes (the desk's audience cache): each change made after a ticket counts for the next
/// one, and whoever opens a ticket is left out of the kept audience.
#[tokio::test]
async fn who_hears_of_a_new_ticket_follows_changes_to_agents_and_preferences() {
    for s in servers().await {
        let ctx = s.db.name;
        let open = |login: &'static str| {
            let s = &s;
            async move {
                let r = send(s.post("/tickets", login).json(&json!({
                    "title": "Toner", "group": "Users", "customer": NICOLE,
                    "article": {"body": "Empty again.", "internal": true}
                })))
                .await;
                assert_eq!(r.0, 201, "{ctx}: {}", r.1);
            }
        };
        let counts = || async { (rings(&s, AGENT1).await, rings(&s, AGENT2).await) };
        let agent2 = s.user_id(AGENT2).await;
        let change_agent2 = |body: Value| {
            let s = &s;
            async move {
                let r = send(s.put(&format!("/users/{agent2}"), ADMIN).json(&body)).await;
                assert_eq!(r.0, 200, "{ctx}: {}", r.1);
            }
        };

        // agent1 opens a ticket: agent2 hears of it, agent1 does not
        let (one, two) = counts().await;
        open(AGENT1).await;
        assert_eq!(counts().await, (one, two + 1), "{ctx}: first ticket");
        // the admin opens one with the audience kept: now agent1 hears of it too
        open(ADMIN).await;
        assert_eq!(counts().await, (one + 1, two + 2), "{ctx}: second ticket");

        // agent2 switches the bell off for new tickets
        change_agent2(json!({"preferences": bell_for_new_tickets(false)})).await;
        open(AGENT1).await;
        assert_eq!(counts().await, (one + 1, two + 2), "{ctx}: bell off");

        // on again, but agent2 leaves the group
        let access = send(s.get(&format!("/users/{agent2}"), ADMIN)).await.1["group_ids"].clone();
        change_agent2(json!({"preferences": bell_for_new_tickets(true), "group_ids": {}})).await;
        open(AGENT1).await;
        assert_eq!(
            counts().await,
            (one + 1, two + 2),
            "{ctx}: out of the group"
        );

        // back in the group: agent2 hears of the next one
        change_agent2(json!({"group_ids": access})).await;
        open(AGENT1).await;
        assert_eq!(
            counts().await,
            (one + 1, two + 3),
            "{ctx}: back in the group"
        );
        s.finish().await;
    }
}
