//! Phone-call repository: create (idempotent on `request_id`), get, list,
//! call control ([`Store::modify_phone_call`]) and the timer that fires due
//! pickup, parking and duration deadlines. Every change writes the call row,
//! its outbox event and (when the call's state moves) its interaction-history
//! record in one transaction.
//!
//! The `pickup_deadline` column holds the call's next timer deadline
//! ([`PhoneCall::next_deadline`]), so a timer survives restarts and any
//! instance sharing the database can fire it. The timer is the one reader
//! here that spans tenants: each call it changes is written as its own
//! tenant, with the call's owner as the event actor.

use std::sync::LazyLock;
use std::time::Duration;

use sea_orm::sea_query::{Expr, LockBehavior, LockType, Order};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    Statement,
};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use super::entity::phone_call::{self, Column};
use super::filter::{self, Column as FilterColumn};
use super::idempotency::{self, IdempotencyKey, Replayable};
use super::interactions::{self, CallRecord};
use super::sql::{InsertSql, SelectSql};
use super::{Backend, Store, StoreError, Undo, fetch_listing, fetch_unique, outbox};
use crate::domain::Caller;
use crate::domain::caller::User;
use crate::domain::common::CallState;
use crate::domain::event::{EventType, NewEvent, ResourceType};
use crate::domain::filter::{FieldRef, Filter};
use crate::domain::ids::{InteractionId, PhoneCallId, TenantId, UserId};
use crate::domain::order::OrderTerm;
use crate::domain::page::{Matches, Page};
use crate::domain::phone_call::{Action, Disposition, Leg, NewPhoneCall, PhoneCall, PhoneCallType};
use crate::domain::time::{self, Timestamp};

/// Calls the timer handles per write transaction.
const TIMER_BATCH: u64 = 100;
/// Longest the timer sleeps without looking for new deadlines (another
/// instance, or a call created after it went to sleep, may need it sooner).
const TIMER_POLL: Duration = Duration::from_millis(500);
/// The states in which a call can still have timers.
const LIVE_STATES: [&str; 3] = ["QUEUED", "RINGING", "ACTIVE"];

