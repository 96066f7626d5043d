-- Online notifications (the bell) and the queue of automatic mail (agent notifications,
-- customer acknowledgements), whose messages are built when queued.

-- Zammad's OnlineNotification: type create | update | assign | mention, on a ticket.
CREATE TABLE online_notifications (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    ticket_id     INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    type          TEXT NOT NULL,
    seen          INTEGER NOT NULL DEFAULT 0,
    created_by_id INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX online_notifications_user ON online_notifications (user_id, id);

CREATE TABLE system_mail_queue (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    -- the whole RFC 5322 message as built (7-bit: lettre encodes every part)
    message         TEXT NOT NULL,
    envelope_from   TEXT NOT NULL,
    -- comma-separated envelope recipients
    recipients      TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    locked_until    TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL
);
CREATE INDEX system_mail_queue_due ON system_mail_queue (next_attempt_at);

-- A group's acknowledgement to customers who open a ticket (null: none), with placeholders.
ALTER TABLE groups ADD COLUMN acknowledgement TEXT;
