//! Pieces the admin area's and the profile's forms share: labelled fields bound to signals,
//! and a form's save state (one call at a time, a "saved" note, the server's error).

use std::future::Future;

use leptos::prelude::*;

use crate::api::Choice;
use crate::components::status::readable_error;

/// A form's save state: whether a call is running, what it said when it worked, and the
/// server's error when it did not.
#[derive(Clone, Copy)]
pub struct FormState {
    pub saving: RwSignal<bool>,
    pub notice: RwSignal<Option<String>>,
    pub error: RwSignal<Option<String>>,
}

/// What a form does once its call worked.
pub enum After {
    /// Stay and say this ("Saved.").
    Note(String),
    /// Stay, say nothing.
    Quiet,
    /// The page is being left (it navigated): touch none of its state any more.
    Leave,
}

impl FormState {
    pub fn new() -> FormState {
        FormState {
            saving: RwSignal::new(false),
            notice: RwSignal::new(None),
            error: RwSignal::new(None),
        }
    }

    /// Runs `call` (a server function) unless one is running; `done` gets its answer. The page
    /// may be gone when the answer comes, so nothing here touches a disposed signal, and
    /// nothing at all once `done` says the page is left.
    pub fn run<T, Fut>(self, call: Fut, done: impl FnOnce(T) -> After + 'static)
    where
        T: 'static,
        Fut: Future<Output = Result<T, ServerFnError>> + 'static,
    {
        if self.saving.get_untracked() {
            return;
        }
        self.saving.set(true);
        self.error.set(None);
        self.notice.set(None);
        leptos::task::spawn_local(async move {
            match call.await {
                Ok(answer) => match done(answer) {
                    After::Leave => return,
                    After::Note(note) => {
                        let _ = self.notice.try_set(Some(note));
                    }
                    After::Quiet => {}
                },
                Err(e) => {
                    let _ = self.error.try_set(Some(readable_error(&e)));
                }
            }
            let _ = self.saving.try_set(false);
        });
    }

    /// Forgets the last note (the form changed since).
    pub fn changed(self) {
        if self.notice.get_untracked().is_some() {
            self.notice.set(None);
        }
    }
}

impl Default for FormState {
    fn default() -> Self {
        FormState::new()
    }
}

/// A labelled text input bound to `value`.
#[component]
pub fn TextField(
    #[prop(into)] id: String,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] required: bool,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] state: Option<FormState>,
) -> impl IntoView {
    let initial = value.get_untracked();
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                id=id.clone()
                name=id
                type=kind
                value=initial
                prop:value=move || value.get()
                required=required
                autocomplete=autocomplete
                on:input=move |ev| {
                    value.set(event_target_value(&ev));
                    if let Some(state) = state {
                        state.changed();
                    }
                }
            />
            {hint.map(|h| view! { <p class="hint muted">{h}</p> })}
        </div>
    }
}

/// A labelled text area bound to `value` (`quiet_label`: the label is for screen readers only,
/// the fieldset's legend already says it).
#[component]
pub fn TextArea(
    #[prop(into)] id: String,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(optional)] quiet_label: bool,
    #[prop(optional)] state: Option<FormState>,
) -> impl IntoView {
    let initial = value.get_untracked();
    view! {
        <div class="field">
            <label class=quiet_label.then_some("sr-only") for=id.clone()>{label}</label>
            <textarea
                id=id
                rows="3"
                prop:value=move || value.get()
                on:input=move |ev| {
                    value.set(event_target_value(&ev));
                    if let Some(state) = state {
                        state.changed();
                    }
                }
            >
                {initial}
            </textarea>
        </div>
    }
}

/// A checkbox with its label after it, bound to `value`.
#[component]
pub fn CheckField(
    #[prop(into)] id: String,
    label: &'static str,
    value: RwSignal<bool>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] state: Option<FormState>,
) -> impl IntoView {
    let initial = value.get_untracked();
    view! {
        <div class="field check-field">
            <label class="check">
                <input
                    type="checkbox"
                    id=id.clone()
                    name=id
                    checked=initial
                    prop:checked=move || value.get()
                    on:change=move |ev| {
                        value.set(event_target_checked(&ev));
                        if let Some(state) = state {
                            state.changed();
                        }
                    }
                />
                <span>{label}</span>
            </label>
            {hint.map(|h| view! { <p class="hint muted">{h}</p> })}
        </div>
    }
}

/// The submit button, the note of the last save and the server's error.
#[component]
pub fn FormActions(
    state: FormState,
    label: &'static str,
    busy: &'static str,
    #[prop(optional, into)] id: Option<String>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="form-actions">
            <button type="submit" class="primary" id=id disabled=move || state.saving.get()>
                {move || if state.saving.get() { busy } else { label }}
            </button>
            {children.map(|c| c())}
            <span class="saved-note" role="status">{move || state.notice.get()}</span>
        </div>
        {move || state.error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
    }
}

/// A select's `<option>`s for `choices`: the id as value, the name as text.
pub fn choice_options(choices: Vec<Choice>) -> impl IntoView {
    choices
        .into_iter()
        .map(|c| view! { <option value=c.id.to_string()>{c.name}</option> })
        .collect_view()
}

/// An input inside its label — `<label class=class><span>label</span><input/></label>` —
/// bound to `value` (the short fields of the bulk bar, the ticket sidebar and the new-ticket
/// form). Attributes left out are not written.
#[component]
pub fn LabelledInput(
    class: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(optional)] kind: Option<&'static str>,
    #[prop(optional)] id: Option<&'static str>,
    #[prop(optional)] name: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(optional)] maxlength: Option<&'static str>,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] placeholder: Option<&'static str>,
) -> impl IntoView {
    view! {
        <label class=class>
            <span>{label}</span>
            <input
                type=kind
                id=id
                name=name
                required=required
                maxlength=maxlength
                autocomplete=autocomplete
                placeholder=placeholder
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        </label>
    }
}
