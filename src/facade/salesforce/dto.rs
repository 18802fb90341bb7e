//! Salesforce Telephony Integration API bodies, with Salesforce's exact
//! field names. Request bodies are read field by field (JSON, or XML turned
//! into the same shape) so every missing or mistyped field is reported;
//! responses are serde types.

use serde::Serialize;
use serde_json::{Map, Value};

use super::error::ErrorItem;
use crate::facade::fields::Reader;

/// `POST /telephony/v1/voiceCalls`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CreateVoiceCall {
    /// `callCenterApiName` (required).
    pub call_center_api_name: Option<String>,
    /// `parentVoiceCallId`: the parent's id or vendor key.
    pub parent_voice_call_id: Option<String>,
    /// `vendorCallKey` (required).
    pub vendor_call_key: Option<String>,
    /// `to` (required).
    pub to: Option<String>,
    /// `from` (required).
    pub from: Option<String>,
    /// `initiationMethod` (required): `Inbound`, `Transfer` (and, as in API
    /// v49/v50, `Outbound`, `Conference`).
    pub initiation_method: Option<String>,
    /// `queue`.
    pub queue: Option<String>,
    /// `startTime` (required), ISO 8601.
    pub start_time: Option<String>,
    /// `callOrigin`: `Preview`, `Progressive`, `Voicemail`.
    pub call_origin: Option<String>,
    /// `callSubtype`: `PSTN`, `WebRTC`.
    pub call_subtype: Option<String>,
    /// `participants` (required, at least one).
    pub participants: Vec<Participant>,
    /// `callAttributes`: a string holding a JSON object.
    pub call_attributes: Option<String>,
}

/// One of `participants`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Participant {
    /// `participantKey`.
    pub participant_key: Option<String>,
    /// `type`, e.g. `END_USER`.
    pub participant_type: Option<String>,
}

impl CreateVoiceCall {
    /// Reads the body, recording missing and mistyped fields in `r`.
    pub fn read(r: &mut Reader, body: &Map<String, Value>) -> Self {
        let participants = match r.objects(body, "", "participants", true) {
            Some(list) if list.is_empty() => {
                r.error("participants", "participants must list at least one participant");
                Vec::new()
            }
            Some(list) => list
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let prefix = format!("participants[{i}]");
                    Participant {
                        participant_key: r.text(p, &prefix, "participantKey", true),
                        participant_type: r.text(p, &prefix, "type", true),
                    }
                })
                .collect(),
            None => Vec::new(),
        };
        Self {
            call_center_api_name: r.text(body, "", "callCenterApiName", true),
            parent_voice_call_id: r.text(body, "", "parentVoiceCallId", false),
            vendor_call_key: r.text(body, "", "vendorCallKey", true),
            to: r.text(body, "", "to", true),
            from: r.text(body, "", "from", true),
            initiation_method: r.text(body, "", "initiationMethod", true),
            queue: r.text(body, "", "queue", false),
            start_time: r.text(body, "", "startTime", true),
            call_origin: r.text(body, "", "callOrigin", false),
            call_subtype: r.text(body, "", "callSubtype", false),
            participants,
            call_attributes: r.text(body, "", "callAttributes", false),
        }
    }
}

/// `disconnectReason` of an update.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DisconnectReason {
    /// `value`, e.g. `TELECOM_PROBLEM` or `CALLBACK`.
    pub value: Option<String>,
    /// `isError`.
    pub is_error: Option<bool>,
}

/// `PATCH /telephony/v1/voiceCalls/{CALL ID}`; every field optional.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UpdateVoiceCall {
    /// `startTime`, ISO 8601.
    pub start_time: Option<String>,
    /// `endTime`, ISO 8601.
    pub end_time: Option<String>,
    /// `enqueueTime`, ISO 8601.
    pub enqueue_time: Option<String>,
    /// `acceptTime`, ISO 8601.
    pub accept_time: Option<String>,
    /// `fromNumber`.
    pub from_number: Option<String>,
    /// `totalHoldDuration`, seconds.
    pub total_hold_duration: Option<i64>,
    /// `longestHoldDuration`, seconds.
    pub longest_hold_duration: Option<i64>,
    /// `numberOfHolds`.
    pub number_of_holds: Option<i64>,
    /// `queue`.
    pub queue: Option<String>,
    /// `agent` (username).
    pub agent: Option<String>,
    /// `agentInteractionDuration`, seconds.
    pub agent_interaction_duration: Option<i64>,
    /// `callOrigin`.
    pub call_origin: Option<String>,
    /// `recordingLocation`.
    pub recording_location: Option<String>,
    /// `totalRecordingDuration`, seconds.
    pub total_recording_duration: Option<i64>,
    /// `callAttributes`: a string holding a JSON object.
    pub call_attributes: Option<String>,
    /// `isActiveCall`: `true` keeps the call in progress, `false` ends it.
    pub is_active_call: Option<bool>,
    /// `disconnectReason`.
    pub disconnect_reason: Option<DisconnectReason>,
}

