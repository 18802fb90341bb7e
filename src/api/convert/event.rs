//! Outbox events → protobuf `Event`.

use serde_json::Value;

use crate::domain::event::{Event, EventType, ResourceType};
use crate::domain::interaction::Interaction;
use crate::domain::phone_call::PhoneCall;
use crate::domain::voice_call::VoiceCall;
use crate::pb;
use crate::pb::event::Snapshot;

use super::common::{json_to_struct, timestamp};
use super::interaction::interaction;
use super::phone_call::phone_call;
use super::voice_call::voice_call;

/// A stored event as the API shows it. A snapshot that cannot be decoded
/// (which no code path writes) is left out rather than failing the stream.
pub fn event(e: &Event) -> pb::Event {
    let snapshot = snapshot(e.event.resource_type, &e.event.payload, e);
    pb::Event {
        sequence: e.sequence,
        create_time: Some(timestamp(e.create_time)),
        resource_type: resource_type(e.event.resource_type).into(),
        resource: e.event.resource.clone(),
        r#type: event_type(e.event.event_type).into(),
        change: e.event.change.clone(),
        actor: e.event.actor.to_string(),
        snapshot,
    }
}

fn snapshot(kind: ResourceType, payload: &str, e: &Event) -> Option<Snapshot> {
    match kind {
        ResourceType::Interaction => serde_json::from_str::<Interaction>(payload)
            .ok()
            .map(|i| Snapshot::Interaction(interaction(i))),
        ResourceType::PhoneCall => serde_json::from_str::<PhoneCall>(payload)
            .ok()
            .map(|c| Snapshot::PhoneCall(phone_call(&c))),
        ResourceType::Notification => Some(Snapshot::Notification(notification(payload, e))),
        ResourceType::VoiceCall => serde_json::from_str::<VoiceCall>(payload)
            .ok()
            .map(|c| Snapshot::VoiceCall(voice_call(&c))),
    }
}

fn notification(payload: &str, e: &Event) -> pb::Notification {
    let payload: Value = serde_json::from_str(payload).unwrap_or_default();
    let topic = payload.get("topic").and_then(Value::as_str).unwrap_or_default();
    let data = match payload.get("data") {
        Some(Value::Object(map)) => json_to_struct(map),
        _ => prost_types::Struct::default(),
    };
    pb::Notification {
        user_id: e
            .event
            .audience
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        topic: topic.to_owned(),
        data: Some(data),
    }
}

/// Domain resource type → protobuf.
pub fn resource_type(kind: ResourceType) -> pb::event::ResourceType {
    match kind {
        ResourceType::Interaction => pb::event::ResourceType::Interaction,
        ResourceType::PhoneCall => pb::event::ResourceType::PhoneCall,
        ResourceType::VoiceCall => pb::event::ResourceType::VoiceCall,
        ResourceType::Notification => pb::event::ResourceType::Notification,
    }
}

/// Protobuf resource type → domain; `None` for `UNSPECIFIED` and unknown
/// numbers.
pub fn resource_type_from_pb(value: i32) -> Option<ResourceType> {
    match pb::event::ResourceType::try_from(value).ok()? {
        pb::event::ResourceType::Unspecified => None,
        pb::event::ResourceType::Interaction => Some(ResourceType::Interaction),
        pb::event::ResourceType::PhoneCall => Some(ResourceType::PhoneCall),
        pb::event::ResourceType::VoiceCall => Some(ResourceType::VoiceCall),
        pb::event::ResourceType::Notification => Some(ResourceType::Notification),
    }
}

/// Domain event type → protobuf.
pub fn event_type(kind: EventType) -> pb::event::Type {
    match kind {
        EventType::Created => pb::event::Type::Created,
        EventType::Updated => pb::event::Type::Updated,
        EventType::Published => pb::event::Type::Published,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::caller::User;
    use crate::domain::event::NewEvent;
    use crate::domain::ids::{InteractionId, PhoneCallId, TenantId, UserId};
    use crate::domain::phone_call::{NewPhoneCall, NewPhoneCallInput, PhoneCallType};
    use crate::domain::time;

    #[test]
    fn phone_call_events_carry_the_decoded_snapshot() {
        let (source, destination) = (vec!["0003*210".to_owned()], vec!["3235742879".to_owned()]);
        let owner = User {
            id: UserId::parse("alice").unwrap(),
            user_name: "alice".into(),
            first_name: None,
            last_name: None,
        };
        let call = NewPhoneCall::parse(NewPhoneCallInput {
            call_type: Some(PhoneCallType::Simple),
            source: &source,
            destination: &destination,
            ..Default::default()
        })
        .unwrap()
        .into_phone_call(
            PhoneCallId::generate(),
            &owner,
            InteractionId::generate(),
            time::now(),
        );
        let stored = Event {
            sequence: 7,
            tenant: TenantId::parse("acme").unwrap(),
            create_time: call.create_time,
            event: NewEvent {
                resource_type: ResourceType::PhoneCall,
                resource: call.name(),
                event_type: EventType::Created,
                change: "CreatePhoneCall".into(),
                actor: owner.id.clone(),
                audience: None,
                payload: serde_json::to_string(&call).unwrap(),
            },
        };
        let converted = event(&stored);
        assert_eq!(converted.snapshot, Some(Snapshot::PhoneCall(phone_call(&call))));
        assert_eq!(converted.resource, call.name());
    }
}
