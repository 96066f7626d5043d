//! Notification server functions: the top bar's bell (the caller's online notifications) and
//! the profile's notification settings (`users.preferences.notification_config.matrix`).
//! Agents only; they call `domain::desk::notify` and `domain::accounts::users`, as the REST API
//! does.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[allow(unused_imports)]
use super::codec::JsonText;
#[allow(unused_imports)]
use leptos::server_fn::codec::Json;

/// One notification of the bell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BellItem {
    pub id: i64,
    /// The ticket.
    pub o_id: i64,
    /// `create`, `update`, `assign` or `mention`.
    pub reason: String,
    pub seen: bool,
    pub ticket_number: String,
    pub ticket_title: String,
    pub created_at: String,
}

impl BellItem {
    /// What happened, in words.
    pub fn headline(&self) -> &'static str {
        reason_label(&self.reason)
    }
}

/// The notification events, in the order the settings show them: key and label.
pub const EVENTS: [(&str, &str); 4] = [
    ("create", "New ticket"),
    ("update", "Customer reply"),
    ("assign", "Assigned to you"),
    ("mention", "Mentioned you"),
];

pub fn reason_label(reason: &str) -> &'static str {
    EVENTS
        .iter()
        .find(|(key, _)| *key == reason)
        .map_or("Ticket changed", |(_, label)| label)
}

/// Where one event is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Channels {
    /// The bell.
    pub online: bool,
    pub email: bool,
}

impl Default for Channels {
    fn default() -> Self {
        Channels {
            online: true,
            email: true,
        }
    }
}

/// The caller's notification settings: the four events × two channels (nothing else).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationSettings {
    pub create: Channels,
    pub update: Channels,
    pub assign: Channels,
    pub mention: Channels,
}

