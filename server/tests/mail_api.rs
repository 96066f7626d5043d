//! E-mail end to end on both databases: sender addresses, an agent's e-mail reply sent through
//! a real SMTP server (aiosmtpd) with the right headers and files, the customer's answer and a
//! bounce received back into the ticket, the inbound rules (new customers, follow-ups on closed
//! tickets, automatic mail, loops, failed mail), delivery failures, and `tandem mail deliver`.

mod common;

use std::time::Duration;

use base64::Engine;
use common::support::mail_corpus as corpus;
use common::{
    ADMIN, AGENT1, NICOLE, TestServer, actor, assert_refused, assert_status, eventually, inbound,
    last_article_id, send, servers_with_smtp, support_address,
};
use domain::desk::mail::Received;
use mail_parser::{MessageParser, MimeHeaders};
use serde_json::{Value, json};

const PNG: &str = corpus::PNG_1X1_BASE64;

/// Receives a plain-text message from `from` to support@example.com.
async fn inbound_plain(s: &TestServer, from: &str, subject: &str, id: &str, body: &str) -> Value {
    inbound(s, corpus::plain(from, SUPPORT, subject, id, body)).await
}

/// One server per backend, its support address set up.
async fn servers_with_address() -> Vec<TestServer> {
    let servers = common::servers().await;
    for s in &servers {
        support_address(s).await;
    }
    servers
}

/// An article's `preferences.delivery_status_message`.
fn delivery_message(article: &Value) -> &str {
    article["preferences"]["delivery_status_message"]
        .as_str()
        .unwrap_or_else(|| panic!("no delivery status message: {article}"))
}

/// Message `i` of one sender flooding the helpdesk (Message-ID `{tag}{i}@example.org`).
fn flood(tag: &str, i: usize) -> Vec<u8> {
    corpus::plain(
        "flood@example.org",
        SUPPORT,
        &format!("n{i}"),
        &format!("{tag}{i}@example.org"),
        "x",
    )
}

/// The whole message of article `id` (`/ticket_article_plain`), as `login` downloads it.
async fn raw_message(s: &TestServer, id: i64, login: &str) -> reqwest::Response {
    s.fetch(s.url(&format!("/ticket_article_plain/{id}")), login)
        .await
}

/// A customer's address and ours, as the messages below use them.
const CARLA: &str = "carla@example.org";
const SUPPORT: &str = "support@example.com";

/// Receives `message` and returns the article it became.
async fn received_article(s: &TestServer, message: Vec<u8>) -> Value {
    let r = inbound(s, message).await;
    article(s, r["article_id"].as_i64().unwrap()).await
}

async fn article(s: &TestServer, id: i64) -> Value {
    send(s.get(&format!("/ticket_articles/{id}"), AGENT1))
        .await
        .1
}

async fn ticket(s: &TestServer, id: i64) -> Value {
    send(s.get(&format!("/tickets/{id}?expand=true"), AGENT1))
        .await
        .1
}

/// Polls an article until its `preferences.delivery_status` is set.
async fn delivery_status(s: &TestServer, id: i64) -> Value {
    for _ in 0..200 {
        let a = article(s, id).await;
        if !a["preferences"]["delivery_status"].is_null() {
            return a;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{}: article {id} got no delivery status", s.db.name);
}

fn header<'a>(message: &'a mail_parser::Message<'a>, name: &'static str) -> &'a str {
    message.header_raw(name).unwrap_or_default().trim()
}

#[tokio::test]
async fn sender_addresses_are_admin_records_that_groups_point_at() {
    for s in common::servers().await {
        let (address, group) = support_address(&s).await;
        assert_eq!(
            send(s.get("/email_addresses", ADMIN)).await.1[0]["name"],
            "Example Support"
        );
        for (request, status, message, ctx) in [
            (
                s.get("/email_addresses", AGENT1),
                403,
                "Not authorized",
                "agents do not manage addresses",
            ),
            (
                s.post("/email_addresses", ADMIN)
                    .json(&json!({"name": "Again", "email": SUPPORT})),
                422,
                "Email address 'support@example.com' is already used for another email address.",
                "taken",
            ),
            (
                s.post("/email_addresses", ADMIN)
                    .json(&json!({"name": "Bad", "email": "no address"})),
                422,
                "Invalid email 'no address'",
                "invalid",
            ),
            (
                s.put(&format!("/groups/{group}"), ADMIN)
                    .json(&json!({"email_address_id": 999999})),
                422,
                "Invalid value for param 'email_address_id': 999999",
                "unknown address",
            ),
        ] {
            assert_refused(request, status, message, ctx).await;
        }
        // deleting the address leaves the group without one
        let r = send(s.delete(&format!("/email_addresses/{address}"), ADMIN)).await;
        assert_eq!(r.0, 200, "{}", r.1);
        let g = send(s.get(&format!("/groups/{group}"), ADMIN)).await.1;
        assert!(g["email_address_id"].is_null(), "{g}");
        s.finish().await;
    }
}

