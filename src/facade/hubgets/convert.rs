//! UnifiedAPI DTOs ↔ `switchboard.v1` messages. Only translation lives here
//! (names, spellings, number formats, the filter syntax); every rule is
//! checked by the gRPC API.

use chrono::SecondsFormat;

use super::dto::{
    ActionBody, CallParties, CallRef, Collection, CreateBody, CreateQuery, Empty, Entry, Flag, HangUpBody,
    ListQuery, Scalar, SelfLink, View,
};
use super::error::Error;
use crate::domain::filter::quote;
use crate::domain::phone_call::CallerId;
use crate::pb;
use crate::pb::phone_call::leg::Status as LegStatus;
use crate::pb::phone_call::{Disposition, Type};

/// The page size when `count` is not given (UnifiedAPI's `itemsPerPage`).
pub const DEFAULT_COUNT: u32 = 20;
/// The largest page the API returns.
pub const MAX_COUNT: u32 = 1000;

/// Only calls that are "in the system" (UnifiedAPI lists live calls).
pub const LIVE: &str = "(state = CALL_STATE_RINGING OR state = CALL_STATE_ACTIVE)";

/// The call type of a create path segment; `None` for anything else.
pub fn call_type(segment: &str) -> Option<Type> {
    match segment {
        "simple" => Some(Type::Simple),
        "callback" => Some(Type::Callback),
        "conferenceInvite" => Some(Type::ConferenceInvite),
        _ => None,
    }
}

fn caller_id(field: &str, text: &str) -> Result<pb::CallerId, Error> {
    let parsed = CallerId::parse(field, text).map_err(|e| Error::Invalid(e.to_string()))?;
    Ok(pb::CallerId {
        name: parsed.name.unwrap_or_default(),
        number: parsed.number,
    })
}

fn seconds(field: &str, text: &str) -> Result<prost_types::Duration, Error> {
    text.trim()
        .parse::<u32>()
        .map(|s| prost_types::Duration {
            seconds: i64::from(s),
            nanos: 0,
        })
        .map_err(|_| Error::Invalid(format!("{field} must be a whole number of seconds")))
}

fn scalar_seconds(field: &str, value: &Scalar) -> Result<prost_types::Duration, Error> {
    seconds(field, &value.to_string())
}

fn boolean(field: &str, text: &str) -> Result<bool, Error> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(Error::Invalid(format!("{field} must be true or false"))),
    }
}

/// Most calls one create request may place: each is a real call (and a
/// write), so a body of thousands of views would be a denial of service.
pub const MAX_CALLS_PER_CREATE: usize = 20;

/// The requests of a create: one per `phoneCallView` element (or one from
/// the top-level fields), element fields overriding top-level ones. With
/// several elements each gets its own key, `{nonce}#{index}`, so a retried
/// batch is still created exactly once.
pub fn create_requests(
    kind: Type,
    query: &CreateQuery,
    body: CreateBody,
) -> Result<Vec<pb::CreatePhoneCallRequest>, Error> {
    let wait_for_pickup = query
        .wait_for_pickup
        .as_deref()
        .map(|w| seconds("waitForPickup", w))
        .transpose()?;
    let max_duration = query
        .call_duration
        .as_deref()
        .map(|d| seconds("callDuration", d))
        .transpose()?;
    let allow_public_transfer = query
        .allow_public_transfer
        .as_deref()
        .map(|f| boolean("allowPublicTransfer", f))
        .transpose()?
        .unwrap_or(false);
    let video = query
        .video
        .as_deref()
        .map(|f| boolean("video", f))
        .transpose()?
        .unwrap_or(false);
    let CreateBody {
        parties: defaults,
        phone_call_view,
    } = body;
    let views = match phone_call_view {
        Some(views) if views.len() > MAX_CALLS_PER_CREATE => {
            return Err(Error::Invalid(format!(
                "phoneCallView holds {} calls; at most {MAX_CALLS_PER_CREATE} may be created per request",
                views.len()
            )));
        }
        Some(views) if !views.is_empty() => views,
        _ => vec![CallParties::default()],
    };
    let several = views.len() > 1;
    views
        .into_iter()
        .enumerate()
        .map(|(index, view)| {
            let pick = |own: Option<Scalar>, default: &Option<Scalar>| own.or_else(|| default.clone());
            let nonce = pick(view.nonce, &defaults.nonce).map(|n| {
                if several {
                    format!("{n}#{index}")
                } else {
                    n.to_string()
                }
            });
            let caller_id_text = view.caller_id.or_else(|| defaults.caller_id.clone());
            let destination_text = view
                .caller_id_destination
                .or_else(|| defaults.caller_id_destination.clone());
            Ok(pb::CreatePhoneCallRequest {
                r#type: kind.into(),
                extension: pick(view.extension, &defaults.extension)
                    .map(|e| e.to_string())
                    .unwrap_or_default(),
                source: view
                    .source
                    .or_else(|| defaults.source.clone())
                    .map(|n| n.into_strings())
                    .unwrap_or_default(),
                destination: view
                    .destination
                    .or_else(|| defaults.destination.clone())
                    .map(|n| n.into_strings())
                    .unwrap_or_default(),
                caller_id: caller_id_text.map(|t| caller_id("callerId", &t)).transpose()?,
                caller_id_destination: destination_text
                    .map(|t| caller_id("callerIdDestination", &t))
                    .transpose()?,
                request_id: nonce.unwrap_or_default(),
                wait_for_pickup,
                max_duration,
                allow_public_transfer,
                video,
                conference_number: query.number.clone().unwrap_or_default(),
                conference_pin: query.pin.clone().unwrap_or_default(),
            })
        })
        .collect()
}

