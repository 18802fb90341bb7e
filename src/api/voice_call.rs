//! `VoiceCallService`: Salesforce and vcita voice calls over one resource.

use serde_json::Value;
use tonic::{Request, Response, Status};

use super::convert::common::{from_call_state, from_literal, from_timestamp};
use super::convert::voice_call::{
    DATA_FIELDS, call_key, from_call_subtype, from_direction, from_initiation_method, from_participant_type,
    message, read_field, read_set_fields, voice_call,
};
use super::error::{invalid_argument, permission_denied};
use super::{caller, idempotency};
use crate::auth::CallCenterScope;
use crate::domain::DomainError;
use crate::domain::common::{CallState, MAX_SHORT_TEXT};
use crate::domain::error::Violations;
use crate::domain::filter::Filter;
use crate::domain::order::{OrderTerm, parse_order_by};
use crate::domain::page::{Matches, Page, PageLimits};
use crate::domain::voice_call::{
    CLEARABLE, FILTER_SCHEMA, MAX_BATCH_MESSAGES, NewMessage, NewVoiceCall, NewVoiceCallInput, ORDER_FIELDS,
    VoiceCallPatch, check_message,
};
use crate::pb;
use crate::pb::voice_call_service_server::VoiceCallService;
use crate::store::Store;

const PAGE_LIMITS: PageLimits = PageLimits {
    default_size: 25,
    max_size: 1000,
};

const MESSAGE_PAGE_LIMITS: PageLimits = PageLimits {
    default_size: 100,
    max_size: 1000,
};

const DEFAULT_ORDER: &[OrderTerm] = &[OrderTerm {
    field: "update_time",
    descending: true,
}];

/// Paths `UpdateVoiceCall` refuses outright.
const OUTPUT_ONLY: &[&str] = &[
    "name",
    "id",
    "state_literal",
    "handle_time",
    "transcript_status",
    "interaction",
    "create_time",
    "update_time",
    "etag",
];

/// The `VoiceCallService` implementation.
#[derive(Clone, Debug)]
pub struct VoiceCalls {
    store: Store,
}

impl VoiceCalls {
    /// The service over `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

#[tonic::async_trait]
impl VoiceCallService for VoiceCalls {
    async fn create_voice_call(
        &self,
        request: Request<pb::CreateVoiceCallRequest>,
    ) -> Result<Response<pb::VoiceCall>, Status> {
        let caller = caller(&request)?;
        let key = idempotency::key_of(&request, "CreateVoiceCall")?;
        let scope = request.extensions().get::<CallCenterScope>().cloned();
        let r = request.into_inner();
        let Some(mut c) = r.voice_call else {
            return Err(invalid_argument("voice_call", "is required"));
        };
        if let Some(CallCenterScope(center)) = scope {
            if c.call_center_api_name.is_empty() {
                c.call_center_api_name = center;
            } else if c.call_center_api_name != center {
                return Err(permission_denied(
                    format!(
                        "the credential was issued for call center {center}, not {}",
                        c.call_center_api_name
                    ),
                    "CALL_CENTER_MISMATCH",
                ));
            }
        }
        let mut v = Violations::new();
        // The numbers are checked with the identity fields, in the domain.
        let fields = read_set_fields(&mut v, &c, &["from_number", "to_number"]);
        let parent_key = if c.parent.is_empty() {
            ""
        } else {
            v.check(call_key("voice_call.parent", &c.parent).map(Some))
                .unwrap_or("")
        };
        let state = if c.state == 0 {
            None
        } else {
            let state = from_call_state(c.state);
            if state.is_none() {
                v.add("voice_call.state", "is not a known value");
            }
            state
        };
        let literal = r.state_literal.unwrap_or_default();
        let parsed = NewVoiceCall::parse(NewVoiceCallInput {
            vendor_call_key: &c.vendor_call_key,
            external_uuid: &c.external_uuid,
            call_center_api_name: &c.call_center_api_name,
            telephony_provider: &c.telephony_provider,
            parent_key,
            state,
            state_literal: (&literal.dialect, &literal.value),
            from_number: &c.from_number,
            to_number: &c.to_number,
            fields,
        });
        let new = v.check(parsed.map(Some));
        v.finish()?;
        let Some(new) = new else {
            unreachable!("finish() reports a failed parse")
        };
        let (call, created) = self.store.create_voice_call(&caller, new, key).await?;
        Ok(idempotency::respond(voice_call(&call), created))
    }

