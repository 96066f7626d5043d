//! Case-insensitive text comparisons that behave the same on both databases.
//!
//! SQLite's `lower()`, `LIKE` and `NOCASE` fold ASCII only, and PostgreSQL's `lower()` and
//! `ILIKE` fold what the database's `LC_CTYPE` folds. So a name searched without regard to
//! case (`group:ärzte`, `/organizations/search?query=ÄRZTE`) is compared against a copy
//! folded in Rust ([`fold`]: every script), kept in a `*_downcase` column beside it on every
//! write and indexed where it is compared for equality; the query is folded the same way.
//!
//! Migration 0019 fills those columns for existing rows with SQL's `lower()` and lists each in
//! `text_folds`; [`refold_listed`] folds them again in Rust once, when the store opens, so that
//! rows written before the migration fold like new ones on SQLite too.

use sqlx::{AnyPool, Row};

use crate::Result;

/// The case-folded form every `*_downcase` column holds and every query value is compared in.
pub fn fold(text: &str) -> String {
    text.to_lowercase()
}

/// Escapes `LIKE`'s own wildcards (`%`, `_`) and the escape character (`\`); use with
/// `ESCAPE '\'`.
pub fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// A search value with Lucene's `*` (any run of characters, also none) as a `LIKE` pattern
/// (use with `ESCAPE '\'`); everything else is literal. Runs of `*` become one `%`, so the
/// pattern never holds more wildcards than the value has words.
pub fn wildcard_like(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    let mut previous_star = false;
    for c in value.chars() {
        if c == '*' {
            if !previous_star {
                out.push('%');
            }
            previous_star = true;
            continue;
        }
        previous_star = false;
        match c {
            '\\' | '%' | '_' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// A search value as a SQLite `GLOB` pattern that matches `lower(column)` containing it in any
/// letter case: `lower()` folds ASCII letters, and each other letter with a distinct upper case
/// becomes a class of both (`ü` → `[üÜ]`). `*` is Lucene's wildcard; GLOB's own `*`, `?` and
/// `[` stand for themselves. Linear in the value; for columns no migration folded (SQLite's
/// lower() and LIKE fold ASCII only, PostgreSQL's lower() folds every script).
pub fn contains_glob(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 2 + 2);
    out.push('*');
    for c in fold(value).chars() {
        match c {
            '*' => {
                if !out.ends_with('*') {
                    out.push('*');
                }
            }
            '?' | '[' => {
                out.push('[');
                out.push(c);
                out.push(']');
            }
            c if !c.is_ascii() => {
                let mut upper = c.to_uppercase();
                match (upper.next(), upper.next()) {
                    (Some(u), None) if u != c => {
                        out.push('[');
                        out.push(c);
                        out.push(u);
                        out.push(']');
                    }
                    _ => out.push(c),
                }
            }
            c => out.push(c),
        }
    }
    if !out.ends_with('*') {
        out.push('*');
    }
    out
}

/// Whether a search value holds a `*` wildcard.
pub fn has_wildcard(value: &str) -> bool {
    value.contains('*')
}

/// A `text_folds` entry: `column` of `table` holds [`fold`] of the SQL expression `source`.
#[derive(Debug, sqlx::FromRow)]
struct Listed {
    table_name: String,
    column_name: String,
    source: String,
}

/// Rows read and folded at a time by [`refold_listed`].
const REFOLD_BATCH: i64 = 500;

/// Folds the columns migrations listed in `text_folds` again in Rust (only rows whose stored
/// value differs are written), then removes them from the list. Runs when the store opens,
/// before it serves; repeating it is harmless (two instances starting at once).
pub(crate) async fn refold_listed(pool: &AnyPool) -> Result<()> {
    let listed: Vec<Listed> =
        sqlx::query_as("SELECT table_name, column_name, source FROM text_folds")
            .fetch_all(pool)
            .await?;
    for entry in listed {
        // written by migrations only; checked anyway, since it becomes part of SQL text
        let plain = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        };
        if !plain(&entry.table_name) || !plain(&entry.column_name) {
            return Err(crate::Error::Internal(format!(
                "text_folds: unusable entry {entry:?}"
            )));
        }
        let select = format!(
            "SELECT id, {} AS source, {} AS folded FROM {} WHERE id > $1 ORDER BY id LIMIT {REFOLD_BATCH}",
            entry.source, entry.column_name, entry.table_name
        );
        let update = format!(
            "UPDATE {} SET {} = $1 WHERE id = $2",
            entry.table_name, entry.column_name
        );
        let mut after = 0_i64;
        loop {
            let rows = sqlx::query(&select).bind(after).fetch_all(pool).await?;
            let Some(last) = rows.last() else { break };
            after = last.try_get("id")?;
            let mut tx = pool.begin().await?;
            for row in &rows {
                let source: String = row.try_get("source")?;
                let folded: String = row.try_get("folded")?;
                let wanted = fold(&source);
                if wanted != folded {
                    let id: i64 = row.try_get("id")?;
                    sqlx::query(&update)
                        .bind(wanted)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            tx.commit().await?;
            if (rows.len() as i64) < REFOLD_BATCH {
                break;
            }
        }
        sqlx::query("DELETE FROM text_folds WHERE table_name = $1 AND column_name = $2")
            .bind(&entry.table_name)
            .bind(&entry.column_name)
            .execute(pool)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {

    #[test]
    fn contains_globs_fold_every_script_and_keep_glob_syntax_literal() {
        assert_eq!(contains_glob("ÜBERWEISUNG"), "*[üÜ]berweisung*");
        assert_eq!(contains_glob("pr*nt"), "*pr*nt*");
        assert_eq!(contains_glob("*x**"), "*x*");
        assert_eq!(contains_glob("a?b[c]"), "*a[?]b[[]c]*");
        // a letter whose upper case is two letters (ß → SS) stays as it is
        assert_eq!(contains_glob("straße"), "*straße*");
    }

    use super::*;

    #[test]
    fn folds_every_script_and_builds_like_patterns() {
        assert_eq!(fold("Ärzte SÜD ΣΟΦΊΑ"), "ärzte süd σοφία");
        assert_eq!(wildcard_like("pr*nt**"), "pr%nt%");
        assert_eq!(wildcard_like("50%_a\\b"), "50\\%\\_a\\\\b");
        assert!(has_wildcard("a*") && !has_wildcard("a"));
    }
}
