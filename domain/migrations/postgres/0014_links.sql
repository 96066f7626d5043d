-- Zammad's Link between tickets: normal (both ways), or parent/child (source is the parent of
-- target when link_type = 'parent'; seen from the target it is 'child').
CREATE TABLE ticket_links (
    id            BIGSERIAL PRIMARY KEY,
    source_id     BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    target_id     BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    link_type     TEXT NOT NULL,
    created_by_id BIGINT NOT NULL,
    created_at    TEXT NOT NULL,
    UNIQUE (source_id, target_id)
);
CREATE INDEX ticket_links_target ON ticket_links (target_id);
