-- Page marks of `GET /tickets` (storage::ticket_list_marks) stay valid while this counter is
-- unchanged: a mark says which ticket id ends the first n·stride tickets of a scope, by id.
-- New tickets take ids above every existing one and so never move a mark; what can move one
-- bumps the counter: a deleted ticket, a ticket moved between scopes (group, customer,
-- organisation) and a ticket inserted below the highest id (an explicit id).
INSERT INTO counters (name, value) VALUES ('ticket_list_generation', 0);

CREATE TRIGGER tickets_list_delete AFTER DELETE ON tickets BEGIN UPDATE counters SET value = value + 1 WHERE name = 'ticket_list_generation'; END;
CREATE TRIGGER tickets_list_scope AFTER UPDATE OF id, group_id, customer_id, organization_id ON tickets
    WHEN OLD.id IS NOT NEW.id OR OLD.group_id IS NOT NEW.group_id OR OLD.customer_id IS NOT NEW.customer_id OR OLD.organization_id IS NOT NEW.organization_id
    BEGIN UPDATE counters SET value = value + 1 WHERE name = 'ticket_list_generation'; END;
CREATE TRIGGER tickets_list_insert_below AFTER INSERT ON tickets
    WHEN NEW.id < (SELECT MAX(id) FROM tickets)
    BEGIN UPDATE counters SET value = value + 1 WHERE name = 'ticket_list_generation'; END;
