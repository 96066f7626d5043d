//! `/tickets/search` on both backends: full text, fields, operators, ranges, output shapes,
//! and the caller's scope (customers never find others' tickets or internal text).

mod common;

use common::*;
use serde_json::{Value, json};

fn ids(v: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> = v["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_i64().unwrap())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn search_language_and_shapes() {
    for s in servers().await {
        let ctx = s.db.name;
        let printer = create_ticket(&s, &json!({"title": "Printer jammed", "group": "Users", "customer": NICOLE, "tags": "hardware, urgent",
            "article": {"subject": "Paper stuck", "body": "The office printer shows error E42.", "type": "phone", "sender": "Customer"}})).await;
        let invoice = create_ticket(&s, &json!({"title": "Invoice wrong", "group": "Sales", "customer": LEE, "priority": "3 high",
            "article": {"body": "<p>Please correct the <b>VAT</b> amount</p>", "content_type": "text/html"}})).await;
        let secret = create_ticket(
            &s,
            &json!({"title": "Password reset", "group": "Users", "customer": NICOLE,
            "article": {"body": "reset please"}}),
        )
        .await;
        send(s.post("/ticket_articles", AGENT1).json(
            &json!({"ticket_id": secret, "body": "zebracode internal hint", "internal": true}),
        ))
        .await;
        s.set_state(invoice, "open").await;

        let q = |query: &str| {
            s.get(
                &format!("/tickets/search?query={}", urlencode(query)),
                AGENT1,
            )
        };
        let number = send(s.get(&format!("/tickets/{printer}"), AGENT1)).await.1["number"]
            .as_str()
            .unwrap()
            .to_string();
        let by_number = format!("number:{number}");
        for (query, expected, what) in [
            ("printer", vec![printer], "title/body word"),
            ("E42", vec![printer], "article body"),
            ("VAT", vec![invoice], "html body text"),
            ("\"office printer\"", vec![printer], "phrase"),
            ("\"printer office\"", vec![], "phrase order"),
            ("state.name:open", vec![invoice], "state"),
            ("priority.name:\"3 high\"", vec![invoice], "priority"),
            (
                "group.name:Sales OR tags:urgent",
                vec![printer, invoice],
                "OR",
            ),
            (
                "customer.email:nicole@customer.test AND NOT printer",
                vec![secret],
                "AND NOT",
            ),
            (
                "-title:password customer.email:nicole@customer.test",
                vec![printer],
                "negated field",
            ),
            ("zebracode", vec![secret], "agents search internal notes"),
            (by_number.as_str(), vec![printer], "number"),
            (
                "created_at:[2000-01-01 TO *]",
                vec![printer, invoice, secret],
                "range",
            ),
            ("created_at:[* TO 2000-01-01]", vec![], "range"),
        ] {
            let found = ids(&send(q(query)).await.1);
            assert_eq!(found, expected, "{ctx}: {what}: {query}");
        }
        let r = send(q("bogus.field:x")).await;
        assert_eq!(r.0, 422, "{ctx}");
        assert!(
            r.1["error_human"]
                .as_str()
                .unwrap()
                .starts_with("Unknown search field 'bogus.field'. Fields are e.g. title"),
            "{ctx}: {}",
            r.1
        );
        assert_status(q("(unbalanced"), 422, ctx).await;

        // shapes
        let r = send(s.get(
            "/tickets/search?query=*&expand=true&sort_by=id&order_by=asc",
            AGENT1,
        ))
        .await
        .1;
        assert_eq!(
            r.as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_i64().unwrap())
                .collect::<Vec<_>>(),
            vec![printer, invoice, secret],
            "{ctx}"
        );
        assert_eq!(r[0]["group"], "Users", "{ctx}: expanded");
        let r = send(s.get(
            "/tickets/search?query=*&with_total_count=true&per_page=1",
            AGENT1,
        ))
        .await
        .1;
        assert_eq!(r["total_count"], 3);
        assert_eq!(r["records"].as_array().unwrap().len(), 1);
        let r = send(s.get("/tickets/search?query=*&full=true", AGENT1))
            .await
            .1;
        assert_eq!(r["record_ids"].as_array().unwrap().len(), 3);
        assert_eq!(r["total_count"], 3);
        let keys: Vec<&String> = r["assets"].as_object().unwrap().keys().collect();
        assert!(
            keys.iter()
                .all(|k| ["Ticket", "User", "Organization", "Group", "Role"].contains(&k.as_str())),
            "{ctx}: {keys:?}"
        );
        let r = send(s.get("/tickets/search?query=*&only_total_count=true", AGENT1))
            .await
            .1;
        assert_eq!(r, json!({"total_count": 3}), "{ctx}");
        let r = send(s.get("/tickets/search?query=printer", AGENT1)).await.1;
        assert_eq!(r["tickets_count"], 1);
        assert!(
            r["assets"]["Ticket"][printer.to_string()].is_object(),
            "{ctx}"
        );
        let r = send(
            s.post("/tickets/search", AGENT1)
                .json(&json!({"query": "invoice", "limit": 5})),
        )
        .await
        .1;
        assert_eq!(ids(&r), vec![invoice], "{ctx}: POST");

        // several sort columns (priority: invoice high, the others normal; then by id)
        let sorted = |path: &str| {
            let path = path.to_string();
            let s = &s;
            async move {
                send(s.get(&path, AGENT1))
                    .await
                    .1
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t["id"].as_i64().unwrap())
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(
            sorted("/tickets/search?query=*&expand=true&sort_by[]=priority_id&sort_by[]=id&order_by[]=desc&order_by[]=asc").await,
            vec![invoice, printer, secret],
            "{ctx}: Rails arrays"
        );
        assert_eq!(
            sorted("/tickets/search?query=*&expand=true&sort_by=priority_id,id&order_by=asc,desc")
                .await,
            vec![secret, printer, invoice],
            "{ctx}: comma lists"
        );
        let r = send(s.post("/tickets/search", AGENT1).json(&json!({"query": "*",
            "sort_by": ["priority_id", "bogus", "id"], "order_by": ["asc", "asc", "desc"]})))
        .await
        .1;
        assert_eq!(
            r["tickets"],
            json!([secret, printer, invoice]),
            "{ctx}: JSON arrays, unknown column skipped with its order"
        );

        // small pages: the SQLite probe plan answers them; it must agree with the full plan
        for page in 1..=3 {
            let probe = send(s.get(
                &format!(
                    "/tickets/search?query={}&limit=1&page={page}&expand=true",
                    urlencode("printer OR invoice OR reset")
                ),
                AGENT1,
            ))
            .await
            .1;
            let full = send(s.get(
                &format!(
                    "/tickets/search?query={}&limit=1&page={page}&with_total_count=true",
                    urlencode("printer OR invoice OR reset")
                ),
                AGENT1,
            ))
            .await
            .1;
            let ids = |v: &Value| {
                v.as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t["id"].as_i64().unwrap())
                    .collect::<Vec<_>>()
            };
            assert_eq!(ids(&probe), ids(&full["records"]), "{ctx}: page {page}");
            assert_eq!(probe.as_array().unwrap().len(), 1, "{ctx}: page {page}");
        }

        // scope
        let cq = |login: &str, query: &str| {
            s.get(
                &format!("/tickets/search?query={}", urlencode(query)),
                login,
            )
        };
        for (login, query, expected, what) in [
            (NICOLE, "*", vec![printer, secret], "own tickets only"),
            (NICOLE, "invoice", vec![], "never others' tickets"),
            (NICOLE, "zebracode", vec![], "never internal text"),
            (AGENT2, "invoice", vec![], "no Sales access"),
            (SAM, "printer", vec![printer], "shared organisation"),
        ] {
            let found = ids(&send(cq(login, query)).await.1);
            assert_eq!(found, expected, "{ctx}: {login}: {what}");
        }
        // deleting removes it from the index
        send(s.delete(&format!("/tickets/{printer}"), ADMIN)).await;
        assert_finds(&s, q("printer"), &[], "deleted").await;
        s.finish().await;
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.*".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn zammad_query_string_grammar() {
    for s in servers().await {
        let ctx = s.db.name;
        let wire = create_ticket(
            &s,
            &json!({"title": "ÜBERWEISUNG abgelehnt", "group": "Users", "customer": NICOLE,
            "article": {"body": "Die Überweisung kam zurück."}}),
        )
        .await;
        let printer = create_ticket(
            &s,
            &json!({"title": "Printer jammed 🚀", "group": "Sales", "customer": NICOLE,
            "article": {"body": "Paper everywhere"}}),
        )
        .await;
        let plain = create_ticket(
            &s,
            &json!({"title": "Quiet ticket", "group": "Users", "customer": NICOLE,
            "article": {"body": "nothing special"}}),
        )
        .await;
        s.set_state(printer, "open").await;
        let q = |query: &str| {
            s.get(
                &format!("/tickets/search?query={}&limit=50", urlencode(query)),
                AGENT1,
            )
        };
        let found = |v: Value, ids: &[i64]| -> bool {
            let got = super_ids(&v);
            ids.iter().all(|id| got.contains(id))
        };

        // Unicode case folding in field values
        let r = send(q("title:überweisung")).await.1;
        assert!(found(r.clone(), &[wire]), "{ctx}: title:überweisung {r}");
        // a trailing wildcard in words and in fields
        let r = send(q("print*")).await.1;
        assert_eq!(ids(&r), vec![printer], "{ctx}: print*");
        assert_finds(&s, q("title:print*"), &[printer], "title:print*").await;
        // grouped values and a space after the colon
        let r = send(q("state:(new OR open)")).await.1;
        assert!(
            found(r.clone(), &[wire, printer, plain]),
            "{ctx}: grouped {r}"
        );
        assert_finds(&s, q("state: open"), &[printer], "space after colon").await;
        // id fields, _exists_ / _missing_, field:*
        let sales = s.group_id("Sales").await;
        assert_finds(&s, q(&format!("group_id:{sales}")), &[printer], "group_id").await;
        send(
            s.post("/tags/add", AGENT1)
                .json(&json!({"object": "Ticket", "o_id": plain, "item": "calm"})),
        )
        .await;
        assert_finds(&s, q("tags:*"), &[plain], "tags:*").await;
        // Unicode case folding in tag values too (a made-up variant of the title case)
        send(
            s.post("/tags/add", AGENT1)
                .json(&json!({"object": "Ticket", "o_id": plain, "item": "Ärger"})),
        )
        .await;
        assert_finds(&s, q("tags:ÄRGER"), &[plain], "tags:ÄRGER").await;
        assert_finds(&s, q("_exists_:tags"), &[plain], "_exists_").await;
        assert!(
            !ids(&send(q("_missing_:tags")).await.1).contains(&plain),
            "{ctx}: _missing_"
        );
        // relative dates and article_count ranges
        assert!(
            found(
                send(q("created_at:>now-1h")).await.1,
                &[wire, printer, plain]
            ),
            "{ctx}: now-1h"
        );
        assert_finds(&s, q("created_at:<now-1d"), &[], "older than a day").await;
        assert!(
            found(send(q("created_at:[now-7d TO now]")).await.1, &[plain]),
            "{ctx}: range with now"
        );
        assert_finds(&s, q("article_count:>5"), &[], "article_count").await;
        assert!(
            found(send(q("article_count:[1 TO 5]")).await.1, &[plain]),
            "{ctx}: article_count range"
        );
        // article fields (internal articles only for agents)
        send(s.post("/ticket_articles", AGENT1).json(
            &json!({"ticket_id": plain, "body": "secret route", "subject": "Routing note",
            "internal": true, "type": "note"}),
        ))
        .await;
        assert_finds(
            &s,
            q("article.subject:routing"),
            &[plain],
            "article.subject",
        )
        .await;
        assert_finds(&s, q("article.body:everywhere"), &[printer], "article.body").await;
        // article fields fold every script's case on both databases (and keep `*`)
        send(s.post("/ticket_articles", AGENT1).json(
            &json!({"ticket_id": wire, "body": "Überweisung", "subject": "ÜBERWEISUNG abgelehnt",
            "type": "note"}),
        ))
        .await;
        for query in [
            "article.subject:überweisung",
            "article.subject:Überweisung",
            "article.subject:überw*ung",
        ] {
            assert_eq!(ids(&send(q(query)).await.1), vec![wire], "{ctx}: {query}");
        }
        assert_eq!(
            ids(&send(q("article.from:anna")).await.1).len(),
            3,
            "{ctx}: article.from (the agent wrote the first articles)"
        );
        assert_finds(&s, q("article.from:nobody"), &[], "article.from").await;
        let r = send(s.get(
            &format!(
                "/tickets/search?query={}",
                urlencode("article.subject:routing")
            ),
            NICOLE,
        ))
        .await
        .1;
        assert_eq!(
            ids(&r),
            Vec::<i64>::new(),
            "{ctx}: customers do not find internal articles"
        );
        // symbols only: only what contains them
        assert_finds(&s, q("🚀"), &[printer], "emoji").await;
        assert_finds(&s, q("!!!"), &[], "symbols match nothing").await;
        // sorting by any attribute, both ways
        let mut sorted = Vec::new();
        for order in ["asc", "desc"] {
            let r = send(s.get(
                &format!("/tickets/search?query=*&sort_by=id&order_by={order}&limit=50"),
                AGENT1,
            ))
            .await
            .1;
            sorted.push(
                r["tickets"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_i64().unwrap())
                    .collect::<Vec<_>>(),
            );
        }
        let asc = sorted[0].clone();
        let mut desc = sorted[1].clone();
        desc.reverse();
        assert_eq!(asc, desc, "{ctx}: sort both ways");
        assert!(
            asc.windows(2).all(|w| w[0] < w[1]),
            "{ctx}: ascending {asc:?}"
        );
        let r = send(s.get(
            "/tickets/search?query=*&sort_by=last_contact_at&order_by=asc",
            AGENT1,
        ))
        .await;
        assert_eq!(r.0, 200, "{ctx}: last_contact_at sort");
        // readable errors
        let r = send(q("created_at:>yesterday-ish")).await;
        assert_eq!(r.0, 422, "{ctx}: {}", r.1);
        assert!(
            r.1["error_human"].as_str().unwrap().contains("now-7d"),
            "{}",
            r.1
        );
        let r = send(q("group_id:abc")).await;
        assert_eq!(r.0, 422);
        s.finish().await;
    }
}

/// Asserts the sorted ids a search request answers (`what` names the case).
async fn assert_finds(
    s: &TestServer,
    request: reqwest::RequestBuilder,
    expected: &[i64],
    what: &str,
) {
    let r = send(request).await;
    assert_eq!(ids(&r.1), expected, "{}: {what}", s.db.name);
}

fn super_ids(v: &Value) -> Vec<i64> {
    ids(v)
}

/// Issue 18's leftovers: Unicode case folding in every name comparison (field values, user and
/// organisation search) and `*` inside words, field values and numbers, on both databases.
#[tokio::test]
async fn unicode_names_and_wildcards_inside_words() {
    for s in servers().await {
        let ctx = s.db.name;
        // a group and an organisation named "Ärzte Süd", a customer with names beyond ASCII
        let r = send(s.post("/groups", ADMIN).json(&json!({"name": "Ärzte Süd"}))).await;
        assert_eq!(r.0, 201, "{ctx}: {}", r.1);
        let group = r.1["id"].as_i64().unwrap();
        let agent = send(s.get("/users/me", AGENT1)).await.1;
        let mut access = agent["group_ids"].clone();
        access[group.to_string()] = json!(["full"]);
        let r = send(
            s.put(&format!("/users/{}", agent["id"]), ADMIN)
                .json(&json!({"group_ids": access})),
        )
        .await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        let r = send(
            s.post("/organizations", ADMIN)
                .json(&json!({"name": "Ärzte Süd", "note": "Südflügel, ÖFFNUNGSZEITEN 8–12"})),
        )
        .await;
        assert_eq!(r.0, 201, "{ctx}: {}", r.1);
        let org = r.1["id"].as_i64().unwrap();
        let r = send(s.post("/users", ADMIN).json(&json!({
            "firstname": "Øyvind", "lastname": "ÆRØ", "email": "oyvind@aerzte.test",
            "organization_id": org, "roles": ["Customer"]})))
        .await;
        assert_eq!(r.0, 201, "{ctx}: {}", r.1);
        let doctor = create_ticket(
            &s,
            &json!({"title": "DRÜCKER defekt", "group_id": group,
            "customer": "oyvind@aerzte.test", "article": {"body": "Der Drucker druckt nicht."}}),
        )
        .await;
        let printer = create_ticket(
            &s,
            &json!({"title": "Printer jammed", "group": "Users", "customer": NICOLE,
            "tags": "urgent", "article": {"body": "the print queue is stuck"}}),
        )
        .await;
        let paint = create_ticket(
            &s,
            &json!({"title": "Paint order", "group": "Users", "customer": NICOLE,
            "article": {"body": "blue paint"}}),
        )
        .await;
        send(s.post("/ticket_articles", AGENT1).json(
            &json!({"ticket_id": paint, "body": "zwiebelmuster internal", "internal": true}),
        ))
        .await;
        let q = |login: &str, query: &str| {
            s.get(
                &format!("/tickets/search?query={}&limit=50", urlencode(query)),
                login,
            )
        };
        let found = |query: &'static str, want: Vec<i64>| {
            let s = &s;
            let q = &q;
            async move {
                let r = send(q(AGENT1, query)).await;
                assert_eq!(r.0, 200, "{}: {query}: {}", s.db.name, r.1);
                assert_eq!(ids(&r.1), want, "{}: {query}", s.db.name);
            }
        };

        // 1. names compared in any case, in every script
        found("group:\"ÄRZTE SÜD\"", vec![doctor]).await;
        found("group.name:\"ärzte süd\"", vec![doctor]).await;
        found("organization:\"ÄRZTE SÜD\"", vec![doctor]).await;
        found("organization.name:\"ärzte süd\"", vec![doctor]).await;
        found(
            "state:NEW AND priority:\"2 NORMAL\" AND tags:URGENT",
            vec![printer],
        )
        .await;
        found("customer.email:OYVIND@AERZTE.TEST", vec![doctor]).await;
        for query in [
            "ärzte",
            "ÄRZTE",
            "süd",
            "ÄRZTE SÜD",
            "südflügel",
            "ÖFFNUNGSZEITEN",
        ] {
            let r = send(s.get(
                &format!("/organizations/search?query={}", urlencode(query)),
                ADMIN,
            ))
            .await;
            assert_eq!(r.0, 200, "{ctx}: {query}: {}", r.1);
            let names: Vec<&str> =
                r.1.as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|o| o["name"].as_str())
                    .collect();
            assert_eq!(
                names,
                vec!["Ärzte Süd"],
                "{ctx}: organisation search {query}"
            );
        }
        for query in ["øyvind", "ØYVIND", "ærø", "Øyvind ærø", "OYVIND@"] {
            let r = send(s.get(&format!("/users/search?query={}", urlencode(query)), ADMIN)).await;
            assert_eq!(r.0, 200, "{ctx}: {query}: {}", r.1);
            let emails: Vec<&str> =
                r.1.as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|u| u["email"].as_str())
                    .collect();
            assert_eq!(
                emails,
                vec!["oyvind@aerzte.test"],
                "{ctx}: user search {query}"
            );
        }
        // a renamed organisation is found by its new name only
        let r = send(
            s.put(&format!("/organizations/{org}"), ADMIN)
                .json(&json!({"name": "Ärztehaus Nord"})),
        )
        .await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        found("organization:\"ÄRZTEHAUS NORD\"", vec![doctor]).await;
        found("organization:\"Ärzte Süd\"", vec![]).await;
        // the same name in another case is taken, also beyond ASCII
        assert_status(
            s.post("/groups", ADMIN).json(&json!({"name": "ÄRZTE SÜD"})),
            422,
            &format!("{ctx}: group names are unique in any case"),
        )
        .await;

        // 2. `*` inside words (a plain query gets Zammad's trailing `*` too: pr*nt*)
        found("pr*nt", vec![printer]).await;
        found("*rinter", vec![printer]).await;
        found("p*nt", vec![printer, paint]).await;
        found("drü*er", vec![doctor]).await;
        found("DRÜ*ER", vec![doctor]).await;
        found("title:pr*nt*", vec![printer]).await;
        found("title:DRÜ*ER", vec![doctor]).await;
        found("article.body:q*ue", vec![printer]).await;
        found("\"pr*nt\"", vec![]).await; // inside quotes `*` is literal
        // in field values and numbers
        found("group:ärz*", vec![doctor]).await;
        found("organization:ÄRZTEHAUS*", vec![doctor]).await;
        found("state:ne* AND tags:urg*", vec![printer]).await;
        found("customer.email:*@aerzte.test", vec![doctor]).await;
        let number = send(s.get(&format!("/tickets/{doctor}"), AGENT1)).await.1["number"]
            .as_str()
            .unwrap()
            .to_string();
        let head = &number[..number.len() - 2];
        let r = send(q(AGENT1, &format!("number:{head}*"))).await.1;
        assert!(ids(&r).contains(&doctor), "{ctx}: number:{head}* {r}");
        let tail = &number[3..];
        let r = send(q(AGENT1, &format!("number:*{tail}"))).await.1;
        assert_eq!(ids(&r), vec![doctor], "{ctx}: number:*{tail}");
        // internal text stays the agents'
        found("zw*muster", vec![paint]).await;
        let r = send(q(NICOLE, "zw*muster")).await.1;
        assert_eq!(
            ids(&r),
            Vec::<i64>::new(),
            "{ctx}: customers never match internal words"
        );
        // names given in another case find their record on create too
        let r = send(
            s.post("/tickets", AGENT1)
                .json(&json!({"title": "By name", "group": "ärzte süd",
            "customer": NICOLE, "article": {"body": "x"}})),
        )
        .await;
        assert_eq!(r.0, 201, "{ctx}: {}", r.1);
        assert_eq!(r.1["group_id"], group, "{ctx}");
        s.finish().await;
    }
}

