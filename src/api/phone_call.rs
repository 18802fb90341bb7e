//! `PhoneCallService`: validates each request into a domain value (every
//! violation at once), lets the store apply it through the call state
//! machine, and converts the result.

use tonic::{Request, Response, Status};

use super::convert::common::whole_seconds;
use super::convert::phone_call::{
    check_read_mask, from_call_type, from_caller_id, from_recording_format, masked, phone_call,
};
use super::{caller, idempotency};
use crate::domain::error::Violations;
use crate::domain::filter::Filter;
use crate::domain::ids::{PhoneCallId, parse_name};
use crate::domain::order::{OrderTerm, parse_order_by};
use crate::domain::page::{Page, PageLimits};
use crate::domain::phone_call::{
    Action, FILTER_SCHEMA, NewPhoneCall, NewPhoneCallInput, ORDER_FIELDS, Supervision, Target, display_name,
    parse_extension, parse_leg_id, parse_number, timer_limit, wait_for_pickup,
};
use crate::domain::{Caller, DomainError};
use crate::pb;
use crate::pb::phone_call_service_server::PhoneCallService;
use crate::store::Store;

const PAGE_LIMITS: PageLimits = PageLimits {
    default_size: 20,
    max_size: 1000,
};

const DEFAULT_ORDER: &[OrderTerm] = &[OrderTerm {
    field: "create_time",
    descending: false,
}];

/// The `PhoneCallService` implementation.
#[derive(Clone, Debug)]
pub struct PhoneCalls {
    store: Store,
}

impl PhoneCalls {
    /// The service over `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    async fn act(
        &self,
        caller: &Caller,
        id: &str,
        change: &'static str,
        action: Action,
    ) -> Result<Response<pb::PhoneCall>, Status> {
        let call = self.store.modify_phone_call(caller, id, change, action).await?;
        Ok(Response::new(phone_call(&call)))
    }
}

/// The id of `phoneCalls/{id}`.
fn call_id(name: &str) -> Result<String, DomainError> {
    let id = parse_name("name", name, "phoneCalls")?;
    Ok(PhoneCallId::parse("name", id)?.to_string())
}

fn required_leg(value: &str) -> Result<String, DomainError> {
    parse_leg_id("leg_id", value)?.ok_or_else(|| DomainError::invalid("leg_id", "is required"))
}

fn optional_number(field: &str, value: &str) -> Result<Option<String>, DomainError> {
    if value.is_empty() {
        Ok(None)
    } else {
        parse_number(field, value).map(|(number, _)| Some(number))
    }
}

fn seconds_of(field: &str, duration: Option<&prost_types::Duration>) -> Result<Option<i64>, DomainError> {
    duration.map(|d| whole_seconds(field, d)).transpose()
}

/// The extension a joining leg rings, with its caller id and pickup wait.
fn target(
    v: &mut Violations,
    send_call_to: &str,
    caller_id: Option<&pb::CallerId>,
    wait: Option<&prost_types::Duration>,
) -> Target {
    let extension = v.check(parse_extension("send_call_to", send_call_to));
    let caller_id = v.check(from_caller_id("caller_id", caller_id));
    let wait = v.check(seconds_of("wait_for_pickup", wait));
    let wait_for_pickup_secs = v.check(wait_for_pickup("wait_for_pickup", wait));
    Target {
        extension,
        caller_id,
        wait_for_pickup_secs,
    }
}

/// The call id and optional leg id every action names.
fn call_and_leg(v: &mut Violations, name: &str, leg_id: &str) -> (String, Option<String>) {
    (v.check(call_id(name)), v.check(parse_leg_id("leg_id", leg_id)))
}

