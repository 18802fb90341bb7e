//! Interaction repository, plus the helpers other aggregates use to keep
//! their interaction-history record in step (in their own transaction).

use std::sync::LazyLock;

use sea_orm::sea_query::{Alias, Expr, Order};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::{Map, Value};

use super::entity::interaction::{self, Column};
use super::filter::{self, Column as FilterColumn};
use super::idempotency::{self, IdempotencyKey, Replayable};
use super::sql::{InsertSql, SelectSql};
use super::{Store, StoreError, Undo, fetch_listing, outbox};
use crate::domain::Caller;
use crate::domain::DomainError;
use crate::domain::caller::User;
use crate::domain::common::{CallState, VendorLiteral};
use crate::domain::event::{EventType, NewEvent, ResourceType};
use crate::domain::filter::{FieldRef, Filter};
use crate::domain::ids::{InteractionId, PhoneCallId, TenantId, UserId, VoiceCallId};
use crate::domain::interaction::{
    Interaction, InteractionState, InteractionType, MediaType, NewPhoneCallInteraction,
};
use crate::domain::order::OrderTerm;
use crate::domain::page::{Matches, Page};
use crate::domain::time::{self, Timestamp};

impl Store {
    /// Finds the tenant's interaction with `new.call_id`, or creates it.
    /// Returns the interaction and whether this call created it. Exactly one
    /// interaction is created under any number of concurrent calls.
    pub async fn find_or_create_phone_call_interaction(
        &self,
        caller: &Caller,
        new: NewPhoneCallInteraction,
        idempotency: Option<IdempotencyKey>,
    ) -> Result<(Interaction, bool), StoreError> {
        // No read before the write unless the client sent an idempotency
        // key: a create is the common case, and the insert below finds a
        // repeat of the call id by its conflict at no extra cost. The rows
        // are built here, so the single writer only runs the statements.
        let call_id = new.call_id.clone();
        let interaction = new.into_interaction(caller.user.clone(), time::now());
        let insert_row = to_row(&caller.tenant, &interaction);
        let created = event_row(
            caller,
            &interaction,
            EventType::Created,
            "FindOrCreatePhoneCallInteraction",
        )?;
        let tenant = caller.tenant.clone();
        let key = idempotency.clone();
        let undo = Undo::for_create(key.is_some());
        // Boxed once here: the job carries every row of the create, and
        // each future that awaited it would otherwise copy them along.
        let create = Box::pin(self.write_with(undo, move |txn| {
            Box::pin(async move {
                // Insert first and look only on conflict: a create then costs
                // two statements (the row and its event).
                static INSERT_UNLESS_KNOWN: LazyLock<InsertSql<interaction::Entity>> = LazyLock::new(|| {
                    InsertSql::new(
                        &[],
                        "ON CONFLICT (\"tenant_id\", \"external_call_id\") DO NOTHING",
                    )
                });
                let inserted = txn
                    .execute_raw(INSERT_UNLESS_KNOWN.statement(txn.get_database_backend(), insert_row))
                    .await?;
                if inserted.rows_affected() == 0 {
                    // Created meanwhile: by an earlier job of this batch
                    // (SQLite), or by a concurrent transaction that has
                    // committed by now, since the insert waited for it
                    // (PostgreSQL).
                    let found = find_by_call_id(txn, &tenant, &call_id)
                        .await?
                        .ok_or_else(|| StoreError::corrupt("conflicting interaction vanished"))?;
                    idempotency::record_if_keyed(txn, &tenant, key.as_ref(), &found.name()).await?;
                    return Ok((found, false));
                }
                outbox::append_row(txn, created).await?;
                idempotency::record_if_keyed(txn, &tenant, key.as_ref(), &interaction.name()).await?;
                Ok((interaction, true))
            })
        }));
        self.create_once(caller, idempotency.as_ref(), create).await
    }

    /// Gets one interaction of the caller's tenant.
    pub async fn get_interaction(&self, caller: &Caller, id: &str) -> Result<Interaction, StoreError> {
        get(self.point_reader(), &caller.tenant, id, false).await
    }