    async fn get_voice_call(
        &self,
        request: Request<pb::GetVoiceCallRequest>,
    ) -> Result<Response<pb::VoiceCall>, Status> {
        let caller = caller(&request)?;
        let key = call_key("name", &request.get_ref().name)?;
        let call = self.store.get_voice_call(&caller, key).await?;
        Ok(Response::new(voice_call(&call)))
    }

    async fn list_voice_calls(
        &self,
        request: Request<pb::ListVoiceCallsRequest>,
    ) -> Result<Response<pb::ListVoiceCallsResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let filter = Filter::parse(&r.filter, FILTER_SCHEMA)?;
        let order = parse_order_by(&r.order_by, ORDER_FIELDS, DEFAULT_ORDER)?;
        let query = [r.filter.as_str(), r.order_by.as_str()];
        let page = Page::from_request(PAGE_LIMITS, r.page_size, &r.page_token, r.skip, &query)?;
        let (items, total) = self
            .store
            .list_voice_calls(&caller, &filter, &order, page, !r.skip_total_size)
            .await?;
        Ok(Response::new(pb::ListVoiceCallsResponse {
            voice_calls: items.iter().map(voice_call).collect(),
            next_page_token: page.next_token(total, &query),
            total_size: total.total_size(),
        }))
    }

