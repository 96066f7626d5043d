//! SQLite: the search rows a transaction writes (new articles' text, new or renamed tickets'
//! number and title) wait in temporary tables of the writing connection and go into the FTS5
//! tables `article_fts` and `ticket_fts` with the transaction's `COMMIT`, one statement per
//! table.
//!
//! FTS5 writes the terms it collected as a new segment of its index whenever a savepoint or a
//! statement that may need rolling back starts (`fts5SavepointMethod` calls
//! `sqlite3Fts5FlushToDisk`, SQLite's `ext/fts5/fts5_main.c`), and merges segments as they
//! pile up. Group commit ([`crate::storage::group_commit`]) gives every write a savepoint, so a
//! row written where its record is written cost a segment (and its share of merging) per
//! write, and every later write of the batch flushed the table again when it opened its own
//! savepoint: a batch of 30 articles took about 100 µs more per article under the single
//! writer than the same rows written once per batch (Python's `sqlite3` on the benchmark's
//! database), and with the ticket rows written at once, `fts5SavepointMethod` took 11 % of
//! the writer thread's time while new tickets were posted (`perf record`, `POST /tickets` at
//! concurrency 32). Waiting here, a batch's rows make one segment per table.
//!
//! The tables are `TEMP` (each connection has its own, created when the connection opens;
//! they are never written to disk by a commit) and part of the transaction: a write rolled
//! back to its savepoint takes its queued rows with it. Searches read committed data from
//! other connections, so they never miss a queued row: it is in the index by the time its
//! record is visible to them. A record removed in the same transaction leaves no row (the move
//! skips rows whose article or ticket is gone; `search_index::remove_article` and
//! `remove_ticket` also drop their queued rows). PostgreSQL writes its `tsvector` rows at once
//! (its GIN index has a pending list of its own).

/// Creates the queues on a new SQLite connection: `article_fts_pending` (`rowid` = the
/// article's id, `text` = its indexed text) and `ticket_fts_pending` (`rowid` = the ticket's
/// id, its `number` and `title`).
pub(crate) const CREATE: &str = "CREATE TEMP TABLE IF NOT EXISTS article_fts_pending \
     (rowid INTEGER PRIMARY KEY, text TEXT NOT NULL); \
     CREATE TEMP TABLE IF NOT EXISTS ticket_fts_pending \
     (rowid INTEGER PRIMARY KEY, number TEXT NOT NULL, title TEXT NOT NULL)";

/// Moves the queued rows into `article_fts` and `ticket_fts` (replacing an older row of the
/// same record) and empties the queues: the statements that run before every SQLite `COMMIT`.
pub(crate) const MOVE_TO_INDEX: &str = "REPLACE INTO article_fts (rowid, text) \
     SELECT p.rowid, p.text FROM article_fts_pending p \
     WHERE EXISTS (SELECT 1 FROM ticket_articles a WHERE a.id = p.rowid); \
     DELETE FROM article_fts_pending; \
     REPLACE INTO ticket_fts (rowid, number, title) \
     SELECT p.rowid, p.number, p.title FROM ticket_fts_pending p \
     WHERE EXISTS (SELECT 1 FROM tickets t WHERE t.id = p.rowid); \
     DELETE FROM ticket_fts_pending";
