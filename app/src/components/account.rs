//! The profile's account cards: one's own name and e-mail, password change (with the current
//! password; the other sessions end), signing out other sessions, and personal access tokens
//! (the secret shown once). Their resources are made at the top of the route
//! ([`AccountResources::new`] in `ProfilePage`).

use leptos::prelude::*;

use crate::api::profile::{
    Account, Tokens, change_my_password, create_my_token, delete_my_token, my_account, my_tokens,
    save_my_account, sign_out_other_sessions,
};
use crate::components::form::{After, FormActions, FormState, TextField};
use crate::components::layout::ready_marker;
use crate::components::status::ErrorView;
use crate::session::SessionUser;

/// The data the account cards load.
#[derive(Clone, Copy)]
pub struct AccountResources {
    account: Resource<Result<Account, ServerFnError>>,
    tokens: Resource<Result<Tokens, ServerFnError>>,
}

impl AccountResources {
    /// Call at the top of the route, like every resource (hydration matches them by order).
    pub fn new() -> AccountResources {
        AccountResources {
            account: Resource::new(|| (), |_| my_account()),
            tokens: Resource::new(|| (), |_| my_tokens()),
        }
    }
}

impl Default for AccountResources {
    fn default() -> Self {
        AccountResources::new()
    }
}

/// Name and e-mail, password, sessions and (agents, admins) tokens.
#[component]
pub fn AccountCards(user: SessionUser, resources: AccountResources) -> impl IntoView {
    let AccountResources { account, tokens } = resources;
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match account.await {
                    Ok(a) if a.editable => view! { <AccountCard account=a/> }.into_any(),
                    Ok(_) => ().into_any(),
                    Err(e) => view! { <ErrorView error=e retry=move |_| account.refetch()/> }.into_any(),
                }
            })}
        </Suspense>
        <PasswordCard/>
        <SessionsCard/>
        {(user.is_agent || user.is_admin).then(|| view! { <TokensCard tokens/> })}
    }
}

/// One's own name and e-mail.
#[component]
fn AccountCard(account: Account) -> impl IntoView {
    let state = FormState::new();
    let firstname = RwSignal::new(account.firstname);
    let lastname = RwSignal::new(account.lastname);
    let email = RwSignal::new(account.email);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        state.run(
            save_my_account(
                firstname.get_untracked(),
                lastname.get_untracked(),
                email.get_untracked(),
            ),
            |_| After::Note("Saved.".to_string()),
        );
    };
    view! {
        <section class="profile-card" aria-labelledby="account-heading">
            <h2 id="account-heading">"Name and e-mail"</h2>
            <form class="profile-form" id="account-form" data-ready=ready_marker() on:submit=submit>
                <div class="row">
                    <TextField id="me-firstname" label="First name" value=firstname autocomplete="given-name" state/>
                    <TextField id="me-lastname" label="Last name" value=lastname autocomplete="family-name" state/>
                </div>
                <TextField id="me-email" label="E-mail" value=email kind="email" autocomplete="email" state/>
                <FormActions state id="save-account" label="Save name and e-mail" busy="Saving…"/>
            </form>
        </section>
    }
}

/// Password change with the current password; the user's other sessions end.
#[component]
fn PasswordCard() -> impl IntoView {
    let state = FormState::new();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if new.get_untracked() != repeat.get_untracked() {
            state
                .error
                .set(Some("The new password and its repetition differ.".into()));
            return;
        }
        state.run(
            change_my_password(current.get_untracked(), new.get_untracked()),
            move |_| {
                for field in [current, new, repeat] {
                    let _ = field.try_set(String::new());
                }
                After::Note("Password changed. Your other sessions were signed out.".to_string())
            },
        );
    };
    view! {
        <section class="profile-card" aria-labelledby="password-heading">
            <h2 id="password-heading">"Password"</h2>
            <form class="profile-form" id="password-form" data-ready=ready_marker() on:submit=submit>
                <TextField
                    id="password-current"
                    label="Current password"
                    value=current
                    kind="password"
                    autocomplete="current-password"
                    required=true
                    state
                />
                <div class="row">
                    <TextField
                        id="password-new"
                        label="New password"
                        value=new
                        kind="password"
                        autocomplete="new-password"
                        required=true
                        state
                    />
                    <TextField
                        id="password-repeat"
                        label="Repeat the new password"
                        value=repeat
                        kind="password"
                        autocomplete="new-password"
                        required=true
                        state
                    />
                </div>
                <p class="hint muted">"Changing it signs you out everywhere else."</p>
                <FormActions state id="change-password" label="Change password" busy="Changing…"/>
            </form>
        </section>
    }
}

