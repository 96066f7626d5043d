//! Admin: the settings an operator changes — the password policy and the ticket hook — and,
//! read-only, the system id and the sign-in lockout the server was started with.

use leptos::prelude::*;

use super::{AdminShell, Section, loaded};
use crate::api::admin::{SettingsForm, admin_settings, save_admin_settings};
use crate::components::form::{After, CheckField, FormActions, FormState, TextField};
use crate::components::layout::ready_marker;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| admin_settings());
    view! {
        <AdminShell section=Section::Settings title="Settings" content=move || view! {
            <h1>"Settings"</h1>
            {loaded(data, |settings| view! { <SettingsEditor settings/> }.into_any())}
        }/>
    }
}

#[component]
fn SettingsEditor(settings: SettingsForm) -> impl IntoView {
    let state = FormState::new();
    let min_size = RwSignal::new(settings.password_min_size.to_string());
    let mixed_case = RwSignal::new(settings.password_need_mixed_case);
    let digit = RwSignal::new(settings.password_need_digit);
    let special = RwSignal::new(settings.password_need_special);
    let hook = RwSignal::new(settings.ticket_hook.clone());
    let fixed = settings.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(size) = min_size.get_untracked().trim().parse::<usize>() else {
            state
                .error
                .set(Some("The minimum password length must be a number.".into()));
            return;
        };
        let wanted = SettingsForm {
            password_min_size: size,
            password_need_mixed_case: mixed_case.get_untracked(),
            password_need_digit: digit.get_untracked(),
            password_need_special: special.get_untracked(),
            ticket_hook: hook.get_untracked(),
            ..fixed.clone()
        };
        state.run(save_admin_settings(wanted), move |stored| {
            let _ = min_size.try_set(stored.password_min_size.to_string());
            let _ = hook.try_set(stored.ticket_hook);
            After::Note("Settings saved.".to_string())
        });
    };
    view! {
        <form class="admin-form" id="settings-form" data-ready=ready_marker() on:submit=submit>
            <fieldset>
                <legend>"Password policy"</legend>
                <p class="hint muted">"New passwords must meet these rules; existing ones keep working."</p>
                <TextField
                    id="setting-password-min-size"
                    label="Minimum length"
                    value=min_size
                    kind="number"
                    required=true
                    state
                />
                <CheckField
                    id="setting-password-mixed-case"
                    label="At least 2 lower and 2 upper case letters"
                    value=mixed_case
                    state
                />
                <CheckField id="setting-password-digit" label="At least one digit" value=digit state/>
                <CheckField
                    id="setting-password-special"
                    label="At least one special character"
                    value=special
                    state
                />
            </fieldset>
            <fieldset>
                <legend>"Tickets"</legend>
                <TextField
                    id="setting-ticket-hook"
                    label="Ticket hook"
                    value=hook
                    required=true
                    state
                    hint="Put before the ticket number in e-mail subjects, e.g. [Ticket#31001]."
                />
                <dl class="profile-facts">
                    <dt>"System id"</dt>
                    <dd id="setting-system-id">{settings.system_id}</dd>
                </dl>
                <p class="hint muted">
                    "The first digits of every ticket number; set once at the first start (TANDEM_SYSTEM_ID)."
                </p>
            </fieldset>
            <fieldset>
                <legend>"Sign-in lockout"</legend>
                <dl class="profile-facts">
                    <dt>"Failed sign-ins before a lock"</dt>
                    <dd id="setting-lockout-failures">{settings.lockout_failures}</dd>
                    <dt>"Locked for"</dt>
                    <dd id="setting-lockout-minutes">{format!("{} minutes", settings.lockout_minutes)}</dd>
                </dl>
                <p class="hint muted">
                    "Set when the server starts (TANDEM_LOCKOUT_FAILURES, TANDEM_LOCKOUT_MINUTES). A locked user is unlocked on their user page."
                </p>
            </fieldset>
            <FormActions state id="save-settings" label="Save settings" busy="Saving…"/>
        </form>
    }
}
