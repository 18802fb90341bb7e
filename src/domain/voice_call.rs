//! The voice-call aggregate (Salesforce Service Cloud Voice and vcita): its
//! enums, value rules (E.164 numbers, decimal strings), the voice-call state
//! machine, parent/child chains, and validated create and update inputs.
//!
//! The serde form of [`VoiceCall`] is the outbox snapshot; keep it stable.
//!
//! # State machine
//! ```text
//! QUEUED ──▶ RINGING ──▶ ACTIVE ──▶ COMPLETED | FAILED | VOICEMAIL | MISSED
//!    │           │
//!    └───────────┴──▶ any terminal state (MISSED, BUSY, FAILED, CANCELED,
//!                     VOICEMAIL, COMPLETED)
//! ```
//! - Staying in the same state is always allowed; the vendor literal may
//!   change (vcita `MISSED` → `MISSED_CALL_HANDLED`, `VOICEMAIL_RECEIVED` →
//!   `VOICEMAIL`).
//! - No state moves backwards (ACTIVE → RINGING is refused).
//! - ACTIVE → MISSED is allowed because vcita's provider IVR answers calls
//!   (`ANSWERED_BY_CALLS_PROVIDER`, canonical ACTIVE) that no staff member
//!   then takes.
//! - Terminal states are final, with one documented correction: MISSED →
//!   VOICEMAIL, for a missed call whose caller then left a voicemail.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::DomainError;
use super::common::{CallState, MAX_LONG_TEXT, MAX_SHORT_TEXT, VendorLiteral, bounded_json, optional_text};
use super::error::Violations;
use super::filter::{FieldKind, Schema};
use super::ids::{InteractionId, VoiceCallId};
use super::interaction::InteractionType;
use super::time::Timestamp;

stored_enum!(
    /// The direction of a call as seen from the business.
    Direction {
        /// From a customer to the business.
        Inbound = "INBOUND",
        /// From the business to a customer.
        Outbound = "OUTBOUND",
    }
);

stored_enum!(
    /// How a voice call came to exist.
    InitiationMethod {
        /// A new inbound call.
        Inbound = "INBOUND",
        /// A new outbound call.
        Outbound = "OUTBOUND",
        /// A transfer of a parent call.
        Transfer = "TRANSFER",
        /// A conference leg of a parent call.
        Conference = "CONFERENCE",
    }
);

impl InitiationMethod {
    /// Whether calls made this way must name a parent.
    pub fn needs_parent(self) -> bool {
        matches!(self, InitiationMethod::Transfer | InitiationMethod::Conference)
    }
}

stored_enum!(
    /// How an outbound call was dialled.
    CallOrigin {
        /// Preview dialling.
        Preview = "PREVIEW",
        /// Progressive dialling.
        Progressive = "PROGRESSIVE",
        /// A voicemail.
        Voicemail = "VOICEMAIL",
    }
);

stored_enum!(
    /// The transport of a call.
    CallSubtype {
        /// The public telephone network.
        Pstn = "PSTN",
        /// A browser call.
        Webrtc = "WEBRTC",
    }
);

stored_enum!(
    /// The progress of a call's transcript.
    TranscriptStatus {
        /// Messages are still arriving.
        InProgress = "IN_PROGRESS",
        /// Complete.
        Done = "DONE",
        /// Transcription failed.
        Failed = "FAILED",
    }
);

stored_enum!(
    /// The role of a participant or of a transcript message's sender.
    ParticipantType {
        /// The customer.
        EndUser = "END_USER",
        /// Another external party.
        ExternalUser = "EXTERNAL_USER",
        /// An agent.
        HumanAgent = "HUMAN_AGENT",
        /// A supervisor.
        Supervisor = "SUPERVISOR",
        /// A bot.
        VirtualAgent = "VIRTUAL_AGENT",
    }
);

impl CallState {
    /// Whether the voice-call state machine allows moving from `self` to
    /// `next` (see the module documentation).
    pub fn voice_call_can_become(self, next: CallState) -> bool {
        use CallState::*;
        if self == next {
            return true;
        }
        match self {
            Queued => next != Queued,
            Ringing => !matches!(next, Queued),
            Active => matches!(next, Completed | Failed | Voicemail | Missed),
            Missed => next == Voicemail,
            Completed | Busy | Failed | Canceled | Voicemail => false,
        }
    }
}

/// The filterable fields of `ListVoiceCalls`.
pub const FILTER_SCHEMA: Schema = &[
    ("id", FieldKind::Text),
    (
        "state",
        FieldKind::Enum {
            prefix: "CALL_STATE_",
            values: CallState::NAMES,
        },
    ),
    ("state_literal.dialect", FieldKind::Text),
    ("state_literal.value", FieldKind::Text),
    (
        "direction",
        FieldKind::Enum {
            prefix: "DIRECTION_",
            values: Direction::NAMES,
        },
    ),
    (
        "initiation_method",
        FieldKind::Enum {
            prefix: "INITIATION_METHOD_",
            values: InitiationMethod::NAMES,
        },
    ),
    ("create_time", FieldKind::Time),
    ("update_time", FieldKind::Time),
    ("start_time", FieldKind::Time),
    ("end_time", FieldKind::Time),
    ("vendor_call_key", FieldKind::Text),
    ("external_uuid", FieldKind::Text),
    ("call_center_api_name", FieldKind::Text),
    ("staff_uid", FieldKind::Text),
    ("client_uid", FieldKind::Text),
    ("business_uid", FieldKind::Text),
    ("from_number", FieldKind::Text),
    ("to_number", FieldKind::Text),
    ("parent_id", FieldKind::Text),
];

/// The sort keys of `ListVoiceCalls`.
pub const ORDER_FIELDS: &[&str] = &["create_time", "update_time", "start_time"];

/// Most participants one call may list.
pub const MAX_PARTICIPANTS: usize = 50;

