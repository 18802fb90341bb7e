//! Voice-call repository: idempotent create (on `vendor_call_key` and on
//! `external_uuid`), lookup by id or vendor key, list, read-modify-write
//! updates, transcript messages and per-state counts. Every create also
//! records the call in the interaction history, and every state change
//! mirrors onto that record, in the same transaction.

use std::collections::HashMap;

use sea_orm::sea_query::{Alias, Expr, Func, LockType, OnConflict, Order};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::entity::voice_call::{self, Column};
use super::entity::voice_call_message::{self, Column as MessageColumn};
use super::filter::{self, Column as FilterColumn};
use super::idempotency::{self, IdempotencyKey, Replayable};
use super::interactions::{CallRecord, insert_for_call, mirror_call_state};
use super::{Store, StoreError, fetch_listing, fetch_page, outbox};
use crate::domain::common::{CallState, VendorLiteral};
use crate::domain::event::{EventType, NewEvent, ResourceType};
use crate::domain::filter::{FieldRef, Filter};
use crate::domain::ids::{InteractionId, TenantId, VoiceCallId};
use crate::domain::order::OrderTerm;
use crate::domain::page::{Matches, Page};
use crate::domain::time::{self, Timestamp};
use crate::domain::voice_call::{
    CallOrigin, CallSubtype, Decimal, Direction, DisconnectReason, InitiationMethod, NewMessage,
    NewVoiceCall, Participant, ParticipantType, Recording, TranscriptStatus, VoiceCall, VoiceCallMessage,
};
use crate::domain::{Caller, DomainError};

/// `reason` of the conflict a create loses to a concurrent identical create
/// on PostgreSQL; the create then returns the winner's call.
const LOST_CREATE_RACE: &str = "VOICE_CALL_CREATE_RACE";

/// Calls of one state and spelling, from [`Store::voice_call_stats`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateCount {
    /// The canonical state.
    pub state: CallState,
    /// The vendor spelling, when the calls carry one.
    pub literal: Option<VendorLiteral>,
    /// How many calls.
    pub count: i64,
}

impl Store {
    /// Creates a voice call, or returns the tenant's call with the same
    /// `vendor_call_key` or `external_uuid` unchanged. Returns the call and
    /// whether this request created it. Exactly one call is created under
    /// any number of concurrent identical requests.
    pub async fn create_voice_call(
        &self,
        caller: &Caller,
        new: NewVoiceCall,
        idempotency: Option<IdempotencyKey>,
    ) -> Result<(VoiceCall, bool), StoreError> {
        let keys = (new.vendor_call_key.clone(), new.external_uuid.clone());
        let (owner, keyed) = (caller.clone(), idempotency.clone());
        let write = self.write(move |txn| {
            Box::pin(async move {
                let (caller, idempotency) = (owner, keyed);
                if let Some(found) = find_by_natural_key(txn, &caller.tenant, &new).await? {
                    idempotency::record_if_keyed(txn, &caller.tenant, idempotency.as_ref(), &found.name())
                        .await?;
                    return Ok((found, false));
                }
                let parent = match &new.parent_key {
                    None => None,
                    Some(key) => Some(
                        find_by_key(txn, &caller.tenant, key, Lock::None)
                            .await?
                            .ok_or_else(|| {
                                DomainError::invalid(
                                    "voice_call.parent",
                                    format!("voiceCalls/{key} does not exist"),
                                )
                            })?,
                    ),
                };
                let now = time::now();
                // The interaction id is filled in below, once the
                // history record exists.
                let mut call = new.into_voice_call(parent.as_ref(), InteractionId::generate(), now);
                let record = CallRecord {
                    state: call.state,
                    interaction_type: call.interaction_type(),
                    phone_number: Some(call.customer_number().to_owned()),
                    phone_call: None,
                    voice_call: Some(call.id.clone()),
                    start_time: call.start_time.unwrap_or(now),
                };
                call.interaction = insert_for_call(txn, &caller, record, now).await?;
                // No conflict target: a clash on either natural key (or
                // the id) is "already created". SeaORM's
                // `on_conflict_do_nothing` would target the primary key only.
                let inserted = voice_call::Entity::insert(to_row(&caller.tenant, &call))
                    .on_conflict(OnConflict::new().do_nothing().to_owned())
                    .try_insert()
                    .exec_without_returning(txn)
                    .await?;
                if !matches!(inserted, sea_orm::TryInsertResult::Inserted(n) if n > 0) {
                    // PostgreSQL: a concurrent create with the same key
                    // committed first. Fail this transaction so its
                    // interaction row goes too, and read the winner.
                    return Err(StoreError::Conflict {
                        message: "a concurrent request created this voice call".to_owned(),
                        reason: LOST_CREATE_RACE,
                    });
                }
                append_event(txn, &caller, &call, EventType::Created, "CreateVoiceCall").await?;
                idempotency::record_if_keyed(txn, &caller.tenant, idempotency.as_ref(), &call.name()).await?;
                Ok((call, true))
            })
        });
        let create = async {
            match write.await {
                Err(StoreError::Conflict {
                    reason: LOST_CREATE_RACE,
                    ..
                }) => {
                    let found = find_by_keys(
                        self.point_reader(),
                        &caller.tenant,
                        keys.0.as_deref(),
                        keys.1.as_deref(),
                    )
                    .await?
                    .ok_or_else(|| StoreError::corrupt("conflicting voice call vanished"))?;
                    Ok((found, false))
                }
                other => other,
            }
        };
        self.create_once(caller, idempotency.as_ref(), create).await
    }