/// Ends every other session of the user (other browsers and devices).
#[component]
fn SessionsCard() -> impl IntoView {
    let state = FormState::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        state.run(sign_out_other_sessions(), |ended| {
            After::Note(match ended {
                0 => "There were no other sessions.".to_string(),
                1 => "1 other session signed out.".to_string(),
                n => format!("{n} other sessions signed out."),
            })
        });
    };
    view! {
        <section class="profile-card" aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">"Sessions"</h2>
            <form class="profile-form" id="sessions-form" data-ready=ready_marker() on:submit=submit>
                <p class="muted hint">
                    "Signed in on a computer you no longer use? End those sessions; this one stays."
                </p>
                <FormActions state id="sign-out-others" label="Sign out other sessions" busy="Signing out…"/>
            </form>
        </section>
    }
}

/// Personal access tokens for the REST API: the list, a new one (its secret shown once), delete.
#[component]
fn TokensCard(tokens: Resource<Result<Tokens, ServerFnError>>) -> impl IntoView {
    let secret = RwSignal::new(None::<String>);
    let state = FormState::new();
    view! {
        <section class="profile-card" aria-labelledby="tokens-heading">
            <h2 id="tokens-heading">"Personal access tokens"</h2>
            <p class="muted hint">
                "For scripts and integrations calling the REST API (" <code>"Authorization: Token token=…"</code> ")."
            </p>
            {move || secret.get().map(|token| view! {
                <div class="token-secret" role="status">
                    <p><strong>"Your new token"</strong> " — copy it now: it is not shown again."</p>
                    <code id="token-secret">{token}</code>
                </div>
            })}
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Ok(list) => view! { <TokenList list tokens secret state/> }.into_any(),
                        Err(e) => view! { <ErrorView error=e retry=move |_| tokens.refetch()/> }.into_any(),
                    }
                })}
            </Transition>
            {move || state.error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </section>
    }
}

#[component]
fn TokenList(
    list: Tokens,
    tokens: Resource<Result<Tokens, ServerFnError>>,
    secret: RwSignal<Option<String>>,
    state: FormState,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let expires = RwSignal::new(String::new());
    let chosen = RwSignal::new(Vec::<String>::new());
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        state.run(
            create_my_token(
                name.get_untracked(),
                chosen.get_untracked(),
                expires.get_untracked(),
            ),
            move |token| {
                let _ = secret.try_set(Some(token));
                tokens.refetch();
                After::Quiet
            },
        );
    };
    let remove = move |id: i64| {
        let _ = secret.try_set(None);
        state.run(delete_my_token(id), move |_| {
            tokens.refetch();
            After::Quiet
        });
    };
    let toggle = move |permission: String, on: bool| {
        chosen.update(|c| {
            c.retain(|p| *p != permission);
            if on {
                c.push(permission);
            }
        });
    };
    let table = if list.tokens.is_empty() {
        view! { <p class="muted" id="no-tokens">"No tokens yet."</p> }.into_any()
    } else {
        view! {
            <table class="notification-matrix token-table" id="token-table">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Permissions"</th>
                        <th scope="col">"Expires"</th>
                        <th scope="col">"Last used"</th>
                        <th scope="col"><span class="sr-only">"Delete"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {list
                        .tokens
                        .into_iter()
                        .map(|t| {
                            let id = t.id;
                            let label = format!("Delete token {}", t.name);
                            view! {
                                <tr>
                                    <th scope="row">{t.name}</th>
                                    <td class="muted small">{t.permissions.join(", ")}</td>
                                    <td class="muted small">{t.expires_at.unwrap_or_else(|| "never".into())}</td>
                                    <td class="muted small">{t.last_used_at.unwrap_or_else(|| "never".into())}</td>
                                    <td>
                                        <button type="button" class="link danger-link" aria-label=label on:click=move |_| remove(id)>
                                            "Delete"
                                        </button>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        }
        .into_any()
    };
    view! {
        {table}
        <form class="profile-form token-form" id="token-form" data-ready=ready_marker() on:submit=create>
            <h3>"New token"</h3>
            <div class="row">
                <TextField id="token-name" label="Name" value=name required=true/>
                <TextField id="token-expires" label="Expires (optional)" value=expires kind="date"/>
            </div>
            <fieldset class="choice-row">
                <legend>"Permissions"</legend>
                {list
                    .permissions
                    .into_iter()
                    .map(|p| {
                        let key = p.clone();
                        let checked_key = p.clone();
                        view! {
                            <label class="check">
                                <input
                                    type="checkbox"
                                    name="token-permission"
                                    value=p.clone()
                                    prop:checked=move || chosen.with(|c| c.contains(&checked_key))
                                    on:change=move |ev| toggle(key.clone(), event_target_checked(&ev))
                                />
                                <code>{p}</code>
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            <div class="form-actions">
                <button type="submit" class="primary" id="create-token" disabled=move || state.saving.get()>
                    "Create token"
                </button>
            </div>
        </form>
    }
}
