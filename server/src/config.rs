//! Command line and environment configuration (every flag has a `TANDEM_*` variable).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use domain::storage::files::FileStore;
use domain::storage::files::object_store::aws::AmazonS3Builder;

#[derive(Debug, Parser)]
#[command(name = "tandem", version, about = "Tandem helpdesk server")]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Administer accounts.
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
    /// E-mail tools.
    Mail {
        #[command(subcommand)]
        action: MailAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum MailAction {
    /// Receive one RFC 5322 message from standard input (for an MTA pipe, fetchmail or
    /// procmail): it becomes a ticket, a follow-up, a bounce note, or failed mail. Exit code
    /// 0 when received (also as failed mail), 75 (EX_TEMPFAIL, the MTA retries) when it could
    /// not be stored.
    Deliver {
        /// The group new tickets go to (default: the group of the address it was sent to).
        #[arg(long)]
        group: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminAction {
    /// Create an admin, or reset its password and unlock it if it exists.
    Create {
        #[arg(long)]
        login: String,
        #[arg(long, env = "TANDEM_ADMIN_PASSWORD")]
        password: String,
    },
}

#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "TANDEM_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// sqlite://path (default) or postgres://user@host/db.
    #[arg(
        long,
        env = "TANDEM_DATABASE_URL",
        default_value = "sqlite://data/tandem.db"
    )]
    pub database_url: String,
    /// SQLite: concurrent writes share their commits (one fsync per batch; each write is
    /// answered once its batch is durable): about 2.5 times the write throughput under load.
    /// On by default; `--sqlite-group-commit=0` (or TANDEM_SQLITE_GROUP_COMMIT=0) gives every
    /// write a transaction and an fsync of its own.
    #[arg(
        long,
        env = "TANDEM_SQLITE_GROUP_COMMIT",
        default_value_t = true,
        value_parser = parse_flag,
        action = clap::ArgAction::Set,
        num_args = 0..=1,
        default_missing_value = "1",
        require_equals = true
    )]
    pub sqlite_group_commit: bool,
    /// Where attachment files are stored (unless TANDEM_FILES_URL says otherwise).
    #[arg(long, env = "TANDEM_DATA_DIR", default_value = "data/files")]
    pub data_dir: PathBuf,
    /// Attachment storage: unset = the local TANDEM_DATA_DIR; s3://bucket/optional/prefix =
    /// S3-compatible object storage, configured by the standard AWS_* variables
    /// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL, …).
    #[arg(long, env = "TANDEM_FILES_URL")]
    pub files_url: Option<String>,
    /// Allow plain-HTTP object storage endpoints (a local MinIO or Garage).
    #[arg(long, env = "TANDEM_S3_ALLOW_HTTP", default_value_t = false, value_parser = parse_flag)]
    pub s3_allow_http: bool,
    /// Ticket number prefix (10–99); chosen at random on first start when unset.
    #[arg(long, env = "TANDEM_SYSTEM_ID", value_parser = clap::value_parser!(u32).range(1..=999))]
    pub system_id: Option<u32>,
    /// Tenant name for the DeskHero API (`/api/{tenant}/v1/...`).
    #[arg(long, env = "TANDEM_TENANT", default_value = "default")]
    pub tenant: String,
    /// Load demo accounts and tickets.
    #[arg(long, env = "TANDEM_DEMO", default_value_t = false, value_parser = parse_flag)]
    pub demo: bool,
    /// Create or reset this admin at start (with TANDEM_ADMIN_PASSWORD).
    #[arg(long, env = "TANDEM_ADMIN_LOGIN")]
    pub admin_login: Option<String>,
    #[arg(long, env = "TANDEM_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// Largest request body in MB.
    #[arg(long, env = "TANDEM_MAX_BODY_MB", default_value_t = 50)]
    pub max_body_mb: usize,
    /// Failed logins before an account is locked.
    #[arg(long, env = "TANDEM_LOCKOUT_FAILURES", default_value_t = 10)]
    pub lockout_failures: i64,
    /// How long a locked account stays locked, in minutes.
    #[arg(long, env = "TANDEM_LOCKOUT_MINUTES", default_value_t = 15)]
    pub lockout_minutes: u64,
    /// Browser session lifetime in hours.
    #[arg(long, env = "TANDEM_SESSION_HOURS", default_value_t = 24 * 14)]
    pub session_hours: u64,
    /// Extra origins allowed for cookie-authenticated writes and WebSockets (comma-separated).
    #[arg(long, env = "TANDEM_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,
    /// Tandem is served over HTTPS (usually behind a TLS-terminating proxy): responses carry
    /// `Strict-Transport-Security`.
    #[arg(long, env = "TANDEM_HTTPS", default_value_t = false, value_parser = parse_flag)]
    pub https: bool,
    /// Outgoing e-mail relay: smtp://user:pass@host:587 (STARTTLS required),
    /// smtps://user:pass@host:465 (TLS), smtp://host:25?tls=none (plain, local relays).
    /// Unset: e-mail sending is off (e-mail articles say so).
    #[arg(long, env = "TANDEM_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Seconds between polls of inbound mailboxes without IDLE, and the longest IDLE wait.
    #[arg(long, env = "TANDEM_IMAP_POLL_SECONDS", default_value_t = 60)]
    pub imap_poll_seconds: u64,
    /// Log as JSON lines instead of human-readable text.
    #[arg(long, env = "TANDEM_LOG_JSON", default_value_t = false, value_parser = parse_flag)]
    pub log_json: bool,
}

impl Config {
    /// The attachment store TANDEM_FILES_URL (or TANDEM_DATA_DIR) names; a clear error for a
    /// bad URL or incomplete S3 settings.
    pub fn file_store(&self) -> Result<FileStore, String> {
        let mut s3 = AmazonS3Builder::from_env();
        if self.s3_allow_http {
            s3 = s3.with_allow_http(true);
        }
        FileStore::from_url_with(self.files_url.as_deref(), &self.data_dir, s3)
            .map_err(|e| e.to_string())
    }
}

/// A yes/no setting as flags and `TANDEM_*` variables take it: `1`/`true`/`yes`/`on` or
/// `0`/`false`/`no`/`off` (any case; empty is no); anything else is an error naming it.
pub fn parse_flag(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        other => Err(format!("expected 1/0 or true/false, got {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::Cli;

    fn group_commit(args: &[&str]) -> bool {
        let mut argv = vec!["tandem"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv)
            .expect("parses")
            .config
            .sqlite_group_commit
    }

    #[test]
    fn sqlite_group_commit_is_on_by_default_and_can_be_turned_off() {
        // the default, unless the environment running the test chose otherwise
        match std::env::var("TANDEM_SQLITE_GROUP_COMMIT") {
            Ok(set) => assert_eq!(group_commit(&[]), super::parse_flag(&set).unwrap()),
            Err(_) => assert!(group_commit(&[])),
        }
        assert!(group_commit(&["--sqlite-group-commit"]));
        assert!(group_commit(&["--sqlite-group-commit=1"]));
        assert!(!group_commit(&["--sqlite-group-commit=0"]));
        assert!(!group_commit(&["--sqlite-group-commit=false"]));
        assert!(Cli::try_parse_from(["tandem", "--sqlite-group-commit=maybe"]).is_err());
    }
}
