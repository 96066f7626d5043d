-- How FTS5 merges the index's segments (SQLite's FTS5 documentation, "The 'automerge'
-- Configuration Option" and "The 'crisismerge' Configuration Option"; kept in each table's
-- `_config` table).
--
-- Every commit writes the rows it indexed as a new segment (one per batch of group commit,
-- storage::search_index_queue). With FTS5's defaults (automerge 4, crisismerge 16) the merging
-- of those small segments came in bursts: every 64 leaf pages written, FTS5 merges
-- 64 x levels pages at once inside the commit that crossed the mark, while the single writer
-- waits. Under the benchmark's article load 1 % of the batches' index moves took 14-166 ms
-- against 0.5 ms for the median (the log of a timed build). Merging 16 segments at a time
-- leaves fewer levels, so each burst is smaller and the merging as a whole less work; the
-- crisis merge (a whole level at once) only past 64 segments. Python's sqlite3, 10,000 batches
-- of 20 short rows into a 500,000-row index: per batch p99.9 6.2 ms (was 44.5), longest
-- 13 ms (was 66), all batches 4.8 s (was 7.0 s); a one-term count over the index reads
-- more segments: 0.18 ms (was 0.06).
INSERT INTO article_fts (article_fts, rank) VALUES ('automerge', 16);
INSERT INTO article_fts (article_fts, rank) VALUES ('crisismerge', 64);
INSERT INTO ticket_fts (ticket_fts, rank) VALUES ('automerge', 16);
INSERT INTO ticket_fts (ticket_fts, rank) VALUES ('crisismerge', 64);
