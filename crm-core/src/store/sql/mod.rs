//! The SQL of the CRM core and the code that runs it, one module per area: each holds its
//! statements as `const`s beside the one generic implementation of its store trait for
//! [`SqlStore<DB>`](crate::store::SqlStore), compiled for SQLite and for PostgreSQL.
//!
//! The SQL uses only what SQLite and PostgreSQL both understand: `$N` parameters,
//! `RETURNING`, `ON CONFLICT … DO UPDATE … WHERE`, `NULLS LAST`, `LIKE … ESCAPE`. Queries
//! whose shape depends on the input (filters, `IN` lists) are built with
//! [`sqlx::QueryBuilder`], which writes each backend's own placeholders; a wide `INSERT` is
//! built with [`Insert`], which binds each value beside its column's name. Rows are read
//! into the `#[derive(sqlx::FromRow)]` structs of [`rows`](super::rows) and
//! [`call_rows`](super::call_rows).
//!
//! Every write that can change a contact card calls `directory.forget` with the contact and
//! lookup keys it touched, once it is committed and before it returns: a contact or number
//! added, changed or removed ([`contacts`]), a call recorded, linked to a contact or wrapped
//! up ([`calls`], [`call_parts`]), a task opened, closed or assigned ([`work`],
//! [`callbacks`]). The other writes forget nothing: what they change is not on a card, or
//! (a call's computed figures) not shown by a popup.

use sqlx::error::BoxDynError;
use sqlx::query::Query;
use sqlx::{Arguments as _, Database, Encode, IntoArguments, QueryBuilder, Type};

pub(crate) mod alerts;
pub(crate) mod auth;
pub(crate) mod call_parts;
pub(crate) mod call_write;
pub(crate) mod callbacks;
pub(crate) mod calls;
pub(crate) mod contact_input;
pub(crate) mod contacts;
pub(crate) mod credentials;
pub(crate) mod open_calls;
pub(crate) mod phones;
pub(crate) mod recordings;
pub(crate) mod users;
pub(crate) mod work;

/// `SELECT 1`, for readiness checks.
pub(crate) const PING: &str = "SELECT 1";

/// `NotFound` unless a write touched a row.
pub(crate) fn one_row(rows_affected: u64) -> crate::StoreResult<()> {
    if rows_affected == 0 {
        Err(crate::StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// `head`, the `ids` bound one by one and separated by commas, then `tail`: a query with an
/// `IN (…)` list.
pub(crate) fn with_ids<DB: Database>(head: &str, ids: &[i64], tail: &str) -> QueryBuilder<DB>
where
    for<'a> i64: Encode<'a, DB> + Type<DB>,
{
    let mut query = QueryBuilder::new(head);
    let mut list = query.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    query.push(tail);
    query
}

/// An `INSERT` of one row, built a column at a time: each value is bound beside the name of
/// its column, so the column list and the values cannot drift apart.
pub(crate) struct Insert<DB: Database> {
    columns: String,
    values: String,
    arguments: Result<DB::Arguments, BoxDynError>,
}

impl<DB: Database<Arguments: IntoArguments<DB>>> Insert<DB> {
    /// An insert of no columns yet.
    pub(crate) fn new() -> Insert<DB> {
        Insert {
            columns: String::new(),
            values: String::new(),
            arguments: Ok(DB::Arguments::default()),
        }
    }

    /// Sets `column` to `value`.
    pub(crate) fn set<'t, T: Encode<'t, DB> + Type<DB>>(mut self, column: &str, value: T) -> Self {
        if !self.columns.is_empty() {
            self.columns.push_str(", ");
            self.values.push_str(", ");
        }
        self.columns.push_str(column);
        if let Ok(arguments) = &mut self.arguments {
            // The first value that fails to encode fails the query, as `Query::bind` does.
            let added = arguments
                .add(value)
                .and_then(|()| Ok(arguments.format_placeholder(&mut self.values)?));
            if let Err(err) = added {
                self.arguments = Err(err);
            }
        }
        self
    }

    /// `INSERT INTO table (columns…) VALUES (values…) tail`; an error if a value failed to
    /// encode.
    pub(crate) fn into_query<'q>(
        self,
        table: &str,
        tail: &str,
    ) -> Result<Query<'q, DB, DB::Arguments>, sqlx::Error> {
        let arguments = self.arguments.map_err(sqlx::Error::Encode)?;
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES ({}) {tail}",
            self.columns, self.values
        );
        Ok(sqlx::query_with(sqlx::AssertSqlSafe(sql), arguments))
    }
}

#[cfg(test)]
mod tests {
    use sqlx::{Execute as _, Postgres, Sqlite};

    use super::{Insert, with_ids};

    #[test]
    fn an_insert_names_each_column_beside_its_placeholder() {
        let query = Insert::<Postgres>::new()
            .set("a", 1_i64)
            .set("b", "text")
            .set("c", None::<i64>)
            .into_query("t", "RETURNING id")
            .expect("encodes");
        assert_eq!(
            query.sql().as_str(),
            "INSERT INTO t (a, b, c) VALUES ($1, $2, $3) RETURNING id"
        );
        let query = Insert::<Sqlite>::new()
            .set("a", true)
            .set("b", Some("text"))
            .into_query("t", "")
            .expect("encodes");
        assert_eq!(query.sql().as_str(), "INSERT INTO t (a, b) VALUES (?, ?) ");
    }

    #[test]
    fn an_id_list_has_one_bind_per_id() {
        let query =
            with_ids::<Postgres>("SELECT x FROM t WHERE id IN (", &[3, 4, 5], ") ORDER BY x");
        assert_eq!(
            query.sql().as_str(),
            "SELECT x FROM t WHERE id IN ($1, $2, $3) ORDER BY x"
        );
    }
}
