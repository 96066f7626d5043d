//! The upload cache (Zammad's `UploadCache`, `POST /attachments` with a `form_id`): files an
//! agent or customer uploads while writing, claimed later by the article that is sent with
//! that `form_id`.

use crate::Result;
use crate::desk::Desk;
use crate::policy::access::Actor;
use crate::tickets::articles;
use crate::tickets::attachments::{self, AttachmentRecord, NewFile};

impl Desk {
    /// Stores an uploaded file in `actor`'s upload cache under `form_id`. The bytes are hashed
    /// and written to the file store before the write transaction (which only inserts the
    /// row); when the row is refused, bytes nobody references are removed again.
    /// Errors: 422 for a missing or over-long `form_id` (200 characters at most).
    pub async fn upload_to_cache(
        &self,
        actor: &Actor,
        form_id: &str,
        file: NewFile,
    ) -> Result<AttachmentRecord> {
        let mut files = vec![file];
        let pinned = attachments::store_bytes(&self.files, &mut files).await?;
        let stored = super::StoredFiles {
            pinned: Some(pinned),
            hashes: files.iter().filter_map(|f| f.sha256.clone()).collect(),
        };
        let outcome = async {
            let file = files
                .pop()
                .ok_or_else(|| crate::Error::Internal("no file to store".into()))?;
            let mut tx = self.store.write().await?;
            let record =
                attachments::upload_to_cache(&mut tx, &self.files, actor, form_id, file).await?;
            tx.commit().await?;
            Ok(record)
        }
        .await;
        stored.settle(self, outcome).await
    }

    /// Forwarding an article: its attached files copied into `actor`'s upload cache `form_id`
    /// ([`attachments::clone_to_cache`]), for the forwarded e-mail the caller is writing.
    /// Errors: 404 for an unknown article, 403 for one `actor` may not read (an internal
    /// article for a customer), 422 for a bad `form_id`.
    pub async fn clone_article_attachments(
        &self,
        actor: &Actor,
        article_id: i64,
        form_id: &str,
    ) -> Result<Vec<AttachmentRecord>> {
        let mut tx = self.store.write().await?;
        let (article, _) = articles::load_readable(&mut tx, actor, article_id).await?;
        let copies = attachments::clone_to_cache(&mut tx, actor, &article, form_id).await?;
        tx.commit().await?;
        Ok(copies)
    }

    /// Removes one of `actor`'s cached uploads (403 for anyone else's or one already claimed
    /// by an article), and its bytes when nothing else references them.
    pub async fn delete_cached_upload(&self, actor: &Actor, id: i64) -> Result<()> {
        let mut tx = self.store.write().await?;
        let hash = attachments::delete_cached(&mut tx, actor, id).await?;
        tx.commit().await?;
        if let Some(hash) = hash {
            let mut conn = self.store.read().await?;
            attachments::remove_unreferenced(&mut conn, &self.files, &[hash]).await?;
        }
        Ok(())
    }
}
