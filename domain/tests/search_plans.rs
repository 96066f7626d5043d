//! Full-text search chooses between two plans (see `domain::search::search`): the newest
//! tickets probed one by one, or the matches read from the text index. Whatever it chooses,
//! the answer must be the same, on both databases. With small thresholds, a few hundred
//! tickets take every path: common and rare words, phrases, words with other conditions,
//! later pages.

mod support;

use domain::search::{SearchRequest, Thresholds, search_with};
use domain::storage::paging::Page;

const TICKETS: i64 = 400;

/// Tickets with text from a small vocabulary, `updated_at` not in id order, and an index
/// entry each, written directly in SQL like the benchmark's seed.
async fn seed(db: &support::TestDb) -> domain::Actor {
    let mut tx = db.store.write().await.unwrap();
    let accounts = support::demo_accounts(&mut tx).await;
    for n in 1..=TICKETS {
        let title = match n % 5 {
            0 => "Printer jammed",
            1 => "Invoice question",
            2 => "Cannot log in",
            3 => "Delivery delayed",
            _ => "Feature request",
        };
        let body = match n % 7 {
            0 => "the printer shows an error",
            1..=3 => "please reset my password, the printer is fine",
            4 => "rare zebra sighting",
            _ => "the parcel is late",
        };
        // 97 is coprime to TICKETS: every ticket a different minute, shuffled against ids.
        let minute = (n * 97) % TICKETS;
        let updated_at = format!(
            "2026-01-{:02}T{:02}:{:02}:00.000Z",
            1 + minute / 1440,
            minute / 60 % 24,
            minute % 60
        );
        sqlx::query(
            "INSERT INTO tickets (id, number, title, group_id, priority_id, state_id, owner_id, customer_id, \
             article_count, preferences, created_by_id, updated_by_id, created_at, updated_at) \
             VALUES ($1, $2, $3, 1, 2, $4, 1, $5, 0, '{}', 1, 1, '2026-01-01T00:00:00.000Z', $6)",
        )
        .bind(n)
        .bind(format!("31{n:05}"))
        .bind(format!("{title} #{n}"))
        .bind(if n % 3 == 0 { 4 } else { 2 })
        .bind(if n % 4 == 0 { accounts.nicole } else { accounts.agent1 })
        .bind(updated_at)
        .execute(&mut *tx)
        .await
        .unwrap();
        let ticket_row = if db.name == "sqlite" {
            "INSERT INTO ticket_fts (rowid, number, title) VALUES ($1, $2, $3)"
        } else {
            "INSERT INTO ticket_search (ticket_id, number, title) VALUES ($1, $2, $3)"
        };
        sqlx::query(ticket_row)
            .bind(n)
            .bind(format!("31{n:05}"))
            .bind(format!("{title} #{n}"))
            .execute(&mut *tx)
            .await
            .unwrap();
        insert_article(&mut tx, db.name, n, n, body, false).await;
    }
    tx.commit().await.unwrap();
    let mut conn = db.store.read().await.unwrap();
    domain::policy::access::load_actor(&mut conn, accounts.agent1, None)
        .await
        .unwrap()
}

/// An article (an agent's internal note or a customer's public one) and its index row,
/// written directly in SQL like the benchmark's seed.
async fn insert_article(
    tx: &mut domain::storage::store::WriteTx,
    db_name: &str,
    id: i64,
    ticket_id: i64,
    body: &str,
    internal: bool,
) {
    sqlx::query(
        "INSERT INTO ticket_articles (id, ticket_id, type_id, sender_id, content_type, body, internal, \
         preferences, created_by_id, updated_by_id, created_at, updated_at) \
         VALUES ($1, $2, 10, $3, 'text/plain', $4, $5, '{}', 1, 1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
    )
    .bind(id)
    .bind(ticket_id)
    .bind(if internal { 1i64 } else { 2 })
    .bind(body)
    .bind(i64::from(internal))
    .execute(&mut **tx)
    .await
    .unwrap();
    let index_row = if db_name == "sqlite" {
        "INSERT INTO article_fts (rowid, text) VALUES ($1, $2)"
    } else {
        "INSERT INTO article_search (article_id, tsv) VALUES ($1, to_tsvector('simple', $2))"
    };
    sqlx::query(index_row)
        .bind(id)
        .bind(body)
        .execute(&mut **tx)
        .await
        .unwrap();
}

