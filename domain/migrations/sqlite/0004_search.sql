-- Full-text search document per ticket. Internal article text is kept apart, so customers'
-- searches never match on it.
CREATE VIRTUAL TABLE ticket_fts USING fts5 (
    number, title, public_text, internal_text,
    tokenize = 'unicode61 remove_diacritics 2'
);
