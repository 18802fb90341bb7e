//! Cached SQL text for the hottest statements. Building a statement with
//! SeaQuery on every request (column lists, expression trees, value clones)
//! cost more instructions than SQLite spent executing it; these statements
//! (inserts, and reads of one row by a unique key) are rendered once per
//! backend and only their values change. Everything else uses SeaORM's
//! builders.

use std::marker::PhantomData;

use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, Iterable, Statement,
    Value,
};

/// An `INSERT` of every column of an entity, except `skip`, in the order of
/// `Column::iter()`, followed by `suffix` (an `ON CONFLICT` or `RETURNING`
/// clause).
#[derive(Debug)]
pub(crate) struct InsertSql<E: EntityTrait> {
    sqlite: String,
    postgres: String,
    columns: Vec<E::Column>,
}

impl<E: EntityTrait> InsertSql<E> {
    /// Renders the statement for both backends.
    pub(crate) fn new(skip: &[E::Column], suffix: &str) -> Self {
        use sea_orm::IdenStatic;
        let skipped: Vec<&str> = skip.iter().map(|c| c.as_str()).collect();
        let columns: Vec<E::Column> = E::Column::iter()
            .filter(|c| !skipped.contains(&c.as_str()))
            .collect();
        let names: Vec<String> = columns.iter().map(|c| format!("\"{}\"", c.as_str())).collect();
        let table = E::default().table_name().to_owned();
        let render = |placeholder: &dyn Fn(usize) -> String| {
            let values: Vec<String> = (1..=columns.len()).map(placeholder).collect();
            format!(
                "INSERT INTO \"{table}\" ({}) VALUES ({}) {suffix}",
                names.join(", "),
                values.join(", ")
            )
        };
        Self {
            sqlite: render(&|_| "?".to_owned()),
            postgres: render(&|i| format!("${i}")),
            columns,
        }
    }

    /// PostgreSQL only: also sets `column` (one of the skipped ones) to the
    /// SQL `expression`, evaluated by the server ahead of the bound values.
    pub(crate) fn with_postgres_expression(mut self, column: E::Column, expression: &str) -> Self {
        use sea_orm::IdenStatic;
        let name = format!("\"{}\"", column.as_str());
        self.postgres = self.postgres.replacen(" (", &format!(" ({name}, "), 1).replacen(
            "VALUES (",
            &format!("VALUES ({expression}, "),
            1,
        );
        self
    }

    /// The statement inserting `row`, whose rendered columns must all be set.
    pub(crate) fn statement<A>(&self, backend: DbBackend, mut row: A) -> Statement
    where
        A: ActiveModelTrait<Entity = E>,
        E::Column: Copy,
    {
        let values: Vec<Value> = self
            .columns
            .iter()
            .map(|&column| {
                row.take(column)
                    .into_value()
                    .unwrap_or_else(|| unreachable!("every rendered column of the row is set"))
            })
            .collect();
        let sql = match backend {
            DbBackend::Postgres => &self.postgres,
            _ => &self.sqlite,
        };
        Statement::from_sql_and_values(backend, sql.as_str(), values)
    }
}

/// A `SELECT *` of the row of an entity whose `key` columns (a unique key)
/// equal the bound values, in the key's order; on PostgreSQL optionally
/// `FOR UPDATE` (SQLite's single writer needs no row lock).
#[derive(Debug)]
pub(crate) struct SelectSql<E: EntityTrait> {
    sqlite: String,
    postgres: String,
    postgres_for_update: String,
    entity: PhantomData<E>,
}

impl<E: EntityTrait> SelectSql<E> {
    /// Renders the statement for both backends.
    pub(crate) fn new(key: &[E::Column]) -> Self {
        use sea_orm::IdenStatic;
        let table = E::default().table_name().to_owned();
        let render = |placeholder: &dyn Fn(usize) -> String| {
            let conditions: Vec<String> = key
                .iter()
                .enumerate()
                .map(|(i, column)| format!("\"{}\" = {}", column.as_str(), placeholder(i + 1)))
                .collect();
            format!("SELECT * FROM \"{table}\" WHERE {}", conditions.join(" AND "))
        };
        let postgres = render(&|i| format!("${i}"));
        Self {
            sqlite: render(&|_| "?".to_owned()),
            postgres_for_update: format!("{postgres} FOR UPDATE"),
            postgres,
            entity: PhantomData,
        }
    }

    /// The row whose key is `values`, if any.
    pub(crate) async fn fetch(
        &self,
        db: &impl ConnectionTrait,
        values: Vec<Value>,
        lock: bool,
    ) -> Result<Option<E::Model>, DbErr> {
        let backend = db.get_database_backend();
        let sql = match backend {
            DbBackend::Postgres if lock => &self.postgres_for_update,
            DbBackend::Postgres => &self.postgres,
            _ => &self.sqlite,
        };
        let statement = Statement::from_sql_and_values(backend, sql.as_str(), values);
        // `all`, not `one`: see `store::fetch_unique`.
        let rows = E::Model::find_by_statement(statement).all(db).await?;
        Ok(rows.into_iter().next())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::entity::interaction::{Column, Entity};

    #[test]
    fn a_select_by_key_binds_the_key_in_order_on_each_backend() {
        let select = SelectSql::<Entity>::new(&[Column::TenantId, Column::Id]);
        assert_eq!(
            select.sqlite,
            r#"SELECT * FROM "interactions" WHERE "tenant_id" = ? AND "id" = ?"#
        );
        assert_eq!(
            select.postgres,
            r#"SELECT * FROM "interactions" WHERE "tenant_id" = $1 AND "id" = $2"#
        );
        assert_eq!(
            select.postgres_for_update,
            r#"SELECT * FROM "interactions" WHERE "tenant_id" = $1 AND "id" = $2 FOR UPDATE"#
        );
    }
}
