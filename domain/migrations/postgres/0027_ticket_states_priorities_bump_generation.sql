-- The states and priorities a new ticket's plan reads are kept under the auth generation too
-- (storage::generation_cache, tickets::CreatePlanKey): any change to them bumps it.
CREATE TRIGGER ticket_states_auth AFTER INSERT OR DELETE OR UPDATE ON ticket_states FOR EACH STATEMENT EXECUTE FUNCTION bump_auth_generation();
CREATE TRIGGER ticket_state_types_auth AFTER INSERT OR DELETE OR UPDATE ON ticket_state_types FOR EACH STATEMENT EXECUTE FUNCTION bump_auth_generation();
CREATE TRIGGER ticket_priorities_auth AFTER INSERT OR DELETE OR UPDATE ON ticket_priorities FOR EACH STATEMENT EXECUTE FUNCTION bump_auth_generation();