/// A call-control request, without the call's name yet.
#[derive(Clone, Debug)]
pub enum ActionRequest {
    /// `Park`.
    Park(pb::ParkPhoneCallRequest),
    /// `UnPark`.
    Unpark(pb::UnparkPhoneCallRequest),
    /// `OnHold`.
    Hold(pb::HoldPhoneCallRequest),
    /// `OffHold`.
    Unhold(pb::UnholdPhoneCallRequest),
    /// `StartRecording`.
    StartRecording(pb::StartPhoneCallRecordingRequest),
    /// `StopRecording`.
    StopRecording(pb::StopPhoneCallRecordingRequest),
    /// `PickUp`.
    PickUp(pb::PickUpPhoneCallRequest),
    /// `BargeIn`.
    BargeIn(pb::BargeInPhoneCallRequest),
    /// `Whisper`.
    Whisper(pb::WhisperPhoneCallRequest),
    /// `Monitor`.
    Monitor(pb::MonitorPhoneCallRequest),
    /// `Transfer`.
    Transfer(pb::TransferPhoneCallRequest),
    /// `TransferToVoicemail`.
    TransferToVoicemail(pb::TransferPhoneCallToVoicemailRequest),
}

impl ActionRequest {
    /// The request for the call named `name`.
    pub fn for_call(&self, name: String) -> ActionRequest {
        let mut request = self.clone();
        match &mut request {
            ActionRequest::Park(r) => r.name = name,
            ActionRequest::Unpark(r) => r.name = name,
            ActionRequest::Hold(r) => r.name = name,
            ActionRequest::Unhold(r) => r.name = name,
            ActionRequest::StartRecording(r) => r.name = name,
            ActionRequest::StopRecording(r) => r.name = name,
            ActionRequest::PickUp(r) => r.name = name,
            ActionRequest::BargeIn(r) => r.name = name,
            ActionRequest::Whisper(r) => r.name = name,
            ActionRequest::Monitor(r) => r.name = name,
            ActionRequest::Transfer(r) => r.name = name,
            ActionRequest::TransferToVoicemail(r) => r.name = name,
        }
        request
    }
}

/// The leg id of `phoneCallViewId` (`"01"`, or `1` as a number).
fn leg_id(value: Option<Scalar>) -> String {
    match value {
        None => String::new(),
        Some(Scalar::Number(n)) => format!("{n:02}"),
        Some(Scalar::Text(text)) => text,
    }
}

fn flag(field: &str, value: &Flag) -> Result<bool, Error> {
    match value {
        Flag::Bool(b) => Ok(*b),
        Flag::Number(0) => Ok(false),
        Flag::Number(1) => Ok(true),
        Flag::Text(text) => boolean(field, text),
        Flag::Number(_) => Err(Error::Invalid(format!("{field} must be 0 or 1"))),
    }
}

