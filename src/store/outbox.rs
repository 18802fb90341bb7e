//! The transactional outbox: events are appended inside the transaction that
//! makes the change they describe, so an event exists if and only if its
//! change committed. Also the reads the event hub (`crate::events`) makes:
//! ranges of the outbox and, on PostgreSQL, the snapshot facts it derives its
//! gap-safe horizon from.
//!
//! On PostgreSQL [`append`] makes sure the writing transaction has its
//! transaction id *before* it takes a sequence number. The hub's horizon
//! argument depends on it: every sequence number ever handed out belongs to
//! a transaction whose id was already assigned at that moment (see
//! `crate::events::reader`).

use std::sync::LazyLock;

use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, Statement,
};

use super::StoreError;
use super::entity::event;
use super::sql::InsertSql;
use crate::domain::event::{Event, EventType, NewEvent, ResourceType, Selector};
use crate::domain::ids::{TenantId, UserId};
use crate::domain::time::{self, Timestamp};

/// Appends `event` for `tenant` and returns its sequence number. Call it with
/// the transaction of the change.
pub async fn append(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    event: NewEvent,
    now: Timestamp,
) -> Result<i64, StoreError> {
    append_row(db, EventRow::new(tenant, event, now)).await
}

/// An event ready to append, built outside the write transaction (the
/// SQLite writer then only runs the statement).
#[derive(Debug)]
pub struct EventRow(event::ActiveModel);

impl EventRow {
    /// The row of `event` for `tenant`, created at `now`.
    pub fn new(tenant: &TenantId, event: NewEvent, now: Timestamp) -> Self {
        Self(event::ActiveModel {
            seq: NotSet,
            tenant_id: Set(tenant.as_str().to_owned()),
            resource_type: Set(event.resource_type.as_str().to_owned()),
            resource: Set(event.resource),
            event_type: Set(event.event_type.as_str().to_owned()),
            change: Set(event.change),
            actor: Set(event.actor.into_string()),
            audience: Set(event.audience.map(UserId::into_string)),
            payload: Set(event.payload),
            create_time: Set(time::to_micros(now)),
        })
    }
}

/// Appends `row` and returns its sequence number; see [`append`].
pub async fn append_row(db: &impl ConnectionTrait, row: EventRow) -> Result<i64, StoreError> {
    let backend = db.get_database_backend();
    if backend == DbBackend::Postgres {
        static INSERT: LazyLock<InsertSql<event::Entity>> = LazyLock::new(|| {
            InsertSql::new(&[event::Column::Seq], "RETURNING \"seq\"")
                // The writer's transaction id before its number (module docs).
                .with_postgres_expression(event::Column::Seq, XID_THEN_NEXTVAL)
        });
        let inserted = db
            .query_one_raw(INSERT.statement(backend, row.0))
            .await?
            .ok_or_else(|| StoreError::corrupt("INSERT … RETURNING seq returned no row"))?;
        return Ok(inserted.try_get::<i64>("", "seq")?);
    }
    // SQLite: `seq` is the rowid. RETURNING would make SQLite buffer the
    // row in a temporary table, about a sixth of the cost of a create.
    static INSERT: LazyLock<InsertSql<event::Entity>> =
        LazyLock::new(|| InsertSql::new(&[event::Column::Seq], ""));
    let inserted = db.execute_raw(INSERT.statement(backend, row.0)).await?;
    i64::try_from(inserted.last_insert_id()).map_err(StoreError::corrupt)
}

/// The sequence number of a PostgreSQL event row. `CASE` evaluates its
/// condition first, so `pg_current_xact_id()` assigns the transaction its id
/// (if this insert is its first write) before `nextval` hands out the number.
const XID_THEN_NEXTVAL: &str = "CASE WHEN pg_current_xact_id() IS NULL THEN NULL ELSE nextval(pg_get_serial_sequence('events', 'seq')) END";

/// Reads the events with `after < seq <= upto`, oldest first, at most
/// `limit`, of every tenant. Only the event hub calls this: it routes each
/// event to the subscribers of the event's own tenant.
pub async fn read_all_tenants(
    db: &impl ConnectionTrait,
    after: i64,
    upto: i64,
    limit: u64,
) -> Result<Vec<Event>, StoreError> {
    let rows = event::Entity::find()
        .filter(event::Column::Seq.gt(after))
        .filter(event::Column::Seq.lte(upto))
        .order_by_asc(event::Column::Seq)
        .limit(limit)
        .all(db)
        .await?;
    rows.into_iter().map(decode).collect()
}

/// Reads the events `selector` matches with `after < seq <= upto`, oldest
/// first, at most `limit`. Scoped to the selector's tenant and user.
pub async fn read_selected(
    db: &impl ConnectionTrait,
    selector: &Selector,
    after: i64,
    upto: i64,
    limit: u64,
) -> Result<Vec<Event>, StoreError> {
    let mut query = event::Entity::find()
        .filter(event::Column::TenantId.eq(selector.tenant.as_str()))
        .filter(event::Column::Seq.gt(after))
        .filter(event::Column::Seq.lte(upto))
        .filter(
            sea_orm::Condition::any()
                .add(event::Column::Audience.is_null())
                .add(event::Column::Audience.eq(selector.user.as_str())),
        );
    if !selector.resource_types.is_empty() {
        query = query
            .filter(event::Column::ResourceType.is_in(selector.resource_types.iter().map(|t| t.as_str())));
    }
    if let Some(resource) = &selector.resource {
        query = query.filter(event::Column::Resource.eq(resource.as_str()));
    }
    let rows = query
        .order_by_asc(event::Column::Seq)
        .limit(limit)
        .all(db)
        .await?;
    rows.into_iter().map(decode).collect()
}

