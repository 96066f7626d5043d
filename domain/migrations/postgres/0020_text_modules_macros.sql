-- Zammad's TextModule (snippets agents insert into a reply, `::` in the composer) and Macro
-- (a named set of ticket changes applied in one click), each with the groups it is limited to
-- (none: every group), as Zammad's `groups_text_modules` and `groups_macros`.
CREATE TABLE text_modules (
    id            BIGSERIAL PRIMARY KEY,
    name          TEXT NOT NULL,
    keywords      TEXT NOT NULL DEFAULT '',
    content       TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    active        BIGINT NOT NULL DEFAULT 1,
    created_by_id BIGINT NOT NULL,
    updated_by_id BIGINT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX text_modules_name ON text_modules (name);

CREATE TABLE text_module_groups (
    text_module_id BIGINT NOT NULL REFERENCES text_modules (id) ON DELETE CASCADE,
    group_id       BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    PRIMARY KEY (text_module_id, group_id)
);

CREATE TABLE macros (
    id              BIGSERIAL PRIMARY KEY,
    name            TEXT NOT NULL,
    perform         TEXT NOT NULL,
    ux_flow_next_up TEXT NOT NULL DEFAULT 'none',
    note            TEXT NOT NULL DEFAULT '',
    active          BIGINT NOT NULL DEFAULT 1,
    created_by_id   BIGINT NOT NULL,
    updated_by_id   BIGINT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

CREATE TABLE macro_groups (
    macro_id BIGINT NOT NULL REFERENCES macros (id) ON DELETE CASCADE,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    PRIMARY KEY (macro_id, group_id)
);