#[tokio::test]
async fn with_sending_off_an_email_article_says_so() {
    for s in servers_with_address().await {
        let r = send(s.post("/tickets", AGENT1).json(&json!({
            "title": "Offline", "group": "Users", "customer": NICOLE,
            "article": {"type": "email", "to": NICOLE, "body": "Hello"}
        })))
        .await;
        assert_eq!(r.0, 201, "{}", r.1);
        let id = r.1["article_ids"][0].as_i64().unwrap();
        let a = article(&s, id).await;
        assert_eq!(a["preferences"]["delivery_status"], "fail", "{a}");
        assert!(delivery_message(&a).contains("TANDEM_SMTP_URL"));
        assert!(a["message_id"].as_str().unwrap().starts_with('<'), "{a}");
        s.finish().await;
    }
}

#[tokio::test]
async fn an_email_reply_reaches_the_customer_and_the_answer_reopens_the_ticket() {
    for (s, smtp) in servers_with_smtp().await {
        support_address(&s).await;
        // the customer writes to the support address: a new ticket
        let first = inbound_plain(
            &s,
            "Nicole Braun <nicole@customer.test>",
            "Printer on fire",
            "c1@customer.test",
            "It smokes.",
        )
        .await;
        assert_eq!(first["result"], "article", "{first}");
        assert_eq!(first["new_ticket"], true);
        let ticket_id = first["ticket_id"].as_i64().unwrap();
        let t = ticket(&s, ticket_id).await;
        assert_eq!(t["customer"], NICOLE, "{t}");
        assert_eq!(t["group"], "Users");
        assert_eq!(t["title"], "Printer on fire");
        let number = t["number"].as_str().unwrap().to_string();

        // the agent answers by e-mail with an inline image and an attachment
        let pdf = base64::engine::general_purpose::STANDARD.encode(corpus::PDF_BYTES);
        let r = send(s.put(&format!("/tickets/{ticket_id}"), AGENT1).json(&json!({
            "article": {
                "type": "email", "to": "Nicole Braun <nicole@customer.test>", "subject": "Printer on fire",
                "content_type": "text/html",
                "body": format!("<p>Please unplug it.</p><p><img src=\"data:image/png;base64,{PNG}\"></p>"),
                "attachments": [{"filename": "manual.pdf", "data": pdf, "mime-type": "application/pdf"}]
            }
        })))
        .await;
        assert_eq!(r.0, 200, "{}", r.1);
        let reply_id = last_article_id(&r.1);

        let raw = smtp.wait_for_recipient("nicole@customer.test").await;
        let message = MessageParser::default().parse(&raw).unwrap();
        assert_eq!(header(&message, "X-RcptTo"), "nicole@customer.test");
        let from = message.from().unwrap().first().unwrap();
        assert_eq!(from.address().unwrap(), SUPPORT);
        assert_eq!(from.name().unwrap(), "Anna Agent via Example Support");
        assert_eq!(
            message.subject().unwrap(),
            format!("RE: Printer on fire [Ticket#{number}]")
        );
        assert_eq!(message.in_reply_to().as_text(), Some("c1@customer.test"));
        assert!(message.body_text(0).unwrap().contains("Please unplug it."));
        let html = message.body_html(0).unwrap().to_string();
        let image = message
            .attachments()
            .find(|p| p.content_id().is_some())
            .expect("inline image part");
        assert!(
            html.contains(&format!("cid:{}", image.content_id().unwrap())),
            "{html}"
        );
        let manual = message
            .attachments()
            .find(|p| p.attachment_name() == Some("manual.pdf"))
            .expect("attachment");
        assert_eq!(manual.contents(), corpus::PDF_BYTES);

        let sent = delivery_status(&s, reply_id).await;
        assert_eq!(sent["preferences"]["delivery_status"], "success", "{sent}");
        let message_id = sent["message_id"].as_str().unwrap().to_string();
        assert_eq!(format!("<{}>", message.message_id().unwrap()), message_id);
        assert_eq!(
            sent["from"],
            "Anna Agent via Example Support <support@example.com>"
        );

        // the whole message as sent, for agents
        let plain = raw_message(&s, reply_id, AGENT1).await;
        assert_eq!(plain.status(), 200);
        assert_eq!(plain.headers()["content-type"], "message/rfc822");
        let text = plain.text().await.unwrap();
        assert!(text.contains(&message_id), "{text}");

        // closed; the customer's answer (threaded by In-Reply-To only) reopens it
        s.set_state(ticket_id, "closed").await;
        let answer = inbound(
            &s,
            corpus::reply(
                "nicole@customer.test",
                SUPPORT,
                "no hook here",
                "c2@customer.test",
                &message_id,
                &format!("c1@customer.test {message_id}"),
                "It still smokes.",
            ),
        )
        .await;
        assert_eq!(answer["result"], "article", "{answer}");
        assert_eq!(answer["ticket_id"], ticket_id);
        assert_eq!(answer["new_ticket"], false);
        assert_eq!(ticket(&s, ticket_id).await["state"], "open");
        let stored = article(&s, answer["article_id"].as_i64().unwrap()).await;
        assert_eq!(stored["sender"], "Customer");
        assert_eq!(stored["type"], "email");
        assert_eq!(stored["in_reply_to"], message_id);

        // the ticket hook alone threads too
        let hooked = inbound_plain(
            &s,
            "nicole@customer.test",
            &format!("Another thing [Ticket#{number}]"),
            "c3@customer.test",
            "One more.",
        )
        .await;
        assert_eq!(hooked["ticket_id"], ticket_id, "{hooked}");

        // a bounce of our reply is noted on it, no ticket is made
        let tickets_before = send(s.get("/tickets", AGENT1))
            .await
            .1
            .as_array()
            .unwrap()
            .len();
        let bounce = inbound(
            &s,
            corpus::dsn_bounce(
                &message_id,
                "nicole@customer.test",
                SUPPORT,
                "dsn1@example.net",
            ),
        )
        .await;
        assert_eq!(bounce["result"], "bounce", "{bounce}");
        assert_eq!(bounce["article_id"], reply_id);
        let bounced = article(&s, reply_id).await;
        assert_eq!(bounced["preferences"]["delivery_status"], "fail");
        assert!(delivery_message(&bounced).contains("5.1.1"));
        assert_eq!(
            send(s.get("/tickets", AGENT1))
                .await
                .1
                .as_array()
                .unwrap()
                .len(),
            tickets_before
        );
        s.finish().await;
    }
}

