//! `PhoneCall` ↔ protobuf, and the `read_mask` of `ListPhoneCalls`.

use crate::domain::DomainError;
use crate::domain::phone_call::{
    CallerId, Disposition, Flow, Leg, LegRole, LegStatus, PhoneCall, PhoneCallType, RecordingFormat,
};
use crate::pb;
use crate::pb::phone_call::leg;

use super::common::{call_state, opt_timestamp, seconds, timestamp};

/// Domain type → protobuf.
pub fn call_type(t: PhoneCallType) -> pb::phone_call::Type {
    use pb::phone_call::Type as P;
    match t {
        PhoneCallType::Simple => P::Simple,
        PhoneCallType::Callback => P::Callback,
        PhoneCallType::ConferenceInvite => P::ConferenceInvite,
    }
}

/// Protobuf type → domain; unknown numbers and `UNSPECIFIED` are `None`.
pub fn from_call_type(value: i32) -> Option<PhoneCallType> {
    use pb::phone_call::Type as P;
    match P::try_from(value).ok()? {
        P::Unspecified => None,
        P::Simple => Some(PhoneCallType::Simple),
        P::Callback => Some(PhoneCallType::Callback),
        P::ConferenceInvite => Some(PhoneCallType::ConferenceInvite),
    }
}

/// Domain disposition → protobuf.
pub fn disposition(d: Disposition) -> pb::phone_call::Disposition {
    use pb::phone_call::Disposition as P;
    match d {
        Disposition::Answered => P::Answered,
        Disposition::Busy => P::Busy,
        Disposition::Failed => P::Failed,
        Disposition::NoAnswer => P::NoAnswer,
        Disposition::Unknown => P::Unknown,
        Disposition::NotAllowed => P::NotAllowed,
    }
}

fn flow(f: Flow) -> leg::Flow {
    match f {
        Flow::Local => leg::Flow::Local,
        Flow::OutgoingPublic => leg::Flow::OutgoingPublic,
        Flow::IncomingPublic => leg::Flow::IncomingPublic,
    }
}

fn status(s: LegStatus) -> leg::Status {
    match s {
        LegStatus::Trying => leg::Status::Trying,
        LegStatus::Ringing => leg::Status::Ringing,
        LegStatus::OnCall => leg::Status::OnCall,
        LegStatus::Ended => leg::Status::Ended,
    }
}

fn role(r: LegRole) -> leg::Role {
    match r {
        LegRole::Party => leg::Role::Party,
        LegRole::BargeIn => leg::Role::BargeIn,
        LegRole::Whisper => leg::Role::Whisper,
        LegRole::Monitor => leg::Role::Monitor,
    }
}

/// Domain recording format → protobuf.
pub fn recording_format(f: RecordingFormat) -> pb::RecordingFormat {
    match f {
        RecordingFormat::Wav => pb::RecordingFormat::Wav,
        RecordingFormat::Wav49 => pb::RecordingFormat::Wav49,
    }
}

/// Protobuf recording format → domain; `UNSPECIFIED` means WAV, unknown
/// numbers are rejected.
pub fn from_recording_format(field: &str, value: i32) -> Result<RecordingFormat, DomainError> {
    match pb::RecordingFormat::try_from(value) {
        Ok(pb::RecordingFormat::Unspecified | pb::RecordingFormat::Wav) => Ok(RecordingFormat::Wav),
        Ok(pb::RecordingFormat::Wav49) => Ok(RecordingFormat::Wav49),
        Err(_) => Err(DomainError::invalid(
            field,
            "must be RECORDING_FORMAT_WAV or RECORDING_FORMAT_WAV49",
        )),
    }
}

/// Domain caller id → protobuf.
pub fn caller_id(c: &CallerId) -> pb::CallerId {
    pb::CallerId {
        name: c.name.clone().unwrap_or_default(),
        number: c.number.clone(),
    }
}

/// Protobuf caller id → domain; an absent or empty one is `None`.
pub fn from_caller_id(field: &str, c: Option<&pb::CallerId>) -> Result<Option<CallerId>, DomainError> {
    match c {
        None => Ok(None),
        Some(c) => CallerId::optional(field, &c.name, &c.number),
    }
}

fn leg(l: &Leg) -> pb::phone_call::Leg {
    pb::phone_call::Leg {
        id: l.id.clone(),
        extension: l.extension.clone(),
        source: l.source.clone(),
        destination: l.destination.clone(),
        flow: flow(l.flow).into(),
        status: status(l.status).into(),
        caller_id: l.caller_id.as_ref().map(caller_id),
        caller_id_destination: l.caller_id_destination.as_ref().map(caller_id),
        recording: l.recording.is_some(),
        recording_format: l
            .recording
            .map(recording_format)
            .unwrap_or(pb::RecordingFormat::Unspecified)
            .into(),
        answer_time: opt_timestamp(l.answer_time),
        parked: l.parking.is_some(),
        park_position: l.parking.as_ref().map(|p| p.position).unwrap_or_default(),
        parked_by: l
            .parking
            .as_ref()
            .map(|p| p.parked_by.clone())
            .unwrap_or_default(),
        on_hold: l.on_hold,
        // Hold is per leg: the leg on hold is the one holding the call.
        holder: l.on_hold,
        disposition: l
            .disposition
            .map(disposition)
            .unwrap_or(pb::phone_call::Disposition::Unspecified)
            .into(),
        role: role(l.role).into(),
        private: l.private,
        end_time: opt_timestamp(l.end_time),
        phone_number: l.phone_number.clone(),
        pickup_deadline: opt_timestamp(l.pickup_deadline),
        park_deadline: opt_timestamp(l.parking.as_ref().and_then(|p| p.deadline)),
    }
}

