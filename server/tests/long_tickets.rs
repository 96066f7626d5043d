//! Tickets with thousands of articles (monitoring alerts, long e-mail threads) on both
//! backends: the per-article search index finds each article's text (internal text only for
//! agents), a new article is indexed by itself, the ticket reads whole, and articles written
//! before the per-article index existed are indexed by the backfill.

mod common;

use common::*;
use serde_json::{Value, json};

/// Articles added to the long ticket.
const ARTICLES: i64 = 2_000;

fn search(s: &TestServer, query: &str, login: &str) -> reqwest::RequestBuilder {
    s.get("/tickets/search", login).query(&[("query", query)])
}

fn found(v: &Value) -> Vec<i64> {
    v["tickets"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
}

/// Adds `ARTICLES` articles to `ticket` in one transaction, each indexed through the search
/// index's own write function (every tenth one internal, with a word of its own).
async fn add_articles(s: &TestServer, ticket: i64, indexed: bool) {
    let mut tx = s.db.store.write().await.unwrap();
    for n in 1..=ARTICLES {
        let internal = n % 10 == 0;
        let body = if internal {
            format!("internal note {n}: escalate to vendorcode{n}")
        } else {
            format!("Alert {n}: disk usage on host db{n} is above 90 percent")
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO ticket_articles (ticket_id, type_id, sender_id, from_address, content_type, body, internal, \
             preferences, created_by_id, updated_by_id, created_at, updated_at) \
             VALUES ($1, 10, 2, 'monitor@example.test', 'text/plain', $2, $3, '{}', 3, 3, \
             '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z') RETURNING id",
        )
        .bind(ticket)
        .bind(&body)
        .bind(i64::from(internal))
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        if indexed {
            let text = domain::tickets::search_index::article_text(
                None,
                &body,
                Some("monitor@example.test"),
                None,
            );
            domain::tickets::search_index::index_article(&mut tx, id, &text)
                .await
                .unwrap();
        }
    }
    sqlx::query("UPDATE tickets SET article_count = article_count + $1 WHERE id = $2")
        .bind(ARTICLES)
        .bind(ticket)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn new_ticket(s: &TestServer, title: &str) -> (i64, String) {
    let r = send(s.post("/tickets", AGENT1).json(&json!({
        "title": title, "group": "Users", "customer": NICOLE,
        "article": {"body": "first message", "type": "phone", "sender": "Customer"}
    })))
    .await;
    assert_eq!(r.0, 201, "{}", r.1);
    (
        r.1["id"].as_i64().unwrap(),
        r.1["number"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn a_ticket_with_thousands_of_articles_is_searched_read_and_written() {
    for s in servers().await {
        let ctx = s.db.name;
        let (ticket, _) = new_ticket(&s, "Monitoring alerts").await;
        let (other, other_number) = new_ticket(&s, "Something else").await;
        add_articles(&s, ticket, true).await;

        // each article's text is found on its own, public text by the customer too
        let r = send(search(&s, "db1234", AGENT1)).await;
        assert_eq!(found(&r.1), vec![ticket], "{ctx}: a public article's word");
        let r = send(search(&s, "db1234", NICOLE)).await;
        assert_eq!(
            found(&r.1),
            vec![ticket],
            "{ctx}: the customer finds public text"
        );
        // internal text: agents only
        let r = send(search(&s, "vendorcode1230", AGENT1)).await;
        assert_eq!(
            found(&r.1),
            vec![ticket],
            "{ctx}: agents find internal text"
        );
        let r = send(search(&s, "vendorcode1230", NICOLE)).await;
        assert_eq!(found(&r.1), Vec::<i64>::new(), "{ctx}: customers never do");
        let r = send(search(&s, "article.body:vendorcode1230", NICOLE)).await;
        assert_eq!(found(&r.1), Vec::<i64>::new(), "{ctx}: not by field either");

        // a new article through the API is indexed by itself, the others stay found
        let r = send(s.post("/ticket_articles", AGENT1).json(&json!({
            "ticket_id": ticket, "body": "<p>Fixed by <b>cleanupjob77</b></p>",
            "content_type": "text/html", "internal": false
        })))
        .await;
        assert_eq!(r.0, 201, "{ctx}: {}", r.1);
        let newest = r.1["id"].as_i64().unwrap();
        let r = send(search(&s, "cleanupjob77", NICOLE)).await;
        assert_eq!(found(&r.1), vec![ticket], "{ctx}: the new article");
        let r = send(search(&s, "\"disk usage on host db17\"", AGENT1)).await;
        assert_eq!(
            found(&r.1),
            vec![ticket],
            "{ctx}: a phrase of an old article"
        );

        // flagging an article internal hides its text from customers at once (no reindexing)
        let r = send(
            s.put(&format!("/ticket_articles/{newest}"), AGENT1)
                .json(&json!({"internal": true})),
        )
        .await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        let r = send(search(&s, "cleanupjob77", NICOLE)).await;
        assert_eq!(found(&r.1), Vec::<i64>::new(), "{ctx}: now internal");
        let r = send(search(&s, "cleanupjob77", AGENT1)).await;
        assert_eq!(found(&r.1), vec![ticket], "{ctx}: agents still find it");

        // deleting an article removes its text; merging moves the others' with them
        let r = send(s.delete(&format!("/ticket_articles/{newest}"), AGENT1)).await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        let r = send(search(&s, "cleanupjob77", AGENT1)).await;
        assert_eq!(found(&r.1), Vec::<i64>::new(), "{ctx}: deleted");
        let r = send(
            s.put(&format!("/ticket_articles/{newest}"), AGENT1)
                .json(&json!({})),
        )
        .await;
        assert_eq!(r.0, 404, "{ctx}");

        // the ticket reads whole: every article, counted
        let r = send(s.get(&format!("/ticket_articles/by_ticket/{ticket}"), AGENT1)).await;
        assert_eq!(r.0, 200, "{ctx}");
        assert_eq!(
            r.1.as_array().unwrap().len() as i64,
            ARTICLES + 1,
            "{ctx}: by_ticket"
        );
        let r = send(s.get(&format!("/ticket_articles/by_ticket/{ticket}"), NICOLE)).await;
        assert_eq!(
            r.1.as_array().unwrap().len() as i64,
            ARTICLES - ARTICLES / 10 + 1,
            "{ctx}: the customer reads the public ones"
        );
        let r = send(s.get(&format!("/tickets/{ticket}?all=true"), AGENT1)).await;
        assert_eq!(
            r.1["ticket_article_ids"].as_array().unwrap().len() as i64,
            ARTICLES + 1,
            "{ctx}: zoom"
        );
        assert_eq!(
            r.1["assets"]["TicketArticle"].as_object().unwrap().len() as i64,
            ARTICLES + 1,
            "{ctx}: zoom assets"
        );
        let r = send(s.get(&format!("/tickets/{ticket}"), AGENT1)).await;
        assert_eq!(r.1["article_count"], json!(ARTICLES + 1), "{ctx}: count");

        // a merge: the source's articles are found under the target
        let r = send(s.put(&format!("/ticket_merge/{ticket}/{other_number}"), AGENT1)).await;
        assert_eq!(r.0, 200, "{ctx}: {}", r.1);
        let r = send(search(&s, "db1234", AGENT1)).await;
        assert_eq!(found(&r.1), vec![other], "{ctx}: moved with the merge");
        s.finish().await;
    }
}

#[tokio::test]
async fn articles_from_before_the_per_article_index_are_backfilled() {
    for s in servers().await {
        let ctx = s.db.name;
        let (ticket, _) = new_ticket(&s, "Old thread").await;
        add_articles(&s, ticket, false).await;
        let r = send(search(&s, "db1234", AGENT1)).await;
        assert_eq!(found(&r.1), Vec::<i64>::new(), "{ctx}: not indexed yet");
        // what migration 0016 leaves when it finds articles
        support::execute(
            &s.db.store,
            "INSERT INTO search_backfill (next_id, end_id) SELECT MIN(id), MAX(id) FROM ticket_articles",
        )
        .await;
        let desk = domain::desk::Desk::new(s.db.store.clone(), s.files.clone());
        let batches = desk.backfill_search_index().await.unwrap();
        assert!(batches >= 4, "{ctx}: in batches ({batches})");
        assert_eq!(
            desk.backfill_search_index().await.unwrap(),
            0,
            "{ctx}: done"
        );
        let r = send(search(&s, "db1234", NICOLE)).await;
        assert_eq!(found(&r.1), vec![ticket], "{ctx}: backfilled");
        let r = send(search(&s, "vendorcode1230", NICOLE)).await;
        assert_eq!(
            found(&r.1),
            Vec::<i64>::new(),
            "{ctx}: internal stays hidden"
        );
        let r = send(search(&s, "first message", AGENT1)).await;
        assert_eq!(
            found(&r.1),
            vec![ticket],
            "{ctx}: indexed twice is harmless"
        );
        s.finish().await;
    }
}
