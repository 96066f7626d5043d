//! Personal access tokens (`/user_access_token`): shown once, stored as a SHA-256 hash, with an
//! optional expiry and a permission subset that narrows what the token may do.

use chrono::Utc;
use serde::Deserialize;
use sqlx::{AnyConnection, FromRow};

use crate::accounts::auth::{random_token, sha256_hex};
use crate::policy::access::{Actor, permission_covers};
use crate::{Error, Result, policy, storage::clock};

#[derive(Debug, Clone, FromRow)]
pub struct TokenRecord {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub permissions: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl TokenRecord {
    /// The permissions the token narrows its user's to.
    pub fn permission_names(&self) -> Vec<String> {
        serde_json::from_str(&self.permissions).unwrap_or_default()
    }

    /// When it expires as Zammad shows it: the date (`2027-12-31`).
    pub fn expiry_date(&self) -> Option<String> {
        self.expires_at
            .as_deref()
            .map(|t| t.get(..10).unwrap_or(t).to_string())
    }
}

/// The caller's tokens and the permissions a new one may carry.
#[derive(Debug, Clone)]
pub struct TokenList {
    /// By id.
    pub tokens: Vec<TokenRecord>,
    pub permissions: Vec<String>,
}

/// A token just created, with its secret (shown only this once; only its hash is stored).
#[derive(Debug, Clone)]
pub struct CreatedToken {
    pub record: TokenRecord,
    pub secret: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NewToken {
    pub name: Option<String>,
    /// Zammad sends `permission`; `permissions` is accepted too.
    #[serde(alias = "permissions")]
    pub permission: Option<Vec<String>>,
    /// A date (`2027-12-31`) or timestamp; the token stops working after it.
    pub expires_at: Option<String>,
}

/// The caller's tokens and the permissions a token may carry.
pub async fn records(conn: &mut AnyConnection, actor: &Actor) -> Result<TokenList> {
    if !policy::can_use_access_tokens(actor) {
        return Err(Error::not_authorized());
    }
    let tokens = sqlx::query_as::<_, TokenRecord>(
        "SELECT id, user_id, name, permissions, expires_at, last_used_at, created_at, updated_at \
         FROM user_access_tokens WHERE user_id = $1 ORDER BY id",
    )
    .bind(actor.id)
    .fetch_all(conn)
    .await?;
    Ok(TokenList {
        tokens,
        permissions: actor.permissions.clone(),
    })
}

/// Creates a token; returns it with the plain token value (shown only this once).
pub async fn create(
    conn: &mut AnyConnection,
    actor: &Actor,
    params: &NewToken,
) -> Result<CreatedToken> {
    if !policy::can_use_access_tokens(actor) {
        return Err(Error::not_authorized());
    }
    let name = params.name.as_deref().map(str::trim).unwrap_or_default();
    if name.is_empty() {
        return Err(Error::unprocessable(
            "The required value 'name' is missing.",
        ));
    }
    let permissions = params.permission.clone().unwrap_or_default();
    if permissions.is_empty() {
        return Err(Error::unprocessable(
            "The required value 'permission' is missing.",
        ));
    }
    for p in &permissions {
        if !actor
            .permissions
            .iter()
            .any(|granted| permission_covers(granted, p))
        {
            return Err(Error::unprocessable(format!(
                "Invalid permission '{p}': the user does not have it."
            )));
        }
    }
    let expires_at = match params.expires_at.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => {
            let at = clock::parse_lenient(text).ok_or_else(|| {
                Error::unprocessable(format!("Invalid value for param 'expires_at': {text:?}"))
            })?;
            if at <= Utc::now() {
                return Err(Error::unprocessable(
                    "The expiry date must be in the future.",
                ));
            }
            Some(clock::format(at))
        }
    };
    let token = random_token();
    let now = clock::now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO user_access_tokens (user_id, name, token_hash, permissions, expires_at, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING id",
    )
    .bind(actor.id)
    .bind(name)
    .bind(sha256_hex(&token))
    .bind(serde_json::to_string(&permissions)?)
    .bind(expires_at)
    .bind(&now)
    .bind(&now)
    .fetch_one(&mut *conn)
    .await?;
    Ok(CreatedToken {
        record: find(conn, actor.id, id).await?,
        secret: token,
    })
}

async fn find(conn: &mut AnyConnection, user_id: i64, id: i64) -> Result<TokenRecord> {
    sqlx::query_as::<_, TokenRecord>(
        "SELECT id, user_id, name, permissions, expires_at, last_used_at, created_at, updated_at \
         FROM user_access_tokens WHERE id = $1 AND user_id = $2",
    )
    .bind(id)
    .bind(user_id)
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| Error::not_found("Token", id))
}

pub async fn delete(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<()> {
    if !policy::can_use_access_tokens(actor) {
        return Err(Error::not_authorized());
    }
    find(conn, actor.id, id).await?;
    sqlx::query("DELETE FROM user_access_tokens WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// `POST /user_access_token` as one request: one write transaction; the answer holds the
/// secret (shown this once). The REST API and the web app's profile both call this.
pub async fn create_token(
    store: &crate::Store,
    actor: &Actor,
    params: &NewToken,
) -> Result<CreatedToken> {
    let mut tx = store.write().await?;
    let token = create(&mut tx, actor, params).await?;
    tx.commit().await?;
    Ok(token)
}

/// `DELETE /user_access_token/{id}` as one request, like [`create_token`].
pub async fn delete_token(store: &crate::Store, actor: &Actor, id: i64) -> Result<()> {
    let mut tx = store.write().await?;
    delete(&mut tx, actor, id).await?;
    tx.commit().await
}

#[derive(FromRow)]
struct TokenUse {
    id: i64,
    user_id: i64,
    permissions: String,
    expires_at: Option<String>,
    last_used_at: Option<String>,
}

/// The user and permission subset of a token; records its use (to the minute, in a write
/// transaction of its own that waits its turn, after the read connection is returned).
pub async fn authenticate(
    store: &crate::Store,
    token: &str,
) -> Result<(i64, Vec<String>, Option<chrono::DateTime<Utc>>)> {
    let row: Option<TokenUse> = sqlx::query_as(
        "SELECT id, user_id, permissions, expires_at, last_used_at FROM user_access_tokens WHERE token_hash = $1",
    )
    .bind(sha256_hex(token.trim()))
    .fetch_optional(&mut *store.read().await?)
    .await?;
    let TokenUse {
        id,
        user_id,
        permissions,
        expires_at,
        last_used_at,
    } = row.ok_or_else(|| Error::CredentialsRejected("Can't find User for Token".into()))?;
    let now = Utc::now();
    if expires_at
        .as_deref()
        .and_then(clock::parse)
        .is_some_and(|at| at <= now)
    {
        return Err(Error::CredentialsRejected(
            "Not authorized (token expired)!".into(),
        ));
    }
    // Recorded to the minute: a write per API call would cost more than the call itself.
    let stale = last_used_at
        .as_deref()
        .and_then(clock::parse)
        .is_none_or(|at| now - at > chrono::Duration::seconds(60));
    if stale {
        let mut tx = store.write().await?;
        sqlx::query("UPDATE user_access_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(clock::format(now))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    Ok((
        user_id,
        serde_json::from_str(&permissions).unwrap_or_default(),
        expires_at.as_deref().and_then(clock::parse),
    ))
}
