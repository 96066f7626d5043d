mod common;
use common::*;
use serde_json::json;

#[tokio::test]
async fn count_statements() {
    let s = start(support::sqlite().await, 1 << 20).await;
    for _ in 0..2 {
        create_ticket(
            &s,
            &json!({"title": "t", "group": "Users", "customer": NICOLE, "article": {"body": "x"}}),
        )
        .await;
    }
    let sub = tracing_subscriber::fmt()
        .with_env_filter("sqlx::query=debug")
        .with_writer(std::io::stderr)
        .finish();
    tracing::subscriber::set_global_default(sub).unwrap();
    eprintln!("=== START");
    create_ticket(&s, &json!({"title": "benchmark ticket", "group": "Users", "customer": NICOLE, "article": {"body": "benchmark first article", "internal": false}})).await;
    eprintln!("=== END");
    s.finish().await;
}
