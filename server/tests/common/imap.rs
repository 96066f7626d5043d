//! A real IMAP server for the e-mail tests: Debian's Dovecot (`dovecot-imapd`, installed by
//! `./tandem.sh test`), started per test with its own configuration in a temporary directory
//! (plain IMAP on a free port, one mailbox user, Maildir storage), stopped when dropped.
//! Messages are put into the mailbox with IMAP APPEND (Python's imaplib), as a mail server
//! delivering them would.
//!
//! Without Dovecot, [`ImapServer::start`] returns `None` and the test says it skipped —
//! unless `TANDEM_TEST_REQUIRE_MAIL=1` (the test command sets it), then it fails.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use crate::common::process::{mail_server_missing, port_and_dir, spawn_listening};

pub const USER: &str = "support@example.com";
pub const PASSWORD: &str = "mailbox-secret";

pub struct ImapServer {
    child: Child,
    pub port: u16,
    dir: PathBuf,
}

const DOVECOT: &str = "/usr/sbin/dovecot";

impl ImapServer {
    pub fn start() -> Option<ImapServer> {
        if !std::path::Path::new(DOVECOT).exists() {
            return mail_server_missing(
                "dovecot is missing (./tandem.sh setup installs dovecot-imapd)",
                "no dovecot (./tandem.sh test installs dovecot-imapd)",
            );
        }
        let (port, dir) = port_and_dir("imap");
        for sub in ["run", "state", "home"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        // the mail user is nobody (65534): it owns the mailbox directory
        let _ = std::os::unix::fs::chown(dir.join("home"), Some(65534), Some(65534));
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755));
        std::fs::write(dir.join("passwd"), format!("{USER}:{{PLAIN}}{PASSWORD}\n")).unwrap();
        let d = dir.display();
        std::fs::write(
            dir.join("dovecot.conf"),
            format!(
                "protocols = imap\nlisten = 127.0.0.1\nbase_dir = {d}/run\nstate_dir = {d}/state\n\
                 log_path = {d}/dovecot.log\nssl = no\ndisable_plaintext_auth = no\n\
                 auth_mechanisms = plain login\nfirst_valid_uid = 1\n\
                 passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {d}/passwd\n}}\n\
                 userdb {{\n  driver = static\n  args = uid=65534 gid=65534 home={d}/home/%u\n}}\n\
                 mail_location = maildir:~/Maildir\n\
                 service imap-login {{\n  chroot =\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n  inet_listener imaps {{\n    port = 0\n  }}\n}}\n\
                 service anvil {{\n  chroot =\n}}\n"
            ),
        )
        .unwrap();
        let log = dir.join("dovecot.log");
        let child = spawn_listening(
            Command::new(DOVECOT)
                .args(["-F", "-c"])
                .arg(dir.join("dovecot.conf")),
            port,
            "dovecot",
            || std::fs::read_to_string(&log).unwrap_or_default(),
        );
        Some(ImapServer { child, port, dir })
    }

    fn python(&self, script: &str, stdin: &[u8]) -> String {
        use std::io::Write;
        let mut child = Command::new("python3")
            .args(["-c", script, &self.port.to_string(), USER, PASSWORD])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Puts a message into the INBOX, unseen.
    pub fn deliver(&self, message: &[u8]) {
        self.python(
            "import imaplib,sys\nm=imaplib.IMAP4('127.0.0.1',int(sys.argv[1]))\nm.login(sys.argv[2],sys.argv[3])\nm.append('INBOX',None,None,sys.stdin.buffer.read())\nm.logout()",
            message,
        );
    }

    /// (messages in the INBOX, of them unseen).
    pub fn counts(&self) -> (usize, usize) {
        let out = self.python(
            "import imaplib,sys\nm=imaplib.IMAP4('127.0.0.1',int(sys.argv[1]))\nm.login(sys.argv[2],sys.argv[3])\nm.select('INBOX')\na=m.search(None,'ALL')[1][0].split()\nu=m.search(None,'UNSEEN')[1][0].split()\nprint(len(a),len(u))\nm.logout()",
            b"",
        );
        let mut parts = out.split_whitespace().map(|n| n.parse().unwrap());
        (parts.next().unwrap(), parts.next().unwrap())
    }
}

impl Drop for ImapServer {
    fn drop(&mut self) {
        // SIGTERM lets the master stop its children
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
