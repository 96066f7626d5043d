//! Authentication: who is calling. Password logins (with lockout), browser sessions with a CSRF
//! token, personal access tokens, and admins acting on behalf of another user.

use std::time::Duration;

use chrono::Utc;
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

pub use crate::accounts::login_guard::LoginGuard;
use crate::policy::access::{Actor, load_actor};
use crate::{
    Error, Result, accounts::passwords, accounts::tokens, policy, storage::clock, storage::lookup,
    storage::settings,
};

/// Failed logins before a user is locked, for how long, and the per-client failure budget
/// (see [`LoginGuard`]: the lock holds only against clients that failed themselves).
#[derive(Debug, Clone)]
pub struct Lockout {
    pub max_failures: i64,
    pub duration: Duration,
    pub guard: std::sync::Arc<LoginGuard>,
}

impl Lockout {
    pub fn new(max_failures: i64, duration: Duration) -> Lockout {
        Lockout {
            max_failures,
            duration,
            guard: Default::default(),
        }
    }
}

impl Default for Lockout {
    fn default() -> Self {
        Lockout::new(10, Duration::from_secs(15 * 60))
    }
}

/// How a request proved who it is.
#[derive(Debug, Clone)]
pub enum Credentials {
    Session(String),
    Basic { login: String, password: String },
    Token(String),
}

/// Why a password login failed. The HTTP layer words it per endpoint (Basic vs. sign-in form).
/// A locked account is worded like a wrong password: nobody learns that a login exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginFailure {
    Invalid,
    /// The client used up its failure budget: no password was checked.
    Throttled {
        retry_after: Duration,
    },
}

impl LoginFailure {
    pub fn into_error(self, invalid_message: &str) -> Error {
        match self {
            LoginFailure::Invalid => Error::CredentialsRejected(invalid_message.to_string()),
            LoginFailure::Throttled { retry_after } => Error::TooManyAttempts {
                retry_after_seconds: retry_after.as_secs().max(1),
            },
        }
    }
}

pub fn random_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// How often a successful login is written to `last_login` at most (Zammad records it per
/// session, not per API call; a write per request would queue every Basic-auth call behind
/// SQLite's single writer).
pub const LAST_LOGIN_PRECISION: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

/// Checks a login (or e-mail) and password from `client` (its network address). Counts
/// failures per account and per client ([`LoginGuard`]); an account locked after
/// `lockout.max_failures` failures still opens to the right password from a client without
/// failures of its own. A success resets the account's count.
///
/// Nothing slow runs while a database lock is held: the account is read on a read connection
/// (returned before Argon2 runs), and what changes (the failure count, the lock, `last_login`)
/// is written afterwards in a write transaction of its own, which waits its turn instead of
/// failing.
pub async fn check_password(
    store: &crate::Store,
    login: &str,
    password: &str,
    lockout: &Lockout,
    client: &str,
) -> Result<std::result::Result<i64, LoginFailure>> {
    if let Err(retry_after) = lockout.guard.admit(client) {
        return Ok(Err(LoginFailure::Throttled { retry_after }));
    }
    let outcome = check_password_unguarded(store, login, password, lockout, client).await?;
    if outcome.is_err() {
        lockout.guard.failed(client);
    }
    Ok(outcome)
}

