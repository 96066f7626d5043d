//! A pending state's time: between RFC 3339 UTC (what the server stores) and the browser's
//! local time (what a `datetime-local` input holds and what people read). On the server, where
//! the browser's time zone is unknown, UTC.

use crate::components::time::short_time;

/// An RFC 3339 time as a `datetime-local` input's value in the browser's time zone
/// (`YYYY-MM-DDTHH:MM`; on the server, UTC). Empty for none or an unreadable time.
pub fn local_input(utc: Option<&str>) -> String {
    let Some(utc) = utc.filter(|u| !u.is_empty()) else {
        return String::new();
    };
    #[cfg(feature = "browser")]
    {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(utc));
        if date.get_time().is_nan() {
            return String::new();
        }
        local_text(&date, 'T')
    }
    #[cfg(not(feature = "browser"))]
    utc.get(..16).unwrap_or_default().to_string()
}

/// A `datetime-local` value (the browser's time zone) as RFC 3339 UTC; `None` if unreadable.
pub fn utc_of_local(local: &str) -> Option<String> {
    let local = local.trim();
    // YYYY-MM-DDTHH:MM, optionally with seconds
    if local.len() < 16 || local.as_bytes().get(10) != Some(&b'T') {
        return None;
    }
    #[cfg(feature = "browser")]
    {
        // a date-time without an offset is local time to `Date`
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(local));
        if date.get_time().is_nan() {
            return None;
        }
        let iso = String::from(date.to_iso_string()); // 2026-05-02T07:00:00.000Z
        Some(match iso.split_once('.') {
            Some((head, _)) => format!("{head}Z"),
            None => iso,
        })
    }
    #[cfg(not(feature = "browser"))]
    Some(format!("{}:00Z", &local[..16]))
}

/// Tomorrow 09:00 in the browser's time zone, as a `datetime-local` value.
pub fn tomorrow_nine() -> String {
    #[cfg(feature = "browser")]
    {
        let date = js_sys::Date::new_0();
        date.set_date(date.get_date() + 1); // rolls over into the next month
        date.set_hours(9);
        date.set_minutes(0);
        date.set_seconds(0);
        date.set_milliseconds(0);
        local_text(&date, 'T')
    }
    #[cfg(not(feature = "browser"))]
    String::new()
}

/// `YYYY-MM-DD<sep>HH:MM` in the browser's time zone.
#[cfg(feature = "browser")]
fn local_text(date: &js_sys::Date, sep: char) -> String {
    format!(
        "{:04}-{:02}-{:02}{sep}{:02}:{:02}",
        date.get_full_year(),
        date.get_month() + 1,
        date.get_date(),
        date.get_hours(),
        date.get_minutes()
    )
}

/// A saved pending time for reading: local time in the browser, UTC on the server (the page
/// hydrates with the server's text and switches to local time right after).
pub fn pending_label(utc: &str, local: bool) -> String {
    #[cfg(feature = "browser")]
    if local {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(utc));
        if !date.get_time().is_nan() {
            return local_text(&date, ' ');
        }
    }
    let _ = local;
    format!("{} UTC", short_time(utc))
}
