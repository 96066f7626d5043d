//! The admin area (`/admin/…`, admins only): users, organisations, groups, roles and the
//! operator's settings, one module per resource. `/admin/*` is one route; [`AdminPage`] picks
//! the section from the path, and each section's page creates its resources at its top (the
//! order hydration matches them by).

mod email;
mod groups;
mod macros;
mod organizations;
mod roles;
mod settings;
mod text_modules;
mod users;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_navigate};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api::Choice;
use crate::components::form::{After, FormState};
use crate::components::layout::SignedIn;
use crate::components::status::ErrorView;
use crate::session::SessionUser;

/// Which part of the admin area a path shows (`0`: a new record's form).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Users,
    User(i64),
    Organizations,
    Organization(i64),
    Groups,
    Group(i64),
    Roles,
    Settings,
    EmailAddresses,
    EmailAddress(i64),
    Mailboxes,
    Mailbox(i64),
    Signatures,
    Signature(i64),
    FailedMails,
    FailedMail(i64),
    TextModules,
    TextModule(i64),
    Macros,
    Macro(i64),
    NotFound,
}

impl Section {
    pub fn parse(path: &str) -> Section {
        let parts: Vec<&str> = path
            .trim_start_matches("/admin")
            .split('/')
            .filter(|p| !p.is_empty())
            .collect();
        let id = |text: &str| match text {
            "new" => Some(0),
            other => other.parse::<i64>().ok().filter(|id| *id > 0),
        };
        match parts.as_slice() {
            [] | ["users"] => Section::Users,
            ["users", x] => id(x).map_or(Section::NotFound, Section::User),
            ["organizations"] => Section::Organizations,
            ["organizations", x] => id(x).map_or(Section::NotFound, Section::Organization),
            ["groups"] => Section::Groups,
            ["groups", x] => id(x).map_or(Section::NotFound, Section::Group),
            ["roles"] => Section::Roles,
            ["settings"] => Section::Settings,
            ["email_addresses"] => Section::EmailAddresses,
            ["email_addresses", x] => id(x).map_or(Section::NotFound, Section::EmailAddress),
            ["email_channels"] => Section::Mailboxes,
            ["email_channels", x] => id(x).map_or(Section::NotFound, Section::Mailbox),
            ["signatures"] => Section::Signatures,
            ["signatures", x] => id(x).map_or(Section::NotFound, Section::Signature),
            ["failed_mails"] => Section::FailedMails,
            ["failed_mails", x] => match id(x) {
                Some(id) if id > 0 => Section::FailedMail(id),
                _ => Section::NotFound,
            },
            ["text_modules"] => Section::TextModules,
            ["text_modules", x] => id(x).map_or(Section::NotFound, Section::TextModule),
            ["macros"] => Section::Macros,
            ["macros", x] => id(x).map_or(Section::NotFound, Section::Macro),
            _ => Section::NotFound,
        }
    }

    /// The navigation entry the section belongs to.
    fn tab(self) -> &'static str {
        match self {
            Section::Users | Section::User(_) => "users",
            Section::Organizations | Section::Organization(_) => "organizations",
            Section::Groups | Section::Group(_) => "groups",
            Section::Roles => "roles",
            Section::Settings => "settings",
            Section::EmailAddresses | Section::EmailAddress(_) => "email_addresses",
            Section::Mailboxes | Section::Mailbox(_) => "email_channels",
            Section::Signatures | Section::Signature(_) => "signatures",
            Section::FailedMails | Section::FailedMail(_) => "failed_mails",
            Section::TextModules | Section::TextModule(_) => "text_modules",
            Section::Macros | Section::Macro(_) => "macros",
            Section::NotFound => "",
        }
    }
}

