//! The phone-call aggregate (the UnifiedAPI v5 live call): numbers and caller
//! ids, create validation per call type, the call and leg state machine, and
//! the timers (pickup, parking limit, maximum duration).
//!
//! A call has one leg per party. At creation every source number gets a
//! `RINGING` leg and the destination a `TRYING` leg (it is dialled once a
//! source answers). The first source to answer connects the call: the other
//! sources stop ringing and the destination joins. Legs added later
//! (supervisors, transfer and unpark targets) ring until answered or until
//! their pickup deadline passes.

use std::fmt;

use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::DomainError;
use super::caller::User;
use super::common::{CallState, MAX_SHORT_TEXT, optional_text};
use super::error::Violations;
use super::filter::{FieldKind, Schema};
use super::ids::{InteractionId, PhoneCallId, UserId};
use super::interaction::InteractionType;
use super::time::Timestamp;

/// Seconds to wait for a pickup when the request does not say.
pub const DEFAULT_WAIT_FOR_PICKUP_SECS: i64 = 25;
/// Longest pickup wait accepted.
pub const MAX_WAIT_FOR_PICKUP_SECS: i64 = 3600;
/// Longest `max_duration` and `max_in_parking` accepted.
pub const MAX_TIMER_SECS: i64 = 86_400;
/// Most source numbers in one create.
pub const MAX_SOURCES: usize = 10;
/// Most legs one call may collect (two-digit leg ids, and a bound on the row).
pub const MAX_LEGS: usize = 32;
const MAX_CALLER_NAME: usize = 64;
const MAX_CONFERENCE_DIGITS: usize = 16;

stored_enum!(
    /// The kind of call that was placed.
    PhoneCallType {
        /// Two parties (UnifiedAPI `simple`).
        Simple = "SIMPLE",
        /// Public numbers through a callback extension (UnifiedAPI `callback`).
        Callback = "CALLBACK",
        /// A number invited into a conference (UnifiedAPI `conferenceInvite`).
        ConferenceInvite = "CONFERENCE_INVITE",
    }
);

stored_enum!(
    /// How a call or leg ended (UnifiedAPI `disposition`).
    Disposition {
        /// Answered, then ended.
        Answered = "ANSWERED",
        /// Busy.
        Busy = "BUSY",
        /// Failed.
        Failed = "FAILED",
        /// Nobody answered.
        NoAnswer = "NO_ANSWER",
        /// Unknown.
        Unknown = "UNKNOWN",
        /// Not allowed.
        NotAllowed = "NOT_ALLOWED",
    }
);

stored_enum!(
    /// The direction of a leg (UnifiedAPI `flow`).
    Flow {
        /// Between extensions.
        Local = "LOCAL",
        /// To a public number.
        OutgoingPublic = "OUTGOING_PUBLIC",
        /// From a public number.
        IncomingPublic = "INCOMING_PUBLIC",
    }
);

stored_enum!(
    /// The signalling status of a leg.
    LegStatus {
        /// Waiting to be dialled (a destination before a source answers).
        Trying = "TRYING",
        /// Ringing at the party.
        Ringing = "RINGING",
        /// Connected.
        OnCall = "ON_CALL",
        /// Hung up.
        Ended = "ENDED",
    }
);

stored_enum!(
    /// Why a leg is in the call.
    LegRole {
        /// An ordinary party.
        Party = "PARTY",
        /// A supervisor heard by every party.
        BargeIn = "BARGE_IN",
        /// A supervisor heard by the agent only.
        Whisper = "WHISPER",
        /// A supervisor who only listens.
        Monitor = "MONITOR",
    }
);

stored_enum!(
    /// The audio format of a recording.
    RecordingFormat {
        /// WAV (UnifiedAPI `wav`).
        Wav = "WAV",
        /// GSM-compressed WAV (UnifiedAPI `wav49`).
        Wav49 = "WAV49",
    }
);

/// What kind of number a string is.
///
/// The rule, chosen to fit UnifiedAPI's examples (`0003*210`, `212` are
/// extensions; `5354353`, `3235742879` are public numbers):
/// - an **extension** is 1–6 digits, or two groups of 1–8 digits joined by
///   one `*` (organisation code `*` extension);
/// - a **public number** is an optional `+` followed by 7–15 digits (E.164
///   allows at most 15).
///
/// Anything else is not a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumberKind {
    /// A number inside the system.
    Extension,
    /// A number outside the system.
    Public,
}

impl NumberKind {
    /// Classifies `number`; `None` when it is neither kind.
    pub fn of(number: &str) -> Option<NumberKind> {
        fn digits(text: &str, min: usize, max: usize) -> bool {
            (min..=max).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit())
        }
        if let Some((organisation, extension)) = number.split_once('*') {
            return (digits(organisation, 1, 8) && digits(extension, 1, 8)).then_some(NumberKind::Extension);
        }
        if digits(number, 1, 6) {
            return Some(NumberKind::Extension);
        }
        let national = number.strip_prefix('+').unwrap_or(number);
        digits(national, 7, 15).then_some(NumberKind::Public)
    }
}

const NUMBER_RULE: &str = "must be an extension (1-6 digits, or digits*digits such as 0003*210) or a public \
                           number (optional + and 7-15 digits)";

/// Checks that `value` is a phone number of either kind.
pub fn parse_number(field: &str, value: &str) -> Result<(String, NumberKind), DomainError> {
    match NumberKind::of(value) {
        Some(kind) => Ok((value.to_owned(), kind)),
        None if value.is_empty() => Err(DomainError::invalid(field, "is required")),
        None => Err(DomainError::invalid(field, NUMBER_RULE)),
    }
}

/// Checks that `value` is an extension number.
pub fn parse_extension(field: &str, value: &str) -> Result<String, DomainError> {
    match NumberKind::of(value) {
        Some(NumberKind::Extension) => Ok(value.to_owned()),
        _ if value.is_empty() => Err(DomainError::invalid(field, "is required")),
        _ => Err(DomainError::invalid(
            field,
            "must be an extension number (1-6 digits, or digits*digits such as 0003*210)",
        )),
    }
}

/// `None` for empty input, else a leg id (`00` … `99`).
pub fn parse_leg_id(field: &str, value: &str) -> Result<Option<String>, DomainError> {
    if value.is_empty() {
        return Ok(None);
    }
    if value.len() == 2 && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(Some(value.to_owned()))
    } else {
        Err(DomainError::invalid(field, "must be a leg id such as 00 or 01"))
    }
}

/// A pickup wait in seconds: 25 when unset, else 1 second to 1 hour.
pub fn wait_for_pickup(field: &str, secs: Option<i64>) -> Result<i64, DomainError> {
    match secs {
        None => Ok(DEFAULT_WAIT_FOR_PICKUP_SECS),
        Some(s) if (1..=MAX_WAIT_FOR_PICKUP_SECS).contains(&s) => Ok(s),
        Some(_) => Err(DomainError::invalid(field, "must be between 1 second and 1 hour")),
    }
}

/// An optional limit in seconds: 1 second to 1 day.
pub fn timer_limit(field: &str, secs: Option<i64>) -> Result<Option<i64>, DomainError> {
    match secs {
        Some(s) if !(1..=MAX_TIMER_SECS).contains(&s) => {
            Err(DomainError::invalid(field, "must be between 1 second and 1 day"))
        }
        other => Ok(other),
    }
}

/// A caller id: a display name and a number, written `Name <number>`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallerId {
    /// The display name, e.g. `John Doe`.
    pub name: Option<String>,
    /// The number, e.g. `4242425`.
    pub number: String,
}

impl CallerId {
    /// Parses the UnifiedAPI spelling: `John Doe <4242425>`, `<4242425>` or a
    /// bare `4242425`.
    pub fn parse(field: &str, text: &str) -> Result<Self, DomainError> {
        let text = text.trim();
        let shape = || DomainError::invalid(field, "must look like `Name <number>`");
        let (name, number) = match text.strip_suffix('>') {
            Some(rest) => match rest.rsplit_once('<') {
                Some((name, number)) => (name.trim(), number.trim()),
                None => return Err(shape()),
            },
            None if text.contains(['<', '>']) => return Err(shape()),
            None => ("", text),
        };
        Self::from_parts(field, name, number)
    }

    /// A caller id from its parts; the number is required.
    pub fn from_parts(field: &str, name: &str, number: &str) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        v.check(parse_number(&format!("{field}.number"), number).map(|_| ()));
        let name_field = format!("{field}.name");
        let name = v.check(optional_text(&name_field, name, MAX_CALLER_NAME));
        if name.as_deref().is_some_and(|n| n.contains(['<', '>'])) {
            v.add(name_field, "must not contain '<' or '>'");
        }
        v.finish()?;
        Ok(Self {
            name,
            number: number.to_owned(),
        })
    }

    /// Like [`CallerId::from_parts`], but both parts empty means no caller
    /// id.
    pub fn optional(field: &str, name: &str, number: &str) -> Result<Option<Self>, DomainError> {
        if name.is_empty() && number.is_empty() {
            return Ok(None);
        }
        Self::from_parts(field, name, number).map(Some)
    }
}

impl fmt::Display for CallerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{name} <{}>", self.number),
            None => f.write_str(&self.number),
        }
    }
}

/// Where a parked leg waits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parking {
    /// The position in the call's parking lot, from 1.
    pub position: i32,
    /// The extension that parked the leg.
    pub parked_by: String,
    /// When the leg returns to the call, if parked with a limit.
    pub deadline: Option<Timestamp>,
}