    /// Gets one voice call of the caller's tenant by id, vendor call key or
    /// external uuid (in that order of precedence).
    pub async fn get_voice_call(&self, caller: &Caller, key: &str) -> Result<VoiceCall, StoreError> {
        find_by_key(self.point_reader(), &caller.tenant, key, Lock::None)
            .await?
            .ok_or_else(|| StoreError::not_found(format!("voiceCalls/{key}")))
    }

    /// Lists the tenant's voice calls matching `filter`, in `order`, and
    /// counts all matches.
    pub async fn list_voice_calls(
        &self,
        caller: &Caller,
        filter: &Filter,
        order: &[OrderTerm],
        page: Page,
        count: bool,
    ) -> Result<(Vec<VoiceCall>, Matches), StoreError> {
        let condition = filter::compile(filter, self.db_backend(), &filter_column);
        let base = voice_call::Entity::find()
            .filter(Column::TenantId.eq(caller.tenant.as_str()))
            .filter(condition);
        let mut query = base.clone();
        for term in order {
            let direction = if term.descending { Order::Desc } else { Order::Asc };
            query = query.order_by(Expr::col(Alias::new(term.field)), direction);
        }
        query = query.order_by(Column::Id, Order::Asc);
        let (rows, matches) = fetch_listing(base, query, page, count, self.reader()).await?;
        let items = rows.into_iter().map(from_row).collect::<Result<_, _>>()?;
        Ok((items, matches))
    }

    /// Applies `mutate` to one voice call (found by id or key) inside a write
    /// transaction, checking `etag` first when given; records an `Updated`
    /// event and mirrors a state change onto the interaction history. A
    /// change that leaves the call as it was writes nothing.
    pub async fn modify_voice_call<F>(
        &self,
        caller: &Caller,
        key: &str,
        etag: Option<String>,
        change: &'static str,
        mutate: F,
    ) -> Result<VoiceCall, StoreError>
    where
        F: FnOnce(&mut VoiceCall, Timestamp) -> Result<(), DomainError> + Send + 'static,
    {
        let caller = caller.clone();
        let key = key.to_owned();
        self.write(move |txn| {
            Box::pin(async move {
                let mut call = find_by_key(txn, &caller.tenant, &key, Lock::ForUpdate)
                    .await?
                    .ok_or_else(|| StoreError::not_found(format!("voiceCalls/{key}")))?;
                if let Some(expected) = etag {
                    let actual = call.etag();
                    if expected != actual {
                        return Err(StoreError::EtagMismatch {
                            resource: call.name(),
                            expected,
                            actual,
                        });
                    }
                }
                let before = call.clone();
                let now = time::now();
                mutate(&mut call, now)?;
                if call == before {
                    return Ok(call);
                }
                call.touch(now);
                save(txn, &caller, &call, change).await?;
                if call.state != before.state || call.duration_secs != before.duration_secs {
                    mirror_call_state(
                        txn,
                        &caller,
                        call.interaction.as_str(),
                        call.state,
                        call.duration_secs,
                        now,
                    )
                    .await?;
                }
                Ok(call)
            })
        })
        .await
    }

