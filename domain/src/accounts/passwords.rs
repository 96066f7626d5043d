//! Password hashing with Argon2id (the crate's recommended parameters).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use sqlx::AnyConnection;

use crate::storage::settings;
use crate::{Error, Result};

/// Zammad's default `password_min_size`.
pub const MIN_LENGTH: usize = 10;
/// Lowest zxcvbn score (0–4) accepted: 2 refuses common passwords, keyboard walks, dates and
/// variations of the user's own login, e-mail and name.
pub const MIN_STRENGTH: u8 = 2;

/// The password rules in force (Zammad's settings `password_min_size`,
/// `password_min_2_lower_2_upper_characters`, `password_need_digit`,
/// `password_need_special_character`; the defaults are Zammad's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub min_size: usize,
    /// At least two lower and two upper case letters.
    pub need_mixed_case: bool,
    pub need_digit: bool,
    pub need_special: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            min_size: MIN_LENGTH,
            need_mixed_case: true,
            need_digit: true,
            need_special: false,
        }
    }
}

impl PasswordPolicy {
    /// The policy as configured in the settings table (missing settings: the defaults).
    pub async fn load(conn: &mut AnyConnection) -> Result<PasswordPolicy> {
        let d = PasswordPolicy::default();
        let flag = |v: Option<serde_json::Value>, default: bool| match v {
            Some(serde_json::Value::Bool(b)) => b,
            Some(serde_json::Value::Number(n)) => n.as_i64() == Some(1),
            _ => default,
        };
        Ok(PasswordPolicy {
            min_size: settings::get::<usize>(conn, "password_min_size")
                .await?
                .unwrap_or(d.min_size),
            need_mixed_case: flag(
                settings::get(conn, "password_min_2_lower_2_upper_characters").await?,
                d.need_mixed_case,
            ),
            need_digit: flag(
                settings::get(conn, "password_need_digit").await?,
                d.need_digit,
            ),
            need_special: flag(
                settings::get(conn, "password_need_special_character").await?,
                d.need_special,
            ),
        })
    }

    /// Checks a new password against the rules and the strength estimator (zxcvbn), which is
    /// also given the user's own `personal` words (login, e-mail, names): 422 with Zammad's
    /// messages, the first rule broken.
    pub fn check(&self, password: &str, personal: &[&str]) -> Result<()> {
        let invalid = |why: String| Err(Error::unprocessable(format!("Invalid password, {why}")));
        if password.chars().count() < self.min_size {
            return invalid(format!(
                "it must be at least {} characters long!",
                self.min_size
            ));
        }
        if self.need_mixed_case
            && (password.chars().filter(|c| c.is_lowercase()).count() < 2
                || password.chars().filter(|c| c.is_uppercase()).count() < 2)
        {
            return invalid(
                "it must contain at least 2 lowercase and 2 uppercase characters!".into(),
            );
        }
        if self.need_digit && !password.chars().any(|c| c.is_ascii_digit()) {
            return invalid("it must contain at least 1 digit!".into());
        }
        if self.need_special && password.chars().all(char::is_alphanumeric) {
            return invalid("it must contain at least 1 special character!".into());
        }
        let lower = password.to_lowercase();
        let mut words: Vec<&str> = Vec::new();
        for word in personal.iter().filter(|w| w.chars().count() >= 3) {
            words.push(word);
            // the parts of an e-mail address count on their own
            words.extend(
                word.split(['@', '.', '-', '_'])
                    .filter(|p| p.chars().count() >= 3),
            );
        }
        if words.iter().any(|w| lower.contains(&w.to_lowercase())) {
            return invalid("it must not contain your login, e-mail or name!".into());
        }
        // zxcvbn's work grows with length; what is past 100 characters adds no weakness
        let head: String = password.chars().take(100).collect();
        let strong = zxcvbn::zxcvbn(&head, &words).score() as u8 >= MIN_STRENGTH;
        if !strong {
            return invalid("it is too easy to guess (a common password or pattern)!".into());
        }
        Ok(())
    }
}

pub fn hash(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("password hashing failed: {e}")))
}

pub fn verify(password: &str, stored_hash: &str) -> bool {
    match PasswordHash::new(stored_hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// [`hash`] off the async runtime: call it before a write transaction, never inside one
/// (Argon2 takes tens of milliseconds of CPU on purpose, and SQLite has one writer).
pub async fn hash_blocking(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .map_err(|e| Error::Internal(format!("password hashing failed: {e}")))?
}

/// Verification off the async runtime: Argon2 takes tens of milliseconds of CPU on purpose.
pub async fn verify_blocking(password: String, stored_hash: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || match stored_hash {
        Some(h) => verify(&password, &h),
        None => {
            // Same work for unknown users, so timing does not reveal which logins exist.
            let _ = verify(&password, DUMMY_HASH);
            false
        }
    })
    .await
    .unwrap_or(false)
}

const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ";

#[cfg(test)]
mod tests {
    #[test]
    fn weak_and_personal_passwords_are_refused() {
        let policy = super::PasswordPolicy::default();
        let me = ["nicole.braun@example.com", "nicole", "Nicole", "Braun"];
        for weak in [
            "password",
            "12345678",
            "Password12",
            "PAssword1234",
            "NicoleBraun99",
            "nicole.braun@example.com",
            "short1Aa",
            "alllowercase123",
            "QWErty123456",
        ] {
            assert!(policy.check(weak, &me).is_err(), "{weak}");
        }
        for strong in ["Gq7-vinyl-Marsh-Otter", "TReacle9Pumpkin!Sofa"] {
            assert!(policy.check(strong, &me).is_ok(), "{strong}");
        }
        let relaxed = super::PasswordPolicy {
            min_size: 6,
            need_mixed_case: false,
            need_digit: false,
            ..Default::default()
        };
        assert!(relaxed.check("velvet-otter-harbour", &me).is_ok());
    }

    #[test]
    fn hash_then_verify() {
        let h = super::hash("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(super::verify("correct horse", &h));
        assert!(!super::verify("wrong horse", &h));
        assert!(!super::verify("x", "not a hash"));
    }
}
