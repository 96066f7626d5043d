-- Search index per article: a new article indexes only itself, instead of the whole ticket's
-- text being rebuilt on every change. `article_search` holds each article's tsvector (whether
-- it is internal and which ticket it belongs to are read from ticket_articles, so moving or
-- flagging an article needs no reindexing); `ticket_search` keeps only number and title.
CREATE TABLE article_search (
    article_id BIGINT PRIMARY KEY REFERENCES ticket_articles (id) ON DELETE CASCADE,
    tsv        TSVECTOR NOT NULL
);
CREATE INDEX article_search_tsv ON article_search USING GIN (tsv);
DROP INDEX ticket_search_public;
DROP INDEX ticket_search_all;
ALTER TABLE ticket_search DROP COLUMN tsv_public, DROP COLUMN tsv_all,
    DROP COLUMN public_text, DROP COLUMN internal_text;
ALTER TABLE ticket_search ADD COLUMN tsv TSVECTOR
    GENERATED ALWAYS AS (to_tsvector('simple', number || ' ' || title)) STORED;
CREATE INDEX ticket_search_tsv ON ticket_search USING GIN (tsv);
-- Articles written before this migration are indexed by the running server in batches
-- (`search_index::backfill`): ids up to `end_id`, from `next_id` on.
CREATE TABLE search_backfill (
    next_id BIGINT NOT NULL,
    end_id  BIGINT NOT NULL
);
INSERT INTO search_backfill (next_id, end_id)
    SELECT COALESCE(MIN(id), 1), MAX(id) FROM ticket_articles HAVING COUNT(*) > 0;