/// One party's view of the call (UnifiedAPI `PhoneCallView`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leg {
    /// `00`, `01`, … (UnifiedAPI `phoneCallViewId`).
    pub id: String,
    /// Why the leg is in the call.
    pub role: LegRole,
    /// The number of the party.
    pub phone_number: String,
    /// The extension the leg belongs to: the party's own number when it is
    /// an extension, else the call's extension.
    pub extension: String,
    /// The calling numbers, from this leg's point of view.
    pub source: Vec<String>,
    /// The called numbers, from this leg's point of view.
    pub destination: Vec<String>,
    /// The direction.
    pub flow: Flow,
    /// The signalling status.
    pub status: LegStatus,
    /// Caller id shown to the source.
    pub caller_id: Option<CallerId>,
    /// Caller id shown to the destination.
    pub caller_id_destination: Option<CallerId>,
    /// The recording format, while recording.
    pub recording: Option<RecordingFormat>,
    /// When the leg answered.
    pub answer_time: Option<Timestamp>,
    /// Set while parked.
    pub parking: Option<Parking>,
    /// Whether the leg has put the call on hold.
    pub on_hold: bool,
    /// For whisper legs: only the agent hears the supervisor.
    pub private: bool,
    /// How the leg ended.
    pub disposition: Option<Disposition>,
    /// While ringing: when it stops unless answered.
    pub pickup_deadline: Option<Timestamp>,
    /// When the leg hung up.
    pub end_time: Option<Timestamp>,
}

impl Leg {
    /// A leg that has done nothing yet; callers fill in where it stands.
    fn fresh(id: String, role: LegRole, phone_number: &str, extension: String, status: LegStatus) -> Leg {
        Leg {
            id,
            role,
            phone_number: phone_number.to_owned(),
            extension,
            source: Vec::new(),
            destination: Vec::new(),
            flow: Flow::Local,
            status,
            caller_id: None,
            caller_id_destination: None,
            recording: None,
            answer_time: None,
            parking: None,
            on_hold: false,
            private: false,
            disposition: None,
            pickup_deadline: None,
            end_time: None,
        }
    }

    fn is_live(&self) -> bool {
        self.status != LegStatus::Ended
    }

    fn is_live_party(&self) -> bool {
        self.role == LegRole::Party && self.is_live()
    }

    /// Whether the leg is on the called side of the call.
    fn is_callee_side(&self) -> bool {
        self.destination.len() == 1 && self.destination[0] == self.phone_number
    }

    fn end(&mut self, now: Timestamp) {
        self.status = LegStatus::Ended;
        self.end_time = Some(now);
        self.disposition = Some(if self.answer_time.is_some() {
            Disposition::Answered
        } else {
            Disposition::NoAnswer
        });
        self.pickup_deadline = None;
        self.parking = None;
        self.on_hold = false;
        self.recording = None;
    }
}

/// A live call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneCall {
    /// The id.
    pub id: PhoneCallId,
    /// The client's idempotency key (UnifiedAPI `nonce`).
    pub request_id: Option<String>,
    /// The kind of call.
    pub call_type: PhoneCallType,
    /// The extension the call is charged to.
    pub extension: String,
    /// The user who placed the call.
    pub owner_id: UserId,
    /// The owner's display name.
    pub owner_name: String,
    /// The call's state.
    pub state: CallState,
    /// How the call ended.
    pub disposition: Option<Disposition>,
    /// When the call entered the system (UnifiedAPI `published`).
    pub create_time: Timestamp,
    /// When the call was first answered.
    pub answer_time: Option<Timestamp>,
    /// When the call ended.
    pub end_time: Option<Timestamp>,
    /// Maximum talk time, from the answer.
    pub max_duration_secs: Option<i64>,
    /// Whether a simple call to a public number may be transferred.
    pub allow_public_transfer: bool,
    /// Whether video is offered.
    pub video: bool,
    /// For conference invites: the conference number.
    pub conference_number: Option<String>,
    /// For conference invites: the conference PIN.
    pub conference_pin: Option<String>,
    /// The parties.
    pub legs: Vec<Leg>,
    /// The interaction-history record of this call.
    pub interaction: InteractionId,
    /// When the call last changed.
    pub update_time: Timestamp,
    /// Incremented on every change; the etag.
    pub revision: i64,
}

/// The filterable fields of `ListPhoneCalls`.
pub const FILTER_SCHEMA: Schema = &[
    ("id", FieldKind::Text),
    ("create_time", FieldKind::Time),
    ("answer_time", FieldKind::Time),
    ("extension", FieldKind::Text),
    (
        "state",
        FieldKind::Enum {
            prefix: "CALL_STATE_",
            values: CallState::NAMES,
        },
    ),
    (
        "type",
        FieldKind::Enum {
            prefix: "TYPE_",
            values: PhoneCallType::NAMES,
        },
    ),
    ("request_id", FieldKind::Text),
    ("owner_id", FieldKind::Text),
];

/// The sort keys of `ListPhoneCalls`.
pub const ORDER_FIELDS: &[&str] = &["create_time"];

/// The display name a resource records for its owner: first and last name
/// when known, else the login name.
pub fn display_name(user: &User) -> String {
    let parts: Vec<&str> = [user.first_name.as_deref(), user.last_name.as_deref()]
        .into_iter()
        .flatten()
        .filter(|p| !p.is_empty())
        .collect();
    if parts.is_empty() {
        user.user_name.clone()
    } else {
        parts.join(" ")
    }
}

/// A validated `CreatePhoneCall` request. Its serde form is the fingerprint
/// a reused idempotency key is compared by.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NewPhoneCall {
    /// The kind of call.
    pub call_type: PhoneCallType,
    /// The charged extension.
    pub extension: String,
    /// The calling numbers.
    pub source: Vec<String>,
    /// The called number (exactly one).
    pub destination: Vec<String>,
    /// Caller id shown to the source.
    pub caller_id: Option<CallerId>,
    /// Caller id shown to the destination.
    pub caller_id_destination: Option<CallerId>,
    /// The idempotency key.
    pub request_id: Option<String>,
    /// Seconds to wait for a source to answer.
    pub wait_for_pickup_secs: i64,
    /// Maximum talk time.
    pub max_duration_secs: Option<i64>,
    /// Whether a call to a public number may be transferred.
    pub allow_public_transfer: bool,
    /// Whether video is offered.
    pub video: bool,
    /// Conference number (conference invites).
    pub conference_number: Option<String>,
    /// Conference PIN (conference invites).
    pub conference_pin: Option<String>,
}

/// The raw fields of a create request, before validation. Caller ids and
/// durations are already converted (and checked) by the API layer.
#[derive(Debug, Default)]
pub struct NewPhoneCallInput<'a> {
    /// The kind, if a known one was given.
    pub call_type: Option<PhoneCallType>,
    /// The charged extension, possibly empty.
    pub extension: &'a str,
    /// The calling numbers.
    pub source: &'a [String],
    /// The called numbers.
    pub destination: &'a [String],
    /// Caller id shown to the source.
    pub caller_id: Option<CallerId>,
    /// Caller id shown to the destination.
    pub caller_id_destination: Option<CallerId>,
    /// The idempotency key, possibly empty.
    pub request_id: &'a str,
    /// Seconds to wait for a pickup, if given.
    pub wait_for_pickup_secs: Option<i64>,
    /// Maximum talk time in seconds, if given.
    pub max_duration_secs: Option<i64>,
    /// Whether a public call may be transferred.
    pub allow_public_transfer: bool,
    /// Whether video is offered.
    pub video: bool,
    /// Conference number, possibly empty.
    pub conference_number: &'a str,
    /// Conference PIN, possibly empty.
    pub conference_pin: &'a str,
}

fn conference_digits(field: &str, value: &str) -> Result<Option<String>, DomainError> {
    if value.is_empty() {
        return Ok(None);
    }
    if value.len() <= MAX_CONFERENCE_DIGITS && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(Some(value.to_owned()))
    } else {
        Err(DomainError::invalid(
            field,
            format!("must be 1-{MAX_CONFERENCE_DIGITS} digits"),
        ))
    }
}

impl NewPhoneCall {
    /// Validates a create request, reporting every violation at once. The
    /// per-type rules: `TYPE_CALLBACK` calls public numbers from public
    /// numbers and needs an extension; `TYPE_CONFERENCE_INVITE` calls from
    /// its conference extension (`source` must be exactly it); only
    /// `TYPE_SIMPLE` takes `allow_public_transfer`, only conference invites
    /// take a conference number and PIN.
    pub fn parse(input: NewPhoneCallInput<'_>) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        let call_type = v.require(
            "type",
            input.call_type,
            "is required: one of TYPE_SIMPLE, TYPE_CALLBACK, TYPE_CONFERENCE_INVITE",
        );
        let given_extension = if input.extension.is_empty() {
            None
        } else {
            Some(v.check(parse_extension("extension", input.extension)))
        };

        let mut source = Vec::with_capacity(input.source.len());
        for (i, number) in input.source.iter().enumerate() {
            let field = format!("source[{i}]");
            if let Some((number, kind)) = v.check(parse_number(&field, number).map(Some)) {
                if call_type == Some(PhoneCallType::Callback) && kind != NumberKind::Public {
                    v.add(&field, "must be a public number for TYPE_CALLBACK");
                }
                if source.contains(&number) {
                    v.add(&field, "is listed twice");
                }
                source.push(number);
            }
        }
        if input.source.len() > MAX_SOURCES {
            v.add("source", format!("must list at most {MAX_SOURCES} numbers"));
        }

        let mut destination = Vec::with_capacity(1);
        match input.destination {
            [number] => {
                if let Some((number, kind)) = v.check(parse_number("destination[0]", number).map(Some)) {
                    if call_type == Some(PhoneCallType::Callback) && kind != NumberKind::Public {
                        v.add("destination[0]", "must be a public number for TYPE_CALLBACK");
                    }
                    if source.contains(&number) {
                        v.add("destination[0]", "must differ from every source");
                    }
                    destination.push(number);
                }
            }
            [] => v.add("destination", "is required: one called number"),
            _ => v.add("destination", "must be exactly one called number"),
        }