    /// Stores transcript messages, atomically: every call they name must
    /// exist in the tenant, and a message whose `message_id` its call
    /// already has is skipped. Returns the stored messages in request
    /// order (including ones stored earlier).
    pub async fn add_voice_call_messages(
        &self,
        caller: &Caller,
        messages: Vec<NewMessage>,
    ) -> Result<Vec<VoiceCallMessage>, StoreError> {
        let caller = caller.clone();
        self.write(move |txn| {
            Box::pin(async move {
                let now = time::now();
                let mut calls: HashMap<String, VoiceCall> = HashMap::new();
                for message in &messages {
                    if !calls.contains_key(&message.call_key) {
                        let call = find_by_key(txn, &caller.tenant, &message.call_key, Lock::None)
                            .await?
                            .ok_or_else(|| {
                                StoreError::not_found(format!("voiceCalls/{}", message.call_key))
                            })?;
                        calls.insert(message.call_key.clone(), call);
                    }
                }
                let rows = messages.iter().map(|m| voice_call_message::ActiveModel {
                    id: sea_orm::ActiveValue::NotSet,
                    tenant_id: Set(caller.tenant.to_string()),
                    voice_call_id: Set(calls[&m.call_key].id.to_string()),
                    message_id: Set(m.message_id.clone()),
                    participant_id: Set(m.participant_id.clone()),
                    sender_type: Set(m.sender_type.as_str().to_owned()),
                    content: Set(m.content.clone()),
                    start_time: Set(time::to_micros(m.start_time)),
                    end_time: Set(m.end_time.map(time::to_micros)),
                    create_time: Set(time::to_micros(now)),
                });
                voice_call_message::Entity::insert_many(rows)
                    .on_conflict_do_nothing_on([MessageColumn::VoiceCallId, MessageColumn::MessageId])
                    .exec_without_returning(txn)
                    .await?;
                let mut wanted = Condition::any();
                for m in &messages {
                    wanted = wanted.add(
                        Condition::all()
                            .add(MessageColumn::VoiceCallId.eq(calls[&m.call_key].id.as_str()))
                            .add(MessageColumn::MessageId.eq(m.message_id.as_str())),
                    );
                }
                let stored: HashMap<(String, String), VoiceCallMessage> = voice_call_message::Entity::find()
                    .filter(MessageColumn::TenantId.eq(caller.tenant.as_str()))
                    .filter(wanted)
                    .all(txn)
                    .await?
                    .into_iter()
                    .map(|row| {
                        let message = message_from_row(row)?;
                        Ok((
                            (message.voice_call.to_string(), message.message_id.clone()),
                            message,
                        ))
                    })
                    .collect::<Result<_, StoreError>>()?;
                let result = messages
                    .iter()
                    .map(|m| {
                        stored
                            .get(&(calls[&m.call_key].id.to_string(), m.message_id.clone()))
                            .cloned()
                            .ok_or_else(|| StoreError::corrupt("stored message vanished"))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let mut touched: Vec<&mut VoiceCall> = calls.values_mut().collect();
                // A stable order keeps event sequences deterministic.
                touched.sort_by(|a, b| a.id.cmp(&b.id));
                for call in touched {
                    let before = call.transcript_status;
                    call.transcript_started();
                    if call.transcript_status != before {
                        call.touch(now);
                        save(txn, &caller, call, "BatchCreateVoiceCallMessages").await?;
                    }
                }
                Ok(result)
            })
        })
        .await
    }

    /// Lists one call's transcript messages in `start_time` order, and
    /// counts them.
    pub async fn list_voice_call_messages(
        &self,
        caller: &Caller,
        key: &str,
        page: Page,
    ) -> Result<(VoiceCall, Vec<VoiceCallMessage>, u64), StoreError> {
        let call = self.get_voice_call(caller, key).await?;
        let base = voice_call_message::Entity::find()
            .filter(MessageColumn::TenantId.eq(caller.tenant.as_str()))
            .filter(MessageColumn::VoiceCallId.eq(call.id.as_str()));
        let total = base.clone().count(self.reader()).await?;
        let query = base
            .order_by(MessageColumn::StartTime, Order::Asc)
            .order_by(MessageColumn::Id, Order::Asc);
        let rows = fetch_page(query, page, self.reader()).await?;
        let messages = rows.into_iter().map(message_from_row).collect::<Result<_, _>>()?;
        Ok((call, messages, total))
    }

    /// Counts the tenant's voice calls created in `[start, end)` by state and
    /// vendor spelling, optionally only in `states`.
    pub async fn voice_call_stats(
        &self,
        caller: &Caller,
        start: Option<Timestamp>,
        end: Option<Timestamp>,
        states: &[CallState],
    ) -> Result<Vec<StateCount>, StoreError> {
        let mut query = voice_call::Entity::find().filter(Column::TenantId.eq(caller.tenant.as_str()));
        if let Some(start) = start {
            query = query.filter(Column::CreateTime.gte(time::to_micros(start)));
        }
        if let Some(end) = end {
            query = query.filter(Column::CreateTime.lt(time::to_micros(end)));
        }
        if !states.is_empty() {
            query = query.filter(Column::State.is_in(states.iter().map(|s| s.as_str())));
        }
        let rows: Vec<(String, Option<String>, Option<String>, i64)> = query
            .select_only()
            .column(Column::State)
            .column(Column::StateLiteralDialect)
            .column(Column::StateLiteral)
            .column_as(Expr::from(Func::count(Expr::col(Column::Id))), "count")
            .group_by(Column::State)
            .group_by(Column::StateLiteralDialect)
            .group_by(Column::StateLiteral)
            .order_by(Column::State, Order::Asc)
            .order_by(Column::StateLiteralDialect, Order::Asc)
            .order_by(Column::StateLiteral, Order::Asc)
            .into_tuple()
            .all(self.reader())
            .await?;
        rows.into_iter()
            .map(|(state, dialect, value, count)| {
                let state = CallState::from_str_opt(&state)
                    .ok_or_else(|| StoreError::corrupt(format!("voice call state {state:?}")))?;
                Ok(StateCount {
                    state,
                    literal: dialect
                        .zip(value)
                        .map(|(dialect, value)| VendorLiteral { dialect, value }),
                    count,
                })
            })
            .collect()
    }
}

async fn save(
    db: &impl ConnectionTrait,
    caller: &Caller,
    call: &VoiceCall,
    change: &'static str,
) -> Result<(), StoreError> {
    voice_call::Entity::update_many()
        .set(to_row(&caller.tenant, call))
        .filter(Column::Id.eq(call.id.as_str()))
        .filter(Column::TenantId.eq(caller.tenant.as_str()))
        .exec(db)
        .await?;
    append_event(db, caller, call, EventType::Updated, change).await
}

async fn append_event(
    db: &impl ConnectionTrait,
    caller: &Caller,
    call: &VoiceCall,
    event_type: EventType,
    change: &'static str,
) -> Result<(), StoreError> {
    let payload = serde_json::to_string(call).map_err(StoreError::corrupt)?;
    outbox::append(
        db,
        &caller.tenant,
        NewEvent {
            resource_type: ResourceType::VoiceCall,
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

/// The call named by `key`: its id, else its vendor call key, else its
/// external uuid. One query; the precedence decides between rows that match
/// `key` in different columns.
async fn find_by_key(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    key: &str,
    lock: Lock,
) -> Result<Option<VoiceCall>, StoreError> {
    // At most three rows (one per unique column); no LIMIT, which SQLite
    // would re-prepare for on every call (see `store::fetch_unique`).
    let mut query = voice_call::Entity::find().filter(any_key_of(
        tenant,
        &[
            (Column::Id, key),
            (Column::VendorCallKey, key),
            (Column::ExternalUuid, key),
        ],
    ));
    if lock == Lock::ForUpdate {
        // Serialises read-modify-write on PostgreSQL (no lost updates);
        // SQLite's single writer needs no row lock.
        query = query.lock(LockType::Update);
    }
    let rows = query.all(db).await?;
    let rank = |row: &voice_call::Model| {
        if row.id == key {
            0
        } else if row.vendor_call_key.as_deref() == Some(key) {
            1
        } else {
            2
        }
    };
    rows.into_iter().min_by_key(rank).map(from_row).transpose()
}

/// Whether a read inside a write transaction locks the row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lock {
    None,
    ForUpdate,
}

/// The call with either natural key of `new`; the vendor call key wins.
async fn find_by_natural_key(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    new: &NewVoiceCall,
) -> Result<Option<VoiceCall>, StoreError> {
    find_by_keys(
        db,
        tenant,
        new.vendor_call_key.as_deref(),
        new.external_uuid.as_deref(),
    )
    .await
}

async fn find_by_keys(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    vendor_call_key: Option<&str>,
    external_uuid: Option<&str>,
) -> Result<Option<VoiceCall>, StoreError> {
    let keys: Vec<(Column, &str)> = [
        vendor_call_key.map(|key| (Column::VendorCallKey, key)),
        external_uuid.map(|uuid| (Column::ExternalUuid, uuid)),
    ]
    .into_iter()
    .flatten()
    .collect();
    if keys.is_empty() {
        return Ok(None);
    }
    // At most two rows (one per unique key).
    let rows = voice_call::Entity::find()
        .filter(any_key_of(tenant, &keys))
        .all(db)
        .await?;
    let preferred = rows
        .iter()
        .position(|r| vendor_call_key.is_some() && r.vendor_call_key.as_deref() == vendor_call_key)
        .unwrap_or(0);
    rows.into_iter().nth(preferred).map(from_row).transpose()
}

/// The tenant's rows where any of `keys` (a unique column and its value)
/// matches. Each branch names the tenant, so SQLite looks each key up in
/// its unique index (a multi-index OR); with the tenant outside the OR it
/// scanned all of the tenant's calls instead.
fn any_key_of(tenant: &TenantId, keys: &[(Column, &str)]) -> Condition {
    keys.iter().fold(Condition::any(), |any, (column, value)| {
        any.add(
            Condition::all()
                .add(Column::TenantId.eq(tenant.as_str()))
                .add(column.eq(*value)),
        )
    })
}

fn filter_column(field: &FieldRef) -> FilterColumn {
    match field.name {
        "state_literal.dialect" => FilterColumn::Plain("state_literal_dialect"),
        "state_literal.value" => FilterColumn::Plain("state_literal"),
        // The remaining schema names are the column names.
        other => FilterColumn::Plain(other),
    }
}

/// The vendor fields that are never queried on their own, as the `details`
/// JSON column holds them. Every field is optional so rows written by older
/// versions still read.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct Details {
    #[serde(skip_serializing_if = "Option::is_none")]
    telephony_provider: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    queue: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    enqueue_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    accept_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    call_origin: Option<CallOrigin>,
    #[serde(skip_serializing_if = "Option::is_none")]
    call_subtype: Option<CallSubtype>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    call_attributes: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    agent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total_hold_secs: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    longest_hold_secs: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    number_of_holds: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    agent_interaction_secs: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recording_location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    total_recording_secs: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    disconnect_reason: Option<DisconnectReason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_secs: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    handled_by_staff_uid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    handle_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rate: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    price: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    provider: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    call_summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_app_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_app_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recording: Option<Recording>,
    #[serde(skip_serializing_if = "Option::is_none")]
    transcript_status: Option<TranscriptStatus>,
}

fn to_row(tenant: &TenantId, c: &VoiceCall) -> voice_call::ActiveModel {
    let details = Details {
        telephony_provider: c.telephony_provider.clone(),
        queue: c.queue.clone(),
        enqueue_time: c.enqueue_time.map(time::to_micros),
        accept_time: c.accept_time.map(time::to_micros),
        call_origin: c.call_origin,
        call_subtype: c.call_subtype,
        call_attributes: c.call_attributes.clone(),
        agent: c.agent.clone(),
        total_hold_secs: c.total_hold_secs,
        longest_hold_secs: c.longest_hold_secs,
        number_of_holds: c.number_of_holds,
        agent_interaction_secs: c.agent_interaction_secs,
        recording_location: c.recording_location.clone(),
        total_recording_secs: c.total_recording_secs,
        disconnect_reason: c.disconnect_reason.clone(),
        duration_secs: c.duration_secs,
        handled_by_staff_uid: c.handled_by_staff_uid.clone(),
        handle_time: c.handle_time.map(time::to_micros),
        rate: c.rate.clone(),
        price: c.price.clone(),
        provider: c.provider.clone(),
        source_id: c.source_id.clone(),
        call_summary: c.call_summary.clone(),
        external_app_url: c.external_app_url.clone(),
        external_app_name: c.external_app_name.clone(),
        recording: c.recording.clone(),
        transcript_status: c.transcript_status,
    };
    voice_call::ActiveModel {
        id: Set(c.id.as_str().to_owned()),
        tenant_id: Set(tenant.as_str().to_owned()),
        vendor_call_key: Set(c.vendor_call_key.clone()),
        external_uuid: Set(c.external_uuid.clone()),
        call_center_api_name: Set(c.call_center_api_name.clone()),
        from_number: Set(c.from_number.clone()),
        to_number: Set(c.to_number.clone()),
        direction: Set(c.direction.map(|d| d.as_str().to_owned())),
        initiation_method: Set(c.initiation_method.map(|m| m.as_str().to_owned())),
        parent_id: Set(c.parent.as_ref().map(|p| p.as_str().to_owned())),
        state: Set(c.state.as_str().to_owned()),
        state_literal_dialect: Set(c.state_literal.as_ref().map(|l| l.dialect.clone())),
        state_literal: Set(c.state_literal.as_ref().map(|l| l.value.clone())),
        start_time: Set(c.start_time.map(time::to_micros)),
        end_time: Set(c.end_time.map(time::to_micros)),
        staff_uid: Set(c.staff_uid.clone()),
        client_uid: Set(c.client_uid.clone()),
        business_uid: Set(c.business_uid.clone()),
        participants: Set(serde_json::to_value(&c.participants).unwrap_or_default()),
        details: Set(serde_json::to_value(&details).unwrap_or_default()),
        interaction_id: Set(c.interaction.as_str().to_owned()),
        create_time: Set(time::to_micros(c.create_time)),
        update_time: Set(time::to_micros(c.update_time)),
        revision: Set(c.revision),
    }
}

fn from_row(row: voice_call::Model) -> Result<VoiceCall, StoreError> {
    let id = row.id.clone();
    let corrupt = |what: &str, value: &str| StoreError::corrupt(format!("voice call {id} {what} {value:?}"));
    let state = CallState::from_str_opt(&row.state).ok_or_else(|| corrupt("state", &row.state))?;
    let direction = row
        .direction
        .as_deref()
        .map(|d| Direction::from_str_opt(d).ok_or_else(|| corrupt("direction", d)))
        .transpose()?;
    let initiation_method = row
        .initiation_method
        .as_deref()
        .map(|m| InitiationMethod::from_str_opt(m).ok_or_else(|| corrupt("initiation_method", m)))
        .transpose()?;
    let participants: Vec<Participant> =
        serde_json::from_value(row.participants).map_err(|e| corrupt("participants", &e.to_string()))?;
    let d: Details = serde_json::from_value(row.details).map_err(|e| corrupt("details", &e.to_string()))?;
    Ok(VoiceCall {
        id: VoiceCallId::from_trusted(row.id),
        vendor_call_key: row.vendor_call_key,
        external_uuid: row.external_uuid,
        call_center_api_name: row.call_center_api_name,
        telephony_provider: d.telephony_provider,
        from_number: row.from_number,
        to_number: row.to_number,
        direction,
        initiation_method,
        parent: row.parent_id.map(VoiceCallId::from_trusted),
        queue: d.queue,
        state,
        state_literal: row
            .state_literal_dialect
            .zip(row.state_literal)
            .map(|(dialect, value)| VendorLiteral { dialect, value }),
        start_time: row.start_time.map(time::from_micros),
        end_time: row.end_time.map(time::from_micros),
        enqueue_time: d.enqueue_time.map(time::from_micros),
        accept_time: d.accept_time.map(time::from_micros),
        call_origin: d.call_origin,
        call_subtype: d.call_subtype,
        participants,
        call_attributes: d.call_attributes,
        agent: d.agent,
        total_hold_secs: d.total_hold_secs,
        longest_hold_secs: d.longest_hold_secs,
        number_of_holds: d.number_of_holds,
        agent_interaction_secs: d.agent_interaction_secs,
        recording_location: d.recording_location,
        total_recording_secs: d.total_recording_secs,
        disconnect_reason: d.disconnect_reason,
        duration_secs: d.duration_secs,
        staff_uid: row.staff_uid,
        client_uid: row.client_uid,
        business_uid: row.business_uid,
        handled_by_staff_uid: d.handled_by_staff_uid,
        handle_time: d.handle_time.map(time::from_micros),
        rate: d.rate,
        price: d.price,
        provider: d.provider,
        source_id: d.source_id,
        call_summary: d.call_summary,
        external_app_url: d.external_app_url,
        external_app_name: d.external_app_name,
        recording: d.recording,
        transcript_status: d.transcript_status,
        interaction: InteractionId::from_trusted(row.interaction_id),
        create_time: time::from_micros(row.create_time),
        update_time: time::from_micros(row.update_time),
        revision: row.revision,
    })
}

fn message_from_row(row: voice_call_message::Model) -> Result<VoiceCallMessage, StoreError> {
    let sender_type = ParticipantType::from_str_opt(&row.sender_type)
        .ok_or_else(|| StoreError::corrupt(format!("message sender type {:?}", row.sender_type)))?;
    Ok(VoiceCallMessage {
        voice_call: VoiceCallId::from_trusted(row.voice_call_id),
        participant_id: row.participant_id,
        sender_type,
        message_id: row.message_id,
        content: row.content,
        start_time: time::from_micros(row.start_time),
        end_time: row.end_time.map(time::from_micros),
        create_time: time::from_micros(row.create_time),
    })
}

impl Replayable for VoiceCall {
    fn fetch<'a>(
        store: &'a Store,
        caller: &'a Caller,
        id: &'a str,
    ) -> futures::future::BoxFuture<'a, Result<Self, StoreError>> {
        Box::pin(store.get_voice_call(caller, id))
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryTrait, Statement};

    use super::{Column, any_key_of, voice_call};
    use crate::domain::ids::TenantId;
    use crate::store::{SqliteSync, Store, StoreOptions};

    /// SQLite's plan for a lookup by any key uses the unique indexes, so a
    /// lookup costs the same however many calls the tenant has.
    #[tokio::test]
    async fn lookups_by_key_search_the_unique_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("v.db").display());
        let store = Store::open(&StoreOptions {
            url: url.parse().unwrap(),
            schema: None,
            max_connections: 1,
            sqlite_sync: SqliteSync::Normal,
        })
        .await
        .unwrap();
        let tenant = TenantId::parse("acme").unwrap();
        let keys = [
            (Column::Id, "k"),
            (Column::VendorCallKey, "k"),
            (Column::ExternalUuid, "k"),
        ];
        for keys in [&keys[..], &keys[1..]] {
            let select = voice_call::Entity::find()
                .filter(any_key_of(&tenant, keys))
                .build(DbBackend::Sqlite);
            let explain = Statement::from_sql_and_values(
                DbBackend::Sqlite,
                format!("EXPLAIN QUERY PLAN {}", select.sql),
                select.values.map(|v| v.0).unwrap_or_default(),
            );
            let plan: Vec<String> = store
                .reader()
                .query_all_raw(explain)
                .await
                .unwrap()
                .iter()
                .map(|row| row.try_get::<String>("", "detail").unwrap())
                .collect();
            assert!(
                plan.iter().any(|step| step.contains("MULTI-INDEX OR")),
                "{plan:?}"
            );
            assert_eq!(
                plan.iter().filter(|step| step.starts_with("SEARCH")).count(),
                keys.len(),
                "{plan:?}"
            );
        }
    }
}
