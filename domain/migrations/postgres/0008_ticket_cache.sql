-- Tickets changed by the running write transaction, for the in-memory ticket cache
-- (domain/src/ticket_cache.rs). Triggers add ids; the transaction's commit takes them out
-- again, so the table is empty between transactions. Id 0: every ticket (a state changed).
CREATE TABLE changed_tickets (ticket_id BIGINT NOT NULL);

CREATE FUNCTION remember_changed_ticket() RETURNS trigger AS $$
BEGIN
    INSERT INTO changed_tickets (ticket_id) VALUES (OLD.id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION remember_every_ticket_changed() RETURNS trigger AS $$
BEGIN
    INSERT INTO changed_tickets (ticket_id) VALUES (0);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER tickets_cache AFTER UPDATE OR DELETE ON tickets FOR EACH ROW EXECUTE FUNCTION remember_changed_ticket();
CREATE TRIGGER ticket_states_cache AFTER UPDATE OR DELETE ON ticket_states FOR EACH STATEMENT EXECUTE FUNCTION remember_every_ticket_changed();
CREATE TRIGGER ticket_state_types_cache AFTER UPDATE ON ticket_state_types FOR EACH STATEMENT EXECUTE FUNCTION remember_every_ticket_changed();