/// Checks an E.164 number: `+`, then 2 to 15 digits, the first not 0.
pub fn e164(field: &str, value: &str) -> Result<String, DomainError> {
    let digits = value.strip_prefix('+').unwrap_or("");
    let ok = (2..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if ok {
        Ok(value.to_owned())
    } else {
        Err(DomainError::invalid(
            field,
            format!("must be an E.164 number such as +14155550148, got {value:?}"),
        ))
    }
}

/// Checks a call address: an E.164 number when it starts with `+`,
/// otherwise any short text without spaces (an e-mail address, a SIP URI,
/// a national number, or Salesforce's `WEBRTC_DEFAULT`).
pub fn call_address(field: &str, value: &str) -> Result<String, DomainError> {
    if value.is_empty() {
        return Err(DomainError::invalid(field, "is required"));
    }
    if value.starts_with('+') {
        return e164(field, value);
    }
    if value.len() > MAX_SHORT_TEXT || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(DomainError::invalid(
            field,
            format!("must be a phone number or address of at most {MAX_SHORT_TEXT} bytes without spaces"),
        ));
    }
    Ok(value.to_owned())
}

/// A non-negative decimal number kept as the string the client sent
/// (`"0.05"`), so money never passes through floating point.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Decimal(String);

impl Decimal {
    /// Parses `value`: up to 12 integer digits and an optional fraction of
    /// up to 6 digits.
    pub fn parse(field: &str, value: &str) -> Result<Option<Self>, DomainError> {
        if value.is_empty() {
            return Ok(None);
        }
        let (whole, fraction) = match value.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (value, None),
        };
        let digits =
            |s: &str, max: usize| (1..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
        if digits(whole, 12) && fraction.is_none_or(|f| digits(f, 6)) {
            Ok(Some(Self(value.to_owned())))
        } else {
            Err(DomainError::invalid(
                field,
                format!("must be a non-negative decimal string such as \"0.05\", got {value:?}"),
            ))
        }
    }

    /// The decimal as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A party of a voice call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    /// A phone number, an address or a user id.
    pub participant_key: String,
    /// The role.
    #[serde(rename = "type")]
    pub participant_type: ParticipantType,
}

/// Why a call was disconnected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisconnectReason {
    /// For example `TELECOM_PROBLEM` or `CALLBACK`.
    pub value: String,
    /// Whether the disconnect was an error.
    pub is_error: bool,
}

/// A recording of a call.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recording {
    /// The recording id.
    pub id: Option<String>,
    /// Where it can be fetched.
    pub url: Option<String>,
    /// Size in bytes.
    pub size_bytes: Option<i64>,
    /// Length in whole seconds.
    pub duration_secs: Option<i64>,
    /// Whether someone played it.
    pub played: bool,
    /// Whether it is a voicemail rather than the call.
    pub voicemail: bool,
}

/// A voice call record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VoiceCall {
    /// The id.
    pub id: VoiceCallId,
    /// The telephony system's key (Salesforce `vendorCallKey`).
    pub vendor_call_key: Option<String>,
    /// The provider's unique id (vcita `external_uuid`).
    pub external_uuid: Option<String>,
    /// The Salesforce call centre.
    pub call_center_api_name: Option<String>,
    /// The telephony provider that created the call.
    pub telephony_provider: Option<String>,
    /// The calling number or address.
    pub from_number: String,
    /// The called number or address.
    pub to_number: String,
    /// Direction, given or derived from the initiation method.
    pub direction: Option<Direction>,
    /// How the call came to exist.
    pub initiation_method: Option<InitiationMethod>,
    /// The call this one was transferred or conferenced from.
    pub parent: Option<VoiceCallId>,
    /// The queue.
    pub queue: Option<String>,
    /// The canonical state.
    pub state: CallState,
    /// The state as the last dialect that set it spelled it.
    pub state_literal: Option<VendorLiteral>,
    /// When the call started.
    pub start_time: Option<Timestamp>,
    /// When it ended.
    pub end_time: Option<Timestamp>,
    /// When it entered the queue.
    pub enqueue_time: Option<Timestamp>,
    /// When an agent accepted it.
    pub accept_time: Option<Timestamp>,
    /// How an outbound call was dialled.
    pub call_origin: Option<CallOrigin>,
    /// The transport.
    pub call_subtype: Option<CallSubtype>,
    /// The participants; the first is the end user.
    pub participants: Vec<Participant>,
    /// Custom fields (Salesforce `callAttributes`).
    pub call_attributes: Map<String, Value>,
    /// The agent's username.
    pub agent: Option<String>,
    /// Total hold time, seconds.
    pub total_hold_secs: Option<i64>,
    /// Longest hold, seconds.
    pub longest_hold_secs: Option<i64>,
    /// Number of holds.
    pub number_of_holds: Option<i32>,
    /// Agent time on the call, seconds.
    pub agent_interaction_secs: Option<i64>,
    /// Where the recording is stored.
    pub recording_location: Option<String>,
    /// Total recording length, seconds.
    pub total_recording_secs: Option<i64>,
    /// Why the call was disconnected.
    pub disconnect_reason: Option<DisconnectReason>,
    /// The call's length in seconds.
    pub duration_secs: Option<i64>,
    /// vcita staff member.
    pub staff_uid: Option<String>,
    /// vcita client.
    pub client_uid: Option<String>,
    /// vcita business.
    pub business_uid: Option<String>,
    /// Staff member who handled the call.
    pub handled_by_staff_uid: Option<String>,
    /// When `handled_by_staff_uid` was set.
    pub handle_time: Option<Timestamp>,
    /// Per-minute rate.
    pub rate: Option<Decimal>,
    /// Price of the call.
    pub price: Option<Decimal>,
    /// Voice provider, e.g. `VONAGE`.
    pub provider: Option<String>,
    /// Provider's source id.
    pub source_id: Option<String>,
    /// Summary of the conversation.
    pub call_summary: Option<String>,
    /// Link to the call in an external application.
    pub external_app_url: Option<String>,
    /// That application's name.
    pub external_app_name: Option<String>,
    /// The recording.
    pub recording: Option<Recording>,
    /// Progress of the transcript.
    pub transcript_status: Option<TranscriptStatus>,
    /// The interaction-history record of the call.
    pub interaction: InteractionId,
    /// When the record was created.
    pub create_time: Timestamp,
    /// When it last changed.
    pub update_time: Timestamp,
    /// Incremented on every change; the etag.
    pub revision: i64,
}

