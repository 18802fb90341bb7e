//! The interaction aggregate (the Genesys UCS interaction history record):
//! its enums, the state machine, and validated inputs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::DomainError;
use super::caller::User;
use super::common::{
    CallState, MAX_LONG_TEXT, MAX_SHORT_TEXT, VendorLiteral, bounded_json, optional_text, required_text,
};
use super::error::Violations;
use super::filter::{FieldKind, Schema};
use super::ids::{InteractionId, PhoneCallId, VoiceCallId};
use super::time::{self, Timestamp};

stored_enum!(
    /// The channel of an interaction.
    MediaType {
        /// A voice call.
        Call = "CALL",
        /// A chat.
        Chat = "CHAT",
        /// An e-mail.
        Email = "EMAIL",
        /// A Facebook post.
        Facebook = "FACEBOOK",
        /// A Facebook messaging session.
        FacebookSession = "FACEBOOK_SESSION",
        /// An SMS session.
        SmsSession = "SMS_SESSION",
        /// Other media.
        OpenMedia = "OPEN_MEDIA",
        /// Twitter.
        Twitter = "TWITTER",
        /// A work item.
        Workitem = "WORKITEM",
    }
);

stored_enum!(
    /// How an interaction relates to the contact centre.
    InteractionType {
        /// Started by the customer.
        Inbound = "INBOUND",
        /// Started by the contact centre.
        Outbound = "OUTBOUND",
        /// Between agents.
        Internal = "INTERNAL",
        /// A consultation.
        Consult = "CONSULT",
        /// Not known.
        Unknown = "UNKNOWN",
    }
);

stored_enum!(
    /// The lifecycle of an interaction.
    InteractionState {
        /// Just created.
        New = "NEW",
        /// Waiting.
        Pending = "PENDING",
        /// Being handled.
        InProcess = "IN_PROCESS",
        /// Finished; final.
        Stopped = "STOPPED",
    }
);

impl InteractionState {
    /// Whether the state machine allows moving from `self` to `next`. Staying
    /// put is allowed (a no-op).
    pub fn can_become(self, next: InteractionState) -> bool {
        use InteractionState::*;
        self == next
            || matches!(
                (self, next),
                (New, Pending | InProcess | Stopped) | (Pending, InProcess | Stopped) | (InProcess, Stopped)
            )
    }

    /// The interaction state that mirrors a call's canonical state.
    pub fn for_call(state: CallState) -> InteractionState {
        match state {
            CallState::Queued => InteractionState::New,
            CallState::Ringing => InteractionState::Pending,
            CallState::Active => InteractionState::InProcess,
            CallState::Completed
            | CallState::Missed
            | CallState::Busy
            | CallState::Failed
            | CallState::Canceled
            | CallState::Voicemail => InteractionState::Stopped,
        }
    }
}

/// The filterable fields of `ListInteractions`.
pub const FILTER_SCHEMA: Schema = &[
    ("id", FieldKind::Text),
    (
        "media_type",
        FieldKind::Enum {
            prefix: "MEDIA_TYPE_",
            values: MediaType::NAMES,
        },
    ),
    (
        "type",
        FieldKind::Enum {
            prefix: "TYPE_",
            values: InteractionType::NAMES,
        },
    ),
    (
        "state",
        FieldKind::Enum {
            prefix: "STATE_",
            values: InteractionState::NAMES,
        },
    ),
    ("start_time", FieldKind::Time),
    ("end_time", FieldKind::Time),
    ("create_time", FieldKind::Time),
    ("owner.id", FieldKind::Text),
    ("contact_id", FieldKind::Text),
    ("parent_id", FieldKind::Text),
    ("thread_id", FieldKind::Text),
    ("phone_number", FieldKind::Text),
    ("subject", FieldKind::Text),
    ("external_call_id", FieldKind::Text),
    ("custom_attributes", FieldKind::Map),
];

/// The sort keys of `ListInteractions`.
pub const ORDER_FIELDS: &[&str] = &["start_time", "create_time"];

