//! Outbox events: one per state change, written in the same transaction as
//! the change, carrying a snapshot of the resource after it.

use super::ids::{TenantId, UserId};
use super::time::Timestamp;

stored_enum!(
    /// The kind of resource an event is about.
    ResourceType {
        /// `interactions/{id}`.
        Interaction = "INTERACTION",
        /// `phoneCalls/{id}`.
        PhoneCall = "PHONE_CALL",
        /// `voiceCalls/{id}`.
        VoiceCall = "VOICE_CALL",
        /// A notification published for one user.
        Notification = "NOTIFICATION",
    }
);

stored_enum!(
    /// What happened.
    EventType {
        /// The resource was created.
        Created = "CREATED",
        /// The resource changed.
        Updated = "UPDATED",
        /// A notification was published.
        Published = "PUBLISHED",
    }
);

/// An event to append to the outbox.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    /// The kind of resource.
    pub resource_type: ResourceType,
    /// The resource name, e.g. `phoneCalls/abc`.
    pub resource: String,
    /// What happened.
    pub event_type: EventType,
    /// The operation, e.g. `HoldPhoneCall`.
    pub change: String,
    /// The user whose request made the change.
    pub actor: UserId,
    /// Only this user's subscribers receive it (notifications); `None` means
    /// every subscriber of the tenant.
    pub audience: Option<UserId>,
    /// The resource after the change: the aggregate's serde JSON, as text
    /// (serialised once, straight from the aggregate).
    pub payload: String,
}

/// A stored event.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Position in the stream; the resume cursor.
    pub sequence: i64,
    /// The tenant it belongs to.
    pub tenant: TenantId,
    /// When it was committed.
    pub create_time: Timestamp,
    /// Everything else, as appended.
    pub event: NewEvent,
}

/// Which events a subscriber receives: its tenant's events (always), only
/// notifications addressed to its own user, and optionally only some kinds
/// of resource or one resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector {
    /// The subscriber's tenant; no other tenant's event ever matches.
    pub tenant: TenantId,
    /// The subscriber's user: events with an `audience` match only when it is
    /// this user.
    pub user: UserId,
    /// Only these kinds of resource; empty means all.
    pub resource_types: Vec<ResourceType>,
    /// Only this resource name; `None` means all.
    pub resource: Option<String>,
}

impl Selector {
    /// Whether `event` is for this subscriber.
    pub fn matches(&self, event: &Event) -> bool {
        event.tenant == self.tenant
            && event.event.audience.as_ref().is_none_or(|a| *a == self.user)
            && (self.resource_types.is_empty() || self.resource_types.contains(&event.event.resource_type))
            && self.resource.as_ref().is_none_or(|r| *r == event.event.resource)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(tenant: &str, kind: ResourceType, resource: &str, audience: Option<&str>) -> Event {
        Event {
            sequence: 1,
            tenant: TenantId::from_trusted(tenant.to_owned()),
            create_time: crate::domain::time::from_micros(0),
            event: NewEvent {
                resource_type: kind,
                resource: resource.to_owned(),
                event_type: EventType::Created,
                change: "X".to_owned(),
                actor: UserId::from_trusted("bob".to_owned()),
                audience: audience.map(|a| UserId::from_trusted(a.to_owned())),
                payload: "null".to_owned(),
            },
        }
    }

    #[test]
    fn selectors_scope_by_tenant_audience_kind_and_resource() {
        let mut selector = Selector {
            tenant: TenantId::from_trusted("acme".to_owned()),
            user: UserId::from_trusted("alice".to_owned()),
            resource_types: Vec::new(),
            resource: None,
        };
        let interaction = event("acme", ResourceType::Interaction, "interactions/a", None);
        assert!(selector.matches(&interaction));
        assert!(!selector.matches(&event("other", ResourceType::Interaction, "interactions/a", None)));
        assert!(selector.matches(&event("acme", ResourceType::Notification, "n", Some("alice"))));
        assert!(!selector.matches(&event("acme", ResourceType::Notification, "n", Some("bob"))));
        selector.resource_types = vec![ResourceType::PhoneCall];
        assert!(!selector.matches(&interaction));
        selector.resource_types = vec![ResourceType::PhoneCall, ResourceType::Interaction];
        assert!(selector.matches(&interaction));
        selector.resource = Some("interactions/b".to_owned());
        assert!(!selector.matches(&interaction));
    }
}
