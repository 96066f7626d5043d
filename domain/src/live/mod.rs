//! Live: the event bus that tells open tabs what changed (one instance, or several through
//! PostgreSQL `LISTEN`/`NOTIFY`).

pub mod events;