    async fn update_voice_call(
        &self,
        request: Request<pb::UpdateVoiceCallRequest>,
    ) -> Result<Response<pb::VoiceCall>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let Some(changes) = r.voice_call else {
            return Err(invalid_argument("voice_call", "is required"));
        };
        let key = call_key("voice_call.name", &changes.name)?.to_owned();
        let Some(mask) = r.update_mask.filter(|m| !m.paths.is_empty()) else {
            return Err(invalid_argument(
                "update_mask",
                "is required and must name at least one field",
            ));
        };
        let patch = patch_from(&changes, &mask.paths, r.state_literal.as_ref())?;
        let etag = Some(r.etag).filter(|e| !e.is_empty());
        let updated = self
            .store
            .modify_voice_call(&caller, &key, etag, "UpdateVoiceCall", move |call, now| {
                call.apply(patch, now)
            })
            .await?;
        Ok(Response::new(voice_call(&updated)))
    }

    async fn batch_create_voice_call_messages(
        &self,
        request: Request<pb::BatchCreateVoiceCallMessagesRequest>,
    ) -> Result<Response<pb::BatchCreateVoiceCallMessagesResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let batch_parent = call_key("parent", &r.parent)?;
        let mut v = Violations::new();
        if r.requests.is_empty() {
            v.add("requests", "must hold at least one message");
        }
        if r.requests.len() > MAX_BATCH_MESSAGES {
            v.add(
                "requests",
                format!("at most {MAX_BATCH_MESSAGES} messages per batch"),
            );
        }
        let mut messages = Vec::with_capacity(r.requests.len());
        for (i, item) in r.requests.iter().enumerate() {
            let field = format!("requests[{i}]");
            let own_parent = if item.parent.is_empty() {
                None
            } else {
                v.check(call_key(&format!("{field}.parent"), &item.parent).map(Some))
            };
            let call = match (batch_parent, own_parent) {
                ("-", Some(own)) => own,
                ("-", None) => {
                    v.add(
                        format!("{field}.parent"),
                        "is required when the batch parent is voiceCalls/-",
                    );
                    continue;
                }
                (batch, Some(own)) if own != batch => {
                    v.add(format!("{field}.parent"), "must match the batch parent");
                    continue;
                }
                (batch, _) => batch,
            };
            let Some(m) = &item.message else {
                v.add(format!("{field}.message"), "is required");
                continue;
            };
            let field = format!("{field}.message");
            let sender_type = match from_participant_type(m.sender_type) {
                Ok(Some(t)) => Some(t),
                Ok(None) => {
                    v.add(format!("{field}.sender_type"), "is required");
                    None
                }
                Err(_) => {
                    v.add(format!("{field}.sender_type"), "is not a known value");
                    None
                }
            };
            let start = match &m.start_time {
                Some(t) => v.check(from_timestamp(&format!("{field}.start_time"), t).map(Some)),
                None => {
                    v.add(format!("{field}.start_time"), "is required");
                    None
                }
            };
            let end = m
                .end_time
                .as_ref()
                .and_then(|t| v.check(from_timestamp(&format!("{field}.end_time"), t).map(Some)));
            let (participant_id, message_id, content) = check_message(
                &mut v,
                &field,
                &m.participant_id,
                &m.message_id,
                &m.content,
                start,
                end,
            );
            if let (Some(sender_type), Some(start_time)) = (sender_type, start) {
                messages.push(NewMessage {
                    call_key: call.to_owned(),
                    participant_id,
                    sender_type,
                    message_id,
                    content,
                    start_time,
                    end_time: end,
                });
            }
        }
        v.finish()?;
        let stored = self.store.add_voice_call_messages(&caller, messages).await?;
        Ok(Response::new(pb::BatchCreateVoiceCallMessagesResponse {
            messages: stored.iter().map(message).collect(),
        }))
    }

    async fn list_voice_call_messages(
        &self,
        request: Request<pb::ListVoiceCallMessagesRequest>,
    ) -> Result<Response<pb::ListVoiceCallMessagesResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let key = call_key("parent", &r.parent)?;
        let query = [r.parent.as_str()];
        let page = Page::from_request(MESSAGE_PAGE_LIMITS, r.page_size, &r.page_token, 0, &query)?;
        let (_call, messages, total) = self.store.list_voice_call_messages(&caller, key, page).await?;
        Ok(Response::new(pb::ListVoiceCallMessagesResponse {
            messages: messages.iter().map(message).collect(),
            next_page_token: page.next_token(Matches::Counted(total), &query),
        }))
    }

    async fn get_voice_call_stats(
        &self,
        request: Request<pb::GetVoiceCallStatsRequest>,
    ) -> Result<Response<pb::VoiceCallStats>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let mut v = Violations::new();
        let start = r
            .start_time
            .as_ref()
            .and_then(|t| v.check(from_timestamp("start_time", t).map(Some)));
        let end = r
            .end_time
            .as_ref()
            .and_then(|t| v.check(from_timestamp("end_time", t).map(Some)));
        if let (Some(start), Some(end)) = (start, end)
            && end < start
        {
            v.add("end_time", "must not be before start_time");
        }
        let mut states: Vec<CallState> = Vec::with_capacity(r.states.len());
        for (i, &state) in r.states.iter().enumerate() {
            match from_call_state(state) {
                Some(state) => states.push(state),
                None => v.add(format!("states[{i}]"), "is not a known call state"),
            }
        }
        v.finish()?;
        let counts = self.store.voice_call_stats(&caller, start, end, &states).await?;
        Ok(Response::new(pb::VoiceCallStats {
            total: counts.iter().map(|c| c.count).sum(),
            state_counts: counts
                .iter()
                .map(|c| pb::voice_call_stats::StateCount {
                    state: super::convert::common::call_state(c.state).into(),
                    state_literal: super::convert::common::literal(c.literal.as_ref()),
                    count: c.count,
                })
                .collect(),
        }))
    }
}