async fn check_password_unguarded(
    store: &crate::Store,
    login: &str,
    password: &str,
    lockout: &Lockout,
    client: &str,
) -> Result<std::result::Result<i64, LoginFailure>> {
    let key = login.trim().to_lowercase();
    let row: Option<LoginRow> = sqlx::query_as(
        "SELECT id, password_hash, active, login_failed, locked_until, last_login FROM users \
         WHERE (login = $1 OR (email <> '' AND email = $2)) AND id <> 1 ORDER BY (login = $3) DESC LIMIT 1",
    )
    .bind(&key)
    .bind(&key)
    .bind(&key)
    .fetch_optional(&mut *store.read().await?)
    .await?;
    let Some(LoginRow {
        id,
        password_hash: hash,
        active,
        login_failed: failed,
        locked_until,
        last_login,
    }) = row
    else {
        passwords::verify_blocking(password.to_string(), None).await;
        return Ok(Err(LoginFailure::Invalid));
    };
    let now = Utc::now();
    let locked = locked_until
        .as_deref()
        .and_then(clock::parse)
        .is_some_and(|until| until > now);
    let ok = passwords::verify_blocking(password.to_string(), hash).await;
    if locked && lockout.guard.has_failed_recently(client) {
        // the lock holds against guessing clients, whatever they send
        return Ok(Err(LoginFailure::Invalid));
    }
    if !ok || active == 0 {
        // counted in SQL, so concurrent failures are all counted; reaching the limit locks
        // the account and starts the count again (a lock in force stays until it ends)
        let until =
            clock::format(now + chrono::Duration::from_std(lockout.duration).unwrap_or_default());
        let mut tx = store.write().await?;
        sqlx::query(
            "UPDATE users SET \
             locked_until = CASE WHEN login_failed + 1 >= $1 THEN $2 ELSE locked_until END, \
             login_failed = CASE WHEN login_failed + 1 >= $3 THEN 0 ELSE login_failed + 1 END \
             WHERE id = $4",
        )
        .bind(lockout.max_failures)
        .bind(until)
        .bind(lockout.max_failures)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        return Ok(Err(LoginFailure::Invalid));
    }
    let stale = last_login
        .as_deref()
        .and_then(clock::parse)
        .is_none_or(|at| now - at > LAST_LOGIN_PRECISION);
    if stale || failed != 0 || locked_until.is_some() {
        let mut tx = store.write().await?;
        // `locked_until` is one of the columns whose change starts a new auth generation
        // (migration 0006): set only when there is a lock to lift, else every first sign-in
        // would make every cached credential be checked again
        let statement = if locked_until.is_some() {
            "UPDATE users SET login_failed = 0, locked_until = NULL, last_login = $1 WHERE id = $2"
        } else {
            "UPDATE users SET login_failed = 0, last_login = $1 WHERE id = $2"
        };
        sqlx::query(statement)
            .bind(clock::format(now))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    Ok(Ok(id))
}

/// Signing in with a login and password (the web app's form and `POST /api/v1/signin`): the
/// password checked as [`check_password`] does, then a new session in its own transaction.
/// `Err(LoginFailure)` when the login fails (the failure is recorded).
pub async fn sign_in(
    store: &crate::Store,
    login: &str,
    password: &str,
    lockout: &Lockout,
    client: &str,
    session_ttl: Duration,
) -> Result<std::result::Result<(Actor, NewSession), LoginFailure>> {
    let user_id = match check_password(store, login, password, lockout, client).await? {
        Ok(id) => id,
        Err(failure) => return Ok(Err(failure)),
    };
    let mut tx = store.write().await?;
    let actor = load_actor(&mut tx, user_id, None).await?;
    let session = create_session(&mut tx, user_id, session_ttl).await?;
    tx.commit().await?;
    Ok(Ok((actor, session)))
}

#[derive(sqlx::FromRow)]
struct LoginRow {
    id: i64,
    password_hash: Option<String>,
    active: i64,
    login_failed: i64,
    locked_until: Option<String>,
    last_login: Option<String>,
}

/// A browser session: the cookie value is shown once; the database keeps its hash.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub cookie_value: String,
    pub csrf_token: String,
    pub expires_at: String,
}

pub async fn create_session(
    conn: &mut AnyConnection,
    user_id: i64,
    ttl: Duration,
) -> Result<NewSession> {
    let cookie_value = random_token();
    let csrf_token = random_token();
    let expires_at =
        clock::format(Utc::now() + chrono::Duration::from_std(ttl).unwrap_or_default());
    sqlx::query("INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1,$2,$3,$4,$5)")
        .bind(sha256_hex(&cookie_value))
        .bind(user_id)
        .bind(&csrf_token)
        .bind(clock::now())
        .bind(&expires_at)
        .execute(conn)
        .await?;
    Ok(NewSession {
        cookie_value,
        csrf_token,
        expires_at,
    })
}

/// The user and CSRF token of a live session.
pub async fn find_session(
    conn: &mut AnyConnection,
    cookie_value: &str,
) -> Result<Option<(i64, String)>> {
    Ok(sqlx::query_as::<_, (i64, String)>(
        "SELECT user_id, csrf_token FROM sessions WHERE id_hash = $1 AND expires_at > $2",
    )
    .bind(sha256_hex(cookie_value))
    .bind(clock::now())
    .fetch_optional(conn)
    .await?)
}

/// Signs out: the browser session whose cookie value this is ends (`DELETE /signout`, the web
/// app's sign-out). An unknown value is no error: the session is gone either way.
pub async fn sign_out(store: &crate::Store, cookie_value: &str) -> Result<()> {
    store
        .in_write(async |tx| {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                .bind(sha256_hex(cookie_value))
                .execute(tx)
                .await?;
            Ok(())
        })
        .await
}

/// The authenticated caller, plus the CSRF token when it came through a session cookie.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// Shared with the credential cache: a request does not copy it.
    pub actor: std::sync::Arc<Actor>,
    pub session_csrf: Option<String>,
}

