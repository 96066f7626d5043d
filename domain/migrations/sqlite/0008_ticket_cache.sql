-- Tickets changed by the running write transaction, for the in-memory ticket cache
-- (domain/src/ticket_cache.rs). Triggers add ids; the transaction's commit takes them out
-- again, so the table is empty between transactions. Id 0: every ticket (a state changed).
CREATE TABLE changed_tickets (ticket_id INTEGER NOT NULL);

CREATE TRIGGER tickets_cache_update AFTER UPDATE ON tickets BEGIN INSERT INTO changed_tickets (ticket_id) VALUES (OLD.id); END;
CREATE TRIGGER tickets_cache_delete AFTER DELETE ON tickets BEGIN INSERT INTO changed_tickets (ticket_id) VALUES (OLD.id); END;
CREATE TRIGGER ticket_states_cache_update AFTER UPDATE ON ticket_states BEGIN INSERT INTO changed_tickets (ticket_id) VALUES (0); END;
CREATE TRIGGER ticket_states_cache_delete AFTER DELETE ON ticket_states BEGIN INSERT INTO changed_tickets (ticket_id) VALUES (0); END;
CREATE TRIGGER ticket_state_types_cache_update AFTER UPDATE ON ticket_state_types BEGIN INSERT INTO changed_tickets (ticket_id) VALUES (0); END;
