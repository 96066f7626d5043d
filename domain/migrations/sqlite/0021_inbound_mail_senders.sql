-- The per-sender rate of inbound mail (issue 15): one row per message received from a sender,
-- kept for the rate's window (10 minutes), so that every instance on a database counts the
-- same messages. More than 30 rows for one sender in the window: the message is failed mail.
CREATE TABLE inbound_mail_senders (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    sender      TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX inbound_mail_senders_sender ON inbound_mail_senders (sender, received_at);
CREATE INDEX inbound_mail_senders_age ON inbound_mail_senders (received_at);