    /// Lists the tenant's interactions matching `filter`, in `order`, and
    /// counts all matches.
    pub async fn list_interactions(
        &self,
        caller: &Caller,
        filter: &Filter,
        order: &[OrderTerm],
        page: Page,
        count: bool,
    ) -> Result<(Vec<Interaction>, Matches), StoreError> {
        let condition = filter::compile(filter, self.db_backend(), &filter_column);
        let base = interaction::Entity::find()
            .filter(Column::TenantId.eq(caller.tenant.as_str()))
            .filter(condition);
        let mut query = base.clone();
        for term in order {
            let direction = if term.descending { Order::Desc } else { Order::Asc };
            query = query.order_by(Expr::col(Alias::new(term.field)), direction.clone());
        }
        // A unique tiebreaker keeps pages stable when sort keys repeat.
        query = query.order_by(Column::Id, Order::Asc);
        let (rows, matches) = fetch_listing(base, query, page, count, self.reader()).await?;
        let items = rows.into_iter().map(from_row).collect::<Result<_, _>>()?;
        Ok((items, matches))
    }

    /// Applies `mutate` to one interaction inside a write transaction,
    /// checking `etag` first when given, and records an `Updated` event. A
    /// change that leaves the interaction as it was is not written and makes
    /// no event.
    pub async fn modify_interaction<F>(
        &self,
        caller: &Caller,
        id: &str,
        etag: Option<String>,
        change: &'static str,
        mutate: F,
    ) -> Result<Interaction, StoreError>
    where
        F: FnOnce(&mut Interaction, Timestamp) -> Result<(), DomainError> + Send + 'static,
    {
        let caller = caller.clone();
        let id = id.to_owned();
        self.write(move |txn| {
            Box::pin(async move {
                let mut interaction = get(txn, &caller.tenant, &id, true).await?;
                if let Some(expected) = etag {
                    let actual = interaction.etag();
                    if expected != actual {
                        return Err(StoreError::EtagMismatch {
                            resource: interaction.name(),
                            expected,
                            actual,
                        });
                    }
                }
                let before = interaction.clone();
                let now = time::now();
                mutate(&mut interaction, now)?;
                if interaction == before {
                    return Ok(interaction);
                }
                interaction.touch(now);
                save(txn, &caller, &interaction, change).await?;
                Ok(interaction)
            })
        })
        .await
    }
}

/// What a call aggregate records in the interaction history.
#[derive(Clone, Debug)]
pub struct CallRecord {
    /// The call's canonical state.
    pub state: CallState,
    /// How the call relates to the contact centre.
    pub interaction_type: InteractionType,
    /// The customer's number.
    pub phone_number: Option<String>,
    /// The phone call, if the record is for one.
    pub phone_call: Option<PhoneCallId>,
    /// The voice call, if the record is for one.
    pub voice_call: Option<VoiceCallId>,
    /// When the call started.
    pub start_time: Timestamp,
}

/// Creates the interaction-history record of a new phone or voice call, with
/// its `Created` event, inside the call's own transaction. Returns its id.
pub async fn insert_for_call(
    db: &impl ConnectionTrait,
    caller: &Caller,
    record: CallRecord,
    now: Timestamp,
) -> Result<InteractionId, StoreError> {
    let state = InteractionState::for_call(record.state);
    let interaction = Interaction {
        id: InteractionId::generate(),
        media_type: MediaType::Call,
        interaction_type: record.interaction_type,
        state,
        state_literal: None,
        start_time: record.start_time,
        end_time: (state == InteractionState::Stopped).then_some(now),
        owner: caller.user.clone(),
        contact_id: None,
        parent_id: None,
        thread_id: None,
        subject: None,
        comment: None,
        custom_attributes: Default::default(),
        phone_number: record.phone_number,
        call_duration_secs: None,
        user_data: Map::new(),
        external_call_id: None,
        phone_call: record.phone_call,
        voice_call: record.voice_call,
        create_time: now,
        update_time: now,
        revision: 1,
    };
    static INSERT: LazyLock<InsertSql<interaction::Entity>> = LazyLock::new(|| InsertSql::new(&[], ""));
    let row = to_row(&caller.tenant, &interaction);
    db.execute_raw(INSERT.statement(db.get_database_backend(), row))
        .await?;
    append_event(db, caller, &interaction, EventType::Created, "CreateCall").await?;
    Ok(interaction.id)
}