/// Reads the masked fields of `changes` into a validated patch.
fn patch_from(
    changes: &pb::VoiceCall,
    paths: &[String],
    state_literal: Option<&pb::VendorLiteral>,
) -> Result<VoiceCallPatch, DomainError> {
    let mut v = Violations::new();
    let mut patch = VoiceCallPatch::default();
    let attributes = super::convert::common::struct_to_json(
        "voice_call.call_attributes",
        changes.call_attributes.as_ref(),
    );
    for path in paths {
        let path = path.as_str();
        let field = format!("voice_call.{path}");
        if let Some(key) = path.strip_prefix("call_attributes.") {
            let key = key
                .strip_prefix('`')
                .and_then(|k| k.strip_suffix('`'))
                .unwrap_or(key);
            if key.is_empty() || key.len() > MAX_SHORT_TEXT {
                v.add("update_mask", format!("'{path}' does not name an attribute key"));
                continue;
            }
            if let Ok(map) = &attributes {
                let value = map.get(key).cloned().unwrap_or(Value::Null);
                patch.attribute_updates.insert(key.to_owned(), value);
            }
            continue;
        }
        match path {
            "state" => match from_call_state(changes.state) {
                Some(state) => {
                    let literal = v.check(from_literal("state_literal", state_literal));
                    patch.state = Some((state, literal));
                }
                None => v.add(&field, "must be a call state other than CALL_STATE_UNSPECIFIED"),
            },
            "vendor_call_key" => patch.immutable.vendor_call_key = Some(changes.vendor_call_key.clone()),
            "external_uuid" => patch.immutable.external_uuid = Some(changes.external_uuid.clone()),
            "call_center_api_name" => {
                patch.immutable.call_center_api_name = Some(changes.call_center_api_name.clone())
            }
            "to_number" => patch.immutable.to_number = Some(changes.to_number.clone()),
            "direction" => match from_direction(changes.direction) {
                Ok(Some(d)) => patch.immutable.direction = Some(d),
                _ => v.add(&field, "is immutable"),
            },
            "initiation_method" => match from_initiation_method(changes.initiation_method) {
                Ok(Some(m)) => patch.immutable.initiation_method = Some(m),
                _ => v.add(&field, "is immutable"),
            },
            "call_subtype" => match from_call_subtype(changes.call_subtype) {
                Ok(Some(s)) => patch.immutable.call_subtype = Some(s),
                _ => v.add(&field, "is immutable"),
            },
            "parent" | "telephony_provider" => v.add(&field, "is immutable"),
            "participants" => {
                read_field(&mut v, changes, path, &mut patch.set);
                patch.replace_participants = true;
            }
            "call_attributes" => {
                read_field(&mut v, changes, path, &mut patch.set);
                patch.replace_attributes = true;
            }
            "from_number" => read_field(&mut v, changes, path, &mut patch.set),
            p if OUTPUT_ONLY.contains(&p) => v.add(&field, "is output only"),
            p if DATA_FIELDS.contains(&p) => {
                if super::convert::voice_call::is_set(changes, p) {
                    read_field(&mut v, changes, p, &mut patch.set);
                } else if let Some(name) = CLEARABLE.iter().find(|c| **c == p) {
                    patch.clear.push(name);
                }
            }
            other => v.add("update_mask", format!("'{other}' is not a field of VoiceCall")),
        }
    }
    if let Err(e) = attributes
        && (patch.replace_attributes || !patch.attribute_updates.is_empty())
    {
        v.check::<()>(Err(e));
    }
    v.finish()?;
    Ok(patch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(p: &[&str]) -> Vec<String> {
        p.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn patch_reads_masked_fields_clears_and_refuses_output_only() {
        let changes = pb::VoiceCall {
            queue: "support".into(),
            rate: "0.05".into(),
            call_attributes: Some(super::super::convert::common::json_to_struct(
                serde_json::json!({"Source Type": "Sales"}).as_object().unwrap(),
            )),
            ..Default::default()
        };
        let patch = patch_from(
            &changes,
            &paths(&["queue", "rate", "agent", "call_attributes.`Source Type`"]),
            None,
        )
        .unwrap();
        assert_eq!(patch.set.queue.as_deref(), Some("support"));
        assert_eq!(patch.clear, ["agent"]);
        assert_eq!(patch.attribute_updates["Source Type"], "Sales");
        let err = patch_from(&changes, &paths(&["etag", "parent", "nonsense", "state"]), None).unwrap_err();
        let DomainError::InvalidArgument(violations) = err else {
            panic!()
        };
        let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "voice_call.etag",
                "voice_call.parent",
                "update_mask",
                "voice_call.state"
            ]
        );
    }
}