/// The `action` names UnifiedAPI defines (with the spellings its pages use).
const ACTIONS: &str = "Park, UnPark, OnHold, OffHold, StartRecording, StopRecording, PickUp, BargeIn, \
                       Whisper, Monitor, Transfer, TransferToVoicemail";

/// Reads a `PhoneCallAction` body. Fields an action does not take are
/// ignored; fields it requires are checked by the API.
pub fn action_request(body: ActionBody) -> Result<ActionRequest, Error> {
    let Some(action) = body.action.as_deref().map(str::trim).filter(|a| !a.is_empty()) else {
        return Err(Error::Invalid(format!("action is required: one of {ACTIONS}")));
    };
    let leg_id = leg_id(body.phone_call_view_id);
    let send_call_to = body.send_call_to.map(|s| s.to_string()).unwrap_or_default();
    let caller_id = body
        .caller_id
        .as_deref()
        .map(|c| caller_id("callerId", c))
        .transpose()?;
    let wait_for_pickup = body
        .wait_for_pickup
        .as_ref()
        .map(|w| scalar_seconds("waitForPickup", w))
        .transpose()?;
    let transfer_from_number = body
        .transfer_from_number
        .map(|n| n.to_string())
        .unwrap_or_default();
    let name = String::new();
    Ok(match action {
        "Park" => ActionRequest::Park(pb::ParkPhoneCallRequest {
            name,
            leg_id,
            max_in_parking: body
                .max_in_parking
                .as_ref()
                .map(|m| scalar_seconds("maxInParking", m))
                .transpose()?,
        }),
        "UnPark" | "Unpark" => ActionRequest::Unpark(pb::UnparkPhoneCallRequest {
            name,
            leg_id,
            send_call_to,
            caller_id,
            wait_for_pickup,
        }),
        "OnHold" => ActionRequest::Hold(pb::HoldPhoneCallRequest { name, leg_id }),
        "OffHold" => ActionRequest::Unhold(pb::UnholdPhoneCallRequest { name, leg_id }),
        "StartRecording" => {
            let format = match body.format.as_deref().map(str::trim) {
                None | Some("") => pb::RecordingFormat::Unspecified,
                Some(f) if f.eq_ignore_ascii_case("wav") => pb::RecordingFormat::Wav,
                Some(f) if f.eq_ignore_ascii_case("wav49") => pb::RecordingFormat::Wav49,
                Some(other) => {
                    return Err(Error::Invalid(format!(
                        "format must be wav or wav49, not {other:?}"
                    )));
                }
            };
            ActionRequest::StartRecording(pb::StartPhoneCallRecordingRequest {
                name,
                leg_id,
                format: format.into(),
            })
        }
        "StopRecording" => ActionRequest::StopRecording(pb::StopPhoneCallRecordingRequest { name, leg_id }),
        "PickUp" | "Pickup" => ActionRequest::PickUp(pb::PickUpPhoneCallRequest {
            name,
            leg_id,
            send_call_to,
            caller_id,
            wait_for_pickup,
        }),
        "BargeIn" => ActionRequest::BargeIn(pb::BargeInPhoneCallRequest {
            name,
            leg_id,
            send_call_to,
            caller_id,
            wait_for_pickup,
        }),
        "Whisper" => ActionRequest::Whisper(pb::WhisperPhoneCallRequest {
            name,
            leg_id,
            send_call_to,
            caller_id,
            wait_for_pickup,
            private: body
                .private
                .as_ref()
                .map(|p| flag("private", p))
                .transpose()?
                .unwrap_or(false),
        }),
        "Monitor" => ActionRequest::Monitor(pb::MonitorPhoneCallRequest {
            name,
            leg_id,
            send_call_to,
            caller_id,
            wait_for_pickup,
        }),
        "Transfer" => ActionRequest::Transfer(pb::TransferPhoneCallRequest {
            name,
            send_call_to,
            transfer_from_number,
            transfer_number: body.transfer_number.map(|n| n.to_string()).unwrap_or_default(),
        }),
        "TransferToVoicemail" | "TransferToVoiceMail" => {
            ActionRequest::TransferToVoicemail(pb::TransferPhoneCallToVoicemailRequest {
                name,
                send_call_to,
                transfer_from_number,
            })
        }
        other => {
            return Err(Error::NotImplemented(format!(
                "The action {other:?} is not implemented; actions: {ACTIONS}."
            )));
        }
    })
}

