-- Page marks of `GET /tickets` (storage::ticket_list_marks) stay valid while this counter is
-- unchanged: a mark says which ticket id ends the first n·stride tickets of a scope, by id.
-- New tickets take ids above every id handed out before (the marks are taken while no
-- ticket insert is in flight: the shared advisory lock of storage::ticket_list_marks) and so
-- never move a mark; what can move one bumps the counter: a deleted ticket, a ticket moved
-- between scopes (group, customer, organisation) and a ticket inserted below the highest id
-- (an explicit id).
INSERT INTO counters (name, value) VALUES ('ticket_list_generation', 0);

CREATE FUNCTION bump_ticket_list_generation() RETURNS trigger AS $$
BEGIN
    UPDATE counters SET value = value + 1 WHERE name = 'ticket_list_generation';
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

-- Once per statement: a bulk insert of ascending new ids must not bump it row by row. Is there
-- an existing ticket above the lowest new id? Either the highest id is not a new one, or the
-- new ids' range holds more tickets than the new ones. Both are index lookups (the range
-- walks only as far as the new ids span); a single new ticket needs only the first.
CREATE FUNCTION bump_ticket_list_generation_below() RETURNS trigger AS $$
DECLARE
    lowest BIGINT;
    highest BIGINT;
    added BIGINT;
BEGIN
    SELECT MIN(id), MAX(id), COUNT(*) INTO lowest, highest, added FROM inserted;
    IF (SELECT MAX(id) FROM tickets) > highest
       OR (added > 1 AND (SELECT COUNT(*) FROM tickets WHERE id BETWEEN lowest AND highest) > added) THEN
        UPDATE counters SET value = value + 1 WHERE name = 'ticket_list_generation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER tickets_list_delete AFTER DELETE ON tickets FOR EACH STATEMENT EXECUTE FUNCTION bump_ticket_list_generation();
CREATE TRIGGER tickets_list_scope AFTER UPDATE OF id, group_id, customer_id, organization_id ON tickets FOR EACH ROW
    WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.group_id IS DISTINCT FROM NEW.group_id OR OLD.customer_id IS DISTINCT FROM NEW.customer_id OR OLD.organization_id IS DISTINCT FROM NEW.organization_id)
    EXECUTE FUNCTION bump_ticket_list_generation();
CREATE TRIGGER tickets_list_insert_below AFTER INSERT ON tickets REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION bump_ticket_list_generation_below();
