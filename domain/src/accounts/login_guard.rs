//! Protection against password guessing that no anonymous client can turn against a user.
//!
//! - **Per client** (its network address): failed logins draw from a budget of
//!   [`CLIENT_BURST`] that refills one failure every [`CLIENT_REFILL`] (governor's GCRA rate
//!   limiter); a client past its budget is refused with 429 and `Retry-After` before any
//!   password is checked, so guessing slows to a crawl.
//! - **Per account**: after `Lockout::max_failures` failures the account is locked for
//!   `Lockout::duration` — but only for clients that failed themselves. A correct password from
//!   a client without recent failures still signs in (and unlocks), so strangers cannot lock an
//!   admin out of the instance.
//! - Nothing tells whether a login exists or is locked: every refusal has the same wording.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Failed logins a client may make in a row before it is slowed down.
pub const CLIENT_BURST: u32 = 10;
/// One more failed login is allowed per this time once the burst is used.
pub const CLIENT_REFILL: Duration = Duration::from_secs(30);
/// How long a failure marks a client as "has failed" for locked accounts.
pub const CLIENT_MEMORY: Duration = Duration::from_secs(15 * 60);
/// Clients remembered at most (oldest forgotten first when full).
const MAX_CLIENTS: usize = 100_000;

/// The failures of clients, per process (see the module documentation).
pub struct LoginGuard {
    budget: DefaultKeyedRateLimiter<String>,
    /// Clients over budget, refused until then.
    refused_until: Mutex<HashMap<String, Instant>>,
    /// When each client last failed.
    last_failure: Mutex<HashMap<String, Instant>>,
}

impl std::fmt::Debug for LoginGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoginGuard")
    }
}

impl Default for LoginGuard {
    fn default() -> Self {
        let burst = NonZeroU32::new(CLIENT_BURST).expect("non-zero burst");
        let quota = Quota::with_period(CLIENT_REFILL)
            .expect("non-zero period")
            .allow_burst(burst);
        LoginGuard {
            budget: RateLimiter::keyed(quota),
            refused_until: Mutex::default(),
            last_failure: Mutex::default(),
        }
    }
}

impl LoginGuard {
    /// `Err(wait)` while `client` is over its failure budget.
    pub fn admit(&self, client: &str) -> Result<(), Duration> {
        let Ok(mut refused) = self.refused_until.lock() else {
            return Ok(());
        };
        match refused.get(client) {
            Some(until) if *until > Instant::now() => Err(*until - Instant::now()),
            Some(_) => {
                refused.remove(client);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// A failed login from `client`: draws from its budget, and remembers it failed.
    pub fn failed(&self, client: &str) {
        let now = Instant::now();
        if let Err(not_until) = self.budget.check_key(&client.to_string()) {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            if let Ok(mut refused) = self.refused_until.lock() {
                forget_oldest(&mut refused);
                refused.insert(client.to_string(), now + wait);
            }
        }
        if let Ok(mut last) = self.last_failure.lock() {
            forget_oldest(&mut last);
            last.insert(client.to_string(), now);
        }
        if self.budget.len() > MAX_CLIENTS {
            self.budget.retain_recent();
        }
    }

    /// Whether `client` failed a login within [`CLIENT_MEMORY`].
    pub fn has_failed_recently(&self, client: &str) -> bool {
        self.last_failure
            .lock()
            .ok()
            .and_then(|last| last.get(client).copied())
            .is_some_and(|at| at.elapsed() < CLIENT_MEMORY)
    }
}

fn forget_oldest(map: &mut HashMap<String, Instant>) {
    if map.len() >= MAX_CLIENTS {
        let cutoff = Instant::now() - CLIENT_MEMORY.min(Duration::from_secs(60));
        map.retain(|_, at| *at > cutoff);
        if map.len() >= MAX_CLIENTS {
            map.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_past_its_budget_waits_and_others_do_not() {
        let guard = LoginGuard::default();
        for _ in 0..CLIENT_BURST {
            assert!(guard.admit("10.0.0.1").is_ok());
            guard.failed("10.0.0.1");
        }
        assert!(
            guard.admit("10.0.0.1").is_ok(),
            "the burst itself is allowed"
        );
        guard.failed("10.0.0.1");
        let wait = guard.admit("10.0.0.1").unwrap_err();
        assert!(
            wait > Duration::from_secs(1) && wait <= CLIENT_REFILL,
            "{wait:?}"
        );
        assert!(guard.admit("10.0.0.2").is_ok());
        assert!(guard.has_failed_recently("10.0.0.1"));
        assert!(!guard.has_failed_recently("10.0.0.2"));
    }
}
