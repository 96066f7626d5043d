//! Test databases: every test gets a fresh SQLite file and, when `TANDEM_TEST_POSTGRES_URL`
//! is set, a fresh PostgreSQL database too, so the same test runs on both backends.
#![allow(dead_code)]

use domain::Store;

pub struct TestDb {
    pub name: &'static str,
    pub store: Store,
    /// The database URL (to start a `tandem` process on the same database).
    pub url: String,
    cleanup: Option<(String, String)>, // (admin url, database name) for PostgreSQL
    _dir: Option<std::path::PathBuf>,
}

fn unique(prefix: &str) -> String {
    format!("{prefix}_{}_{:08x}", std::process::id(), rand_u32())
}

fn rand_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    h.finish() as u32
}

pub async fn sqlite() -> TestDb {
    let dir = std::env::temp_dir().join(unique("tandem_test"));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/tandem.db", dir.display());
    TestDb {
        name: "sqlite",
        store: Store::connect(&url).await.expect("sqlite store"),
        url: url.clone(),
        cleanup: None,
        _dir: Some(dir),
    }
}

pub fn postgres_url() -> Option<String> {
    std::env::var("TANDEM_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

pub async fn postgres(admin_url: &str) -> TestDb {
    use sqlx::Connection;
    let name = unique("tandem_test");
    let mut admin = sqlx::PgConnection::connect(admin_url)
        .await
        .expect("connect to PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create database");
    let (base, _) = admin_url
        .rsplit_once('/')
        .expect("postgres url with a database");
    let url = format!("{base}/{name}");
    TestDb {
        name: "postgres",
        store: Store::connect(&url).await.expect("postgres store"),
        url: url.clone(),
        cleanup: Some((admin_url.to_string(), name)),
        _dir: None,
    }
}

/// A fresh PostgreSQL database when `TANDEM_TEST_POSTGRES_URL` is set; else `None`, and the
/// test says it skipped itself.
pub async fn postgres_if_configured() -> Option<TestDb> {
    match postgres_url() {
        Some(url) => Some(postgres(&url).await),
        None => {
            eprintln!("TANDEM_TEST_POSTGRES_URL not set: PostgreSQL test SKIPPED");
            None
        }
    }
}

/// One fresh database per available backend.
pub async fn backends() -> Vec<TestDb> {
    let mut dbs = vec![sqlite().await];
    match postgres_url() {
        Some(url) => dbs.push(postgres(&url).await),
        None => eprintln!("TANDEM_TEST_POSTGRES_URL not set: PostgreSQL half SKIPPED"),
    }
    dbs
}

impl TestDb {
    /// Drops the PostgreSQL database (SQLite files live in the temp dir).
    pub async fn finish(self) {
        self.store.close().await;
        if let Some((admin_url, name)) = self.cleanup {
            use sqlx::Connection;
            if let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin)
                    .await;
            }
        }
        if let Some(dir) = self._dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// The demo accounts (and a system id) on a fresh database, in the caller's transaction.
pub async fn demo_accounts(
    tx: &mut domain::storage::store::WriteTx,
) -> domain::setup::demo::DemoIds {
    domain::setup::seeds::ensure_system_id(tx, Some(31))
        .await
        .unwrap();
    domain::setup::demo::load_accounts(tx)
        .await
        .unwrap()
        .expect("demo accounts on a fresh database")
}
pub mod mail_corpus;

/// One SQL statement (no parameters) in a committed write transaction, as an administrator
/// would change what no API changes (panics on an error).
pub async fn execute(store: &Store, sql: &str) {
    let mut tx = store.write().await.unwrap();
    sqlx::query(sql).execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
}

/// A write as requests run it: one setting row (`name`, `value`) inserted and committed
/// (panics on an error).
pub async fn put_setting(store: &Store, name: &str, value: &str) {
    let mut tx = store.write().await.unwrap();
    sqlx::query("INSERT INTO settings (name, value) VALUES ($1, $2)")
        .bind(name)
        .bind(value)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}
