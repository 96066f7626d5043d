//! DeskHero's dialect: `POST /api/{tenant}/v1/ticket_conversations/{ticket_id}` (docs/deskhero.md)
//! on SQLite and PostgreSQL — the mapping of every type and address direction, html and
//! editorjs content, attachments, all-or-nothing requests, access, and what the Zammad API
//! shows of the result.

mod common;

use base64::Engine;
use common::*;
use serde_json::{Value, json};

const TENANT: &str = "acme";

fn dh_url(s: &TestServer, tenant: &str, version: &str, ticket: impl std::fmt::Display) -> String {
    format!(
        "{}/api/{tenant}/{version}/ticket_conversations/{ticket}",
        s.base
    )
}

async fn dh_post(s: &TestServer, login: &str, ticket: i64, body: Value) -> (u16, Value) {
    send(
        s.as_user(s.client.post(dh_url(s, TENANT, "v1", ticket)), login)
            .json(&body),
    )
    .await
}

/// A ticket of `customer`'s in `group` as agent1 opens it (one phone article).
fn dh_ticket(customer: &str, group: &str) -> Value {
    json!({
        "title": "DeskHero", "group": group, "customer": customer,
        "article": {"body": "first", "type": "phone", "sender": "Customer"}
    })
}

fn entry(kind: Value, html: &str) -> Value {
    json!({"type": kind, "sys_content_rich": {"html": html}})
}

/// Posts `body` as `login` and asserts DeskHero's error with this status on `field`.
async fn dh_refused(
    s: &TestServer,
    login: &str,
    ticket: i64,
    body: Value,
    status: u16,
    field: &str,
    ctx: &str,
) {
    assert_dh_error(&dh_post(s, login, ticket, body).await, status, field, ctx);
}

/// Asserts DeskHero's error wrapper with this status and an error on `field`.
fn assert_dh_error(got: &(u16, Value), status: u16, field: &str, ctx: &str) {
    assert_eq!(got.0, status, "{ctx}: status; body {}", got.1);
    assert_eq!(got.1["success"], false, "{ctx}: {}", got.1);
    let errors = got.1["errors"].as_array().expect("errors array");
    assert!(
        errors
            .iter()
            .any(|e| e["field"] == field && e["message"].as_str().is_some_and(|m| !m.is_empty())),
        "{ctx}: no error on {field:?}: {}",
        got.1
    );
}

/// The tags of (serialised) HTML: name and attributes — text is inert, whatever it says.
fn tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '/' || *c == '!')
            .collect();
        rest = &rest[name.len()..];
        let mut attributes = Vec::new();
        loop {
            rest = rest.trim_start();
            if rest.is_empty() || rest.starts_with('>') || rest.starts_with("/>") {
                break;
            }
            let attr: String = rest
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '=' && *c != '>')
                .collect();
            rest = &rest[attr.len()..];
            let mut value = String::new();
            if let Some(after) = rest.strip_prefix("=\"") {
                let end = after.find('"').unwrap_or(after.len());
                value = after[..end].to_string();
                rest = &after[(end + 1).min(after.len())..];
            }
            if attr.is_empty() {
                rest = &rest[rest.chars().next().map_or(0, char::len_utf8)..];
                continue;
            }
            attributes.push((attr.to_ascii_lowercase(), value));
        }
        out.push((name.to_ascii_lowercase(), attributes));
    }
    out
}