/// The party a `DELETE` body names, if any.
pub fn hang_up_number(body: HangUpBody) -> String {
    body.phone_number.map(|n| n.to_string()).unwrap_or_default()
}

/// How the list envelope describes the request.
#[derive(Clone, Copy, Debug)]
pub struct ListShape {
    /// The `startIndex` asked for.
    pub start_index: u32,
    /// The page size used.
    pub items_per_page: u32,
    /// Whether `filterBy` was given.
    pub filtered: bool,
    /// Whether `sortOrder` was given.
    pub sorted: bool,
}

fn count(field: &str, text: Option<&str>) -> Result<Option<u32>, Error> {
    text.map(|t| {
        t.trim()
            .parse::<u32>()
            .map_err(|_| Error::Invalid(format!("{field} must be a whole number")))
    })
    .transpose()
}

/// The `ListPhoneCalls` request for a UnifiedAPI list: `scope` (which
/// extension or owner, and live calls only) AND the `filterBy` filter.
pub fn list_request(scope: &str, query: &ListQuery) -> Result<(pb::ListPhoneCallsRequest, ListShape), Error> {
    let page_size = match count("count", query.count.as_deref())? {
        None => DEFAULT_COUNT,
        Some(0) => return Err(Error::Invalid("count must be at least 1".to_owned())),
        Some(n) => n.min(MAX_COUNT),
    };
    let start_index = count("startIndex", query.start_index.as_deref())?.unwrap_or(0);
    let user_filter = user_filter(query)?;
    let filter = match &user_filter {
        Some(clause) => format!("{scope} AND ({clause})"),
        None => scope.to_owned(),
    };
    let order_by = match query.sort_order.as_deref().map(str::trim) {
        None | Some("") => "",
        Some(s) if s.eq_ignore_ascii_case("ascending") || s.eq_ignore_ascii_case("asc") => "create_time",
        Some(s) if s.eq_ignore_ascii_case("descending") || s.eq_ignore_ascii_case("desc") => {
            "create_time desc"
        }
        Some(other) => {
            return Err(Error::Invalid(format!(
                "sortOrder must be ascending or descending, not {other:?}"
            )));
        }
    };
    let read_mask = query
        .fields
        .as_deref()
        .filter(|f| !f.trim().is_empty())
        .map(read_mask)
        .transpose()?;
    let request = pb::ListPhoneCallsRequest {
        page_size: i32::try_from(page_size).unwrap_or(i32::MAX),
        page_token: String::new(),
        filter,
        order_by: order_by.to_owned(),
        skip: i32::try_from(start_index).unwrap_or(i32::MAX),
        read_mask,
        // `totalResults` is part of the UnifiedAPI envelope.
        skip_total_size: false,
    };
    let shape = ListShape {
        start_index,
        items_per_page: page_size,
        filtered: user_filter.is_some(),
        sorted: !order_by.is_empty(),
    };
    Ok((request, shape))
}

/// UnifiedAPI property → `PhoneCall` field, for `fields` and `filterBy`.
const PROPERTIES: &[(&str, &str)] = &[
    ("id", "id"),
    ("nonce", "request_id"),
    ("extension", "extension"),
    ("ownerId", "owner_id"),
    ("ownerName", "owner_name"),
    ("answered", "answer_time"),
    ("published", "create_time"),
    ("phoneCallView", "legs"),
];

fn property(name: &str) -> Option<&'static str> {
    PROPERTIES
        .iter()
        .find(|(p, _)| *p == name)
        .map(|(_, field)| *field)
}

