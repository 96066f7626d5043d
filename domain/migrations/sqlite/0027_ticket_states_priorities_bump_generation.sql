-- The states and priorities a new ticket's plan reads are kept under the auth generation too
-- (storage::generation_cache, tickets::CreatePlanKey): any change to them bumps it.
CREATE TRIGGER ticket_states_auth_insert AFTER INSERT ON ticket_states BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER ticket_states_auth_delete AFTER DELETE ON ticket_states BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER ticket_states_auth_update AFTER UPDATE ON ticket_states BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER ticket_state_types_auth_insert AFTER INSERT ON ticket_state_types BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER ticket_state_types_auth_delete AFTER DELETE ON ticket_state_types BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER ticket_state_types_auth_update AFTER UPDATE ON ticket_state_types BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER ticket_priorities_auth_insert AFTER INSERT ON ticket_priorities BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER ticket_priorities_auth_delete AFTER DELETE ON ticket_priorities BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER ticket_priorities_auth_update AFTER UPDATE ON ticket_priorities BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
