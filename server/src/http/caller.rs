//! Who is calling: session cookie, HTTP Basic or token, then optional `From:` impersonation.
//! Cookie-authenticated writes must carry the session's CSRF token.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum_extra::extract::CookieJar;
use base64::Engine;
use domain::accounts::auth::{self, Credentials, SESSION_COOKIE};
use domain::{Actor, Error};

use super::error::ApiError;
use crate::state::AppState;

pub const CSRF_HEADER: &str = "x-csrf-token";

/// The authenticated caller of a REST request.
pub struct Caller {
    pub actor: std::sync::Arc<Actor>,
}

/// Reads the credentials a request carries, if any.
pub fn credentials(parts: &Parts) -> Result<Option<Credentials>, ApiError> {
    if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
        let value = value.to_str().map_err(|_| {
            ApiError(Error::CredentialsRejected(
                "Invalid Authorization header".into(),
            ))
        })?;
        let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
        return match scheme.to_ascii_lowercase().as_str() {
            "basic" => {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(rest.trim())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| {
                        ApiError(Error::CredentialsRejected(
                            "Invalid BasicAuth credentials".into(),
                        ))
                    })?;
                let (login, password) = decoded.split_once(':').ok_or_else(|| {
                    ApiError(Error::CredentialsRejected(
                        "Invalid BasicAuth credentials".into(),
                    ))
                })?;
                Ok(Some(Credentials::Basic {
                    login: login.into(),
                    password: password.into(),
                }))
            }
            "token" | "bearer" => {
                // Rails token syntax: `Token token=abc` or `Token token="abc"`; also `Bearer abc`.
                let token = rest
                    .trim()
                    .strip_prefix("token=")
                    .unwrap_or(rest.trim())
                    .trim_matches('"');
                Ok(Some(Credentials::Token(token.to_string())))
            }
            _ => Err(ApiError(Error::CredentialsRejected(
                "Unsupported Authorization scheme".into(),
            ))),
        };
    }
    let jar = CookieJar::from_headers(&parts.headers);
    Ok(jar
        .get(SESSION_COOKIE)
        .map(|c| Credentials::Session(c.value().to_string())))
}

/// The client's network address as the failure budget of [`domain::accounts::login_guard`]
/// keys it: the peer address of the connection (`unknown` when the server runs without
/// connection info, as in some tests).
pub fn client_address(extensions: &axum::http::Extensions) -> String {
    extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map_or_else(|| "unknown".to_string(), |info| info.0.ip().to_string())
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let credentials = credentials(parts)?.ok_or(ApiError(Error::CredentialsMissing))?;
        let authenticated = auth::authenticate(
            &state.store,
            &credentials,
            &state.settings.lockout,
            &client_address(&parts.extensions),
        )
        .await?;
        if let Some(expected) = &authenticated.session_csrf
            && !is_safe(&parts.method)
        {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            if sent != Some(expected.as_str()) {
                return Err(ApiError(Error::CredentialsRejected(
                    "CSRF token verification failed!".into(),
                )));
            }
        }
        // the header's bytes as UTF-8 (a login like `zoë2`): a value that names nobody, or
        // is no text at all, is a 403, never a request run as the caller
        let on_behalf = parts
            .headers
            .get("from")
            .or_else(|| parts.headers.get("x-on-behalf-of"))
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .filter(|v| !v.trim().is_empty());
        let actor = match on_behalf {
            Some(key) => {
                let mut conn = state.store.read().await?;
                auth::impersonate(&mut conn, &authenticated.actor, &key)
                    .await?
                    .into()
            }
            None => authenticated.actor,
        };
        Ok(Caller { actor })
    }
}
