-- The tickets a write transaction changed are kept in the transaction itself (the
-- transaction-local setting `tandem.changed_tickets`, a comma-separated id list, `*` for every
-- ticket) instead of rows of `changed_tickets`: no row is written, and the commit no longer
-- deletes them with a scan over the table's dead rows. The commit's last statement reads the
-- list (domain/src/storage/ticket_cache.rs, TAKE_POSTGRES); the other instances hear of it
-- after the commit. A rolled-back transaction or savepoint takes its part of the list back
-- with it, as it did the rows. A list that would grow past 7,000 characters becomes `*` (the
-- longest list a notification carries, ticket_cache::PAYLOAD_LIMIT).
CREATE OR REPLACE FUNCTION remember_changed_ticket() RETURNS trigger AS $$
DECLARE
    listed TEXT := current_setting('tandem.changed_tickets', true);
    id TEXT := OLD.id::text;
BEGIN
    IF listed IS NULL OR listed = '' THEN
        PERFORM set_config('tandem.changed_tickets', id, true);
    ELSIF listed <> '*' AND position(',' || id || ',' IN ',' || listed || ',') = 0 THEN
        PERFORM set_config('tandem.changed_tickets',
            CASE WHEN length(listed) + 1 + length(id) > 7000 THEN '*' ELSE listed || ',' || id END,
            true);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION remember_every_ticket_changed() RETURNS trigger AS $$
BEGIN
    PERFORM set_config('tandem.changed_tickets', '*', true);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

-- `changed_tickets` stays, emptied (of what earlier migrations' changes left there), for the
-- instances of the previous release that still run during a rolling upgrade: their commits
-- still delete from it.
DELETE FROM changed_tickets;
