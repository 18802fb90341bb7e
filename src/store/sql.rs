//! Cached SQL text for the hottest statements. Building a statement with
//! SeaQuery on every request (column lists, expression trees, value clones)
//! cost more instructions than SQLite spent executing it; these statements
//! are rendered once per backend and only their values change. Everything
//! else uses SeaORM's builders.

use sea_orm::{ActiveModelTrait, DbBackend, EntityTrait, Iterable, Statement, Value};

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
