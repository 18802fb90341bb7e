//! `InteractionService`.

use std::collections::BTreeMap;

use tonic::{Request, Response, Status};

use super::convert::common::{from_literal, struct_to_json, whole_seconds};
use super::convert::interaction::{from_interaction_type, from_state, interaction};
use super::error::invalid_argument;
use super::{caller, idempotency};
use crate::domain::DomainError;
use crate::domain::common::{MAX_LONG_TEXT, MAX_SHORT_TEXT, bounded_json, optional_text};
use crate::domain::error::Violations;
use crate::domain::filter::Filter;
use crate::domain::ids::parse_name;
use crate::domain::interaction::{
    FILTER_SCHEMA, InteractionPatch, NewPhoneCallInteraction, NewPhoneCallInteractionInput, ORDER_FIELDS,
};
use crate::domain::order::{OrderTerm, parse_order_by};
use crate::domain::page::{Page, PageLimits};
use crate::pb;
use crate::pb::interaction_service_server::InteractionService;
use crate::store::Store;

const PAGE_LIMITS: PageLimits = PageLimits {
    default_size: 100,
    max_size: 1000,
};

const DEFAULT_ORDER: &[OrderTerm] = &[OrderTerm {
    field: "start_time",
    descending: true,
}];

/// The `InteractionService` implementation.
#[derive(Clone, Debug)]
pub struct Interactions {
    store: Store,
}

impl Interactions {
    /// The service over `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

fn interaction_id(field: &str, name: &str) -> Result<String, Status> {
    Ok(parse_name(field, name, "interactions")?.to_owned())
}

#[tonic::async_trait]
impl InteractionService for Interactions {
    async fn find_or_create_phone_call_interaction(
        &self,
        request: Request<pb::FindOrCreatePhoneCallInteractionRequest>,
    ) -> Result<Response<pb::FindOrCreatePhoneCallInteractionResponse>, Status> {
        let caller = caller(&request)?;
        let key = idempotency::key_of(&request, "FindOrCreatePhoneCallInteraction")?;
        let r = request.into_inner();
        let mut v = Violations::new();
        let user_data = v.check(struct_to_json("user_data", r.user_data.as_ref()));
        let literal = r.state_literal.unwrap_or_default();
        let parsed = NewPhoneCallInteraction::parse(NewPhoneCallInteractionInput {
            call_id: &r.call_id,
            state: from_state(r.state),
            state_literal: (&literal.dialect, &literal.value),
            phone_number: &r.phone_number,
            interaction_type: from_interaction_type(r.r#type),
            contact_id: &r.contact_id,
            parent_id: &r.parent_id,
            thread_id: &r.thread_id,
            subject: &r.subject,
            user_data,
        });
        let new = v.check(parsed.map(Some));
        v.finish()?;
        let Some(new) = new else {
            unreachable!("finish() reports a failed parse")
        };
        let (found, created) = self
            .store
            .find_or_create_phone_call_interaction(&caller, new, key)
            .await?;
        let response = pb::FindOrCreatePhoneCallInteractionResponse {
            interaction: Some(interaction(found)),
            created,
        };
        Ok(idempotency::respond(response, created))
    }

    async fn get_interaction(
        &self,
        request: Request<pb::GetInteractionRequest>,
    ) -> Result<Response<pb::Interaction>, Status> {
        let caller = caller(&request)?;
        let id = interaction_id("name", &request.get_ref().name)?;
        let found = self.store.get_interaction(&caller, &id).await?;
        Ok(Response::new(interaction(found)))
    }

    async fn list_interactions(
        &self,
        request: Request<pb::ListInteractionsRequest>,
    ) -> Result<Response<pb::ListInteractionsResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let filter = Filter::parse(&r.filter, FILTER_SCHEMA)?;
        let order = parse_order_by(&r.order_by, ORDER_FIELDS, DEFAULT_ORDER)?;
        let query = [r.filter.as_str(), r.order_by.as_str()];
        let page = Page::from_request(PAGE_LIMITS, r.page_size, &r.page_token, r.skip, &query)?;
        let (items, total) = self
            .store
            .list_interactions(&caller, &filter, &order, page, !r.skip_total_size)
            .await?;
        Ok(Response::new(pb::ListInteractionsResponse {
            interactions: items.into_iter().map(interaction).collect(),
            next_page_token: page.next_token(total, &query),
            total_size: total.total_size(),
        }))
    }

