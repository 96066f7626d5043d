//! Rebuilds the crate when a migration changes: `sqlx::migrate!` embeds the SQL files at
//! compile time, and cargo does not see them otherwise (sqlx's documented build script).

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
