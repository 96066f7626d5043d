-- Rooms across instances (issue 17). Several `tandem` instances on one PostgreSQL database
-- relay a live draft room's y-sync updates, awareness states and room closings through this
-- table: a row holds the bytes (a NOTIFY payload is limited to 8,000 bytes), a
-- `NOTIFY tandem_drafts` announces it (with the bytes inline when they are small). Rows are
-- not the draft's storage (that is `ticket_shared_drafts` and its update log): they only let
-- the other instances catch up, and are deleted after about a minute.
-- kind: 0 = y-sync update, 1 = awareness update, 2 = the room closed (JSON control message).
CREATE TABLE shared_draft_relay (
    id         BIGSERIAL PRIMARY KEY,
    ticket_id  BIGINT NOT NULL,
    epoch      BIGINT NOT NULL,
    origin     BIGINT NOT NULL,
    kind       SMALLINT NOT NULL,
    payload    BYTEA NOT NULL,
    created_ms BIGINT NOT NULL
);
CREATE INDEX shared_draft_relay_ticket ON shared_draft_relay (ticket_id, epoch, id);
CREATE INDEX shared_draft_relay_age ON shared_draft_relay (created_ms);
