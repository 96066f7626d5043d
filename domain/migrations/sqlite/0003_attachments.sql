-- Attachment records; the bytes live in the file store under their SHA-256.
CREATE TABLE attachments (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id INTEGER REFERENCES ticket_articles (id) ON DELETE CASCADE,
    form_id    TEXT,                 -- upload cache (article_id NULL until claimed)
    user_id    INTEGER NOT NULL REFERENCES users (id),
    filename   TEXT NOT NULL,
    size       INTEGER NOT NULL,
    sha256     TEXT NOT NULL,
    mime_type  TEXT NOT NULL,
    content_id TEXT,
    inline     INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX attachments_article ON attachments (article_id);
CREATE INDEX attachments_form ON attachments (form_id, user_id);
CREATE INDEX attachments_sha ON attachments (sha256);
