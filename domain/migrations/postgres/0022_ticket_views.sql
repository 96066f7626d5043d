-- When each user last looked at a ticket: the ticket's `updated_at` as the ticket page showed
-- it (`seen_updated_at`) and when that was (`viewed_at`). A ticket changed by someone else
-- after `seen_updated_at` (or never opened) is unread for that user in the overviews.
CREATE TABLE ticket_views (
    user_id         BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    ticket_id       BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    seen_updated_at TEXT NOT NULL,
    viewed_at       TEXT NOT NULL,
    PRIMARY KEY (user_id, ticket_id)
);
CREATE INDEX ticket_views_ticket ON ticket_views (ticket_id);