const TABS: [(&str, &str, &str); 11] = [
    ("users", "/admin/users", "Users"),
    ("organizations", "/admin/organizations", "Organisations"),
    ("groups", "/admin/groups", "Groups"),
    ("roles", "/admin/roles", "Roles"),
    ("settings", "/admin/settings", "Settings"),
    (
        "email_addresses",
        "/admin/email_addresses",
        "Sender addresses",
    ),
    ("email_channels", "/admin/email_channels", "Mailboxes"),
    ("signatures", "/admin/signatures", "Signatures"),
    ("failed_mails", "/admin/failed_mails", "Failed mail"),
    ("text_modules", "/admin/text_modules", "Text modules"),
    ("macros", "/admin/macros", "Macros"),
];

/// `/admin` and everything below it.
#[component]
pub fn AdminPage() -> impl IntoView {
    let location = use_location();
    let section = Memo::new(move |_| Section::parse(&location.pathname.get()));
    move || match section.get() {
        Section::Users => view! { <users::UsersPage/> }.into_any(),
        Section::User(id) => view! { <users::UserPage id/> }.into_any(),
        Section::Organizations => view! { <organizations::OrganizationsPage/> }.into_any(),
        Section::Organization(id) => view! { <organizations::OrganizationPage id/> }.into_any(),
        Section::Groups => view! { <groups::GroupsPage/> }.into_any(),
        Section::Group(id) => view! { <groups::GroupPage id/> }.into_any(),
        Section::Roles => view! { <roles::RolesPage/> }.into_any(),
        Section::Settings => view! { <settings::SettingsPage/> }.into_any(),
        Section::EmailAddresses => view! { <email::EmailAddressesPage/> }.into_any(),
        Section::EmailAddress(id) => view! { <email::EmailAddressPage id/> }.into_any(),
        Section::Mailboxes => view! { <email::MailboxesPage/> }.into_any(),
        Section::Mailbox(id) => view! { <email::MailboxPage id/> }.into_any(),
        Section::Signatures => view! { <email::SignaturesPage/> }.into_any(),
        Section::Signature(id) => view! { <email::SignaturePage id/> }.into_any(),
        Section::FailedMails => view! { <email::FailedMailsPage/> }.into_any(),
        Section::FailedMail(id) => view! { <email::FailedMailPage id/> }.into_any(),
        Section::TextModules => view! { <text_modules::TextModulesPage/> }.into_any(),
        Section::TextModule(id) => view! { <text_modules::TextModulePage id/> }.into_any(),
        Section::Macros => view! { <macros::MacrosPage/> }.into_any(),
        Section::Macro(id) => view! { <macros::MacroPage id/> }.into_any(),
        Section::NotFound => view! {
            <AdminShell section=Section::NotFound title="Not found" content=|| view! {
                <p class="empty">"There is no such page in the admin area."</p>
            }/>
        }
        .into_any(),
    }
}

/// The admin area's frame: the app's top bar, the section navigation and `content` — or, for
/// anyone but an admin, a plain "not allowed". Not generic over the content (one frame in the
/// bundle for every section, which keeps the wasm small).
#[component]
pub fn AdminShell(
    section: Section,
    title: &'static str,
    #[prop(into)] content: ViewFn,
) -> impl IntoView {
    view! {
        <Title text=format!("{title} · Admin · Tandem")/>
        <SignedIn page=move |user: SessionUser| {
            if !user.is_admin {
                return view! {
                    <section class="not-allowed" aria-labelledby="not-allowed-title">
                        <h1 id="not-allowed-title">"Not allowed"</h1>
                        <p>"The admin area is for administrators. Ask one of them if you need a change here."</p>
                        <p><a href="/">"Back to your tickets"</a></p>
                    </section>
                }
                .into_any();
            }
            let current = section.tab();
            let content = content.clone();
            view! {
                <div class="admin">
                    <nav class="admin-nav" aria-label="Admin">
                        <p class="admin-nav-title">"Admin"</p>
                        {TABS
                            .iter()
                            .map(|&(key, href, label)| {
                                view! {
                                    <a href=href aria-current={(key == current).then_some("page")}>{label}</a>
                                }
                            })
                            .collect_view()}
                    </nav>
                    <div class="admin-main">{content.run()}</div>
                </div>
            }
            .into_any()
        }/>
    }
}

