//! Keeping the search index whole: articles written before the per-article index existed
//! (migration `0016_article_search`) are indexed by the running server, in batches, without
//! holding the write lock for longer than one batch's SQL.

use crate::Result;
use crate::desk::Desk;
use crate::tickets::search_index;

impl Desk {
    /// Indexes what the backfill still holds, batch after batch (each read and turned into
    /// text on a read connection, then written in a short write transaction). Returns the
    /// number of batches written; `Ok(0)` when nothing was left.
    pub async fn backfill_search_index(&self) -> Result<usize> {
        let mut batches = 0;
        loop {
            let batch = {
                let mut conn = self.store.read().await?;
                search_index::backfill_read(&mut conn).await?
            };
            let Some(batch) = batch else {
                return Ok(batches);
            };
            let mut tx = self.store.write().await?;
            let more = search_index::backfill_write(&mut tx, batch).await?;
            tx.commit().await?;
            batches += 1;
            if !more {
                return Ok(batches);
            }
            tokio::task::yield_now().await;
        }
    }

    /// Runs [`Desk::backfill_search_index`] in the background on the current runtime (a
    /// failure is logged and retried a minute later).
    pub fn spawn_search_backfill(&self) -> tokio::task::JoinHandle<()> {
        let desk = self.clone();
        tokio::spawn(async move {
            loop {
                match desk.backfill_search_index().await {
                    Ok(0) => return,
                    Ok(batches) => {
                        tracing::info!(batches, "search index: older articles indexed");
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "search index backfill failed; retrying in 60 s");
                        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
                    }
                }
            }
        })
    }
}