/// Mirrors a call's new state onto its interaction-history record (inside the
/// call's transaction). The history only moves forward: a call state that
/// maps to an earlier interaction state leaves the record alone. Records the
/// call's duration when it ends after being answered.
pub async fn mirror_call_state(
    db: &impl ConnectionTrait,
    caller: &Caller,
    interaction_id: &str,
    state: CallState,
    duration_secs: Option<i64>,
    now: Timestamp,
) -> Result<(), StoreError> {
    let mut interaction = get(db, &caller.tenant, interaction_id, true).await?;
    let before = interaction.clone();
    let next = InteractionState::for_call(state);
    if interaction.state.can_become(next) {
        interaction.transition(next, None, "mirror", now)?;
    }
    if duration_secs.is_some() {
        interaction.call_duration_secs = duration_secs;
    }
    if interaction != before {
        interaction.touch(now);
        save(db, caller, &interaction, "MirrorCallState").await?;
    }
    Ok(())
}

async fn save(
    db: &impl ConnectionTrait,
    caller: &Caller,
    interaction: &Interaction,
    change: &'static str,
) -> Result<(), StoreError> {
    interaction::Entity::update_many()
        .set(to_row(&caller.tenant, interaction))
        .filter(Column::Id.eq(interaction.id.as_str()))
        .filter(Column::TenantId.eq(caller.tenant.as_str()))
        .exec(db)
        .await?;
    append_event(db, caller, interaction, EventType::Updated, change).await
}

async fn append_event(
    db: &impl ConnectionTrait,
    caller: &Caller,
    interaction: &Interaction,
    event_type: EventType,
    change: &'static str,
) -> Result<(), StoreError> {
    outbox::append_row(db, event_row(caller, interaction, event_type, change)?).await?;
    Ok(())
}

/// The outbox row of an event about `interaction`.
fn event_row(
    caller: &Caller,
    interaction: &Interaction,
    event_type: EventType,
    change: &'static str,
) -> Result<outbox::EventRow, StoreError> {
    let payload = serde_json::to_string(interaction).map_err(StoreError::corrupt)?;
    Ok(outbox::EventRow::new(
        &caller.tenant,
        NewEvent {
            resource_type: ResourceType::Interaction,
            resource: interaction.name(),
            event_type,
            change: change.to_owned(),
            actor: caller.user.id.clone(),
            audience: None,
            payload,
        },
        interaction.update_time,
    ))
}

async fn get(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    id: &str,
    lock: bool,
) -> Result<Interaction, StoreError> {
    // `lock` serialises read-modify-write on PostgreSQL (no lost updates).
    static BY_ID: LazyLock<SelectSql<interaction::Entity>> =
        LazyLock::new(|| SelectSql::new(&[Column::TenantId, Column::Id]));
    BY_ID
        .fetch(db, vec![tenant.as_str().into(), id.into()], lock)
        .await?
        .map(from_row)
        .transpose()?
        .ok_or_else(|| StoreError::not_found(format!("interactions/{id}")))
}

async fn find_by_call_id(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    call_id: &str,
) -> Result<Option<Interaction>, StoreError> {
    static BY_CALL_ID: LazyLock<SelectSql<interaction::Entity>> =
        LazyLock::new(|| SelectSql::new(&[Column::TenantId, Column::ExternalCallId]));
    BY_CALL_ID
        .fetch(db, vec![tenant.as_str().into(), call_id.into()], false)
        .await?
        .map(from_row)
        .transpose()
}

fn filter_column(field: &FieldRef) -> FilterColumn {
    match field.name {
        "type" => FilterColumn::Plain("interaction_type"),
        "owner.id" => FilterColumn::Plain("owner_id"),
        "custom_attributes" => FilterColumn::JsonKey("custom_attributes"),
        // The remaining schema names are the column names.
        other => FilterColumn::Plain(other),
    }
}