/// A loading line, the same everywhere in the admin area.
pub fn loading() -> impl IntoView {
    view! { <p class="loading" role="status">"Loading…"</p> }
}

/// A section's data: the loading line while it comes, then `show` with it, or the failed load
/// inside the part that failed, with a retry (the app's `ErrorView`).
pub fn loaded<T>(data: Resource<Result<T, ServerFnError>>, show: fn(T) -> AnyView) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
{
    view! {
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(value) => show(value),
                    Err(e) => view! { <ErrorView error=e retry=move |_| data.refetch()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// A list page's heading: the title, `extra` (e.g. a search form) and the "New …" link `new`
/// (its href and label; `None`: records are not made here).
pub fn list_head(
    title: &'static str,
    new: Option<(&'static str, &'static str)>,
    extra: impl IntoView,
) -> impl IntoView {
    view! {
        <div class="list-head">
            <h1>{title}</h1>
            {extra}
            {new.map(|(href, label)| view! { <a class="button primary" href=href>{label}</a> })}
        </div>
    }
}

/// A section's list page: the frame, the [`list_head`] and the list once [`loaded`].
pub fn list_page<T>(
    section: Section,
    title: &'static str,
    new: Option<(&'static str, &'static str)>,
    list: Resource<Result<T, ServerFnError>>,
    show: fn(T) -> AnyView,
) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
{
    view! {
        <AdminShell section title content=move || view! {
            {list_head(title, new, ())}
            {loaded(list, show)}
        }/>
    }
}

/// A record's page: the frame, the crumb back to the list (`back`: its href and label) and
/// the record once [`loaded`].
pub fn record_page<T>(
    section: Section,
    title: &'static str,
    back: (&'static str, &'static str),
    data: Resource<Result<T, ServerFnError>>,
    show: fn(T) -> AnyView,
) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
{
    let (href, label) = back;
    view! {
        <AdminShell section title content=move || view! {
            <p class="crumbs"><a href=href>{label}</a></p>
            {loaded(data, show)}
        }/>
    }
}

/// What a record's form does once saved (for [`FormState::run`]): a new record (`new`) opens
/// its own page, `{list}/{id}`; an existing one stays and says "Saved.". Call it while the
/// form is made (it takes the router's navigation).
pub fn after_save(new: bool, list: &'static str) -> impl Fn(i64) -> After + Clone + 'static {
    let navigate = use_navigate();
    move |saved| {
        if new {
            navigate(&format!("{list}/{saved}"), Default::default());
            After::Leave
        } else {
            After::Note("Saved.".to_string())
        }
    }
}

/// A select of `(value, label)` choices bound to the text `value` (the choice equal to it
/// selected at first).
pub fn text_select(
    id: &'static str,
    choices: Vec<(String, String)>,
    value: RwSignal<String>,
    state: FormState,
) -> impl IntoView {
    let initial = value.get_untracked();
    view! {
        <select
            id=id
            on:change=move |ev| {
                value.set(event_target_value(&ev));
                state.changed();
            }
        >
            {choices
                .into_iter()
                .map(|(v, label)| {
                    let selected = initial == v;
                    view! { <option value=v selected=selected>{label}</option> }
                })
                .collect_view()}
        </select>
    }
}

/// [`optional_select`]'s first choice where `None` means no record.
pub const NONE: &str = "– none –";
/// [`optional_select`]'s first choice where `None` leaves the value as it is (a macro's actions).
pub const UNCHANGED: &str = "– unchanged –";

/// A select of optional choices bound to `value`, with `empty` (e.g. "– none –") first for
/// `None`.
pub fn optional_select(
    id: &'static str,
    empty: &'static str,
    choices: Vec<Choice>,
    value: RwSignal<Option<i64>>,
    state: FormState,
) -> impl IntoView {
    let initial = value.get_untracked();
    view! {
        <select
            id=id
            prop:value=move || value.get().map(|v| v.to_string()).unwrap_or_default()
            on:change=move |ev| {
                value.set(event_target_value(&ev).parse().ok());
                state.changed();
            }
        >
            <option value="" selected=initial.is_none()>{empty}</option>
            {choices
                .into_iter()
                .map(|c| {
                    let selected = initial == Some(c.id);
                    view! { <option value=c.id.to_string() selected=selected>{c.name}</option> }
                })
                .collect_view()}
        </select>
    }
}

/// One cell of an admin list.
pub enum Cell {
    /// The record's name, linked to its page.
    Link(String, String),
    /// A name in bold with a note under it.
    Strong(String, String),
    Text(String),
    Muted(String),
    /// Active / inactive.
    Status(bool),
    /// Short codes (permissions).
    Chips(Vec<String>),
}

/// An admin list: one table component for every resource (one set of table code in the
/// bundle instead of one per resource).
#[component]
pub fn AdminTable(
    #[prop(optional)] id: Option<&'static str>,
    headers: &'static [&'static str],
    rows: Vec<Vec<Cell>>,
) -> impl IntoView {
    let cell = |c: Cell| match c {
        Cell::Link(href, text) => {
            view! { <td class="col-title"><a href=href>{text}</a></td> }.into_any()
        }
        Cell::Strong(text, note) => view! {
            <td class="col-title">
                <strong>{text}</strong>
                {(!note.is_empty()).then(|| view! { <p class="muted small">{note}</p> })}
            </td>
        }
        .into_any(),
        Cell::Text(text) => view! { <td>{text}</td> }.into_any(),
        Cell::Muted(text) => view! { <td class="muted">{text}</td> }.into_any(),
        Cell::Status(active) => view! { <td>{status_badge(active)}</td> }.into_any(),
        Cell::Chips(chips) => view! {
            <td>
                <ul class="chips">
                    {chips.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
                </ul>
            </td>
        }
        .into_any(),
    };
    view! {
        <div class="table-wrap">
            <table class="admin-table" id=id>
                <thead>
                    <tr>
                        {headers.iter().map(|h| view! { <th scope="col">{*h}</th> }).collect_view()}
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|row| view! { <tr>{row.into_iter().map(cell).collect_view()}</tr> })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// An active / inactive badge.
pub fn status_badge(active: bool) -> impl IntoView {
    let (class, label) = if active {
        ("status status-on", "Active")
    } else {
        ("status status-off", "Inactive")
    };
    view! { <span class=class>{label}</span> }
}

#[cfg(test)]
mod tests {
    use super::Section;

    #[test]
    fn paths_pick_their_section() {
        assert_eq!(Section::parse("/admin"), Section::Users);
        assert_eq!(Section::parse("/admin/"), Section::Users);
        assert_eq!(Section::parse("/admin/users/new"), Section::User(0));
        assert_eq!(Section::parse("/admin/users/12"), Section::User(12));
        assert_eq!(Section::parse("/admin/users/0"), Section::NotFound);
        assert_eq!(Section::parse("/admin/groups/3"), Section::Group(3));
        assert_eq!(
            Section::parse("/admin/organizations"),
            Section::Organizations
        );
        assert_eq!(Section::parse("/admin/settings"), Section::Settings);
        assert_eq!(Section::parse("/admin/roles/x"), Section::NotFound);
        assert_eq!(
            Section::parse("/admin/email_channels/7"),
            Section::Mailbox(7)
        );
        assert_eq!(
            Section::parse("/admin/signatures/new"),
            Section::Signature(0)
        );
        assert_eq!(Section::parse("/admin/failed_mails/new"), Section::NotFound);
    }
}