impl UpdateVoiceCall {
    /// Reads the body, recording mistyped fields in `r`.
    pub fn read(r: &mut Reader, body: &Map<String, Value>) -> Self {
        Self {
            start_time: r.text(body, "", "startTime", false),
            end_time: r.text(body, "", "endTime", false),
            enqueue_time: r.text(body, "", "enqueueTime", false),
            accept_time: r.text(body, "", "acceptTime", false),
            from_number: r.text(body, "", "fromNumber", false),
            total_hold_duration: r.integer(body, "", "totalHoldDuration", false),
            longest_hold_duration: r.integer(body, "", "longestHoldDuration", false),
            number_of_holds: r.integer(body, "", "numberOfHolds", false),
            queue: r.text(body, "", "queue", false),
            agent: r.text(body, "", "agent", false),
            agent_interaction_duration: r.integer(body, "", "agentInteractionDuration", false),
            call_origin: r.text(body, "", "callOrigin", false),
            recording_location: r.text(body, "", "recordingLocation", false),
            total_recording_duration: r.integer(body, "", "totalRecordingDuration", false),
            call_attributes: r.text(body, "", "callAttributes", false),
            is_active_call: r.boolean(body, "", "isActiveCall", false),
            disconnect_reason: r
                .object(body, "", "disconnectReason", false)
                .map(|d| DisconnectReason {
                    value: r.text(d, "disconnectReason", "value", true),
                    is_error: r.boolean(d, "disconnectReason", "isError", false),
                }),
        }
    }
}

/// One transcript utterance.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message {
    /// `participantId`, e.g. `{vendorCallKey}END_USER`.
    pub participant_id: Option<String>,
    /// `messageId`, unique within the call.
    pub message_id: Option<String>,
    /// `startTime`, epoch milliseconds.
    pub start_time: Option<i64>,
    /// `endTime`, epoch milliseconds.
    pub end_time: Option<i64>,
    /// `content`.
    pub content: Option<String>,
    /// `senderType`: `END_USER`, `EXTERNAL_USER`, `HUMAN_AGENT`,
    /// `SUPERVISOR`, `VIRTUAL_AGENT`.
    pub sender_type: Option<String>,
}

impl Message {
    /// Reads one message at `prefix`.
    pub fn read(r: &mut Reader, body: &Map<String, Value>, prefix: &str) -> Self {
        Self {
            participant_id: r.text(body, prefix, "participantId", true),
            message_id: r.text(body, prefix, "messageId", true),
            start_time: r.integer(body, prefix, "startTime", true),
            end_time: r.integer(body, prefix, "endTime", true),
            content: r.text(body, prefix, "content", true),
            sender_type: r.text(body, prefix, "senderType", true),
        }
    }
}

/// Most calls, and messages per call, in one bulk request (Salesforce's
/// limits).
pub const MAX_BULK: usize = 5;

/// `POST /telephony/v1/voiceCalls/messages`: `entries[{vendorCallKey,
/// messages[…]}]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BulkMessages {
    /// (`vendorCallKey`, its `messages`).
    pub entries: Vec<(Option<String>, Vec<Message>)>,
}

impl BulkMessages {
    /// Reads the body, recording problems in `r`.
    pub fn read(r: &mut Reader, body: &Map<String, Value>) -> Self {
        let entries = r.objects(body, "", "entries", true).unwrap_or_default();
        if entries.is_empty() && !body.get("entries").is_none_or(Value::is_null) {
            r.error("entries", "entries must hold at least one entry");
        }
        if entries.len() > MAX_BULK {
            r.error("entries", format!("entries may hold at most {MAX_BULK} calls"));
        }
        let entries = entries
            .iter()
            .enumerate()
            .map(|(e, entry)| {
                let prefix = format!("entries[{e}]");
                let key = r.text(entry, &prefix, "vendorCallKey", true);
                let messages = r.objects(entry, &prefix, "messages", true).unwrap_or_default();
                if messages.len() > MAX_BULK {
                    r.error(
                        format!("{prefix}.messages"),
                        format!("{prefix}.messages may hold at most {MAX_BULK} messages"),
                    );
                }
                let messages = messages
                    .iter()
                    .enumerate()
                    .map(|(m, message)| Message::read(r, message, &format!("{prefix}.messages[{m}]")))
                    .collect();
                (key, messages)
            })
            .collect();
        Self { entries }
    }
}

/// The create response: `{"voiceCallId":"0LQ…","errors":[]}`.
#[derive(Clone, Debug, Serialize)]
pub struct CreateResponse {
    /// The voice call's id.
    #[serde(rename = "voiceCallId")]
    pub voice_call_id: String,
    /// Always empty on success.
    pub errors: Vec<ErrorItem>,
}

/// The update response: `{"status":"pending"}` (Salesforce applies updates
/// asynchronously; here it has already been applied).
#[derive(Clone, Debug, Serialize)]
pub struct PendingResponse {
    /// `pending`.
    pub status: &'static str,
}

/// The transcript responses: `{"result":"Accepted"}`.
#[derive(Clone, Debug, Serialize)]
pub struct AcceptedResponse {
    /// `Accepted`.
    pub result: &'static str,
}
