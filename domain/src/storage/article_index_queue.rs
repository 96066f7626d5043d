//! SQLite: new articles' search rows wait in a temporary table of the writing connection and
//! go into the FTS5 table `article_fts` with the transaction's `COMMIT`, all of them in one
//! statement.
//!
//! FTS5 writes the terms it collected as a new segment of its index whenever a savepoint or a
//! statement that may need rolling back starts (`fts5SavepointMethod`, SQLite's
//! `ext/fts5/fts5_main.c`), and merges segments as they pile up. Group commit
//! ([`crate::storage::group_commit`]) gives every write a savepoint, so a row written where the
//! article is written cost a segment (and its share of merging) per article: a batch of 30
//! articles took about 100 µs more per article under the single writer than the same rows
//! written once per batch (Python's `sqlite3` on the benchmark's database). Waiting here, a
//! batch's rows make one segment.
//!
//! The table is `TEMP` (each connection has its own, created when the connection opens; it is
//! never written to disk by a commit) and part of the transaction: a write rolled back to its
//! savepoint takes its queued rows with it. Searches read committed data from other
//! connections, so they never miss a queued row: it is in `article_fts` by the time the article
//! is visible to them. An article removed in the same transaction leaves no row (the move skips
//! rows whose article is gone; `search_index::remove_article` also drops its queued row).
//! PostgreSQL writes its `tsvector` row at once (its GIN index has a pending list of its own).

/// Creates the queue, `article_fts_pending` (`rowid` = the article's id, `text` = its indexed
/// text), on a new SQLite connection.
pub(crate) const CREATE: &str = "CREATE TEMP TABLE IF NOT EXISTS article_fts_pending \
     (rowid INTEGER PRIMARY KEY, text TEXT NOT NULL)";

/// Moves the queued rows into `article_fts` (replacing an older row of the same article) and
/// empties the queue: the statements that run before every SQLite `COMMIT`.
pub(crate) const MOVE_TO_INDEX: &str = "REPLACE INTO article_fts (rowid, text) \
     SELECT p.rowid, p.text FROM article_fts_pending p \
     WHERE EXISTS (SELECT 1 FROM ticket_articles a WHERE a.id = p.rowid); \
     DELETE FROM article_fts_pending";
