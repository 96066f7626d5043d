//! Timestamps are stored as fixed-width ISO-8601 UTC strings with milliseconds
//! (`2021-11-03T11:51:13.790Z`), Zammad's wire format, which also sorts correctly as text.

use chrono::{DateTime, SecondsFormat, Utc};

pub fn format(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn now() -> String {
    format(Utc::now())
}

pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Accepts RFC 3339 or a plain date (`2024-01-31`, meaning its midnight UTC).
pub fn parse_lenient(text: &str) -> Option<DateTime<Utc>> {
    parse(text).or_else(|| {
        chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|dt| dt.and_utc())
    })
}