        let mut extension = String::new();
        match call_type {
            Some(PhoneCallType::Simple) => {
                extension = match (&given_extension, source.first()) {
                    (Some(e), _) => e.clone(),
                    (None, Some(first)) if NumberKind::of(first) == Some(NumberKind::Extension) => {
                        first.clone()
                    }
                    (None, _) => {
                        v.add(
                            "extension",
                            "is required when the first source is not an extension",
                        );
                        String::new()
                    }
                };
                if input.source.is_empty() {
                    v.add("source", "is required: at least one calling number");
                }
            }
            Some(PhoneCallType::Callback) => {
                match &given_extension {
                    Some(e) => extension = e.clone(),
                    None => v.add(
                        "extension",
                        "is required for TYPE_CALLBACK: the callback extension",
                    ),
                }
                if input.source.is_empty() {
                    v.add("source", "is required: at least one public number");
                }
            }
            Some(PhoneCallType::ConferenceInvite) => {
                extension = match (&given_extension, source.first()) {
                    (Some(e), _) => e.clone(),
                    (None, Some(first)) => {
                        if NumberKind::of(first) != Some(NumberKind::Extension) {
                            v.add("source[0]", "must be the conference extension");
                        }
                        first.clone()
                    }
                    (None, None) => {
                        v.add(
                            "extension",
                            "is required for TYPE_CONFERENCE_INVITE: the conference extension",
                        );
                        String::new()
                    }
                };
                if input.source.is_empty() && !extension.is_empty() {
                    source.push(extension.clone());
                } else if source.len() != 1 || source[0] != extension {
                    v.add("source", "must be exactly the conference extension");
                }
                if destination.first() == Some(&extension) && !extension.is_empty() {
                    v.add("destination[0]", "must differ from the conference extension");
                }
            }
            None => {}
        }

        if input.allow_public_transfer && call_type.is_some_and(|t| t != PhoneCallType::Simple) {
            v.add("allow_public_transfer", "only applies to TYPE_SIMPLE");
        }
        let conference_number = v.check(conference_digits("conference_number", input.conference_number));
        let conference_pin = v.check(conference_digits("conference_pin", input.conference_pin));
        if call_type.is_some_and(|t| t != PhoneCallType::ConferenceInvite) {
            if conference_number.is_some() {
                v.add("conference_number", "only applies to TYPE_CONFERENCE_INVITE");
            }
            if conference_pin.is_some() {
                v.add("conference_pin", "only applies to TYPE_CONFERENCE_INVITE");
            }
        }
        let request_id = v.check(optional_text("request_id", input.request_id, MAX_SHORT_TEXT));
        let wait_for_pickup_secs = v.check(wait_for_pickup("wait_for_pickup", input.wait_for_pickup_secs));
        let max_duration_secs = v.check(timer_limit("max_duration", input.max_duration_secs));
        v.finish()?;
        let Some(call_type) = call_type else {
            unreachable!("finish() reports a missing type")
        };
        Ok(Self {
            call_type,
            extension,
            source,
            destination,
            caller_id: input.caller_id,
            caller_id_destination: input.caller_id_destination,
            request_id,
            wait_for_pickup_secs,
            max_duration_secs,
            allow_public_transfer: input.allow_public_transfer,
            video: input.video,
            conference_number,
            conference_pin,
        })
    }

    /// How the interaction history classifies the call: internal when every
    /// party is an extension, else outbound (the system places it).
    pub fn interaction_type(&self) -> InteractionType {
        let all_local = self
            .source
            .iter()
            .chain(&self.destination)
            .all(|n| NumberKind::of(n) == Some(NumberKind::Extension));
        if all_local {
            InteractionType::Internal
        } else {
            InteractionType::Outbound
        }
    }

    /// The customer's number for the history: the first public number
    /// (destination first), else the destination.
    pub fn customer_number(&self) -> String {
        self.destination
            .iter()
            .chain(&self.source)
            .find(|n| NumberKind::of(n) == Some(NumberKind::Public))
            .or(self.destination.first())
            .cloned()
            .unwrap_or_default()
    }

    /// The call this request creates: a ringing leg per source and a waiting
    /// leg for the destination, each source ringing for the pickup wait.
    pub fn into_phone_call(
        self,
        id: PhoneCallId,
        owner: &User,
        interaction: InteractionId,
        now: Timestamp,
    ) -> PhoneCall {
        let deadline = now + Duration::seconds(self.wait_for_pickup_secs);
        let mut legs = Vec::with_capacity(self.source.len() + self.destination.len());
        for number in &self.source {
            legs.push(self.new_leg(legs.len(), number, vec![number.clone()], self.destination.clone()));
            let leg = legs.last_mut().expect("just pushed");
            leg.status = LegStatus::Ringing;
            leg.pickup_deadline = Some(deadline);
        }
        for number in &self.destination {
            legs.push(self.new_leg(legs.len(), number, self.source.clone(), vec![number.clone()]));
        }
        PhoneCall {
            id,
            request_id: self.request_id,
            call_type: self.call_type,
            extension: self.extension,
            owner_id: owner.id.clone(),
            owner_name: display_name(owner),
            state: CallState::Ringing,
            disposition: None,
            create_time: now,
            answer_time: None,
            end_time: None,
            max_duration_secs: self.max_duration_secs,
            allow_public_transfer: self.allow_public_transfer,
            video: self.video,
            conference_number: self.conference_number,
            conference_pin: self.conference_pin,
            legs,
            interaction,
            update_time: now,
            revision: 1,
        }
    }

    fn new_leg(&self, index: usize, number: &str, source: Vec<String>, destination: Vec<String>) -> Leg {
        let callee = destination.len() == 1 && destination[0] == number;
        let extension = leg_extension(number, &self.extension);
        Leg {
            flow: flow(number, if callee { &source } else { &destination }, callee),
            source,
            destination,
            caller_id: self.caller_id.clone(),
            caller_id_destination: self.caller_id_destination.clone(),
            ..Leg::fresh(
                leg_id(index),
                LegRole::Party,
                number,
                extension,
                LegStatus::Trying,
            )
        }
    }
}

fn leg_id(index: usize) -> String {
    format!("{index:02}")
}

fn leg_extension(number: &str, call_extension: &str) -> String {
    if NumberKind::of(number) == Some(NumberKind::Extension) {
        number.to_owned()
    } else {
        call_extension.to_owned()
    }
}

/// The direction of a leg for `number`, talking to `far`: a public party is
/// always dialled out to; an extension talking to a public number is
/// outgoing when it placed the call and incoming when it was called.
fn flow(number: &str, far: &[String], called: bool) -> Flow {
    let public = |n: &str| NumberKind::of(n) == Some(NumberKind::Public);
    if public(number) {
        Flow::OutgoingPublic
    } else if !far.iter().any(|n| public(n)) {
        Flow::Local
    } else if called {
        Flow::IncomingPublic
    } else {
        Flow::OutgoingPublic
    }
}

/// How a supervisor joins a connected party.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Supervision {
    /// Heard by every party (UnifiedAPI `BargeIn`).
    BargeIn,
    /// Heard by the agent only (UnifiedAPI `Whisper`).
    Whisper,
    /// Listens without being heard (UnifiedAPI `Monitor`).
    Monitor,
}

impl Supervision {
    fn role(self) -> LegRole {
        match self {
            Supervision::BargeIn => LegRole::BargeIn,
            Supervision::Whisper => LegRole::Whisper,
            Supervision::Monitor => LegRole::Monitor,
        }
    }
}

/// Who a joining leg is and how long it may ring.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The extension that rings.
    pub extension: String,
    /// Caller id shown to it.
    pub caller_id: Option<CallerId>,
    /// Seconds it may ring.
    pub wait_for_pickup_secs: i64,
}

/// A validated call-control request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// A ringing leg answered.
    Answer {
        /// The leg; `None` means the first ringing leg.
        leg: Option<String>,
    },
    /// Park a connected leg.
    Park {
        /// The leg; `None` means the first connected, unparked party.
        leg: Option<String>,
        /// Seconds before it returns to the call.
        max_in_parking_secs: Option<i64>,
    },
    /// Take a parked leg out and connect it to an extension.
    Unpark {
        /// The leg; `None` means the first parked leg.
        leg: Option<String>,
        /// The extension it is connected to.
        target: Target,
    },
    /// Put a connected leg on hold.
    Hold {
        /// The leg.
        leg: String,
    },
    /// Take a held leg off hold.
    Unhold {
        /// The leg; `None` means the first held leg.
        leg: Option<String>,
    },
    /// Start recording a connected leg.
    StartRecording {
        /// The leg.
        leg: String,
        /// The format.
        format: RecordingFormat,
    },
    /// Stop recording a leg.
    StopRecording {
        /// The leg; `None` means the first recorded leg.
        leg: Option<String>,
    },
    /// Answer a ringing call at another extension.
    PickUp {
        /// The ringing leg; `None` means the first one.
        leg: Option<String>,
        /// The extension answering.
        send_call_to: String,
        /// Caller id shown to it.
        caller_id: Option<CallerId>,
    },
    /// Join a supervisor to a connected party.
    Supervise {
        /// How the supervisor joins.
        mode: Supervision,
        /// The party joined; `None` means the first connected party.
        leg: Option<String>,
        /// The supervisor.
        target: Target,
        /// Whisper only: only the agent hears the supervisor.
        private: bool,
    },
    /// Replace one party by another number.
    Transfer {
        /// The number that rings instead.
        send_call_to: String,
        /// The party that leaves; `None` means the first connected called
        /// party.
        transfer_from_number: Option<String>,
        /// The number shown to `send_call_to`.
        transfer_number: Option<String>,
    },
    /// End the call in a voicemail box.
    TransferToVoicemail {
        /// The voicemail box's extension.
        send_call_to: String,
        /// The party whose call goes to voicemail.
        transfer_from_number: Option<String>,
    },
    /// Hang up the call, or one party.
    HangUp {
        /// The party's number; `None` hangs up the whole call.
        phone_number: Option<String>,
    },
}