/// The highest sequence number of any visible event (0 when none).
pub async fn latest_sequence(db: &impl ConnectionTrait) -> Result<i64, StoreError> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COALESCE(MAX(seq), 0) AS seq FROM events",
        ))
        .await?
        .ok_or_else(|| StoreError::corrupt("MAX(seq) returned no row"))?;
    Ok(row.try_get::<i64>("", "seq")?)
}

/// PostgreSQL: a newly assigned transaction id, greater than that of every
/// transaction that had one when this statement started. Run outside any
/// transaction, it commits at once (and writes no data).
pub async fn pg_fresh_transaction_id(db: &impl ConnectionTrait) -> Result<u64, StoreError> {
    pg_xid(db, "SELECT pg_current_xact_id()::text AS xid").await
}

/// PostgreSQL: the `xmin` of a fresh snapshot: every transaction with a
/// smaller id has finished (committed or aborted).
pub async fn pg_snapshot_xmin(db: &impl ConnectionTrait) -> Result<u64, StoreError> {
    pg_xid(db, "SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xid").await
}

async fn pg_xid(db: &impl ConnectionTrait, sql: &str) -> Result<u64, StoreError> {
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await?
        .ok_or_else(|| StoreError::corrupt("transaction id query returned no row"))?;
    let text: String = row.try_get("", "xid")?;
    text.parse()
        .map_err(|_| StoreError::corrupt(format!("transaction id {text:?}")))
}

/// Maps a stored row back to an [`Event`].
pub fn decode(row: event::Model) -> Result<Event, StoreError> {
    let resource_type = ResourceType::from_str_opt(&row.resource_type)
        .ok_or_else(|| StoreError::corrupt(format!("event resource type {:?}", row.resource_type)))?;
    let event_type = EventType::from_str_opt(&row.event_type)
        .ok_or_else(|| StoreError::corrupt(format!("event type {:?}", row.event_type)))?;
    Ok(Event {
        sequence: row.seq,
        tenant: TenantId::from_trusted(row.tenant_id),
        create_time: time::from_micros(row.create_time),
        event: NewEvent {
            resource_type,
            resource: row.resource,
            event_type,
            change: row.change,
            actor: UserId::from_trusted(row.actor),
            audience: row.audience.map(UserId::from_trusted),
            payload: row.payload,
        },
    })
}

/// A notification's stored payload, `{"data":…,"topic":…}`, written
/// straight from its parts (no `Value` copy of the data).
#[derive(serde::Serialize)]
struct NotificationPayload<'a> {
    data: &'a serde_json::Map<String, serde_json::Value>,
    topic: &'a str,
}

/// Publishes a notification for `caller`'s own subscribers: an outbox row of
/// type `Notification` whose audience is the caller.
pub async fn publish_notification(
    store: &super::Store,
    caller: &crate::domain::Caller,
    topic: String,
    data: serde_json::Map<String, serde_json::Value>,
) -> Result<Event, StoreError> {
    let caller = caller.clone();
    store
        .write(move |txn| {
            Box::pin(async move {
                let now = time::now();
                let event = NewEvent {
                    resource_type: ResourceType::Notification,
                    resource: format!("notifications/{topic}"),
                    event_type: EventType::Published,
                    change: "PublishNotification".to_owned(),
                    actor: caller.user.id.clone(),
                    audience: Some(caller.user.id.clone()),
                    payload: serde_json::to_string(&NotificationPayload {
                        data: &data,
                        topic: &topic,
                    })
                    .map_err(StoreError::corrupt)?,
                };
                let sequence = append(txn, &caller.tenant, event.clone(), now).await?;
                Ok(Event {
                    sequence,
                    tenant: caller.tenant.clone(),
                    create_time: now,
                    event,
                })
            })
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_inserts_take_the_transaction_id_before_the_number() {
        let insert = InsertSql::<event::Entity>::new(&[event::Column::Seq], "RETURNING \"seq\"")
            .with_postgres_expression(event::Column::Seq, XID_THEN_NEXTVAL);
        let row = event::ActiveModel {
            seq: NotSet,
            tenant_id: Set("t".into()),
            resource_type: Set("INTERACTION".into()),
            resource: Set("interactions/x".into()),
            event_type: Set("CREATED".into()),
            change: Set("X".into()),
            actor: Set("a".into()),
            audience: Set(None),
            payload: Set("{}".into()),
            create_time: Set(0),
        };
        let postgres = insert.statement(DbBackend::Postgres, row.clone()).sql;
        assert!(
            postgres.starts_with(&format!(
                "INSERT INTO \"events\" (\"seq\", \"tenant_id\", \"resource_type\", \"resource\", \"event_type\", \"change\", \"actor\", \"audience\", \"payload\", \"create_time\") VALUES ({XID_THEN_NEXTVAL}, $1, "
            )),
            "{postgres}"
        );
        assert!(postgres.ends_with("$9) RETURNING \"seq\""), "{postgres}");
        let sqlite = insert.statement(DbBackend::Sqlite, row).sql;
        assert!(!sqlite.contains("seq\","), "{sqlite}");
    }
}
