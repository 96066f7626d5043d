//! An e-mail article's "Reply all" and "Forward" (agents), as Zammad's article actions prefill
//! the reply: Reply all answers the sender (an agent's own e-mail: its recipients) with every
//! other recipient in Cc, leaving out Tandem's own addresses; Forward starts an e-mail to
//! nobody yet, with the article's subject and the forwarded message (its headers and text)
//! quoted in the composer, and its attached files (not its inline images) copied into the
//! reply's upload cache as Zammad's forward does.

use leptos::prelude::*;

use super::reply::Reply;
use crate::api::ArticleView;
use crate::api::ticket_tools::own_addresses;

/// The addresses of a header (`To`, `Cc`): split at commas outside quotes, trimmed.
fn addresses(header: Option<&str>) -> Vec<String> {
    let Some(header) = header else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in header.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ',' | ';' if !quoted => {
                out.push(std::mem::take(&mut current));
            }
            _ => current.push(c),
        }
    }
    out.push(current);
    out.into_iter()
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
        .collect()
}

/// The bare address of `"Name" <a@b>` or `a@b`, lower-case.
fn bare(address: &str) -> String {
    let inner = match (address.rfind('<'), address.rfind('>')) {
        (Some(start), Some(end)) if start < end => &address[start + 1..end],
        _ => address,
    };
    inner.trim().to_lowercase()
}

/// Reply all's `(to, cc)`: the sender (or, for an agent's e-mail, its recipients) in To, the
/// other recipients in Cc; none twice, none of `own` (Tandem's addresses).
pub(super) fn reply_all(a: &ArticleView, own: &[String]) -> (String, String) {
    let outgoing = a.sender == "Agent";
    let to = if outgoing {
        addresses(a.to.as_deref())
    } else {
        addresses(a.from.as_deref())
    };
    let mut seen: Vec<String> = own.iter().map(|o| bare(o)).collect();
    let mut keep = |list: Vec<String>| {
        list.into_iter()
            .filter(|x| {
                let b = bare(x);
                if b.is_empty() || seen.contains(&b) {
                    false
                } else {
                    seen.push(b);
                    true
                }
            })
            .collect::<Vec<_>>()
    };
    let to = keep(to);
    let mut others = Vec::new();
    if !outgoing {
        others.extend(addresses(a.to.as_deref()));
    }
    others.extend(addresses(a.cc.as_deref()));
    let cc = keep(others);
    (to.join(", "), cc.join(", "))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The forwarded message as the composer quotes it: Zammad's "Begin forwarded message" line,
/// the headers, then the (sanitised) body.
pub(super) fn forwarded(a: &ArticleView) -> String {
    let date = crate::components::time::utc_label(&a.created_at);
    let mut headers = Vec::new();
    for (name, value) in [
        ("From", a.from.as_deref()),
        ("Subject", a.subject.as_deref()),
        ("Date", Some(date.as_str())),
        ("To", a.to.as_deref()),
        ("Cc", a.cc.as_deref()),
    ] {
        if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
            headers.push(format!("{name}: {}", escape(v)));
        }
    }
    format!(
        "<p>---Begin forwarded message:---</p><p>{}</p>{}",
        headers.join("<br>"),
        a.body_html
    )
}

/// The two buttons of an e-mail article.
#[component]
pub(super) fn EmailActions(a: ArticleView, reply: Reply) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let article = StoredValue::new(a);
    let reply_all_click = move |_| {
        error.set(None);
        leptos::task::spawn_local(async move {
            match own_addresses().await {
                Ok(own) => {
                    if let Some((to, cc)) = article.try_with_value(|a| reply_all(a, &own)) {
                        reply.email(&to, &cc, None);
                    }
                }
                Err(e) => {
                    let _ =
                        error.try_set(Some(crate::pages::overview::clean_error(&e.to_string())));
                }
            }
        });
    };
    let forward_click = move |_| {
        error.set(None);
        let with_files = article.with_value(|a| {
            let subject = a.subject.clone().filter(|s| !s.trim().is_empty());
            reply.email("", "", subject.as_deref());
            reply.quote(&forwarded(a));
            (!a.attachments.is_empty()).then_some(a.id)
        });
        // the forwarded article's files go along (Zammad copies them into the new article)
        if let Some(id) = with_files {
            leptos::task::spawn_local(async move {
                if let Err(e) = reply.attach_forwarded(id).await {
                    let _ = error.try_set(Some(e));
                }
            });
        }
    };
    view! {
        <button type="button" class="link article-reply-all" on:click=reply_all_click>"Reply all"</button>
        <button type="button" class="link article-forward" on:click=forward_click>"Forward"</button>
        {move || error.get().map(|e| view! { <span class="error" role="alert">{e}</span> })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(sender: &str, from: &str, to: &str, cc: &str) -> ArticleView {
        let given = |s: &str| (!s.is_empty()).then(|| s.to_string());
        ArticleView {
            id: 1,
            sender: sender.into(),
            kind: "email".into(),
            internal: false,
            author: String::new(),
            from: given(from),
            to: given(to),
            cc: given(cc),
            subject: Some("Printer".into()),
            body_html: "<p>Hello</p>".into(),
            created_at: "2026-01-01T10:00:00Z".into(),
            attachments: Vec::new(),
            delivery: None,
        }
    }

    #[test]
    fn reply_all_answers_the_sender_and_copies_the_others_but_not_tandem() {
        let a = article(
            "Customer",
            "\"Braun, Nicole\" <nicole@customer.test>",
            "support@tandem.test, sam@customer.test",
            "Lee <LEE@other.test>, nicole@customer.test",
        );
        let (to, cc) = reply_all(&a, &["support@tandem.test".into()]);
        assert_eq!(to, "\"Braun, Nicole\" <nicole@customer.test>");
        assert_eq!(cc, "sam@customer.test, Lee <LEE@other.test>");
    }

    #[test]
    fn reply_all_to_an_agents_email_goes_to_its_recipients() {
        let a = article(
            "Agent",
            "Support <support@tandem.test>",
            "nicole@customer.test",
            "sam@customer.test",
        );
        let (to, cc) = reply_all(&a, &["support@tandem.test".into()]);
        assert_eq!(to, "nicole@customer.test");
        assert_eq!(cc, "sam@customer.test");
    }

    #[test]
    fn a_forward_quotes_the_headers_escaped_and_the_body() {
        let a = article(
            "Customer",
            "Nicole <nicole@customer.test>",
            "support@tandem.test",
            "",
        );
        let html = forwarded(&a);
        assert!(html.starts_with("<p>---Begin forwarded message:---</p>"));
        assert!(html.contains("From: Nicole &lt;nicole@customer.test&gt;<br>Subject: Printer"));
        assert!(!html.contains("Cc:"));
        assert!(html.ends_with("<p>Hello</p>"));
    }
}