/// The data fields a client may set on create and (most of them) on
/// update. `api` fills it from protobuf, checking each value's shape with
/// the helpers of this module; the cross-field rules live in
/// [`NewVoiceCall::parse`] and [`VoiceCall::apply`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VoiceCallFields {
    /// See [`VoiceCall`].
    pub from_number: Option<String>,
    /// See [`VoiceCall`].
    pub to_number: Option<String>,
    /// See [`VoiceCall`].
    pub direction: Option<Direction>,
    /// See [`VoiceCall`].
    pub initiation_method: Option<InitiationMethod>,
    /// See [`VoiceCall`].
    pub queue: Option<String>,
    /// See [`VoiceCall`].
    pub start_time: Option<Timestamp>,
    /// See [`VoiceCall`].
    pub end_time: Option<Timestamp>,
    /// See [`VoiceCall`].
    pub enqueue_time: Option<Timestamp>,
    /// See [`VoiceCall`].
    pub accept_time: Option<Timestamp>,
    /// See [`VoiceCall`].
    pub call_origin: Option<CallOrigin>,
    /// See [`VoiceCall`].
    pub call_subtype: Option<CallSubtype>,
    /// See [`VoiceCall`].
    pub participants: Vec<Participant>,
    /// See [`VoiceCall`].
    pub call_attributes: Map<String, Value>,
    /// See [`VoiceCall`].
    pub agent: Option<String>,
    /// See [`VoiceCall`].
    pub total_hold_secs: Option<i64>,
    /// See [`VoiceCall`].
    pub longest_hold_secs: Option<i64>,
    /// See [`VoiceCall`].
    pub number_of_holds: Option<i32>,
    /// See [`VoiceCall`].
    pub agent_interaction_secs: Option<i64>,
    /// See [`VoiceCall`].
    pub recording_location: Option<String>,
    /// See [`VoiceCall`].
    pub total_recording_secs: Option<i64>,
    /// See [`VoiceCall`].
    pub disconnect_reason: Option<DisconnectReason>,
    /// See [`VoiceCall`].
    pub duration_secs: Option<i64>,
    /// See [`VoiceCall`].
    pub staff_uid: Option<String>,
    /// See [`VoiceCall`].
    pub client_uid: Option<String>,
    /// See [`VoiceCall`].
    pub business_uid: Option<String>,
    /// See [`VoiceCall`].
    pub handled_by_staff_uid: Option<String>,
    /// See [`VoiceCall`].
    pub rate: Option<Decimal>,
    /// See [`VoiceCall`].
    pub price: Option<Decimal>,
    /// See [`VoiceCall`].
    pub provider: Option<String>,
    /// See [`VoiceCall`].
    pub source_id: Option<String>,
    /// See [`VoiceCall`].
    pub call_summary: Option<String>,
    /// See [`VoiceCall`].
    pub external_app_url: Option<String>,
    /// See [`VoiceCall`].
    pub external_app_name: Option<String>,
    /// See [`VoiceCall`].
    pub recording: Option<Recording>,
}

/// A validated `CreateVoiceCall` request.
#[derive(Clone, Debug, PartialEq)]
pub struct NewVoiceCall {
    /// The Salesforce key; an idempotency key.
    pub vendor_call_key: Option<String>,
    /// The vcita key; an idempotency key.
    pub external_uuid: Option<String>,
    /// The Salesforce call centre.
    pub call_center_api_name: Option<String>,
    /// The telephony provider header.
    pub telephony_provider: Option<String>,
    /// The parent as the client named it: an id or a vendor call key. The
    /// store resolves it inside the create transaction.
    pub parent_key: Option<String>,
    /// The initial state (default `QUEUED`).
    pub state: CallState,
    /// Its vendor spelling.
    pub state_literal: Option<VendorLiteral>,
    /// Everything else.
    pub fields: VoiceCallFields,
}

/// The raw identity fields of a create request (the data fields arrive
/// already shaped in [`VoiceCallFields`]).
#[derive(Debug, Default)]
pub struct NewVoiceCallInput<'a> {
    /// `vendor_call_key`.
    pub vendor_call_key: &'a str,
    /// `external_uuid`.
    pub external_uuid: &'a str,
    /// `call_center_api_name`.
    pub call_center_api_name: &'a str,
    /// `telephony_provider`.
    pub telephony_provider: &'a str,
    /// `parent`, as the id or vendor key (without `voiceCalls/`).
    pub parent_key: &'a str,
    /// `state`; `None` means the default.
    pub state: Option<CallState>,
    /// `state_literal`: (dialect, value).
    pub state_literal: (&'a str, &'a str),
    /// `from_number`.
    pub from_number: &'a str,
    /// `to_number`.
    pub to_number: &'a str,
    /// The other data fields (their `from_number` and `to_number` are
    /// ignored).
    pub fields: VoiceCallFields,
}

const FIELD_PREFIX: &str = "voice_call.";

fn f(name: &str) -> String {
    format!("{FIELD_PREFIX}{name}")
}

impl NewVoiceCall {
    /// Validates a create request, reporting every violation at once.
    pub fn parse(input: NewVoiceCallInput<'_>) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        let vendor_call_key = v.check(key_text(&f("vendor_call_key"), input.vendor_call_key));
        let external_uuid = v.check(key_text(&f("external_uuid"), input.external_uuid));
        if input.vendor_call_key.is_empty() && input.external_uuid.is_empty() {
            v.add(f("vendor_call_key"), "is required unless external_uuid is set");
        }
        let call_center_api_name = v.check(optional_text(
            &f("call_center_api_name"),
            input.call_center_api_name,
            MAX_SHORT_TEXT,
        ));
        let telephony_provider = v.check(optional_text(
            &f("telephony_provider"),
            input.telephony_provider,
            MAX_SHORT_TEXT,
        ));
        let parent_key = v.check(key_text(&f("parent"), input.parent_key));
        let state_literal = v.check(VendorLiteral::parse(
            "state_literal",
            input.state_literal.0,
            input.state_literal.1,
        ));
        let mut fields = input.fields;
        fields.from_number = v.check(call_address(&f("from_number"), input.from_number).map(Some));
        fields.to_number = v.check(call_address(&f("to_number"), input.to_number).map(Some));
        match (fields.initiation_method, &parent_key) {
            (Some(method), None) if method.needs_parent() => v.add(
                f("parent"),
                format!("is required when initiation_method is {}", method.as_str()),
            ),
            (Some(method), Some(_)) if !method.needs_parent() => v.add(
                f("parent"),
                format!("must not be set when initiation_method is {}", method.as_str()),
            ),
            (None, Some(_)) => v.add(f("parent"), "needs initiation_method TRANSFER or CONFERENCE"),
            _ => {}
        }
        if let (Some(parent), Some(key)) = (&parent_key, &vendor_call_key)
            && parent == key
        {
            v.add(f("parent"), "must name another call than vendor_call_key");
        }
        check_common(&mut v, &fields, None);
        v.finish()?;
        Ok(Self {
            vendor_call_key,
            external_uuid,
            call_center_api_name,
            telephony_provider,
            parent_key,
            state: input.state.unwrap_or(CallState::Queued),
            state_literal,
            fields,
        })
    }