/// The fields of the requests that ring an extension into a call (unpark,
/// pick up, barge in, whisper, monitor), validated together.
fn joining(
    name: &str,
    leg_id: &str,
    send_call_to: &str,
    caller_id: Option<&pb::CallerId>,
    wait: Option<&prost_types::Duration>,
) -> Result<(String, Option<String>, Target), DomainError> {
    let mut v = Violations::new();
    let (id, leg) = call_and_leg(&mut v, name, leg_id);
    let target = target(&mut v, send_call_to, caller_id, wait);
    v.finish()?;
    Ok((id, leg, target))
}

#[tonic::async_trait]
impl PhoneCallService for PhoneCalls {
    async fn create_phone_call(
        &self,
        request: Request<pb::CreatePhoneCallRequest>,
    ) -> Result<Response<pb::PhoneCall>, Status> {
        let caller = caller(&request)?;
        let key = idempotency::key_of(&request, "CreatePhoneCall")?;
        let r = request.into_inner();
        let mut v = Violations::new();
        let caller_id = v.check(from_caller_id("caller_id", r.caller_id.as_ref()));
        let caller_id_destination = v.check(from_caller_id(
            "caller_id_destination",
            r.caller_id_destination.as_ref(),
        ));
        let wait_for_pickup_secs = v.check(seconds_of("wait_for_pickup", r.wait_for_pickup.as_ref()));
        let max_duration_secs = v.check(seconds_of("max_duration", r.max_duration.as_ref()));
        let parsed = NewPhoneCall::parse(NewPhoneCallInput {
            call_type: from_call_type(r.r#type),
            extension: &r.extension,
            source: &r.source,
            destination: &r.destination,
            caller_id,
            caller_id_destination,
            request_id: &r.request_id,
            wait_for_pickup_secs,
            max_duration_secs,
            allow_public_transfer: r.allow_public_transfer,
            video: r.video,
            conference_number: &r.conference_number,
            conference_pin: &r.conference_pin,
        });
        let new = v.check(parsed.map(Some));
        v.finish()?;
        let Some(new) = new else {
            unreachable!("finish() reports a failed parse")
        };
        let (call, created) = self.store.create_phone_call(&caller, new, key).await?;
        Ok(idempotency::respond(phone_call(&call), created))
    }

    async fn get_phone_call(
        &self,
        request: Request<pb::GetPhoneCallRequest>,
    ) -> Result<Response<pb::PhoneCall>, Status> {
        let caller = caller(&request)?;
        let id = call_id(&request.get_ref().name)?;
        let call = self.store.get_phone_call(&caller, &id).await?;
        Ok(Response::new(phone_call(&call)))
    }

    async fn list_phone_calls(
        &self,
        request: Request<pb::ListPhoneCallsRequest>,
    ) -> Result<Response<pb::ListPhoneCallsResponse>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let paths = r.read_mask.map(|m| m.paths).unwrap_or_default();
        let mut v = Violations::new();
        let filter = v.check(Filter::parse(&r.filter, FILTER_SCHEMA).map(Some));
        let order = v.check(parse_order_by(&r.order_by, ORDER_FIELDS, DEFAULT_ORDER));
        v.check(check_read_mask(&paths));
        let query = [r.filter.as_str(), r.order_by.as_str()];
        let page =
            v.check(Page::from_request(PAGE_LIMITS, r.page_size, &r.page_token, r.skip, &query).map(Some));
        v.finish()?;
        let (Some(filter), Some(page)) = (filter, page) else {
            unreachable!("finish() reports a bad filter or page")
        };
        let (calls, total) = self
            .store
            .list_phone_calls(&caller, &filter, &order, page, !r.skip_total_size)
            .await?;
        Ok(Response::new(pb::ListPhoneCallsResponse {
            phone_calls: calls.iter().map(|c| masked(phone_call(c), &paths)).collect(),
            next_page_token: page.next_token(total, &query),
            total_size: total.total_size(),
        }))
    }

