//! A real SMTP server for the e-mail tests: `aiosmtpd` (PyPI, installed into `.venv` by
//! `./tandem.sh test`), started per test on a free port, keeping every message it accepts in
//! a Maildir for the test to read. Stopped (killed) when dropped.
//!
//! When `.venv` has no aiosmtpd, [`SmtpSink::start`] returns `None` and the test says it
//! skipped — unless `TANDEM_TEST_REQUIRE_MAIL=1` (the test command sets it), then it fails.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::process::{mail_server_missing, port_and_dir, spawn_listening};

pub struct SmtpSink {
    child: Child,
    pub port: u16,
    maildir: PathBuf,
}

fn python() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python")
}

impl SmtpSink {
    pub fn start() -> Option<SmtpSink> {
        let has_aiosmtpd = Command::new(python())
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !has_aiosmtpd {
            return mail_server_missing(
                "aiosmtpd is missing from .venv (./tandem.sh setup installs it)",
                "no aiosmtpd in .venv (./tandem.sh test installs it)",
            );
        }
        let (port, dir) = port_and_dir("smtp");
        let maildir = dir.join("maildir");
        let child = spawn_listening(
            Command::new(python())
                .args(["-m", "aiosmtpd", "-n", "-l"])
                .arg(format!("127.0.0.1:{port}"))
                .args(["-c", "aiosmtpd.handlers.Mailbox"])
                .arg(&maildir),
            port,
            "aiosmtpd",
            String::new,
        );
        Some(SmtpSink {
            child,
            port,
            maildir,
        })
    }

    /// `smtp://127.0.0.1:PORT?tls=none`
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?tls=none", self.port)
    }

    /// Every message received so far, oldest first (aiosmtpd adds `X-MailFrom`, `X-RcptTo`).
    pub fn messages(&self) -> Vec<Vec<u8>> {
        let mut entries: Vec<_> = std::fs::read_dir(self.maildir.join("new"))
            .map(|d| d.filter_map(|e| e.ok()).collect())
            .unwrap_or_default();
        entries.sort_by_key(|e| e.metadata().and_then(|m| m.modified()).ok());
        entries
            .iter()
            .filter_map(|e| std::fs::read(e.path()).ok())
            .collect()
    }

    /// Waits (up to 30 s) until at least `count` messages arrived.
    pub async fn wait_for(&self, count: usize) -> Vec<Vec<u8>> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let got = self.messages();
            if got.len() >= count {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "expected {count} messages, got {}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl SmtpSink {
    /// Waits (up to 30 s) for the first message to `recipient` (its envelope, `X-RcptTo`) and
    /// returns it: other mail (notifications to agents) may arrive as well.
    pub async fn wait_for_recipient(&self, recipient: &str) -> Vec<u8> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(found) = self.messages().into_iter().find(|m| {
                String::from_utf8_lossy(m)
                    .lines()
                    .any(|l| l.trim() == format!("X-RcptTo: {recipient}"))
            }) {
                return found;
            }
            assert!(Instant::now() < deadline, "no message to {recipient}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = self.maildir.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
