//! E-mail server functions: whether this server sends e-mail at all (`TANDEM_SMTP_URL`), for
//! the composer's hint when an agent writes an e-mail article.

use leptos::prelude::*;

/// Agents: is outgoing e-mail on? Asks the desk's mail service, as the delivery worker does.
#[server]
pub async fn email_sending_enabled() -> Result<bool, ServerFnError> {
    use crate::session::server::{actor, context, fail};
    let actor = actor().await?;
    if !actor.is_agent() {
        return Err(fail(domain::Error::Forbidden("Not authorized".into())).await);
    }
    Ok(context()?.desk.mail.sending_enabled())
}
