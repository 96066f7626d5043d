-- Shared drafts. A ticket's reply draft (zoom draft) is a live CRDT document: `ydoc` is its
-- compacted yrs snapshot; `new_article` (with the body as HTML) and `ticket_attributes` are
-- derived from it (the REST projection). Updates that arrived after the snapshot wait in the update log, so a
-- crash loses nothing the server acknowledged. The ticket's `shared_draft_epoch` is bumped when
-- a draft is deleted or sent, so editors holding an older document must drop it.
ALTER TABLE tickets ADD COLUMN shared_draft_epoch INTEGER NOT NULL DEFAULT 1;

CREATE TABLE ticket_shared_drafts (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id         INTEGER NOT NULL UNIQUE REFERENCES tickets (id) ON DELETE CASCADE,
    epoch             INTEGER NOT NULL,
    rev               INTEGER NOT NULL DEFAULT 0,
    ydoc              BLOB NOT NULL,
    new_article       TEXT NOT NULL,
    ticket_attributes TEXT NOT NULL,
    created_by_id     INTEGER NOT NULL REFERENCES users (id),
    updated_by_id     INTEGER NOT NULL REFERENCES users (id),
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);

CREATE TABLE ticket_shared_draft_updates (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    draft_id   INTEGER NOT NULL REFERENCES ticket_shared_drafts (id) ON DELETE CASCADE,
    payload    BLOB NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL
);
CREATE INDEX ticket_shared_draft_updates_draft ON ticket_shared_draft_updates (draft_id, id);

-- Named drafts for new tickets (`/tickets/shared_drafts`): plain hand-over documents.
CREATE TABLE ticket_shared_draft_starts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL,
    group_id      INTEGER NOT NULL REFERENCES groups (id),
    content       TEXT NOT NULL,
    created_by_id INTEGER NOT NULL REFERENCES users (id),
    updated_by_id INTEGER NOT NULL REFERENCES users (id),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- A draft's files (non-inline uploads taken over from an upload cache).
ALTER TABLE attachments ADD COLUMN shared_draft_id INTEGER REFERENCES ticket_shared_drafts (id) ON DELETE CASCADE;
ALTER TABLE attachments ADD COLUMN start_draft_id INTEGER REFERENCES ticket_shared_draft_starts (id) ON DELETE CASCADE;
CREATE INDEX attachments_shared_draft ON attachments (shared_draft_id);
CREATE INDEX attachments_start_draft ON attachments (start_draft_id);