    async fn get_phone_call_owner(
        &self,
        request: Request<pb::GetPhoneCallOwnerRequest>,
    ) -> Result<Response<pb::PhoneCallOwner>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(pb::PhoneCallOwner {
            id: caller.user.id.to_string(),
            name: display_name(&caller.user),
        }))
    }

    async fn answer_phone_call(
        &self,
        request: Request<pb::AnswerPhoneCallRequest>,
    ) -> Result<Response<pb::PhoneCall>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let mut v = Violations::new();
        let (id, leg) = call_and_leg(&mut v, &r.name, &r.leg_id);
        v.finish()?;
        self.act(&caller, &id, "AnswerPhoneCall", Action::Answer { leg })
            .await
    }

    async fn park_phone_call(
        &self,
        request: Request<pb::ParkPhoneCallRequest>,
    ) -> Result<Response<pb::PhoneCall>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let mut v = Violations::new();
        let (id, leg) = call_and_leg(&mut v, &r.name, &r.leg_id);
        let max = v.check(seconds_of("max_in_parking", r.max_in_parking.as_ref()));
        let max_in_parking_secs = v.check(timer_limit("max_in_parking", max));
        v.finish()?;
        let action = Action::Park {
            leg,
            max_in_parking_secs,
        };
        self.act(&caller, &id, "ParkPhoneCall", action).await
    }

    async fn unpark_phone_call(
        &self,
        request: Request<pb::UnparkPhoneCallRequest>,
    ) -> Result<Response<pb::PhoneCall>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let (id, leg, target) = joining(
            &r.name,
            &r.leg_id,
            &r.send_call_to,
            r.caller_id.as_ref(),
            r.wait_for_pickup.as_ref(),
        )?;
        self.act(&caller, &id, "UnparkPhoneCall", Action::Unpark { leg, target })
            .await
    }

    async fn hold_phone_call(
        &self,
        request: Request<pb::HoldPhoneCallRequest>,
    ) -> Result<Response<pb::PhoneCall>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let mut v = Violations::new();
        let id = v.check(call_id(&r.name));
        let leg = v.check(required_leg(&r.leg_id));
        v.finish()?;
        self.act(&caller, &id, "HoldPhoneCall", Action::Hold { leg })
            .await
    }

    async fn unhold_phone_call(
        &self,
        request: Request<pb::UnholdPhoneCallRequest>,
    ) -> Result<Response<pb::PhoneCall>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let mut v = Violations::new();
        let (id, leg) = call_and_leg(&mut v, &r.name, &r.leg_id);
        v.finish()?;
        self.act(&caller, &id, "UnholdPhoneCall", Action::Unhold { leg })
            .await
    }

    async fn start_phone_call_recording(
        &self,
        request: Request<pb::StartPhoneCallRecordingRequest>,
    ) -> Result<Response<pb::PhoneCall>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let mut v = Violations::new();
        let id = v.check(call_id(&r.name));
        let leg = v.check(required_leg(&r.leg_id));
        let format = v.check(from_recording_format("format", r.format).map(Some));
        v.finish()?;
        let Some(format) = format else {
            unreachable!("finish() reports a bad format")
        };
        let action = Action::StartRecording { leg, format };
        self.act(&caller, &id, "StartPhoneCallRecording", action).await
    }

    async fn stop_phone_call_recording(
        &self,
        request: Request<pb::StopPhoneCallRecordingRequest>,
    ) -> Result<Response<pb::PhoneCall>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let mut v = Violations::new();
        let (id, leg) = call_and_leg(&mut v, &r.name, &r.leg_id);
        v.finish()?;
        self.act(
            &caller,
            &id,
            "StopPhoneCallRecording",
            Action::StopRecording { leg },
        )
        .await
    }

    async fn pick_up_phone_call(
        &self,
        request: Request<pb::PickUpPhoneCallRequest>,
    ) -> Result<Response<pb::PhoneCall>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        // The wait is checked for compatibility; the picking extension is the
        // one answering, so nothing waits (see the proto).
        let (id, leg, target) = joining(
            &r.name,
            &r.leg_id,
            &r.send_call_to,
            r.caller_id.as_ref(),
            r.wait_for_pickup.as_ref(),
        )?;
        let action = Action::PickUp {
            leg,
            send_call_to: target.extension,
            caller_id: target.caller_id,
        };
        self.act(&caller, &id, "PickUpPhoneCall", action).await
    }

    async fn barge_in_phone_call(
        &self,
        request: Request<pb::BargeInPhoneCallRequest>,
    ) -> Result<Response<pb::PhoneCall>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let (id, leg, target) = joining(
            &r.name,
            &r.leg_id,
            &r.send_call_to,
            r.caller_id.as_ref(),
            r.wait_for_pickup.as_ref(),
        )?;
        let mode = Supervision::BargeIn;
        let action = Action::Supervise {
            mode,
            leg,
            target,
            private: false,
        };
        self.act(&caller, &id, "BargeInPhoneCall", action).await
    }

    async fn whisper_phone_call(
        &self,
        request: Request<pb::WhisperPhoneCallRequest>,
    ) -> Result<Response<pb::PhoneCall>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let (id, leg, target) = joining(
            &r.name,
            &r.leg_id,
            &r.send_call_to,
            r.caller_id.as_ref(),
            r.wait_for_pickup.as_ref(),
        )?;
        let mode = Supervision::Whisper;
        let action = Action::Supervise {
            mode,
            leg,
            target,
            private: r.private,
        };
        self.act(&caller, &id, "WhisperPhoneCall", action).await
    }

    async fn monitor_phone_call(
        &self,
        request: Request<pb::MonitorPhoneCallRequest>,
    ) -> Result<Response<pb::PhoneCall>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let (id, leg, target) = joining(
            &r.name,
            &r.leg_id,
            &r.send_call_to,
            r.caller_id.as_ref(),
            r.wait_for_pickup.as_ref(),
        )?;
        let mode = Supervision::Monitor;
        let action = Action::Supervise {
            mode,
            leg,
            target,
            private: false,
        };
        self.act(&caller, &id, "MonitorPhoneCall", action).await
    }

    async fn transfer_phone_call(
        &self,
        request: Request<pb::TransferPhoneCallRequest>,
    ) -> Result<Response<pb::PhoneCall>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let mut v = Violations::new();
        let id = v.check(call_id(&r.name));
        let send_call_to = v.check(parse_number("send_call_to", &r.send_call_to).map(|(n, _)| n));
        let transfer_from_number = v.check(optional_number("transfer_from_number", &r.transfer_from_number));
        let transfer_number = v.check(optional_number("transfer_number", &r.transfer_number));
        v.finish()?;
        let action = Action::Transfer {
            send_call_to,
            transfer_from_number,
            transfer_number,
        };
        self.act(&caller, &id, "TransferPhoneCall", action).await
    }

    async fn transfer_phone_call_to_voicemail(
        &self,
        request: Request<pb::TransferPhoneCallToVoicemailRequest>,
    ) -> Result<Response<pb::PhoneCall>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let mut v = Violations::new();
        let id = v.check(call_id(&r.name));
        let send_call_to = v.check(parse_extension("send_call_to", &r.send_call_to));
        let transfer_from_number = v.check(optional_number("transfer_from_number", &r.transfer_from_number));
        v.finish()?;
        let action = Action::TransferToVoicemail {
            send_call_to,
            transfer_from_number,
        };
        self.act(&caller, &id, "TransferPhoneCallToVoicemail", action)
            .await
    }

    async fn hang_up_phone_call(
        &self,
        request: Request<pb::HangUpPhoneCallRequest>,
    ) -> Result<Response<pb::PhoneCall>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let mut v = Violations::new();
        let id = v.check(call_id(&r.name));
        let phone_number = v.check(optional_number("phone_number", &r.phone_number));
        v.finish()?;
        self.act(&caller, &id, "HangUpPhoneCall", Action::HangUp { phone_number })
            .await
    }
}
