-- Accounts, groups, roles, lookups and Zammad's seed data.

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL               -- JSON
);

CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);

CREATE TABLE organizations (
    id                BIGSERIAL PRIMARY KEY,
    name              TEXT NOT NULL,
    shared            BIGINT NOT NULL DEFAULT 1,
    domain            TEXT NOT NULL DEFAULT '',
    domain_assignment BIGINT NOT NULL DEFAULT 0,
    active            BIGINT NOT NULL DEFAULT 1,
    vip               BIGINT NOT NULL DEFAULT 0,
    note              TEXT NOT NULL DEFAULT '',
    created_by_id     BIGINT NOT NULL,
    updated_by_id     BIGINT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE UNIQUE INDEX organizations_name ON organizations (lower(name));

CREATE TABLE users (
    id              BIGSERIAL PRIMARY KEY,
    organization_id BIGINT REFERENCES organizations (id),
    login           TEXT NOT NULL,
    firstname       TEXT NOT NULL DEFAULT '',
    lastname        TEXT NOT NULL DEFAULT '',
    email           TEXT NOT NULL DEFAULT '',
    password_hash   TEXT,
    web             TEXT NOT NULL DEFAULT '',
    phone           TEXT NOT NULL DEFAULT '',
    fax             TEXT NOT NULL DEFAULT '',
    mobile          TEXT NOT NULL DEFAULT '',
    department      TEXT NOT NULL DEFAULT '',
    street          TEXT NOT NULL DEFAULT '',
    zip             TEXT NOT NULL DEFAULT '',
    city            TEXT NOT NULL DEFAULT '',
    country         TEXT NOT NULL DEFAULT '',
    address         TEXT NOT NULL DEFAULT '',
    note            TEXT NOT NULL DEFAULT '',
    vip             BIGINT NOT NULL DEFAULT 0,
    verified        BIGINT NOT NULL DEFAULT 0,
    active          BIGINT NOT NULL DEFAULT 1,
    login_failed    BIGINT NOT NULL DEFAULT 0,
    locked_until    TEXT,
    last_login      TEXT,
    source          TEXT,
    preferences     TEXT NOT NULL DEFAULT '{}',
    created_by_id   BIGINT NOT NULL,
    updated_by_id   BIGINT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE UNIQUE INDEX users_login ON users (login);
CREATE UNIQUE INDEX users_email ON users (email) WHERE email <> '';
CREATE INDEX users_organization ON users (organization_id);

-- Secondary organisations (the primary one is users.organization_id).
CREATE TABLE user_organizations (
    user_id         BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organization_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, organization_id)
);

CREATE TABLE roles (
    id                BIGSERIAL PRIMARY KEY,
    name              TEXT NOT NULL UNIQUE,
    permissions       TEXT NOT NULL DEFAULT '[]',   -- JSON array of permission names
    default_at_signup BIGINT NOT NULL DEFAULT 0,
    active            BIGINT NOT NULL DEFAULT 1,
    note              TEXT NOT NULL DEFAULT '',
    created_by_id     BIGINT NOT NULL,
    updated_by_id     BIGINT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);

CREATE TABLE user_roles (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id BIGINT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, role_id)
);

