//! The row writes every record of the admin area repeats: a row found by id (404 in Zammad's
//! words otherwise), a row written with its audit columns (`created_by_id`, `updated_by_id`,
//! `created_at`, `updated_at`, as every Zammad table has them), and a row deleted only while
//! nothing refers to it (Zammad's `Can't delete, object has references.`).
//!
//! Table and column names are the callers' `&'static str` constants, never request data;
//! values are always bound.

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::{Any, AnyConnection, Arguments, Encode, FromRow, Type};

use crate::storage::clock;
use crate::{Error, Result};

/// The row of `table` with this `id`, read as `T` from `columns` (a comma-separated column
/// list). Errors: 404 naming `object` (Zammad's class name, e.g. `Group`) when there is none.
pub async fn find<T>(
    conn: &mut AnyConnection,
    table: &'static str,
    columns: &'static str,
    object: &'static str,
    id: i64,
) -> Result<T>
where
    T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
{
    sqlx::query_as::<_, T>(&format!("SELECT {columns} FROM {table} WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| Error::not_found(object, id))
}

/// Deletes the row of `table` with this `id` unless a row of another table refers to it:
/// `referenced_by` lists those references as `(table, column)` pairs. Errors: 422 `Can't
/// delete, object has references.` (Zammad's `Model#destroy` with references) when any does.
pub async fn delete_unreferenced(
    conn: &mut AnyConnection,
    table: &'static str,
    id: i64,
    referenced_by: &[(&'static str, &'static str)],
) -> Result<()> {
    if !referenced_by.is_empty() {
        let counts: Vec<String> = referenced_by
            .iter()
            .enumerate()
            .map(|(i, (table, column))| {
                format!("(SELECT COUNT(*) FROM {table} WHERE {column} = ${})", i + 1)
            })
            .collect();
        let sql = format!("SELECT {}", counts.join(" + "));
        let mut count = sqlx::query_scalar::<_, i64>(&sql);
        for _ in referenced_by {
            count = count.bind(id);
        }
        if count.fetch_one(&mut *conn).await? > 0 {
            return Err(Error::unprocessable("Can't delete, object has references."));
        }
    }
    sqlx::query(&format!("DELETE FROM {table} WHERE id = $1"))
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The values of one row to write: `Row::of("groups").set("name", name)…`, then
/// [`Row::insert`] or [`Row::update`], which add the audit columns.
pub struct Row {
    table: &'static str,
    columns: Vec<&'static str>,
    arguments: AnyArguments<'static>,
    /// The first value that could not be encoded (reported by `insert`/`update`).
    failed: Option<String>,
}

impl Row {
    /// An empty row of `table`.
    pub fn of(table: &'static str) -> Row {
        Row {
            table,
            columns: Vec::new(),
            arguments: AnyArguments::default(),
            failed: None,
        }
    }

    /// Sets `column` to `value` (bound, never spliced into the SQL).
    pub fn set<T>(mut self, column: &'static str, value: T) -> Row
    where
        T: Encode<'static, Any> + Type<Any> + 'static,
    {
        if let Err(e) = self.arguments.add(value) {
            self.failed.get_or_insert(format!("{column}: {e}"));
        }
        self.columns.push(column);
        self
    }

    fn checked(&self) -> Result<()> {
        match &self.failed {
            Some(e) => Err(Error::Internal(format!("{}: {e}", self.table))),
            None => Ok(()),
        }
    }

    /// `INSERT`s the row with `created_by_id` and `updated_by_id` = `by` (a user id) and both
    /// timestamps now; returns the new row's id.
    pub async fn insert(self, conn: &mut AnyConnection, by: i64) -> Result<i64> {
        let now = clock::now();
        let row = self
            .set("created_by_id", by)
            .set("updated_by_id", by)
            .set("created_at", now.clone())
            .set("updated_at", now);
        row.checked()?;
        let placeholders: Vec<String> = (1..=row.columns.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({}) RETURNING id",
            row.table,
            row.columns.join(", "),
            placeholders.join(", ")
        );
        Ok(sqlx::query_scalar_with::<_, i64, _>(&sql, row.arguments)
            .fetch_one(conn)
            .await?)
    }

    /// `UPDATE`s the row with this `id`, setting `updated_by_id` = `by` and `updated_at` now.
    pub async fn update(self, conn: &mut AnyConnection, id: i64, by: i64) -> Result<()> {
        let row = self
            .set("updated_by_id", by)
            .set("updated_at", clock::now())
            .set("id", id);
        row.checked()?;
        // `id` is the last value: the WHERE clause's placeholder
        let assignments: Vec<String> = row.columns[..row.columns.len() - 1]
            .iter()
            .enumerate()
            .map(|(i, column)| format!("{column} = ${}", i + 1))
            .collect();
        let sql = format!(
            "UPDATE {} SET {} WHERE id = ${}",
            row.table,
            assignments.join(", "),
            row.columns.len()
        );
        sqlx::query_with(&sql, row.arguments).execute(conn).await?;
        Ok(())
    }
}

/// The `name` a create or an update asks for, trimmed (an update that does not ask keeps
/// `current`: the row's id and stored name). Errors: 422 `The required value 'name' is
/// missing.` when it is empty; 422 `Name '…' is already used for another {object}.` (Zammad's
/// uniqueness validation) when another row of `table` has it, compared case-folded through the
/// table's `name_downcase` column.
pub async fn unique_name(
    conn: &mut AnyConnection,
    table: &'static str,
    object: &str,
    asked: Option<&str>,
    current: Option<(i64, &str)>,
) -> Result<String> {
    let name = match asked {
        Some(name) => name.trim(),
        None => current.map_or("", |(_, name)| name),
    };
    if name.is_empty() {
        return Err(Error::unprocessable(
            "The required value 'name' is missing.",
        ));
    }
    let taken: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT id FROM {table} WHERE name_downcase = $1 AND id <> $2"
    ))
    .bind(crate::storage::text::fold(name))
    .bind(current.map_or(0, |(id, _)| id))
    .fetch_optional(conn)
    .await?;
    match taken {
        Some(_) => Err(Error::unprocessable(format!(
            "Name '{name}' is already used for another {object}."
        ))),
        None => Ok(name.to_string()),
    }
}

/// A record of the admin area that a request writes through one [`Row`] (sender addresses,
/// mailboxes, signatures, text modules, macros, groups, organisations): how it is found and
/// how a request's params become its row. [`save`] creates or updates one.
pub trait Written: Sized + Send {
    /// What `POST`/`PUT` set (`None` fields: unchanged; on create the default).
    type Params: Sync;

    /// The stored record (404 when unknown).
    fn find(conn: &mut AnyConnection, id: i64) -> impl Future<Output = Result<Self>> + Send;

    /// The row `params` ask for, checked, over `current` (the stored record; `None` for a new
    /// one).
    fn row(
        conn: &mut AnyConnection,
        params: &Self::Params,
        current: Option<&Self>,
    ) -> impl Future<Output = Result<Row>> + Send;

    /// Rows of other tables written after the record's own (a text module's groups).
    fn after_write(
        _conn: &mut AnyConnection,
        _id: i64,
        _params: &Self::Params,
    ) -> impl Future<Output = Result<()>> + Send {
        async { Ok(()) }
    }
}

/// Creates the record (`id` `None`) or updates the one with this `id` (404 when unknown) from
/// `params`, with user `by` in the audit columns, and reads it back. Permission checks are the
/// caller's.
pub async fn save<R: Written>(
    conn: &mut AnyConnection,
    by: i64,
    id: Option<i64>,
    params: &R::Params,
) -> Result<R> {
    match id {
        None => {
            let id = R::row(conn, params, None).await?.insert(conn, by).await?;
            R::after_write(conn, id, params).await?;
            R::find(conn, id).await
        }
        Some(id) => {
            let current = R::find(conn, id).await?;
            update(conn, by, id, &current, params).await
        }
    }
}

/// Updates the record `current` (already read, with this `id`) from `params`, with user `by`
/// in the audit columns, and reads it back: [`save`] for a caller that read the record first.
pub async fn update<R: Written>(
    conn: &mut AnyConnection,
    by: i64,
    id: i64,
    current: &R,
    params: &R::Params,
) -> Result<R> {
    R::row(conn, params, Some(current))
        .await?
        .update(conn, id, by)
        .await?;
    R::after_write(conn, id, params).await?;
    R::find(conn, id).await
}

/// A stored flag (`0`/`1`) a request sets: `asked`, else the `stored` one, else `default`.
pub fn flag(asked: Option<bool>, stored: Option<i64>, default: bool) -> i64 {
    asked
        .map(i64::from)
        .or(stored)
        .unwrap_or(i64::from(default))
}
