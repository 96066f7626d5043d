//! Where attachment bytes live: a local directory, content-addressed by SHA-256 (so identical
//! files are stored once), written atomically (temp file + rename + fsync).

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::{Error, Result};

#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
}

fn io(err: std::io::Error) -> Error {
    Error::Internal(format!("file store: {err}"))
}

impl FileStore {
    pub fn new(root: impl Into<PathBuf>) -> FileStore {
        FileStore { root: root.into() }
    }

    pub fn sha256(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    /// `ab/cd/abcdef…`: two directory levels keep directories small.
    pub fn path_of(&self, sha256: &str) -> Result<PathBuf> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::Internal(format!("bad content address {sha256:?}")));
        }
        Ok(self
            .root
            .join(&sha256[..2])
            .join(&sha256[2..4])
            .join(sha256))
    }

    /// Stores bytes (once) and returns their SHA-256.
    pub async fn put(&self, bytes: &[u8]) -> Result<String> {
        let sha = Self::sha256(bytes);
        let path = self.path_of(&sha)?;
        if tokio::fs::try_exists(&path).await.map_err(io)? {
            return Ok(sha);
        }
        let dir = path.parent().expect("content path has a parent");
        tokio::fs::create_dir_all(dir).await.map_err(io)?;
        let tmp = dir.join(format!(".{sha}.{}.tmp", rand::random::<u64>()));
        write_synced(&tmp, bytes).await?;
        tokio::fs::rename(&tmp, &path).await.map_err(io)?;
        if let Ok(d) = tokio::fs::File::open(dir).await {
            let _ = d.sync_all().await;
        }
        Ok(sha)
    }

    pub async fn get(&self, sha256: &str) -> Result<Vec<u8>> {
        tokio::fs::read(self.path_of(sha256)?).await.map_err(io)
    }

    pub async fn open(&self, sha256: &str) -> Result<tokio::fs::File> {
        tokio::fs::File::open(self.path_of(sha256)?)
            .await
            .map_err(io)
    }

    pub async fn delete(&self, sha256: &str) -> Result<()> {
        match tokio::fs::remove_file(self.path_of(sha256)?).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io(e)),
        }
    }
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

    #[tokio::test]
    async fn put_dedupes_get_and_delete() {
        let dir = std::env::temp_dir().join(format!("tandem-files-{}", rand::random::<u32>()));
        let store = FileStore::new(&dir);
        let a = store.put(b"hello").await.unwrap();
        let b = store.put(b"hello").await.unwrap();
        assert_eq!(a, b);
        assert_eq!(store.get(&a).await.unwrap(), b"hello");
        store.delete(&a).await.unwrap();
        assert!(store.get(&a).await.is_err());
        assert!(store.path_of("../etc/passwd").is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
