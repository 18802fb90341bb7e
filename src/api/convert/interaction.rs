//! `Interaction` ↔ protobuf.

use crate::domain::interaction::{Interaction, InteractionState, InteractionType, MediaType};
use crate::pb;

use super::common::{json_to_struct, opt_timestamp, seconds, timestamp};

/// Domain media type → protobuf.
pub fn media_type(m: MediaType) -> pb::interaction::MediaType {
    use pb::interaction::MediaType as P;
    match m {
        MediaType::Call => P::Call,
        MediaType::Chat => P::Chat,
        MediaType::Email => P::Email,
        MediaType::Facebook => P::Facebook,
        MediaType::FacebookSession => P::FacebookSession,
        MediaType::SmsSession => P::SmsSession,
        MediaType::OpenMedia => P::OpenMedia,
        MediaType::Twitter => P::Twitter,
        MediaType::Workitem => P::Workitem,
    }
}

/// Domain type → protobuf.
pub fn interaction_type(t: InteractionType) -> pb::interaction::Type {
    use pb::interaction::Type as P;
    match t {
        InteractionType::Inbound => P::Inbound,
        InteractionType::Outbound => P::Outbound,
        InteractionType::Internal => P::Internal,
        InteractionType::Consult => P::Consult,
        InteractionType::Unknown => P::Unknown,
    }
}

/// Protobuf type → domain; unknown numbers and `UNSPECIFIED` are `None`.
pub fn from_interaction_type(value: i32) -> Option<InteractionType> {
    use pb::interaction::Type as P;
    match P::try_from(value).ok()? {
        P::Unspecified => None,
        P::Inbound => Some(InteractionType::Inbound),
        P::Outbound => Some(InteractionType::Outbound),
        P::Internal => Some(InteractionType::Internal),
        P::Consult => Some(InteractionType::Consult),
        P::Unknown => Some(InteractionType::Unknown),
    }
}

/// Domain state → protobuf.
pub fn state(s: InteractionState) -> pb::interaction::State {
    use pb::interaction::State as P;
    match s {
        InteractionState::New => P::New,
        InteractionState::Pending => P::Pending,
        InteractionState::InProcess => P::InProcess,
        InteractionState::Stopped => P::Stopped,
    }
}

/// Protobuf state → domain; unknown numbers and `UNSPECIFIED` are `None`.
pub fn from_state(value: i32) -> Option<InteractionState> {
    use pb::interaction::State as P;
    match P::try_from(value).ok()? {
        P::Unspecified => None,
        P::New => Some(InteractionState::New),
        P::Pending => Some(InteractionState::Pending),
        P::InProcess => Some(InteractionState::InProcess),
        P::Stopped => Some(InteractionState::Stopped),
    }
}

/// Domain interaction → protobuf. Takes the interaction by value: every
/// caller is done with it, and its strings move instead of being copied.
pub fn interaction(i: Interaction) -> pb::Interaction {
    pb::Interaction {
        name: i.name(),
        etag: i.etag(),
        media_type: media_type(i.media_type).into(),
        r#type: interaction_type(i.interaction_type).into(),
        state: state(i.state).into(),
        state_literal: i.state_literal.map(Into::into),
        start_time: Some(timestamp(i.start_time)),
        end_time: opt_timestamp(i.end_time),
        owner: Some(pb::interaction::Owner {
            id: i.owner.id.into_string(),
            user_name: i.owner.user_name,
            first_name: i.owner.first_name.unwrap_or_default(),
            last_name: i.owner.last_name.unwrap_or_default(),
        }),
        contact_id: i.contact_id.unwrap_or_default(),
        parent_id: i.parent_id.unwrap_or_default(),
        thread_id: i.thread_id.unwrap_or_default(),
        subject: i.subject.unwrap_or_default(),
        comment: i.comment.unwrap_or_default(),
        custom_attributes: i.custom_attributes.into_iter().collect(),
        phone_number: i.phone_number.unwrap_or_default(),
        call_duration: i.call_duration_secs.map(seconds),
        user_data: Some(json_to_struct(&i.user_data)),
        external_call_id: i.external_call_id.unwrap_or_default(),
        phone_call: i
            .phone_call
            .map(|p| format!("phoneCalls/{p}"))
            .unwrap_or_default(),
        voice_call: i
            .voice_call
            .map(|v| format!("voiceCalls/{v}"))
            .unwrap_or_default(),
        create_time: Some(timestamp(i.create_time)),
        update_time: Some(timestamp(i.update_time)),
        id: i.id.into_string(),
    }
}
