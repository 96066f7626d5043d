-- The end of every write transaction (storage::ticket_cache::TAKE_AND_NOTIFY_POSTGRES): the
-- tickets it changed taken out of changed_tickets and announced on `channel` (NOTIFY, sent
-- only if the transaction commits), and the auth generation as it leaves it. A function so
-- that the commit can run it in the same round trip as its COMMIT (a simple query, which
-- cannot bind parameters or use a prepared statement) without PostgreSQL parsing and planning
-- the statement again on every commit: PL/pgSQL keeps the plan for the session.
-- One row: ids (NULL when nothing changed, else '3,4'), notified, auth_generation. The payload
-- is the id list, or '*' (every ticket) when it is longer than `longest` characters or names
-- ticket 0.
CREATE FUNCTION take_changed_tickets(channel text, longest integer)
RETURNS TABLE (ids text, notified text, auth_generation bigint) AS $$
BEGIN
    RETURN QUERY
    WITH changed AS (DELETE FROM changed_tickets RETURNING ticket_id),
    listed AS (
        SELECT string_agg(DISTINCT changed.ticket_id::text, ',') AS ids,
               bool_or(changed.ticket_id = 0) AS every
        FROM changed
    )
    SELECT l.ids,
           CASE WHEN l.ids IS NOT NULL THEN
               pg_notify(channel, CASE WHEN l.every OR length(l.ids) > longest THEN '*' ELSE l.ids END)::text
           END,
           COALESCE((SELECT c.value FROM counters c WHERE c.name = 'auth_generation'), 0)::bigint
    FROM listed l;
END;
$$ LANGUAGE plpgsql;