/// No script-capable tag, no event handler, no `javascript:` URL survived. (Attributes are
/// always serialised in double quotes, so an escaped quote in a value cannot open one.)
fn assert_harmless(html: &str, ctx: &str) {
    let found = tags(html);
    assert!(!found.is_empty(), "{ctx}: no tags in {html}");
    for (name, attributes) in found {
        let name = name.trim_start_matches('/');
        assert!(
            ![
                "script", "iframe", "svg", "object", "embed", "style", "math"
            ]
            .contains(&name),
            "{ctx}: <{name}> survived in {html}"
        );
        for (attr, value) in attributes {
            assert!(
                !attr.starts_with("on"),
                "{ctx}: {attr} on <{name}> in {html}"
            );
            let value = value.trim().to_ascii_lowercase();
            assert!(
                !value.starts_with("javascript:") && !value.starts_with("data:text"),
                "{ctx}: {attr}={value} on <{name}> in {html}"
            );
        }
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn png() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(4, 4, image::Rgb([10, 200, 30]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Every field of `DTO_ticket_conversation` is filled.
fn assert_filled(c: &Value, ctx: &str) {
    for key in [
        "id",
        "ticket_id",
        "type",
        "sys_status",
        "created_by",
        "last_updated_by",
        "requester",
        "last_message_extracted",
        "sys_attachments",
        "created",
        "last_updated",
        "email_addresses",
        "sys_content_rich",
    ] {
        assert!(!c[key].is_null(), "{ctx}: {key} missing in {c}");
    }
    for key in ["id", "label", "email", "profile_pic"] {
        assert!(!c["created_by"][key].is_null(), "{ctx}: created_by.{key}");
        assert!(
            !c["last_updated_by"][key].is_null(),
            "{ctx}: last_updated_by.{key}"
        );
    }
    for key in ["id", "label", "bg_color", "text_color"] {
        assert!(!c["sys_status"][key].is_null(), "{ctx}: sys_status.{key}");
    }
    for key in ["user_id", "email", "name", "profile_pic"] {
        assert!(!c["requester"][key].is_null(), "{ctx}: requester.{key}");
    }
    for key in ["plain_preview", "html", "read_minutes"] {
        assert!(
            !c["sys_content_rich"][key].is_null(),
            "{ctx}: sys_content_rich.{key}"
        );
    }
    assert!(
        c["created"].as_str().unwrap().ends_with('Z'),
        "{ctx}: ISO-8601 UTC"
    );
}

#[tokio::test]
async fn every_type_becomes_the_mapped_article() {
    for (s, t) in servers_with_ticket(dh_ticket(NICOLE, "Users")).await {
        let ctx = s.db.name;
        let body = json!([
            entry(json!(1), "<p>inbound from the customer</p>"),
            entry(json!(2), "<p>private note</p>"),
            entry(json!("NOTE_PUBLIC"), "<p>public note</p>"),
            {"type": 4, "sys_content_rich": {"html": "<p>forwarded</p>"},
             "email_addresses": [{"email": "vendor@example.test", "name": "Vendor", "direction": 5}]},
            entry(json!(5), "<p>outbound reply</p>"),
        ]);
        let r = dh_post(&s, AGENT1, t, body).await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        assert_eq!(r.1["success"], true);
        let data = r.1["data"].as_array().unwrap();
        assert_eq!(data.len(), 5, "{ctx}");
        for (i, c) in data.iter().enumerate() {
            assert_filled(c, &format!("{ctx} entry {i}"));
            assert_eq!(c["type"], i as i64 + 1, "{ctx}: type echoed as enum value");
            assert_eq!(c["ticket_id"], t);
            assert_eq!(c["created_by"]["email"], AGENT1);
            assert_eq!(c["created_by"]["label"], "Anna Agent");
            assert_eq!(c["sys_content_rich"]["read_minutes"], 1);
        }
        assert_eq!(
            data[0]["sys_content_rich"]["plain_preview"],
            "inbound from the customer"
        );
        assert_eq!(
            data[0]["last_message_extracted"],
            "inbound from the customer"
        );
        assert_eq!(
            data[0]["requester"]["email"], NICOLE,
            "{ctx}: inbound without requester comes from the ticket's customer"
        );
        assert_eq!(data[1]["requester"]["email"], AGENT1);

        let all = s.articles(t, AGENT1).await;
        assert_eq!(all.len(), 6, "{ctx}: first article + 5");
        let expect = [
            ("email", "Customer", false),
            ("note", "Agent", true),
            ("note", "Agent", false),
            ("email", "Agent", false),
            ("email", "Agent", false),
        ];
        for (i, (kind, sender, internal)) in expect.iter().enumerate() {
            let a = &all[i + 1];
            let c = &data[i];
            assert_eq!(a["id"], c["id"], "{ctx}: id = article id");
            assert_eq!(a["type"], *kind, "{ctx}: entry {i} type");
            assert_eq!(a["sender"], *sender, "{ctx}: entry {i} sender");
            assert_eq!(a["internal"], *internal, "{ctx}: entry {i} internal");
            assert_eq!(a["content_type"], "text/html");
            assert_eq!(
                a["body"], c["sys_content_rich"]["html"],
                "{ctx}: same content"
            );
            assert_eq!(a["created_at"], c["created"]);
            assert_eq!(a["updated_at"], c["last_updated"]);
        }
        assert_eq!(
            all[1]["origin_by"], NICOLE,
            "{ctx}: on behalf of the customer"
        );
        assert_eq!(all[1]["from"], "Nicole Braun <nicole@customer.test>");
        assert_eq!(
            all[4]["to"], "Vendor <vendor@example.test>",
            "{ctx}: FORWARDED_TO → to"
        );
        assert_eq!(
            all[5]["to"], "Nicole Braun <nicole@customer.test>",
            "{ctx}: a reply goes to the ticket's customer by default"
        );
        assert_eq!(
            data[4]["email_addresses"],
            json!([{"email": NICOLE, "name": "Nicole Braun", "direction": 2}])
        );

        // the ticket saw the articles: counts, first response, state
        let ticket = send(s.get(&format!("/tickets/{t}"), AGENT1)).await.1;
        assert_eq!(ticket["article_count"], 6, "{ctx}");
        assert!(ticket["first_response_at"].is_string(), "{ctx}");
        assert_eq!(
            ticket["state_id"], 2,
            "{ctx}: an agent's reply opens a new ticket"
        );
        assert_eq!(data[4]["sys_status"]["label"], "open");

        // the customer does not see the private note
        let seen = s.articles(t, NICOLE).await;
        assert_eq!(seen.len(), 5, "{ctx}");
        assert!(seen.iter().all(|a| a["internal"] == false));

        // UNKNOWN, missing, out of range → 400, nothing stored
        for (kind, field) in [
            (json!(0), "[0].type"),
            (Value::Null, "[0].type"),
            (json!(42), "[0].type"),
            (json!("SOMETHING"), "[0].type"),
            (json!({"a": 1}), "[0].type"),
        ] {
            let body = json!([entry(kind.clone(), "<p>x</p>")]);
            let ctx = format!("{ctx}: type {kind}");
            dh_refused(&s, AGENT1, t, body, 400, field, &ctx).await;
        }
        assert_eq!(s.articles(t, AGENT1).await.len(), 6, "{ctx}");
        s.finish().await;
    }
}

/// The draft's `new_article` as the Zammad API shows it (`None`: no draft).
async fn draft_article(s: &TestServer, ticket: i64) -> Option<(i64, Value)> {
    let r = send(s.get(&format!("/tickets/{ticket}/shared_draft"), AGENT1)).await;
    assert_eq!(r.0, 200, "{}: {}", s.db.name, r.1);
    let id = r.1["shared_draft_id"].as_i64()?;
    Some((
        id,
        r.1["assets"]["TicketSharedDraftZoom"][id.to_string()]["new_article"].clone(),
    ))
}

#[tokio::test]
async fn suggested_reply_becomes_the_shared_draft() {
    for (s, t) in servers_with_ticket(dh_ticket(NICOLE, "Users")).await {
        let ctx = s.db.name;
        let before = s.articles(t, AGENT1).await.len();

        // no draft yet: the suggestion creates one
        let r = dh_post(
            &s,
            AGENT1,
            t,
            json!([entry(
                json!("SUGGESTED_REPLY"),
                "<p>Try <b>turning</b> it off<script>x()</script></p>"
            )]),
        )
        .await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        let c = &r.1["data"][0];
        assert_filled(c, ctx);
        assert_eq!(c["type"], 6);
        let (id, article) = draft_article(&s, t).await.expect("a draft");
        assert_eq!(c["id"], id, "{ctx}: id = the shared draft's id");
        assert_eq!(
            c["sys_content_rich"]["html"], article["body"],
            "{ctx}: the body as stored"
        );
        let body = article["body"].as_str().unwrap();
        assert!(
            body.contains("Try") && body.contains("turning") && !body.contains("script"),
            "{ctx}: {body}"
        );
        assert_eq!(article["type"], "email", "{ctx}: a reply");
        assert_eq!(c["sys_content_rich"]["plain_preview"], "Try turning it off");
        assert_eq!(c["created_by"]["email"], AGENT1);
        assert_eq!(
            s.articles(t, AGENT1).await.len(),
            before,
            "{ctx}: not an article"
        );

        // an agent's draft: the suggestion replaces its body, the rest stays
        let r = send(
            s.put(&format!("/tickets/{t}/shared_draft"), AGENT1)
                .json(&json!({
            "new_article": {"body": "<p>my words</p>", "content_type": "text/html", "type": "note",
                            "internal": true, "to": "someone@example.test"},
            "ticket_attributes": {"state_id": "2"}})),
        )
        .await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        let r = dh_post(
            &s,
            ADMIN,
            t,
            json!([
                {"type": 6, "sys_content_rich": {"editorjs": {"blocks": [
                    {"type": "paragraph", "data": {"text": "Suggested answer"}},
                    {"type": "list", "data": {"style": "unordered", "items": ["step one"]}}]}}},
                entry(json!(2), "<p>note beside it</p>"),
            ]),
        )
        .await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        assert_eq!(r.1["data"][0]["id"], id, "{ctx}: the same draft");
        assert_eq!(r.1["data"][0]["last_updated_by"]["email"], ADMIN);
        assert_eq!(r.1["data"][0]["created_by"]["email"], AGENT1);
        let (_, article) = draft_article(&s, t).await.unwrap();
        let body = article["body"].as_str().unwrap();
        assert!(
            body.contains("Suggested answer") && body.contains("step one"),
            "{ctx}: {body}"
        );
        assert!(!body.contains("my words"), "{ctx}: {body}");
        assert_eq!(
            article["type"], "note",
            "{ctx}: the rest of the draft stays"
        );
        assert_eq!(article["internal"], true);
        assert_eq!(article["to"], "someone@example.test");
        let zoom = send(s.get(&format!("/tickets/{t}/shared_draft"), AGENT1))
            .await
            .1;
        assert_eq!(
            zoom["assets"]["TicketSharedDraftZoom"][id.to_string()]["ticket_attributes"]["state_id"],
            "2"
        );
        assert_eq!(
            s.articles(t, AGENT1).await.len(),
            before + 1,
            "{ctx}: the note"
        );

        // all or nothing: a bad entry beside it leaves the draft as it was; one draft per
        // ticket: one suggestion per request
        for (body, field) in [
            (
                json!([
                    entry(json!(6), "<p>lost suggestion</p>"),
                    entry(json!(3), "")
                ]),
                "[1].sys_content_rich",
            ),
            (
                json!([entry(json!(6), "<p>a</p>"), entry(json!(6), "<p>b</p>")]),
                "[1].type",
            ),
            (
                json!([{"type": 6, "sys_content_rich": {"html": "<p>a</p>"}, "sys_attachments": [{"id": 1}]}]),
                "[0].sys_attachments",
            ),
        ] {
            dh_refused(&s, AGENT1, t, body, 400, field, ctx).await;
            assert_eq!(
                draft_article(&s, t).await.unwrap().1["body"],
                article["body"],
                "{ctx}: {field}"
            );
        }
        // who may: agents with change access (customers and read-only agents: 403)
        for login in [NICOLE, AGENT2] {
            let r = dh_post(&s, login, t, json!([entry(json!(6), "<p>mine</p>")])).await;
            assert_eq!(r.0, 403, "{ctx}: {login}: {}", r.1);
        }
        // a group without shared drafts: 403, and the article beside it is not stored either
        let r = send(
            s.put("/groups/1", ADMIN)
                .json(&json!({"shared_drafts": false})),
        )
        .await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        let count = s.articles(t, AGENT1).await.len();
        let body = json!([
            entry(json!(3), "<p>first</p>"),
            entry(json!(6), "<p>no drafts here</p>")
        ]);
        dh_refused(&s, AGENT1, t, body, 403, "[1].type", ctx).await;
        assert_eq!(s.articles(t, AGENT1).await.len(), count, "{ctx}");
        s.finish().await;
    }
}

#[tokio::test]
async fn email_addresses_map_by_direction_and_bcc_stays_with_agents() {
    for (s, t) in servers_with_ticket(dh_ticket(NICOLE, "Users")).await {
        let ctx = s.db.name;
        let addresses = json!([
            {"email": "support@tandem.test", "name": "Support", "direction": 1},
            {"email": "a@example.test", "name": "Ann A", "direction": 2},
            {"email": "b@example.test", "direction": "TO"},
            {"email": "c@example.test", "name": "Lee, Carl", "direction": 3},
            {"email": "d@example.test", "name": "Dee", "direction": 3},
            {"email": "secret@example.test", "name": "Hidden", "direction": 4},
            {"email": "reply@example.test", "direction": 7},
            {"email": "resent@example.test", "name": "Re Sent", "direction": 6},
            {"email": "fwd@example.test", "name": "Fwd", "direction": 5},
        ]);
        let r = dh_post(&s, AGENT1, t, json!([
            {"type": 5, "sys_content_rich": {"html": "<p>outbound</p>"}, "email_addresses": addresses},
            {"type": 4, "sys_content_rich": {"html": "<p>forward</p>"}, "email_addresses": addresses},
        ]))
        .await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        assert_eq!(
            r.1["data"][0]["email_addresses"],
            addresses
                .as_array()
                .unwrap()
                .iter()
                .map(|a| {
                    let mut a = a.clone();
                    if a["direction"] == "TO" {
                        a["direction"] = json!(2);
                    }
                    if a.get("name").is_none() {
                        a["name"] = json!("");
                    }
                    a
                })
                .collect::<Value>(),
            "{ctx}: addresses echoed (directions as enum values)"
        );
        let agent_view = s.articles(t, AGENT1).await;
        let (reply, forward) = (&agent_view[1], &agent_view[2]);
        assert_eq!(reply["from"], "Support <support@tandem.test>", "{ctx}");
        assert_eq!(reply["to"], "Ann A <a@example.test>, b@example.test");
        assert_eq!(
            reply["cc"],
            "\"Lee, Carl\" <c@example.test>, Dee <d@example.test>"
        );
        assert_eq!(reply["reply_to"], "reply@example.test");
        assert_eq!(reply["preferences"]["bcc"], "Hidden <secret@example.test>");
        assert_eq!(
            reply["preferences"]["resent_from"],
            "Re Sent <resent@example.test>"
        );
        assert_eq!(
            reply["preferences"]["forwarded_to"],
            "Fwd <fwd@example.test>"
        );
        assert_eq!(
            forward["to"], "Ann A <a@example.test>, b@example.test, Fwd <fwd@example.test>",
            "{ctx}: FORWARDED_TO joins to for FORWARD"
        );
        assert!(forward["preferences"].get("forwarded_to").is_none());
        assert_eq!(
            forward["preferences"]["bcc"],
            "Hidden <secret@example.test>"
        );

        // customers never see BCC or RESENT_FROM: not in lists, not by id, not in the zoom
        let mut customer_views = s.articles(t, NICOLE).await;
        customer_views.push(
            send(s.get(&format!("/ticket_articles/{}", reply["id"]), NICOLE))
                .await
                .1,
        );
        let zoom = send(s.get(&format!("/tickets/{t}?all=true"), NICOLE))
            .await
            .1;
        customer_views.extend(
            zoom["assets"]["TicketArticle"]
                .as_object()
                .unwrap()
                .values()
                .cloned(),
        );
        for a in &customer_views {
            assert!(
                a["preferences"].get("bcc").is_none(),
                "{ctx}: bcc leaked: {a}"
            );
            assert!(a["preferences"].get("resent_from").is_none(), "{ctx}: {a}");
            assert!(!a.to_string().contains("secret@example.test"), "{ctx}: {a}");
            assert!(!a.to_string().contains("resent@example.test"), "{ctx}: {a}");
        }
        assert_eq!(customer_views.len(), 3 + 1 + 3, "{ctx}");
        let zoom_agent = send(s.get(&format!("/tickets/{t}?all=true"), AGENT1))
            .await
            .1;
        assert!(
            zoom_agent.to_string().contains("secret@example.test"),
            "{ctx}"
        );

        // bad addresses → 400 naming the field, nothing stored
        for (bad, field) in [
            (
                json!([{"email": "not-an-email", "direction": 2}]),
                "[0].email_addresses[0].email",
            ),
            (
                json!([{"email": "a@b.test", "direction": 2}, {"email": "x y@b.test", "direction": 3}]),
                "[0].email_addresses[1].email",
            ),
            (
                json!([{"email": "a@b.test", "direction": 0}]),
                "[0].email_addresses[0].direction",
            ),
            (
                json!([{"email": "a@b.test", "direction": 8}]),
                "[0].email_addresses[0].direction",
            ),
            (
                json!([{"email": "a@b.test"}]),
                "[0].email_addresses[0].direction",
            ),
            (
                json!([{"email": 5, "direction": 2}]),
                "[0].email_addresses[0].email",
            ),
            (
                json!([{"email": "a@b.test", "name": 5, "direction": 2}]),
                "[0].email_addresses[0].name",
            ),
            (json!(["a@b.test"]), "[0].email_addresses[0]"),
            (json!("a@b.test"), "[0].email_addresses"),
        ] {
            let body = json!([{"type": 5, "sys_content_rich": {"html": "<p>x</p>"}, "email_addresses": bad}]);
            let ctx = format!("{ctx}: {bad}");
            dh_refused(&s, AGENT1, t, body, 400, field, &ctx).await;
        }
        // a forward needs a recipient
        let body = json!([entry(json!(4), "<p>to nobody</p>")]);
        dh_refused(&s, AGENT1, t, body, 400, "[0].email_addresses", ctx).await;
        // header injection in a name is flattened
        let r = dh_post(&s, AGENT1, t, json!([{"type": 5, "sys_content_rich": {"html": "<p>x</p>"},
            "email_addresses": [{"email": "a@b.test", "name": "Ann\r\nBcc: evil@x.test", "direction": 2}]}])).await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        let last = s.articles(t, AGENT1).await.pop().unwrap();
        assert_eq!(last["to"], "\"Ann Bcc: evil@x.test\" <a@b.test>", "{ctx}");
        assert_eq!(s.articles(t, AGENT1).await.len(), 4, "{ctx}");
        s.finish().await;
    }
}

#[tokio::test]
async fn editorjs_blocks_are_rendered_and_escaped() {
    for (s, t) in servers_with_ticket(dh_ticket(NICOLE, "Users")).await {
        let ctx = s.db.name;
        let words = "word ".repeat(401);
        let editorjs = json!({"time": 1_700_000_000_000_i64, "version": "2.30.7", "blocks": [
            {"id": "p1", "type": "paragraph", "data": {"text": "Hello <b>bold</b> <a href=\"https://example.test/x\">link</a> &amp; more"}},
            {"id": "h1", "type": "header", "data": {"text": "Heading", "level": 2}},
            {"type": "list", "data": {"style": "unordered", "items": ["apple", "pear"]}},
            {"type": "list", "data": {"style": "ordered", "items": [
                {"content": "first", "meta": {}, "items": [{"content": "first.a", "meta": {}, "items": []}]},
                {"content": "second", "meta": {}, "items": []}]}},
            {"type": "quote", "data": {"text": "To be", "caption": "Will", "alignment": "left"}},
            {"type": "code", "data": {"code": "<script>alert('x')</script>\nlet a = 1 < 2;"}},
            {"type": "delimiter", "data": {}},
            {"type": "image", "data": {"file": {"url": "https://example.test/cat.png"}, "caption": "A cat", "withBorder": false}},
            {"type": "paragraph", "data": {"text": words}},
        ]});
        let r = dh_post(
            &s,
            AGENT1,
            t,
            json!([{"type": 3, "sys_content_rich": {
            "editorjs": editorjs, "plain_preview": "ignored", "read_minutes": 99}}]),
        )
        .await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        let c = &r.1["data"][0];
        let html = c["sys_content_rich"]["html"].as_str().unwrap();
        for part in [
            "<p>Hello <b>bold</b> <a href=\"https://example.test/x\" rel=\"noopener noreferrer nofollow\">link</a> &amp; more</p>",
            "<h2>Heading</h2>",
            "<ul><li>apple</li><li>pear</li></ul>",
            "<ol><li>first<ol><li>first.a</li></ol></li><li>second</li></ol>",
            "<blockquote><p>To be</p><footer>Will</footer></blockquote>",
            "<pre><code>&lt;script&gt;alert('x')&lt;/script&gt;\nlet a = 1 &lt; 2;</code></pre>",
            "<hr>",
            "<img src=\"https://example.test/cat.png\" alt=\"A cat\">",
            "<figcaption>A cat</figcaption>",
        ] {
            assert!(html.contains(part), "{ctx}: {part} missing in {html}");
        }
        assert!(!html.contains("<script"), "{ctx}: {html}");
        assert_eq!(
            c["sys_content_rich"]["read_minutes"], 3,
            "{ctx}: 401+ words → 3 minutes, computed"
        );
        let preview = c["sys_content_rich"]["plain_preview"].as_str().unwrap();
        assert!(
            preview.starts_with(
                "Hello bold link & more Heading apple pear first first.a second To be Will"
            ),
            "{ctx}: {preview}"
        );
        assert!(preview.chars().count() <= 200);
        assert_eq!(
            c["sys_content_rich"]["editorjs"]["blocks"]
                .as_array()
                .unwrap()
                .len(),
            9
        );
        assert_eq!(c["sys_content_rich"]["editorjs"]["version"], "2.30.7");
        let stored = s.articles(t, NICOLE).await.pop().unwrap();
        assert_eq!(
            stored["body"], html,
            "{ctx}: the Zammad API shows the same body"
        );
        assert_eq!(stored["type"], "note");

        // html wins over editorjs
        let r = dh_post(&s, AGENT1, t, json!([{"type": 3, "sys_content_rich": {"html": "<p>html wins</p>", "editorjs": editorjs}}])).await;
        assert_eq!(
            r.1["data"][0]["sys_content_rich"]["html"], "<p>html wins</p>",
            "{ctx}"
        );
        assert!(r.1["data"][0]["sys_content_rich"]["editorjs"].is_null());

        // XSS in editorjs text is neutralised
        let r = dh_post(&s, AGENT1, t, json!([{"type": 3, "sys_content_rich": {"editorjs": {"blocks": [
            {"type": "paragraph", "data": {"text": "<img src=x onerror=alert(1)>hi<script>alert(2)</script></p><iframe src=\"https://evil.test\"></iframe>"}},
            {"type": "header", "data": {"text": "<a href=\"javascript:alert(3)\">click</a>", "level": 1}},
            {"type": "list", "data": {"style": "unordered", "items": ["<svg onload=alert(4)>x</svg>"]}},
            {"type": "quote", "data": {"text": "\"><script>alert(5)</script>", "caption": "<b onclick=\"alert(6)\">c</b>"}},
            {"type": "image", "data": {"url": "https://example.test/a.png", "caption": "\" onload=\"alert(8)"}},
        ]}}}])).await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        let html = r.1["data"][0]["sys_content_rich"]["html"].as_str().unwrap();
        assert_harmless(html, ctx);
        assert!(html.contains("hi"), "{ctx}: {html}");

        // bad editorjs → 400 naming the block, nothing stored
        let before = s.articles(t, AGENT1).await.len();
        for (blocks, field) in [
            (
                json!([{"type": "table", "data": {"content": []}}]),
                "[0].sys_content_rich.editorjs.blocks[0].type",
            ),
            (
                json!([{"type": "paragraph", "data": {"text": "ok"}}, {"type": "raw", "data": {"html": "<b>x</b>"}}]),
                "[0].sys_content_rich.editorjs.blocks[1].type",
            ),
            (
                json!([{"type": "paragraph", "data": {"text": 5}}]),
                "[0].sys_content_rich.editorjs.blocks[0].data.text",
            ),
            (
                json!([{"type": "paragraph"}]),
                "[0].sys_content_rich.editorjs.blocks[0].data",
            ),
            (
                json!([{"type": "header", "data": {"text": "x", "level": 9}}]),
                "[0].sys_content_rich.editorjs.blocks[0].data.level",
            ),
            (
                json!([{"type": "list", "data": {"style": "fancy", "items": []}}]),
                "[0].sys_content_rich.editorjs.blocks[0].data.style",
            ),
            (
                json!([{"type": "list", "data": {"items": "a"}}]),
                "[0].sys_content_rich.editorjs.blocks[0].data.items",
            ),
            (
                json!([{"type": "image", "data": {"url": "javascript:alert(1)"}}]),
                "[0].sys_content_rich.editorjs.blocks[0].data.file.url",
            ),
            (
                json!([{"type": "image", "data": {}}]),
                "[0].sys_content_rich.editorjs.blocks[0].data.file.url",
            ),
            (
                json!([{"type": "image", "data": {"url": "https://x.test/a.png\" onerror=\"alert(1)"}}]),
                "[0].sys_content_rich.editorjs.blocks[0].data.file.url",
            ),
            (
                json!([{"data": {"text": "x"}}]),
                "[0].sys_content_rich.editorjs.blocks[0].type",
            ),
            (json!("blocks"), "[0].sys_content_rich.editorjs.blocks"),
            (json!([]), "[0].sys_content_rich"),
        ] {
            let ctx = format!("{ctx}: {blocks}");
            let body = json!([{"type": 3, "sys_content_rich": {"editorjs": {"blocks": blocks}}}]);
            dh_refused(&s, AGENT1, t, body, 400, field, &ctx).await;
        }
        assert_eq!(s.articles(t, AGENT1).await.len(), before, "{ctx}");
        s.finish().await;
    }
}

#[tokio::test]
async fn html_is_sanitised_and_inline_images_become_attachments() {
    for (s, t) in servers_with_ticket(dh_ticket(NICOLE, "Users")).await {
        let ctx = s.db.name;
        let image = png();
        let html = format!(
            "<p onclick=\"alert(1)\">Hi<script>alert(2)</script> <a href=\"javascript:alert(3)\">x</a>\
             <img src=\"data:image/png;base64,{}\" alt=\"shot\"><img src=x onerror=alert(4)></p>\
             <blockquote type=\"cite\"><p>older mail</p></blockquote>",
            b64(&image)
        );
        let r = dh_post(&s, AGENT1, t, json!([entry(json!(5), &html)])).await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        let c = &r.1["data"][0];
        let out = c["sys_content_rich"]["html"].as_str().unwrap();
        assert_harmless(out, ctx);
        for bad in ["alert", "javascript:", "data:image"] {
            assert!(!out.contains(bad), "{ctx}: {bad} survived in {out}");
        }
        assert_eq!(
            c["last_message_extracted"], "Hi x",
            "{ctx}: quoted history left out"
        );
        assert_eq!(
            c["sys_content_rich"]["plain_preview"], "Hi x older mail",
            "{ctx}"
        );
        let files = c["sys_attachments"].as_array().unwrap();
        assert_eq!(files.len(), 1, "{ctx}: {c}");
        let file = &files[0];
        assert_eq!(file["label"], "image1.png");
        assert_eq!(file["status"], 2);
        assert_eq!(file["size_kb"], 1);
        let url = format!("/api/v1/ticket_attachment/{t}/{}/{}", c["id"], file["id"]);
        assert_eq!(file["download_url"], url);
        assert!(
            out.contains(&format!("{url}?view=inline")),
            "{ctx}: cid rewritten: {out}"
        );
        let bytes = s
            .as_user(s.client.get(format!("{}{url}", s.base)), NICOLE)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(
            bytes.as_ref(),
            image.as_slice(),
            "{ctx}: download_url serves the image"
        );
        let stored = s.articles(t, NICOLE).await.pop().unwrap();
        assert_eq!(
            stored["body"], out,
            "{ctx}: same body through the Zammad API"
        );
        assert_eq!(stored["attachments"][0]["id"], file["id"]);
        assert_eq!(
            stored["attachments"][0]["preferences"]["Content-Disposition"],
            "inline"
        );

        // content that is empty after all, or missing
        for (entry, field) in [
            (
                json!({"type": 3, "sys_content_rich": {"html": "<script>alert(1)</script>"}}),
                "[0].sys_content_rich",
            ),
            (
                json!({"type": 3, "sys_content_rich": {"html": "   "}}),
                "[0].sys_content_rich",
            ),
            (
                json!({"type": 3, "sys_content_rich": {}}),
                "[0].sys_content_rich",
            ),
            (
                json!({"type": 3, "sys_content_rich": "<p>x</p>"}),
                "[0].sys_content_rich",
            ),
            (
                json!({"type": 3, "sys_content_rich": {"html": 5}}),
                "[0].sys_content_rich.html",
            ),
            (json!({"type": 3}), "[0].sys_content_rich"),
        ] {
            let ctx = format!("{ctx}: {entry}");
            dh_refused(&s, AGENT1, t, json!([entry]), 400, field, &ctx).await;
        }
        s.finish().await;
    }
}

#[tokio::test]
async fn requester_is_the_origin_of_inbound_replies() {
    for (s, t) in servers_with_ticket(dh_ticket(NICOLE, "Users")).await {
        let ctx = s.db.name;
        let sam: i64 = send(s.get("/users/search?query=sam@customer.test", AGENT1))
            .await
            .1[0]["id"]
            .as_i64()
            .unwrap();
        let r = dh_post(&s, AGENT1, t, json!([
            {"type": 1, "sys_content_rich": {"html": "<p>from a new person</p>"},
             "requester": {"email": "New.Person@Example.test", "name": "New Person"}},
            {"type": 1, "sys_content_rich": {"html": "<p>from sam</p>"}, "requester": {"user_id": sam}},
            {"type": 1, "sys_content_rich": {"html": "<p>same new person</p>"},
             "requester": {"email": "new.person@example.test"}},
        ]))
        .await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        let data = r.1["data"].as_array().unwrap();
        let created = &data[0]["requester"];
        assert_eq!(created["email"], "new.person@example.test", "{ctx}");
        assert_eq!(created["name"], "New Person");
        assert_eq!(
            data[2]["requester"]["user_id"], created["user_id"],
            "{ctx}: found again"
        );
        assert_eq!(data[1]["requester"]["user_id"], sam);
        assert_eq!(
            data[0]["email_addresses"],
            json!([{"email": "new.person@example.test", "name": "New Person", "direction": 1}])
        );
        let user = send(s.get(&format!("/users/{}", created["user_id"]), AGENT1))
            .await
            .1;
        assert_eq!(user["firstname"], "New", "{ctx}");
        assert_eq!(user["lastname"], "Person");
        assert_eq!(user["role_ids"], json!([3]), "{ctx}: a customer");
        let all = s.articles(t, AGENT1).await;
        assert_eq!(all[1]["origin_by"], "new.person@example.test", "{ctx}");
        assert_eq!(all[1]["from"], "New Person <new.person@example.test>");
        assert_eq!(all[1]["created_by"], AGENT1);
        assert_eq!(all[1]["sender"], "Customer");
        assert_eq!(all[2]["origin_by"], SAM);

        // a customer writes as themselves: requester and FROM are theirs whatever is sent
        let r = dh_post(
            &s,
            NICOLE,
            t,
            json!([{"type": 1, "sys_content_rich": {"html": "<p>me</p>"},
            "requester": {"user_id": sam},
            "email_addresses": [{"email": "ceo@tandem.test", "name": "The CEO", "direction": 1}]}]),
        )
        .await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        assert_eq!(r.1["data"][0]["requester"]["email"], NICOLE);
        let mine = s.articles(t, NICOLE).await.pop().unwrap();
        assert_eq!(mine["from"], "Nicole Braun <nicole@customer.test>", "{ctx}");
        assert!(mine["origin_by"].is_null());
        assert_eq!(mine["type"], "email");
        assert_eq!(mine["sender"], "Customer");

        for (requester, field) in [
            (json!({"user_id": 999_999}), "[0].requester.user_id"),
            (json!({"user_id": "x"}), "[0].requester.user_id"),
            (json!({"email": "not an email"}), "[0].requester.email"),
            (json!("sam"), "[0].requester"),
        ] {
            let body = json!([{"type": 1, "sys_content_rich": {"html": "<p>x</p>"}, "requester": requester}]);
            let ctx = format!("{ctx}: {requester}");
            dh_refused(&s, AGENT1, t, body, 400, field, &ctx).await;
        }
        s.finish().await;
    }
}

#[tokio::test]
async fn sys_attachments_come_from_the_upload_cache() {
    for (s, t) in servers_with_ticket(dh_ticket(NICOLE, "Users")).await {
        let ctx = s.db.name;
        let upload = |login: &'static str, bytes: Vec<u8>, name: &'static str| {
            let form = reqwest::multipart::Form::new()
                .text("form_id", "dh-form")
                .part(
                    "File",
                    reqwest::multipart::Part::bytes(bytes).file_name(name),
                );
            send(s.post("/attachments", login).multipart(form))
        };
        let a = upload(AGENT1, vec![7u8; 3000], "report.pdf").await;
        assert_eq!(a.0, 200, "{ctx}: {}", a.1);
        let b = upload(AGENT1, b"notes".to_vec(), "notes.txt").await;
        let other = upload(AGENT2, b"not yours".to_vec(), "theirs.txt").await;
        let (a, b, other) = (
            &a.1["data"]["id"],
            &b.1["data"]["id"],
            &other.1["data"]["id"],
        );

        // unknown, someone else's, twice, or malformed → 400 and the cache is untouched
        for (refs, field) in [
            (json!([{"id": 999_999}]), "[0].sys_attachments[0].id"),
            (
                json!([{"id": a}, {"id": other}]),
                "[0].sys_attachments[1].id",
            ),
            (json!([{"id": a}, {"id": a}]), "[0].sys_attachments[1].id"),
            (json!([{"label": "x"}]), "[0].sys_attachments[0].id"),
            (json!({"id": a}), "[0].sys_attachments"),
        ] {
            let body = json!([{"type": 2, "sys_content_rich": {"html": "<p>files</p>"}, "sys_attachments": refs}]);
            let ctx = format!("{ctx}: {refs}");
            dh_refused(&s, AGENT1, t, body, 400, field, &ctx).await;
        }

        let r = dh_post(
            &s,
            AGENT1,
            t,
            json!([{"type": 2, "sys_content_rich": {"html": "<p>files</p>"},
            "sys_attachments": [{"id": a, "label": "ignored", "size_kb": 1}, {"id": b}]}]),
        )
        .await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        let c = &r.1["data"][0];
        let files = c["sys_attachments"].as_array().unwrap();
        assert_eq!(files.len(), 2, "{ctx}");
        assert_eq!(files[0]["id"], *a);
        assert_eq!(files[0]["label"], "report.pdf");
        assert_eq!(files[0]["size_kb"], 3, "{ctx}: 3000 bytes → 3 KiB");
        assert_eq!(files[1]["size_kb"], 1);
        assert_eq!(files[0]["status"], 2);
        let download = s
            .as_user(
                s.client.get(format!(
                    "{}{}",
                    s.base,
                    files[0]["download_url"].as_str().unwrap()
                )),
                AGENT1,
            )
            .send()
            .await
            .unwrap();
        assert_eq!(download.status(), 200, "{ctx}");
        assert_eq!(download.bytes().await.unwrap().len(), 3000);
        let stored = s.articles(t, AGENT1).await.pop().unwrap();
        assert_eq!(stored["attachments"].as_array().unwrap().len(), 2, "{ctx}");

        // claimed files are no longer in the cache
        let body = json!([{"type": 2, "sys_content_rich": {"html": "<p>again</p>"}, "sys_attachments": [{"id": a}]}]);
        dh_refused(&s, AGENT1, t, body, 400, "[0].sys_attachments[0].id", ctx).await;
        s.finish().await;
    }
}

#[tokio::test]
async fn one_bad_entry_stores_nothing_and_bad_input_is_400() {
    for (s, t) in servers_with_ticket(dh_ticket(NICOLE, "Users")).await {
        let ctx = s.db.name;
        let upload = reqwest::multipart::Form::new().text("form_id", "f").part(
            "File",
            reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("x.txt"),
        );
        let file = send(s.post("/attachments", AGENT1).multipart(upload))
            .await
            .1["data"]["id"]
            .clone();
        let before = s.articles(t, AGENT1).await.len();
        let ticket_before = send(s.get(&format!("/tickets/{t}"), AGENT1)).await.1;
        let r = dh_post(&s, AGENT1, t, json!([
            entry(json!(3), "<p>good one</p>"),
            {"type": 2, "sys_content_rich": {"html": "<p>with file</p>"}, "sys_attachments": [{"id": file}],
             "requester": {"email": "brand.new@example.test"}},
            {"type": 1, "sys_content_rich": {"html": "<p>inbound</p>"}, "requester": {"email": "another.new@example.test"}},
            {"type": 5, "sys_content_rich": {"html": "<p>bad address</p>"},
             "email_addresses": [{"email": "nope", "direction": 2}]},
        ]))
        .await;
        assert_dh_error(&r, 400, "[3].email_addresses[0].email", ctx);
        assert_eq!(r.1["errors"].as_array().unwrap().len(), 1, "{ctx}: {}", r.1);
        assert_eq!(
            s.articles(t, AGENT1).await.len(),
            before,
            "{ctx}: nothing stored"
        );
        let ticket_after = send(s.get(&format!("/tickets/{t}"), AGENT1)).await.1;
        assert_eq!(
            ticket_after["article_count"],
            ticket_before["article_count"]
        );
        assert_eq!(
            ticket_after["updated_at"], ticket_before["updated_at"],
            "{ctx}"
        );
        let r = send(s.get("/users/search?query=another.new@example.test", AGENT1)).await;
        assert_eq!(r.1, json!([]), "{ctx}: no user created either");
        // the cached file is still there to use
        let r = dh_post(&s, AGENT1, t, json!([{"type": 2, "sys_content_rich": {"html": "<p>f</p>"}, "sys_attachments": [{"id": file}]}])).await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);

        // several bad entries: every error is listed
        let r = dh_post(
            &s,
            AGENT1,
            t,
            json!([
                entry(json!(0), "<p>x</p>"),
                entry(json!(3), ""),
                entry(json!(3), "<p>fine</p>")
            ]),
        )
        .await;
        assert_eq!(r.0, 400, "{ctx}");
        let fields: Vec<&str> = r.1["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["[0].type", "[1].sys_content_rich"], "{ctx}");

        // bodies that are not a list of entries, wrong types: 400 in the same shape, never 500
        let raw = |body: &'static str| {
            s.as_user(s.client.post(dh_url(&s, TENANT, "v1", t)), AGENT1)
                .header("content-type", "application/json")
                .body(body)
        };
        for (body, field) in [
            ("{not json", "body"),
            ("", "body"),
            ("{\"type\": 3}", "body"),
            ("\"text\"", "body"),
            ("[]", "body"),
            ("[5]", "[0]"),
            ("[null]", "[0]"),
            (
                "[{\"type\": 3, \"sys_content_rich\": {\"html\": \"<p>x</p>\"}, \"ticket_id\": 999}]",
                "[0].ticket_id",
            ),
            (
                "[{\"type\": [3], \"sys_content_rich\": {\"html\": \"x\"}}]",
                "[0].type",
            ),
            (
                "[{\"type\": 3, \"sys_content_rich\": {\"html\": \"x\", \"editorjs\": 5}, \"email_addresses\": {}}]",
                "[0].email_addresses",
            ),
            ("\u{feff}[1]", "body"),
        ] {
            let r = send(raw(body)).await;
            assert_dh_error(&r, 400, field, &format!("{ctx}: {body:?}"));
        }
        let r = send(
            s.as_user(s.client.post(dh_url(&s, TENANT, "v1", t)), AGENT1)
                .header("content-type", "application/json")
                .body(vec![0xff, 0xfe, b'[']),
        )
        .await;
        assert_dh_error(&r, 400, "body", ctx);
        // the ticket id in an entry may repeat the path's
        let r = dh_post(&s, AGENT1, t, json!([{"type": 3, "ticket_id": t, "id": 5, "created": "x", "sys_content_rich": {"html": "<p>ok</p>"}}])).await;
        assert_eq!(r.0, 200, "{ctx}: read-only fields are ignored: {}", r.1);
        assert_ne!(r.1["data"][0]["id"], 5);
        s.finish().await;
    }
}

#[tokio::test]
async fn route_tenant_version_and_access() {
    for (s, t) in servers_with_ticket(dh_ticket(NICOLE, "Users")).await {
        let ctx = s.db.name;
        let sales = create_ticket(&s, &dh_ticket(LEE, "Sales")).await;
        let note = json!([entry(json!(3), "<p>hello</p>")]);
        let post = |url: String, login: &str| s.as_user(s.client.post(url), login).json(&note);

        // tenant and version
        for (tenant, version, field) in [
            ("other", "v1", "tenant"),
            ("ACME", "v1", "tenant"),
            ("a", "v1", "tenant"),
            (TENANT, "v2", "version"),
            (TENANT, "v0", "version"),
            (TENANT, "1", "version"),
        ] {
            let r = send(post(dh_url(&s, tenant, version, t), AGENT1)).await;
            assert_dh_error(&r, 404, field, &format!("{ctx}: /api/{tenant}/{version}"));
        }
        // a tenant named like the Zammad API's version is still no tenant
        let r = send(post(dh_url(&s, "v1", "v1", t), AGENT1)).await;
        assert_eq!(r.0, 404, "{ctx}: {}", r.1);
        // unknown ticket 404, bad ticket id 400
        let r = send(post(dh_url(&s, TENANT, "v1", 999_999), AGENT1)).await;
        assert_dh_error(&r, 404, "ticket_id", ctx);
        let r = send(post(dh_url(&s, TENANT, "v1", "abc"), AGENT1)).await;
        assert_dh_error(&r, 400, "ticket_id", ctx);
        // other methods are a JSON 404
        let r = send(s.as_user(s.client.get(dh_url(&s, TENANT, "v1", t)), AGENT1)).await;
        assert_eq!(r.0, 404, "{ctx}: GET {}", r.1);

        // authentication like the Zammad API
        let r = send(s.client.post(dh_url(&s, TENANT, "v1", t)).json(&note)).await;
        assert_dh_error(&r, 403, "", ctx);
        assert_eq!(r.1["errors"][0]["message"], "Authentication required");
        let r = send(
            s.client
                .post(dh_url(&s, TENANT, "v1", t))
                .basic_auth(AGENT1, Some("wrong"))
                .json(&note),
        )
        .await;
        assert_eq!(r.0, 401, "{ctx}: {}", r.1);
        assert_eq!(r.1["success"], false);
        let token = send(
            s.post("/user_access_token", AGENT1)
                .json(&json!({"name": "dh", "permission": ["ticket.agent"]})),
        )
        .await
        .1["token"]
            .as_str()
            .unwrap()
            .to_string();
        let r = send(
            s.client
                .post(dh_url(&s, TENANT, "v1", t))
                .header("Authorization", format!("Token token={token}"))
                .json(&note),
        )
        .await;
        assert_eq!(r.0, 200, "{ctx}: token: {}", r.1);
        // a session needs the CSRF token
        let Session { cookie, csrf, .. } = s.sign_in(AGENT1).await;
        let r = send(
            s.client
                .post(dh_url(&s, TENANT, "v1", t))
                .header("Cookie", &cookie)
                .json(&note),
        )
        .await;
        assert_eq!(r.0, 401, "{ctx}: no CSRF: {}", r.1);
        let r = send(
            s.client
                .post(dh_url(&s, TENANT, "v1", t))
                .header("Cookie", &cookie)
                .header("X-CSRF-Token", &csrf)
                .json(&note),
        )
        .await;
        assert_eq!(r.0, 200, "{ctx}: session + CSRF: {}", r.1);

        // who may: change access (agents), own or shared-organisation tickets (customers)
        let before = s.articles(t, AGENT1).await.len();
        for (login, ticket, status) in [
            (AGENT2, t, 403),     // read-only on Users
            (LEE, t, 403),        // another organisation
            (NICOLE, sales, 403), // not hers
            (AGENT2, sales, 403), // no access to Sales
            (NICOLE, t, 200),
            (SAM, t, 200), // shared organisation
            (LEE, sales, 200),
            (ADMIN, t, 200),
        ] {
            let r = send(post(dh_url(&s, TENANT, "v1", ticket), login)).await;
            assert_eq!(r.0, status, "{ctx}: {login} on {ticket}: {}", r.1);
            if status == 403 {
                assert_eq!(r.1["success"], false);
            }
        }
        assert_eq!(s.articles(t, AGENT1).await.len(), before + 3, "{ctx}");

        // customers: no internal notes, nothing on the agent side, no suggestions
        for kind in [2, 4, 5, 6] {
            let r = dh_post(&s, NICOLE, t, json!([
                entry(json!(3), "<p>fine</p>"),
                {"type": kind, "sys_content_rich": {"html": "<p>x</p>"}, "email_addresses": [{"email": "x@y.test", "direction": 2}]},
                entry(json!(0), "<p>also bad</p>"),
            ]))
            .await;
            assert_dh_error(&r, 403, "[1].type", &format!("{ctx}: customer type {kind}"));
            assert_eq!(
                r.1["errors"].as_array().unwrap().len(),
                1,
                "{ctx}: the refusal alone"
            );
        }
        let body = json!([entry(json!(2), "<p>private?</p>")]);
        dh_refused(&s, SAM, t, body, 403, "[0].type", ctx).await;
        assert_eq!(
            s.articles(t, AGENT1).await.len(),
            before + 3,
            "{ctx}: nothing stored"
        );
        let r = dh_post(
            &s,
            NICOLE,
            t,
            json!([entry(json!(3), "<p>public note by nicole</p>")]),
        )
        .await;
        assert_eq!(r.0, 200, "{ctx}");
        let a = s.articles(t, NICOLE).await.pop().unwrap();
        assert_eq!(
            (a["type"].as_str(), a["sender"].as_str(), &a["internal"]),
            (Some("note"), Some("Customer"), &json!(false))
        );

        // a closed ticket: agents may, customers follow the group's follow-up rule (yes by default)
        s.set_state(t, "closed").await;
        let r = dh_post(
            &s,
            NICOLE,
            t,
            json!([entry(json!(1), "<p>reopen please</p>")]),
        )
        .await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        s.finish().await;
    }
}

#[tokio::test]
async fn openapi_documents_the_dialect() {
    let db = common::support::sqlite().await;
    let s = start(db, 1024 * 1024).await;
    let doc = s.openapi().await;
    let op = &doc["paths"]["/api/{tenant}/{version}/ticket_conversations/{ticket_id}"]["post"];
    assert!(op.is_object(), "missing from OpenAPI: {}", doc["paths"]);
    for status in ["200", "400", "403", "404"] {
        assert!(op["responses"][status].is_object(), "{status}");
    }
    let schemas = &doc["components"]["schemas"];
    for name in [
        "DTO_ticket_conversation",
        "DTO_email_address",
        "DTO_rich_text",
        "DTO_editorjs",
        "DTO_editorjs_block",
        "DTO_reference_user",
        "DTO_reference_attachment",
        "DTO_reference_color",
        "DTO_contact",
        "DTO_response_wrap_ticket_conversations",
        "DTO_response_wrap_error",
    ] {
        assert!(schemas[name].is_object(), "schema {name} missing");
    }
    assert_eq!(
        schemas["DTO_ticket_conversation"]["properties"]["id"]["readOnly"],
        true
    );
    s.finish().await;
}
