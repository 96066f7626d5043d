//! Values read from accounts, groups, settings, ticket states and priorities, kept while the auth
//! generation is unchanged: `counters.auth_generation`, which triggers bump on every insert and
//! delete of users and every update of their `organization_id`, `login`, `email`, `password_hash`,
//! `active`, `locked_until`, names or preferences (migrations 0006 and 0026), and on every change
//! to roles, groups, organisations, their links, sessions, tokens, settings, ticket states and
//! priorities (migration 0027). A request that needs such a value finds it here instead of reading
//! it again (a round trip to the database each). A value read from a column no trigger watches (a
//! user's `last_login`, `login_failed`) must not be kept here.
//!
//! The caller reads the generation first ([`crate::storage::auth_cache::AuthCache::generation`])
//! and the value after, so a value is never older than the generation it is kept under. Only
//! for reads made outside a write transaction: a write may change what it reads. Another
//! instance's change is seen as late as the generation is (at most 100 ms). A value that
//! depends on a request's actor is keyed by what it reads of the actor: the actor may have
//! been loaded under an older generation than the one the value is kept under.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

/// Values by key, all of one generation; a newer generation forgets the older values.
#[derive(Debug)]
pub struct GenerationCache<K, V> {
    /// The generation the values belong to, and the values.
    entries: Mutex<(u64, HashMap<K, V>)>,
    /// At most this many values are kept; one more key forgets them all (a cache of
    /// reference data: its keys are groups, people, settings, not requests).
    capacity: usize,
}

impl<K, V> GenerationCache<K, V> {
    /// An empty cache keeping at most `capacity` values.
    pub fn new(capacity: usize) -> GenerationCache<K, V> {
        GenerationCache {
            entries: Mutex::new((0, HashMap::new())),
            capacity,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (u64, HashMap<K, V>)> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<K: Eq + Hash, V: Clone> GenerationCache<K, V> {
    /// The value kept for `key` under `generation`, if any.
    pub fn get<Q>(&self, generation: u64, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let entries = self.lock();
        (entries.0 == generation)
            .then(|| entries.1.get(key).cloned())
            .flatten()
    }

    /// Keeps `value`, read after `generation` was, for `key`. A value of an older generation
    /// than the kept ones is dropped (a newer change may have made it wrong).
    pub fn put(&self, generation: u64, key: K, value: V) {
        let mut entries = self.lock();
        if entries.0 > generation {
            return;
        }
        let full = entries.1.len() >= self.capacity && !entries.1.contains_key(&key);
        if entries.0 < generation || full {
            *entries = (generation, HashMap::new());
        }
        entries.1.insert(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::GenerationCache;

    #[test]
    fn values_last_while_the_generation_does() {
        let cache = GenerationCache::<String, i64>::new(2);
        cache.put(3, "a".into(), 1);
        assert_eq!(cache.get(3, "a"), Some(1));
        assert_eq!(cache.get(4, "a"), None, "a newer generation");
        // a value read under an older generation is not kept
        cache.put(2, "b".into(), 2);
        assert_eq!(cache.get(3, "b"), None);
        assert_eq!(cache.get(2, "b"), None);
        // a newer generation forgets the older values
        cache.put(5, "c".into(), 3);
        assert_eq!(cache.get(5, "c"), Some(3));
        assert_eq!(cache.get(3, "a"), None);
        // a kept key is replaced, even when full; past the capacity the values are forgotten
        cache.put(5, "d".into(), 4);
        cache.put(5, "d".into(), 6);
        assert_eq!(cache.get(5, "c"), Some(3));
        assert_eq!(cache.get(5, "d"), Some(6));
        cache.put(5, "e".into(), 5);
        assert_eq!(cache.get(5, "c"), None);
        assert_eq!(cache.get(5, "e"), Some(5));
    }
}
