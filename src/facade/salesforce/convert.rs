//! Salesforce DTOs → protobuf requests, and protobuf field paths back to
//! Salesforce field names for error messages. Enum spellings are exact
//! (case-sensitive); anything else is a field error.

use prost_types::{FieldMask, Timestamp};
use serde_json::{Map, Value};

use super::dto::{CreateVoiceCall, Message, UpdateVoiceCall};
use crate::api::convert::common::json_to_struct;
use crate::facade::fields::Reader;
use crate::pb;
use crate::pb::voice_call::{CallOrigin, CallSubtype, DisconnectReason, InitiationMethod};

/// The dialect name stored in vendor literals.
pub const DIALECT: &str = "salesforce";

fn initiation_method(value: &str) -> Option<InitiationMethod> {
    Some(match value {
        "Inbound" => InitiationMethod::Inbound,
        "Transfer" => InitiationMethod::Transfer,
        // Allowed by API v49/v50; current versions refuse outbound calls,
        // but older connectors may still send them.
        "Outbound" => InitiationMethod::Outbound,
        "Conference" => InitiationMethod::Conference,
        _ => return None,
    })
}

fn call_origin(value: &str) -> Option<CallOrigin> {
    Some(match value {
        "Preview" => CallOrigin::Preview,
        "Progressive" => CallOrigin::Progressive,
        "Voicemail" => CallOrigin::Voicemail,
        _ => return None,
    })
}

fn call_subtype(value: &str) -> Option<CallSubtype> {
    Some(match value {
        "PSTN" => CallSubtype::Pstn,
        "WebRTC" => CallSubtype::Webrtc,
        _ => return None,
    })
}

fn participant_type(value: &str) -> Option<pb::ParticipantType> {
    Some(match value {
        "END_USER" => pb::ParticipantType::EndUser,
        "EXTERNAL_USER" => pb::ParticipantType::ExternalUser,
        "HUMAN_AGENT" => pb::ParticipantType::HumanAgent,
        "SUPERVISOR" => pb::ParticipantType::Supervisor,
        "VIRTUAL_AGENT" => pb::ParticipantType::VirtualAgent,
        _ => return None,
    })
}

fn spelled<T>(
    r: &mut Reader,
    field: &str,
    value: Option<&str>,
    parse: fn(&str) -> Option<T>,
    allowed: &str,
) -> Option<T> {
    let value = value?;
    let parsed = parse(value);
    if parsed.is_none() {
        r.error(
            field,
            format!("{field} must be one of {allowed} (case-sensitive), got {value:?}"),
        );
    }
    parsed
}

fn iso_time(r: &mut Reader, field: &str, value: Option<&str>) -> Option<Timestamp> {
    let value = value?;
    match chrono::DateTime::parse_from_rfc3339(value) {
        Ok(t) => Some(Timestamp {
            seconds: t.timestamp(),
            nanos: t.timestamp_subsec_nanos() as i32,
        }),
        Err(_) => {
            r.error(
                field,
                format!("{field} must be an ISO 8601 date-time such as 2026-01-31T09:30:00Z, got {value:?}"),
            );
            None
        }
    }
}

fn epoch_millis(r: &mut Reader, field: &str, value: Option<i64>) -> Option<Timestamp> {
    let value = value?;
    if value < 0 {
        r.error(field, format!("{field} must be epoch milliseconds"));
        return None;
    }
    Some(Timestamp {
        seconds: value / 1000,
        nanos: ((value % 1000) * 1_000_000) as i32,
    })
}

fn seconds(r: &mut Reader, field: &str, value: Option<i64>) -> Option<prost_types::Duration> {
    let value = value?;
    if value < 0 {
        r.error(field, format!("{field} must not be negative"));
        return None;
    }
    Some(prost_types::Duration {
        seconds: value,
        nanos: 0,
    })
}

/// Parses `callAttributes`, a string that must hold a JSON object.
fn call_attributes(r: &mut Reader, value: Option<&str>) -> Option<Map<String, Value>> {
    let value = value?;
    if value.trim().is_empty() {
        return None;
    }
    match serde_json::from_str::<Value>(value) {
        Ok(Value::Object(map)) => Some(map),
        Ok(_) => {
            r.error(
                "callAttributes",
                "callAttributes must be a string holding a JSON object",
            );
            None
        }
        Err(e) => {
            r.error(
                "callAttributes",
                format!("callAttributes must be a string holding a JSON object: {e}"),
            );
            None
        }
    }
}

