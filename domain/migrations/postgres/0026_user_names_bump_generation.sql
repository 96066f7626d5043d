-- A user's names and preferences are kept under the auth generation too (who hears of a new
-- ticket, with their notification settings: storage::generation_cache): any update of them
-- bumps it, not only one that also sets a column the first trigger watched.
DROP TRIGGER users_auth ON users;
CREATE TRIGGER users_auth AFTER INSERT OR DELETE OR UPDATE OF organization_id, login, email, password_hash, active, locked_until, firstname, lastname, preferences ON users FOR EACH STATEMENT EXECUTE FUNCTION bump_auth_generation();
