-- Search index per article: a new article indexes only itself, instead of the whole ticket's
-- text being rebuilt on every change. `article_fts` holds each article's text (rowid = the
-- article's id; whether it is internal and which ticket it belongs to are read from
-- ticket_articles, so moving or flagging an article needs no reindexing); `ticket_fts` keeps
-- only the ticket's own number and title.
CREATE VIRTUAL TABLE article_fts USING fts5 (
    text,
    tokenize = 'unicode61 remove_diacritics 2'
);
DROP TABLE ticket_fts;
CREATE VIRTUAL TABLE ticket_fts USING fts5 (
    number, title,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO ticket_fts (rowid, number, title) SELECT id, number, title FROM tickets;
-- Articles written before this migration are indexed by the running server in batches
-- (`search_index::backfill`): ids up to `end_id`, from `next_id` on.
CREATE TABLE search_backfill (
    next_id INTEGER NOT NULL,
    end_id  INTEGER NOT NULL
);
INSERT INTO search_backfill (next_id, end_id)
    SELECT COALESCE(MIN(id), 1), MAX(id) FROM ticket_articles HAVING COUNT(*) > 0;
