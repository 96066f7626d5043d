//! Searching from the web app. A query the search language cannot read (an unclosed quote, an
//! unknown field, a date that is none) is no failure of the page: the answer is the search
//! page without results and the sentence the REST API gives as the 422's `error_human`, sent
//! with 200, so the browser logs no failed request and the page offers no pointless Retry.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::TicketList;
#[allow(unused_imports)]
use super::codec::JsonText;

/// One page of search results, or why the query could not be read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchPage {
    pub list: TicketList,
    /// The 422's `error_human` of `GET /api/v1/tickets/search` for this query (the list is
    /// then empty: the tabs only).
    pub problem: Option<String>,
}

/// A page of the tickets matching `query` (the search language of `/tickets/search`).
#[server(output = JsonText)]
pub async fn search_tickets(query: String, page: i64) -> Result<SearchPage, ServerFnError> {
    use super::tickets::list_tickets;
    let search = |query: String, page: i64| {
        list_tickets("search".into(), "updated".into(), true, page, query, false)
    };
    match problem_of(&query) {
        Some(problem) => Ok(SearchPage {
            // the tabs and counts of an empty search; the message instead of results
            list: search(String::new(), 1).await?,
            problem: Some(problem),
        }),
        None => Ok(SearchPage {
            list: search(query, page).await?,
            problem: None,
        }),
    }
}

/// The person-readable text a search page shows for `query` when it cannot be read, as
/// [`search_tickets`] sends it (`None`: the query is fine).
#[cfg(feature = "ssr")]
pub fn problem_of(query: &str) -> Option<String> {
    match domain::search::validate(query.trim()) {
        Err(e @ domain::Error::Unprocessable(_)) => Some(e.to_string()),
        _ => None,
    }
}