fn read_mask(fields: &str) -> Result<prost_types::FieldMask, Error> {
    let paths = fields
        .split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(|f| {
            property(f).map(str::to_owned).ok_or_else(|| {
                let known: Vec<&str> = PROPERTIES.iter().map(|(p, _)| *p).collect();
                Error::Invalid(format!(
                    "fields: unknown property {f:?}; properties: {}",
                    known.join(", ")
                ))
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(prost_types::FieldMask { paths })
}

/// `filterBy`/`filterOp`/`filterValue` in the API's filter language.
fn user_filter(query: &ListQuery) -> Result<Option<String>, Error> {
    let Some(by) = query
        .filter_by
        .as_deref()
        .map(str::trim)
        .filter(|b| !b.is_empty())
    else {
        if query.filter_op.is_some() || query.filter_value.is_some() {
            return Err(Error::Invalid(
                "filterOp and filterValue need filterBy".to_owned(),
            ));
        }
        return Ok(None);
    };
    let filterable: Vec<&str> = PROPERTIES
        .iter()
        .filter(|(_, field)| !matches!(*field, "owner_name" | "legs"))
        .map(|(p, _)| *p)
        .collect();
    let field = property(by)
        .filter(|_| filterable.contains(&by))
        .ok_or_else(|| Error::Invalid(format!("filterBy must be one of {}", filterable.join(", "))))?;
    let op = query.filter_op.as_deref().map(str::trim).unwrap_or("equals");
    let value = query.filter_value.as_deref().unwrap_or_default();
    // A `+` in an unencoded query reads as a space; timestamps never hold one.
    let value = if matches!(field, "create_time" | "answer_time") {
        value.replace(' ', "+")
    } else {
        value.to_owned()
    };
    if op != "present" && value.is_empty() {
        return Err(Error::Invalid(format!(
            "filterValue is required with filterOp {op}"
        )));
    }
    let clause = match op {
        "equals" => format!("{field} = {}", quote(&value)),
        "greaterThan" => format!("{field} > {}", quote(&value)),
        "lessThan" => format!("{field} < {}", quote(&value)),
        "present" => format!("{field}:*"),
        "startsWith" => {
            let mut literal = quote(&value);
            literal.insert(literal.len() - 1, '*');
            format!("{field} = {literal}")
        }
        "contains" => format!("{field}:{}", quote(&value)),
        "inArray" => {
            let values: Vec<String> = value
                .split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(|v| format!("{field} = {}", quote(v)))
                .collect();
            if values.is_empty() {
                return Err(Error::Invalid(
                    "filterValue must list values for inArray".to_owned(),
                ));
            }
            format!("({})", values.join(" OR "))
        }
        other => {
            return Err(Error::Invalid(format!(
                "filterOp must be one of equals, greaterThan, lessThan, present, startsWith, contains, \
                 inArray, not {other:?}"
            )));
        }
    };
    Ok(Some(clause))
}

fn time(t: Option<&prost_types::Timestamp>) -> Option<String> {
    let t = t?;
    chrono::DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0))
        .map(|d| d.to_rfc3339_opts(SecondsFormat::Secs, false))
}

/// UnifiedAPI's status code for a leg: 2 trying, 3 ringing, 5 on call, 0
/// (unknown) once ended.
fn status_code(status: i32) -> &'static str {
    match LegStatus::try_from(status) {
        Ok(LegStatus::OffHook) => "1",
        Ok(LegStatus::Trying) => "2",
        Ok(LegStatus::Ringing) => "3",
        Ok(LegStatus::OtherSideRinging) => "4",
        Ok(LegStatus::OnCall) => "5",
        Ok(LegStatus::Unspecified | LegStatus::Ended) | Err(_) => "0",
    }
}

fn disposition_code(disposition: i32) -> Option<String> {
    let code = match Disposition::try_from(disposition).ok()? {
        Disposition::Unspecified => return None,
        Disposition::Answered => 0,
        Disposition::Busy => 1,
        Disposition::Failed => 2,
        Disposition::NoAnswer => 3,
        Disposition::Unknown => 4,
        Disposition::NotAllowed => 5,
    };
    Some(code.to_string())
}

fn caller_id_text(c: &pb::CallerId) -> String {
    CallerId {
        name: Some(c.name.clone()).filter(|n| !n.is_empty()),
        number: c.number.clone(),
    }
    .to_string()
}

fn view(leg: &pb::phone_call::Leg) -> View {
    let set = |on: bool| on.then_some("1");
    View {
        id: leg.id.clone(),
        extension: leg.extension.clone(),
        answered: time(leg.answer_time.as_ref()),
        status: status_code(leg.status).to_owned(),
        caller_id: leg.caller_id.as_ref().map(caller_id_text),
        source: leg.source.clone(),
        destination: leg.destination.clone(),
        recording: set(leg.recording),
        parked: set(leg.parked),
        parked_pos: leg.parked.then(|| leg.park_position.to_string()),
        parked_by: Some(leg.parked_by.clone()).filter(|p| leg.parked && !p.is_empty()),
        on_hold: set(leg.on_hold),
        holder: set(leg.holder),
        disposition: disposition_code(leg.disposition),
        links: Empty {},
    }
}

/// A listed call. Fields a `fields` projection left out arrive empty and
/// are omitted.
pub fn entry(call: &pb::PhoneCall) -> Entry {
    Entry {
        id: call.id.clone(),
        nonce: call.request_id.clone(),
        extension: call.extension.clone(),
        owner_id: call.owner_id.clone(),
        owner_name: call.owner_name.clone(),
        answered: time(call.answer_time.as_ref()),
        published: time(call.create_time.as_ref()),
        phone_call_view: call.legs.iter().map(view).collect(),
    }
}

/// The list envelope.
pub fn collection(response: &pb::ListPhoneCallsResponse, shape: ListShape) -> Collection {
    Collection {
        entry: response.phone_calls.iter().map(entry).collect(),
        start_index: shape.start_index,
        total_results: response.total_size,
        items_per_page: shape.items_per_page,
        filtered: shape.filtered,
        sorted: shape.sorted,
        paging: Empty {},
    }
}

/// `{id, extension, links|link: {self}}` of a call; `plural` picks
/// `links` (simple-call creates) over `link`.
pub fn call_ref(call: &pb::PhoneCall, self_url: String, plural: bool) -> CallRef {
    let link = SelfLink { self_url };
    let (links, link) = if plural {
        (Some(link), None)
    } else {
        (None, Some(link))
    };
    CallRef {
        id: call.id.clone(),
        extension: call.extension.clone(),
        links,
        link,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(by: &str, op: &str, value: &str) -> Result<Option<String>, Error> {
        user_filter(&ListQuery {
            filter_by: Some(by.into()),
            filter_op: Some(op.into()),
            filter_value: Some(value.into()),
            ..Default::default()
        })
    }

    #[test]
    fn every_filter_op_translates_to_the_filter_language() {
        let cases = [
            ("id", "equals", "abc", r#"id = "abc""#),
            (
                "published",
                "greaterThan",
                "2012-06-27T16:08:50 02:00",
                r#"create_time > "2012-06-27T16:08:50+02:00""#,
            ),
            (
                "published",
                "lessThan",
                "2012-06-27",
                r#"create_time < "2012-06-27""#,
            ),
            ("answered", "present", "", "answer_time:*"),
            ("id", "startsWith", "b81", r#"id = "b81*""#),
            ("extension", "startsWith", "0003*", r#"extension = "0003\**""#),
            ("nonce", "contains", "x\"y", r#"request_id:"x\"y""#),
            ("id", "inArray", "a, b", r#"(id = "a" OR id = "b")"#),
        ];
        for (by, op, value, expected) in cases {
            assert_eq!(
                filter(by, op, value).unwrap().as_deref(),
                Some(expected),
                "{by} {op}"
            );
        }
        for (by, op, value) in [
            ("colour", "equals", "x"),
            ("id", "near", "x"),
            ("id", "equals", ""),
            ("id", "inArray", ","),
        ] {
            assert!(
                matches!(filter(by, op, value), Err(Error::Invalid(_))),
                "{by} {op} {value}"
            );
        }
        let parsed = crate::domain::filter::Filter::parse(
            &filter("extension", "startsWith", "0003*").unwrap().unwrap(),
            crate::domain::phone_call::FILTER_SCHEMA,
        )
        .unwrap();
        assert_eq!(
            parsed,
            crate::domain::filter::Filter::Compare {
                field: crate::domain::filter::FieldRef {
                    name: "extension",
                    key: None
                },
                op: crate::domain::filter::Op::Prefix,
                value: crate::domain::filter::Value::Text("0003*".into()),
            }
        );
    }

    #[test]
    fn actions_are_read_with_their_fields_and_unknown_ones_are_not_implemented() {
        let body: ActionBody = serde_json::from_str(
            r#"{"action":"TransferToVoicemail","sendCallTo":"0003*024","transferFromNumber":"0003*024"}"#,
        )
        .unwrap();
        let ActionRequest::TransferToVoicemail(r) = action_request(body).unwrap() else {
            panic!("expected TransferToVoicemail")
        };
        assert_eq!(
            (r.send_call_to.as_str(), r.transfer_from_number.as_str()),
            ("0003*024", "0003*024")
        );
        let whisper: ActionBody =
            serde_json::from_str(r#"{"action":"Whisper","sendCallTo":212,"private":1,"phoneCallViewId":1}"#)
                .unwrap();
        let ActionRequest::Whisper(w) = action_request(whisper).unwrap() else {
            panic!("expected Whisper")
        };
        assert!(w.private);
        assert_eq!((w.send_call_to.as_str(), w.leg_id.as_str()), ("212", "01"));
        let unknown: ActionBody = serde_json::from_str(r#"{"action":"Explode"}"#).unwrap();
        assert!(matches!(action_request(unknown), Err(Error::NotImplemented(_))));
        assert!(matches!(
            action_request(ActionBody::default()),
            Err(Error::Invalid(_))
        ));
    }

    #[test]
    fn creates_read_top_level_or_wrapped_parties() {
        let wrapped: CreateBody = serde_json::from_str(
            r#"{"extension":"0003*210","nonce":"n","phoneCallView":[{"source":["5354353","5302040"],"destination":["3235742879"],"callerId":"John Doe <4242425>"}]}"#,
        )
        .unwrap();
        let top: CreateBody = serde_json::from_str(
            r#"{"extension":"0003*210","nonce":"n","source":["5354353","5302040"],"destination":"3235742879","callerId":"John Doe <4242425>"}"#,
        )
        .unwrap();
        let query = CreateQuery {
            wait_for_pickup: Some("5".into()),
            ..Default::default()
        };
        let a = create_requests(Type::Simple, &query, wrapped).unwrap();
        let b = create_requests(Type::Simple, &query, top).unwrap();
        assert_eq!(a, b);
        assert_eq!(a[0].source, ["5354353", "5302040"]);
        assert_eq!(a[0].caller_id.as_ref().unwrap().name, "John Doe");
        assert_eq!(a[0].request_id, "n");
        let two: CreateBody = serde_json::from_str(
            r#"{"nonce":"n","phoneCallView":[{"source":"212","destination":"213"},{"source":"214","destination":"215"}]}"#,
        )
        .unwrap();
        let keys: Vec<_> = create_requests(Type::Simple, &query, two)
            .unwrap()
            .into_iter()
            .map(|r| r.request_id)
            .collect();
        assert_eq!(keys, ["n#0", "n#1"]);
        let bad = CreateQuery {
            video: Some("maybe".into()),
            ..Default::default()
        };
        assert!(create_requests(Type::Simple, &bad, CreateBody::default()).is_err());
    }

    #[test]
    fn a_create_places_a_bounded_number_of_calls() {
        let views = |n: usize| -> CreateBody {
            let view = serde_json::json!({"source": "212", "destination": "213"});
            serde_json::from_value(serde_json::json!({"phoneCallView": vec![view; n]})).unwrap()
        };
        let query = CreateQuery::default();
        assert_eq!(
            create_requests(Type::Simple, &query, views(MAX_CALLS_PER_CREATE))
                .unwrap()
                .len(),
            MAX_CALLS_PER_CREATE
        );
        let Err(Error::Invalid(message)) =
            create_requests(Type::Simple, &query, views(MAX_CALLS_PER_CREATE + 1))
        else {
            panic!("more than the bound must be refused");
        };
        assert!(message.contains("at most 20"), "{message}");
    }
}

/// Properties of the UnifiedAPI query and body readers.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::filter::Filter;
    use crate::domain::phone_call::FILTER_SCHEMA;

    const SCOPE: &str = "extension = \"212\"";
    const OPS: &[&str] = &[
        "equals",
        "greaterThan",
        "lessThan",
        "present",
        "startsWith",
        "contains",
        "inArray",
    ];

    fn query(by: Option<String>, op: Option<String>, value: Option<String>) -> ListQuery {
        ListQuery {
            filter_by: by,
            filter_op: op,
            filter_value: value,
            ..Default::default()
        }
    }

    fn rfc3339() -> impl Strategy<Value = String> {
        (
            0i64..4_102_444_800,
            prop_oneof![Just("Z"), Just("+02:00"), Just("-05:30")],
        )
            .prop_map(|(secs, zone)| {
                let t = chrono::DateTime::from_timestamp(secs, 0).unwrap();
                format!("{}{zone}", t.format("%Y-%m-%dT%H:%M:%S"))
            })
    }

    proptest! {
        #[test]
        fn list_queries_never_panic(
            by in proptest::option::of("\\PC{0,12}"),
            op in proptest::option::of("\\PC{0,12}"),
            value in proptest::option::of("\\PC{0,40}"),
            count in proptest::option::of("\\PC{0,12}"),
            start in proptest::option::of("\\PC{0,12}"),
            fields in proptest::option::of("\\PC{0,30}"),
            sort in proptest::option::of("\\PC{0,12}"),
        ) {
            let mut q = query(by, op, value);
            q.count = count;
            q.start_index = start;
            q.fields = fields;
            q.sort_order = sort;
            let _ = list_request(SCOPE, &q);
        }

        #[test]
        fn text_filters_always_compile_whatever_the_value(
            by in proptest::sample::select(vec!["id", "nonce", "extension", "ownerId"]),
            op in proptest::sample::select(OPS.to_vec()),
            value in "\\PC{1,40}",
        ) {
            let q = query(Some(by.into()), Some(op.into()), Some(value.clone()));
            match list_request(SCOPE, &q) {
                Ok((request, shape)) => {
                    prop_assert!(shape.filtered);
                    // The value is a quoted literal: it can never change the
                    // expression's structure, so the core's parser accepts it.
                    let parsed = Filter::parse(&request.filter, FILTER_SCHEMA);
                    prop_assert!(parsed.is_ok(), "{:?} → {:?}: {:?}", value, request.filter, parsed);
                }
                // Only an inArray of nothing but commas and spaces is empty.
                Err(_) => prop_assert!(op == "inArray" && value.split(',').all(|v| v.trim().is_empty()), "{:?}", value),
            }
        }

        #[test]
        fn time_filters_take_rfc3339_even_with_the_plus_unencoded(
            by in proptest::sample::select(vec!["answered", "published"]),
            op in proptest::sample::select(vec!["equals", "greaterThan", "lessThan"]),
            time in rfc3339(),
        ) {
            // An unencoded `+` arrives as a space.
            let sent = time.replace('+', " ");
            let q = query(Some(by.into()), Some(op.into()), Some(sent));
            let (request, _) = list_request(SCOPE, &q).unwrap();
            prop_assert!(request.filter.contains(&time), "{}", request.filter);
            prop_assert!(Filter::parse(&request.filter, FILTER_SCHEMA).is_ok(), "{}", request.filter);
        }

        #[test]
        fn unknown_filter_fields_and_ops_are_refused(
            by in "[a-zA-Z]{1,12}",
            op in "[a-zA-Z]{1,12}",
        ) {
            let filterable = ["id", "nonce", "extension", "ownerId", "answered", "published"];
            if !filterable.contains(&by.as_str()) {
                let q = query(Some(by.clone()), Some("equals".into()), Some("x".into()));
                prop_assert!(list_request(SCOPE, &q).is_err(), "{:?}", by);
            }
            if !OPS.contains(&op.as_str()) {
                let q = query(Some("id".into()), Some(op.clone()), Some("x".into()));
                prop_assert!(list_request(SCOPE, &q).is_err(), "{:?}", op);
            }
        }

        #[test]
        fn caller_ids_in_bodies_never_panic(text in "(?s)\\PC{0,60}") {
            let _ = caller_id("callerId", &text);
            let _ = seconds("waitForPickup", &text);
            let _ = boolean("video", &text);
            let _ = count("count", Some(&text));
        }
    }
}
