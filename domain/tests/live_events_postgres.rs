//! Live events between app instances through PostgreSQL LISTEN/NOTIFY: what one instance
//! publishes reaches the other's tabs; who views a ticket stays per instance. (PostgreSQL only:
//! with SQLite there is one instance.)

mod support;

use std::sync::Arc;
use std::time::Duration;

use domain::live::events::{Audience, Bus, Event, Viewer};

fn audience() -> Audience {
    Audience {
        group_id: 1,
        customer_id: 2,
        organization_id: None,
    }
}

#[tokio::test]
async fn ticket_events_reach_the_other_instance() {
    let Some(db) = support::postgres_if_configured().await else {
        return;
    };
    let first = Arc::new(Bus::new());
    let second = Arc::new(Bus::new());
    first.listen_postgres(&db.store).await.unwrap();
    second.listen_postgres(&db.store).await.unwrap();
    let mut on_second = second.subscribe();
    let mut on_first = first.subscribe();

    let changed = Event::TicketChanged {
        ticket_id: 7,
        audience: audience(),
        before: None,
        customer_visible: false,
    };
    first.publish(changed.clone());
    // the publisher's own tabs hear it at once, exactly once
    assert_eq!(on_first.recv().await.unwrap(), changed);
    let arrived = tokio::time::timeout(Duration::from_secs(5), on_second.recv())
        .await
        .expect("the other instance heard nothing")
        .unwrap();
    assert_eq!(arrived, changed);

    // viewers travel as the viewing instance's list (merged on the other side), and the
    // deletion follows
    first.view(
        1,
        7,
        audience(),
        Viewer {
            user_id: 3,
            name: "Anna".into(),
            typing: false,
        },
    );
    let deleted = Event::TicketDeleted {
        ticket_id: 7,
        audience: audience(),
    };
    first.publish(deleted.clone());
    let mut heard = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !(heard.contains(&deleted)
        && heard.iter().any(|e| matches!(e, Event::Viewers { viewers, .. } if viewers.iter().any(|v| v.name == "Anna"))))
    {
        let next = tokio::time::timeout_at(deadline, on_second.recv())
            .await
            .unwrap_or_else(|_| panic!("the other instance heard only {heard:?}"))
            .unwrap();
        heard.push(next);
    }
    assert_eq!(
        second.viewers(7).map(|(_, v)| v.len()),
        Some(1),
        "the other instance counts Anna among the viewers"
    );
    // and the publisher did not receive its own notification back
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut own = Vec::new();
    while let Ok(e) = on_first.try_recv() {
        own.push(e);
    }
    assert_eq!(own.iter().filter(|e| **e == deleted).count(), 1, "{own:?}");
    db.finish().await;
}