impl Action {
    /// The verb used in refusals: `cannot {verb} phoneCalls/… in state …`.
    pub fn verb(&self) -> &'static str {
        match self {
            Action::Answer { .. } => "answer",
            Action::Park { .. } => "park",
            Action::Unpark { .. } => "unpark",
            Action::Hold { .. } => "hold",
            Action::Unhold { .. } => "unhold",
            Action::StartRecording { .. } => "start recording",
            Action::StopRecording { .. } => "stop recording",
            Action::PickUp { .. } => "pick up",
            Action::Supervise { mode, .. } => match mode {
                Supervision::BargeIn => "barge in on",
                Supervision::Whisper => "whisper into",
                Supervision::Monitor => "monitor",
            },
            Action::Transfer { .. } => "transfer",
            Action::TransferToVoicemail { .. } => "transfer to voicemail",
            Action::HangUp { .. } => "hang up",
        }
    }
}

/// What a timer did to a call, named as the event's `change`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimerEvent {
    /// A ringing leg was not answered in time (and maybe the call ended).
    PickupTimeout,
    /// A parked leg came back from the parking lot.
    ParkTimeout,
    /// The call reached its maximum talk time and was hung up.
    MaxDurationReached,
}

impl TimerEvent {
    /// The event `change` name.
    pub fn change(self) -> &'static str {
        match self {
            TimerEvent::PickupTimeout => "PickupTimeout",
            TimerEvent::ParkTimeout => "ParkTimeout",
            TimerEvent::MaxDurationReached => "MaxDurationReached",
        }
    }
}

