//! Compiles a domain [`Filter`] into a SeaQuery condition. Values are always
//! bound parameters; field names come only from each repository's column map,
//! never from client text. Custom SQL fragments use the backend's own
//! placeholder syntax (`$n` on PostgreSQL, `?` on SQLite), which is what
//! SeaQuery substitutes.

use sea_orm::DbBackend;
use sea_orm::sea_query::{Condition, Expr, ExprTrait};

use crate::domain::filter::{FieldRef, Filter, Op, Value};
use crate::domain::time;

/// How a filter field is stored.
#[derive(Clone, Debug)]
pub enum Column {
    /// A plain column, compared directly (text, integer, boolean or
    /// microsecond-timestamp columns).
    Plain(&'static str),
    /// A JSON object column whose string values are compared by key
    /// (`custom_attributes.region`).
    JsonKey(&'static str),
}

/// Compiles `filter` for `backend`, resolving fields through `column`.
pub fn compile(filter: &Filter, backend: DbBackend, column: &dyn Fn(&FieldRef) -> Column) -> Condition {
    match filter {
        Filter::All => Condition::all(),
        Filter::And(parts) => parts
            .iter()
            .fold(Condition::all(), |c, p| c.add(compile(p, backend, column))),
        Filter::Or(parts) => parts
            .iter()
            .fold(Condition::any(), |c, p| c.add(compile(p, backend, column))),
        Filter::Not(inner) => compile(inner, backend, column).not(),
        Filter::Present(field) => {
            let expr = field_expr(field, backend, column);
            // The cast lets one test serve every column type: PostgreSQL
            // refuses to compare an integer (time) column with ''.
            let text = expr.clone().cast_as("TEXT");
            Condition::all().add(expr.is_not_null()).add(text.ne(""))
        }
        Filter::Compare { field, op, value } => {
            let expr = field_expr(field, backend, column);
            Condition::all().add(comparison(expr, *op, value, backend))
        }
    }
}

fn field_expr(field: &FieldRef, backend: DbBackend, column: &dyn Fn(&FieldRef) -> Column) -> Expr {
    match (column(field), &field.key) {
        (Column::Plain(name), _) => Expr::col(sea_orm::sea_query::Alias::new(name)),
        (Column::JsonKey(name), key) => {
            let key = key.clone().unwrap_or_default();
            match backend {
                DbBackend::Postgres => Expr::cust_with_values(format!("(\"{name}\" ->> $1)"), [key]),
                _ => {
                    let path = format!("$.\"{}\"", key.replace('\\', "\\\\").replace('"', "\\\""));
                    Expr::cust_with_values(format!("json_extract(\"{name}\", ?)"), [path])
                }
            }
        }
    }
}

fn operand(value: &Value) -> sea_orm::Value {
    match value {
        Value::Text(text) => text.clone().into(),
        Value::Time(t) => time::to_micros(*t).into(),
        Value::Int(n) => (*n).into(),
        Value::Bool(b) => (*b).into(),
    }
}

fn comparison(expr: Expr, op: Op, value: &Value, backend: DbBackend) -> Expr {
    let v = operand(value);
    match op {
        Op::Eq => expr.eq(v),
        // "Not equal" also matches rows where the field is absent.
        Op::Ne => expr.clone().ne(v).or(expr.is_null()),
        Op::Lt => expr.lt(v),
        Op::Le => expr.lte(v),
        Op::Gt => expr.gt(v),
        Op::Ge => expr.gte(v),
        // Case-sensitive on both stores (SQLite's LIKE is not), with no
        // wildcard characters to escape.
        Op::Contains => {
            let template = match backend {
                DbBackend::Postgres => "strpos($1, $2) > 0",
                _ => "instr(?, ?) > 0",
            };
            Expr::cust_with_exprs(template, [expr, Expr::value(v)])
        }
        Op::Prefix => {
            let len = match value {
                Value::Text(text) => i32::try_from(text.chars().count()).unwrap_or(i32::MAX),
                _ => 0,
            };
            let template = match backend {
                DbBackend::Postgres => "substr($1, 1, $2) = $3",
                _ => "substr(?, 1, ?) = ?",
            };
            Expr::cust_with_exprs(template, [expr, Expr::value(len), Expr::value(v)])
        }
    }
}