async fn ids(
    db: &support::TestDb,
    actor: &domain::Actor,
    query: &str,
    page: i64,
    thresholds: Thresholds,
) -> Vec<i64> {
    let mut conn = db.store.read().await.unwrap();
    let request = SearchRequest {
        query: query.into(),
        page: Page { page, per_page: 10 },
        ..Default::default()
    };
    let (rows, _) = search_with(&mut conn, actor, &request, thresholds)
        .await
        .unwrap();
    rows.iter().map(|t| t.id).collect()
}

#[tokio::test]
async fn both_plans_give_the_same_answers() {
    let mut dbs = vec![support::sqlite().await];
    if let Some(url) = support::postgres_url() {
        dbs.push(support::postgres(&url).await);
    }
    // Never probing: the index-driven plan, the reference.
    let index_only = Thresholds {
        probe_window: 50,
        common_text: i64::MAX,
        ..Thresholds::default()
    };
    // Probing the newest 50 tickets when text matches 20 or more.
    let probing = Thresholds {
        probe_window: 50,
        common_text: 20,
        ..Thresholds::default()
    };
    for db in &dbs {
        let actor = seed(db).await;
        for query in [
            "printer",                                     // common: a page within the window
            "password",                                    // common
            "\"reset my password\"",                       // common phrase
            "printer state.name:open",                     // common word, other condition
            "printer customer.email:nicole@customer.test", // common word, rarer with the condition
            "zebra",                                       // rare: the index-driven plan
            "printer -password",                           // common word, negated word
            "printer OR zebra",                            // no required word: one plan
            "nothing-like-this",                           // no match
        ] {
            for page in 1..=4 {
                let reference = ids(db, &actor, query, page, index_only).await;
                let answer = ids(db, &actor, query, page, probing).await;
                assert_eq!(answer, reference, "{}: {query:?} page {page}", db.name);
                if page == 1 && query != "nothing-like-this" {
                    assert_eq!(reference.len(), 10, "{}: {query:?} finds a page", db.name);
                }
            }
        }
        // newest first
        let first = ids(db, &actor, "printer", 1, probing).await;
        let mut conn = db.store.read().await.unwrap();
        let mut last = String::from("9999");
        for id in first {
            let updated: String =
                sqlx::query_scalar("SELECT updated_at FROM tickets WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *conn)
                    .await
                    .unwrap();
            assert!(updated <= last, "{}: newest first", db.name);
            last = updated;
        }
    }
    for db in dbs {
        db.finish().await;
    }
}

/// Totals: exact up to the limit on every plan, the limit beyond it (Zammad's Elasticsearch
/// counts so); the same figures whichever plan counts them.
#[tokio::test]
async fn totals_are_exact_up_to_the_limit() {
    let mut dbs = vec![support::sqlite().await];
    if let Some(url) = support::postgres_url() {
        dbs.push(support::postgres(&url).await);
    }
    for db in &dbs {
        let actor = seed(db).await;
        let total = |query: &'static str, thresholds: Thresholds| {
            let actor = actor.clone();
            async move {
                let mut conn = db.store.read().await.unwrap();
                let request = SearchRequest {
                    query: query.into(),
                    page: Page {
                        page: 1,
                        per_page: 10,
                    },
                    want_total: true,
                    ..Default::default()
                };
                search_with(&mut conn, &actor, &request, thresholds)
                    .await
                    .unwrap()
                    .1
            }
        };
        let exact = Thresholds {
            common_text: i64::MAX,
            total_limit: i64::MAX,
            ..Thresholds::default()
        };
        // the ground truth in SQL: n % 7 == 4 holds the rare word (see `seed`)
        let zebras = (1..=TICKETS).filter(|n| n % 7 == 4).count() as i64;
        let printers = (1..=TICKETS)
            .filter(|n| n % 7 != 4 && n % 7 != 5 && n % 7 != 6)
            .count() as i64
            + (1..=TICKETS)
                .filter(|n| n % 5 == 0 && matches!(n % 7, 4..=6))
                .count() as i64;
        assert_eq!(total("zebra", exact).await, zebras, "{}: exact", db.name);
        assert_eq!(
            total("printer", exact).await,
            printers,
            "{}: exact",
            db.name
        );
        for common_text in [i64::MAX, 20] {
            let capped = Thresholds {
                common_text,
                probe_window: 50,
                total_limit: 40,
            };
            assert_eq!(total("printer", capped).await, 40, "{}: capped", db.name);
            assert_eq!(
                total("zebra", capped).await,
                zebras.min(40),
                "{}: under the cap",
                db.name
            );
            assert_eq!(total("nothing-like-this", capped).await, 0, "{}", db.name);
        }
    }
    for db in dbs {
        db.finish().await;
    }
}

