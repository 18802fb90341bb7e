//! `VoiceCall` ↔ protobuf. Inbound, each data field is read by its proto
//! path (the same code serves create, which reads every field that is set,
//! and update, which reads the masked ones); unknown enum numbers are
//! rejected with the field named. Outbound conversions are total.

use crate::domain::DomainError;
use crate::domain::common::{MAX_LONG_TEXT, MAX_SHORT_TEXT, bounded_json, optional_text, required_text};
use crate::domain::error::Violations;
use crate::domain::voice_call::{
    CallOrigin, CallSubtype, Decimal, Direction, DisconnectReason, InitiationMethod, Participant,
    ParticipantType, Recording, TranscriptStatus, VoiceCall, VoiceCallFields, VoiceCallMessage, call_address,
};
use crate::pb;
use crate::pb::voice_call as p;

use super::common::{
    from_timestamp, json_to_struct, literal, opt_timestamp, seconds, struct_to_json, timestamp, whole_seconds,
};

/// A number a protobuf enum does not define.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownEnumValue(pub i32);

/// An enum read from protobuf: `Ok(None)` for `*_UNSPECIFIED`, `Err` for a
/// number the enum does not define.
pub type EnumValue<T> = Result<Option<T>, UnknownEnumValue>;

/// Protobuf direction → domain.
pub fn from_direction(value: i32) -> EnumValue<Direction> {
    match p::Direction::try_from(value).map_err(|_| UnknownEnumValue(value))? {
        p::Direction::Unspecified => Ok(None),
        p::Direction::Inbound => Ok(Some(Direction::Inbound)),
        p::Direction::Outbound => Ok(Some(Direction::Outbound)),
    }
}

/// Domain direction → protobuf.
pub fn direction(d: Option<Direction>) -> p::Direction {
    match d {
        None => p::Direction::Unspecified,
        Some(Direction::Inbound) => p::Direction::Inbound,
        Some(Direction::Outbound) => p::Direction::Outbound,
    }
}

/// Protobuf initiation method → domain.
pub fn from_initiation_method(value: i32) -> EnumValue<InitiationMethod> {
    use p::InitiationMethod as P;
    match P::try_from(value).map_err(|_| UnknownEnumValue(value))? {
        P::Unspecified => Ok(None),
        P::Inbound => Ok(Some(InitiationMethod::Inbound)),
        P::Outbound => Ok(Some(InitiationMethod::Outbound)),
        P::Transfer => Ok(Some(InitiationMethod::Transfer)),
        P::Conference => Ok(Some(InitiationMethod::Conference)),
    }
}

/// Domain initiation method → protobuf.
pub fn initiation_method(m: Option<InitiationMethod>) -> p::InitiationMethod {
    use p::InitiationMethod as P;
    match m {
        None => P::Unspecified,
        Some(InitiationMethod::Inbound) => P::Inbound,
        Some(InitiationMethod::Outbound) => P::Outbound,
        Some(InitiationMethod::Transfer) => P::Transfer,
        Some(InitiationMethod::Conference) => P::Conference,
    }
}

/// Protobuf call origin → domain.
pub fn from_call_origin(value: i32) -> EnumValue<CallOrigin> {
    use p::CallOrigin as P;
    match P::try_from(value).map_err(|_| UnknownEnumValue(value))? {
        P::Unspecified => Ok(None),
        P::Preview => Ok(Some(CallOrigin::Preview)),
        P::Progressive => Ok(Some(CallOrigin::Progressive)),
        P::Voicemail => Ok(Some(CallOrigin::Voicemail)),
    }
}

/// Domain call origin → protobuf.
pub fn call_origin(o: Option<CallOrigin>) -> p::CallOrigin {
    use p::CallOrigin as P;
    match o {
        None => P::Unspecified,
        Some(CallOrigin::Preview) => P::Preview,
        Some(CallOrigin::Progressive) => P::Progressive,
        Some(CallOrigin::Voicemail) => P::Voicemail,
    }
}

