//! Server functions of the profile (`/profile`): one's own name and e-mail, password change,
//! personal access tokens and signing out other sessions. They call the same domain functions
//! as the REST API (`PUT /users/{id}`, `POST /users/password_change`, `/user_access_token`).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[allow(unused_imports)]
use super::codec::JsonText;
#[allow(unused_imports)]
use leptos::server_fn::codec::Json;

/// The signed-in user's own account as the profile shows it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Account {
    pub firstname: String,
    pub lastname: String,
    pub email: String,
    /// Name and e-mail may be changed (agents and admins; customers' come from their agent).
    pub editable: bool,
    /// Personal access tokens are offered (agents and admins).
    pub tokens: bool,
}

/// A personal access token as listed (its secret is never shown again).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub permissions: Vec<String>,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub created_at: String,
}

/// The caller's tokens, and the permissions a new one may carry.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Tokens {
    pub tokens: Vec<TokenRow>,
    pub permissions: Vec<String>,
}

#[server(output = JsonText)]
pub async fn my_account() -> Result<Account, ServerFnError> {
    use crate::session::server::as_actor;
    as_actor(|actor, ctx| async move {
        let mut conn = ctx.store.read().await?;
        let me = domain::accounts::users::find(&mut conn, actor.id).await?;
        Ok(Account {
            firstname: me.firstname,
            lastname: me.lastname,
            email: me.email,
            editable: actor.is_agent() || actor.is_admin(),
            tokens: domain::policy::can_use_access_tokens(&actor),
        })
    })
    .await
}

/// Changes one's own name and e-mail (`users::update_user`, the rules of `PUT /users/{id}`).
#[server]
pub async fn save_my_account(
    firstname: String,
    lastname: String,
    email: String,
) -> Result<(), ServerFnError> {
    use crate::session::server::as_actor;
    use domain::accounts::users::{self, UserParams};
    as_actor(|actor, ctx| async move {
        let params = UserParams {
            firstname: Some(firstname),
            lastname: Some(lastname),
            email: Some(email),
            ..Default::default()
        };
        users::update_user(&ctx.store, &actor, actor.id, params).await?;
        Ok(())
    })
    .await
}

/// The SHA-256 of this request's session: the one session a password change or "sign out
/// other sessions" keeps.
#[cfg(feature = "ssr")]
async fn this_session() -> Option<String> {
    crate::session::server::session_cookie()
        .await
        .map(|cookie| domain::accounts::auth::sha256_hex(&cookie))
}

/// Changes one's own password with the current one (`users::change_own_password`); every
/// other session of the user ends.
#[server]
pub async fn change_my_password(current: String, new: String) -> Result<(), ServerFnError> {
    use crate::session::server::as_actor;
    use domain::storage::columns;
    as_actor(|actor, ctx| async move {
        let keep = this_session().await;
        columns::check("password_old", Some(&current), columns::PASSWORD)?;
        columns::check("password_new", Some(&new), columns::PASSWORD)?;
        domain::accounts::users::change_own_password(
            &ctx.store,
            &actor,
            &current,
            &new,
            keep.as_deref(),
        )
        .await
    })
    .await
}

/// Ends every other session of the user; returns how many ended.
#[server]
pub async fn sign_out_other_sessions() -> Result<u64, ServerFnError> {
    use crate::session::server::as_actor;
    as_actor(|actor, ctx| async move {
        let keep = this_session().await;
        domain::accounts::users::end_other_sessions(&ctx.store, &actor, keep.as_deref()).await
    })
    .await
}

#[server(output = JsonText)]
pub async fn my_tokens() -> Result<Tokens, ServerFnError> {
    use crate::session::server::as_actor;
    as_actor(|actor, ctx| async move {
        if !domain::policy::can_use_access_tokens(&actor) {
            return Ok(Tokens::default());
        }
        let mut conn = ctx.store.read().await?;
        let listed = domain::accounts::tokens::records(&mut conn, &actor).await?;
        Ok(Tokens {
            tokens: listed
                .tokens
                .into_iter()
                .map(|t| TokenRow {
                    id: t.id,
                    permissions: t.permission_names(),
                    expires_at: t.expiry_date(),
                    name: t.name,
                    last_used_at: t.last_used_at,
                    created_at: t.created_at,
                })
                .collect(),
            permissions: listed.permissions,
        })
    })
    .await
}

/// Creates a token (`tokens::create_token`); returns its secret, shown this once.
#[server(input = Json)]
pub async fn create_my_token(
    name: String,
    permissions: Vec<String>,
    expires_at: String,
) -> Result<String, ServerFnError> {
    use crate::session::server::as_actor;
    use domain::accounts::tokens::{self, NewToken};
    as_actor(|actor, ctx| async move {
        let params = NewToken {
            name: Some(name),
            permission: Some(permissions),
            expires_at: Some(expires_at).filter(|e| !e.trim().is_empty()),
        };
        let created = tokens::create_token(&ctx.store, &actor, &params).await?;
        Ok(created.secret)
    })
    .await
}

#[server]
pub async fn delete_my_token(id: i64) -> Result<(), ServerFnError> {
    use crate::session::server::as_actor;
    as_actor(|actor, ctx| async move {
        domain::accounts::tokens::delete_token(&ctx.store, &actor, id).await
    })
    .await
}