/// The `CreateVoiceCall` request for a create body.
pub fn create_request(
    r: &mut Reader,
    dto: CreateVoiceCall,
    telephony_provider: Option<String>,
) -> pb::CreateVoiceCallRequest {
    let method = spelled(
        r,
        "initiationMethod",
        dto.initiation_method.as_deref(),
        initiation_method,
        "Inbound, Transfer",
    );
    let origin = spelled(
        r,
        "callOrigin",
        dto.call_origin.as_deref(),
        call_origin,
        "Preview, Progressive, Voicemail",
    );
    let subtype = spelled(
        r,
        "callSubtype",
        dto.call_subtype.as_deref(),
        call_subtype,
        "PSTN, WebRTC",
    );
    let start_time = iso_time(r, "startTime", dto.start_time.as_deref());
    let participants = dto
        .participants
        .iter()
        .enumerate()
        .map(|(i, p)| pb::Participant {
            participant_key: p.participant_key.clone().unwrap_or_default(),
            r#type: spelled(
                r,
                &format!("participants[{i}].type"),
                p.participant_type.as_deref(),
                participant_type,
                "END_USER, EXTERNAL_USER, HUMAN_AGENT, SUPERVISOR, VIRTUAL_AGENT",
            )
            .map(i32::from)
            .unwrap_or_default(),
        })
        .collect();
    let attributes = call_attributes(r, dto.call_attributes.as_deref());
    pb::CreateVoiceCallRequest {
        voice_call: Some(pb::VoiceCall {
            call_center_api_name: dto.call_center_api_name.unwrap_or_default(),
            vendor_call_key: dto.vendor_call_key.unwrap_or_default(),
            parent: dto
                .parent_voice_call_id
                .filter(|p| !p.is_empty())
                .map(|p| format!("voiceCalls/{p}"))
                .unwrap_or_default(),
            to_number: dto.to.unwrap_or_default(),
            from_number: dto.from.unwrap_or_default(),
            initiation_method: method.map(i32::from).unwrap_or_default(),
            queue: dto.queue.unwrap_or_default(),
            start_time,
            call_origin: origin.map(i32::from).unwrap_or_default(),
            call_subtype: subtype.map(i32::from).unwrap_or_default(),
            participants,
            call_attributes: attributes.as_ref().map(json_to_struct),
            telephony_provider: telephony_provider.unwrap_or_default(),
            ..Default::default()
        }),
        // A new call is `new` in Salesforce's CallDisposition.
        state_literal: Some(pb::VendorLiteral {
            dialect: DIALECT.to_owned(),
            value: "new".to_owned(),
        }),
    }
}

/// Quotes a map key for a field-mask path (AIP-161 backticks).
fn mask_key(key: &str) -> String {
    format!("call_attributes.`{key}`")
}

