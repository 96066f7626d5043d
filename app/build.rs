//! `TANDEM_BUILD_ID`: a hash of the web app's sources (this crate's `src/` and the lock file).
//! The server and the browser bundle are compiled from the same sources, so they carry the
//! same id; a tab whose bundle is older than the server sees another id and offers a reload
//! (`components::status`).

use std::fs;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// FNV-1a, 64 bits: stable across compilers and platforms.
fn fnv(hash: &mut u64, bytes: &[u8]) {
    for b in bytes {
        *hash ^= u64::from(*b);
        *hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let mut paths = Vec::new();
    files(&root.join("src"), &mut paths);
    paths.push(root.join("..").join("Cargo.lock"));
    paths.sort();
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for path in &paths {
        let name = path.strip_prefix(&root).unwrap_or(path);
        fnv(&mut hash, name.to_string_lossy().as_bytes());
        fnv(&mut hash, &fs::read(path).unwrap_or_default());
    }
    println!("cargo:rustc-env=TANDEM_BUILD_ID={hash:016x}");
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=../Cargo.lock");
}
