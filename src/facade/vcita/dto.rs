//! vcita (inTandem) v3 voice-call bodies, with vcita's exact snake_case
//! field names. Request bodies are read field by field so every problem is
//! reported; responses are serde types inside the `{"success":true,
//! "data":…}` envelope.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::facade::fields::Reader;

/// `POST /v3/communication/voice_calls`; every field is required.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CreateVoiceCall {
    /// `staff_uid`.
    pub staff_uid: Option<String>,
    /// `client_uid`.
    pub client_uid: Option<String>,
    /// `from_number`, E.164.
    pub from_number: Option<String>,
    /// `to_number`, E.164.
    pub to_number: Option<String>,
    /// `direction`: `INBOUND` or `OUTBOUND`.
    pub direction: Option<String>,
    /// `status`, e.g. `INCOMING_CALL` (legacy `VOICEMAIL_RECEIVED` too).
    pub status: Option<String>,
    /// `rate`: a decimal *string*.
    pub rate: Option<String>,
    /// `provider`: `VONAGE`.
    pub provider: Option<String>,
    /// `source_id`.
    pub source_id: Option<String>,
    /// `external_uuid`: the idempotency key.
    pub external_uuid: Option<String>,
    /// `business_uid`.
    pub business_uid: Option<String>,
}

/// The create fields, in the order errors are reported.
pub const CREATE_FIELDS: &[&str] = &[
    "staff_uid",
    "client_uid",
    "from_number",
    "to_number",
    "direction",
    "status",
    "rate",
    "provider",
    "source_id",
    "external_uuid",
    "business_uid",
];

impl CreateVoiceCall {
    /// Reads the body, recording missing and mistyped fields in `r`.
    pub fn read(r: &mut Reader, body: &Map<String, Value>) -> Self {
        let mut text = |name: &str| r.text(body, "", name, true);
        Self {
            staff_uid: text("staff_uid"),
            client_uid: text("client_uid"),
            from_number: text("from_number"),
            to_number: text("to_number"),
            direction: text("direction"),
            status: text("status"),
            rate: text("rate"),
            provider: text("provider"),
            source_id: text("source_id"),
            external_uuid: text("external_uuid"),
            business_uid: text("business_uid"),
        }
    }
}

/// A field of a PUT body: absent, `null` (clear it), or a value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Patch<T> {
    /// Not in the body.
    #[default]
    Absent,
    /// `null`: clear the field.
    Clear,
    /// A new value.
    Set(T),
}

/// `PUT /v3/communication/voice_calls/{uid}`, read as a partial update:
/// only the fields present change (vcita's own validation flow sends just
/// `{"status": …}`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UpdateVoiceCall {
    /// `staff_uid`.
    pub staff_uid: Patch<String>,
    /// `client_uid`.
    pub client_uid: Patch<String>,
    /// `from_number`.
    pub from_number: Patch<String>,
    /// `to_number` (immutable; may be resent unchanged).
    pub to_number: Patch<String>,
    /// `direction` (immutable; may be resent unchanged).
    pub direction: Patch<String>,
    /// `status`.
    pub status: Patch<String>,
    /// `rate`.
    pub rate: Patch<String>,
    /// `price`.
    pub price: Patch<String>,
    /// `provider`.
    pub provider: Patch<String>,
    /// `source_id`.
    pub source_id: Patch<String>,
    /// `external_uuid` (immutable; may be resent unchanged).
    pub external_uuid: Patch<String>,
    /// `business_uid`.
    pub business_uid: Patch<String>,
    /// `duration`, seconds.
    pub duration: Patch<i64>,
    /// `call_summary`.
    pub call_summary: Patch<String>,
    /// `external_app_url`.
    pub external_app_url: Patch<String>,
    /// `external_app_name`.
    pub external_app_name: Patch<String>,
    /// `recording_id`.
    pub recording_id: Patch<String>,
    /// `handled_by_staff_uid`.
    pub handled_by_staff_uid: Patch<String>,
}

impl UpdateVoiceCall {
    /// Reads the fields present in the body, recording mistyped ones in
    /// `r`. Fields vcita renders but does not update (`uid`, `created_at`
    /// …) are ignored, so a client may send back what it read.
    pub fn read(r: &mut Reader, body: &Map<String, Value>) -> Self {
        let mut text = |name: &str| match body.get(name) {
            None => Patch::Absent,
            Some(Value::Null) => Patch::Clear,
            Some(_) => r.text(body, "", name, false).map_or(Patch::Absent, Patch::Set),
        };
        let mut dto = Self {
            staff_uid: text("staff_uid"),
            client_uid: text("client_uid"),
            from_number: text("from_number"),
            to_number: text("to_number"),
            direction: text("direction"),
            status: text("status"),
            rate: text("rate"),
            price: text("price"),
            provider: text("provider"),
            source_id: text("source_id"),
            external_uuid: text("external_uuid"),
            business_uid: text("business_uid"),
            duration: Patch::Absent,
            call_summary: text("call_summary"),
            external_app_url: text("external_app_url"),
            external_app_name: text("external_app_name"),
            recording_id: text("recording_id"),
            handled_by_staff_uid: text("handled_by_staff_uid"),
        };
        dto.duration = match body.get("duration") {
            None => Patch::Absent,
            Some(Value::Null) => Patch::Clear,
            Some(_) => r
                .integer(body, "", "duration", false)
                .map_or(Patch::Absent, Patch::Set),
        };
        dto
    }

