//! Where attachment bytes live, content-addressed by SHA-256 (so identical files are stored
//! once) under `ab/cd/abcdef…`, in one of two backends:
//!
//! - a local directory (the default), written atomically (temp file + rename + fsync);
//! - S3-compatible object storage (`s3://bucket/optional/prefix`, through `object_store`),
//!   where a PUT is atomic by itself.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// Re-exported so callers can configure the S3 client ([`FileStore::from_url_with`]).
pub use object_store;

/// A file's bytes as they arrive (from disk or from object storage).
pub type ByteStream = BoxStream<'static, std::io::Result<Bytes>>;

/// The attachment byte store; cheap to clone.
#[derive(Debug, Clone)]
pub struct FileStore {
    backend: Backend,
    /// Hashes whose bytes a request stored before its write transaction and may be about to
    /// refer to ([`FileStore::pin`]): [`FileStore::delete`] leaves them alone.
    pins: Arc<std::sync::Mutex<std::collections::HashMap<String, usize>>>,
}

/// Keeps files from being deleted while it lives ([`FileStore::pin`]).
#[derive(Debug)]
pub struct Pinned {
    pins: Arc<std::sync::Mutex<std::collections::HashMap<String, usize>>>,
    hashes: Vec<String>,
}

impl Drop for Pinned {
    fn drop(&mut self) {
        let mut pins = self.pins.lock().unwrap_or_else(|e| e.into_inner());
        for sha in &self.hashes {
            if let Some(count) = pins.get_mut(sha) {
                *count -= 1;
                if *count == 0 {
                    pins.remove(sha);
                }
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Backend {
    Local {
        root: PathBuf,
    },
    Object {
        store: Arc<dyn ObjectStore>,
        /// Key prefix inside the bucket (may be empty).
        prefix: ObjectPath,
        /// `s3://bucket/prefix`, for messages.
        url: String,
    },
}

fn io(err: std::io::Error) -> Error {
    Error::Internal(format!("file store: {err}"))
}

fn object(err: object_store::Error) -> Error {
    Error::Internal(format!("object store: {err}"))
}

/// The two-level layout both backends use: `ab/cd/abcdef…`.
fn checked(sha256: &str) -> Result<[&str; 3]> {
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::Internal(format!("bad content address {sha256:?}")));
    }
    Ok([&sha256[..2], &sha256[2..4], sha256])
}

impl FileStore {
    /// A local directory.
    pub fn new(root: impl Into<PathBuf>) -> FileStore {
        FileStore {
            backend: Backend::Local { root: root.into() },
            pins: Arc::default(),
        }
    }

    /// From `TANDEM_FILES_URL`: unset or empty = the local directory `local_dir`;
    /// `s3://bucket/optional/prefix` = S3-compatible object storage configured by the standard
    /// `AWS_*` environment variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`,
    /// `AWS_ENDPOINT_URL` / `AWS_ENDPOINT`, `AWS_ALLOW_HTTP`, …).
    pub fn from_url(url: Option<&str>, local_dir: impl Into<PathBuf>) -> Result<FileStore> {
        FileStore::from_url_with(url, local_dir, AmazonS3Builder::from_env())
    }

    /// As [`FileStore::from_url`], with the S3 client settings given explicitly. The URL's
    /// bucket wins over the builder's; requests are path-style when an endpoint is set (MinIO,
    /// Garage, …) and objects are deleted one by one (no bulk `DeleteObjects`).
    pub fn from_url_with(
        url: Option<&str>,
        local_dir: impl Into<PathBuf>,
        s3: AmazonS3Builder,
    ) -> Result<FileStore> {
        let url = url.map(str::trim).unwrap_or_default();
        if url.is_empty() {
            return Ok(FileStore::new(local_dir));
        }
        let bad = |why: &str| {
            Error::Internal(format!(
                "files URL {url:?}: {why} (expected s3://bucket/optional/prefix, or unset for the local data directory)"
            ))
        };
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| bad("unsupported scheme"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let bucket_ok = bucket.len() >= 3
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
        if !bucket_ok {
            return Err(bad("not a valid bucket name"));
        }
        let prefix = prefix.trim_matches('/');
        let prefix = ObjectPath::parse(prefix).map_err(|e| bad(&format!("bad prefix: {e}")))?;
        let mut s3 = s3.with_bucket_name(bucket).with_disable_bulk_delete(true);
        if s3
            .get_config_value(&AmazonS3ConfigKey::Endpoint)
            .or_else(|| s3.get_config_value(&AmazonS3ConfigKey::S3Endpoint))
            .is_some()
        {
            s3 = s3.with_virtual_hosted_style_request(false);
        }
        let store = s3.build().map_err(|e| bad(&e.to_string()))?;
        Ok(FileStore::from_object_store(
            Arc::new(store),
            prefix,
            url.trim_end_matches('/'),
        ))
    }

    /// Any `object_store` backend (S3 in production; tests may use others), keys under `prefix`.
    pub fn from_object_store(
        store: Arc<dyn ObjectStore>,
        prefix: ObjectPath,
        url: &str,
    ) -> FileStore {
        FileStore {
            backend: Backend::Object {
                store,
                prefix,
                url: url.to_string(),
            },
            pins: Arc::default(),
        }
    }

    /// Keeps the bytes of `hashes` from [`FileStore::delete`] until the guard is dropped: a
    /// request that stored them before its write transaction holds it until after its commit,
    /// so another request removing "unreferenced" bytes with the same hash meanwhile cannot
    /// take them from under it (within this instance).
    pub fn pin(&self, hashes: Vec<String>) -> Pinned {
        let mut pins = self.pins.lock().unwrap_or_else(|e| e.into_inner());
        for sha in &hashes {
            *pins.entry(sha.clone()).or_default() += 1;
        }
        Pinned {
            pins: self.pins.clone(),
            hashes,
        }
    }

    fn is_pinned(&self, sha256: &str) -> bool {
        self.pins
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(sha256)
    }

    /// `local directory data/files` or `s3://bucket/prefix`, for the start-up log.
    pub fn describe(&self) -> String {
        match &self.backend {
            Backend::Local { root } => format!("local directory {}", root.display()),
            Backend::Object { url, .. } => url.clone(),
        }
    }

    pub fn sha256(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    /// The local file of a content address (`root/ab/cd/abcdef…`); an error for object storage.
    pub fn path_of(&self, sha256: &str) -> Result<PathBuf> {
        let [a, b, name] = checked(sha256)?;
        match &self.backend {
            Backend::Local { root } => Ok(root.join(a).join(b).join(name)),
            Backend::Object { url, .. } => Err(Error::Internal(format!(
                "file store {url} has no local paths"
            ))),
        }
    }

    /// The object key of a content address (`prefix/ab/cd/abcdef…`); for a local directory,
    /// the path relative to it.
    pub fn key_of(&self, sha256: &str) -> Result<String> {
        let parts = checked(sha256)?;
        Ok(match &self.backend {
            Backend::Local { .. } => parts.join("/"),
            Backend::Object { prefix, .. } => object_key(prefix, parts).to_string(),
        })
    }

    /// Stores bytes (once) and returns their SHA-256.
    pub async fn put(&self, bytes: &[u8]) -> Result<String> {
        let sha = Self::sha256(bytes);
        self.put_hashed(&sha, bytes).await?;
        Ok(sha)
    }

    /// [`FileStore::put`] of bytes whose SHA-256 the caller computed ([`FileStore::sha256`]).
    pub async fn put_hashed(&self, sha: &str, bytes: &[u8]) -> Result<()> {
        match &self.backend {
            Backend::Local { .. } => {
                let path = self.path_of(sha)?;
                if tokio::fs::try_exists(&path).await.map_err(io)? {
                    return Ok(());
                }
                let dir = path.parent().expect("content path has a parent");
                tokio::fs::create_dir_all(dir).await.map_err(io)?;
                let tmp = dir.join(format!(".{sha}.{}.tmp", rand::random::<u64>()));
                write_synced(&tmp, bytes).await?;
                tokio::fs::rename(&tmp, &path).await.map_err(io)?;
                if let Ok(d) = tokio::fs::File::open(dir).await {
                    let _ = d.sync_all().await;
                }
            }
            Backend::Object { store, prefix, .. } => {
                let key = object_key(prefix, checked(sha)?);
                match store.head(&key).await {
                    Ok(_) => return Ok(()),
                    Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => return Err(object(e)),
                }
                store
                    .put(&key, PutPayload::from(Bytes::copy_from_slice(bytes)))
                    .await
                    .map_err(object)?;
            }
        }
        Ok(())
    }

    /// All the bytes of a stored file.
    pub async fn get(&self, sha256: &str) -> Result<Vec<u8>> {
        match &self.backend {
            Backend::Local { .. } => tokio::fs::read(self.path_of(sha256)?).await.map_err(io),
            Backend::Object { store, prefix, .. } => {
                let key = object_key(prefix, checked(sha256)?);
                let found = store.get(&key).await.map_err(object)?;
                Ok(found.bytes().await.map_err(object)?.to_vec())
            }
        }
    }

    /// A stored file's bytes as a stream, for large downloads. A missing file is an error
    /// here, before any byte is sent; a failure later ends the stream with an error.
    pub async fn stream(&self, sha256: &str) -> Result<ByteStream> {
        match &self.backend {
            Backend::Local { .. } => {
                let file = tokio::fs::File::open(self.path_of(sha256)?)
                    .await
                    .map_err(io)?;
                Ok(tokio_util::io::ReaderStream::new(file).boxed())
            }
            Backend::Object { store, prefix, .. } => {
                let key = object_key(prefix, checked(sha256)?);
                let found = store.get(&key).await.map_err(object)?;
                Ok(found
                    .into_stream()
                    .map_err(|e| std::io::Error::other(format!("object store: {e}")))
                    .boxed())
            }
        }
    }

    /// Removes a stored file; one that is already gone is fine, one that is pinned
    /// ([`FileStore::pin`]) stays.
    pub async fn delete(&self, sha256: &str) -> Result<()> {
        if self.is_pinned(sha256) {
            return Ok(());
        }
        match &self.backend {
            Backend::Local { .. } => match tokio::fs::remove_file(self.path_of(sha256)?).await {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(io(e)),
            },
            Backend::Object { store, prefix, .. } => {
                let key = object_key(prefix, checked(sha256)?);
                match store.delete(&key).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                    Err(e) => Err(object(e)),
                }
            }
        }
    }
}

fn object_key(prefix: &ObjectPath, parts: [&str; 3]) -> ObjectPath {
    parts
        .into_iter()
        .fold(prefix.clone(), |key, part| key.join(part))
}

async fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    use tokio::io::AsyncWriteExt;
    let mut f = tokio::fs::File::create(path).await.map_err(io)?;
    f.write_all(bytes).await.map_err(io)?;
    f.sync_all().await.map_err(io)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn collect(stream: ByteStream) -> Vec<u8> {
        stream
            .try_fold(Vec::new(), |mut all, chunk| async move {
                all.extend_from_slice(&chunk);
                Ok(all)
            })
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn put_dedupes_get_and_delete() {
        let dir = std::env::temp_dir().join(format!("tandem-files-{}", rand::random::<u32>()));
        let store = FileStore::new(&dir);
        let a = store.put(b"hello").await.unwrap();
        let b = store.put(b"hello").await.unwrap();
        assert_eq!(a, b);
        assert_eq!(store.get(&a).await.unwrap(), b"hello");
        assert_eq!(collect(store.stream(&a).await.unwrap()).await, b"hello");
        assert_eq!(
            store.path_of(&a).unwrap(),
            dir.join(&a[..2]).join(&a[2..4]).join(&a)
        );
        store.delete(&a).await.unwrap();
        assert!(store.get(&a).await.is_err());
        assert!(store.stream(&a).await.is_err(), "missing file: an error");
        store.delete(&a).await.unwrap();
        assert!(store.path_of("../etc/passwd").is_err());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn streams_large_files_in_chunks() {
        let dir = std::env::temp_dir().join(format!("tandem-files-{}", rand::random::<u32>()));
        let store = FileStore::new(&dir);
        let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let sha = store.put(&big).await.unwrap();
        let chunks: Vec<Bytes> = store
            .stream(&sha)
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        assert!(chunks.len() > 1, "streamed, not read at once");
        assert_eq!(chunks.concat(), big);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn files_urls() {
        let local = FileStore::from_url(None, "data/files").unwrap();
        assert_eq!(local.describe(), "local directory data/files");
        let local = FileStore::from_url(Some(" "), "data/files").unwrap();
        assert!(local.path_of(&"a".repeat(64)).is_ok());
        let s3 = || {
            AmazonS3Builder::new()
                .with_access_key_id("k")
                .with_secret_access_key("s")
                .with_region("us-east-1")
        };
        let sha = "ab".repeat(32);
        let remote = FileStore::from_url_with(Some("s3://bucket/a/b/"), "unused", s3()).unwrap();
        assert_eq!(remote.describe(), "s3://bucket/a/b");
        assert_eq!(
            remote.key_of(&sha).unwrap(),
            format!("a/b/ab/ab/{sha}"),
            "prefix/ab/cd/sha"
        );
        assert!(remote.path_of(&sha).is_err(), "no local paths");
        assert!(remote.key_of("../x").is_err());
        let bare = FileStore::from_url_with(Some("s3://bucket"), "unused", s3()).unwrap();
        assert_eq!(bare.key_of(&sha).unwrap(), format!("ab/ab/{sha}"));
        for bad in [
            "http://bucket/x",
            "s3://",
            "s3:///prefix",
            "s3://Bad_Bucket/x",
            "s3://bucket/a//b",
            "s3://bucket/a/../b",
            "/var/files",
        ] {
            let err = FileStore::from_url_with(Some(bad), "unused", s3()).unwrap_err();
            assert!(
                err.to_string().contains("expected s3://bucket"),
                "{bad}: {err}"
            );
        }
    }
}