/// A total counted from the index (a text every match must contain drives it: the tickets
/// holding the text are read from the indexes until the limit) agrees with the tickets the
/// search lists, for an agent and for a customer (internal articles count for agents only),
/// with other conditions, negations, phrases and prefixes; capped, it is the limit.
#[tokio::test]
async fn totals_agree_with_the_listed_matches() {
    let mut dbs = vec![support::sqlite().await];
    if let Some(url) = support::postgres_url() {
        dbs.push(support::postgres(&url).await);
    }
    for db in &dbs {
        let agent = seed(db).await;
        // internal notes: a word only they hold, and the common word on tickets whose
        // public text lacks it (n % 7 in 4..=6, see `seed`)
        let mut tx = db.store.write().await.unwrap();
        for n in (1..=TICKETS).filter(|n| n % 11 == 0) {
            insert_article(
                &mut tx,
                db.name,
                TICKETS + n,
                n,
                "kiwi memo: the printer again",
                true,
            )
            .await;
        }
        // a word many articles of a few tickets hold: more matches than twice the cap, from
        // fewer tickets than the cap, the last ticket's after the first 14 (PostgreSQL's
        // streamed count must then ask the whole set)
        for (n, articles) in [(3, 8), (4, 8), (5, 1)] {
            for k in 0..articles {
                insert_article(
                    &mut tx,
                    db.name,
                    3 * TICKETS + n * 10 + k,
                    n,
                    "plum again",
                    false,
                )
                .await;
            }
        }
        tx.commit().await.unwrap();
        let customer = {
            let mut conn = db.store.read().await.unwrap();
            let id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE login = $1")
                .bind("nicole@customer.test")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            domain::policy::access::load_actor(&mut conn, id, None)
                .await
                .unwrap()
        };
        let search = |actor: domain::Actor, query: &'static str, total_limit: i64| async move {
            let mut conn = db.store.read().await.unwrap();
            let request = SearchRequest {
                query: query.into(),
                page: Page {
                    page: 1,
                    per_page: 1_000,
                },
                want_total: true,
                ..Default::default()
            };
            let thresholds = Thresholds {
                total_limit,
                ..Thresholds::default()
            };
            let (rows, total) = search_with(&mut conn, &actor, &request, thresholds)
                .await
                .unwrap();
            (rows.len() as i64, total)
        };
        for (who, actor) in [("agent", &agent), ("customer", &customer)] {
            for query in [
                "printer",
                "kiwi",
                "memo",
                "jammed",
                "print*",
                "\"printer shows\"",
                "printer state.name:open",
                "printer -password",
                "printer kiwi",
                "state.name:open printer",
                "kiwi OR zebra",
                "plum",
                "plum printer",
                "nothing-like-this",
            ] {
                let (listed, total) = search(actor.clone(), query, i64::MAX).await;
                assert_eq!(total, listed, "{} {who}: {query:?}", db.name);
                let (_, capped) = search(actor.clone(), query, 7).await;
                assert_eq!(capped, listed.min(7), "{} {who}: {query:?} capped", db.name);
            }
            if who == "agent" {
                assert_eq!(
                    search(actor.clone(), "plum", 7).await.1,
                    3,
                    "{}: plum",
                    db.name
                );
            }
            let (kiwis, _) = search(actor.clone(), "kiwi", i64::MAX).await;
            match who {
                "agent" => assert_eq!(kiwis, TICKETS / 11, "{}: internal notes", db.name),
                _ => assert_eq!(kiwis, 0, "{}: internal notes hidden", db.name),
            }
        }
    }
    for db in dbs {
        db.finish().await;
    }
}