impl Store {
    /// Creates a call with its interaction-history record and `Created`
    /// events. With a `request_id`, repeating or racing the same request
    /// returns the same call (the `bool` says whether this request created
    /// it), and reusing the key with other parameters is a `Conflict`
    /// (`IDEMPOTENCY_KEY_REUSED`).
    pub async fn create_phone_call(
        &self,
        caller: &Caller,
        new: NewPhoneCall,
        idempotency: Option<IdempotencyKey>,
    ) -> Result<(PhoneCall, bool), StoreError> {
        let key = new.request_id.clone().map(|key| (key, fingerprint(&new)));
        let (owner, keyed) = (caller.clone(), idempotency.clone());
        let backend = self.backend();
        let nonce = key.clone();
        let undo = Undo::for_create(key.is_some() || idempotency.is_some());
        // Boxed: the job carries the whole new call, and every future that
        // awaited it would otherwise copy it along.
        let write = Box::pin(self.write_with(undo, move |txn| {
            Box::pin(async move {
                let (caller, idempotency) = (owner, keyed);
                if let Some((request_id, fingerprint)) = &key {
                    if backend == Backend::Postgres {
                        // Serialises concurrent creates with one key, so the
                        // read below sees a winner's committed row. (SQLite
                        // has a single writer already.)
                        txn.execute_raw(Statement::from_sql_and_values(
                            DbBackend::Postgres,
                            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                            [format!("phone_call:{}:{request_id}", caller.tenant).into()],
                        ))
                        .await?;
                    }
                    if let Some(found) = find_by_request_id(txn, &caller.tenant, request_id).await? {
                        let (found, created) = replay(found, fingerprint)?;
                        idempotency::record_if_keyed(txn, &caller.tenant, idempotency.as_ref(), &found.name()).await?;
                        return Ok((found, created));
                    }
                }
                let now = time::now();
                let id = PhoneCallId::generate();
                let record = CallRecord {
                    state: CallState::Ringing,
                    interaction_type: new.interaction_type(),
                    phone_number: Some(new.customer_number()),
                    phone_call: Some(id.clone()),
                    voice_call: None,
                    start_time: now,
                };
                let interaction = interactions::insert_for_call(txn, &caller, record, now).await?;
                let call = new.into_phone_call(id, &caller.user, interaction, now);
                let row = to_row(&caller.tenant, &call, key.map(|(_, fingerprint)| fingerprint))?;
                static INSERT_UNLESS_KEYED: LazyLock<InsertSql<phone_call::Entity>> = LazyLock::new(|| {
                    InsertSql::new(&[], "ON CONFLICT (\"tenant_id\", \"request_id\") DO NOTHING")
                });
                let inserted = txn
                    .execute_raw(INSERT_UNLESS_KEYED.statement(txn.get_database_backend(), row))
                    .await?;
                if inserted.rows_affected() == 0 {
                    // Unreachable while creates with one key are serialised
                    // above; undo the history record and let the client retry.
                    tracing::error!(phone_call.request_id = ?call.request_id, "request_id raced past its lock");
                    return Err(StoreError::Unavailable);
                }
                append_event(txn, &caller, &call, EventType::Created, "CreatePhoneCall").await?;
                idempotency::record_if_keyed(txn, &caller.tenant, idempotency.as_ref(), &call.name()).await?;
                Ok((call, true))
            })
        }));
        let create = async {
            // The common case of a repeat needs no write transaction.
            if let Some((request_id, fingerprint)) = &nonce
                && let Some(found) =
                    find_by_request_id(self.point_reader(), &caller.tenant, request_id).await?
            {
                return replay(found, fingerprint);
            }
            write.await
        };
        self.create_once(caller, idempotency.as_ref(), create).await
    }

    /// Gets one call of the caller's tenant.
    pub async fn get_phone_call(&self, caller: &Caller, id: &str) -> Result<PhoneCall, StoreError> {
        get(self.point_reader(), &caller.tenant, id, false).await
    }

    /// Lists the tenant's calls matching `filter`, in `order`, and counts
    /// all matches.
    pub async fn list_phone_calls(
        &self,
        caller: &Caller,
        filter: &Filter,
        order: &[OrderTerm],
        page: Page,
        count: bool,
    ) -> Result<(Vec<PhoneCall>, Matches), StoreError> {
        let condition = filter::compile(filter, self.db_backend(), &filter_column);
        let base = phone_call::Entity::find()
            .filter(Column::TenantId.eq(caller.tenant.as_str()))
            .filter(condition);
        let mut query = base.clone();
        for term in order {
            let direction = if term.descending { Order::Desc } else { Order::Asc };
            query = query.order_by(Expr::col(sea_orm::sea_query::Alias::new(term.field)), direction);
        }
        // A unique tiebreaker keeps pages stable when sort keys repeat.
        let query = query.order_by(Column::Id, Order::Asc);
        let (rows, matches) = fetch_listing(base, query, page, count, self.reader()).await?;
        let calls = rows.into_iter().map(from_row).collect::<Result<_, _>>()?;
        Ok((calls, matches))
    }

    /// Applies a call-control `action` to one call inside a write
    /// transaction: the domain state machine decides, the row, an `Updated`
    /// event named `change` and (when the state moves) the interaction
    /// history are written together. A refused action writes nothing.
    pub async fn modify_phone_call(
        &self,
        caller: &Caller,
        id: &str,
        change: &'static str,
        action: Action,
    ) -> Result<PhoneCall, StoreError> {
        let caller = caller.clone();
        let id = id.to_owned();
        self.write(move |txn| {
            Box::pin(async move {
                let mut call = get(txn, &caller.tenant, &id, true).await?;
                let before = call.state;
                let now = time::now();
                call.apply(action, now)?;
                call.touch(now);
                if !save(txn, &caller, &call, before, change).await? {
                    // The row is locked above (PostgreSQL) or the writer is
                    // alone (SQLite), so nobody can have changed it meanwhile.
                    return Err(StoreError::corrupt(format!(
                        "{} changed under its lock",
                        call.name()
                    )));
                }
                Ok(call)
            })
        })
        .await
    }

