-- Inbound mailboxes (Zammad's Channel with an IMAP inbound adapter): Tandem polls them and
-- waits with IDLE; each message becomes a ticket or follow-up in the channel's group.
CREATE TABLE email_channels (
    id               BIGSERIAL PRIMARY KEY,
    group_id         BIGINT NOT NULL REFERENCES groups (id),
    host             TEXT NOT NULL,
    port             BIGINT NOT NULL,
    -- ssl (TLS from the start, 993) | starttls | off
    ssl              TEXT NOT NULL DEFAULT 'ssl',
    username         TEXT NOT NULL,
    password         TEXT NOT NULL,
    folder           TEXT NOT NULL DEFAULT 'INBOX',
    keep_on_server   BIGINT NOT NULL DEFAULT 0,
    active           BIGINT NOT NULL DEFAULT 1,
    -- ok | error, and the last error, as Zammad's status_in / last_log_in
    status_in        TEXT,
    last_log_in      TEXT,
    last_fetch_at    TEXT,
    -- the instance polling it holds this lease (several instances on one database)
    poll_lock_until  TEXT,
    poll_holder      TEXT,
    created_by_id    BIGINT NOT NULL,
    updated_by_id    BIGINT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