impl NotificationSettings {
    pub fn get(&self, key: &str) -> Option<Channels> {
        match key {
            "create" => Some(self.create),
            "update" => Some(self.update),
            "assign" => Some(self.assign),
            "mention" => Some(self.mention),
            _ => None,
        }
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Channels> {
        match key {
            "create" => Some(&mut self.create),
            "update" => Some(&mut self.update),
            "assign" => Some(&mut self.assign),
            "mention" => Some(&mut self.mention),
            _ => None,
        }
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use serde_json::{Map, Value, json};

    use super::{BellItem, EVENTS, NotificationSettings};

    pub fn item(n: &domain::desk::notify::OnlineNotification) -> BellItem {
        BellItem {
            id: n.id,
            o_id: n.ticket_id,
            reason: n.reason.clone(),
            seen: n.seen,
            ticket_number: n.ticket_number.clone().unwrap_or_default(),
            ticket_title: n.ticket_title.clone().unwrap_or_default(),
            created_at: n.created_at.clone(),
        }
    }

    /// The settings as stored preferences read them (missing = on).
    pub fn read(preferences: &str) -> NotificationSettings {
        let mut out = NotificationSettings::default();
        for (key, _) in EVENTS {
            if let Some(c) = out.get_mut(key) {
                c.online = domain::desk::notify::wants(preferences, key, "online");
                c.email = domain::desk::notify::wants(preferences, key, "email");
            }
        }
        out
    }

    /// The new `notification_config` preference: the stored one (other keys kept) with the
    /// matrix's four events set.
    pub fn merged(preferences: &str, settings: &NotificationSettings) -> Value {
        let stored: Value = serde_json::from_str(preferences).unwrap_or_else(|_| json!({}));
        let mut config = match stored.get("notification_config") {
            Some(Value::Object(c)) => c.clone(),
            _ => Map::new(),
        };
        let mut matrix = match config.get("matrix") {
            Some(Value::Object(m)) => m.clone(),
            _ => Map::new(),
        };
        for (key, _) in EVENTS {
            let Some(c) = settings.get(key) else { continue };
            let mut event = match matrix.get(key) {
                Some(Value::Object(e)) => e.clone(),
                _ => Map::new(),
            };
            let mut channel = match event.get("channel") {
                Some(Value::Object(ch)) => ch.clone(),
                _ => Map::new(),
            };
            channel.insert("online".into(), json!(c.online));
            channel.insert("email".into(), json!(c.email));
            event.insert("channel".into(), Value::Object(channel));
            matrix.insert(key.into(), Value::Object(event));
        }
        config.insert("matrix".into(), Value::Object(matrix));
        Value::Object(config)
    }
}

/// Agents: the caller's notifications, newest first.
#[server(output = JsonText)]
pub async fn my_notifications() -> Result<Vec<BellItem>, ServerFnError> {
    use crate::session::server::{actor, context, fail};
    let actor = agent(actor().await?).await?;
    let ctx = context()?;
    let result = async {
        let mut conn = ctx.store.read().await?;
        domain::desk::notify::online_index(&mut conn, &actor).await
    }
    .await;
    match result {
        Ok(items) => Ok(items.iter().map(ssr::item).collect()),
        Err(e) => Err(fail(e).await),
    }
}

/// Agents: marks one of the caller's notifications read.
#[server]
pub async fn mark_notification_read(id: i64) -> Result<(), ServerFnError> {
    use crate::session::server::{actor, context, fail};
    let actor = agent(actor().await?).await?;
    let ctx = context()?;
    match ctx.desk.mark_notification(&actor, id, true).await {
        Ok(()) => Ok(()),
        Err(e) => Err(fail(e).await),
    }
}

/// Agents: marks every notification of the caller read.
#[server]
pub async fn mark_all_notifications_read() -> Result<(), ServerFnError> {
    use crate::session::server::{actor, context, fail};
    let actor = agent(actor().await?).await?;
    let ctx = context()?;
    match ctx.desk.mark_all_notifications(&actor).await {
        Ok(()) => Ok(()),
        Err(e) => Err(fail(e).await),
    }
}

/// The caller's notification settings; `None` for customers (they get no notifications).
#[server(output = JsonText)]
pub async fn my_notification_settings() -> Result<Option<NotificationSettings>, ServerFnError> {
    use crate::session::server::{actor, context, fail};
    let actor = actor().await?;
    if !actor.is_agent() {
        return Ok(None);
    }
    let ctx = context()?;
    let result = async {
        let mut conn = ctx.store.read().await?;
        domain::accounts::users::find(&mut conn, actor.id).await
    }
    .await;
    match result {
        Ok(user) => Ok(Some(ssr::read(&user.preferences))),
        Err(e) => Err(fail(e).await),
    }
}

/// Agents: saves the caller's notification settings (the four events × two channels; the
/// rest of `notification_config` and of the preferences stays). Answers what is stored now.
#[server(input = Json, output = JsonText)]
pub async fn save_notification_settings(
    settings: NotificationSettings,
) -> Result<NotificationSettings, ServerFnError> {
    use crate::session::server::{actor, context, fail};
    use domain::accounts::users;
    let actor = agent(actor().await?).await?;
    let ctx = context()?;
    let result =
        users::update_user_from(&ctx.store, &actor, actor.id, |current| users::UserParams {
            preferences: Some(serde_json::Map::from_iter([(
                "notification_config".to_string(),
                ssr::merged(&current.preferences, &settings),
            )])),
            ..Default::default()
        })
        .await
        .map(|saved| ssr::read(&saved.user.preferences));
    match result {
        Ok(stored) => Ok(stored),
        Err(e) => Err(fail(e).await),
    }
}

/// Notifications are the agents' (customers get none): 403 for anyone else.
#[cfg(feature = "ssr")]
async fn agent(actor: domain::Actor) -> Result<domain::Actor, ServerFnError> {
    if actor.is_agent() {
        Ok(actor)
    } else {
        Err(crate::session::server::fail(domain::Error::Forbidden("Not authorized".into())).await)
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use serde_json::json;

    use super::ssr::{merged, read};
    use super::*;

    #[test]
    fn settings_read_missing_as_on() {
        let prefs = r#"{"notification_config":{"matrix":{"create":{"channel":{"email":false,"online":true}}}}}"#;
        let s = read(prefs);
        assert!(!s.create.email && s.create.online);
        assert_eq!(s.mention, Channels::default());
        assert_eq!(read("{}"), NotificationSettings::default());
        assert_eq!(read("not json"), NotificationSettings::default());
    }

    #[test]
    fn saving_keeps_the_rest_of_the_config() {
        let prefs = json!({
            "locale": "de-de",
            "notification_config": {
                "group_ids": ["1"],
                "matrix": {"create": {"criteria": {"owned_by_me": true}, "channel": {"email": true, "online": true}}}
            }
        })
        .to_string();
        let mut settings = NotificationSettings::default();
        settings.create.email = false;
        settings.mention.online = false;
        let config = merged(&prefs, &settings);
        assert_eq!(config["group_ids"], json!(["1"]));
        assert_eq!(
            config["matrix"]["create"],
            json!({"criteria": {"owned_by_me": true}, "channel": {"email": false, "online": true}})
        );
        assert_eq!(
            config["matrix"]["mention"]["channel"],
            json!({"email": true, "online": false})
        );
        let stored = json!({"notification_config": config}).to_string();
        assert_eq!(read(&stored), settings);
    }

    #[test]
    fn only_the_four_events_and_two_channels_are_accepted() {
        let ok = json!({"create": {"online": true, "email": false}, "update": {"online": true, "email": true},
            "assign": {"online": false, "email": true}, "mention": {"online": true, "email": true}});
        assert!(serde_json::from_value::<NotificationSettings>(ok.clone()).is_ok());
        let mut extra_event = ok.clone();
        extra_event["escalation"] = json!({"online": true, "email": true});
        assert!(serde_json::from_value::<NotificationSettings>(extra_event).is_err());
        let mut extra_channel = ok.clone();
        extra_channel["create"]["sms"] = json!(true);
        assert!(serde_json::from_value::<NotificationSettings>(extra_channel).is_err());
        let mut missing = ok;
        missing.as_object_mut().map(|o| o.remove("mention"));
        assert!(serde_json::from_value::<NotificationSettings>(missing).is_err());
        assert!(
            serde_json::from_value::<NotificationSettings>(
                json!({"create": {"online": "yes", "email": true}})
            )
            .is_err()
        );
    }

    #[test]
    fn reasons_read_as_words() {
        assert_eq!(reason_label("create"), "New ticket");
        assert_eq!(reason_label("update"), "Customer reply");
        assert_eq!(reason_label("assign"), "Assigned to you");
        assert_eq!(reason_label("mention"), "Mentioned you");
    }
}