    /// The call this request creates, under `parent` (already resolved).
    pub fn into_voice_call(
        self,
        parent: Option<&VoiceCall>,
        interaction: InteractionId,
        now: Timestamp,
    ) -> VoiceCall {
        let fields = self.fields;
        let direction = fields.direction.or(match fields.initiation_method {
            Some(InitiationMethod::Inbound) => Some(Direction::Inbound),
            Some(InitiationMethod::Outbound) => Some(Direction::Outbound),
            Some(InitiationMethod::Transfer | InitiationMethod::Conference) => {
                parent.and_then(|p| p.direction)
            }
            None => None,
        });
        let mut call = VoiceCall {
            id: VoiceCallId::generate(),
            vendor_call_key: self.vendor_call_key,
            external_uuid: self.external_uuid,
            call_center_api_name: self.call_center_api_name,
            telephony_provider: self.telephony_provider,
            from_number: fields.from_number.unwrap_or_default(),
            to_number: fields.to_number.unwrap_or_default(),
            direction,
            initiation_method: fields.initiation_method,
            parent: parent.map(|p| p.id.clone()),
            queue: fields.queue,
            state: self.state,
            state_literal: self.state_literal,
            start_time: fields.start_time,
            end_time: fields.end_time,
            enqueue_time: fields.enqueue_time,
            accept_time: fields.accept_time,
            call_origin: fields.call_origin,
            call_subtype: fields.call_subtype,
            participants: fields.participants,
            call_attributes: fields.call_attributes,
            agent: fields.agent,
            total_hold_secs: fields.total_hold_secs,
            longest_hold_secs: fields.longest_hold_secs,
            number_of_holds: fields.number_of_holds,
            agent_interaction_secs: fields.agent_interaction_secs,
            recording_location: fields.recording_location,
            total_recording_secs: fields.total_recording_secs,
            disconnect_reason: fields.disconnect_reason,
            duration_secs: fields.duration_secs,
            staff_uid: fields.staff_uid,
            client_uid: fields.client_uid,
            business_uid: fields.business_uid,
            handle_time: fields.handled_by_staff_uid.as_ref().map(|_| now),
            handled_by_staff_uid: fields.handled_by_staff_uid,
            rate: fields.rate,
            price: fields.price,
            provider: fields.provider,
            source_id: fields.source_id,
            call_summary: fields.call_summary,
            external_app_url: fields.external_app_url,
            external_app_name: fields.external_app_name,
            recording: fields.recording,
            transcript_status: None,
            interaction,
            create_time: now,
            update_time: now,
            revision: 1,
        };
        if call.duration_secs.is_none() {
            call.duration_secs = call.computed_duration();
        }
        call.default_recording_length();
        call
    }
}

/// Identity keys: short text without `/` (they appear in resource names).
fn key_text(field: &str, value: &str) -> Result<Option<String>, DomainError> {
    let key = optional_text(field, value, MAX_SHORT_TEXT)?;
    if key
        .as_deref()
        .is_some_and(|k| k.contains('/') || k.chars().any(char::is_whitespace))
    {
        return Err(DomainError::invalid(field, "must not contain '/' or spaces"));
    }
    Ok(key)
}

/// Rules shared by create and update, checked on the fields being set
/// (`current` is the call before an update).
fn check_common(v: &mut Violations, fields: &VoiceCallFields, current: Option<&VoiceCall>) {
    let start = fields.start_time.or(current.and_then(|c| c.start_time));
    let end = fields.end_time.or(current.and_then(|c| c.end_time));
    if let (Some(start), Some(end)) = (start, end)
        && end < start
        && (fields.start_time.is_some() || fields.end_time.is_some())
    {
        v.add(f("end_time"), "must not be before start_time");
    }
    if fields.participants.len() > MAX_PARTICIPANTS {
        v.add(
            f("participants"),
            format!("at most {MAX_PARTICIPANTS} participants"),
        );
    }
    let has_recording =
        fields.recording_location.is_some() || current.is_some_and(|c| c.recording_location.is_some());
    for (name, set) in [
        ("total_hold_duration", fields.total_hold_secs.is_some()),
        (
            "agent_interaction_duration",
            fields.agent_interaction_secs.is_some(),
        ),
    ] {
        // Salesforce stores these on the call's recording record.
        if set && !has_recording {
            v.add(f(name), "requires recording_location");
        }
    }
    if let Some(n) = fields.number_of_holds
        && n < 0
    {
        v.add(f("number_of_holds"), "must not be negative");
    }
    if let (Some(holds), Some(longest)) = (fields.total_hold_secs, fields.longest_hold_secs)
        && longest > holds
    {
        v.add(f("longest_hold_duration"), "must not exceed total_hold_duration");
    }
}

/// A validated partial update: `None` leaves a field alone, `Some(None)`
/// clears it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VoiceCallPatch {
    /// New state with the dialect's spelling.
    pub state: Option<(CallState, Option<VendorLiteral>)>,
    /// Values of immutable fields the client resent; they must equal the
    /// current values (AIP-203).
    pub immutable: ImmutableFields,
    /// The data fields named by the mask, with their new values.
    pub set: VoiceCallFields,
    /// Names of the data fields being cleared (named in the mask, empty).
    pub clear: Vec<&'static str>,
    /// `call_attributes` keys to set (`Value::Null` removes the key).
    pub attribute_updates: Map<String, Value>,
    /// Whether the whole `call_attributes` object is replaced by
    /// `set.call_attributes`.
    pub replace_attributes: bool,
    /// Whether `participants` is replaced by `set.participants`.
    pub replace_participants: bool,
}

