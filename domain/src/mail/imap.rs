//! One inbound mailbox over IMAP4rev1 (RFC 3501, `async-imap`): connect (TLS from the start,
//! STARTTLS, or plain for a local server), log in, list the unseen messages, fetch one without
//! marking it, mark it seen (or delete it) once it is stored, and wait for news with IDLE
//! (RFC 2177) where the server offers it. Every network step has a time limit.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use async_imap::{Client, Session};
use futures::TryStreamExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::{self, pki_types::ServerName};

use crate::mail::channels::EmailChannelRecord;

/// Longest a single IMAP command may take.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// What can go wrong, as text for the channel's `last_log_in`.
pub type ImapResult<T> = std::result::Result<T, String>;

trait Transport: AsyncRead + AsyncWrite + Unpin + Send + Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Debug> Transport for T {}

type Stream = Box<dyn Transport>;

/// A logged-in mailbox with its folder selected.
pub struct Mailbox {
    session: Session<Stream>,
    idle: bool,
    uidplus: bool,
}

async fn limited<T, E: std::fmt::Display>(
    what: &str,
    work: impl Future<Output = std::result::Result<T, E>>,
) -> ImapResult<T> {
    match tokio::time::timeout(COMMAND_TIMEOUT, work).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(format!("{what}: {e}")),
        Err(_) => Err(format!(
            "{what}: no answer within {} s",
            COMMAND_TIMEOUT.as_secs()
        )),
    }
}

fn tls_connector() -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("ring supports the default protocol versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

async fn tls(host: &str, tcp: TcpStream) -> ImapResult<Stream> {
    let name = ServerName::try_from(host.to_string())
        .map_err(|_| format!("invalid host name {host:?}"))?;
    let stream = limited("TLS handshake", tls_connector().connect(name, tcp)).await?;
    Ok(Box::new(stream))
}

impl Mailbox {
    /// Connects, logs in and selects the channel's folder.
    pub async fn open(channel: &EmailChannelRecord) -> ImapResult<Mailbox> {
        let address = (channel.host.as_str(), channel.port as u16);
        let tcp = limited("connect", TcpStream::connect(address)).await?;
        let _ = tcp.set_nodelay(true);
        let stream: Stream = match channel.ssl.as_str() {
            "ssl" => tls(&channel.host, tcp).await?,
            "starttls" => {
                let mut client = Client::new(tcp);
                limited("greeting", client.read_response()).await?;
                limited(
                    "STARTTLS",
                    client.run_command_and_check_ok("STARTTLS", None),
                )
                .await?;
                tls(&channel.host, client.into_inner()).await?
            }
            _ => Box::new(tcp),
        };
        let mut client = Client::new(stream);
        if channel.ssl != "starttls" {
            limited("greeting", client.read_response()).await?;
        }
        let mut session = match tokio::time::timeout(
            COMMAND_TIMEOUT,
            client.login(&channel.username, &channel.password),
        )
        .await
        {
            Ok(Ok(session)) => session,
            Ok(Err((e, _))) => return Err(format!("login: {e}")),
            Err(_) => return Err("login: no answer".into()),
        };
        let capabilities = limited("CAPABILITY", session.capabilities()).await?;
        let idle = capabilities.has_str("IDLE");
        let uidplus = capabilities.has_str("UIDPLUS");
        // async-imap quotes the name itself (RFC 3501 §4.3)
        limited("SELECT", session.select(&channel.folder)).await?;
        Ok(Mailbox {
            session,
            idle,
            uidplus,
        })
    }

    /// The UIDs of messages not yet seen (and not deleted), oldest first.
    pub async fn unseen(&mut self) -> ImapResult<Vec<u32>> {
        let mut uids: Vec<u32> = limited("SEARCH", self.session.uid_search("UNSEEN UNDELETED"))
            .await?
            .into_iter()
            .collect();
        uids.sort_unstable();
        Ok(uids)
    }

    /// The size in bytes of message `uid` (RFC822.SIZE).
    pub async fn size(&mut self, uid: u32) -> ImapResult<Option<u32>> {
        let fetched: Vec<_> = limited("FETCH size", async {
            self.session
                .uid_fetch(uid.to_string(), "RFC822.SIZE")
                .await?
                .try_collect::<Vec<_>>()
                .await
        })
        .await?;
        Ok(fetched.iter().find_map(|f| f.size))
    }

    /// Message `uid` as sent (`BODY.PEEK[]`: not marked seen), or only its header
    /// (`BODY.PEEK[HEADER]`).
    pub async fn fetch(&mut self, uid: u32, header_only: bool) -> ImapResult<Option<Vec<u8>>> {
        let item = if header_only {
            "BODY.PEEK[HEADER]"
        } else {
            "BODY.PEEK[]"
        };
        let fetched: Vec<_> = limited("FETCH", async {
            self.session
                .uid_fetch(uid.to_string(), item)
                .await?
                .try_collect::<Vec<_>>()
                .await
        })
        .await?;
        Ok(fetched.iter().find_map(|f| {
            if header_only {
                f.header().map(<[u8]>::to_vec)
            } else {
                f.body().map(<[u8]>::to_vec)
            }
        }))
    }

    /// After a message is stored: seen, or (not kept on the server) deleted and expunged.
    pub async fn finish(&mut self, uid: u32, keep_on_server: bool) -> ImapResult<()> {
        let flags = if keep_on_server {
            "+FLAGS.SILENT (\\Seen)"
        } else {
            "+FLAGS.SILENT (\\Seen \\Deleted)"
        };
        limited("STORE", async {
            self.session
                .uid_store(uid.to_string(), flags)
                .await?
                .try_collect::<Vec<_>>()
                .await
        })
        .await?;
        if !keep_on_server {
            if self.uidplus {
                limited("UID EXPUNGE", async {
                    self.session
                        .uid_expunge(uid.to_string())
                        .await?
                        .try_collect::<Vec<_>>()
                        .await
                })
                .await?;
            } else {
                limited("EXPUNGE", async {
                    self.session.expunge().await?.try_collect::<Vec<_>>().await
                })
                .await?;
            }
        }
        Ok(())
    }

    /// Waits up to `timeout` for news: with IDLE, until the server reports a change; without,
    /// just the time. Returns the mailbox for the next round.
    pub async fn wait(self, timeout: Duration) -> ImapResult<Mailbox> {
        if !self.idle {
            tokio::time::sleep(timeout).await;
            return Ok(self);
        }
        let (uidplus, idle) = (self.uidplus, self.idle);
        let mut handle = self.session.idle();
        limited("IDLE", handle.init()).await?;
        let (wait, _stop) = handle.wait_with_timeout(timeout);
        match tokio::time::timeout(timeout + COMMAND_TIMEOUT, wait).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(format!("IDLE: {e}")),
            Err(_) => return Err("IDLE: no answer".into()),
        }
        let session = limited("DONE", handle.done()).await?;
        Ok(Mailbox {
            session,
            idle,
            uidplus,
        })
    }

    /// Logs out (errors ignored: the connection goes either way).
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.session.logout()).await;
    }
}
