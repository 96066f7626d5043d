//! Times as people read them: in the user's time zone (the profile's setting, else the
//! browser's), relative where lists and threads show them ("5 minutes ago", the exact time in
//! the tooltip).
//!
//! The server cannot know the browser's zone, so it renders a stable UTC form
//! (`2026-11-23 10:15 UTC`); the browser hydrates the same text and switches to the local form
//! right after (the [`Clock`] starts ticking once the app has hydrated). No hydration mismatch.

use leptos::prelude::*;

/// The tab's clock and the zone times are shown in (provided once by [`provide_clock`]).
#[derive(Clone, Copy)]
pub struct Clock {
    /// Milliseconds since the epoch, updated every 30 s; 0 on the server and until hydrated.
    pub now: RwSignal<f64>,
    /// The user's chosen zone (IANA name); `None`: the browser's.
    pub zone: RwSignal<Option<String>>,
}

pub fn provide_clock() -> Clock {
    let clock = Clock {
        now: RwSignal::new(0.0),
        zone: RwSignal::new(None),
    };
    provide_context(clock);
    // effects run in the browser only, after hydration
    Effect::new(move |_| {
        #[cfg(feature = "browser")]
        {
            let _ = clock.now.try_set(js_sys::Date::now());
            let _ = set_interval_with_handle(
                move || {
                    let _ = clock.now.try_set(js_sys::Date::now());
                },
                std::time::Duration::from_secs(30),
            );
        }
    });
    clock
}

pub fn use_clock() -> Clock {
    use_context::<Clock>().unwrap_or_else(provide_clock)
}

impl Clock {
    /// Shows times in `zone` (an IANA name; empty or `None`: the browser's).
    pub fn set_zone(&self, zone: Option<String>) {
        let zone = zone.filter(|z| !z.trim().is_empty());
        if self.zone.try_get_untracked().as_ref() != Some(&zone) {
            let _ = self.zone.try_set(zone);
        }
    }
}

/// `2026-11-23T10:15:00Z` → `2026-11-23 10:15` (the server's form, UTC).
pub fn short_time(iso: &str) -> String {
    let t = iso.replace('T', " ");
    t.get(..16).unwrap_or(&t).to_string()
}

/// The time as the server renders it: UTC, labelled.
pub fn utc_label(iso: &str) -> String {
    if iso.trim().is_empty() {
        String::new()
    } else {
        format!("{} UTC", short_time(iso))
    }
}

/// How long ago `then` was, at `now` (both milliseconds); `None` beyond a week (show the date).
pub fn relative_text(then: f64, now: f64) -> Option<String> {
    let seconds = (now - then) / 1000.0;
    if seconds < -90.0 {
        return None; // in the future (a clock ahead): the date says it best
    }
    let minutes = (seconds / 60.0).round() as i64;
    let hours = (seconds / 3600.0).round() as i64;
    let days = (seconds / 86_400.0).round() as i64;
    let plural = |n: i64, one: &str| {
        if n == 1 {
            format!("1 {one} ago")
        } else {
            format!("{n} {one}s ago")
        }
    };
    Some(if seconds < 45.0 {
        "just now".to_string()
    } else if seconds < 45.0 * 60.0 {
        plural(minutes.max(1), "minute")
    } else if seconds < 22.0 * 3600.0 {
        plural(hours.max(1), "hour")
    } else if seconds < 36.0 * 3600.0 {
        "yesterday".to_string()
    } else if seconds < 7.0 * 86_400.0 {
        plural(days.max(2), "day")
    } else {
        return None;
    })
}

/// The browser's own time zone (IANA name).
#[cfg(feature = "browser")]
pub fn browser_zone() -> String {
    let format = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
    js_sys::Reflect::get(&format.resolved_options(), &"timeZone".into())
        .ok()
        .and_then(|z| z.as_string())
        .unwrap_or_else(|| "UTC".into())
}

/// The zones this browser knows (`Intl.supportedValuesOf("timeZone")`), for the profile's list.
#[cfg(feature = "browser")]
pub fn browser_zones() -> Vec<String> {
    use wasm_bindgen::JsCast;
    let intl = js_sys::Reflect::get(&js_sys::global(), &"Intl".into()).ok();
    let list = intl
        .as_ref()
        .and_then(|i| js_sys::Reflect::get(i, &"supportedValuesOf".into()).ok())
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .and_then(|f| f.call1(intl.as_ref()?, &"timeZone".into()).ok());
    match list.and_then(|l| l.dyn_into::<js_sys::Array>().ok()) {
        Some(a) => a.iter().filter_map(|z| z.as_string()).collect(),
        None => Vec::new(),
    }
}

/// `ms` as `YYYY-MM-DD HH:MM` in `zone` (`None`: the browser's); `None` for an unknown zone.
#[cfg(feature = "browser")]
pub fn format_in(ms: f64, zone: Option<&str>) -> Option<String> {
    use wasm_bindgen::JsCast;
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms));
    if date.get_time().is_nan() {
        return None;
    }
    let options = js_sys::Object::new();
    let set = |k: &str, v: &str| {
        let _ = js_sys::Reflect::set(&options, &k.into(), &v.into());
    };
    if let Some(zone) = zone {
        set("timeZone", zone);
    }
    set("year", "numeric");
    set("month", "2-digit");
    set("day", "2-digit");
    set("hour", "2-digit");
    set("minute", "2-digit");
    set("hourCycle", "h23");
    // through a plain call: an unknown zone throws a RangeError, which becomes `None` here
    let to_locale = js_sys::Reflect::get(&date, &"toLocaleString".into())
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?;
    // Swedish writes dates the ISO way: 2026-11-23 10:15
    to_locale
        .call2(&date, &"sv-SE".into(), &options)
        .ok()?
        .as_string()
}