/// Immutable fields resent in an update.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImmutableFields {
    /// `vendor_call_key`.
    pub vendor_call_key: Option<String>,
    /// `external_uuid`.
    pub external_uuid: Option<String>,
    /// `call_center_api_name`.
    pub call_center_api_name: Option<String>,
    /// `to_number`.
    pub to_number: Option<String>,
    /// `direction`.
    pub direction: Option<Direction>,
    /// `initiation_method`.
    pub initiation_method: Option<InitiationMethod>,
    /// `call_subtype`.
    pub call_subtype: Option<CallSubtype>,
}

/// Fields `UpdateVoiceCall` may clear by naming them with an empty value.
pub const CLEARABLE: &[&str] = &[
    "queue",
    "start_time",
    "end_time",
    "enqueue_time",
    "accept_time",
    "call_origin",
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

impl VoiceCall {
    /// The resource name, `voiceCalls/{id}`.
    pub fn name(&self) -> String {
        format!("voiceCalls/{}", self.id)
    }

    /// The etag clients see.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.revision)
    }

    /// Records a change: bumps the revision and the update time.
    pub fn touch(&mut self, now: Timestamp) {
        self.revision += 1;
        self.update_time = now;
    }

    /// `end_time - start_time` in whole seconds, when both are known.
    pub fn computed_duration(&self) -> Option<i64> {
        match (self.start_time, self.end_time) {
            (Some(start), Some(end)) if end >= start => Some((end - start).num_seconds()),
            _ => None,
        }
    }

    /// How the call shows in the interaction history.
    pub fn interaction_type(&self) -> InteractionType {
        match (self.direction, self.initiation_method) {
            (_, Some(InitiationMethod::Conference)) => InteractionType::Consult,
            (Some(Direction::Inbound), _) => InteractionType::Inbound,
            (Some(Direction::Outbound), _) => InteractionType::Outbound,
            (None, _) => InteractionType::Unknown,
        }
    }

    /// The customer's number: the caller of an inbound call, the callee of
    /// an outbound one.
    pub fn customer_number(&self) -> &str {
        match self.direction {
            Some(Direction::Outbound) => &self.to_number,
            _ => &self.from_number,
        }
    }

    /// Moves to `next` if the state machine allows it; a transcript still
    /// in progress is done once the call is over.
    pub fn transition(&mut self, next: CallState, literal: Option<VendorLiteral>) -> Result<(), DomainError> {
        if !self.state.voice_call_can_become(next) {
            return Err(DomainError::InvalidTransition {
                resource: self.name(),
                action: format!("move to {}", next.as_str()),
                state: self.state.as_str().to_owned(),
                reason: "VOICE_CALL_STATE_TRANSITION_REFUSED",
            });
        }
        if literal.is_some() {
            self.state_literal = literal;
        } else if next != self.state {
            // A literal describes the state it was given with; keeping it
            // past a change of state would misreport the new state.
            self.state_literal = None;
        }
        self.state = next;
        if next.is_terminal() && self.transcript_status == Some(TranscriptStatus::InProgress) {
            self.transcript_status = Some(TranscriptStatus::Done);
        }
        Ok(())
    }

    /// Notes that transcript messages arrived.
    pub fn transcript_started(&mut self) {
        if self.transcript_status.is_none() {
            self.transcript_status = Some(if self.state.is_terminal() {
                TranscriptStatus::Done
            } else {
                TranscriptStatus::InProgress
            });
        }
    }

    /// Applies a partial update. Immutable fields must be unchanged, a state
    /// change goes through the state machine, and the duration is recomputed
    /// when the start or end time changes and no duration was given.
    pub fn apply(&mut self, patch: VoiceCallPatch, now: Timestamp) -> Result<(), DomainError> {
        let mut v = Violations::new();
        let im = &patch.immutable;
        let same = |name: &str, v: &mut Violations, unchanged: bool| {
            if !unchanged {
                v.add(f(name), "is immutable and cannot be changed");
            }
        };
        if let Some(key) = &im.vendor_call_key {
            same(
                "vendor_call_key",
                &mut v,
                self.vendor_call_key.as_ref() == Some(key),
            );
        }
        if let Some(key) = &im.external_uuid {
            same("external_uuid", &mut v, self.external_uuid.as_ref() == Some(key));
        }
        if let Some(name) = &im.call_center_api_name {
            same(
                "call_center_api_name",
                &mut v,
                self.call_center_api_name.as_ref() == Some(name),
            );
        }
        if let Some(to) = &im.to_number {
            same("to_number", &mut v, &self.to_number == to);
        }
        if let Some(direction) = im.direction {
            same("direction", &mut v, self.direction == Some(direction));
        }
        if let Some(method) = im.initiation_method {
            same(
                "initiation_method",
                &mut v,
                self.initiation_method == Some(method),
            );
        }
        if let Some(subtype) = im.call_subtype {
            same("call_subtype", &mut v, self.call_subtype == Some(subtype));
        }
        let mut effective = patch.set.clone();
        for cleared in &patch.clear {
            // A cleared start/end must not take part in the order check.
            match *cleared {
                "start_time" => effective.start_time = None,
                "end_time" => effective.end_time = None,
                _ => {}
            }
        }
        check_common(&mut v, &effective, Some(self));
        v.finish()?;

        if let Some((state, literal)) = patch.state {
            self.transition(state, literal)?;
        }
        let times_changed = patch.set.start_time.is_some()
            || patch.set.end_time.is_some()
            || patch
                .clear
                .iter()
                .any(|c| matches!(*c, "start_time" | "end_time"));
        let duration_given = patch.set.duration_secs.is_some() || patch.clear.contains(&"duration");
        let handler_before = self.handled_by_staff_uid.clone();
        let VoiceCallFields {
            from_number,
            to_number: _,
            direction: _,
            initiation_method: _,
            queue,
            start_time,
            end_time,
            enqueue_time,
            accept_time,
            call_origin,
            call_subtype: _,
            participants,
            call_attributes,
            agent,
            total_hold_secs,
            longest_hold_secs,
            number_of_holds,
            agent_interaction_secs,
            recording_location,
            total_recording_secs,
            disconnect_reason,
            duration_secs,
            staff_uid,
            client_uid,
            business_uid,
            handled_by_staff_uid,
            rate,
            price,
            provider,
            source_id,
            call_summary,
            external_app_url,
            external_app_name,
            recording,
        } = patch.set;
        if let Some(from) = from_number {
            self.from_number = from;
        }
        set(&mut self.queue, queue);
        set(&mut self.start_time, start_time);
        set(&mut self.end_time, end_time);
        set(&mut self.enqueue_time, enqueue_time);
        set(&mut self.accept_time, accept_time);
        set(&mut self.call_origin, call_origin);
        set(&mut self.agent, agent);
        set(&mut self.total_hold_secs, total_hold_secs);
        set(&mut self.longest_hold_secs, longest_hold_secs);
        set(&mut self.number_of_holds, number_of_holds);
        set(&mut self.agent_interaction_secs, agent_interaction_secs);
        set(&mut self.recording_location, recording_location);
        set(&mut self.total_recording_secs, total_recording_secs);
        set(&mut self.disconnect_reason, disconnect_reason);
        set(&mut self.duration_secs, duration_secs);
        set(&mut self.staff_uid, staff_uid);
        set(&mut self.client_uid, client_uid);
        set(&mut self.business_uid, business_uid);
        set(&mut self.handled_by_staff_uid, handled_by_staff_uid);
        set(&mut self.rate, rate);
        set(&mut self.price, price);
        set(&mut self.provider, provider);
        set(&mut self.source_id, source_id);
        set(&mut self.call_summary, call_summary);
        set(&mut self.external_app_url, external_app_url);
        set(&mut self.external_app_name, external_app_name);
        set(&mut self.recording, recording);
        for cleared in patch.clear {
            self.clear(cleared);
        }
        if patch.replace_participants {
            self.participants = participants;
        }
        if patch.replace_attributes {
            self.call_attributes = call_attributes;
        }
        for (key, value) in patch.attribute_updates {
            if value.is_null() {
                self.call_attributes.remove(&key);
            } else {
                self.call_attributes.insert(key, value);
            }
        }
        let attributes = std::mem::take(&mut self.call_attributes);
        self.call_attributes = bounded_json(&f("call_attributes"), attributes)?;
        if times_changed && !duration_given {
            self.duration_secs = self.computed_duration().or(self.duration_secs);
        }
        self.default_recording_length();
        if self.handled_by_staff_uid != handler_before {
            self.handle_time = self.handled_by_staff_uid.as_ref().map(|_| now);
        }
        Ok(())
    }

    fn clear(&mut self, field: &str) {
        match field {
            "queue" => self.queue = None,
            "start_time" => self.start_time = None,
            "end_time" => self.end_time = None,
            "enqueue_time" => self.enqueue_time = None,
            "accept_time" => self.accept_time = None,
            "call_origin" => self.call_origin = None,
            "agent" => self.agent = None,
            "total_hold_duration" => self.total_hold_secs = None,
            "longest_hold_duration" => self.longest_hold_secs = None,
            "number_of_holds" => self.number_of_holds = None,
            "agent_interaction_duration" => self.agent_interaction_secs = None,
            "recording_location" => self.recording_location = None,
            "total_recording_duration" => self.total_recording_secs = None,
            "disconnect_reason" => self.disconnect_reason = None,
            "duration" => self.duration_secs = None,
            "staff_uid" => self.staff_uid = None,
            "client_uid" => self.client_uid = None,
            "business_uid" => self.business_uid = None,
            "handled_by_staff_uid" => self.handled_by_staff_uid = None,
            "rate" => self.rate = None,
            "price" => self.price = None,
            "provider" => self.provider = None,
            "source_id" => self.source_id = None,
            "call_summary" => self.call_summary = None,
            "external_app_url" => self.external_app_url = None,
            "external_app_name" => self.external_app_name = None,
            "recording" => self.recording = None,
            _ => {}
        }
    }

    /// A recording's total length defaults to the agent's time plus hold
    /// time (Salesforce's rule), once a recording exists.
    fn default_recording_length(&mut self) {
        if self.recording_location.is_some() && self.total_recording_secs.is_none() {
            self.total_recording_secs = match (self.agent_interaction_secs, self.total_hold_secs) {
                (None, None) => None,
                (a, h) => Some(a.unwrap_or(0) + h.unwrap_or(0)),
            };
        }
    }
}

