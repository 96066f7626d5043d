//! Request extractors that answer bad input in Zammad's error shape (never axum's plain text).

use std::collections::HashMap;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use domain::Error;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// A JSON body. Malformed JSON and wrong types → 422; too large → 413. The content type is not
/// required (some Zammad clients omit it).
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_body(req).await?;
        let body: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &bytes
        };
        let classify = |err: serde_json::Error| {
            ApiError(Error::unprocessable(match err.classify() {
                serde_json::error::Category::Data => format!("Invalid parameters: {err}"),
                _ => format!("Malformed JSON: {err}"),
            }))
        };
        let value: serde_json::Value = serde_json::from_slice(body).map_err(classify)?;
        refuse_nul(&value)?;
        T::deserialize(value).map(ApiJson).map_err(classify)
    }
}

/// The largest buffer reserved up front from a request's `Content-Length` (a client's claim):
/// a longer body (within the body limit) grows the buffer as it arrives.
const PRESIZED_BODY_MAX: usize = 128 * 1024 * 1024;

/// The whole request body (within the router's `DefaultBodyLimit`) in one buffer sized by its
/// `Content-Length`: a large body is held once as it arrives, not as received chunks plus
/// their copy (axum's `Bytes` extractor). Errors: 413 over the limit, 422 for a body that
/// breaks off.
async fn read_body(req: Request) -> Result<Vec<u8>, ApiError> {
    use axum::RequestExt;
    use http_body_util::BodyExt;
    let expected = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0)
        .min(PRESIZED_BODY_MAX);
    let mut body = req.into_limited_body();
    let mut out = Vec::with_capacity(expected);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|err| {
            let too_large =
                std::iter::successors(Some(&err as &(dyn std::error::Error + 'static)), |e| {
                    e.source()
                })
                .any(|e| e.is::<http_body_util::LengthLimitError>());
            ApiError(if too_large {
                Error::PayloadTooLarge("Request Entity Too Large".into())
            } else {
                Error::unprocessable(format!("Could not read the request body: {err}"))
            })
        })?;
        if let Some(data) = frame.data_ref() {
            out.extend_from_slice(data);
        }
    }
    Ok(out)
}

/// NUL characters (`\u0000`) in any string or key of a JSON document are a 422: no text
/// column stores them (PostgreSQL refuses them outright). Walks the document without
/// recursion.
pub fn refuse_nul(value: &serde_json::Value) -> Result<(), ApiError> {
    use serde_json::Value;
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::String(s) if s.contains('\0') => return Err(nul_error()),
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => {
                if map.keys().any(|k| k.contains('\0')) {
                    return Err(nul_error());
                }
                stack.extend(map.values());
            }
            _ => {}
        }
    }
    Ok(())
}

fn nul_error() -> ApiError {
    ApiError(Error::unprocessable(
        "NUL characters (\\u0000) are not allowed in the parameters.",
    ))
}

/// Query string parameters, parsed leniently the way Rails does.
#[derive(Debug, Default, Clone)]
pub struct QueryParams(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
            .map_err(|e| ApiError(Error::unprocessable(format!("Invalid query string: {e}"))))?;
        if pairs
            .iter()
            .any(|(k, v)| k.contains('\0') || v.contains('\0'))
        {
            return Err(nul_error());
        }
        // Rails arrays (`sort_by[]=a&sort_by[]=b`) become a JSON array under the bare name,
        // as they arrive in a JSON body.
        let mut params = HashMap::new();
        let mut arrays: HashMap<String, Vec<String>> = HashMap::new();
        for (key, value) in pairs {
            match key.strip_suffix("[]") {
                Some(name) => arrays.entry(name.to_string()).or_default().push(value),
                None => {
                    params.insert(key, value);
                }
            }
        }
        for (name, values) in arrays {
            params.insert(name, serde_json::Value::from(values).to_string());
        }
        Ok(QueryParams(params))
    }
}

/// Ruby-style booleans: `true`, `1`, `True` (and `yes`/`on`) are true.
pub fn truthy(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "true" | "1" | "yes" | "on"
    )
}

impl QueryParams {
    pub fn flag(&self, name: &str) -> bool {
        self.0.get(name).is_some_and(|v| truthy(v))
    }

    pub fn text(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// One value or several: a JSON array (`a[]=…` or a JSON body) or `a,b`.
    pub fn list(&self, name: &str) -> Vec<String> {
        let Some(text) = self.text(name) else {
            return Vec::new();
        };
        if let Ok(values) = serde_json::from_str::<Vec<String>>(text) {
            return values;
        }
        text.split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .collect()
    }

    pub fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.0.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                ApiError(Error::unprocessable(format!(
                    "Invalid value for param '{name}': {v:?}"
                )))
            }),
        }
    }

    /// `page` and `per_page` (alias `limit`) with a default and cap, read leniently as Zammad
    /// reads them (Ruby's `to_i`: [`domain::storage::paging::Page::number`]).
    pub fn page(&self, default: i64, cap: i64) -> Result<domain::storage::paging::Page, ApiError> {
        use domain::storage::paging::Page;
        let number = |name: &str| {
            self.0
                .get(name)
                .filter(|v| !v.trim().is_empty())
                .map(|v| Page::number(v))
        };
        let per_page = number("per_page").or_else(|| number("limit"));
        Ok(Page::new(number("page"), per_page, default, cap))
    }
}
