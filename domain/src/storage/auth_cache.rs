//! Remembers who a credential belongs to, so that a request costs one small query (the
//! `auth_generation` counter) instead of password hashing and six lookups. Database triggers
//! bump the counter on any change to accounts, roles, groups, memberships, tokens, sessions,
//! settings, ticket states or priorities, which drops every cached entry, on every instance. Keys are SHA-256 digests; no
//! secret is kept in memory.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use crate::Result;

/// Entries are re-checked against the database at least this often.
const MAX_AGE: Duration = Duration::from_secs(60);
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug, Clone)]
pub struct Cached {
    /// Who the credential belongs to (the accounts context stores its `Actor` here).
    pub actor: std::sync::Arc<dyn std::any::Any + Send + Sync>,
    pub session_csrf: Option<String>,
    /// Token or session expiry.
    pub expires_at: Option<DateTime<Utc>>,
}

/// How long a read of the generation counter is trusted. Writes made through this process mark
/// it stale at once (see `Store::write`); this bounds how late writes of *other* instances are seen.
const GENERATION_TTL: Duration = Duration::from_millis(100);

#[derive(Debug, Default)]
pub struct AuthCache {
    entries: Mutex<HashMap<String, (u64, Instant, Cached)>>,
    /// The last generation read from the database and when (None = must re-read).
    known: Mutex<Option<(u64, Instant)>>,
    /// Credentials being checked against the database now, by key ([`AuthCache::checking`]).
    in_flight: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
    /// How many credentials were checked against the database (cache misses) since start.
    checked: AtomicU64,
}

/// Above this many keys the finished ones are swept from `in_flight` (it holds only the
/// checks under way after a sweep, so it stays as small as the number of concurrent checks).
const IN_FLIGHT_SWEEP: usize = 256;

pub async fn generation(conn: &mut AnyConnection) -> Result<u64> {
    let value: Option<i64> =
        sqlx::query_scalar("SELECT value FROM counters WHERE name = 'auth_generation'")
            .fetch_optional(conn)
            .await?;
    Ok(value.unwrap_or(0) as u64)
}

impl AuthCache {
    /// The current generation: remembered for a moment, else read from the database.
    pub async fn generation(&self, conn: &mut AnyConnection) -> Result<u64> {
        if let Some(generation) = self.known_generation() {
            return Ok(generation);
        }
        let generation = generation(conn).await?;
        self.observe(generation);
        Ok(generation)
    }

    /// The generation was read now: trusted for [`GENERATION_TTL`]. The counter only grows, so
    /// a read that started before a commit observed a newer value cannot take it back.
    pub fn observe(&self, generation: u64) {
        if let Ok(mut known) = self.known.lock() {
            let newer = known.is_none_or(|(current, _)| generation >= current);
            if newer {
                *known = Some((generation, Instant::now()));
            }
        }
    }

    /// The generation read less than [`GENERATION_TTL`] ago, if any.
    pub fn known_generation(&self) -> Option<u64> {
        let known = self.known.lock().ok()?;
        let (generation, at) = (*known)?;
        (at.elapsed() < GENERATION_TTL).then_some(generation)
    }

    /// A write was committed here without reading the generation in its transaction (as
    /// SQLite's commits do, [`AuthCache::observe`]): the next check re-reads it.
    pub fn mark_stale(&self) {
        if let Ok(mut known) = self.known.lock() {
            *known = None;
        }
    }

    /// The lock for checking credential `key` against the database: requests with the same
    /// credential that miss the cache together (64 clients of one integration starting at
    /// once) check it one after the other, and the ones after the first find it cached
    /// instead of each hashing the password again (Argon2 costs tens of milliseconds of CPU).
    pub fn checking(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(lock) = in_flight.get(key).and_then(Weak::upgrade) {
            return lock;
        }
        if in_flight.len() >= IN_FLIGHT_SWEEP {
            in_flight.retain(|_, lock| lock.strong_count() > 0);
        }
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        in_flight.insert(key.to_string(), Arc::downgrade(&lock));
        lock
    }

    /// A credential is being checked against the database (a cache miss).
    pub fn count_check(&self) {
        self.checked.fetch_add(1, Ordering::Relaxed);
    }

    /// How many credentials were checked against the database since start.
    pub fn credentials_checked(&self) -> u64 {
        self.checked.load(Ordering::Relaxed)
    }

    pub fn get(&self, key: &str, generation: u64) -> Option<Cached> {
        let entries = self.entries.lock().ok()?;
        let (cached_generation, at, cached) = entries.get(key)?;
        let fresh = *cached_generation == generation
            && at.elapsed() < MAX_AGE
            && cached.expires_at.is_none_or(|e| e > Utc::now());
        fresh.then(|| cached.clone())
    }

    pub fn put(&self, key: String, generation: u64, cached: Cached) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES {
                entries.retain(|_, (cached_generation, at, _)| {
                    *cached_generation == generation && at.elapsed() < MAX_AGE
                });
                if entries.len() >= MAX_ENTRIES {
                    entries.clear();
                }
            }
            entries.insert(key, (generation, Instant::now(), cached));
        }
    }
}