/// The `UpdateVoiceCall` request for a PATCH body on the call named `key`.
pub fn update_request(r: &mut Reader, key: &str, dto: UpdateVoiceCall) -> pb::UpdateVoiceCallRequest {
    let mut call = pb::VoiceCall {
        name: format!("voiceCalls/{key}"),
        ..Default::default()
    };
    let mut paths: Vec<String> = Vec::new();
    let mut mask = |path: &str| paths.push(path.to_owned());
    for (field, value, slot, path) in [
        ("startTime", &dto.start_time, &mut call.start_time, "start_time"),
        ("endTime", &dto.end_time, &mut call.end_time, "end_time"),
        (
            "enqueueTime",
            &dto.enqueue_time,
            &mut call.enqueue_time,
            "enqueue_time",
        ),
        (
            "acceptTime",
            &dto.accept_time,
            &mut call.accept_time,
            "accept_time",
        ),
    ] {
        if value.is_some() {
            *slot = iso_time(r, field, value.as_deref());
            mask(path);
        }
    }
    for (field, value, slot, path) in [
        (
            "totalHoldDuration",
            dto.total_hold_duration,
            &mut call.total_hold_duration,
            "total_hold_duration",
        ),
        (
            "longestHoldDuration",
            dto.longest_hold_duration,
            &mut call.longest_hold_duration,
            "longest_hold_duration",
        ),
        (
            "agentInteractionDuration",
            dto.agent_interaction_duration,
            &mut call.agent_interaction_duration,
            "agent_interaction_duration",
        ),
        (
            "totalRecordingDuration",
            dto.total_recording_duration,
            &mut call.total_recording_duration,
            "total_recording_duration",
        ),
    ] {
        if value.is_some() {
            *slot = seconds(r, field, value);
            mask(path);
        }
    }
    if let Some(n) = dto.number_of_holds {
        match i32::try_from(n) {
            Ok(n) => call.number_of_holds = n,
            Err(_) => r.error("numberOfHolds", "numberOfHolds is out of range"),
        }
        mask("number_of_holds");
    }
    for (value, slot, path) in [
        (dto.from_number, &mut call.from_number, "from_number"),
        (dto.queue, &mut call.queue, "queue"),
        (dto.agent, &mut call.agent, "agent"),
        (
            dto.recording_location,
            &mut call.recording_location,
            "recording_location",
        ),
    ] {
        if let Some(value) = value {
            *slot = value;
            mask(path);
        }
    }
    if dto.call_origin.is_some() {
        call.call_origin = spelled(
            r,
            "callOrigin",
            dto.call_origin.as_deref(),
            call_origin,
            "Preview, Progressive, Voicemail",
        )
        .map(i32::from)
        .unwrap_or_default();
        mask("call_origin");
    }
    if let Some(attributes) = call_attributes(r, dto.call_attributes.as_deref()) {
        // Salesforce sets the named custom fields and leaves the others.
        for key in attributes.keys() {
            mask(&mask_key(key));
        }
        call.call_attributes = Some(json_to_struct(&attributes));
    }
    if let Some(reason) = dto.disconnect_reason {
        call.disconnect_reason = Some(DisconnectReason {
            value: reason.value.unwrap_or_default(),
            is_error: reason.is_error.unwrap_or_default(),
        });
        mask("disconnect_reason");
    }
    let mut state_literal = None;
    if let Some(active) = dto.is_active_call {
        // CallDisposition: `in-progress` while the conversation is open,
        // `completed` once closed.
        let (state, literal) = if active {
            (pb::CallState::Active, "in-progress")
        } else {
            (pb::CallState::Completed, "completed")
        };
        call.state = state.into();
        state_literal = Some(pb::VendorLiteral {
            dialect: DIALECT.to_owned(),
            value: literal.to_owned(),
        });
        mask("state");
    }
    pb::UpdateVoiceCallRequest {
        voice_call: Some(call),
        update_mask: Some(FieldMask { paths }),
        etag: String::new(),
        state_literal,
    }
}

/// The protobuf message for one utterance; `prefix` names it in errors.
pub fn message(r: &mut Reader, prefix: &str, dto: &Message) -> pb::VoiceCallMessage {
    let field = |name: &str| {
        if prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{prefix}.{name}")
        }
    };
    pb::VoiceCallMessage {
        participant_id: dto.participant_id.clone().unwrap_or_default(),
        sender_type: spelled(
            r,
            &field("senderType"),
            dto.sender_type.as_deref(),
            participant_type,
            "END_USER, EXTERNAL_USER, HUMAN_AGENT, SUPERVISOR, VIRTUAL_AGENT",
        )
        .map(i32::from)
        .unwrap_or_default(),
        message_id: dto.message_id.clone().unwrap_or_default(),
        content: dto.content.clone().unwrap_or_default(),
        start_time: epoch_millis(r, &field("startTime"), dto.start_time),
        end_time: epoch_millis(r, &field("endTime"), dto.end_time),
        ..Default::default()
    }
}

