-- Cached authentication (actor per credential) stays valid while this counter is unchanged.
-- Every change that could alter who a credential is, or what it may do, bumps it.
INSERT INTO counters (name, value) VALUES ('auth_generation', 0);

CREATE TRIGGER users_auth_insert AFTER INSERT ON users BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER users_auth_delete AFTER DELETE ON users BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER users_auth_update AFTER UPDATE OF organization_id, login, email, password_hash, active, locked_until ON users BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER user_roles_auth_insert AFTER INSERT ON user_roles BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER user_roles_auth_delete AFTER DELETE ON user_roles BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER user_roles_auth_update AFTER UPDATE ON user_roles BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER user_groups_auth_insert AFTER INSERT ON user_groups BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER user_groups_auth_delete AFTER DELETE ON user_groups BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER user_groups_auth_update AFTER UPDATE ON user_groups BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER role_groups_auth_insert AFTER INSERT ON role_groups BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER role_groups_auth_delete AFTER DELETE ON role_groups BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER role_groups_auth_update AFTER UPDATE ON role_groups BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER user_organizations_auth_insert AFTER INSERT ON user_organizations BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER user_organizations_auth_delete AFTER DELETE ON user_organizations BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER user_organizations_auth_update AFTER UPDATE ON user_organizations BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER roles_auth_insert AFTER INSERT ON roles BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER roles_auth_delete AFTER DELETE ON roles BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER roles_auth_update AFTER UPDATE ON roles BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER groups_auth_insert AFTER INSERT ON groups BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER groups_auth_delete AFTER DELETE ON groups BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER groups_auth_update AFTER UPDATE ON groups BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER organizations_auth_insert AFTER INSERT ON organizations BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER organizations_auth_delete AFTER DELETE ON organizations BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER organizations_auth_update AFTER UPDATE ON organizations BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER user_access_tokens_auth_insert AFTER INSERT ON user_access_tokens BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER user_access_tokens_auth_delete AFTER DELETE ON user_access_tokens BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER user_access_tokens_auth_update AFTER UPDATE OF permissions, expires_at, user_id ON user_access_tokens BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER sessions_auth_insert AFTER INSERT ON sessions BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER sessions_auth_delete AFTER DELETE ON sessions BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER sessions_auth_update AFTER UPDATE ON sessions BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER settings_auth_insert AFTER INSERT ON settings BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER settings_auth_delete AFTER DELETE ON settings BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
CREATE TRIGGER settings_auth_update AFTER UPDATE ON settings BEGIN UPDATE counters SET value = value + 1 WHERE name = 'auth_generation'; END;
