-- E-mail: sender addresses per group, the outbound queue, raw messages, failed inbound mail.

-- Zammad's EmailAddress: the address a group's replies come from ("Name <email>").
CREATE TABLE email_addresses (
    id            BIGSERIAL PRIMARY KEY,
    name          TEXT NOT NULL,
    email         TEXT NOT NULL,
    active        BIGINT NOT NULL DEFAULT 1,
    note          TEXT NOT NULL DEFAULT '',
    created_by_id BIGINT NOT NULL,
    updated_by_id BIGINT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE UNIQUE INDEX email_addresses_email ON email_addresses (lower(email));

ALTER TABLE groups ADD COLUMN email_address_id BIGINT REFERENCES email_addresses (id) ON DELETE SET NULL;

-- Outgoing e-mail articles waiting for (another) delivery attempt. A row is claimed by
-- setting locked_until (a lease); it goes when the message is accepted or given up.
CREATE TABLE mail_outbox (
    article_id      BIGINT PRIMARY KEY REFERENCES ticket_articles (id) ON DELETE CASCADE,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    locked_until    TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at);

-- The RFC 5322 message an article came from or went out as (Zammad's ticket_article_plain).
CREATE TABLE ticket_article_mails (
    article_id BIGINT PRIMARY KEY REFERENCES ticket_articles (id) ON DELETE CASCADE,
    sha256     TEXT NOT NULL,
    size       BIGINT NOT NULL
);

-- Inbound messages that did not become an article (unreadable, too large, rate-limited, a
-- loop): kept whole for an admin to look at (Zammad's unprocessable_mail spool).
CREATE TABLE failed_mails (
    id         BIGSERIAL PRIMARY KEY,
    reason     TEXT NOT NULL,
    sender     TEXT,
    subject    TEXT,
    group_id   BIGINT,
    sha256     TEXT NOT NULL,
    size       BIGINT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE INDEX ticket_articles_message_id ON ticket_articles (message_id);