fn camel(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A create request's proto field path as the Salesforce create body names
/// it.
pub fn create_field(path: &str) -> String {
    let path = path.strip_prefix("voice_call.").unwrap_or(path);
    match path {
        "from_number" => "from".to_owned(),
        "to_number" => "to".to_owned(),
        "parent" => "parentVoiceCallId".to_owned(),
        "call_attributes" => "callAttributes".to_owned(),
        other => camel(other),
    }
}

/// An update request's proto field path as the PATCH body names it.
pub fn update_field(path: &str) -> String {
    let path = path.strip_prefix("voice_call.").unwrap_or(path);
    match path {
        "state" => "isActiveCall".to_owned(),
        "update_mask" => String::new(),
        other => camel(other),
    }
}

/// A message batch's proto field path (`requests[3].message.content`) as the
/// body names it; `names[i]` is the body path of request `i`.
pub fn message_field(names: &[String], path: &str) -> String {
    let Some(rest) = path.strip_prefix("requests[") else {
        return camel(path);
    };
    let Some((index, rest)) = rest.split_once(']') else {
        return camel(path);
    };
    let base = index
        .parse::<usize>()
        .ok()
        .and_then(|i| names.get(i))
        .cloned()
        .unwrap_or_default();
    let rest = rest
        .trim_start_matches('.')
        .trim_start_matches("message")
        .trim_start_matches('.');
    match (base.is_empty(), rest.is_empty()) {
        (_, true) => base,
        (true, false) => camel(rest),
        (false, false) => format!("{base}.{}", camel(rest)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_follow_salesforce() {
        assert_eq!(create_field("voice_call.from_number"), "from");
        assert_eq!(
            create_field("voice_call.participants[0].participant_key"),
            "participants[0].participantKey"
        );
        assert_eq!(
            update_field("voice_call.total_hold_duration"),
            "totalHoldDuration"
        );
        let names = vec![
            "entries[0].messages[0]".to_owned(),
            "entries[1].messages[0]".to_owned(),
        ];
        assert_eq!(
            message_field(&names, "requests[1].message.content"),
            "entries[1].messages[0].content"
        );
        assert_eq!(
            message_field(&[String::new()], "requests[0].message.message_id"),
            "messageId"
        );
    }

    #[test]
    fn call_attributes_must_be_a_json_object_string() {
        let mut r = Reader::new(false);
        assert!(call_attributes(&mut r, Some("{\"SourceType\":\"Sales\"}")).is_some());
        assert!(call_attributes(&mut r, Some("{not json")).is_none());
        assert!(call_attributes(&mut r, Some("[1]")).is_none());
        assert_eq!(r.errors.len(), 2);
    }
}

/// Properties of the Salesforce body readers and time formats.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;
    use crate::facade::fields::strategies;
    use crate::facade::salesforce::dto::BulkMessages;

    const KEYS: &[&str] = &[
        "callCenterApiName",
        "vendorCallKey",
        "to",
        "from",
        "initiationMethod",
        "startTime",
        "endTime",
        "enqueueTime",
        "acceptTime",
        "participants",
        "participantKey",
        "type",
        "callAttributes",
        "parentVoiceCallId",
        "callOrigin",
        "callSubtype",
        "queue",
        "agent",
        "isActiveCall",
        "totalHoldDuration",
        "longestHoldDuration",
        "numberOfHolds",
        "agentInteractionDuration",
        "recordingLocation",
        "totalRecordingDuration",
        "disconnectReason",
        "value",
        "isError",
        "fromNumber",
        "entries",
        "messages",
        "participantId",
        "messageId",
        "content",
        "senderType",
    ];

    proptest! {
        #[test]
        fn bodies_never_panic(body in strategies::object(KEYS), key in "\\PC{0,20}", lenient in any::<bool>()) {
            let mut r = Reader::new(lenient);
            let dto = CreateVoiceCall::read(&mut r, &body);
            let _ = create_request(&mut r, dto, Some("Amazon Connect".to_owned()));
            let mut r = Reader::new(lenient);
            let dto = UpdateVoiceCall::read(&mut r, &body);
            let _ = update_request(&mut r, &key, dto);
            let mut r = Reader::new(lenient);
            let dto = Message::read(&mut r, &body, "");
            let _ = message(&mut r, "", &dto);
            let mut r = Reader::new(lenient);
            let bulk = BulkMessages::read(&mut r, &body);
            for (i, (_, messages)) in bulk.entries.iter().enumerate() {
                for m in messages {
                    let _ = message(&mut r, &format!("entries[{i}]"), m);
                }
            }
        }

        #[test]
        fn times_never_panic(text in "\\PC{0,40}", millis in any::<i64>(), secs in any::<i64>()) {
            let mut r = Reader::default();
            let _ = iso_time(&mut r, "startTime", Some(&text));
            let _ = epoch_millis(&mut r, "startTime", Some(millis));
            let _ = seconds(&mut r, "totalHoldDuration", Some(secs));
        }

        #[test]
        fn iso_times_read_back_exactly(secs in -62_135_596_800i64..253_402_300_799, nanos in 0u32..1_000_000_000, offset in -86_399i32..86_399) {
            let t = chrono::DateTime::from_timestamp(secs, nanos).unwrap();
            let zone = chrono::FixedOffset::east_opt(offset - offset % 60).unwrap();
            let text = t.with_timezone(&zone).to_rfc3339();
            let mut r = Reader::default();
            let parsed = iso_time(&mut r, "startTime", Some(&text));
            prop_assert!(r.ok(), "{}", text);
            prop_assert_eq!(parsed, Some(Timestamp { seconds: secs, nanos: nanos as i32 }), "{}", text);
        }

        #[test]
        fn epoch_millis_read_back_and_negatives_are_refused(millis in any::<i64>()) {
            let mut r = Reader::default();
            let parsed = epoch_millis(&mut r, "startTime", Some(millis));
            if millis < 0 {
                prop_assert!(!r.ok());
            } else {
                let t = parsed.unwrap();
                prop_assert_eq!(t.seconds * 1000 + i64::from(t.nanos) / 1_000_000, millis);
            }
        }
    }
}
