-- Full-text search document per ticket. Internal article text is kept apart, so customers'
-- searches never match on it.
CREATE TABLE ticket_search (
    ticket_id     BIGINT PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
    number        TEXT NOT NULL,
    title         TEXT NOT NULL,
    public_text   TEXT NOT NULL,
    internal_text TEXT NOT NULL,
    tsv_public    TSVECTOR GENERATED ALWAYS AS (
        to_tsvector('simple', number || ' ' || title || ' ' || public_text)) STORED,
    tsv_all       TSVECTOR GENERATED ALWAYS AS (
        to_tsvector('simple', number || ' ' || title || ' ' || public_text || ' ' || internal_text)) STORED
);
CREATE INDEX ticket_search_public ON ticket_search USING GIN (tsv_public);
CREATE INDEX ticket_search_all ON ticket_search USING GIN (tsv_all);