fn set<T>(slot: &mut Option<T>, value: Option<T>) {
    if value.is_some() {
        *slot = value;
    }
}

/// A validated transcript message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMessage {
    /// The call, as named by the client (id or vendor key).
    pub call_key: String,
    /// The sender's id.
    pub participant_id: String,
    /// The sender's role.
    pub sender_type: ParticipantType,
    /// The client's id of the message.
    pub message_id: String,
    /// What was said.
    pub content: String,
    /// When the utterance started.
    pub start_time: Timestamp,
    /// When it ended.
    pub end_time: Option<Timestamp>,
}

/// A stored transcript message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoiceCallMessage {
    /// The call.
    pub voice_call: VoiceCallId,
    /// The sender's id.
    pub participant_id: String,
    /// The sender's role.
    pub sender_type: ParticipantType,
    /// The client's id of the message; unique within the call.
    pub message_id: String,
    /// What was said.
    pub content: String,
    /// When the utterance started.
    pub start_time: Timestamp,
    /// When it ended.
    pub end_time: Option<Timestamp>,
    /// When it was stored.
    pub create_time: Timestamp,
}

impl VoiceCallMessage {
    /// The resource name, `voiceCalls/{call}/messages/{message_id}`.
    pub fn name(&self) -> String {
        format!("voiceCalls/{}/messages/{}", self.voice_call, self.message_id)
    }
}

/// Most messages one batch may carry.
pub const MAX_BATCH_MESSAGES: usize = 100;

