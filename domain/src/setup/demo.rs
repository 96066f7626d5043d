//! Demo data for trying Tandem out (`TANDEM_DEMO=1`); loaded once, skipped when present.

use std::collections::BTreeMap;

use sqlx::AnyConnection;

use serde_json::json;

use crate::accounts::groups::{self, GroupParams};
use crate::accounts::organizations::{self, OrganizationParams};
use crate::accounts::users::{self, AccessList, UserParams};
use crate::policy::access::load_actor;
use crate::setup::seeds::{self, ADMIN_ROLE_ID, AGENT_ROLE_ID, CUSTOMER_ROLE_ID};
use crate::storage::files::FileStore;
use crate::{Result, tickets};

pub const PASSWORD: &str = "tandem-demo";

/// A demo login as printed by the run command.
pub struct DemoLogin {
    pub login: &'static str,
    pub name: &'static str,
    pub role: &'static str,
}

pub const LOGINS: [DemoLogin; 6] = [
    DemoLogin {
        login: "admin@tandem.test",
        name: "Ada Admin",
        role: "admin (all groups)",
    },
    DemoLogin {
        login: "agent1@tandem.test",
        name: "Anna Agent",
        role: "agent, full access to Users and Sales",
    },
    DemoLogin {
        login: "agent2@tandem.test",
        name: "Bob Agent",
        role: "agent, read-only access to Users",
    },
    DemoLogin {
        login: "nicole@customer.test",
        name: "Nicole Braun",
        role: "customer, Acme Corp (shared)",
    },
    DemoLogin {
        login: "sam@customer.test",
        name: "Sam Smith",
        role: "customer, Acme Corp (shared)",
    },
    DemoLogin {
        login: "lee@other.test",
        name: "Lee Lone",
        role: "customer, Solo Ltd (not shared)",
    },
];

/// Ids of the demo records, for the ticket demo data and tests.
#[derive(Debug, Clone, Copy)]
pub struct DemoIds {
    pub sales_group: i64,
    pub acme: i64,
    pub solo: i64,
    pub admin: i64,
    pub agent1: i64,
    pub agent2: i64,
    pub nicole: i64,
    pub sam: i64,
    pub lee: i64,
}

