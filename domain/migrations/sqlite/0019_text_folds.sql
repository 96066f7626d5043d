-- Case-folded copies of the names and texts that search and lookups compare regardless of
-- case (storage::text). SQLite's lower() and LIKE fold ASCII only, so these columns are
-- written in Rust (every script) whenever their source changes, on both databases alike, and
-- indexed where they are compared for equality.
ALTER TABLE groups ADD COLUMN name_downcase TEXT NOT NULL DEFAULT '';
UPDATE groups SET name_downcase = lower(name);
CREATE INDEX groups_name_downcase ON groups (name_downcase);

ALTER TABLE organizations ADD COLUMN name_downcase TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN note_downcase TEXT NOT NULL DEFAULT '';
UPDATE organizations SET name_downcase = lower(name), note_downcase = lower(note);
CREATE INDEX organizations_name_downcase ON organizations (name_downcase);

ALTER TABLE ticket_states ADD COLUMN name_downcase TEXT NOT NULL DEFAULT '';
UPDATE ticket_states SET name_downcase = lower(name);
CREATE INDEX ticket_states_name_downcase ON ticket_states (name_downcase);

ALTER TABLE ticket_priorities ADD COLUMN name_downcase TEXT NOT NULL DEFAULT '';
UPDATE ticket_priorities SET name_downcase = lower(name);
CREATE INDEX ticket_priorities_name_downcase ON ticket_priorities (name_downcase);

-- "firstname lastname": every first name, last name and full name a user search matches
ALTER TABLE users ADD COLUMN name_downcase TEXT NOT NULL DEFAULT '';
UPDATE users SET name_downcase = lower(firstname || ' ' || lastname);

-- The columns above as SQL's lower() filled them: folded again in Rust once, when the store
-- opens (storage::text::refold_listed), then removed from this list. `source` is the SQL
-- expression whose folded value the column holds.
CREATE TABLE text_folds (
    table_name  TEXT NOT NULL,
    column_name TEXT NOT NULL,
    source      TEXT NOT NULL
);
INSERT INTO text_folds (table_name, column_name, source) VALUES
    ('groups', 'name_downcase', 'name'),
    ('organizations', 'name_downcase', 'name'),
    ('organizations', 'note_downcase', 'note'),
    ('ticket_states', 'name_downcase', 'name'),
    ('ticket_priorities', 'name_downcase', 'name'),
    ('users', 'name_downcase', 'firstname || '' '' || lastname');

-- The words of the full-text indexes, for words with wildcards inside (`pr*nt`, `*rinter`;
-- FTS5 itself only has prefixes): one row per word occurrence (term, doc = rowid, col,
-- offset), read by a range of terms (search::Compiler::ticket_word_pattern). A migration that
-- recreates ticket_fts or article_fts keeps these working (they name the tables, not a copy).
CREATE VIRTUAL TABLE ticket_fts_instances USING fts5vocab(ticket_fts, instance);
CREATE VIRTUAL TABLE article_fts_instances USING fts5vocab(article_fts, instance);