/// Checks one message's text fields (the caller has parsed its enums and
/// times); `field` is the request path prefix, e.g. `requests[0].message`.
pub fn check_message(
    v: &mut Violations,
    field: &str,
    participant_id: &str,
    message_id: &str,
    content: &str,
    start: Option<Timestamp>,
    end: Option<Timestamp>,
) -> (String, String, String) {
    let mut required = |name: &str, value: &str, max: usize| {
        let path = format!("{field}.{name}");
        if value.is_empty() {
            v.add(path, "is required");
            return String::new();
        }
        let checked = if name == "message_id" {
            key_text(&path, value)
        } else {
            optional_text(&path, value, max)
        };
        v.check(checked).unwrap_or_default()
    };
    let participant_id = required("participant_id", participant_id, MAX_SHORT_TEXT);
    let message_id = required("message_id", message_id, MAX_SHORT_TEXT);
    let content = required("content", content, MAX_LONG_TEXT);
    if let (Some(start), Some(end)) = (start, end)
        && end < start
    {
        v.add(format!("{field}.end_time"), "must not be before start_time");
    }
    (participant_id, message_id, content)
}

#[cfg(test)]
mod tests {
    use super::*;
    use CallState::*;

    #[test]
    fn state_machine_moves_forward_only() {
        assert!(Queued.voice_call_can_become(Ringing));
        assert!(Queued.voice_call_can_become(Active));
        assert!(Queued.voice_call_can_become(Completed));
        assert!(Ringing.voice_call_can_become(Missed));
        assert!(Active.voice_call_can_become(Completed));
        assert!(Active.voice_call_can_become(Missed));
        assert!(!Active.voice_call_can_become(Ringing));
        assert!(!Active.voice_call_can_become(Busy));
        assert!(!Ringing.voice_call_can_become(Queued));
        for &terminal in &[Completed, Busy, Failed, Canceled, Voicemail] {
            for &next in CallState::ALL {
                assert_eq!(
                    terminal.voice_call_can_become(next),
                    next == terminal,
                    "{terminal:?} → {next:?}"
                );
            }
        }
        // The one documented correction.
        assert!(Missed.voice_call_can_become(Voicemail));
        assert!(!Missed.voice_call_can_become(Completed));
        assert!(Missed.voice_call_can_become(Missed));
    }

    #[test]
    fn e164_and_addresses() {
        assert!(e164("f", "+14155550148").is_ok());
        assert!(e164("f", "+442071838750").is_ok());
        for bad in [
            "14155550148",
            "+",
            "+0123",
            "+1415555014812345",
            "+1 415",
            "+1415abc",
        ] {
            assert!(e164("f", bad).is_err(), "{bad}");
        }
        assert!(call_address("f", "WEBRTC_DEFAULT").is_ok());
        assert!(call_address("f", "caller@example.com").is_ok());
        assert!(call_address("f", "+1abc").is_err());
        assert!(call_address("f", "a b").is_err());
        assert!(call_address("f", "").is_err());
    }

    #[test]
    fn decimals_are_strings_of_digits() {
        assert_eq!(Decimal::parse("rate", "0.05").unwrap().unwrap().as_str(), "0.05");
        assert_eq!(Decimal::parse("rate", "0").unwrap().unwrap().as_str(), "0");
        assert_eq!(Decimal::parse("rate", "").unwrap(), None);
        for bad in ["-1", "1.", ".5", "1e3", "abc", "0.1234567", "1,5"] {
            assert!(Decimal::parse("rate", bad).is_err(), "{bad}");
        }
    }

    fn fields() -> VoiceCallFields {
        VoiceCallFields::default()
    }

