//! The settings an operator changes in the admin area: the password policy and the ticket
//! hook (the number prefix in e-mail subjects). The system id is shown, never changed here
//! (it is chosen at first start, `TANDEM_SYSTEM_ID`, and is part of every ticket number).

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::AnyConnection;

use crate::accounts::passwords::PasswordPolicy;
use crate::policy::access::Actor;
use crate::storage::settings;
use crate::{Error, Result, Store, policy};

/// Shortest and longest password minimum an operator may choose.
pub const MIN_SIZE_RANGE: std::ops::RangeInclusive<usize> = 6..=128;
/// The longest ticket hook (Zammad's default is `Ticket#`).
pub const HOOK_MAX: usize = 20;

/// The operator's settings as the admin area shows and changes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorSettings {
    pub password_min_size: usize,
    pub password_need_mixed_case: bool,
    pub password_need_digit: bool,
    pub password_need_special: bool,
    pub ticket_hook: String,
    /// Read-only: the ticket number prefix.
    pub system_id: i64,
}

/// The settings in force; admins only.
pub async fn load(conn: &mut AnyConnection, actor: &Actor) -> Result<OperatorSettings> {
    if !policy::can_manage_settings(actor) {
        return Err(Error::not_authorized());
    }
    let policy = PasswordPolicy::load(conn).await?;
    Ok(OperatorSettings {
        password_min_size: policy.min_size,
        password_need_mixed_case: policy.need_mixed_case,
        password_need_digit: policy.need_digit,
        password_need_special: policy.need_special,
        // the hook in force, as mail reads it (an empty setting means the default)
        ticket_hook: crate::mail::threading::subject_rules(conn).await?.hook,
        system_id: settings::get::<i64>(conn, "system_id")
            .await?
            .unwrap_or_default(),
    })
}

/// Stores the changeable settings in one write transaction (the system id is ignored); 422
/// for a value out of range. Returns the settings now in force.
pub async fn save(
    store: &Store,
    actor: &Actor,
    wanted: &OperatorSettings,
) -> Result<OperatorSettings> {
    if !policy::can_manage_settings(actor) {
        return Err(Error::not_authorized());
    }
    if !MIN_SIZE_RANGE.contains(&wanted.password_min_size) {
        return Err(Error::unprocessable(format!(
            "The minimum password length must be between {} and {}.",
            MIN_SIZE_RANGE.start(),
            MIN_SIZE_RANGE.end()
        )));
    }
    let hook = wanted.ticket_hook.trim();
    if hook.is_empty() || hook.chars().count() > HOOK_MAX || hook.chars().any(char::is_whitespace) {
        return Err(Error::unprocessable(format!(
            "The ticket hook must be 1 to {HOOK_MAX} characters without spaces."
        )));
    }
    let mut tx = store.write().await?;
    let values = [
        ("password_min_size", json!(wanted.password_min_size)),
        (
            "password_min_2_lower_2_upper_characters",
            json!(wanted.password_need_mixed_case),
        ),
        ("password_need_digit", json!(wanted.password_need_digit)),
        (
            "password_need_special_character",
            json!(wanted.password_need_special),
        ),
        ("ticket_hook", json!(hook)),
    ];
    for (name, value) in values {
        settings::set(&mut tx, name, &value).await?;
    }
    let stored = load(&mut tx, actor).await?;
    tx.commit().await?;
    Ok(stored)
}
