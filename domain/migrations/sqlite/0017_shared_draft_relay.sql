-- Rooms across instances (issue 17): the relay table several instances on one PostgreSQL
-- database share (see the PostgreSQL migration). SQLite runs one instance, so Tandem never
-- writes it here; it exists so that both schemas stay alike.
CREATE TABLE shared_draft_relay (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id  INTEGER NOT NULL,
    epoch      INTEGER NOT NULL,
    origin     INTEGER NOT NULL,
    kind       INTEGER NOT NULL,
    payload    BLOB NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE INDEX shared_draft_relay_ticket ON shared_draft_relay (ticket_id, epoch, id);
CREATE INDEX shared_draft_relay_age ON shared_draft_relay (created_ms);