/// One customer contact in the history. Its JSON form is the snapshot in
/// outbox events; absent and empty fields are left out of it (and read back
/// as absent and empty), which keeps every create's event row small.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interaction {
    /// The id.
    pub id: InteractionId,
    /// The channel.
    pub media_type: MediaType,
    /// How it relates to the contact centre.
    pub interaction_type: InteractionType,
    /// The current state.
    pub state: InteractionState,
    /// The current state as the dialect that set it spelled it; `None` when
    /// it was set without a vendor spelling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_literal: Option<VendorLiteral>,
    /// When it started.
    #[serde(serialize_with = "time::rfc3339::serialize")]
    pub start_time: Timestamp,
    /// When it stopped.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "time::rfc3339::option::serialize"
    )]
    pub end_time: Option<Timestamp>,
    /// The agent who created it.
    pub owner: User,
    /// The associated contact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<String>,
    /// The parent interaction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// The thread.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<String>,
    /// Free-text subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Free-text comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Named custom fields.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_attributes: BTreeMap<String, String>,
    /// The contact's phone number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// The call's duration in whole seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_duration_secs: Option<i64>,
    /// Attached data.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub user_data: Map<String, Value>,
    /// The telephony system's call id; unique in the tenant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_call_id: Option<String>,
    /// The phone call this interaction records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_call: Option<PhoneCallId>,
    /// The voice call this interaction records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voice_call: Option<VoiceCallId>,
    /// When the record was created.
    #[serde(serialize_with = "time::rfc3339::serialize")]
    pub create_time: Timestamp,
    /// When the record last changed.
    #[serde(serialize_with = "time::rfc3339::serialize")]
    pub update_time: Timestamp,
    /// Incremented on every change; the etag.
    pub revision: i64,
}

/// A validated `FindOrCreatePhoneCallInteraction` request.
#[derive(Clone, Debug, PartialEq)]
pub struct NewPhoneCallInteraction {
    /// The external call id (the idempotency key).
    pub call_id: String,
    /// The initial state.
    pub state: InteractionState,
    /// The state as the dialect spelled it.
    pub state_literal: Option<VendorLiteral>,
    /// The contact's phone number.
    pub phone_number: String,
    /// The type of call.
    pub interaction_type: InteractionType,
    /// The associated contact.
    pub contact_id: Option<String>,
    /// The parent interaction.
    pub parent_id: Option<String>,
    /// The thread.
    pub thread_id: Option<String>,
    /// The subject.
    pub subject: Option<String>,
    /// Attached data.
    pub user_data: Map<String, Value>,
}

/// The raw fields of a find-or-create request, before validation.
#[derive(Debug, Default)]
pub struct NewPhoneCallInteractionInput<'a> {
    /// External call id.
    pub call_id: &'a str,
    /// State, if a known one was given.
    pub state: Option<InteractionState>,
    /// Vendor literal of the state: (dialect, value).
    pub state_literal: (&'a str, &'a str),
    /// Phone number.
    pub phone_number: &'a str,
    /// Type, if a known one was given.
    pub interaction_type: Option<InteractionType>,
    /// Contact id.
    pub contact_id: &'a str,
    /// Parent id.
    pub parent_id: &'a str,
    /// Thread id.
    pub thread_id: &'a str,
    /// Subject.
    pub subject: &'a str,
    /// Attached data.
    pub user_data: Map<String, Value>,
}

impl NewPhoneCallInteraction {
    /// Validates every field, reporting all violations at once.
    pub fn parse(input: NewPhoneCallInteractionInput<'_>) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        let call_id = v.check(required_text("call_id", input.call_id, MAX_SHORT_TEXT));
        let state = v.require(
            "state",
            input.state,
            "is required: one of NEW, PENDING, IN_PROCESS, STOPPED",
        );
        let state_literal = v.check(VendorLiteral::parse(
            "state_literal",
            input.state_literal.0,
            input.state_literal.1,
        ));
        let phone_number = v.check(required_text("phone_number", input.phone_number, MAX_SHORT_TEXT));
        let interaction_type = v.require(
            "type",
            input.interaction_type,
            "is required: one of INBOUND, OUTBOUND, INTERNAL, CONSULT, UNKNOWN",
        );
        let contact_id = v.check(optional_text("contact_id", input.contact_id, MAX_SHORT_TEXT));
        let parent_id = v.check(optional_text("parent_id", input.parent_id, MAX_SHORT_TEXT));
        let thread_id = v.check(optional_text("thread_id", input.thread_id, MAX_SHORT_TEXT));
        let subject = v.check(optional_text("subject", input.subject, MAX_LONG_TEXT));
        let user_data = v.check(bounded_json("user_data", input.user_data));
        v.finish()?;
        let (Some(state), Some(interaction_type)) = (state, interaction_type) else {
            unreachable!("finish() reports a missing state or type")
        };
        Ok(Self {
            call_id,
            state,
            state_literal,
            phone_number,
            interaction_type,
            contact_id,
            parent_id,
            thread_id,
            subject,
            user_data,
        })
    }

