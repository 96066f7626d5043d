-- Tickets, articles, tags.

CREATE TABLE tickets (
    id                       INTEGER PRIMARY KEY AUTOINCREMENT,
    number                   TEXT NOT NULL UNIQUE,
    title                    TEXT NOT NULL,
    group_id                 INTEGER NOT NULL REFERENCES groups (id),
    priority_id              INTEGER NOT NULL REFERENCES ticket_priorities (id),
    state_id                 INTEGER NOT NULL REFERENCES ticket_states (id),
    organization_id          INTEGER REFERENCES organizations (id),
    owner_id                 INTEGER NOT NULL REFERENCES users (id),
    customer_id              INTEGER NOT NULL REFERENCES users (id),
    note                     TEXT,
    first_response_at        TEXT,
    close_at                 TEXT,
    last_close_at            TEXT,
    last_contact_at          TEXT,
    last_contact_agent_at    TEXT,
    last_contact_customer_at TEXT,
    last_owner_update_at     TEXT,
    create_article_type_id   INTEGER,
    create_article_sender_id INTEGER,
    article_count            INTEGER NOT NULL DEFAULT 0,
    pending_time             TEXT,
    preferences              TEXT NOT NULL DEFAULT '{}',
    created_by_id            INTEGER NOT NULL,
    updated_by_id            INTEGER NOT NULL,
    created_at               TEXT NOT NULL,
    updated_at               TEXT NOT NULL
);
CREATE INDEX tickets_group ON tickets (group_id, id);
CREATE INDEX tickets_customer ON tickets (customer_id, id);
CREATE INDEX tickets_organization ON tickets (organization_id, id);
CREATE INDEX tickets_owner ON tickets (owner_id);
CREATE INDEX tickets_state ON tickets (state_id);
CREATE INDEX tickets_updated ON tickets (updated_at);

CREATE TABLE ticket_articles (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id     INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    type_id       INTEGER NOT NULL REFERENCES ticket_article_types (id),
    sender_id     INTEGER NOT NULL REFERENCES ticket_article_senders (id),
    from_address  TEXT,
    to_address    TEXT,
    cc            TEXT,
    subject       TEXT,
    reply_to      TEXT,
    message_id    TEXT,
    in_reply_to   TEXT,
    content_type  TEXT NOT NULL,
    body          TEXT NOT NULL,
    internal      INTEGER NOT NULL DEFAULT 0,
    preferences   TEXT NOT NULL DEFAULT '{}',
    origin_by_id  INTEGER REFERENCES users (id),
    created_by_id INTEGER NOT NULL,
    updated_by_id INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX ticket_articles_ticket ON ticket_articles (ticket_id, id);

CREATE TABLE ticket_tags (
    ticket_id INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    name      TEXT NOT NULL,
    created_by_id INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (ticket_id, name)
);
CREATE INDEX ticket_tags_name ON ticket_tags (name);