/// A query the search language cannot read: the REST API answers 422 with a sentence, and the
/// web app's search page (server function `search_tickets`) shows that same sentence, sent
/// with 200 (a failed request would be a console error), instead of a parser's text.
#[tokio::test]
async fn unreadable_queries_read_the_same_in_the_api_and_the_web_app() {
    for s in servers().await {
        let ctx = s.db.name;
        for query in [
            "\"unclosed",
            "(printer",
            "printer)",
            "bogus.field:x",
            "created_at:>yesterday-ish",
            "group_id:abc",
            "created_at:[2024-01-01 2025-01-01]",
            "AND",
        ] {
            let r = send(s.get(
                &format!("/tickets/search?query={}", urlencode(query)),
                AGENT1,
            ))
            .await;
            assert_eq!(r.0, 422, "{ctx}: {query}: {}", r.1);
            let human = r.1["error_human"].as_str().unwrap().to_string();
            assert_eq!(
                app::api::search::problem_of(query).as_deref(),
                Some(human.as_str()),
                "{ctx}: {query}"
            );
            assert!(
                !human.contains("Token") && !human.contains("Expr") && human.ends_with('.'),
                "{ctx}: {query}: a sentence, not parser text: {human}"
            );
        }
        assert_eq!(
            app::api::search::problem_of("pr*nt state:(new OR open)"),
            None
        );
        s.finish().await;
    }
}
