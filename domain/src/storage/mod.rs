//! Storage: the database (SQLite or PostgreSQL), attachment bytes, settings, paging, the
//! clock, name lookups and the caches the store keeps in step with its commits. Knows nothing
//! of tickets or accounts beyond their tables.

pub mod auth_cache;
pub mod clock;
pub mod columns;
pub mod files;
pub mod generation_cache;
pub mod group_commit;
pub mod lookup;
pub mod paging;
pub mod rows;
pub mod search_index_queue;
pub mod settings;
pub mod sqlite_reader;
pub mod store;
pub mod text;
pub mod ticket_cache;
pub mod ticket_list_marks;
pub mod wal_checkpoint;
pub mod writer_thread;
