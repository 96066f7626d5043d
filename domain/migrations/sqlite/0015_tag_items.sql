-- Zammad's Tag::Item: every tag name in use or created by an admin (`/tag_list`), with its
-- lower-case form for `/tag_search`.
CREATE TABLE tag_items (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL UNIQUE,
    name_downcase TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX tag_items_downcase ON tag_items (name_downcase);
INSERT INTO tag_items (name, name_downcase, created_at)
    SELECT DISTINCT name, lower(name), '2026-12-01T00:00:00.000Z' FROM ticket_tags;
