-- Zammad's Signature: the text agents' e-mails of a group end with, with placeholders.
CREATE TABLE signatures (
    id            BIGSERIAL PRIMARY KEY,
    name          TEXT NOT NULL,
    body          TEXT NOT NULL,
    active        BIGINT NOT NULL DEFAULT 1,
    note          TEXT NOT NULL DEFAULT '',
    created_by_id BIGINT NOT NULL,
    updated_by_id BIGINT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

ALTER TABLE groups ADD COLUMN signature_id BIGINT REFERENCES signatures (id) ON DELETE SET NULL;
