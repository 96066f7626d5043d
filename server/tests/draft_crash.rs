//! `kill -9` of the real `tandem` process while an agent types into a live draft: after a
//! restart the editor reconnects and every keystroke the server had acknowledged (`saved`)
//! is still there (SQLite and PostgreSQL).

mod common;

use common::process;

use common::live::LiveEditor;
use process::{Tandem, first_ticket, shared_draft};

const LOGIN: &str = "agent1@tandem.test";

#[tokio::test]
async fn acknowledged_keystrokes_survive_kill_9() {
    for db in common::support::backends().await {
        let ctx = db.name;
        let url = db.url.clone();
        db.store.close().await;
        let files = std::env::temp_dir().join(format!("tandem-crash-files-{}", std::process::id()));
        let mut tandem = Tandem::start(&url, &files).await;
        let ticket = first_ticket(&tandem.base, LOGIN).await;

        let mut anna = LiveEditor::open(&tandem.base, ticket, LOGIN).await;
        assert!(
            anna.until(|c| c.last_control("hello").is_some()).await,
            "{ctx}"
        );
        // type, one keystroke per message; a flush stores a snapshot
        anna.type_keystrokes("Acknowledged ").await;
        assert!(anna.flush().await, "{ctx}: flush answered");
        // more keystrokes, acknowledged by the batched update log (no snapshot yet)
        anna.type_keystrokes("text ").await;
        anna.drain(300).await; // every `saved` of the writes so far
        let snapshot_rev = anna.client.last_control("saved").unwrap()["rev"]
            .as_i64()
            .unwrap();
        assert!(
            anna.until(|c| c.last_control("saved").unwrap()["rev"].as_i64() > Some(snapshot_rev))
                .await,
            "{ctx}: the update log write is announced"
        );
        let acknowledged = anna.client.block_text(0);
        assert_eq!(acknowledged, "Acknowledged text", "{ctx}");
        // keep typing (not yet confirmed) and pull the plug mid-stream
        anna.type_keystrokes("and more").await;
        tandem.kill(); // SIGKILL: no shutdown, no final snapshot

        let mut tandem = Tandem::start_on(&url, tandem.port, &files).await;
        // REST, before any editor is back: the logged updates count, not just the snapshot
        let (draft, body) = shared_draft(&tandem.base, ticket, LOGIN).await;
        assert!(
            body.contains(&acknowledged),
            "{ctx}: REST after the crash: {draft}"
        );
        let mut fresh = LiveEditor::open(&tandem.base, ticket, LOGIN).await;
        let kept = fresh
            .until(|c| c.block_text(0).starts_with(&acknowledged))
            .await;
        assert!(
            kept,
            "{ctx}: after the restart the draft holds {:?}",
            fresh.client.block_text(0)
        );
        // the editor reconnects (same document, same epoch) and resends its state, as a
        // provider does: its unconfirmed keystrokes merge in once, nothing is duplicated
        let mut again = LiveEditor::open(&tandem.base, ticket, LOGIN).await;
        again.send(anna.client.full_update()).await;
        assert!(
            fresh
                .until(|c| c.block_text(0) == "Acknowledged text and more")
                .await,
            "{ctx}: {:?}",
            fresh.client.block_text(0)
        );
        tandem.kill();
        let _ = std::fs::remove_dir_all(&files);
        db.finish().await;
    }
}
