-- Zammad's Signature: the text agents' e-mails of a group end with, with placeholders.
CREATE TABLE signatures (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL,
    body          TEXT NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1,
    note          TEXT NOT NULL DEFAULT '',
    created_by_id INTEGER NOT NULL,
    updated_by_id INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

ALTER TABLE groups ADD COLUMN signature_id INTEGER REFERENCES signatures (id) ON DELETE SET NULL;