    async fn update_interaction(
        &self,
        request: Request<pb::UpdateInteractionRequest>,
    ) -> Result<Response<pb::Interaction>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let Some(changes) = r.interaction else {
            return Err(invalid_argument("interaction", "is required"));
        };
        let id = interaction_id("interaction.name", &changes.name)?;
        let Some(mask) = r.update_mask.filter(|m| !m.paths.is_empty()) else {
            return Err(invalid_argument(
                "update_mask",
                "is required and must name at least one field",
            ));
        };
        let patch = patch_from(&changes, &mask.paths)?;
        let etag = Some(r.etag).filter(|e| !e.is_empty());
        let updated = self
            .store
            .modify_interaction(&caller, &id, etag, "UpdateInteraction", move |i, now| {
                i.apply(patch, now)
            })
            .await?;
        Ok(Response::new(interaction(updated)))
    }

    async fn complete_interaction(
        &self,
        request: Request<pb::CompleteInteractionRequest>,
    ) -> Result<Response<pb::Interaction>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let id = interaction_id("name", &r.name)?;
        let mut v = Violations::new();
        let duration = v.check(
            r.call_duration
                .as_ref()
                .map(|d| whole_seconds("call_duration", d))
                .transpose(),
        );
        let user_data = v.check(
            struct_to_json("user_data", r.user_data.as_ref()).and_then(|m| bounded_json("user_data", m)),
        );
        v.finish()?;
        let updated = self
            .store
            .modify_interaction(&caller, &id, None, "CompleteInteraction", move |i, now| {
                i.complete(duration, user_data, now)
            })
            .await?;
        Ok(Response::new(interaction(updated)))
    }
}

/// Reads the masked fields of `changes` into a validated patch.
fn patch_from(changes: &pb::Interaction, paths: &[String]) -> Result<InteractionPatch, DomainError> {
    let mut v = Violations::new();
    let mut patch = InteractionPatch::default();
    let field = |name: &str| format!("interaction.{name}");
    for path in paths {
        match path.as_str() {
            "state" => match from_state(changes.state) {
                Some(state) => {
                    let literal = v.check(from_literal(
                        "interaction.state_literal",
                        changes.state_literal.as_ref(),
                    ));
                    patch.state = Some((state, literal));
                }
                None => v.add(field("state"), "must be NEW, PENDING, IN_PROCESS or STOPPED"),
            },
            "contact_id" => {
                patch.contact_id =
                    Some(v.check(optional_text(&field(path), &changes.contact_id, MAX_SHORT_TEXT)))
            }
            "parent_id" => {
                patch.parent_id =
                    Some(v.check(optional_text(&field(path), &changes.parent_id, MAX_SHORT_TEXT)))
            }
            "thread_id" => {
                patch.thread_id =
                    Some(v.check(optional_text(&field(path), &changes.thread_id, MAX_SHORT_TEXT)))
            }
            "subject" => {
                patch.subject = Some(v.check(optional_text(&field(path), &changes.subject, MAX_LONG_TEXT)))
            }
            "comment" => {
                patch.comment = Some(v.check(optional_text(&field(path), &changes.comment, MAX_LONG_TEXT)))
            }
            "custom_attributes" => {
                let mut attributes = BTreeMap::new();
                for (key, value) in &changes.custom_attributes {
                    let name = format!("interaction.custom_attributes[{key:?}]");
                    if key.is_empty() || key.len() > MAX_SHORT_TEXT {
                        v.add(&name, format!("keys must be 1-{MAX_SHORT_TEXT} bytes"));
                    }
                    if let Some(value) = v.check(optional_text(&name, value, MAX_LONG_TEXT)) {
                        attributes.insert(key.clone(), value);
                    }
                }
                patch.custom_attributes = Some(attributes);
            }
            "call_duration" => {
                let secs = changes
                    .call_duration
                    .as_ref()
                    .map(|d| whole_seconds(&field(path), d))
                    .transpose();
                patch.call_duration_secs = Some(v.check(secs));
            }
            "user_data" => {
                let data = struct_to_json(&field(path), changes.user_data.as_ref())
                    .and_then(|m| bounded_json(&field(path), m));
                patch.user_data = Some(v.check(data));
            }
            other => v.add(
                "update_mask",
                format!(
                    "cannot update '{other}'; updatable: state, contact_id, parent_id, thread_id, subject, \
                     comment, custom_attributes, call_duration, user_data"
                ),
            ),
        }
    }
    v.finish()?;
    Ok(patch)
}