    /// The interaction this request creates when none exists yet.
    pub fn into_interaction(self, owner: User, now: Timestamp) -> Interaction {
        let stopped = self.state == InteractionState::Stopped;
        Interaction {
            id: InteractionId::generate(),
            media_type: MediaType::Call,
            interaction_type: self.interaction_type,
            state: self.state,
            state_literal: self.state_literal,
            start_time: now,
            end_time: stopped.then_some(now),
            owner,
            contact_id: self.contact_id,
            parent_id: self.parent_id,
            thread_id: self.thread_id,
            subject: self.subject,
            comment: None,
            custom_attributes: BTreeMap::new(),
            phone_number: Some(self.phone_number),
            call_duration_secs: None,
            user_data: self.user_data,
            external_call_id: Some(self.call_id),
            phone_call: None,
            voice_call: None,
            create_time: now,
            update_time: now,
            revision: 1,
        }
    }
}

impl Interaction {
    /// The resource name, `interactions/{id}`.
    pub fn name(&self) -> String {
        format!("interactions/{}", self.id)
    }

    /// Moves to `next` if the state machine allows it, stamping `end_time`
    /// when the interaction stops.
    pub fn transition(
        &mut self,
        next: InteractionState,
        literal: Option<VendorLiteral>,
        action: &str,
        now: Timestamp,
    ) -> Result<(), DomainError> {
        if !self.state.can_become(next) {
            return Err(DomainError::InvalidTransition {
                resource: self.name(),
                action: action.to_owned(),
                state: self.state.as_str().to_owned(),
                reason: "INTERACTION_STATE_TRANSITION_REFUSED",
            });
        }
        if next == InteractionState::Stopped && self.end_time.is_none() {
            self.end_time = Some(now);
        }
        // A literal describes the state it was given with: a move to another
        // state without one leaves no vendor spelling behind (a stale
        // `InProgress` beside `STOPPED` would be wrong).
        if literal.is_some() || next != self.state {
            self.state_literal = literal;
        }
        self.state = next;
        Ok(())
    }

    /// Records a change: bumps the revision and the update time.
    pub fn touch(&mut self, now: Timestamp) {
        self.revision += 1;
        self.update_time = now;
    }

    /// The etag clients see.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.revision)
    }
}

/// A validated partial update; `None` leaves a field alone.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InteractionPatch {
    /// New state, with the dialect's spelling.
    pub state: Option<(InteractionState, Option<VendorLiteral>)>,
    /// New contact (`Some(None)` clears it).
    pub contact_id: Option<Option<String>>,
    /// New parent.
    pub parent_id: Option<Option<String>>,
    /// New thread.
    pub thread_id: Option<Option<String>>,
    /// New subject.
    pub subject: Option<Option<String>>,
    /// New comment.
    pub comment: Option<Option<String>>,
    /// Replacement custom attributes.
    pub custom_attributes: Option<BTreeMap<String, String>>,
    /// New call duration in whole seconds.
    pub call_duration_secs: Option<Option<i64>>,
    /// Replacement attached data.
    pub user_data: Option<Map<String, Value>>,
}

impl Interaction {
    /// Applies a partial update; a state change goes through the state
    /// machine.
    pub fn apply(&mut self, patch: InteractionPatch, now: Timestamp) -> Result<(), DomainError> {
        if let Some((state, literal)) = patch.state {
            self.transition(state, literal, "update", now)?;
        }
        let InteractionPatch {
            contact_id,
            parent_id,
            thread_id,
            subject,
            comment,
            custom_attributes,
            call_duration_secs,
            user_data,
            state: _,
        } = patch;
        replace(&mut self.contact_id, contact_id);
        replace(&mut self.parent_id, parent_id);
        replace(&mut self.thread_id, thread_id);
        replace(&mut self.subject, subject);
        replace(&mut self.comment, comment);
        replace(&mut self.custom_attributes, custom_attributes);
        replace(&mut self.call_duration_secs, call_duration_secs);
        replace(&mut self.user_data, user_data);
        Ok(())
    }

