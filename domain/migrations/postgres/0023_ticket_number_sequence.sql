-- Ticket numbers come from a sequence on PostgreSQL: taking one no longer locks the counter
-- row until the creating transaction commits, which made every ticket creation wait for the
-- one before it. A creation that fails leaves its number unused (docs/decisions.md).
CREATE SEQUENCE ticket_number_seq;
SELECT setval('ticket_number_seq', value, true) FROM counters WHERE name = 'ticket_number' AND value > 0;