    /// Fires every timer due now, in batches; returns how many calls were
    /// looked at. Safe to run from several instances on one PostgreSQL
    /// database: rows another instance is handling are skipped, and each
    /// change is written at most once (the update is guarded by the
    /// revision that was read).
    pub async fn fire_phone_call_timers(&self) -> Result<usize, StoreError> {
        let mut total = 0;
        loop {
            let backend = self.backend();
            let handled = self
                .write(move |txn| Box::pin(async move { fire_due(txn, backend).await }))
                .await?;
            total += handled;
            if (handled as u64) < TIMER_BATCH {
                return Ok(total);
            }
        }
    }

    /// The earliest timer deadline of any live call, in any tenant.
    pub async fn next_phone_call_deadline(&self) -> Result<Option<Timestamp>, StoreError> {
        let next: Option<Option<i64>> = phone_call::Entity::find()
            .select_only()
            .column_as(Column::PickupDeadline.min(), "next")
            .filter(Column::State.is_in(LIVE_STATES))
            .into_tuple()
            .one(self.reader())
            .await?;
        Ok(next.flatten().map(time::from_micros))
    }
}

/// Runs the phone-call timers until `shutdown` is cancelled: sleeps until
/// the next deadline (at most [`TIMER_POLL`]), then fires what is due.
pub async fn run_timers(store: Store, shutdown: CancellationToken) {
    loop {
        if let Err(error) = store.fire_phone_call_timers().await {
            tracing::warn!(%error, "phone-call timers failed; retrying");
        }
        let wait = match store.next_phone_call_deadline().await {
            Ok(Some(next)) => (next - time::now()).to_std().unwrap_or_default().min(TIMER_POLL),
            Ok(None) => TIMER_POLL,
            Err(error) => {
                tracing::warn!(%error, "cannot read the next phone-call deadline");
                TIMER_POLL
            }
        };
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// One batch of due timers, inside one transaction.
async fn fire_due(db: &impl ConnectionTrait, backend: Backend) -> Result<usize, StoreError> {
    let now = time::now();
    let mut query = phone_call::Entity::find()
        .filter(Column::State.is_in(LIVE_STATES))
        .filter(Column::PickupDeadline.lte(time::to_micros(now)))
        .order_by_asc(Column::PickupDeadline)
        .limit(TIMER_BATCH);
    if backend == Backend::Postgres {
        query = query.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let rows = query.all(db).await?;
    let handled = rows.len();
    for row in rows {
        let tenant = TenantId::from_trusted(row.tenant_id.clone());
        let mut call = from_row(row)?;
        let before = call.state;
        let Some(event) = call.on_timer(now) else {
            // Nothing was due after all (the stored deadline is stale):
            // correct it so the call is not picked up again.
            phone_call::Entity::update_many()
                .col_expr(
                    Column::PickupDeadline,
                    Expr::value(call.next_deadline().map(time::to_micros)),
                )
                .filter(Column::Id.eq(call.id.as_str()))
                .filter(Column::Revision.eq(call.revision))
                .exec(db)
                .await?;
            continue;
        };
        call.touch(now);
        let owner = Caller {
            tenant,
            user: User {
                id: call.owner_id.clone(),
                user_name: call.owner_name.clone(),
                first_name: None,
                last_name: None,
            },
        };
        if save(db, &owner, &call, before, event.change()).await? {
            tracing::info!(phone_call.id = %call.id, tenant.id = %owner.tenant, change = event.change(), "Phone call timer fired");
        }
    }
    Ok(handled)
}

/// Writes a changed call (guarded by the revision it was read at), its
/// `Updated` event and, when the state moved, its interaction record.
/// Returns false, having written nothing, when the row was changed
/// meanwhile.
async fn save(
    db: &impl ConnectionTrait,
    caller: &Caller,
    call: &PhoneCall,
    before: CallState,
    change: &'static str,
) -> Result<bool, StoreError> {
    let updated = phone_call::Entity::update_many()
        .set(phone_call::ActiveModel {
            state: Set(call.state.as_str().to_owned()),
            disposition: Set(call.disposition.map(|d| d.as_str().to_owned())),
            answer_time: Set(call.answer_time.map(time::to_micros)),
            end_time: Set(call.end_time.map(time::to_micros)),
            pickup_deadline: Set(call.next_deadline().map(time::to_micros)),
            legs: Set(legs_json(call)?),
            update_time: Set(time::to_micros(call.update_time)),
            revision: Set(call.revision),
            ..Default::default()
        })
        .filter(Column::Id.eq(call.id.as_str()))
        .filter(Column::TenantId.eq(caller.tenant.as_str()))
        .filter(Column::Revision.eq(call.revision - 1))
        .exec(db)
        .await?;
    if updated.rows_affected != 1 {
        return Ok(false);
    }
    append_event(db, caller, call, EventType::Updated, change).await?;
    if call.state != before {
        interactions::mirror_call_state(
            db,
            caller,
            call.interaction.as_str(),
            call.state,
            call.duration_secs(),
            call.update_time,
        )
        .await?;
    }
    Ok(true)
}

async fn append_event(
    db: &impl ConnectionTrait,
    caller: &Caller,
    call: &PhoneCall,
    event_type: EventType,
    change: &'static str,
) -> Result<(), StoreError> {
    let payload = serde_json::to_string(call).map_err(StoreError::corrupt)?;
    outbox::append(
        db,
        &caller.tenant,
        NewEvent {
            resource_type: ResourceType::PhoneCall,
            resource: call.name(),
            event_type,
            change: change.to_owned(),
            actor: caller.user.id.clone(),
            audience: None,
            payload,
        },
        call.update_time,
    )
    .await?;
    Ok(())
}

/// The stored form of a create request, compared when its key is reused.
fn fingerprint(new: &NewPhoneCall) -> String {
    let encoded = serde_json::to_vec(new).unwrap_or_default();
    Sha256::digest(&encoded)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn replay(row: phone_call::Model, fingerprint: &str) -> Result<(PhoneCall, bool), StoreError> {
    if row.request_fingerprint.as_deref() != Some(fingerprint) {
        return Err(StoreError::Conflict {
            message: format!(
                "request_id {:?} was already used by a CreatePhoneCall request with other parameters",
                row.request_id.unwrap_or_default()
            ),
            reason: "IDEMPOTENCY_KEY_REUSED",
        });
    }
    Ok((from_row(row)?, false))
}

async fn get(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    id: &str,
    lock: bool,
) -> Result<PhoneCall, StoreError> {
    // FOR UPDATE on PostgreSQL when `lock`; SQLite has no row locks (and
    // needs none: its writer is alone).
    static BY_ID: LazyLock<SelectSql<phone_call::Entity>> =
        LazyLock::new(|| SelectSql::new(&[Column::TenantId, Column::Id]));
    BY_ID
        .fetch(db, vec![tenant.as_str().into(), id.into()], lock)
        .await?
        .map(from_row)
        .transpose()?
        .ok_or_else(|| StoreError::not_found(format!("phoneCalls/{id}")))
}

async fn find_by_request_id(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    request_id: &str,
) -> Result<Option<phone_call::Model>, StoreError> {
    let select = phone_call::Entity::find()
        .filter(Column::TenantId.eq(tenant.as_str()))
        .filter(Column::RequestId.eq(request_id));
    fetch_unique(select, db).await
}

fn filter_column(field: &FieldRef) -> FilterColumn {
    match field.name {
        "type" => FilterColumn::Plain("call_type"),
        // The remaining schema names are the column names.
        other => FilterColumn::Plain(other),
    }
}

fn legs_json(call: &PhoneCall) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(&call.legs).map_err(StoreError::corrupt)
}

fn to_row(
    tenant: &TenantId,
    call: &PhoneCall,
    fingerprint: Option<String>,
) -> Result<phone_call::ActiveModel, StoreError> {
    Ok(phone_call::ActiveModel {
        id: Set(call.id.as_str().to_owned()),
        tenant_id: Set(tenant.as_str().to_owned()),
        request_id: Set(call.request_id.clone()),
        request_fingerprint: Set(fingerprint),
        call_type: Set(call.call_type.as_str().to_owned()),
        extension: Set(call.extension.clone()),
        owner_id: Set(call.owner_id.as_str().to_owned()),
        owner_name: Set(call.owner_name.clone()),
        state: Set(call.state.as_str().to_owned()),
        disposition: Set(call.disposition.map(|d| d.as_str().to_owned())),
        create_time: Set(time::to_micros(call.create_time)),
        answer_time: Set(call.answer_time.map(time::to_micros)),
        end_time: Set(call.end_time.map(time::to_micros)),
        pickup_deadline: Set(call.next_deadline().map(time::to_micros)),
        max_duration_secs: Set(call.max_duration_secs),
        allow_public_transfer: Set(call.allow_public_transfer),
        video: Set(call.video),
        conference_number: Set(call.conference_number.clone()),
        conference_pin: Set(call.conference_pin.clone()),
        legs: Set(legs_json(call)?),
        interaction_id: Set(call.interaction.as_str().to_owned()),
        update_time: Set(time::to_micros(call.update_time)),
        revision: Set(call.revision),
    })
}

fn from_row(row: phone_call::Model) -> Result<PhoneCall, StoreError> {
    let corrupt =
        |what: &str, value: &str| StoreError::corrupt(format!("phone call {} {what} {value:?}", row.id));
    let call_type =
        PhoneCallType::from_str_opt(&row.call_type).ok_or_else(|| corrupt("call_type", &row.call_type))?;
    let state = CallState::from_str_opt(&row.state).ok_or_else(|| corrupt("state", &row.state))?;
    let disposition = match &row.disposition {
        None => None,
        Some(d) => Some(Disposition::from_str_opt(d).ok_or_else(|| corrupt("disposition", d))?),
    };
    let legs: Vec<Leg> =
        serde_json::from_value(row.legs.clone()).map_err(|e| corrupt("legs", &e.to_string()))?;
    Ok(PhoneCall {
        id: PhoneCallId::from_trusted(row.id),
        request_id: row.request_id,
        call_type,
        extension: row.extension,
        owner_id: UserId::from_trusted(row.owner_id),
        owner_name: row.owner_name,
        state,
        disposition,
        create_time: time::from_micros(row.create_time),
        answer_time: row.answer_time.map(time::from_micros),
        end_time: row.end_time.map(time::from_micros),
        max_duration_secs: row.max_duration_secs,
        allow_public_transfer: row.allow_public_transfer,
        video: row.video,
        conference_number: row.conference_number,
        conference_pin: row.conference_pin,
        legs,
        interaction: InteractionId::from_trusted(row.interaction_id),
        update_time: time::from_micros(row.update_time),
        revision: row.revision,
    })
}

impl Replayable for PhoneCall {
    fn fetch<'a>(
        store: &'a Store,
        caller: &'a Caller,
        id: &'a str,
    ) -> futures::future::BoxFuture<'a, Result<Self, StoreError>> {
        Box::pin(store.get_phone_call(caller, id))
    }
}
