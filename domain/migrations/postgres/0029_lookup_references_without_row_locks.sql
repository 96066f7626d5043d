-- Tickets and articles refer to their group, priority, state, article type and sender without
-- a foreign key on PostgreSQL.
--
-- A foreign key's check takes a `FOR KEY SHARE` row lock on the referenced row for every
-- inserted (or re-pointed) row. Nearly every ticket refers to one of a handful of groups,
-- priorities and states, nearly every article to the same type and sender, so concurrent
-- writers all lock the same few rows: each lock joins a multixact (a new one for every further
-- locker), writes a WAL record and dirties the referenced row's page, and runs a query through
-- SPI. Measured with `pgbench -c 32 -M prepared` on the benchmark's database (100,000 tickets),
-- Tandem's own statements, without the keys / with them / without again: an article's
-- transaction 2,710-2,741 / 2,417-2,503 / 2,526-2,569 a second, a ticket's creation with its
-- first article 1,397-1,404 / 1,192-1,238 / 1,312-1,333. In `tandem-bench --backend postgres`
-- (five runs each, alternating): `POST /ticket_articles` 1,667 against 1,527 a second,
-- `POST /tickets` 1,015 against 927.
--
-- What the keys guarded is kept otherwise: these rows are never deleted (Tandem has no delete
-- for them, only an `active` flag), article types
-- and senders are seeded and never written, and every id a request names is checked to exist
-- before it is written (tickets::input::resolve, storage::lookup::existing_id; unknown ids are
-- a 422, tested in server/tests/tickets_api.rs). References to users, organisations and
-- tickets, which can be deleted, keep their keys. SQLite keeps every key: it has no row locks,
-- its check is one index probe.
ALTER TABLE tickets
    DROP CONSTRAINT IF EXISTS tickets_group_id_fkey,
    DROP CONSTRAINT IF EXISTS tickets_priority_id_fkey,
    DROP CONSTRAINT IF EXISTS tickets_state_id_fkey;
ALTER TABLE ticket_articles
    DROP CONSTRAINT IF EXISTS ticket_articles_type_id_fkey,
    DROP CONSTRAINT IF EXISTS ticket_articles_sender_id_fkey;
