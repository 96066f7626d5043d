//! A tiny S3-compatible endpoint for tests: path-style PUT/GET/HEAD/DELETE of objects kept in
//! memory, enough of the protocol for `object_store`. Counts requests, so tests can tell a
//! skipped upload from a repeated one, and records whether each was signed with the test key.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;

/// The access key id and secret the fake expects (it checks the key id, not the signature).
pub const KEY: &str = "test";
pub const SECRET: &str = "test";

#[derive(Default)]
struct Shared {
    /// `bucket/key` → bytes.
    objects: Mutex<HashMap<String, Vec<u8>>>,
    /// (method, `bucket/key`) of every request, in order.
    requests: Mutex<Vec<(Method, String)>>,
    /// Requests without an AWS4 signature by the test key.
    unsigned: Mutex<usize>,
}

pub struct FakeS3 {
    /// `http://127.0.0.1:port`, for `AWS_ENDPOINT_URL`.
    pub endpoint: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeS3 {
    pub async fn start() -> FakeS3 {
        let shared = Arc::new(Shared::default());
        let state = shared.clone();
        let app = Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let state = state.clone();
                async move { handle(&state, method, uri, headers, body) }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        FakeS3 {
            endpoint,
            shared,
            task,
        }
    }

    /// An S3-backed store on this endpoint, as `TANDEM_FILES_URL=s3://{bucket_and_prefix}`
    /// with `AWS_ENDPOINT_URL`, the test key and `TANDEM_S3_ALLOW_HTTP` would build it.
    pub fn file_store(&self, bucket_and_prefix: &str) -> domain::storage::files::FileStore {
        use domain::storage::files::object_store::aws::AmazonS3Builder;
        let s3 = AmazonS3Builder::new()
            .with_access_key_id(KEY)
            .with_secret_access_key(SECRET)
            .with_region("us-east-1")
            .with_endpoint(&self.endpoint)
            .with_allow_http(true);
        domain::storage::files::FileStore::from_url_with(
            Some(&format!("s3://{bucket_and_prefix}")),
            "/nonexistent/tandem-files",
            s3,
        )
        .expect("S3 file store")
    }

    /// The bytes stored under `bucket/key`.
    pub fn object(&self, bucket_and_key: &str) -> Option<Vec<u8>> {
        self.shared
            .objects
            .lock()
            .unwrap()
            .get(bucket_and_key)
            .cloned()
    }

    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .shared
            .objects
            .lock()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    }

    /// How many requests with this method arrived.
    pub fn count(&self, method: Method) -> usize {
        self.shared
            .requests
            .lock()
            .unwrap()
            .iter()
            .filter(|(m, _)| *m == method)
            .count()
    }

    pub fn total_requests(&self) -> usize {
        self.shared.requests.lock().unwrap().len()
    }

    /// Requests that were not signed with the test key.
    pub fn unsigned(&self) -> usize {
        *self.shared.unsigned.lock().unwrap()
    }
}

impl Drop for FakeS3 {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn handle(shared: &Shared, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let key = uri.path().trim_start_matches('/').to_string();
    shared
        .requests
        .lock()
        .unwrap()
        .push((method.clone(), key.clone()));
    let signed = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(&format!("AWS4-HMAC-SHA256 Credential={KEY}/")));
    if !signed {
        *shared.unsigned.lock().unwrap() += 1;
        return error(StatusCode::FORBIDDEN, "AccessDenied", &key);
    }
    if uri.query().is_some() || !key.contains('/') {
        // bucket operations, multipart uploads, bulk deletes: not needed by Tandem
        return error(StatusCode::NOT_IMPLEMENTED, "NotImplemented", &key);
    }
    let mut objects = shared.objects.lock().unwrap();
    match method {
        Method::PUT => {
            let etag = etag(&body);
            objects.insert(key, body.to_vec());
            Response::builder()
                .status(StatusCode::OK)
                .header(header::ETAG, etag)
                .body(Body::empty())
                .unwrap()
        }
        Method::GET | Method::HEAD => match objects.get(&key) {
            Some(bytes) => {
                let mut response = Response::new(if method == Method::GET {
                    Body::from(bytes.clone())
                } else {
                    Body::empty()
                });
                let h = response.headers_mut();
                h.insert(header::ETAG, HeaderValue::from_str(&etag(bytes)).unwrap());
                h.insert(
                    header::LAST_MODIFIED,
                    HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
                );
                h.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
                h.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/octet-stream"),
                );
                response
            }
            None if method == Method::HEAD => Response::builder()
                .status(StatusCode::NOT_FOUND)
                .body(Body::empty())
                .unwrap(),
            None => error(StatusCode::NOT_FOUND, "NoSuchKey", &key),
        },
        Method::DELETE => {
            objects.remove(&key);
            Response::builder()
                .status(StatusCode::NO_CONTENT)
                .body(Body::empty())
                .unwrap()
        }
        _ => error(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", &key),
    }
}

fn etag(bytes: &[u8]) -> String {
    format!(
        "\"{}\"",
        &domain::storage::files::FileStore::sha256(bytes)[..32]
    )
}

fn error(status: StatusCode, code: &str, key: &str) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/xml")
        .body(Body::from(format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{code}</Message><Key>{key}</Key><RequestId>fake</RequestId></Error>"
        )))
        .unwrap()
}