impl PhoneCall {
    /// The resource name, `phoneCalls/{id}`.
    pub fn name(&self) -> String {
        format!("phoneCalls/{}", self.id)
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

    /// While the call rings: when it is cancelled unless answered.
    pub fn pickup_deadline(&self) -> Option<Timestamp> {
        if self.state != CallState::Ringing {
            return None;
        }
        self.legs
            .iter()
            .filter(|l| l.status == LegStatus::Ringing)
            .filter_map(|l| l.pickup_deadline)
            .min()
    }

    /// The next instant a timer must look at the call (a ringing leg's
    /// pickup deadline, a parking limit, the maximum duration); `None` once
    /// the call has ended or has no timer running.
    pub fn next_deadline(&self) -> Option<Timestamp> {
        if self.state.is_terminal() {
            return None;
        }
        let legs = self.legs.iter().flat_map(|l| {
            let ringing = (l.status == LegStatus::Ringing)
                .then_some(l.pickup_deadline)
                .flatten();
            let parked = l.parking.as_ref().and_then(|p| p.deadline);
            [ringing, parked]
        });
        legs.chain([self.duration_deadline()]).flatten().min()
    }

    fn duration_deadline(&self) -> Option<Timestamp> {
        match (self.state, self.answer_time, self.max_duration_secs) {
            (CallState::Active, Some(answered), Some(max)) => Some(answered + Duration::seconds(max)),
            _ => None,
        }
    }

    /// The talk time in whole seconds, once an answered call has ended.
    pub fn duration_secs(&self) -> Option<i64> {
        Some((self.end_time? - self.answer_time?).num_seconds())
    }

    fn refuse(&self, action: &str, reason: &'static str) -> DomainError {
        DomainError::InvalidTransition {
            resource: self.name(),
            action: action.to_owned(),
            state: self.state.as_str().to_owned(),
            reason,
        }
    }

    fn require_state(&self, state: CallState, action: &str, reason: &'static str) -> Result<(), DomainError> {
        if self.state == state {
            Ok(())
        } else {
            Err(self.refuse(action, reason))
        }
    }

    /// The leg named `id`, or (without one) the first leg where `pick`
    /// holds; `refusal` when there is none.
    fn select(
        &self,
        id: Option<&str>,
        pick: impl Fn(&Leg) -> bool,
        action: &str,
        refusal: &'static str,
    ) -> Result<usize, DomainError> {
        match id {
            Some(id) => {
                self.legs.iter().position(|l| l.id == id).ok_or_else(|| {
                    DomainError::invalid("leg_id", format!("{} has no leg {id:?}", self.name()))
                })
            }
            None => self
                .legs
                .iter()
                .position(pick)
                .ok_or_else(|| self.refuse(action, refusal)),
        }
    }

    fn live_leg_with_number(&self, number: &str) -> Option<usize> {
        self.legs
            .iter()
            .position(|l| l.is_live() && l.phone_number == number)
    }

    fn ensure_absent(&self, number: &str, action: &str) -> Result<(), DomainError> {
        match self.live_leg_with_number(number) {
            Some(_) => Err(self.refuse(action, "PARTY_ALREADY_IN_CALL")),
            None => Ok(()),
        }
    }

    fn ensure_room(&self, action: &str) -> Result<(), DomainError> {
        if self.legs.len() >= MAX_LEGS {
            Err(self.refuse(action, "TOO_MANY_LEGS"))
        } else {
            Ok(())
        }
    }

    /// A new ringing leg replacing `old` (same side of the call) for
    /// `number`.
    fn replacement(&self, old: &Leg, number: &str) -> Leg {
        let swap = |list: &[String]| -> Vec<String> {
            let swapped = |n: &String| {
                if *n == old.phone_number {
                    number.to_owned()
                } else {
                    n.clone()
                }
            };
            list.iter().map(swapped).collect()
        };
        let (source, destination) = (swap(&old.source), swap(&old.destination));
        let callee = old.is_callee_side();
        let extension = leg_extension(number, &self.extension);
        Leg {
            flow: flow(number, if callee { &source } else { &destination }, callee),
            source,
            destination,
            caller_id: old.caller_id.clone(),
            caller_id_destination: old.caller_id_destination.clone(),
            ..Leg::fresh(
                leg_id(self.legs.len()),
                LegRole::Party,
                number,
                extension,
                LegStatus::Ringing,
            )
        }
    }

    /// A ringing leg for `target`, talking to `far_number`.
    fn joining(&self, role: LegRole, target: &Target, far_number: &str, now: Timestamp) -> Leg {
        let far = vec![far_number.to_owned()];
        let id = leg_id(self.legs.len());
        Leg {
            flow: flow(&target.extension, &far, true),
            source: far,
            destination: vec![target.extension.clone()],
            caller_id: target.caller_id.clone(),
            pickup_deadline: Some(now + Duration::seconds(target.wait_for_pickup_secs)),
            ..Leg::fresh(
                id,
                role,
                &target.extension,
                target.extension.clone(),
                LegStatus::Ringing,
            )
        }
    }

    /// Connects leg `index`. On a ringing call this is the answer: the call
    /// becomes active, other ringing parties stop, and the waiting
    /// destination joins.
    fn connect(&mut self, index: usize, now: Timestamp) {
        let leg = &mut self.legs[index];
        leg.status = LegStatus::OnCall;
        leg.answer_time = Some(now);
        leg.pickup_deadline = None;
        if self.state != CallState::Ringing {
            return;
        }
        self.state = CallState::Active;
        self.answer_time = Some(now);
        for (i, leg) in self.legs.iter_mut().enumerate() {
            match leg.status {
                _ if i == index => {}
                LegStatus::Ringing if leg.role == LegRole::Party => leg.end(now),
                LegStatus::Trying => {
                    leg.status = LegStatus::OnCall;
                    leg.answer_time = Some(now);
                }
                LegStatus::Ringing | LegStatus::OnCall | LegStatus::Ended => {}
            }
        }
    }

    /// Ends the call: `COMPLETED` once answered, else `CANCELED`.
    fn finish(&mut self, now: Timestamp) {
        let (state, disposition) = if self.answer_time.is_some() {
            (CallState::Completed, Disposition::Answered)
        } else {
            (CallState::Canceled, Disposition::NoAnswer)
        };
        self.end_as(state, disposition, now);
    }

    fn end_as(&mut self, state: CallState, disposition: Disposition, now: Timestamp) {
        for leg in self.legs.iter_mut().filter(|l| l.is_live()) {
            leg.end(now);
        }
        self.state = state;
        self.disposition = Some(disposition);
        self.end_time = Some(now);
    }

    /// Ends the call when it can no longer go on: a ringing call with no
    /// source left ringing or no destination left waiting, or a call with
    /// fewer than two parties.
    fn settle(&mut self, now: Timestamp) {
        if self.state.is_terminal() {
            return;
        }
        let parties = self.legs.iter().filter(|l| l.is_live_party()).count();
        let stalled = self.state == CallState::Ringing
            && !(self.legs.iter().any(|l| l.status == LegStatus::Ringing)
                && self.legs.iter().any(|l| l.status == LegStatus::Trying));
        if parties < 2 || stalled {
            self.finish(now);
        }
    }

    /// Applies a call-control request, or refuses it with
    /// [`DomainError::InvalidTransition`] (stable reasons such as
    /// `CALL_ENDED`, `CALL_NOT_ACTIVE`, `LEG_NOT_ON_HOLD`) without changing
    /// anything.
    pub fn apply(&mut self, action: Action, now: Timestamp) -> Result<(), DomainError> {
        let verb = action.verb();
        if self.state.is_terminal() {
            return Err(self.refuse(verb, "CALL_ENDED"));
        }
        match action {
            Action::Answer { leg } => {
                let i = self.select(
                    leg.as_deref(),
                    |l| l.status == LegStatus::Ringing,
                    verb,
                    "LEG_NOT_RINGING",
                )?;
                if self.legs[i].status != LegStatus::Ringing {
                    return Err(self.refuse(verb, "LEG_NOT_RINGING"));
                }
                self.connect(i, now);
            }
            Action::Park {
                leg,
                max_in_parking_secs,
            } => {
                self.require_state(CallState::Active, verb, "CALL_NOT_ACTIVE")?;
                let connected_party = |l: &Leg| l.is_live_party() && l.status == LegStatus::OnCall;
                let i = self.select(
                    leg.as_deref(),
                    |l| connected_party(l) && l.parking.is_none(),
                    verb,
                    "LEG_NOT_CONNECTED",
                )?;
                if self.legs[i].status != LegStatus::OnCall {
                    return Err(self.refuse(verb, "LEG_NOT_CONNECTED"));
                }
                if self.legs[i].parking.is_some() {
                    return Err(self.refuse(verb, "LEG_ALREADY_PARKED"));
                }
                let taken: Vec<i32> = self
                    .legs
                    .iter()
                    .filter_map(|l| l.parking.as_ref().map(|p| p.position))
                    .collect();
                let position = (1..).find(|p| !taken.contains(p)).unwrap_or(1);
                self.legs[i].parking = Some(Parking {
                    position,
                    parked_by: self.extension.clone(),
                    deadline: max_in_parking_secs.map(|s| now + Duration::seconds(s)),
                });
            }
            Action::Unpark { leg, target } => {
                self.require_state(CallState::Active, verb, "CALL_NOT_ACTIVE")?;
                let i = self.select(leg.as_deref(), |l| l.parking.is_some(), verb, "LEG_NOT_PARKED")?;
                if self.legs[i].parking.is_none() {
                    return Err(self.refuse(verb, "LEG_NOT_PARKED"));
                }
                self.ensure_absent(&target.extension, verb)?;
                self.ensure_room(verb)?;
                self.legs[i].parking = None;
                let joining = self.joining(LegRole::Party, &target, &self.legs[i].phone_number, now);
                self.legs.push(joining);
            }
            Action::Hold { leg } => {
                self.require_state(CallState::Active, verb, "CALL_NOT_ACTIVE")?;
                let i = self.select(Some(leg.as_str()), |_| false, verb, "LEG_NOT_CONNECTED")?;
                let target = &self.legs[i];
                if target.status != LegStatus::OnCall {
                    return Err(self.refuse(verb, "LEG_NOT_CONNECTED"));
                }
                if target.parking.is_some() {
                    return Err(self.refuse(verb, "LEG_PARKED"));
                }
                if target.on_hold {
                    return Err(self.refuse(verb, "LEG_ALREADY_ON_HOLD"));
                }
                self.legs[i].on_hold = true;
            }
            Action::Unhold { leg } => {
                self.require_state(CallState::Active, verb, "CALL_NOT_ACTIVE")?;
                let i = self.select(leg.as_deref(), |l| l.on_hold, verb, "LEG_NOT_ON_HOLD")?;
                if !self.legs[i].on_hold {
                    return Err(self.refuse(verb, "LEG_NOT_ON_HOLD"));
                }
                self.legs[i].on_hold = false;
            }
            Action::StartRecording { leg, format } => {
                self.require_state(CallState::Active, verb, "CALL_NOT_ACTIVE")?;
                let i = self.select(Some(leg.as_str()), |_| false, verb, "LEG_NOT_CONNECTED")?;
                if self.legs[i].status != LegStatus::OnCall {
                    return Err(self.refuse(verb, "LEG_NOT_CONNECTED"));
                }
                if self.legs[i].recording.is_some() {
                    return Err(self.refuse(verb, "LEG_ALREADY_RECORDING"));
                }
                self.legs[i].recording = Some(format);
            }
            Action::StopRecording { leg } => {
                self.require_state(CallState::Active, verb, "CALL_NOT_ACTIVE")?;
                let i = self.select(
                    leg.as_deref(),
                    |l| l.recording.is_some(),
                    verb,
                    "LEG_NOT_RECORDING",
                )?;
                if self.legs[i].recording.is_none() {
                    return Err(self.refuse(verb, "LEG_NOT_RECORDING"));
                }
                self.legs[i].recording = None;
            }
            Action::PickUp {
                leg,
                send_call_to,
                caller_id,
            } => {
                self.require_state(CallState::Ringing, verb, "CALL_NOT_RINGING")?;
                let i = self.select(
                    leg.as_deref(),
                    |l| l.status == LegStatus::Ringing,
                    verb,
                    "LEG_NOT_RINGING",
                )?;
                if self.legs[i].status != LegStatus::Ringing {
                    return Err(self.refuse(verb, "LEG_NOT_RINGING"));
                }
                if self.legs[i].phone_number == send_call_to {
                    self.connect(i, now);
                    return Ok(());
                }
                self.ensure_absent(&send_call_to, verb)?;
                self.ensure_room(verb)?;
                let mut picker = self.replacement(&self.legs[i], &send_call_to);
                if caller_id.is_some() {
                    picker.caller_id = caller_id;
                }
                self.legs[i].end(now);
                self.legs.push(picker);
                let index = self.legs.len() - 1;
                self.connect(index, now);
            }
            Action::Supervise {
                mode,
                leg,
                target,
                private,
            } => {
                self.require_state(CallState::Active, verb, "CALL_NOT_ACTIVE")?;
                let i = self.select(
                    leg.as_deref(),
                    |l| l.role == LegRole::Party && l.status == LegStatus::OnCall,
                    verb,
                    "LEG_NOT_CONNECTED",
                )?;
                if self.legs[i].role != LegRole::Party {
                    return Err(self.refuse(verb, "LEG_NOT_A_PARTY"));
                }
                if self.legs[i].status != LegStatus::OnCall {
                    return Err(self.refuse(verb, "LEG_NOT_CONNECTED"));
                }
                self.ensure_absent(&target.extension, verb)?;
                self.ensure_room(verb)?;
                let mut supervisor = self.joining(mode.role(), &target, &self.legs[i].phone_number, now);
                supervisor.private = private && mode == Supervision::Whisper;
                self.legs.push(supervisor);
            }
            Action::Transfer {
                send_call_to,
                transfer_from_number,
                transfer_number,
            } => {
                self.require_state(CallState::Active, verb, "CALL_NOT_ACTIVE")?;
                let from = match &transfer_from_number {
                    Some(number) => self
                        .legs
                        .iter()
                        .position(|l| l.is_live_party() && l.phone_number == *number),
                    None => self.legs.iter().position(|l| {
                        l.is_live_party() && l.status == LegStatus::OnCall && l.is_callee_side()
                    }),
                };
                let Some(i) = from else {
                    return Err(self.refuse(verb, "PARTY_NOT_IN_CALL"));
                };
                let public_call = self.legs.iter().any(|l| {
                    l.role == LegRole::Party
                        && l.is_callee_side()
                        && NumberKind::of(&l.phone_number) == Some(NumberKind::Public)
                });
                if self.call_type == PhoneCallType::Simple && public_call && !self.allow_public_transfer {
                    return Err(self.refuse(verb, "PUBLIC_TRANSFER_NOT_ALLOWED"));
                }
                self.ensure_absent(&send_call_to, verb)?;
                self.ensure_room(verb)?;
                let mut target = self.replacement(&self.legs[i], &send_call_to);
                target.pickup_deadline = Some(now + Duration::seconds(DEFAULT_WAIT_FOR_PICKUP_SECS));
                if let Some(number) = transfer_number {
                    target.caller_id = Some(CallerId { name: None, number });
                }
                self.legs[i].end(now);
                self.legs.push(target);
            }
            Action::TransferToVoicemail {
                send_call_to,
                transfer_from_number,
            } => {
                let from = match &transfer_from_number {
                    Some(number) => match self.live_leg_with_number(number) {
                        Some(i) if self.legs[i].role == LegRole::Party => number.clone(),
                        _ => return Err(self.refuse(verb, "PARTY_NOT_IN_CALL")),
                    },
                    None => self
                        .legs
                        .iter()
                        .find(|l| l.is_live_party() && !l.is_callee_side())
                        .or_else(|| self.legs.iter().find(|l| l.is_live_party()))
                        .map(|l| l.phone_number.clone())
                        .unwrap_or_default(),
                };
                self.ensure_room(verb)?;
                let mut mailbox = self.joining(
                    LegRole::Party,
                    &Target {
                        extension: send_call_to,
                        caller_id: None,
                        wait_for_pickup_secs: 0,
                    },
                    &from,
                    now,
                );
                mailbox.answer_time = Some(now);
                let disposition = if self.answer_time.is_some() {
                    Disposition::Answered
                } else {
                    Disposition::NoAnswer
                };
                self.legs.push(mailbox);
                self.end_as(CallState::Voicemail, disposition, now);
            }
            Action::HangUp { phone_number: None } => self.finish(now),
            Action::HangUp {
                phone_number: Some(number),
            } => {
                let Some(i) = self.live_leg_with_number(&number) else {
                    return Err(self.refuse(verb, "PARTY_NOT_IN_CALL"));
                };
                self.legs[i].end(now);
                self.settle(now);
            }
        }
        Ok(())
    }

    /// Runs the timers that are due at `now`: ringing legs past their pickup
    /// deadline stop (and a ringing call with nobody left to answer is
    /// cancelled), parked legs past their limit return to the call, and an
    /// answered call past its maximum duration is hung up. Returns what
    /// happened, or `None` when nothing was due.
    pub fn on_timer(&mut self, now: Timestamp) -> Option<TimerEvent> {
        if self.state.is_terminal() {
            return None;
        }
        let mut event = None;
        if self.duration_deadline().is_some_and(|d| d <= now) {
            self.finish(now);
            return Some(TimerEvent::MaxDurationReached);
        }
        for leg in &mut self.legs {
            if let Some(parking) = &leg.parking
                && parking.deadline.is_some_and(|d| d <= now)
            {
                leg.parking = None;
                event = Some(TimerEvent::ParkTimeout);
            }
        }
        for leg in &mut self.legs {
            if leg.status == LegStatus::Ringing && leg.pickup_deadline.is_some_and(|d| d <= now) {
                leg.end(now);
                event = Some(TimerEvent::PickupTimeout);
            }
        }
        if event.is_some() {
            self.settle(now);
        }
        event
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time;

    fn owner() -> User {
        User {
            id: UserId::parse("alice").unwrap(),
            user_name: "alice".into(),
            first_name: Some("Alice".into()),
            last_name: Some("Smith".into()),
        }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    fn new_call(
        call_type: PhoneCallType,
        extension: &str,
        source: &[&str],
        destination: &[&str],
    ) -> NewPhoneCall {
        let (source, destination) = (strings(source), strings(destination));
        NewPhoneCall::parse(NewPhoneCallInput {
            call_type: Some(call_type),
            extension,
            source: &source,
            destination: &destination,
            ..Default::default()
        })
        .unwrap()
    }

    fn ringing(source: &[&str], destination: &[&str]) -> PhoneCall {
        new_call(PhoneCallType::Simple, "", source, destination).into_phone_call(
            PhoneCallId::generate(),
            &owner(),
            InteractionId::generate(),
            time::now(),
        )
    }

    /// A call from extension 0003*210 to extension 0003*024, answered.
    fn active() -> PhoneCall {
        let mut call = ringing(&["0003*210"], &["0003*024"]);
        call.apply(Action::Answer { leg: None }, time::now()).unwrap();
        call
    }

    fn target(extension: &str) -> Target {
        Target {
            extension: extension.into(),
            caller_id: None,
            wait_for_pickup_secs: 25,
        }
    }

    fn reason(result: Result<(), DomainError>) -> &'static str {
        match result {
            Err(DomainError::InvalidTransition { reason, .. }) => reason,
            other => panic!("expected a refused transition, got {other:?}"),
        }
    }

    /// A refusal leaves the call exactly as it was.
    fn refused(call: &PhoneCall, action: Action) -> &'static str {
        let mut copy = call.clone();
        let why = reason(copy.apply(action, time::now()));
        assert_eq!(&copy, call, "a refused action must change nothing");
        why
    }

    #[test]
    fn numbers_are_classified_by_the_documented_rule() {
        use NumberKind::*;
        for (number, kind) in [
            ("0003*210", Some(Extension)),
            ("212", Some(Extension)),
            ("1", Some(Extension)),
            ("123456", Some(Extension)),
            ("5354353", Some(Public)),
            ("3235742879", Some(Public)),
            ("+40212345678", Some(Public)),
            ("+123", None),
            ("*210", None),
            ("0003*", None),
            ("1*2*3", None),
            ("1234567890123456", None),
            ("12ab", None),
            ("", None),
        ] {
            assert_eq!(NumberKind::of(number), kind, "{number}");
        }
    }

    #[test]
    fn caller_ids_parse_and_print_in_unified_api_form() {
        let id = CallerId::parse("caller_id", "John Doe <4242425>").unwrap();
        assert_eq!(id.name.as_deref(), Some("John Doe"));
        assert_eq!(id.number, "4242425");
        assert_eq!(id.to_string(), "John Doe <4242425>");
        let bare = CallerId::parse("caller_id", "0003*210").unwrap();
        assert_eq!(bare.name, None);
        assert_eq!(bare.to_string(), "0003*210");
        assert_eq!(CallerId::parse("c", "<212>").unwrap().name, None);
        for bad in ["John Doe <", "John <abc>", "Jo<hn <4242425>", "", "John Doe"] {
            assert!(CallerId::parse("c", bad).is_err(), "{bad:?}");
        }
        assert_eq!(CallerId::optional("c", "", "").unwrap(), None);
    }

    #[test]
    fn create_validates_per_type_and_reports_everything() {
        let parse = |call_type, extension: &str, source: &[&str], destination: &[&str]| {
            let (source, destination) = (strings(source), strings(destination));
            NewPhoneCall::parse(NewPhoneCallInput {
                call_type,
                extension,
                source: &source,
                destination: &destination,
                ..Default::default()
            })
        };
        let fields = |result: Result<NewPhoneCall, DomainError>| match result {
            Err(DomainError::InvalidArgument(v)) => v.into_iter().map(|v| v.field).collect::<Vec<_>>(),
            other => panic!("expected violations, got {other:?}"),
        };
        use PhoneCallType::*;
        // The seed's three examples.
        let simple = parse(Some(Simple), "0003*210", &["5354353", "5302040"], &["3235742879"]).unwrap();
        assert_eq!(simple.wait_for_pickup_secs, 25);
        assert_eq!(simple.interaction_type(), InteractionType::Outbound);
        assert_eq!(simple.customer_number(), "3235742879");
        parse(Some(Callback), "212", &["3334444"], &["3235742879"]).unwrap();
        let invite = parse(Some(ConferenceInvite), "211", &[], &["3235742879"]).unwrap();
        assert_eq!(invite.source, ["211"]);
        // The extension defaults to the first source when that is one.
        assert_eq!(
            parse(Some(Simple), "", &["212"], &["213"]).unwrap().extension,
            "212"
        );
        assert_eq!(
            parse(Some(Simple), "", &["212"], &["213"])
                .unwrap()
                .interaction_type(),
            InteractionType::Internal
        );

        assert_eq!(fields(parse(None, "", &[], &[])), ["type", "destination"]);
        assert_eq!(
            fields(parse(Some(Simple), "", &["5354353"], &["x"])),
            ["destination[0]", "extension"]
        );
        assert_eq!(
            fields(parse(Some(Callback), "", &["212"], &["213"])),
            ["source[0]", "destination[0]", "extension"]
        );
        assert_eq!(
            fields(parse(Some(ConferenceInvite), "211", &["212"], &["5354353"])),
            ["source"]
        );
        assert_eq!(
            fields(parse(Some(Simple), "212", &["212", "212"], &["212"])),
            ["source[1]", "destination[0]"]
        );
        assert_eq!(
            fields(parse(Some(Simple), "212", &["213"], &["214", "215"])),
            ["destination"]
        );

        let source = strings(&["212"]);
        let destination = strings(&["213"]);
        let err = NewPhoneCall::parse(NewPhoneCallInput {
            call_type: Some(Callback),
            extension: "212",
            source: &source,
            destination: &destination,
            allow_public_transfer: true,
            conference_pin: "12a",
            wait_for_pickup_secs: Some(0),
            max_duration_secs: Some(MAX_TIMER_SECS + 1),
            request_id: &"n".repeat(MAX_SHORT_TEXT + 1),
            ..Default::default()
        });
        assert_eq!(
            fields(err),
            [
                "source[0]",
                "destination[0]",
                "allow_public_transfer",
                "conference_pin",
                "request_id",
                "wait_for_pickup",
                "max_duration"
            ]
        );
    }

    #[test]
    fn a_new_call_rings_every_source_and_waits_for_the_destination() {
        let call = ringing(&["0003*210", "5302040"], &["3235742879"]);
        assert_eq!(call.state, CallState::Ringing);
        assert_eq!(call.owner_name, "Alice Smith");
        let summary: Vec<_> = call
            .legs
            .iter()
            .map(|l| {
                (
                    l.id.as_str(),
                    l.phone_number.as_str(),
                    l.extension.as_str(),
                    l.flow,
                    l.status,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "00",
                    "0003*210",
                    "0003*210",
                    Flow::OutgoingPublic,
                    LegStatus::Ringing
                ),
                (
                    "01",
                    "5302040",
                    "0003*210",
                    Flow::OutgoingPublic,
                    LegStatus::Ringing
                ),
                (
                    "02",
                    "3235742879",
                    "0003*210",
                    Flow::OutgoingPublic,
                    LegStatus::Trying
                ),
            ]
        );
        assert_eq!(call.legs[2].source, ["0003*210", "5302040"]);
        let deadline = call.create_time + Duration::seconds(25);
        assert_eq!(call.pickup_deadline(), Some(deadline));
        assert_eq!(call.next_deadline(), Some(deadline));
    }

    #[test]
    fn answering_connects_the_call_and_stops_the_other_sources() {
        let mut call = ringing(&["0003*210", "0003*211"], &["0003*024"]);
        let now = time::now();
        call.apply(
            Action::Answer {
                leg: Some("01".into()),
            },
            now,
        )
        .unwrap();
        assert_eq!(call.state, CallState::Active);
        assert_eq!(call.answer_time, Some(now));
        let statuses: Vec<_> = call.legs.iter().map(|l| l.status).collect();
        assert_eq!(statuses, [LegStatus::Ended, LegStatus::OnCall, LegStatus::OnCall]);
        assert_eq!(call.legs[0].disposition, Some(Disposition::NoAnswer));
        assert_eq!(call.legs[1].flow, Flow::Local);
        assert_eq!(call.pickup_deadline(), None);
        assert_eq!(call.next_deadline(), None);
        assert_eq!(
            refused(
                &call,
                Action::Answer {
                    leg: Some("02".into())
                }
            ),
            "LEG_NOT_RINGING"
        );
        assert_eq!(refused(&call, Action::Answer { leg: None }), "LEG_NOT_RINGING");
        assert!(matches!(
            call.clone().apply(
                Action::Answer {
                    leg: Some("09".into())
                },
                now
            ),
            Err(DomainError::InvalidArgument(_))
        ));
    }

    #[test]
    fn ringing_calls_refuse_actions_that_need_an_answer() {
        let call = ringing(&["0003*210"], &["0003*024"]);
        for action in [
            Action::Park {
                leg: None,
                max_in_parking_secs: None,
            },
            Action::Unpark {
                leg: None,
                target: target("0003*300"),
            },
            Action::Hold { leg: "00".into() },
            Action::Unhold { leg: None },
            Action::StartRecording {
                leg: "00".into(),
                format: RecordingFormat::Wav,
            },
            Action::StopRecording { leg: None },
            Action::Supervise {
                mode: Supervision::BargeIn,
                leg: None,
                target: target("0003*300"),
                private: false,
            },
            Action::Transfer {
                send_call_to: "0003*300".into(),
                transfer_from_number: None,
                transfer_number: None,
            },
        ] {
            assert_eq!(refused(&call, action.clone()), "CALL_NOT_ACTIVE", "{action:?}");
        }
    }

    #[test]
    fn hold_and_unhold_are_per_leg() {
        let mut call = active();
        let now = time::now();
        call.apply(Action::Hold { leg: "01".into() }, now).unwrap();
        assert!(call.legs[1].on_hold && !call.legs[0].on_hold);
        assert_eq!(
            refused(&call, Action::Hold { leg: "01".into() }),
            "LEG_ALREADY_ON_HOLD"
        );
        call.apply(Action::Unhold { leg: None }, now).unwrap();
        assert!(!call.legs[1].on_hold);
        assert_eq!(refused(&call, Action::Unhold { leg: None }), "LEG_NOT_ON_HOLD");
        assert_eq!(
            refused(
                &call,
                Action::Unhold {
                    leg: Some("00".into())
                }
            ),
            "LEG_NOT_ON_HOLD"
        );
    }

    #[test]
    fn parking_takes_positions_and_returns_on_its_limit() {
        let mut call = active();
        let now = time::now();
        call.apply(
            Action::Park {
                leg: Some("01".into()),
                max_in_parking_secs: Some(60),
            },
            now,
        )
        .unwrap();
        let parking = call.legs[1].parking.clone().unwrap();
        assert_eq!((parking.position, parking.parked_by.as_str()), (1, "0003*210"));
        assert_eq!(call.next_deadline(), Some(now + Duration::seconds(60)));
        assert_eq!(
            refused(
                &call,
                Action::Park {
                    leg: Some("01".into()),
                    max_in_parking_secs: None
                }
            ),
            "LEG_ALREADY_PARKED"
        );
        assert_eq!(refused(&call, Action::Hold { leg: "01".into() }), "LEG_PARKED");
        call.apply(
            Action::Park {
                leg: None,
                max_in_parking_secs: None,
            },
            now,
        )
        .unwrap();
        assert_eq!(call.legs[0].parking.as_ref().unwrap().position, 2);
        assert_eq!(call.on_timer(now + Duration::seconds(59)), None);
        assert_eq!(
            call.on_timer(now + Duration::seconds(60)),
            Some(TimerEvent::ParkTimeout)
        );
        assert!(call.legs[1].parking.is_none() && call.legs[0].parking.is_some());
        assert_eq!(call.state, CallState::Active);
    }

    #[test]
    fn unpark_connects_the_parked_leg_to_a_ringing_extension() {
        let mut call = active();
        let now = time::now();
        assert_eq!(
            refused(
                &call,
                Action::Unpark {
                    leg: None,
                    target: target("0003*300")
                }
            ),
            "LEG_NOT_PARKED"
        );
        call.apply(
            Action::Park {
                leg: Some("01".into()),
                max_in_parking_secs: None,
            },
            now,
        )
        .unwrap();
        assert_eq!(
            refused(
                &call,
                Action::Unpark {
                    leg: None,
                    target: target("0003*210")
                }
            ),
            "PARTY_ALREADY_IN_CALL"
        );
        call.apply(
            Action::Unpark {
                leg: None,
                target: target("0003*300"),
            },
            now,
        )
        .unwrap();
        assert!(call.legs[1].parking.is_none());
        let joined = &call.legs[2];
        assert_eq!((joined.id.as_str(), joined.status), ("02", LegStatus::Ringing));
        assert_eq!(joined.source, ["0003*024"]);
        call.apply(
            Action::Answer {
                leg: Some("02".into()),
            },
            now,
        )
        .unwrap();
        assert_eq!(call.legs[2].status, LegStatus::OnCall);
    }

    #[test]
    fn recording_starts_once_and_stops_once() {
        let mut call = active();
        let now = time::now();
        call.apply(
            Action::StartRecording {
                leg: "00".into(),
                format: RecordingFormat::Wav49,
            },
            now,
        )
        .unwrap();
        assert_eq!(call.legs[0].recording, Some(RecordingFormat::Wav49));
        assert_eq!(
            refused(
                &call,
                Action::StartRecording {
                    leg: "00".into(),
                    format: RecordingFormat::Wav
                }
            ),
            "LEG_ALREADY_RECORDING"
        );
        assert_eq!(
            refused(
                &call,
                Action::StopRecording {
                    leg: Some("01".into())
                }
            ),
            "LEG_NOT_RECORDING"
        );
        call.apply(Action::StopRecording { leg: None }, now).unwrap();
        assert_eq!(call.legs[0].recording, None);
        assert_eq!(
            refused(&call, Action::StopRecording { leg: None }),
            "LEG_NOT_RECORDING"
        );
    }

    #[test]
    fn pick_up_answers_a_ringing_call_elsewhere() {
        let mut call = ringing(&["0003*210"], &["5354353"]);
        let now = time::now();
        call.apply(
            Action::PickUp {
                leg: None,
                send_call_to: "0003*211".into(),
                caller_id: Some(CallerId::parse("c", "Front desk <0003*210>").unwrap()),
            },
            now,
        )
        .unwrap();
        assert_eq!(call.state, CallState::Active);
        assert_eq!(call.legs[0].status, LegStatus::Ended);
        let picker = &call.legs[2];
        assert_eq!(
            (picker.phone_number.as_str(), picker.status, picker.flow),
            ("0003*211", LegStatus::OnCall, Flow::OutgoingPublic)
        );
        assert_eq!(picker.source, ["0003*211"]);
        assert_eq!(
            picker.caller_id.as_ref().unwrap().to_string(),
            "Front desk <0003*210>"
        );
        assert_eq!(call.legs[1].status, LegStatus::OnCall);
        assert_eq!(
            refused(
                &call,
                Action::PickUp {
                    leg: None,
                    send_call_to: "0003*212".into(),
                    caller_id: None
                }
            ),
            "CALL_NOT_RINGING"
        );
    }

    #[test]
    fn supervisors_join_connected_parties_only() {
        let mut call = active();
        let now = time::now();
        for (mode, extension) in [
            (Supervision::BargeIn, "0003*300"),
            (Supervision::Whisper, "0003*301"),
            (Supervision::Monitor, "0003*302"),
        ] {
            call.apply(
                Action::Supervise {
                    mode,
                    leg: Some("01".into()),
                    target: target(extension),
                    private: true,
                },
                now,
            )
            .unwrap();
            let joined = call.legs.last().unwrap();
            assert_eq!((joined.role, joined.status), (mode.role(), LegStatus::Ringing));
            assert_eq!(joined.destination, [extension]);
            assert_eq!(joined.source, ["0003*024"]);
            assert_eq!(joined.private, mode == Supervision::Whisper);
        }
        let supervise = |leg: &str, extension: &str| Action::Supervise {
            mode: Supervision::Monitor,
            leg: Some(leg.into()),
            target: target(extension),
            private: false,
        };
        assert_eq!(refused(&call, supervise("02", "0003*303")), "LEG_NOT_A_PARTY");
        assert_eq!(
            refused(&call, supervise("00", "0003*300")),
            "PARTY_ALREADY_IN_CALL"
        );
        // A supervisor who never answers drops out; the call goes on.
        assert_eq!(
            call.on_timer(now + Duration::seconds(25)),
            Some(TimerEvent::PickupTimeout)
        );
        assert_eq!(call.state, CallState::Active);
        assert!(call.legs[2..].iter().all(|l| l.status == LegStatus::Ended));
        call.apply(Action::Hold { leg: "01".into() }, now).unwrap();
        call.apply(
            Action::HangUp {
                phone_number: Some("0003*024".into()),
            },
            now,
        )
        .unwrap();
        assert_eq!(call.state, CallState::Completed);
        assert_eq!(refused(&call, supervise("00", "0003*304")), "CALL_ENDED");
    }

    #[test]
    fn transfer_replaces_a_party_and_respects_public_transfer() {
        let mut call = active();
        let now = time::now();
        assert_eq!(
            refused(
                &call,
                Action::Transfer {
                    send_call_to: "0003*300".into(),
                    transfer_from_number: Some("999".into()),
                    transfer_number: None
                }
            ),
            "PARTY_NOT_IN_CALL"
        );
        call.apply(
            Action::Transfer {
                send_call_to: "5354353".into(),
                transfer_from_number: None,
                transfer_number: Some("0003*210".into()),
            },
            now,
        )
        .unwrap();
        assert_eq!(call.legs[1].status, LegStatus::Ended);
        let target = &call.legs[2];
        assert_eq!(
            (target.phone_number.as_str(), target.status),
            ("5354353", LegStatus::Ringing)
        );
        assert_eq!(target.flow, Flow::OutgoingPublic);
        assert_eq!(target.caller_id.as_ref().unwrap().number, "0003*210");
        assert_eq!(target.source, ["0003*210"]);
        // Nobody answers the transfer: one party is left, so the call ends.
        assert_eq!(
            call.on_timer(now + Duration::seconds(25)),
            Some(TimerEvent::PickupTimeout)
        );
        assert_eq!(
            (call.state, call.disposition),
            (CallState::Completed, Some(Disposition::Answered))
        );

        let mut public = ringing(&["0003*210"], &["5354353"]);
        public.apply(Action::Answer { leg: None }, now).unwrap();
        let transfer = Action::Transfer {
            send_call_to: "0003*300".into(),
            transfer_from_number: Some("0003*210".into()),
            transfer_number: None,
        };
        assert_eq!(refused(&public, transfer.clone()), "PUBLIC_TRANSFER_NOT_ALLOWED");
        public.allow_public_transfer = true;
        public.apply(transfer, now).unwrap();
        assert_eq!(public.legs[2].source, ["0003*300"]);
    }

    #[test]
    fn voicemail_ends_a_ringing_or_answered_call() {
        let now = time::now();
        let mut call = active();
        call.apply(
            Action::TransferToVoicemail {
                send_call_to: "0003*024".into(),
                transfer_from_number: Some("0003*024".into()),
            },
            now,
        )
        .unwrap();
        assert_eq!(
            (call.state, call.disposition),
            (CallState::Voicemail, Some(Disposition::Answered))
        );
        let mailbox = call.legs.last().unwrap();
        assert_eq!(mailbox.destination, ["0003*024"]);
        assert_eq!(mailbox.disposition, Some(Disposition::Answered));
        assert!(call.legs.iter().all(|l| l.status == LegStatus::Ended));

        let mut unanswered = ringing(&["0003*210"], &["0003*024"]);
        assert_eq!(
            refused(
                &unanswered,
                Action::TransferToVoicemail {
                    send_call_to: "0003*400".into(),
                    transfer_from_number: Some("5354353".into())
                }
            ),
            "PARTY_NOT_IN_CALL"
        );
        unanswered
            .apply(
                Action::TransferToVoicemail {
                    send_call_to: "0003*400".into(),
                    transfer_from_number: None,
                },
                now,
            )
            .unwrap();
        assert_eq!(
            (unanswered.state, unanswered.disposition),
            (CallState::Voicemail, Some(Disposition::NoAnswer))
        );
        assert_eq!(unanswered.legs.last().unwrap().source, ["0003*210"]);
    }

    #[test]
    fn hang_up_ends_the_call_or_one_party() {
        let now = time::now();
        let mut ringing_call = ringing(&["0003*210", "0003*211"], &["0003*024"]);
        ringing_call
            .apply(
                Action::HangUp {
                    phone_number: Some("0003*211".into()),
                },
                now,
            )
            .unwrap();
        assert_eq!(ringing_call.state, CallState::Ringing);
        assert_eq!(
            refused(
                &ringing_call,
                Action::HangUp {
                    phone_number: Some("0003*211".into())
                }
            ),
            "PARTY_NOT_IN_CALL"
        );
        ringing_call
            .apply(Action::HangUp { phone_number: None }, now)
            .unwrap();
        assert_eq!(
            (ringing_call.state, ringing_call.disposition),
            (CallState::Canceled, Some(Disposition::NoAnswer))
        );
        assert_eq!(
            refused(&ringing_call, Action::HangUp { phone_number: None }),
            "CALL_ENDED"
        );

        // The destination leaving a ringing call leaves nobody to connect to.
        let mut abandoned = ringing(&["0003*210", "0003*211"], &["0003*024"]);
        abandoned
            .apply(
                Action::HangUp {
                    phone_number: Some("0003*024".into()),
                },
                now,
            )
            .unwrap();
        assert_eq!(abandoned.state, CallState::Canceled);

        let mut call = active();
        call.apply(
            Action::StartRecording {
                leg: "00".into(),
                format: RecordingFormat::Wav,
            },
            now,
        )
        .unwrap();
        call.apply(Action::HangUp { phone_number: None }, now).unwrap();
        assert_eq!(
            (call.state, call.disposition),
            (CallState::Completed, Some(Disposition::Answered))
        );
        assert_eq!(call.end_time, Some(now));
        assert!(
            call.legs
                .iter()
                .all(|l| l.status == LegStatus::Ended && l.recording.is_none())
        );
        assert_eq!(call.duration_secs(), Some(0));
        assert_eq!(call.next_deadline(), None);
        for action in [
            Action::Answer { leg: None },
            Action::Hold { leg: "00".into() },
            Action::TransferToVoicemail {
                send_call_to: "0003*400".into(),
                transfer_from_number: None,
            },
        ] {
            assert_eq!(refused(&call, action), "CALL_ENDED");
        }
    }

    #[test]
    fn unanswered_calls_are_cancelled_at_their_pickup_deadline() {
        let mut call = ringing(&["0003*210", "0003*211"], &["5354353"]);
        let deadline = call.pickup_deadline().unwrap();
        assert_eq!(call.on_timer(deadline - Duration::microseconds(1)), None);
        assert_eq!(call.state, CallState::Ringing);
        assert_eq!(call.on_timer(deadline), Some(TimerEvent::PickupTimeout));
        assert_eq!(
            (call.state, call.disposition),
            (CallState::Canceled, Some(Disposition::NoAnswer))
        );
        assert_eq!(call.end_time, Some(deadline));
        assert!(
            call.legs
                .iter()
                .all(|l| l.disposition == Some(Disposition::NoAnswer))
        );
        assert_eq!(call.on_timer(deadline), None, "an ended call has no timers");
    }

    #[test]
    fn answered_calls_are_hung_up_at_their_maximum_duration() {
        let mut call = ringing(&["0003*210"], &["0003*024"]);
        call.max_duration_secs = Some(30);
        let answered = call.create_time + Duration::seconds(5);
        call.apply(Action::Answer { leg: None }, answered).unwrap();
        assert_eq!(call.next_deadline(), Some(answered + Duration::seconds(30)));
        assert_eq!(
            call.on_timer(answered + Duration::seconds(30)),
            Some(TimerEvent::MaxDurationReached)
        );
        assert_eq!(call.state, CallState::Completed);
        assert_eq!(call.duration_secs(), Some(30));
    }

    #[test]
    fn legs_are_bounded() {
        let mut call = active();
        let now = time::now();
        let mut added = 0;
        let result = loop {
            let action = Action::Supervise {
                mode: Supervision::Monitor,
                leg: None,
                target: target(&format!("{}", 100 + added)),
                private: false,
            };
            match call.apply(action, now) {
                Ok(()) => added += 1,
                Err(e) => break Err(e),
            }
        };
        assert_eq!(reason(result), "TOO_MANY_LEGS");
        assert_eq!(call.legs.len(), MAX_LEGS);
    }

    #[test]
    fn the_aggregate_round_trips_through_its_snapshot_json() {
        let mut call = active();
        call.apply(
            Action::Park {
                leg: None,
                max_in_parking_secs: Some(5),
            },
            time::now(),
        )
        .unwrap();
        let json = serde_json::to_value(&call).unwrap();
        assert_eq!(serde_json::from_value::<PhoneCall>(json).unwrap(), call);
    }
}

/// Properties of the number and caller-id parsers, which read outside input
/// (UnifiedAPI bodies and queries, gRPC requests).
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn extension() -> impl Strategy<Value = String> {
        prop_oneof!["[0-9]{1,6}", "[0-9]{1,8}\\*[0-9]{1,8}"]
    }

