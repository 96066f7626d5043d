-- Zammad's Ticket::TimeAccounting: time spent on a ticket, optionally with the article it was
-- recorded with; tickets.time_unit is the sum.
CREATE TABLE ticket_time_accountings (
    id                BIGSERIAL PRIMARY KEY,
    ticket_id         BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    ticket_article_id BIGINT REFERENCES ticket_articles (id) ON DELETE SET NULL,
    time_unit         DOUBLE PRECISION NOT NULL,
    type_id           BIGINT,
    created_by_id     BIGINT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX ticket_time_accountings_ticket ON ticket_time_accountings (ticket_id, id);

ALTER TABLE tickets ADD COLUMN time_unit DOUBLE PRECISION;
