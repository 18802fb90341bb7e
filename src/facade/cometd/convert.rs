//! Outbox events (as `pb::Event`) → Bayeux messages.
//!
//! - A notification becomes a message on the channel named by its topic,
//!   whose `data` is the notification's data with `referenceId` (the event's
//!   sequence) merged in: the Genesys dialect publishes UCS results this way
//!   and answers the REST call with the same `referenceId`.
//! - An interaction change becomes an `InteractionStateChangeMessage` on
//!   `/v2/me/interactions`.

use prost_types::value::Kind;
use serde_json::{Map, Value, json};

use super::channel::Pattern;
use crate::pb;
use crate::pb::event::Snapshot;

/// The channel interaction changes are delivered on.
pub const INTERACTIONS_CHANNEL: &str = "/v2/me/interactions";

/// A message for subscribers of `channel`.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    /// The channel it is published on.
    pub channel: String,
    /// The whole Bayeux message.
    pub message: Value,
}

/// The Bayeux message for `event`, if it has one; `base_uri` as for
/// [`interaction_json`].
pub fn delivery(event: &pb::Event, base_uri: &str) -> Option<Delivery> {
    match event.snapshot.as_ref()? {
        Snapshot::Notification(notification) => {
            // Only topics that are valid, non-meta channel names can be
            // delivered.
            let pattern = Pattern::parse(&notification.topic)?;
            if pattern.is_wildcard() || super::channel::is_meta(&notification.topic) {
                return None;
            }
            let mut data = notification.data.as_ref().map(struct_json).unwrap_or_default();
            data.insert("referenceId".to_owned(), Value::from(event.sequence));
            Some(Delivery {
                channel: notification.topic.clone(),
                message: json!({ "channel": notification.topic, "data": data }),
            })
        }
        Snapshot::Interaction(interaction) => Some(Delivery {
            channel: INTERACTIONS_CHANNEL.to_owned(),
            message: json!({
                "channel": INTERACTIONS_CHANNEL,
                "data": {
                    "messageType": "InteractionStateChangeMessage",
                    "notificationType": "StatusChange",
                    "interaction": interaction_json(interaction, base_uri),
                }
            }),
        }),
        Snapshot::PhoneCall(_) | Snapshot::VoiceCall(_) => None,
    }
}

/// How an interaction is shown in `InteractionStateChangeMessage`: the
/// Genesys interaction history resource (seed 002), exactly as the REST
/// dialect renders it. `base_uri` is the server as the client addressed it
/// at its handshake.
pub fn interaction_json(i: &pb::Interaction, base_uri: &str) -> Value {
    crate::facade::genesys::resource::interaction_json(i, base_uri)
}

/// `google.protobuf.Struct` → JSON object.
fn struct_json(s: &prost_types::Struct) -> Map<String, Value> {
    s.fields.iter().map(|(k, v)| (k.clone(), value_json(v))).collect()
}

fn value_json(v: &prost_types::Value) -> Value {
    match &v.kind {
        None | Some(Kind::NullValue(_)) => Value::Null,
        Some(Kind::BoolValue(b)) => Value::Bool(*b),
        Some(Kind::NumberValue(n)) => {
            // Integral numbers read back as integers, as they were sent.
            if n.fract() == 0.0 && n.abs() < 9.007_199_254_740_992e15 {
                Value::from(*n as i64)
            } else {
                serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number)
            }
        }
        Some(Kind::StringValue(s)) => Value::String(s.clone()),
        Some(Kind::ListValue(list)) => Value::Array(list.values.iter().map(value_json).collect()),
        Some(Kind::StructValue(s)) => Value::Object(struct_json(s)),
    }
}