    fn input(fields: VoiceCallFields) -> NewVoiceCallInput<'static> {
        NewVoiceCallInput {
            vendor_call_key: "key-1",
            from_number: "+14155550148",
            to_number: "+14155550901",
            fields,
            ..Default::default()
        }
    }

    fn violations(err: DomainError) -> Vec<String> {
        match err {
            DomainError::InvalidArgument(v) => v.into_iter().map(|v| v.field).collect(),
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
    }

    #[test]
    fn create_needs_a_key_numbers_and_a_parent_for_transfers() {
        let err = NewVoiceCall::parse(NewVoiceCallInput::default()).unwrap_err();
        assert_eq!(
            violations(err),
            [
                "voice_call.vendor_call_key",
                "voice_call.from_number",
                "voice_call.to_number"
            ]
        );
        let mut transfer = fields();
        transfer.initiation_method = Some(InitiationMethod::Transfer);
        assert_eq!(
            violations(NewVoiceCall::parse(input(transfer.clone())).unwrap_err()),
            ["voice_call.parent"]
        );
        let mut with_parent = input(transfer);
        with_parent.parent_key = "parent-key";
        assert!(NewVoiceCall::parse(with_parent).is_ok());
        let mut inbound = input(fields());
        inbound.fields.initiation_method = Some(InitiationMethod::Inbound);
        inbound.parent_key = "parent-key";
        assert_eq!(
            violations(NewVoiceCall::parse(inbound).unwrap_err()),
            ["voice_call.parent"]
        );
        let only_uuid = NewVoiceCallInput {
            vendor_call_key: "",
            external_uuid: "ext-1",
            ..input(fields())
        };
        assert!(NewVoiceCall::parse(only_uuid).is_ok());
    }

    fn sample() -> VoiceCall {
        let mut f = fields();
        f.initiation_method = Some(InitiationMethod::Inbound);
        NewVoiceCall::parse(input(f)).unwrap().into_voice_call(
            None,
            InteractionId::generate(),
            crate::domain::time::now(),
        )
    }

    #[test]
    fn create_derives_direction_and_duration() {
        let call = sample();
        assert_eq!(call.direction, Some(Direction::Inbound));
        assert_eq!(call.interaction_type(), InteractionType::Inbound);
        assert_eq!(call.state, Queued);
        let mut f = fields();
        let start = crate::domain::time::now();
        f.start_time = Some(start);
        f.end_time = Some(start + chrono::Duration::seconds(95));
        let call =
            NewVoiceCall::parse(input(f))
                .unwrap()
                .into_voice_call(None, InteractionId::generate(), start);
        assert_eq!(call.duration_secs, Some(95));
    }

    #[test]
    fn update_recomputes_duration_and_checks_immutables() {
        let mut call = sample();
        let now = crate::domain::time::now();
        let patch = VoiceCallPatch {
            set: VoiceCallFields {
                start_time: Some(now),
                end_time: Some(now + chrono::Duration::seconds(30)),
                ..Default::default()
            },
            ..Default::default()
        };
        call.apply(patch, now).unwrap();
        assert_eq!(call.duration_secs, Some(30));

        let patch = VoiceCallPatch {
            immutable: ImmutableFields {
                to_number: Some("+14155550901".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        call.apply(patch, now).unwrap();
        let patch = VoiceCallPatch {
            immutable: ImmutableFields {
                to_number: Some("+10000000000".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(
            violations(call.apply(patch, now).unwrap_err()),
            ["voice_call.to_number"]
        );
    }

    #[test]
    fn update_refuses_backwards_moves_and_keeps_literals() {
        let mut call = sample();
        let now = crate::domain::time::now();
        let literal = |v: &str| {
            Some(VendorLiteral {
                dialect: "vcita".into(),
                value: v.into(),
            })
        };
        let patch = |s, l| VoiceCallPatch {
            state: Some((s, l)),
            ..Default::default()
        };
        call.apply(patch(Missed, literal("MISSED")), now).unwrap();
        call.apply(patch(Missed, literal("MISSED_CALL_HANDLED")), now)
            .unwrap();
        assert_eq!(call.state_literal, literal("MISSED_CALL_HANDLED"));
        assert!(matches!(
            call.apply(patch(Active, None), now),
            Err(DomainError::InvalidTransition { .. })
        ));
        call.apply(patch(Voicemail, literal("VOICEMAIL_RECEIVED")), now)
            .unwrap();
        assert_eq!(call.state, Voicemail);
    }

    #[test]
    fn hold_durations_need_a_recording_and_recording_length_defaults() {
        let mut call = sample();
        let now = crate::domain::time::now();
        let patch = VoiceCallPatch {
            set: VoiceCallFields {
                total_hold_secs: Some(10),
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(
            violations(call.apply(patch, now).unwrap_err()),
            ["voice_call.total_hold_duration"]
        );
        let patch = VoiceCallPatch {
            set: VoiceCallFields {
                total_hold_secs: Some(10),
                agent_interaction_secs: Some(50),
                recording_location: Some("s3://bucket/call.wav".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        call.apply(patch, now).unwrap();
        assert_eq!(call.total_recording_secs, Some(60));
    }

    #[test]
    fn transcript_status_follows_the_call() {
        let mut call = sample();
        call.transcript_started();
        assert_eq!(call.transcript_status, Some(TranscriptStatus::InProgress));
        call.transition(Completed, None).unwrap();
        assert_eq!(call.transcript_status, Some(TranscriptStatus::Done));
    }

    #[test]
    fn handle_time_is_stamped_when_a_handler_is_set() {
        let mut call = sample();
        let now = crate::domain::time::now();
        let patch = VoiceCallPatch {
            set: VoiceCallFields {
                handled_by_staff_uid: Some("staff-1".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        call.apply(patch, now).unwrap();
        assert_eq!(call.handle_time, Some(now));
    }

    #[test]
    fn message_fields_are_reported_once_each() {
        let mut v = Violations::new();
        let long = "x".repeat(MAX_SHORT_TEXT + 1);
        let now = crate::domain::time::now();
        check_message(
            &mut v,
            "m",
            &long,
            "a/b",
            "",
            Some(now),
            Some(now - chrono::Duration::seconds(1)),
        );
        assert_eq!(
            violations(v.finish().unwrap_err()),
            ["m.participant_id", "m.message_id", "m.content", "m.end_time"]
        );
    }

    #[test]
    fn attributes_merge_by_key() {
        let mut call = sample();
        call.call_attributes.insert("a".into(), Value::from(1));
        let now = crate::domain::time::now();
        let patch = VoiceCallPatch {
            attribute_updates: [("b".to_owned(), Value::from("x")), ("a".to_owned(), Value::Null)]
                .into_iter()
                .collect(),
            ..Default::default()
        };
        call.apply(patch, now).unwrap();
        assert_eq!(
            Value::Object(call.call_attributes.clone()),
            serde_json::json!({"b": "x"})
        );
    }
}

/// Properties of the number, address and decimal parsers, which read
/// outside input (vcita and Salesforce bodies, gRPC requests).
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn parsers_never_panic(text in "(?s)\\PC{0,80}") {
            let _ = e164("n", &text);
            let _ = call_address("n", &text);
            let _ = Decimal::parse("rate", &text);
        }

        #[test]
        fn e164_numbers_are_accepted(number in "\\+[1-9][0-9]{1,14}") {
            prop_assert_eq!(e164("n", &number).unwrap(), number.clone());
            prop_assert_eq!(call_address("n", &number).unwrap(), number);
        }

        #[test]
        fn non_e164_numbers_are_refused(
            bad in prop_oneof![
                "[1-9][0-9]{1,14}",             // no +
                "\\+0[0-9]{1,14}",              // leading 0
                "\\+[1-9][0-9]{15,25}",         // too long
                "\\+[1-9]?",                    // too short
                "\\+[1-9][0-9]{0,5}[^0-9][0-9]{0,5}", // not digits
            ],
        ) {
            prop_assert!(e164("n", &bad).is_err(), "{:?}", bad);
        }

        #[test]
        fn decimals_are_accepted_exactly_as_sent(whole in "[0-9]{1,12}", fraction in proptest::option::of("[0-9]{1,6}")) {
            let text = match &fraction {
                Some(f) => format!("{whole}.{f}"),
                None => whole.clone(),
            };
            prop_assert_eq!(Decimal::parse("rate", &text).unwrap(), Some(Decimal(text.clone())));
        }

        #[test]
        fn malformed_decimals_are_refused(
            bad in prop_oneof![
                "-[0-9]{1,5}",
                "[0-9]{13,20}",
                "[0-9]{1,3}\\.[0-9]{7,9}",
                "[0-9]{0,3}[^0-9.][0-9]{0,3}",
                "\\.[0-9]{1,3}",
                "[0-9]{1,3}\\.",
            ],
        ) {
            prop_assert!(Decimal::parse("rate", &bad).is_err(), "{:?}", bad);
        }
    }
}