/// Domain call → protobuf.
pub fn phone_call(c: &PhoneCall) -> pb::PhoneCall {
    pb::PhoneCall {
        name: c.name(),
        id: c.id.to_string(),
        request_id: c.request_id.clone().unwrap_or_default(),
        r#type: call_type(c.call_type).into(),
        extension: c.extension.clone(),
        owner_id: c.owner_id.to_string(),
        owner_name: c.owner_name.clone(),
        state: call_state(c.state).into(),
        disposition: c
            .disposition
            .map(disposition)
            .unwrap_or(pb::phone_call::Disposition::Unspecified)
            .into(),
        create_time: Some(timestamp(c.create_time)),
        answer_time: opt_timestamp(c.answer_time),
        end_time: opt_timestamp(c.end_time),
        pickup_deadline: opt_timestamp(c.pickup_deadline()),
        max_duration: c.max_duration_secs.map(seconds),
        allow_public_transfer: c.allow_public_transfer,
        video: c.video,
        conference_number: c.conference_number.clone().unwrap_or_default(),
        conference_pin: c.conference_pin.clone().unwrap_or_default(),
        legs: c.legs.iter().map(leg).collect(),
        interaction: format!("interactions/{}", c.interaction),
        update_time: Some(timestamp(c.update_time)),
        etag: c.etag(),
    }
}

/// The `PhoneCall` fields a `read_mask` may name.
pub const READ_MASK_FIELDS: &[&str] = &[
    "name",
    "id",
    "request_id",
    "type",
    "extension",
    "owner_id",
    "owner_name",
    "state",
    "disposition",
    "create_time",
    "answer_time",
    "end_time",
    "pickup_deadline",
    "max_duration",
    "allow_public_transfer",
    "video",
    "conference_number",
    "conference_pin",
    "legs",
    "interaction",
    "update_time",
    "etag",
];

/// Checks every `read_mask` path.
pub fn check_read_mask(paths: &[String]) -> Result<(), DomainError> {
    match paths.iter().find(|p| !READ_MASK_FIELDS.contains(&p.as_str())) {
        None => Ok(()),
        Some(unknown) => Err(DomainError::invalid(
            "read_mask",
            format!(
                "unknown field '{unknown}'; PhoneCall fields: {}",
                READ_MASK_FIELDS.join(", ")
            ),
        )),
    }
}

/// Keeps only the fields named by a checked `read_mask`; an empty mask keeps
/// everything.
pub fn masked(call: pb::PhoneCall, paths: &[String]) -> pb::PhoneCall {
    if paths.is_empty() {
        return call;
    }
    let keep = |field: &str| paths.iter().any(|p| p == field);
    let mut out = pb::PhoneCall::default();
    let pb::PhoneCall {
        name,
        id,
        request_id,
        r#type,
        extension,
        owner_id,
        owner_name,
        state,
        disposition,
        create_time,
        answer_time,
        end_time,
        pickup_deadline,
        max_duration,
        allow_public_transfer,
        video,
        conference_number,
        conference_pin,
        legs,
        interaction,
        update_time,
        etag,
    } = call;
    macro_rules! copy {
        ($($field:ident => $path:literal),+ $(,)?) => {
            $(if keep($path) { out.$field = $field; })+
        };
    }
    copy!(
        name => "name",
        id => "id",
        request_id => "request_id",
        r#type => "type",
        extension => "extension",
        owner_id => "owner_id",
        owner_name => "owner_name",
        state => "state",
        disposition => "disposition",
        create_time => "create_time",
        answer_time => "answer_time",
        end_time => "end_time",
        pickup_deadline => "pickup_deadline",
        max_duration => "max_duration",
        allow_public_transfer => "allow_public_transfer",
        video => "video",
        conference_number => "conference_number",
        conference_pin => "conference_pin",
        legs => "legs",
        interaction => "interaction",
        update_time => "update_time",
        etag => "etag",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_only_named_fields_and_reject_unknown_ones() {
        let call = pb::PhoneCall {
            id: "a".into(),
            extension: "212".into(),
            owner_name: "Alice".into(),
            ..Default::default()
        };
        let kept = masked(call.clone(), &["id".into(), "extension".into()]);
        assert_eq!(
            (
                kept.id.as_str(),
                kept.extension.as_str(),
                kept.owner_name.as_str()
            ),
            ("a", "212", "")
        );
        assert_eq!(masked(call.clone(), &[]), call);
        assert!(check_read_mask(&["legs".into()]).is_ok());
        assert!(check_read_mask(&["phoneCallView".into()]).is_err());
    }

    #[test]
    fn recording_formats_default_to_wav_and_reject_unknown_numbers() {
        assert_eq!(from_recording_format("format", 0).unwrap(), RecordingFormat::Wav);
        assert_eq!(
            from_recording_format("format", 2).unwrap(),
            RecordingFormat::Wav49
        );
        assert!(from_recording_format("format", 7).is_err());
        assert_eq!(from_call_type(0), None);
        assert_eq!(from_call_type(9), None);
        assert_eq!(from_call_type(3), Some(PhoneCallType::ConferenceInvite));
    }
}
