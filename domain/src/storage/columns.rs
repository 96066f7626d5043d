//! Longest values the text columns take, in characters (Zammad's column sizes, see
//! docs/input-rules.md). Every string a request stores is checked against one of these before
//! the write; longer values are a 422 naming the field.

use crate::{Error, Result};

/// Names of people (`firstname`, `lastname`).
pub const NAME: usize = 150;
/// Logins and e-mail addresses (RFC 5321 allows 254 for an address).
pub const LOGIN: usize = 255;
/// Phone numbers, web addresses, zip codes, cities and the like.
pub const SHORT: usize = 100;
/// Departments and streets.
pub const MEDIUM: usize = 200;
/// Postal addresses.
pub const ADDRESS: usize = 500;
/// Internal notes on users, organisations and groups.
pub const NOTE: usize = 5_000;
/// Organisation and group names.
pub const TITLE: usize = 160;
/// Passwords (hashing is expensive: no megabyte passwords).
pub const PASSWORD: usize = 1_000;

/// 422 when `value` is longer than `max` characters or holds a NUL character (PostgreSQL's
/// text columns refuse it).
pub fn check(field: &str, value: Option<&str>, max: usize) -> Result<()> {
    if value.is_some_and(|v| v.contains('\0')) {
        return Err(Error::unprocessable(format!(
            "The value of '{field}' contains a NUL character."
        )));
    }
    if let Some(value) = value
        && value.len() > max
        && value.chars().count() > max
    {
        return Err(Error::unprocessable(format!(
            "The value of '{field}' is too long (maximum is {max} characters)."
        )));
    }
    Ok(())
}