/// Protobuf call subtype → domain.
pub fn from_call_subtype(value: i32) -> EnumValue<CallSubtype> {
    use p::CallSubtype as P;
    match P::try_from(value).map_err(|_| UnknownEnumValue(value))? {
        P::Unspecified => Ok(None),
        P::Pstn => Ok(Some(CallSubtype::Pstn)),
        P::Webrtc => Ok(Some(CallSubtype::Webrtc)),
    }
}

/// Domain call subtype → protobuf.
pub fn call_subtype(s: Option<CallSubtype>) -> p::CallSubtype {
    use p::CallSubtype as P;
    match s {
        None => P::Unspecified,
        Some(CallSubtype::Pstn) => P::Pstn,
        Some(CallSubtype::Webrtc) => P::Webrtc,
    }
}

/// Domain transcript status → protobuf.
pub fn transcript_status(s: Option<TranscriptStatus>) -> p::TranscriptStatus {
    use p::TranscriptStatus as P;
    match s {
        None => P::Unspecified,
        Some(TranscriptStatus::InProgress) => P::InProgress,
        Some(TranscriptStatus::Done) => P::Done,
        Some(TranscriptStatus::Failed) => P::Failed,
    }
}

/// Protobuf participant type → domain.
pub fn from_participant_type(value: i32) -> EnumValue<ParticipantType> {
    use pb::ParticipantType as P;
    match P::try_from(value).map_err(|_| UnknownEnumValue(value))? {
        P::Unspecified => Ok(None),
        P::EndUser => Ok(Some(ParticipantType::EndUser)),
        P::ExternalUser => Ok(Some(ParticipantType::ExternalUser)),
        P::HumanAgent => Ok(Some(ParticipantType::HumanAgent)),
        P::Supervisor => Ok(Some(ParticipantType::Supervisor)),
        P::VirtualAgent => Ok(Some(ParticipantType::VirtualAgent)),
    }
}

/// Domain participant type → protobuf.
pub fn participant_type(t: ParticipantType) -> pb::ParticipantType {
    use pb::ParticipantType as P;
    match t {
        ParticipantType::EndUser => P::EndUser,
        ParticipantType::ExternalUser => P::ExternalUser,
        ParticipantType::HumanAgent => P::HumanAgent,
        ParticipantType::Supervisor => P::Supervisor,
        ParticipantType::VirtualAgent => P::VirtualAgent,
    }
}

/// Domain voice call → protobuf.
pub fn voice_call(c: &VoiceCall) -> pb::VoiceCall {
    let text = |s: &Option<String>| s.clone().unwrap_or_default();
    pb::VoiceCall {
        name: c.name(),
        id: c.id.to_string(),
        vendor_call_key: text(&c.vendor_call_key),
        external_uuid: text(&c.external_uuid),
        call_center_api_name: text(&c.call_center_api_name),
        from_number: c.from_number.clone(),
        to_number: c.to_number.clone(),
        direction: direction(c.direction).into(),
        initiation_method: initiation_method(c.initiation_method).into(),
        parent: c
            .parent
            .as_ref()
            .map(|p| format!("voiceCalls/{p}"))
            .unwrap_or_default(),
        queue: text(&c.queue),
        state: super::common::call_state(c.state).into(),
        state_literal: literal(c.state_literal.as_ref()),
        start_time: opt_timestamp(c.start_time),
        end_time: opt_timestamp(c.end_time),
        enqueue_time: opt_timestamp(c.enqueue_time),
        accept_time: opt_timestamp(c.accept_time),
        call_origin: call_origin(c.call_origin).into(),
        call_subtype: call_subtype(c.call_subtype).into(),
        participants: c
            .participants
            .iter()
            .map(|p| pb::Participant {
                participant_key: p.participant_key.clone(),
                r#type: participant_type(p.participant_type).into(),
            })
            .collect(),
        call_attributes: (!c.call_attributes.is_empty()).then(|| json_to_struct(&c.call_attributes)),
        agent: text(&c.agent),
        total_hold_duration: c.total_hold_secs.map(seconds),
        longest_hold_duration: c.longest_hold_secs.map(seconds),
        number_of_holds: c.number_of_holds.unwrap_or_default(),
        agent_interaction_duration: c.agent_interaction_secs.map(seconds),
        recording_location: text(&c.recording_location),
        total_recording_duration: c.total_recording_secs.map(seconds),
        disconnect_reason: c.disconnect_reason.as_ref().map(|d| p::DisconnectReason {
            value: d.value.clone(),
            is_error: d.is_error,
        }),
        duration: c.duration_secs.map(seconds),
        staff_uid: text(&c.staff_uid),
        client_uid: text(&c.client_uid),
        business_uid: text(&c.business_uid),
        handled_by_staff_uid: text(&c.handled_by_staff_uid),
        handle_time: opt_timestamp(c.handle_time),
        rate: c.rate.as_ref().map(|r| r.as_str().to_owned()).unwrap_or_default(),
        price: c
            .price
            .as_ref()
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default(),
        provider: text(&c.provider),
        source_id: text(&c.source_id),
        call_summary: text(&c.call_summary),
        external_app_url: text(&c.external_app_url),
        external_app_name: text(&c.external_app_name),
        recording: c.recording.as_ref().map(|r| p::Recording {
            id: text(&r.id),
            url: text(&r.url),
            size_bytes: r.size_bytes.unwrap_or_default(),
            duration: r.duration_secs.map(seconds),
            played: r.played,
            voicemail: r.voicemail,
        }),
        transcript_status: transcript_status(c.transcript_status).into(),
        interaction: format!("interactions/{}", c.interaction),
        create_time: Some(timestamp(c.create_time)),
        update_time: Some(timestamp(c.update_time)),
        etag: c.etag(),
        telephony_provider: text(&c.telephony_provider),
    }
}