CREATE TABLE groups (
    id                 BIGSERIAL PRIMARY KEY,
    name               TEXT NOT NULL,
    active             BIGINT NOT NULL DEFAULT 1,
    note               TEXT NOT NULL DEFAULT '',
    follow_up_possible TEXT NOT NULL DEFAULT 'yes',
    reopen_time_in_days BIGINT,
    shared_drafts      BIGINT NOT NULL DEFAULT 1,
    assignment_timeout BIGINT,
    created_by_id      BIGINT NOT NULL,
    updated_by_id      BIGINT NOT NULL,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
CREATE UNIQUE INDEX groups_name ON groups (lower(name));

-- access: read | create | change | overview | full
CREATE TABLE user_groups (
    user_id  BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    access   TEXT NOT NULL,
    PRIMARY KEY (user_id, group_id, access)
);

CREATE TABLE role_groups (
    role_id  BIGINT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    access   TEXT NOT NULL,
    PRIMARY KEY (role_id, group_id, access)
);

CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,          -- SHA-256 of the cookie value
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE user_access_tokens (
    id           BIGSERIAL PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,      -- SHA-256 of the token; the token is shown once
    permissions  TEXT NOT NULL DEFAULT '[]',
    expires_at   TEXT,
    last_used_at TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX user_access_tokens_user ON user_access_tokens (user_id);

CREATE TABLE ticket_state_types (
    id   BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE ticket_states (
    id                BIGSERIAL PRIMARY KEY,
    state_type_id     BIGINT NOT NULL REFERENCES ticket_state_types (id),
    name              TEXT NOT NULL UNIQUE,
    next_state_id     BIGINT,
    ignore_escalation BIGINT NOT NULL DEFAULT 0,
    default_create    BIGINT NOT NULL DEFAULT 0,
    default_follow_up BIGINT NOT NULL DEFAULT 0,
    active            BIGINT NOT NULL DEFAULT 1,
    note              TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);

CREATE TABLE ticket_priorities (
    id             BIGSERIAL PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE,
    default_create BIGINT NOT NULL DEFAULT 0,
    ui_icon        TEXT,
    ui_color       TEXT,
    active         BIGINT NOT NULL DEFAULT 1,
    note           TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);

CREATE TABLE ticket_article_types (
    id            BIGSERIAL PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    communication BIGINT NOT NULL,
    active        BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE ticket_article_senders (
    id   BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

-- Seed data (zammad-api.md §4). Ids are fixed: clients use them.
INSERT INTO ticket_state_types (id, name) VALUES
    (1, 'new'), (2, 'open'), (3, 'pending reminder'), (4, 'pending action'),
    (5, 'closed'), (6, 'merged'), (7, 'removed');

INSERT INTO ticket_states (id, name, state_type_id, next_state_id, ignore_escalation, default_create, default_follow_up, active, created_at, updated_at) VALUES
    (1, 'new',              1, NULL, 0, 1, 0, 1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'),
    (2, 'open',             2, NULL, 0, 0, 1, 1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'),
    (3, 'pending reminder', 3, NULL, 1, 0, 0, 1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'),
    (4, 'closed',           5, NULL, 1, 0, 0, 1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'),
    (5, 'merged',           6, NULL, 1, 0, 0, 1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'),
    (6, 'removed',          7, NULL, 1, 0, 0, 0, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'),
    (7, 'pending close',    4, 4,    1, 0, 0, 1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');

INSERT INTO ticket_priorities (id, name, default_create, ui_icon, ui_color, active, created_at, updated_at) VALUES
    (1, '1 low',    0, 'low-priority',       'low-priority',  1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'),
    (2, '2 normal', 1, NULL,                 NULL,            1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'),
    (3, '3 high',   0, 'important',          'high-priority', 1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');

INSERT INTO ticket_article_senders (id, name) VALUES (1, 'Agent'), (2, 'Customer'), (3, 'System');

INSERT INTO ticket_article_types (id, name, communication) VALUES
    (1, 'email', 1), (2, 'sms', 1), (3, 'chat', 1), (4, 'fax', 1), (5, 'phone', 1),
    (6, 'twitter status', 1), (7, 'twitter direct-message', 1), (8, 'facebook feed post', 1),
    (9, 'facebook feed comment', 1), (10, 'note', 0), (11, 'web', 1),
    (12, 'telegram personal-message', 1);

INSERT INTO users (id, login, firstname, lastname, email, active, created_by_id, updated_by_id, created_at, updated_at)
    VALUES (1, '-', 'System', '', '', 0, 1, 1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');

INSERT INTO roles (id, name, permissions, default_at_signup, note, created_by_id, updated_by_id, created_at, updated_at) VALUES
    (1, 'Admin',    '["admin","user_preferences","report"]', 0, 'To configure your system.',   1, 1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'),
    (2, 'Agent',    '["ticket.agent","user_preferences"]',    0, 'To work on Tickets.',         1, 1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'),
    (3, 'Customer', '["ticket.customer","user_preferences"]', 1, 'People who create Tickets ask for help.', 1, 1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');

INSERT INTO groups (id, name, note, follow_up_possible, shared_drafts, created_by_id, updated_by_id, created_at, updated_at)
    VALUES (1, 'Users', 'Standard Group/Pool for Tickets.', 'yes', 1, 1, 1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');

INSERT INTO counters (name, value) VALUES ('ticket_number', 0);

INSERT INTO settings (name, value) VALUES
    ('ticket_hook', '"Ticket#"'),
    ('ticket_number', '"Ticket::Number::Increment"'),
    ('ticket_number_increment', '{"checksum":false,"min_size":5}'),
    ('ticket_last_contact_behaviour', '"check_if_agent_already_replied"'),
    ('api_token_access', 'true'),
    ('api_password_access', 'true'),
    ('ui_ticket_zoom_article_delete_timeframe', '600'),
    ('customer_ticket_create_group_ids', 'null'),
    ('fqdn', '"tandem.localhost"');

-- Seeds were inserted with explicit ids: move the sequences past them.
SELECT setval(pg_get_serial_sequence('ticket_state_types', 'id'), 7);
SELECT setval(pg_get_serial_sequence('ticket_states', 'id'), 7);
SELECT setval(pg_get_serial_sequence('ticket_priorities', 'id'), 3);
SELECT setval(pg_get_serial_sequence('ticket_article_senders', 'id'), 3);
SELECT setval(pg_get_serial_sequence('ticket_article_types', 'id'), 12);
SELECT setval(pg_get_serial_sequence('users', 'id'), 1);
SELECT setval(pg_get_serial_sequence('roles', 'id'), 3);
SELECT setval(pg_get_serial_sequence('groups', 'id'), 1);