fn to_row(tenant: &TenantId, i: &Interaction) -> interaction::ActiveModel {
    interaction::ActiveModel {
        id: Set(i.id.as_str().to_owned()),
        tenant_id: Set(tenant.as_str().to_owned()),
        media_type: Set(i.media_type.as_str().to_owned()),
        interaction_type: Set(i.interaction_type.as_str().to_owned()),
        state: Set(i.state.as_str().to_owned()),
        state_literal_dialect: Set(i.state_literal.as_ref().map(|l| l.dialect.clone())),
        state_literal: Set(i.state_literal.as_ref().map(|l| l.value.clone())),
        start_time: Set(time::to_micros(i.start_time)),
        end_time: Set(i.end_time.map(time::to_micros)),
        owner_id: Set(i.owner.id.as_str().to_owned()),
        owner_user_name: Set(i.owner.user_name.clone()),
        owner_first_name: Set(i.owner.first_name.clone()),
        owner_last_name: Set(i.owner.last_name.clone()),
        contact_id: Set(i.contact_id.clone()),
        parent_id: Set(i.parent_id.clone()),
        thread_id: Set(i.thread_id.clone()),
        subject: Set(i.subject.clone()),
        comment: Set(i.comment.clone()),
        custom_attributes: Set(serde_json::to_value(&i.custom_attributes).unwrap_or_default()),
        phone_number: Set(i.phone_number.clone()),
        call_duration_secs: Set(i.call_duration_secs),
        user_data: Set(Value::Object(i.user_data.clone())),
        external_call_id: Set(i.external_call_id.clone()),
        phone_call_id: Set(i.phone_call.as_ref().map(|p| p.as_str().to_owned())),
        voice_call_id: Set(i.voice_call.as_ref().map(|v| v.as_str().to_owned())),
        create_time: Set(time::to_micros(i.create_time)),
        update_time: Set(time::to_micros(i.update_time)),
        revision: Set(i.revision),
    }
}

fn from_row(row: interaction::Model) -> Result<Interaction, StoreError> {
    let corrupt =
        |what: &str, value: &str| StoreError::corrupt(format!("interaction {} {what} {value:?}", row.id));
    let media_type =
        MediaType::from_str_opt(&row.media_type).ok_or_else(|| corrupt("media_type", &row.media_type))?;
    let interaction_type = InteractionType::from_str_opt(&row.interaction_type)
        .ok_or_else(|| corrupt("interaction_type", &row.interaction_type))?;
    let state = InteractionState::from_str_opt(&row.state).ok_or_else(|| corrupt("state", &row.state))?;
    let custom_attributes = serde_json::from_value(row.custom_attributes.clone())
        .map_err(|e| corrupt("custom_attributes", &e.to_string()))?;
    let user_data = match row.user_data.clone() {
        Value::Object(map) => map,
        other => return Err(corrupt("user_data", &other.to_string())),
    };
    Ok(Interaction {
        id: InteractionId::from_trusted(row.id),
        media_type,
        interaction_type,
        state,
        state_literal: row
            .state_literal_dialect
            .zip(row.state_literal)
            .map(|(dialect, value)| VendorLiteral { dialect, value }),
        start_time: time::from_micros(row.start_time),
        end_time: row.end_time.map(time::from_micros),
        owner: User {
            id: UserId::from_trusted(row.owner_id),
            user_name: row.owner_user_name,
            first_name: row.owner_first_name,
            last_name: row.owner_last_name,
        },
        contact_id: row.contact_id,
        parent_id: row.parent_id,
        thread_id: row.thread_id,
        subject: row.subject,
        comment: row.comment,
        custom_attributes,
        phone_number: row.phone_number,
        call_duration_secs: row.call_duration_secs,
        user_data,
        external_call_id: row.external_call_id,
        phone_call: row.phone_call_id.map(PhoneCallId::from_trusted),
        voice_call: row.voice_call_id.map(VoiceCallId::from_trusted),
        create_time: time::from_micros(row.create_time),
        update_time: time::from_micros(row.update_time),
        revision: row.revision,
    })
}

impl Replayable for Interaction {
    fn fetch<'a>(
        store: &'a Store,
        caller: &'a Caller,
        id: &'a str,
    ) -> futures::future::BoxFuture<'a, Result<Self, StoreError>> {
        Box::pin(store.get_interaction(caller, id))
    }
}
