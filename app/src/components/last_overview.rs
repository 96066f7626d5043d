//! The overview an agent last looked at in this tab: its address and its tickets in the order
//! shown, kept in the tab's `sessionStorage` (key [`KEY`], JSON `{"path", "ids"}`). A macro
//! whose `ux_flow_next_up` is `next_from_overview` opens the ticket after the current one in
//! it, as Zammad does (`app/assets/javascripts/app/controllers/ticket_zoom.coffee`:
//! `getNextTicketInOverview`, taken before the change is sent).

use serde::{Deserialize, Serialize};

/// The `sessionStorage` key.
pub const KEY: &str = "tandem.last_overview";

/// What is remembered of the overview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastOverview {
    /// The overview's address with its query (`/tickets/view/open?sort=number`).
    pub path: String,
    /// Its tickets, in the order shown.
    pub ids: Vec<i64>,
}

/// Where `next_from_overview` leads from ticket `current`.
#[derive(Debug, Clone, PartialEq)]
pub enum NextStop {
    /// The ticket after `current` in the remembered overview.
    Ticket(i64),
    /// `current` is the overview's last ticket, or not in it: back to the overview.
    Overview(String),
}

impl LastOverview {
    /// The stop after `current`.
    pub fn after(&self, current: i64) -> NextStop {
        self.ids
            .iter()
            .position(|id| *id == current)
            .and_then(|at| self.ids.get(at + 1))
            .map_or_else(
                || NextStop::Overview(self.path.clone()),
                |id| NextStop::Ticket(*id),
            )
    }
}

/// Remembers the overview the tab shows (browser only; without storage it does nothing).
pub fn remember(overview: &LastOverview) {
    #[cfg(feature = "browser")]
    if let Some(storage) = web_sys::window().and_then(|w| w.session_storage().ok().flatten())
        && let Ok(text) = serde_json::to_string(overview)
    {
        let _ = storage.set_item(KEY, &text);
    }
    #[cfg(not(feature = "browser"))]
    let _ = overview;
}

/// The overview this tab last showed, if any.
pub fn recall() -> Option<LastOverview> {
    #[cfg(feature = "browser")]
    {
        let storage = web_sys::window()?.session_storage().ok()??;
        serde_json::from_str(&storage.get_item(KEY).ok()??).ok()
    }
    #[cfg(not(feature = "browser"))]
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_stop_is_the_following_ticket_else_the_overview() {
        let overview = LastOverview {
            path: "/tickets/view/open".into(),
            ids: vec![7, 3, 9],
        };
        assert_eq!(overview.after(7), NextStop::Ticket(3));
        assert_eq!(overview.after(3), NextStop::Ticket(9));
        assert_eq!(
            overview.after(9),
            NextStop::Overview("/tickets/view/open".into())
        );
        assert_eq!(
            overview.after(1),
            NextStop::Overview("/tickets/view/open".into())
        );
    }
}