/// Domain message → protobuf.
pub fn message(m: &VoiceCallMessage) -> pb::VoiceCallMessage {
    pb::VoiceCallMessage {
        name: m.name(),
        participant_id: m.participant_id.clone(),
        sender_type: participant_type(m.sender_type).into(),
        message_id: m.message_id.clone(),
        content: m.content.clone(),
        start_time: Some(timestamp(m.start_time)),
        end_time: opt_timestamp(m.end_time),
        create_time: Some(timestamp(m.create_time)),
    }
}

/// Every data field of [`VoiceCallFields`] by proto path, in proto order.
pub const DATA_FIELDS: &[&str] = &[
    "from_number",
    "to_number",
    "direction",
    "initiation_method",
    "queue",
    "start_time",
    "end_time",
    "enqueue_time",
    "accept_time",
    "call_origin",
    "call_subtype",
    "participants",
    "call_attributes",
    "agent",
    "total_hold_duration",
    "longest_hold_duration",
    "number_of_holds",
    "agent_interaction_duration",
    "recording_location",
    "total_recording_duration",
    "disconnect_reason",
    "duration",
    "staff_uid",
    "client_uid",
    "business_uid",
    "handled_by_staff_uid",
    "rate",
    "price",
    "provider",
    "source_id",
    "call_summary",
    "external_app_url",
    "external_app_name",
    "recording",
];

/// Whether data field `path` of `c` holds a value (is not the proto
/// default).
pub fn is_set(c: &pb::VoiceCall, path: &str) -> bool {
    match path {
        "from_number" => !c.from_number.is_empty(),
        "to_number" => !c.to_number.is_empty(),
        "direction" => c.direction != 0,
        "initiation_method" => c.initiation_method != 0,
        "queue" => !c.queue.is_empty(),
        "start_time" => c.start_time.is_some(),
        "end_time" => c.end_time.is_some(),
        "enqueue_time" => c.enqueue_time.is_some(),
        "accept_time" => c.accept_time.is_some(),
        "call_origin" => c.call_origin != 0,
        "call_subtype" => c.call_subtype != 0,
        "participants" => !c.participants.is_empty(),
        "call_attributes" => c.call_attributes.as_ref().is_some_and(|s| !s.fields.is_empty()),
        "agent" => !c.agent.is_empty(),
        "total_hold_duration" => c.total_hold_duration.is_some(),
        "longest_hold_duration" => c.longest_hold_duration.is_some(),
        "number_of_holds" => c.number_of_holds != 0,
        "agent_interaction_duration" => c.agent_interaction_duration.is_some(),
        "recording_location" => !c.recording_location.is_empty(),
        "total_recording_duration" => c.total_recording_duration.is_some(),
        "disconnect_reason" => c.disconnect_reason.is_some(),
        "duration" => c.duration.is_some(),
        "staff_uid" => !c.staff_uid.is_empty(),
        "client_uid" => !c.client_uid.is_empty(),
        "business_uid" => !c.business_uid.is_empty(),
        "handled_by_staff_uid" => !c.handled_by_staff_uid.is_empty(),
        "rate" => !c.rate.is_empty(),
        "price" => !c.price.is_empty(),
        "provider" => !c.provider.is_empty(),
        "source_id" => !c.source_id.is_empty(),
        "call_summary" => !c.call_summary.is_empty(),
        "external_app_url" => !c.external_app_url.is_empty(),
        "external_app_name" => !c.external_app_name.is_empty(),
        "recording" => c.recording.is_some(),
        _ => false,
    }
}

