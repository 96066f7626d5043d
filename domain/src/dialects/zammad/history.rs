//! Zammad's ticket history JSON (`GET /ticket_history/{id}`), rendered from the history rows.

use serde_json::{Map, Value, json};
use sqlx::AnyConnection;

use crate::Result;
use crate::accounts::users;
use crate::policy::access::Actor;
use crate::tickets::history;

/// `GET /ticket_history/{id}`: [`history::entries`] with their authors as Zammad's assets.
pub async fn render_history(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket_id: i64,
) -> Result<Value> {
    let rows = history::entries(conn, actor, ticket_id).await?;
    let mut user_assets = Map::new();
    let mut history = Vec::new();
    for h in &rows {
        if !user_assets.contains_key(&h.created_by_id.to_string()) {
            let user = users::find(conn, h.created_by_id).await?;
            user_assets.insert(
                h.created_by_id.to_string(),
                super::accounts::render_user_one(conn, &user, false).await?,
            );
        }
        history.push(json!({
            "id": h.id, "o_id": h.object_id, "history_type": h.history_type, "history_object": h.history_object,
            "attribute": h.attribute, "value_from": h.value_from, "value_to": h.value_to, "id_from": h.id_from,
            "id_to": h.id_to, "created_by_id": h.created_by_id, "created_at": h.created_at,
        }));
    }
    let mut assets = Map::new();
    assets.insert("User".into(), Value::Object(user_assets));
    crate::policy::fields::filter_assets(actor, &mut assets);
    Ok(json!({"history": history, "assets": assets}))
}
