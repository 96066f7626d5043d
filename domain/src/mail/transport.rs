//! The SMTP relay Tandem sends through (`lettre`'s async transport), configured by one URL
//! (`TANDEM_SMTP_URL`):
//!
//! - `smtp://user:pass@host:587` — STARTTLS, required (RFC 3207);
//! - `smtps://user:pass@host:465` — TLS from the first byte (RFC 8314);
//! - `smtp://host:25?tls=none` — no TLS, for a relay on the same machine or a test server;
//! - `smtp://host:25?tls=opportunistic` — STARTTLS when the server offers it.
//!
//! User and password are percent-decoded; the URL's path, if any, is the EHLO name.

use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::{Error, Result};

/// A connected-on-demand relay (pooled connections).
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    /// The URL without its password, for logs and the UI.
    pub shown_url: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("url", &self.shown_url)
            .finish()
    }
}

/// The relay refused or could not be reached.
#[derive(Debug, Clone)]
pub struct SendError {
    pub message: String,
    /// A permanent refusal (SMTP 5xx): trying again will not help.
    pub permanent: bool,
}

/// Tandem's URL rules on top of lettre's: `smtp://` without `tls=` means STARTTLS required,
/// `tls=none` means plain.
fn lettre_url(url: &str) -> String {
    let Some(rest) = url.strip_prefix("smtp://") else {
        return url.to_string();
    };
    let (base, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut params: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    let tls = params.iter().find_map(|p| p.strip_prefix("tls="));
    match tls {
        Some("none") => params.retain(|p| !p.starts_with("tls=")),
        Some(_) => {}
        None => params.push("tls=required"),
    }
    if params.is_empty() {
        format!("smtp://{base}")
    } else {
        format!("smtp://{base}?{}", params.join("&"))
    }
}

fn without_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

impl Mailer {
    /// A relay from a URL as above; a 422-style error naming what is wrong.
    pub fn from_url(url: &str) -> Result<Mailer> {
        let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&lettre_url(url))
            .map_err(|e| Error::unprocessable(format!("Invalid SMTP URL: {e}")))?;
        Ok(Mailer {
            transport: builder
                .timeout(Some(std::time::Duration::from_secs(60)))
                .build(),
            shown_url: without_password(url),
        })
    }

    /// Hands a message built earlier (its bytes and envelope) to the relay.
    pub async fn send_raw(
        &self,
        envelope_from: &str,
        recipients: &[&str],
        message: &[u8],
    ) -> std::result::Result<(), SendError> {
        let invalid = |what: &str| SendError {
            message: format!("invalid envelope address {what:?}"),
            permanent: true,
        };
        let from = envelope_from.parse().map_err(|_| invalid(envelope_from))?;
        let to = recipients
            .iter()
            .map(|r| r.parse().map_err(|_| invalid(r)))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let envelope = lettre::address::Envelope::new(Some(from), to).map_err(|e| SendError {
            message: e.to_string(),
            permanent: true,
        })?;
        self.transport
            .send_raw(&envelope, message)
            .await
            .map(|_| ())
            .map_err(|e| SendError {
                permanent: e.is_permanent(),
                message: e.to_string(),
            })
    }

    /// Hands a built message to the relay.
    pub async fn send(&self, message: lettre::Message) -> std::result::Result<(), SendError> {
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| SendError {
                permanent: e.is_permanent(),
                message: e.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn smtp_urls_default_to_required_starttls() {
        assert_eq!(
            lettre_url("smtp://u:p@host:587"),
            "smtp://u:p@host:587?tls=required"
        );
        assert_eq!(lettre_url("smtp://host:25?tls=none"), "smtp://host:25");
        assert_eq!(
            lettre_url("smtp://host:25?tls=opportunistic"),
            "smtp://host:25?tls=opportunistic"
        );
        assert_eq!(lettre_url("smtps://host"), "smtps://host");
        assert_eq!(
            without_password("smtp://me:secret@host:587"),
            "smtp://me:***@host:587"
        );
        assert!(Mailer::from_url("smtp://127.0.0.1:2525?tls=none").is_ok());
        assert!(Mailer::from_url("http://x").is_err());
    }
}
