//! Bayeux 1.0 message shapes: reading requests and building replies, advice
//! and the `code:args:message` error strings.

use serde_json::{Map, Value, json};

use super::CometdConfig;

/// The protocol version spoken.
pub const VERSION: &str = "1.0";
/// The only transport served.
pub const LONG_POLLING: &str = "long-polling";

/// `reconnect` advice values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reconnect {
    /// Connect again after `interval`.
    Retry,
    /// The session is gone: handshake again.
    Handshake,
    /// Give up.
    None,
}

impl Reconnect {
    fn as_str(self) -> &'static str {
        match self {
            Reconnect::Retry => "retry",
            Reconnect::Handshake => "handshake",
            Reconnect::None => "none",
        }
    }
}

/// The advice object.
pub fn advice(config: &CometdConfig, reconnect: Reconnect) -> Value {
    match reconnect {
        Reconnect::Retry => json!({
            "reconnect": "retry",
            "interval": config.interval.as_millis() as u64,
            "timeout": config.timeout.as_millis() as u64,
        }),
        other => json!({ "reconnect": other.as_str(), "interval": 0 }),
    }
}

/// One request message: a JSON object with a `channel`.
#[derive(Clone, Debug)]
pub struct Request {
    fields: Map<String, Value>,
}

impl Request {
    /// Wraps a decoded message; `None` when it is not an object.
    pub fn from_value(value: Value) -> Option<Request> {
        match value {
            Value::Object(fields) => Some(Request { fields }),
            _ => None,
        }
    }

    /// `channel`, if it is a string.
    pub fn channel(&self) -> Option<&str> {
        self.fields.get("channel").and_then(Value::as_str)
    }

    /// `clientId`, if it is a non-empty string.
    pub fn client_id(&self) -> Option<&str> {
        self.fields
            .get("clientId")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }

    /// Any other field.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.fields.get(key)
    }

    /// A reply on the same channel, echoing `id` (a MUST for `/meta/**`)
    /// and `clientId`.
    pub fn reply(&self, successful: bool) -> Map<String, Value> {
        let mut reply = Map::new();
        reply.insert(
            "channel".to_owned(),
            self.fields.get("channel").cloned().unwrap_or(Value::Null),
        );
        reply.insert("successful".to_owned(), Value::Bool(successful));
        for key in ["id", "clientId"] {
            if let Some(value) = self.fields.get(key) {
                reply.insert(key.to_owned(), value.clone());
            }
        }
        reply
    }

    /// An unsuccessful reply with `error`.
    pub fn error(&self, error: String) -> Map<String, Value> {
        let mut reply = self.reply(false);
        reply.insert("error".to_owned(), Value::String(error));
        reply
    }
}

/// Bayeux error strings (`code:args:message`).
pub mod errors {
    /// A message that is not an object or has no channel.
    pub fn invalid_message() -> String {
        "400::Invalid message".to_owned()
    }

    /// A message that needs a client id and has none.
    pub fn no_client_id() -> String {
        "401::No client ID".to_owned()
    }

    /// An unknown or expired client id.
    pub fn unknown_client(client_id: &str) -> String {
        format!("402:{client_id}:Unknown Client ID")
    }

    /// A handshake whose credential was refused.
    pub fn handshake_denied() -> String {
        "403::Handshake denied".to_owned()
    }

    /// A subscription that is not allowed (meta channels).
    pub fn subscription_denied(client_id: &str, channel: &str) -> String {
        format!("403:{client_id},{channel}:Subscription denied")
    }

    /// A publish from a client (this server only delivers).
    pub fn publish_denied(client_id: &str, channel: &str) -> String {
        format!("403:{client_id},{channel}:Publish denied")
    }

    /// A subscribe or unsubscribe without a subscription.
    pub fn subscription_missing(client_id: &str) -> String {
        format!("403:{client_id}:Subscription missing")
    }

    /// A channel name or pattern that is not valid.
    pub fn invalid_channel(channel: &str) -> String {
        format!("405:{channel}:Invalid channel")
    }

    /// A meta channel this server does not know.
    pub fn unknown_meta_channel(channel: &str) -> String {
        format!("400:{channel}:Unknown meta channel")
    }

    /// A handshake with no connection type in common.
    pub fn unsupported_connection_types(offered: &str) -> String {
        format!("406:{offered}:Unsupported connection types")
    }

    /// A connect over a transport this server does not serve.
    pub fn unsupported_connection_type(connection_type: &str) -> String {
        format!("406:{connection_type}:Unsupported connection type")
    }

    /// A handshake asking for a protocol version this server cannot speak.
    pub fn unsupported_version(version: &str) -> String {
        format!("400:{version}:Unsupported version")
    }

    /// The server cannot take this request now.
    pub fn unavailable(reason: &str) -> String {
        format!("503::{reason}")
    }
}

/// Properties of message handling: any JSON value is either refused as a
/// message or read without panicking, and replies echo `id`/`clientId`.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;
    use crate::facade::fields::strategies;

    const KEYS: &[&str] = &[
        "channel",
        "clientId",
        "id",
        "version",
        "minimumVersion",
        "supportedConnectionTypes",
        "connectionType",
        "subscription",
        "advice",
        "timeout",
        "data",
        "ext",
    ];

    proptest! {
        #[test]
        fn any_message_is_read_without_panicking(value in strategies::scalar(), object in strategies::object(KEYS)) {
            prop_assert!(Request::from_value(value).is_none());
            let request = Request::from_value(Value::Object(object.clone())).unwrap();
            let _ = request.channel();
            let _ = request.client_id();
            let reply = request.error(errors::invalid_message());
            prop_assert_eq!(&reply["successful"], &Value::Bool(false));
            for key in ["id", "clientId"] {
                prop_assert_eq!(reply.get(key), object.get(key));
            }
            prop_assert_eq!(&reply["channel"], object.get("channel").unwrap_or(&Value::Null));
        }
    }
}
