-- Cached authentication (actor per credential) stays valid while this counter is unchanged.
-- Every change that could alter who a credential is, or what it may do, bumps it.
INSERT INTO counters (name, value) VALUES ('auth_generation', 0);

CREATE FUNCTION bump_auth_generation() RETURNS trigger AS $$
BEGIN
    UPDATE counters SET value = value + 1 WHERE name = 'auth_generation';
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER users_auth AFTER INSERT OR DELETE OR UPDATE OF organization_id, login, email, password_hash, active, locked_until ON users FOR EACH STATEMENT EXECUTE FUNCTION bump_auth_generation();
CREATE TRIGGER user_roles_auth AFTER INSERT OR DELETE OR UPDATE ON user_roles FOR EACH STATEMENT EXECUTE FUNCTION bump_auth_generation();
CREATE TRIGGER user_groups_auth AFTER INSERT OR DELETE OR UPDATE ON user_groups FOR EACH STATEMENT EXECUTE FUNCTION bump_auth_generation();
CREATE TRIGGER role_groups_auth AFTER INSERT OR DELETE OR UPDATE ON role_groups FOR EACH STATEMENT EXECUTE FUNCTION bump_auth_generation();
CREATE TRIGGER user_organizations_auth AFTER INSERT OR DELETE OR UPDATE ON user_organizations FOR EACH STATEMENT EXECUTE FUNCTION bump_auth_generation();
CREATE TRIGGER roles_auth AFTER INSERT OR DELETE OR UPDATE ON roles FOR EACH STATEMENT EXECUTE FUNCTION bump_auth_generation();
CREATE TRIGGER groups_auth AFTER INSERT OR DELETE OR UPDATE ON groups FOR EACH STATEMENT EXECUTE FUNCTION bump_auth_generation();
CREATE TRIGGER organizations_auth AFTER INSERT OR DELETE OR UPDATE ON organizations FOR EACH STATEMENT EXECUTE FUNCTION bump_auth_generation();
CREATE TRIGGER user_access_tokens_auth AFTER INSERT OR DELETE OR UPDATE OF permissions, expires_at, user_id ON user_access_tokens FOR EACH STATEMENT EXECUTE FUNCTION bump_auth_generation();
CREATE TRIGGER sessions_auth AFTER INSERT OR DELETE OR UPDATE ON sessions FOR EACH STATEMENT EXECUTE FUNCTION bump_auth_generation();
CREATE TRIGGER settings_auth AFTER INSERT OR DELETE OR UPDATE ON settings FOR EACH STATEMENT EXECUTE FUNCTION bump_auth_generation();
