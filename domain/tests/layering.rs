//! The domain's contexts (the folders of `domain/src`) import one way only: each may use the
//! contexts below it in [`LAYERS`] and never one above it, so that the tree reads from the
//! bottom up and no cycle can form between contexts (see `ARCHITECTURE.md`).
//!
//! Reads every `crate::…` path in `domain/src` (also inside `use crate::{…}` groups) and fails
//! naming each import that points up or sideways into a context not listed below it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// From the bottom up. `error` is the crate's one error type, usable everywhere.
const LAYERS: &[&str] = &[
    "error",
    "storage",
    "policy",
    "accounts",
    "tickets",
    "search",
    "shared_drafts",
    "live",
    "mail",
    "desk",
    "dialects",
    "setup",
];

/// Items the crate root re-exports, and the context each comes from.
const ROOT_ITEMS: &[(&str, &str)] = &[
    ("Error", "error"),
    ("Result", "error"),
    ("Store", "storage"),
    ("Actor", "policy"),
];

fn rank(context: &str) -> Option<usize> {
    LAYERS.iter().position(|l| *l == context)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The first segment of every `crate::` path in `text` (each top-level item of a
/// `crate::{…}` group counts on its own).
fn crate_paths(text: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        let preceded = rest[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
        rest = &rest[at + "crate::".len()..];
        if preceded {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut item_start = 0;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 1 => {
                        out.insert(ident(&group[item_start..i]));
                        item_start = i + 1;
                    }
                    _ => {}
                }
                if depth == 0 {
                    out.insert(ident(&group[item_start..i]));
                    break;
                }
            }
        } else {
            out.insert(ident(rest));
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

#[test]
fn contexts_import_only_contexts_below_them() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut violations = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&src).unwrap();
        let first = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let context = first.trim_end_matches(".rs").to_string();
        if context == "lib" {
            continue;
        }
        let Some(own) = rank(&context) else {
            violations.push(format!(
                "{}: folder {context:?} is not in LAYERS",
                relative.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for used in crate_paths(&text) {
            let target = ROOT_ITEMS
                .iter()
                .find(|(item, _)| *item == used)
                .map(|(_, context)| context.to_string())
                .unwrap_or(used.clone());
            match rank(&target) {
                Some(r) if r <= own => {}
                Some(_) => violations.push(format!(
                    "{}: {context} uses crate::{used}, which is above it",
                    relative.display()
                )),
                None => violations.push(format!(
                    "{}: crate::{used} is no known context or root item",
                    relative.display()
                )),
            }
        }
    }
    assert!(
        violations.is_empty(),
        "imports pointing up:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_path_reader_sees_groups_and_nested_groups() {
    let paths = crate_paths(
        "use crate::{Error, tickets::{self, View}, storage::store};\nlet x = crate::live::events::can_hear(a, b); foo::crate::not;",
    );
    let expected: BTreeSet<String> = ["Error", "tickets", "storage", "live"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(paths, expected);
}
