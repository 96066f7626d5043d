//! New tickets' numbers (Zammad's `Ticket::Number::Increment`): the system id, then the
//! counter zero-padded to the setting `ticket_number_increment.min_size` characters in all. On
//! SQLite the number is made inside the ticket's insert (`tickets::insert_resolved`), on
//! PostgreSQL from its sequence in Rust (`tickets::NumberFormat::number`): both must give
//! the same numbers, checked here on both databases.

mod support;

use domain::desk::Desk;
use domain::dialects::zammad::requests::ticket_changes;
use domain::policy::access::load_actor;
use domain::search::{self, SearchRequest};
use domain::storage::files::FileStore;
use domain::tickets::NumberFormat;
use serde_json::json;

#[test]
fn a_number_is_the_system_id_and_the_padded_counter() {
    let format = |system_id, min_size| NumberFormat {
        system_id,
        min_size,
    };
    assert_eq!(format(31, 5).number(7), "31007");
    assert_eq!(format(31, 5).number(1234), "311234", "never cut");
    assert_eq!(
        format(31, 2).number(7),
        "317",
        "no padding below the prefix"
    );
    assert_eq!(format(10, 10).number(42), "1000000042");
}

#[tokio::test]
async fn new_tickets_are_numbered_as_the_settings_say_on_both_databases() {
    for db in support::backends().await {
        let ctx = db.name;
        let files = FileStore::new(
            std::env::temp_dir().join(format!("tandem-numbers-{}", std::process::id())),
        );
        let desk = Desk::new(db.store.clone(), files.clone());
        let mut tx = db.store.write().await.unwrap();
        let ids = support::demo_accounts(&mut tx).await; // system id 31
        tx.commit().await.unwrap();
        let mut conn = db.store.read().await.unwrap();
        let anna = load_actor(&mut conn, ids.agent1, None).await.unwrap();
        drop(conn);
        let mut last_counter = None;
        // `None`: the setting removed (5 characters)
        for min_size in [Some(8), Some(2), None, Some(12)] {
            let mut tx = db.store.write().await.unwrap();
            sqlx::query("DELETE FROM settings WHERE name = 'ticket_number_increment'")
                .execute(&mut *tx)
                .await
                .unwrap();
            if let Some(min_size) = min_size {
                sqlx::query(
                    "INSERT INTO settings (name, value) VALUES ('ticket_number_increment', $1)",
                )
                .bind(json!({"checksum": false, "min_size": min_size}).to_string())
                .execute(&mut *tx)
                .await
                .unwrap();
            }
            tx.commit().await.unwrap();
            let expected_format = NumberFormat {
                system_id: 31,
                min_size: min_size.unwrap_or(5),
            };
            for _ in 0..2 {
                let ticket = desk
                    .create_ticket(
                        &anna,
                        ticket_changes(json!({
                            "title": "Numbered", "group": "Users",
                            "customer": "nicole@customer.test",
                            "article": {"body": "Counted.", "type": "note"}}))
                        .unwrap(),
                    )
                    .await
                    .unwrap()
                    .ticket;
                let counter: i64 = ticket.number["31".len()..].parse().unwrap();
                assert_eq!(
                    ticket.number,
                    expected_format.number(counter),
                    "{ctx}: min_size {min_size:?}"
                );
                if let Some(last) = last_counter {
                    assert_eq!(counter, last + 1, "{ctx}: the counter counts on");
                }
                last_counter = Some(counter);
                // the number is what the search index holds
                let request = SearchRequest {
                    query: ticket.number.clone(),
                    ..Default::default()
                };
                let (found, _) = search::search_in(&db.store, &anna, &request).await.unwrap();
                let found: Vec<i64> = found.iter().map(|t| t.id).collect();
                assert_eq!(found, vec![ticket.id], "{ctx}: found by its number");
            }
        }
        db.finish().await;
    }
}