fn enum_field<T>(v: &mut Violations, field: &str, value: EnumValue<T>) -> Option<T> {
    value.unwrap_or_else(|_| {
        v.add(field, "is not a known value");
        None
    })
}

fn time(
    v: &mut Violations,
    field: &str,
    t: Option<&prost_types::Timestamp>,
) -> Option<crate::domain::time::Timestamp> {
    t.and_then(|t| v.check(from_timestamp(field, t).map(Some)))
}

fn secs(v: &mut Violations, field: &str, d: Option<&prost_types::Duration>) -> Option<i64> {
    d.and_then(|d| v.check(whole_seconds(field, d).map(Some)))
}

fn text(v: &mut Violations, field: &str, value: &str, max: usize) -> Option<String> {
    v.check(optional_text(field, value, max))
}

/// Reads data field `path` of `c` into `out`, validating it; violations are
/// named `voice_call.{path}`.
pub fn read_field(v: &mut Violations, c: &pb::VoiceCall, path: &str, out: &mut VoiceCallFields) {
    let field = format!("voice_call.{path}");
    let field = field.as_str();
    match path {
        "from_number" => {
            out.from_number = if c.from_number.is_empty() {
                v.add(field, "is required");
                None
            } else {
                v.check(call_address(field, &c.from_number).map(Some))
            }
        }
        "to_number" => {
            out.to_number = if c.to_number.is_empty() {
                v.add(field, "is required");
                None
            } else {
                v.check(call_address(field, &c.to_number).map(Some))
            }
        }
        "direction" => out.direction = enum_field(v, field, from_direction(c.direction)),
        "initiation_method" => {
            out.initiation_method = enum_field(v, field, from_initiation_method(c.initiation_method))
        }
        "queue" => out.queue = text(v, field, &c.queue, MAX_SHORT_TEXT),
        "start_time" => out.start_time = time(v, field, c.start_time.as_ref()),
        "end_time" => out.end_time = time(v, field, c.end_time.as_ref()),
        "enqueue_time" => out.enqueue_time = time(v, field, c.enqueue_time.as_ref()),
        "accept_time" => out.accept_time = time(v, field, c.accept_time.as_ref()),
        "call_origin" => out.call_origin = enum_field(v, field, from_call_origin(c.call_origin)),
        "call_subtype" => out.call_subtype = enum_field(v, field, from_call_subtype(c.call_subtype)),
        "participants" => {
            out.participants = c
                .participants
                .iter()
                .enumerate()
                .filter_map(|(i, p)| {
                    let key = v.check(required_text(
                        &format!("{field}[{i}].participant_key"),
                        &p.participant_key,
                        MAX_SHORT_TEXT,
                    ));
                    let kind = enum_field(v, &format!("{field}[{i}].type"), from_participant_type(p.r#type));
                    if kind.is_none() && p.r#type == 0 {
                        v.add(format!("{field}[{i}].type"), "is required");
                    }
                    Some(Participant {
                        participant_key: key,
                        participant_type: kind?,
                    })
                })
                .collect()
        }
        "call_attributes" => {
            out.call_attributes = v
                .check(struct_to_json(field, c.call_attributes.as_ref()).and_then(|m| bounded_json(field, m)))
        }
        "agent" => out.agent = text(v, field, &c.agent, MAX_SHORT_TEXT),
        "total_hold_duration" => out.total_hold_secs = secs(v, field, c.total_hold_duration.as_ref()),
        "longest_hold_duration" => out.longest_hold_secs = secs(v, field, c.longest_hold_duration.as_ref()),
        "number_of_holds" => {
            out.number_of_holds = if c.number_of_holds < 0 {
                v.add(field, "must not be negative");
                None
            } else {
                Some(c.number_of_holds)
            }
        }
        "agent_interaction_duration" => {
            out.agent_interaction_secs = secs(v, field, c.agent_interaction_duration.as_ref())
        }
        "recording_location" => out.recording_location = text(v, field, &c.recording_location, MAX_LONG_TEXT),
        "total_recording_duration" => {
            out.total_recording_secs = secs(v, field, c.total_recording_duration.as_ref())
        }
        "disconnect_reason" => {
            out.disconnect_reason = c.disconnect_reason.as_ref().and_then(|d| {
                let value = v.check(required_text(&format!("{field}.value"), &d.value, MAX_SHORT_TEXT));
                (!value.is_empty()).then_some(DisconnectReason {
                    value,
                    is_error: d.is_error,
                })
            })
        }
        "duration" => out.duration_secs = secs(v, field, c.duration.as_ref()),
        "staff_uid" => out.staff_uid = text(v, field, &c.staff_uid, MAX_SHORT_TEXT),
        "client_uid" => out.client_uid = text(v, field, &c.client_uid, MAX_SHORT_TEXT),
        "business_uid" => out.business_uid = text(v, field, &c.business_uid, MAX_SHORT_TEXT),
        "handled_by_staff_uid" => {
            out.handled_by_staff_uid = text(v, field, &c.handled_by_staff_uid, MAX_SHORT_TEXT)
        }
        "rate" => out.rate = v.check(Decimal::parse(field, &c.rate)),
        "price" => out.price = v.check(Decimal::parse(field, &c.price)),
        "provider" => out.provider = text(v, field, &c.provider, MAX_SHORT_TEXT),
        "source_id" => out.source_id = text(v, field, &c.source_id, MAX_SHORT_TEXT),
        "call_summary" => out.call_summary = text(v, field, &c.call_summary, MAX_LONG_TEXT),
        "external_app_url" => out.external_app_url = text(v, field, &c.external_app_url, MAX_LONG_TEXT),
        "external_app_name" => out.external_app_name = text(v, field, &c.external_app_name, MAX_SHORT_TEXT),
        "recording" => {
            out.recording = c.recording.as_ref().map(|r| {
                if r.size_bytes < 0 {
                    v.add(format!("{field}.size_bytes"), "must not be negative");
                }
                Recording {
                    id: text(v, &format!("{field}.id"), &r.id, MAX_SHORT_TEXT),
                    url: text(v, &format!("{field}.url"), &r.url, MAX_LONG_TEXT),
                    size_bytes: (r.size_bytes > 0).then_some(r.size_bytes),
                    duration_secs: secs(v, &format!("{field}.duration"), r.duration.as_ref()),
                    played: r.played,
                    voicemail: r.voicemail,
                }
            })
        }
        other => v.add(field, format!("'{other}' is not a data field")),
    }
}

/// Reads every data field that is set in `c`, except those in `skip`.
pub fn read_set_fields(v: &mut Violations, c: &pb::VoiceCall, skip: &[&str]) -> VoiceCallFields {
    let mut out = VoiceCallFields::default();
    for path in DATA_FIELDS {
        if is_set(c, path) && !skip.contains(path) {
            read_field(v, c, path, &mut out);
        }
    }
    out
}

/// The id or key of a `voiceCalls/{key}` name.
pub fn call_key<'a>(field: &str, name: &'a str) -> Result<&'a str, DomainError> {
    crate::domain::ids::parse_name(field, name, "voiceCalls")
}