    /// Completes a call interaction (Genesys `SetCallCompleted`): moves it to
    /// `Stopped`, records the duration and merges `user_data` into the
    /// attached data. Completing a stopped interaction is refused.
    pub fn complete(
        &mut self,
        call_duration_secs: Option<i64>,
        user_data: Map<String, Value>,
        now: Timestamp,
    ) -> Result<(), DomainError> {
        if self.state == InteractionState::Stopped {
            return Err(DomainError::InvalidTransition {
                resource: self.name(),
                action: "complete".to_owned(),
                state: self.state.as_str().to_owned(),
                reason: "INTERACTION_ALREADY_STOPPED",
            });
        }
        self.transition(InteractionState::Stopped, None, "complete", now)?;
        if call_duration_secs.is_some() {
            self.call_duration_secs = call_duration_secs;
        }
        self.user_data.extend(user_data);
        Ok(())
    }
}

fn replace<T>(slot: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *slot = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use InteractionState::*;

    #[test]
    fn state_machine() {
        assert!(New.can_become(InProcess));
        assert!(Pending.can_become(Stopped));
        assert!(InProcess.can_become(InProcess));
        assert!(!Stopped.can_become(InProcess));
        assert!(!InProcess.can_become(New));
        assert!(!InProcess.can_become(Pending));
    }

    fn sample() -> Interaction {
        NewPhoneCallInteraction::parse(NewPhoneCallInteractionInput {
            call_id: "c1",
            state: Some(InProcess),
            phone_number: "555",
            interaction_type: Some(InteractionType::Inbound),
            ..Default::default()
        })
        .unwrap()
        .into_interaction(
            User {
                id: crate::domain::ids::UserId::parse("u").unwrap(),
                user_name: "u".into(),
                first_name: None,
                last_name: None,
            },
            crate::domain::time::now(),
        )
    }

    #[test]
    fn snapshots_leave_out_absent_fields_and_read_old_ones_with_nulls() {
        let i = sample();
        let snapshot = serde_json::to_string(&i).unwrap();
        assert!(
            !snapshot.contains("null") && !snapshot.contains("user_data"),
            "{snapshot}"
        );
        assert_eq!(serde_json::from_str::<Interaction>(&snapshot).unwrap(), i);
        // Events written before absent fields were left out spell them null.
        let mut old = serde_json::to_value(&i).unwrap();
        for field in ["end_time", "contact_id", "subject", "voice_call", "state_literal"] {
            old[field] = Value::Null;
        }
        old["owner"]["first_name"] = Value::Null;
        old["user_data"] = serde_json::json!({});
        assert_eq!(serde_json::from_value::<Interaction>(old).unwrap(), i);
    }

    #[test]
    fn complete_stops_once_and_merges_user_data() {
        let mut i = sample();
        let now = crate::domain::time::now();
        let data: Map<String, Value> = [("k".to_owned(), Value::from("v"))].into_iter().collect();
        i.complete(Some(42), data, now).unwrap();
        assert_eq!(i.state, Stopped);
        assert_eq!(i.end_time, Some(now));
        assert_eq!(i.call_duration_secs, Some(42));
        assert_eq!(i.user_data["k"], "v");
        assert!(matches!(
            i.complete(None, Map::new(), now),
            Err(DomainError::InvalidTransition { .. })
        ));
    }

    #[test]
    fn literals_follow_the_state_they_spell() {
        let mut i = sample();
        let now = crate::domain::time::now();
        let spelled = |v: &str| {
            Some(VendorLiteral {
                dialect: "genesys".into(),
                value: v.into(),
            })
        };
        i.transition(InProcess, spelled("InProgress"), "update", now)
            .unwrap();
        i.transition(InProcess, None, "update", now).unwrap();
        assert_eq!(i.state_literal, spelled("InProgress"), "staying put keeps it");
        i.complete(None, Map::new(), now).unwrap();
        assert_eq!(i.state_literal, None, "a new state without a spelling clears it");
    }

    #[test]
    fn patch_checks_the_state_machine() {
        let mut i = sample();
        let now = crate::domain::time::now();
        let patch = InteractionPatch {
            state: Some((New, None)),
            subject: Some(Some("s".into())),
            ..Default::default()
        };
        assert!(i.apply(patch, now).is_err());
        let patch = InteractionPatch {
            subject: Some(Some("s".into())),
            ..Default::default()
        };
        i.apply(patch, now).unwrap();
        assert_eq!(i.subject.as_deref(), Some("s"));
    }

    #[test]
    fn parse_reports_every_violation() {
        let err = NewPhoneCallInteraction::parse(NewPhoneCallInteractionInput {
            subject: &"x".repeat(MAX_LONG_TEXT + 1),
            ..Default::default()
        })
        .unwrap_err();
        let DomainError::InvalidArgument(violations) = err else {
            panic!("expected InvalidArgument")
        };
        let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["call_id", "state", "phone_number", "type", "subject"]);
    }
}