#[tokio::test]
async fn inbound_mail_follows_the_rules_and_keeps_what_it_cannot_use() {
    for s in common::servers().await {
        let (_, group) = support_address(&s).await;

        // an unknown sender becomes a customer with the name the message gives
        let r = inbound(&s, corpus::iso_8859_1_headers(SUPPORT, "iso1@example.org")).await;
        assert_eq!(r["new_ticket"], true, "{r}");
        let t = ticket(&s, r["ticket_id"].as_i64().unwrap()).await;
        assert_eq!(t["customer"], "juergen.mueller@example.org");
        assert_eq!(t["title"], corpus::ISO_SUBJECT);
        let users = send(s.get("/users/search?query=juergen.mueller", ADMIN))
            .await
            .1;
        assert_eq!(users[0]["firstname"], "Jürgen", "{users}");
        assert_eq!(users[0]["lastname"], "Müller");

        // HTML is sanitised, inline images and RFC 2231 names kept
        let message = corpus::html_only(CARLA, SUPPORT, "Login", "h1@example.org");
        let a = received_article(&s, message).await;
        assert_eq!(a["content_type"], "text/html");
        assert!(!a["body"].as_str().unwrap().contains("script"), "{a}");
        let message = corpus::related_inline_image(CARLA, SUPPORT, "Logo", "r1@example.org");
        let a = received_article(&s, message).await;
        let names: Vec<&str> = a["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["filename"].as_str().unwrap())
            .collect();
        assert!(
            names.contains(&"logo.png") && names.contains(&"report.pdf"),
            "{a}"
        );
        let message = corpus::rfc2231_filename(CARLA, SUPPORT, "n1@example.org");
        let a = received_article(&s, message).await;
        assert_eq!(a["attachments"][0]["filename"], corpus::RFC2231_NAME, "{a}");

        // automatic mail is an article marked as such
        let message = corpus::autoresponder(CARLA, SUPPORT, "ooo@example.org", "x@y");
        let a = received_article(&s, message).await;
        assert_eq!(a["preferences"]["is-auto-response"], true, "{a}");

        // a follow-up to a closed ticket of a group that wants new tickets opens a new one
        let r = send(
            s.put(&format!("/groups/{group}"), ADMIN)
                .json(&json!({"follow_up_possible": "new_ticket"})),
        )
        .await;
        assert_eq!(r.0, 200);
        let first = inbound_plain(&s, CARLA, "Old matter", "old1@example.org", "x").await;
        let first_id = first["ticket_id"].as_i64().unwrap();
        let number = ticket(&s, first_id).await["number"]
            .as_str()
            .unwrap()
            .to_string();
        s.set_state(first_id, "closed").await;
        let again = inbound_plain(
            &s,
            CARLA,
            &format!("Re: Old matter [Ticket#{number}]"),
            "old2@example.org",
            "y",
        )
        .await;
        assert_eq!(again["new_ticket"], true, "{again}");
        assert_ne!(again["ticket_id"], first_id);
        assert_eq!(ticket(&s, first_id).await["state"], "closed");

        // kept as failed mail: our own address (a loop), no sender, a bounce for nothing
        let own = inbound_plain(&s, SUPPORT, "Loop", "loop1@example.com", "x").await;
        assert_eq!(own["result"], "failed", "{own}");
        assert!(own["reason"].as_str().unwrap().starts_with("loop"));
        let senderless = inbound(&s, corpus::no_from()).await;
        assert_eq!(senderless["result"], "failed", "{senderless}");
        let stray = inbound(
            &s,
            corpus::dsn_bounce(
                "never-sent@tandem.test",
                "x@example.org",
                SUPPORT,
                "dsn9@example.net",
            ),
        )
        .await;
        assert_eq!(stray["result"], "failed");
        let list = send(s.get("/failed_mails", ADMIN)).await.1;
        assert_eq!(list.as_array().unwrap().len(), 3, "{list}");
        let id = senderless["failed_mail_id"].as_i64().unwrap();
        let raw = s
            .fetch(s.url(&format!("/failed_mails/{id}/raw")), ADMIN)
            .await;
        assert_eq!(raw.status(), 200);
        assert_eq!(
            raw.bytes().await.unwrap().as_ref(),
            corpus::no_from().as_slice()
        );
        assert_status(s.get("/failed_mails", AGENT1), 403, "").await;

        // only e-mail admins may post messages; agents and customers may not
        let r = send(
            s.post("/channels_email/inbound", NICOLE)
                .body(corpus::no_from()),
        )
        .await;
        assert_eq!(r.0, 403, "{}", r.1);
        let status = send(s.get("/channels_email", ADMIN)).await.1;
        assert_eq!(status["sending"], false);
        assert_eq!(status["failed_mails"], 3);
        s.finish().await;
    }
}

#[tokio::test]
async fn a_20_mb_attachment_arrives_and_the_raw_message_is_kept() {
    for s in servers_with_address().await {
        let size = 20 * 1024 * 1024;
        let message = corpus::large_attachment(size, CARLA, SUPPORT, "big@example.org");
        let r = inbound(&s, message.clone()).await;
        assert_eq!(r["result"], "article", "{r}");
        let id = r["article_id"].as_i64().unwrap();
        let a = article(&s, id).await;
        let file = a["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["filename"] == "large.bin")
            .expect("large.bin")
            .clone();
        assert_eq!(file["size"], size.to_string(), "{file}");
        let plain = raw_message(&s, id, AGENT1).await;
        assert_eq!(plain.bytes().await.unwrap().len(), message.len());
        // the customer may read their own message; another customer may not
        assert_eq!(raw_message(&s, id, NICOLE).await.status(), 403);
        s.finish().await;
    }
}

#[tokio::test]
async fn one_sender_flooding_the_helpdesk_is_kept_out_after_its_burst() {
    for s in servers_with_address().await {
        let mut failed = 0;
        for i in 0..35 {
            let r = inbound(&s, flood("f", i)).await;
            if r["result"] == "failed" {
                assert!(
                    r["reason"].as_str().unwrap().starts_with("rate limit"),
                    "{r}"
                );
                failed += 1;
            }
        }
        assert_eq!(failed, 5, "{}: the burst is 30", s.db.name);
        // others are not affected
        let r = inbound_plain(&s, "calm@example.org", "hi", "calm1@example.org", "x").await;
        assert_eq!(r["result"], "article");
        s.finish().await;
    }
}

#[tokio::test]
async fn a_relay_that_cannot_be_reached_leaves_the_message_queued_with_a_visible_failure() {
    for db in common::support::backends().await {
        // nothing listens on this port
        let port = common::process::free_port();
        let s = common::start_with_smtp(db, &format!("smtp://127.0.0.1:{port}?tls=none")).await;
        support_address(&s).await;
        let r = send(s.post("/tickets", AGENT1).json(&json!({
            "title": "Unreachable", "group": "Users", "customer": NICOLE,
            "article": {"type": "email", "to": NICOLE, "body": "Hello"}
        })))
        .await;
        let id = r.1["article_ids"][0].as_i64().unwrap();
        let a = delivery_status(&s, id).await;
        assert_eq!(a["preferences"]["delivery_status"], "fail", "{a}");
        assert_eq!(a["preferences"]["delivery_will_retry"], true);
        assert_eq!(a["preferences"]["delivery_retry"], 1);
        assert_eq!(send(s.get("/channels_email", ADMIN)).await.1["queued"], 1);

        // a group without a sender address cannot send at all: given up with a note
        let r = send(s.post("/tickets", AGENT1).json(&json!({
            "title": "No address", "group": "Sales", "customer": NICOLE,
            "article": {"type": "email", "to": NICOLE, "body": "Hello"}
        })))
        .await;
        let ticket_id = r.1["id"].as_i64().unwrap();
        let id = r.1["article_ids"][0].as_i64().unwrap();
        let a = delivery_status(&s, id).await;
        assert_eq!(a["preferences"]["delivery_will_retry"], false, "{a}");
        assert!(delivery_message(&a).contains("no e-mail address"));
        let articles = s.articles(ticket_id, AGENT1).await;
        let note = articles.last().unwrap();
        assert!(
            note["body"]
                .as_str()
                .unwrap()
                .starts_with("Unable to send email to"),
            "{note}"
        );
        assert_eq!(note["internal"], true);
        s.finish().await;
    }
}

#[tokio::test]
async fn tandem_mail_deliver_reads_a_message_from_stdin() {
    for s in servers_with_address().await {
        let run = |message: Vec<u8>, group: &str| {
            s.run_cli(&["mail", "deliver", "--group", group], &message)
        };
        let out = run(
            corpus::alternative(CARLA, SUPPORT, "Via pipe", "pipe1@example.org"),
            "Sales",
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let result: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(result["result"], "article", "{result}");
        let t = ticket(&s, result["ticket_id"].as_i64().unwrap()).await;
        assert_eq!(t["group"], "Sales");
        assert_eq!(t["title"], "Via pipe");
        // an unknown group is a temporary failure for the MTA (exit 75): no ticket
        let out = run(
            corpus::plain(CARLA, "x@example.com", "x", "pipe2@example.org", "x"),
            "Nope",
        );
        assert_eq!(
            out.status.code(),
            Some(75),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        s.finish().await;
    }
}

#[tokio::test]
async fn mailbox_channels_are_admin_records_without_visible_passwords() {
    for s in common::servers().await {
        let sales = s.group_id("Sales").await;
        let body = json!({"group_id": sales, "host": "imap.example.com", "user": "support", "password": "pw"});
        let r = send(s.post("/email_channels", ADMIN).json(&body)).await;
        assert_eq!(r.0, 201, "{}", r.1);
        assert_eq!(
            r.1["inbound"]["options"]["port"], 993,
            "ssl by default on 993"
        );
        assert!(
            !r.1.to_string().contains("\"pw\""),
            "password rendered: {}",
            r.1
        );
        let id = r.1["id"].as_i64().unwrap();
        assert_status(s.post("/email_channels", AGENT1).json(&body), 403, "").await;
        assert_refused(
            s.put(&format!("/email_channels/{id}"), ADMIN)
                .json(&json!({"ssl": "maybe"})),
            422,
            "Invalid value for param 'ssl': \"maybe\" (ssl, starttls or off)",
            "ssl",
        )
        .await;
        assert_refused(
            s.post("/email_channels", ADMIN)
                .json(&json!({"group_id": 99999, "host": "h", "user": "u"})),
            422,
            "Invalid value for param 'group_id': 99999",
            "group",
        )
        .await;
        assert_status(s.delete(&format!("/email_channels/{id}"), ADMIN), 200, "").await;
        assert_eq!(send(s.get("/email_channels", ADMIN)).await.1, json!([]));
        s.finish().await;
    }
}

#[tokio::test]
async fn a_mailbox_is_read_into_tickets_and_a_reply_there_reopens_its_ticket() {
    for s in common::servers().await {
        let Some(imap) = common::imap::ImapServer::start() else {
            return;
        };
        support_address(&s).await;
        let sales = s.group_id("Sales").await;
        let r = send(s.post("/email_channels", ADMIN).json(&json!({
            "group_id": sales, "host": "127.0.0.1", "port": imap.port, "ssl": "off",
            "user": common::imap::USER, "password": common::imap::PASSWORD
        })))
        .await;
        assert_eq!(r.0, 201, "{}", r.1);
        let channel = r.1["id"].as_i64().unwrap();

        imap.deliver(&corpus::alternative(
            "Carla Customer <carla@example.org>",
            SUPPORT,
            "Mailbox question",
            "mb1@example.org",
        ));
        let mut ticket_id = None;
        for _ in 0..300 {
            let found = send(s.get("/tickets/search?query=Mailbox&limit=5", AGENT1))
                .await
                .1;
            ticket_id = found["tickets"]
                .as_array()
                .and_then(|t| t.first())
                .and_then(Value::as_i64);
            if ticket_id.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let Some(ticket_id) = ticket_id else {
            let c = send(s.get(&format!("/email_channels/{channel}"), ADMIN))
                .await
                .1;
            let all = send(s.get("/tickets", AGENT1)).await.1;
            panic!(
                "{}: the message did not become a ticket; channel {c}; tickets {all}",
                s.db.name
            );
        };
        let t = ticket(&s, ticket_id).await;
        assert_eq!(t["group"], "Sales", "{t}");
        assert_eq!(t["customer"], CARLA);
        eventually("the stored message leaves the mailbox", || async {
            imap.counts().0 == 0
        })
        .await;
        assert_eq!(
            send(s.get(&format!("/email_channels/{channel}"), ADMIN))
                .await
                .1["status_in"],
            "ok"
        );

        // an agent's e-mail (sending is off: it still gets its Message-ID), then closed
        let r = send(
            s.put(&format!("/tickets/{ticket_id}"), AGENT1)
                .json(&json!({
                    "state": "closed",
                    "article": {"type": "email", "to": CARLA, "body": "Fixed."}
                })),
        )
        .await;
        assert_eq!(r.0, 200, "{}", r.1);
        let sent_id = last_article_id(&r.1);
        let message_id = article(&s, sent_id).await["message_id"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(ticket(&s, ticket_id).await["state"], "closed");

        // the customer's answer lands in the mailbox: a follow-up, the ticket open again
        let answer = corpus::reply(
            CARLA,
            SUPPORT,
            "Fixed?",
            "mb2@example.org",
            &message_id,
            &message_id,
            "Not quite.",
        );
        imap.deliver(&answer);
        eventually("the answer reopens the ticket", || async {
            ticket(&s, ticket_id).await["state"] == "open"
        })
        .await;
        let articles = s.articles(ticket_id, AGENT1).await;
        let last = articles.last().unwrap();
        assert_eq!(last["in_reply_to"], message_id, "{last}");
        assert_eq!(last["sender"], "Customer");

        // the same message delivered again (a crash before it was marked seen) is not stored twice
        imap.deliver(&answer);
        eventually("the copy is taken out of the mailbox", || async {
            imap.counts().0 == 0
        })
        .await;
        let again = s.articles(ticket_id, AGENT1).await;
        assert_eq!(again.len(), articles.len());

        // kept on the server: seen, not deleted, not read twice
        let r = send(
            s.put(&format!("/email_channels/{channel}"), ADMIN)
                .json(&json!({"keep_on_server": true})),
        )
        .await;
        assert_eq!(r.0, 200, "{}", r.1);
        imap.deliver(&corpus::plain(
            "dora@example.org",
            SUPPORT,
            "Keep me",
            "keep1@example.org",
            "x",
        ));
        eventually("the kept message is seen", || async {
            imap.counts() == (1, 0)
        })
        .await;
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        let found = send(s.get("/tickets/search?query=%22Keep%20me%22", AGENT1))
            .await
            .1;
        assert_eq!(
            found["tickets"].as_array().map(Vec::len),
            Some(1),
            "{found}"
        );

        // a wrong password shows on the channel
        let r = send(
            s.put(&format!("/email_channels/{channel}"), ADMIN)
                .json(&json!({"password": "wrong"})),
        )
        .await;
        assert_eq!(r.0, 200);
        eventually("the login error shows", || async {
            let c = send(s.get(&format!("/email_channels/{channel}"), ADMIN))
                .await
                .1;
            c["status_in"] == "error"
                && c["last_log_in"]
                    .as_str()
                    .is_some_and(|l| l.starts_with("login"))
        })
        .await;
        drop(imap);
        s.finish().await;
    }
}

#[tokio::test]
async fn a_deskhero_reply_outbound_is_sent_by_email() {
    for (s, smtp) in servers_with_smtp().await {
        support_address(&s).await;
        let r = send(s.post("/tickets", AGENT1).json(&json!({
            "title": "DeskHero mail", "group": "Users", "customer": NICOLE,
            "article": {"body": "first", "type": "phone", "sender": "Customer"}
        })))
        .await;
        let ticket_id = r.1["id"].as_i64().unwrap();
        let url = format!("{}/api/acme/v1/ticket_conversations/{ticket_id}", s.base);
        let r = send(s.as_user(s.client.post(url), AGENT1).json(
            &json!([{"type": 5, "sys_content_rich": {"html": "<p>Answer from DeskHero</p>"}}]),
        ))
        .await;
        assert_eq!(r.0, 200, "{}: {}", s.db.name, r.1);
        let raw = smtp.wait_for_recipient("nicole@customer.test").await;
        let message = MessageParser::default().parse(&raw).unwrap();
        assert_eq!(header(&message, "X-RcptTo"), "nicole@customer.test");
        assert!(
            message
                .body_text(0)
                .unwrap()
                .contains("Answer from DeskHero")
        );
        assert!(message.subject().unwrap().contains("[Ticket#"));
        s.finish().await;
    }
}

#[tokio::test]
async fn a_groups_signature_ends_its_agents_emails_with_placeholders_filled() {
    for s in common::servers().await {
        let (_, group) = support_address(&s).await;
        let r = send(s.post("/signatures", ADMIN).json(&json!({
            "name": "Support", "body": "<p>#{user.firstname} #{user.lastname}<br>#{ticket.group.name} · Ticket #{ticket.number}</p><script>alert(1)</script>"
        })))
        .await;
        assert_eq!(r.0, 201, "{}", r.1);
        assert!(
            !r.1["body"].as_str().unwrap().contains("script"),
            "sanitised: {}",
            r.1
        );
        let signature = r.1["id"].as_i64().unwrap();
        assert_status(
            s.post("/signatures", AGENT1).json(&json!({"name": "x"})),
            403,
            "",
        )
        .await;
        assert_status(s.get("/signatures", AGENT1), 200, "").await;
        assert_status(s.get("/signatures", NICOLE), 403, "").await;
        let r = send(
            s.put(&format!("/groups/{group}"), ADMIN)
                .json(&json!({"signature_id": signature})),
        )
        .await;
        assert_eq!(r.1["signature_id"], signature, "{}", r.1);

        let r = send(s.post("/tickets", AGENT1).json(&json!({
            "title": "Signed", "group": "Users", "customer": NICOLE,
            "article": {"type": "email", "to": NICOLE, "content_type": "text/html", "body": "<p>Hello</p>"}
        })))
        .await;
        let number = r.1["number"].as_str().unwrap().to_string();
        let a = article(&s, r.1["article_ids"][0].as_i64().unwrap()).await;
        let body = a["body"].as_str().unwrap();
        assert!(body.starts_with("<p>Hello</p>"), "{body}");
        assert!(
            body.contains(&format!("Anna Agent<br>Users · Ticket {number}")),
            "{body}"
        );
        // plain text articles get a "-- " line; notes get nothing
        let ticket_id = r.1["id"].as_i64().unwrap();
        let r = send(
            s.put(&format!("/tickets/{ticket_id}"), AGENT1)
                .json(&json!({
                    "article": {"type": "email", "to": NICOLE, "body": "Plain"}
                })),
        )
        .await;
        let id = last_article_id(&r.1);
        assert!(
            article(&s, id).await["body"]
                .as_str()
                .unwrap()
                .contains("Plain\n\n-- \nAnna Agent"),
            "text signature"
        );
        let r = send(
            s.put(&format!("/tickets/{ticket_id}"), AGENT1)
                .json(&json!({
                    "article": {"type": "note", "body": "Note"}
                })),
        )
        .await;
        let id = last_article_id(&r.1);
        assert_eq!(article(&s, id).await["body"], "Note");
        s.finish().await;
    }
}

/// The admin's actor and a desk over the test server's database and files (what the web app's
/// server functions call).
async fn admin_desk(s: &TestServer) -> (domain::Actor, domain::desk::Desk) {
    let desk = domain::desk::Desk::new(s.db.store.clone(), s.files.clone());
    (actor(s, ADMIN).await, desk)
}

/// The admin changes the e-mail of sender address `address` (200).
async fn set_address_email(s: &TestServer, address: i64, email: &str) {
    let r = send(
        s.put(&format!("/email_addresses/{address}"), ADMIN)
            .json(&json!({"email": email})),
    )
    .await;
    assert_eq!(r.0, 200, "{}: {}", s.db.name, r.1);
}

#[tokio::test]
async fn failed_mail_is_received_again_after_a_fix_or_deleted_with_its_bytes() {
    for s in common::servers().await {
        let ctx = s.db.name;
        let (address, _) = support_address(&s).await;
        let (admin, desk) = admin_desk(&s).await;
        // an admin mistypes the sender address as the printer's: the printer's mail is "ours",
        // a loop, kept as failed mail
        set_address_email(&s, address, "printer@example.com").await;
        let own = inbound_plain(
            &s,
            "printer@example.com",
            "Paper jam",
            "jam-1@example.com",
            "Tray 2 is jammed.",
        )
        .await;
        assert_eq!(own["result"], "failed", "{ctx}: {own}");
        assert!(own["reason"].as_str().unwrap().starts_with("loop"), "{own}");
        let id = own["failed_mail_id"].as_i64().unwrap();
        // the admin fixes the address and receives the message again: now it is a ticket
        set_address_email(&s, address, SUPPORT).await;
        // only admins may
        let agent = actor(&s, AGENT1).await;
        assert!(
            desk.reprocess_failed_mail(&agent, id).await.is_err(),
            "{ctx}"
        );
        assert!(desk.delete_failed_mail(&agent, id).await.is_err(), "{ctx}");
        let received = desk.reprocess_failed_mail(&admin, id).await.unwrap();
        let Received::Article {
            ticket_id,
            new_ticket: true,
            ..
        } = received
        else {
            panic!("{ctx}: {received:?}");
        };
        let t = ticket(&s, ticket_id).await;
        assert_eq!(t["title"], "Paper jam", "{ctx}");
        let list = send(s.get("/failed_mails", ADMIN)).await.1;
        assert!(
            list.as_array().unwrap().iter().all(|f| f["id"] != id),
            "{ctx}: {list}"
        );
        // the raw message now belongs to the article: its bytes stay
        let raw = s
            .fetch(
                s.url(&format!("/ticket_article_plain/{}", t["article_ids"][0])),
                ADMIN,
            )
            .await;
        assert_eq!(raw.status(), 200, "{ctx}");
        assert!(raw.text().await.unwrap().contains("Tray 2 is jammed."));

        // a message without a sender fails again: a new record replaces the old one
        let senderless = inbound(
            &s,
            b"Subject: Who?\r\nMessage-ID: <who-1@example.org>\r\n\r\nNo sender here.\r\n".to_vec(),
        )
        .await;
        let id = senderless["failed_mail_id"].as_i64().unwrap();
        let again = desk.reprocess_failed_mail(&admin, id).await.unwrap();
        let Received::Failed {
            failed_mail_id: new_id,
            ..
        } = again
        else {
            panic!("{ctx}: {again:?}");
        };
        assert!(new_id > id, "{ctx}");
        assert_status(s.get(&format!("/failed_mails/{id}/raw"), ADMIN), 404, "").await;
        let (record, bytes) = desk.failed_mail_raw(&admin, new_id).await.unwrap();
        assert!(String::from_utf8_lossy(&bytes).contains("No sender here."));
        // deleted: the record and, referred to by nothing else, its bytes
        desk.delete_failed_mail(&admin, new_id).await.unwrap();
        assert_status(
            s.get(&format!("/failed_mails/{new_id}/raw"), ADMIN),
            404,
            "",
        )
        .await;
        assert!(
            s.files.get(&record.sha256).await.is_err(),
            "{ctx}: bytes left"
        );
        assert_eq!(
            desk.delete_failed_mail(&admin, new_id)
                .await
                .unwrap_err()
                .status_code(),
            404
        );
        s.finish().await;
    }
}

#[tokio::test]
async fn the_sender_rate_is_shared_by_every_instance_on_the_database() {
    for s in servers_with_address().await {
        let ctx = s.db.name;
        // two instances: each its own desk (and mail service) over the one database
        let first = domain::desk::Desk::new(s.db.store.clone(), s.files.clone());
        let second = domain::desk::Desk::new(s.db.store.clone(), s.files.clone());
        let mut failed = 0;
        for i in 0..35 {
            let desk = if i % 2 == 0 { &first } else { &second };
            let message = flood("shared-", i);
            match desk.receive_mail(&message, None).await.unwrap() {
                Received::Failed { reason, .. } => {
                    assert!(reason.starts_with("rate limit"), "{ctx}: {reason}");
                    failed += 1;
                }
                Received::Article { .. } => {}
                other => panic!("{ctx}: {other:?}"),
            }
        }
        assert_eq!(
            failed, 5,
            "{ctx}: 30 in ten minutes, counted across instances"
        );
        // the count is the database's: the REST server (a third instance) refuses too…
        let r = inbound_plain(&s, "flood@example.org", "more", "shared-x@example.org", "x").await;
        assert_eq!(r["result"], "failed", "{ctx}: {r}");
        // …and only this sender
        let r = inbound_plain(&s, "calm@example.org", "hi", "shared-calm@example.org", "x").await;
        assert_eq!(r["result"], "article", "{ctx}: {r}");
        s.finish().await;
    }
}