    fn public_number() -> impl Strategy<Value = String> {
        "\\+?[0-9]{7,15}"
    }

    proptest! {
        #[test]
        fn parsers_never_panic(text in "\\PC{0,80}", bytes in "(?s).{0,40}") {
            let _ = CallerId::parse("caller_id", &text);
            let _ = CallerId::parse("caller_id", &bytes);
            let _ = parse_number("n", &text);
            let _ = parse_extension("n", &text);
            let _ = parse_leg_id("leg_id", &text);
        }

        #[test]
        fn generated_numbers_are_accepted_as_their_kind(ext in extension(), public in public_number()) {
            prop_assert_eq!(parse_number("n", &ext).unwrap(), (ext.clone(), NumberKind::Extension));
            prop_assert_eq!(parse_extension("n", &ext).unwrap(), ext);
            // 7+ digits are never an extension; with `+` or not, public.
            prop_assert_eq!(parse_number("n", &public).unwrap().1, NumberKind::Public);
            prop_assert!(parse_extension("n", &public).is_err());
        }

        #[test]
        fn numbers_with_anything_but_digits_are_refused(
            prefix in "[0-9]{0,6}",
            bad in "[^0-9*+]",
            suffix in "[0-9]{0,6}",
        ) {
            let number = format!("{prefix}{bad}{suffix}");
            prop_assert!(parse_number("n", &number).is_err(), "{:?}", number);
        }

        #[test]
        fn too_long_numbers_are_refused(digits in "[0-9]{16,30}") {
            prop_assert!(parse_number("n", &digits).is_err());
            let plus = format!("+{digits}");
            prop_assert!(parse_number("n", &plus).is_err());
        }

        #[test]
        fn caller_ids_round_trip_through_their_text(
            name in proptest::option::of("[A-Za-z0-9][A-Za-z0-9 .,'()-]{0,40}[A-Za-z0-9]"),
            number in prop_oneof![extension(), public_number()],
        ) {
            let id = CallerId { name, number };
            let text = id.to_string();
            prop_assert_eq!(CallerId::parse("caller_id", &text).unwrap(), id.clone());
            // `<number>` alone and surrounding spaces read the same.
            let bracketed = format!("  <{}> ", id.number);
            prop_assert_eq!(
                CallerId::parse("caller_id", &bracketed).unwrap(),
                CallerId { name: None, number: id.number.clone() }
            );
        }

        #[test]
        fn caller_ids_with_stray_brackets_are_refused(
            name in "[A-Za-z ]{0,10}",
            number in extension(),
            stray in prop_oneof![Just("<"), Just(">")],
        ) {
            let misplaced = format!("{name}{stray}{number}");
            prop_assert!(CallerId::parse("caller_id", &misplaced).is_err(), "{:?}", misplaced);
            let in_name = format!("{name}{stray}x <{number}>");
            prop_assert!(CallerId::parse("caller_id", &in_name).is_err(), "{:?}", in_name);
        }
    }
}