/// Resolves credentials to an actor (Zammad's order and messages, docs/zammad-api.md §1), from the
/// cache when nothing relevant changed since the credential was last checked.
pub async fn authenticate(
    store: &crate::Store,
    credentials: &Credentials,
    lockout: &Lockout,
    client: &str,
) -> Result<Authenticated> {
    let cache = store.auth_cache();
    let key = match credentials {
        Credentials::Session(cookie) => format!("s:{}", sha256_hex(cookie)),
        Credentials::Basic { login, password } => {
            format!(
                "b:{}",
                sha256_hex(&format!("{}\u{0}{password}", login.trim().to_lowercase()))
            )
        }
        Credentials::Token(token) => format!("t:{}", sha256_hex(token.trim())),
    };
    let hit = |generation| {
        let hit = cache.get(&key, generation)?;
        Some(Authenticated {
            actor: hit.actor.downcast::<Actor>().ok()?,
            session_csrf: hit.session_csrf,
        })
    };
    // The usual case costs no database round trip at all.
    if let Some(known) = cache.known_generation()
        && let Some(hit) = hit(known)
    {
        return Ok(hit);
    }
    let generation = cache.generation(&mut *store.read().await?).await?;
    if let Some(hit) = hit(generation) {
        return Ok(hit);
    }
    // one check per credential at a time: the others wait for it and find it cached
    let checking = cache.checking(&key);
    let _checking = checking.lock().await;
    if let Some(hit) = hit(generation) {
        return Ok(hit);
    }
    cache.count_check();
    let (authenticated, expires_at) =
        authenticate_uncached(store, credentials, lockout, client).await?;
    cache.put(
        key,
        generation,
        crate::storage::auth_cache::Cached {
            actor: authenticated.actor.clone(),
            session_csrf: authenticated.session_csrf.clone(),
            expires_at,
        },
    );
    Ok(authenticated)
}

/// The credential checked against the database. A connection is held only while it is read
/// from: the password check and its writes take their own (see [`check_password`]).
async fn authenticate_uncached(
    store: &crate::Store,
    credentials: &Credentials,
    lockout: &Lockout,
    client: &str,
) -> Result<(Authenticated, Option<chrono::DateTime<Utc>>)> {
    match credentials {
        Credentials::Session(cookie) => {
            let mut conn = store.read().await?;
            let row: Option<(i64, String, String)> = sqlx::query_as(
                "SELECT user_id, csrf_token, expires_at FROM sessions WHERE id_hash = $1 AND expires_at > $2",
            )
            .bind(sha256_hex(cookie))
            .bind(clock::now())
            .fetch_optional(&mut *conn)
            .await?;
            let (user_id, csrf, expires_at) = row.ok_or(Error::CredentialsMissing)?;
            let actor = load_actor(&mut conn, user_id, None).await?;
            Ok((
                Authenticated {
                    actor: actor.into(),
                    session_csrf: Some(csrf),
                },
                clock::parse(&expires_at),
            ))
        }
        Credentials::Basic { login, password } => {
            if !settings::flag(&mut *store.read().await?, "api_password_access").await? {
                return Err(Error::Forbidden("API password access disabled!".into()));
            }
            let user_id = check_password(store, login, password, lockout, client)
                .await?
                .map_err(|f| f.into_error("Invalid BasicAuth credentials"))?;
            let actor = load_actor(&mut *store.read().await?, user_id, None).await?;
            Ok((
                Authenticated {
                    actor: actor.into(),
                    session_csrf: None,
                },
                None,
            ))
        }
        Credentials::Token(token) => {
            if !settings::flag(&mut *store.read().await?, "api_token_access").await? {
                return Err(Error::Forbidden("API token access disabled!".into()));
            }
            let (user_id, permissions, expires_at) = tokens::authenticate(store, token).await?;
            let actor = load_actor(&mut *store.read().await?, user_id, Some(permissions)).await?;
            Ok((
                Authenticated {
                    actor: actor.into(),
                    session_csrf: None,
                },
                expires_at,
            ))
        }
    }
}

/// `From:` / `X-On-Behalf-Of:`: an admin acts as another user (by id, login or e-mail).
pub async fn impersonate(conn: &mut AnyConnection, real: &Actor, key: &str) -> Result<Actor> {
    if !policy::can_impersonate(real) {
        return Err(Error::Forbidden(
            "Current user has no permission to use 'From'/'X-On-Behalf-Of'!".into(),
        ));
    }
    let user_id = lookup::user_id_by_key(conn, key)
        .await?
        .ok_or_else(|| Error::Forbidden(format!("No such user '{}'", key.trim().to_lowercase())))?;
    load_actor(conn, user_id, None).await
}

/// Name of the browser session cookie.
pub const SESSION_COOKIE: &str = "tandem_session";

/// `Set-Cookie` value for a session: `HttpOnly`, `SameSite=Lax`, whole site.
pub fn session_cookie(value: &str, max_age_seconds: u64) -> String {
    format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}")
}

/// `Set-Cookie` value that removes the session cookie.
pub fn cleared_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// The session cookie's value from a `Cookie` request header.
pub fn session_from_cookie_header(header: &str) -> Option<String> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The signed-in user behind a session cookie, if the session is live.
pub async fn session_actor(
    conn: &mut AnyConnection,
    cookie_value: &str,
) -> Result<Option<(Actor, String)>> {
    match find_session(conn, cookie_value).await? {
        Some((user_id, csrf)) => Ok(Some((load_actor(conn, user_id, None).await?, csrf))),
        None => Ok(None),
    }
}