    /// Whether the body named no updatable field.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A recording as vcita renders it (note the camelCase `recordingUrl`).
#[derive(Clone, Debug, Serialize)]
pub struct RecordingJson {
    /// `uid`.
    pub uid: Option<String>,
    /// `recordingUrl`.
    #[serde(rename = "recordingUrl")]
    pub recording_url: Option<String>,
    /// `size`, bytes.
    pub size: Option<i64>,
    /// `duration`, seconds.
    pub duration: Option<i64>,
    /// `recording_played`.
    pub recording_played: bool,
    /// `recording_type`: `CALL` or `VOICEMAIL`.
    pub recording_type: &'static str,
}

/// The VoiceCall entity.
#[derive(Clone, Debug, Serialize)]
pub struct VoiceCallJson {
    /// `uid`: the voice call id.
    pub uid: String,
    /// `duration`, seconds.
    pub duration: Option<i64>,
    /// `created_at`, ISO 8601.
    pub created_at: String,
    /// `updated_at`, ISO 8601.
    pub updated_at: String,
    /// `status`.
    pub status: String,
    /// `direction`.
    pub direction: Option<&'static str>,
    /// `staff_uid`.
    pub staff_uid: Option<String>,
    /// `client_uid`.
    pub client_uid: Option<String>,
    /// `business_uid`.
    pub business_uid: Option<String>,
    /// `from_number`.
    pub from_number: String,
    /// `to_number`.
    pub to_number: String,
    /// `rate`, a decimal string.
    pub rate: Option<String>,
    /// `price`, a decimal string.
    pub price: Option<String>,
    /// `provider`.
    pub provider: Option<String>,
    /// `call_summary`.
    pub call_summary: Option<String>,
    /// `recording`.
    pub recording: Option<RecordingJson>,
    /// `external_app_url`.
    pub external_app_url: Option<String>,
    /// `external_app_name`.
    pub external_app_name: Option<String>,
    /// `source_id`.
    pub source_id: Option<String>,
    /// `external_uuid`.
    pub external_uuid: Option<String>,
    /// `handled_by_staff_uid`.
    pub handled_by_staff_uid: Option<String>,
    /// `handled_at`, ISO 8601.
    pub handled_at: Option<String>,
    /// `deleted_at`; calls are never deleted here.
    pub deleted_at: Option<String>,
    /// `transcript_status`: `IN_PROGRESS`, `DONE`, `FAILED`.
    pub transcript_status: Option<&'static str>,
}

/// `{"voice_calls":[…]}`, the list data.
#[derive(Clone, Debug, Serialize)]
pub struct VoiceCallList {
    /// The page of calls.
    pub voice_calls: Vec<VoiceCallJson>,
}

/// One line of a transcript.
#[derive(Clone, Debug, Serialize)]
pub struct TranscriptLine {
    /// Seconds since the call started.
    pub timestamp: f64,
    /// `client` or `staff`.
    pub speaker_role: &'static str,
    /// What was said.
    pub text: String,
}

/// `GET …/voice_calls/{uid}/transcript` data.
#[derive(Clone, Debug, Serialize)]
pub struct Transcript {
    /// `transcript_uid`: the call's transcript, named by the call's uid.
    pub transcript_uid: String,
    /// `IN_PROGRESS`, `DONE` or `FAILED`.
    pub status: &'static str,
    /// The lines, in order.
    pub transcript: Vec<TranscriptLine>,
}

/// One status of the stats report.
#[derive(Clone, Debug, Serialize)]
pub struct StatusCount {
    /// The vcita status.
    pub status: String,
    /// How many calls.
    pub count: i64,
}

/// `GET …/voice_calls/reports/voice_call_stats` data.
#[derive(Clone, Debug, Serialize)]
pub struct Stats {
    /// Counts per status.
    pub status_counts: Vec<StatusCount>,
    /// All calls counted.
    pub total_voice_calls: i64,
    /// The period's first day, as given.
    pub start_date: Option<String>,
    /// The period's last day (inclusive), as given.
    pub end_date: Option<String>,
}

/// `{"success":true,"data":…}`.
#[derive(Clone, Debug, Serialize)]
pub struct Success<T> {
    /// Always `true`.
    pub success: bool,
    /// The payload.
    pub data: T,
}

impl<T> Success<T> {
    /// Wraps `data`.
    pub fn new(data: T) -> Self {
        Self { success: true, data }
    }
}
