//! A modal dialog for the ticket view's tools (history, merge), with the delete dialog's
//! behaviour: the focus goes into it when it opens and stays inside (Tab and Shift+Tab go
//! round its controls), Escape closes it, and the focus returns to the button that opened it.

use leptos::html::{Button, Div};
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use leptos::web_sys::{Element, HtmlElement, Node};

/// The dialog, shown while `open`; `labelled_by`: the id of its heading (inside `children`).
/// `busy`: while true, Escape does not close it (a request is under way). `alert` makes it an
/// `alertdialog` (a confirmation of something that cannot be undone) described by the element
/// with the id `described_by`.
#[component]
pub(super) fn Dialog(
    open: RwSignal<bool>,
    opener: NodeRef<Button>,
    labelled_by: &'static str,
    #[prop(optional)] class: &'static str,
    #[prop(optional)] alert: bool,
    #[prop(optional)] described_by: Option<&'static str>,
    #[prop(optional, into)] busy: Option<Signal<bool>>,
    children: ChildrenFn,
) -> impl IntoView {
    let modal = NodeRef::<Div>::new();
    let close = move || {
        if busy.is_some_and(|b| b.try_get_untracked() == Some(true)) {
            return;
        }
        let _ = open.try_set(false);
        if let Some(b) = opener.try_get_untracked().flatten() {
            let _ = b.focus();
        }
    };
    // focus goes into the dialog when it opens: its first control
    Effect::new(move |_| {
        if let Some(m) = modal.get()
            && let Some(first) = focusables(&m).first()
        {
            let _ = first.focus();
        }
    });
    // (try_*: a window listener may outlive the dialog by a moment)
    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
        if open.try_get_untracked() != Some(true) {
            return;
        }
        match ev.key().as_str() {
            "Escape" => {
                ev.prevent_default();
                close();
            }
            "Tab" => {
                ev.prevent_default();
                let Some(m) = modal.try_get_untracked().flatten() else {
                    return;
                };
                let items = focusables(&m);
                if items.is_empty() {
                    return;
                }
                let active = document().active_element();
                let at = items.iter().position(|e| {
                    active.as_ref().is_some_and(|a| {
                        let a: &Node = a;
                        e.is_same_node(Some(a))
                    })
                });
                let last = items.len() - 1;
                let next = match (at, ev.shift_key()) {
                    (Some(0) | None, true) => last,
                    (Some(i), true) => i - 1,
                    (Some(i), false) if i < last => i + 1,
                    _ => 0,
                };
                let _ = items[next].focus();
            }
            _ => {}
        }
    });
    on_cleanup(move || handle.remove());
    let close_view = Callback::new(move |()| close());
    provide_context(DialogClose(close_view));
    view! {
        {move || open.get().then(|| view! {
            <div class="modal-backdrop">
                <div
                    class=format!("modal {class}")
                    role=if alert { "alertdialog" } else { "dialog" }
                    aria-modal="true"
                    aria-labelledby=labelled_by
                    aria-describedby=described_by
                    node_ref=modal
                >
                    {children()}
                </div>
            </div>
        })}
    }
}

/// Closes the surrounding [`Dialog`] (for its Cancel / Close buttons).
#[derive(Clone, Copy)]
pub(super) struct DialogClose(pub Callback<()>);

/// The controls inside `root` that take the focus, in document order.
fn focusables(root: &HtmlElement) -> Vec<HtmlElement> {
    fn walk(el: &Element, out: &mut Vec<HtmlElement>) {
        let mut child = el.first_element_child();
        while let Some(c) = child {
            let tag = c.tag_name().to_ascii_lowercase();
            let control = matches!(tag.as_str(), "button" | "input" | "select" | "textarea")
                && !c.has_attribute("disabled");
            let link = tag == "a" && c.has_attribute("href");
            let tabbable = c.get_attribute("tabindex").as_deref() == Some("0");
            if (control || link || tabbable)
                && let Ok(h) = c.clone().dyn_into::<HtmlElement>()
            {
                out.push(h);
            }
            walk(&c, out);
            child = c.next_element_sibling();
        }
    }
    let mut out = Vec::new();
    walk(root, &mut out);
    out
}