fn access(pairs: &[(i64, &str)]) -> BTreeMap<String, AccessList> {
    pairs
        .iter()
        .map(|(g, l)| (g.to_string(), AccessList::One(l.to_string())))
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn person(
    login: &str,
    first: &str,
    last: &str,
    org: Option<i64>,
    roles: Vec<i64>,
    groups: &[(i64, &str)],
) -> UserParams {
    UserParams {
        login: Some(login.into()),
        email: Some(login.into()),
        firstname: Some(first.into()),
        lastname: Some(last.into()),
        password: Some(PASSWORD.into()),
        organization_id: org.map(Some),
        role_ids: Some(roles),
        group_ids: (!groups.is_empty()).then(|| access(groups)),
        verified: Some(true),
        ..Default::default()
    }
}

/// Loads the demo accounts and tickets unless they exist. Returns `None` when already present.
pub async fn load(conn: &mut AnyConnection, files: &FileStore) -> Result<Option<DemoIds>> {
    let ids = load_accounts(conn).await?;
    if let Some(ids) = &ids {
        load_tickets(conn, files, ids).await?;
    }
    Ok(ids)
}

/// Loads only the demo accounts, groups and organisations (tests and benchmarks add their own
/// tickets). Returns `None` when already present.
pub async fn load_accounts(conn: &mut AnyConnection) -> Result<Option<DemoIds>> {
    if crate::storage::lookup::user_id_by_key(conn, "admin@tandem.test")
        .await?
        .is_some()
    {
        return Ok(None);
    }
    let sales = groups::create(
        conn,
        None,
        &GroupParams {
            name: Some("Sales".into()),
            note: Some("Quotes, orders and invoices.".into()),
            ..Default::default()
        },
    )
    .await?
    .id;
    let acme = organizations::create(
        conn,
        None,
        &OrganizationParams {
            name: Some("Acme Corp".into()),
            shared: Some(true),
            domain: Some("customer.test".into()),
            ..Default::default()
        },
    )
    .await?
    .id;
    let solo = organizations::create(
        conn,
        None,
        &OrganizationParams {
            name: Some("Solo Ltd".into()),
            shared: Some(false),
            ..Default::default()
        },
    )
    .await?
    .id;
    let users_group = 1;
    let admin = users::create(
        conn,
        None,
        &person(
            "admin@tandem.test",
            "Ada",
            "Admin",
            None,
            vec![ADMIN_ROLE_ID, AGENT_ROLE_ID],
            &[],
        ),
    )
    .await?
    .id;
    seeds::grant_all_groups(conn, admin).await?;
    let agent1 = users::create(
        conn,
        None,
        &person(
            "agent1@tandem.test",
            "Anna",
            "Agent",
            None,
            vec![AGENT_ROLE_ID],
            &[(users_group, "full"), (sales, "full")],
        ),
    )
    .await?
    .id;
    let agent2 = users::create(
        conn,
        None,
        &person(
            "agent2@tandem.test",
            "Bob",
            "Agent",
            None,
            vec![AGENT_ROLE_ID],
            &[(users_group, "read")],
        ),
    )
    .await?
    .id;
    let nicole = users::create(
        conn,
        None,
        &person(
            "nicole@customer.test",
            "Nicole",
            "Braun",
            Some(acme),
            vec![CUSTOMER_ROLE_ID],
            &[],
        ),
    )
    .await?
    .id;
    let sam = users::create(
        conn,
        None,
        &person(
            "sam@customer.test",
            "Sam",
            "Smith",
            Some(acme),
            vec![CUSTOMER_ROLE_ID],
            &[],
        ),
    )
    .await?
    .id;
    let lee = users::create(
        conn,
        None,
        &person(
            "lee@other.test",
            "Lee",
            "Lone",
            Some(solo),
            vec![CUSTOMER_ROLE_ID],
            &[],
        ),
    )
    .await?
    .id;
    Ok(Some(DemoIds {
        sales_group: sales,
        acme,
        solo,
        admin,
        agent1,
        agent2,
        nicole,
        sam,
        lee,
    }))
}

/// A request as the REST API would send it.
fn changes(body: serde_json::Value) -> Result<crate::tickets::input::TicketChanges> {
    crate::dialects::zammad::requests::ticket_changes(body)
}

/// A few tickets in different states, with replies and an internal note.
async fn load_tickets(conn: &mut AnyConnection, files: &FileStore, ids: &DemoIds) -> Result<()> {
    let anna = load_actor(conn, ids.agent1, None).await?;
    let nicole = load_actor(conn, ids.nicole, None).await?;
    let sam = load_actor(conn, ids.sam, None).await?;
    let lee = load_actor(conn, ids.lee, None).await?;

    let (printer, _) = tickets::create(conn, files, &nicole, &changes(json!({
        "title": "Printer on the 3rd floor keeps jamming", "group": "Users",
        "article": {"type": "web", "subject": "Printer jam", "body": "Hi, the printer next to the kitchen jams on every second page. Could someone have a look?"}
    }))?, None).await?;
    tickets::update(conn, files, &anna, printer.id, &changes(json!({
        "owner_id": ids.agent1, "priority": "3 high",
        "article": {"type": "email", "to": "nicole@customer.test", "subject": "Re: Printer jam", "content_type": "text/html",
                    "body": "<p>Hi Nicole,</p><p>a technician is on the way. Please leave a note on the printer.</p><p>Anna</p>"}
    }))?, None).await?;
    tickets::update(conn, files, &anna, printer.id, &changes(json!({
        "article": {"type": "note", "internal": true, "body": "Third jam report this month: ask facilities about a replacement."}
    }))?, None).await?;

    tickets::create(conn, files, &sam, &changes(json!({
        "title": "Invoice 2026-114 shows the wrong VAT rate", "group_id": ids.sales_group,
        "article": {"type": "web", "body": "Our invoice 2026-114 uses 19 % VAT, but we are exempt. Please send a corrected invoice."}
    }))?, None).await?;

    let (password, _) = tickets::create(conn, files, &lee, &changes(json!({
        "title": "Cannot reset my password", "group": "Users",
        "article": {"type": "web", "body": "The reset e-mail never arrives. I checked the spam folder."}
    }))?, None).await?;
    tickets::update(conn, files, &anna, password.id, &changes(json!({
        "state": "pending reminder", "pending_time": "2030-01-01T09:00:00Z", "owner_id": ids.agent1,
        "article": {"type": "phone", "body": "Called Lee: the mail server rejected the address. Fixed the typo, waiting for confirmation."}
    }))?, None).await?;

    let (dark, _) = tickets::create(
        conn,
        files,
        &nicole,
        &changes(json!({
            "title": "Feature request: dark mode for the portal", "group": "Users",
            "article": {"type": "web", "body": "Would love a dark mode!"}
        }))?,
        None,
    )
    .await?;
    tickets::update(conn, files, &anna, dark.id, &changes(json!({
        "state": "closed",
        "article": {"type": "email", "to": "nicole@customer.test", "body": "Good news: it follows your system setting now."}
    }))?, None).await?;
    Ok(())
}
