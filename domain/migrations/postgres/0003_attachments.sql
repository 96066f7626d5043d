-- Attachment records; the bytes live in the file store under their SHA-256.
CREATE TABLE attachments (
    id         BIGSERIAL PRIMARY KEY,
    article_id BIGINT REFERENCES ticket_articles (id) ON DELETE CASCADE,
    form_id    TEXT,                 -- upload cache (article_id NULL until claimed)
    user_id    BIGINT NOT NULL REFERENCES users (id),
    filename   TEXT NOT NULL,
    size       BIGINT NOT NULL,
    sha256     TEXT NOT NULL,
    mime_type  TEXT NOT NULL,
    content_id TEXT,
    inline     BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX attachments_article ON attachments (article_id);
CREATE INDEX attachments_form ON attachments (form_id, user_id);
CREATE INDEX attachments_sha ON attachments (sha256);
