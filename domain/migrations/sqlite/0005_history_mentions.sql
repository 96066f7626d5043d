-- What happened to a ticket, and who follows it.
CREATE TABLE ticket_history (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id      INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    history_type   TEXT NOT NULL,       -- created | updated | removed | merged_into | received_merge
    history_object TEXT NOT NULL,       -- Ticket | Ticket::Article | Tag | Mention
    object_id      INTEGER NOT NULL,
    attribute      TEXT,
    value_from     TEXT,
    value_to       TEXT,
    id_from        INTEGER,
    id_to          INTEGER,
    created_by_id  INTEGER NOT NULL,
    created_at     TEXT NOT NULL
);
CREATE INDEX ticket_history_ticket ON ticket_history (ticket_id, id);

CREATE TABLE mentions (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id      INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_by_id  INTEGER NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    UNIQUE (ticket_id, user_id)
);