/// Whether the browser knows this zone.
pub fn valid_zone(zone: &str) -> bool {
    #[cfg(feature = "browser")]
    {
        format_in(0.0, Some(zone)).is_some()
    }
    #[cfg(not(feature = "browser"))]
    {
        let zone = zone.trim();
        !zone.is_empty()
            && zone.len() <= 64
            && zone
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+'))
    }
}

/// A point in time (`iso`: RFC 3339): in the user's zone, relative if `relative` (within a
/// week), the exact local time with its zone in the tooltip. Server and hydration: UTC.
#[component]
pub fn When(#[prop(into)] iso: String, #[prop(optional)] relative: bool) -> impl IntoView {
    let clock = use_clock();
    let server_text = utc_label(&iso);
    #[cfg(feature = "browser")]
    let ms = js_sys::Date::parse(&iso);
    // (text, tooltip)
    let shown = Memo::new(move |_| {
        let now = clock.now.get();
        if now == 0.0 {
            return (server_text.clone(), server_text.clone());
        }
        #[cfg(feature = "browser")]
        {
            let zone = clock.zone.get();
            let zone_name = zone.clone().unwrap_or_else(browser_zone);
            let exact = format_in(ms, zone.as_deref())
                .or_else(|| format_in(ms, None))
                .unwrap_or_else(|| server_text.clone());
            let title = format!("{exact} ({zone_name})");
            let text = if relative && !ms.is_nan() {
                relative_text(ms, now).unwrap_or_else(|| exact.clone())
            } else {
                exact
            };
            (text, title)
        }
        #[cfg(not(feature = "browser"))]
        {
            let _ = relative;
            (server_text.clone(), server_text.clone())
        }
    });
    view! {
        <time datetime=iso title=move || shown.get().1>{move || shown.get().0}</time>
    }
}

/// The profile's time zone setting: the zone times are shown in, the browser's (the default)
/// or one chosen here.
#[component]
pub fn TimeZoneForm(initial: Option<String>) -> impl IntoView {
    use crate::components::form::{After, FormState};
    let clock = use_clock();
    let chosen = RwSignal::new(initial.clone().unwrap_or_default());
    let state = FormState::new();
    // the browser's zone and the zones it knows: only in the browser (after hydration)
    let browser = RwSignal::new(None::<(String, Vec<String>)>);
    Effect::new(move |_| {
        #[cfg(feature = "browser")]
        browser.set(Some((
            crate::components::time::browser_zone(),
            crate::components::time::browser_zones(),
        )));
    });
    // saved as soon as it is chosen
    let save = move || {
        let zone = chosen.get_untracked();
        state.run(crate::session::save_time_zone(zone), move |stored| {
            clock.set_zone(stored.clone());
            let _ = chosen.try_set(stored.unwrap_or_default());
            After::Note("Time zone saved.".to_string())
        });
    };
    let default_label = move || match browser.get() {
        Some((zone, _)) => format!("The browser's ({zone})"),
        None => "The browser's".to_string(),
    };
    // the list: the browser's zones, or (on the server) the saved one
    let options = move || {
        let mut zones = browser.with(|b| b.as_ref().map(|b| b.1.clone()).unwrap_or_default());
        if let Some(z) = initial.clone()
            && !zones.contains(&z)
        {
            zones.insert(0, z);
        }
        zones
    };
    view! {
        <section class="profile-card" aria-labelledby="time-zone-heading">
            <h2 id="time-zone-heading">"Time zone"</h2>
            <p class="muted hint">
                "Times in lists and tickets are shown in this zone. A choice is saved at once."
            </p>
            <form
                class="time-zone"
                data-ready=crate::components::layout::ready_marker()
                on:submit=move |ev| {
                    ev.prevent_default();
                    save();
                }
            >
                <label class="field">
                    <span>"Time zone"</span>
                    <select
                        id="time-zone"
                        name="time_zone"
                        disabled=move || state.saving.get()
                        on:change=move |ev| {
                            chosen.set(event_target_value(&ev));
                            save();
                        }
                        prop:value=move || chosen.get()
                    >
                        <option value="">{default_label}</option>
                        {move || {
                            let current = chosen.get_untracked();
                            options()
                                .into_iter()
                                .map(|z| {
                                    let selected = z == current;
                                    view! { <option value=z.clone() selected=selected>{z.clone()}</option> }
                                })
                                .collect_view()
                        }}
                    </select>
                </label>
                <p class="saved-note" role="status">
                    {move || {
                        if state.saving.get() {
                            Some("Saving…".to_string())
                        } else {
                            state.notice.get()
                        }
                    }}
                </p>
                {move || state.error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times_read_naturally() {
        let now = 1_800_000_000_000.0;
        let ago = |s: f64| relative_text(now - s * 1000.0, now);
        assert_eq!(ago(10.0).as_deref(), Some("just now"));
        assert_eq!(ago(70.0).as_deref(), Some("1 minute ago"));
        assert_eq!(ago(5.0 * 60.0).as_deref(), Some("5 minutes ago"));
        assert_eq!(ago(3.0 * 3600.0).as_deref(), Some("3 hours ago"));
        assert_eq!(ago(26.0 * 3600.0).as_deref(), Some("yesterday"));
        assert_eq!(ago(3.0 * 86_400.0).as_deref(), Some("3 days ago"));
        assert_eq!(ago(9.0 * 86_400.0), None);
        assert_eq!(ago(-3600.0), None);
        assert_eq!(utc_label("2026-11-23T10:15:00Z"), "2026-11-23 10:15 UTC");
    }
}
