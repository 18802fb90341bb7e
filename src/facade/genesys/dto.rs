//! The Genesys Web Services JSON shapes, with the vendor's exact names and
//! spellings: the UCS operation bodies (dispatched on `operationName`), the
//! synchronous replies, the CometD result messages, and the interaction
//! history resource (seed 002).
//!
//! Request fields are [`Param`]s, so that a wrong type in one parameter does
//! not hide the problems of the others: `convert` reports every missing or
//! malformed parameter of a request at once.

use std::collections::BTreeMap;

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One request parameter as the client sent it.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Param<T> {
    /// Not sent, or sent as `null`.
    #[default]
    Absent,
    /// Sent with a value of the expected type.
    Present(T),
    /// Sent with a value of another type; the text says what was expected.
    Invalid(String),
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Param<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        if value.is_null() {
            return Ok(Param::Absent);
        }
        Ok(match serde_json::from_value(value) {
            Ok(v) => Param::Present(v),
            Err(e) => Param::Invalid(e.to_string()),
        })
    }
}

/// An integer sent as a JSON number or as a string of digits (GWS documents
/// `maxSize` as `"100"`, and clients send both).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Integer(pub i64);

impl<'de> Deserialize<'de> for Integer {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IntegerVisitor;
        impl Visitor<'_> for IntegerVisitor {
            type Value = Integer;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an integer or a string of digits")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Integer, E> {
                Ok(Integer(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Integer, E> {
                i64::try_from(v)
                    .map(Integer)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Integer, E> {
                // `95.0` is a whole number; `95.5` is not.
                if v.fract() == 0.0 && v.abs() < 9.0e15 {
                    Ok(Integer(v as i64))
                } else {
                    Err(E::invalid_value(de::Unexpected::Float(v), &self))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Integer, E> {
                v.trim()
                    .parse()
                    .map(Integer)
                    .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
        deserializer.deserialize_any(IntegerVisitor)
    }
}

/// A list of names sent as a JSON array of strings or as one comma-separated
/// string.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NameList(pub Vec<String>);

impl<'de> Deserialize<'de> for NameList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Shape {
            List(Vec<String>),
            Text(String),
        }
        match Shape::deserialize(deserializer) {
            Ok(Shape::List(names)) => Ok(NameList(names)),
            Ok(Shape::Text(text)) => Ok(NameList(
                text.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
            )),
            Err(_) => Err(de::Error::custom(
                "expected a list of strings or a comma-separated string",
            )),
        }
    }
}

/// The part of every operation body read before dispatching.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    /// Which operation the body asks for, e.g. `FindPhoneCall`.
    #[serde(default)]
    pub operation_name: Param<String>,
}

impl Operation {
    /// The operation of a body (a JSON object; anything else has none).
    pub fn of(body: &Value) -> Self {
        Self::deserialize(body).unwrap_or_default()
    }
}

/// `FindPhoneCall` (seed 000): finds or creates a phone-call interaction.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FindPhoneCall {
    /// The telephony system's call id; the find-or-create key.
    #[serde(default)]
    pub call_id: Param<String>,
    /// `New`, `Pending`, `InProcess` (also `InProgress`) or `Stopped`.
    #[serde(default)]
    pub status: Param<String>,
    /// The customer's number.
    #[serde(default)]
    pub phone_number: Param<String>,
    /// `Unknown`, `Internal`, `Inbound`, `Outbound` or `Consult`.
    #[serde(default, rename = "type")]
    pub call_type: Param<String>,
    /// The contact to associate.
    #[serde(default)]
    pub contact_id: Param<String>,
    /// The parent interaction.
    #[serde(default)]
    pub parent_id: Param<String>,
    /// The thread.
    #[serde(default)]
    pub thread_id: Param<String>,
    /// The subject.
    #[serde(default)]
    pub subject: Param<String>,
    /// Attached data.
    #[serde(default)]
    pub user_data: Param<Map<String, Value>>,
}

/// `SetCallCompleted`: the call ended (InProcess → Stopped).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetCallCompleted {
    /// The call's duration in seconds.
    #[serde(default)]
    pub call_duration: Param<Integer>,
    /// Attached data merged into the interaction's.
    #[serde(default)]
    pub user_data: Param<Map<String, Value>>,
}

/// `SetCallNote`: replaces the interaction's comment.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetCallNote {
    /// The note; an empty string clears it.
    #[serde(default)]
    pub note: Param<String>,
}

/// `SetCallContact`: associates a contact.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetCallContact {
    /// The contact's path, `/contacts/{contactId}` (or the bare id).
    #[serde(default)]
    pub contact_path: Param<String>,
}

/// `RetrieveInteractionHistory`, `RetrieveAgentHistory` and
/// `RetrieveContactHistory`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetrieveHistory {
    /// Earliest start, `yyyy-MM-dd` or a timestamp; default one month ago.
    #[serde(default)]
    pub from_date: Param<String>,
    /// Latest start, `yyyy-MM-dd` (that whole day) or a timestamp; default
    /// now.
    #[serde(default)]
    pub to_date: Param<String>,
    /// `call`, `chat`, …; several may be given comma-separated.
    #[serde(default)]
    pub media_type: Param<String>,
    /// `asc` or `desc` by start date; default `desc`.
    #[serde(default)]
    pub sort: Param<String>,
    /// How many interactions to return; default 100.
    #[serde(default)]
    pub max_size: Param<Integer>,
    /// `main` (default) or `archive`.
    #[serde(default)]
    pub source: Param<String>,
    /// Which custom attributes to include in the results.
    #[serde(default)]
    pub custom_attributes: Param<NameList>,
    /// Custom attributes the interactions must have, with equal values.
    #[serde(default)]
    pub search_custom_attributes: Param<BTreeMap<String, String>>,
    /// Only interactions owned by this agent.
    #[serde(default)]
    pub user_id: Param<String>,
}

/// The synchronous reply of a UCS operation: the result follows as a CometD
/// notification carrying the same `referenceId`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Accepted {
    /// Always 0.
    pub status_code: u8,
    /// Correlates the notification with this request.
    pub reference_id: i64,
    /// The same value under the misspelled key of the `SetCallNote` page, for
    /// clients written against that page.
    #[serde(rename = "referendeId", skip_serializing_if = "Option::is_none")]
    pub referende_id: Option<i64>,
}

/// The reply of every failed request: "No other attributes".
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    /// A code of the GWS return-value table, never 0.
    pub status_code: u8,
    /// What went wrong.
    pub status_message: String,
}

/// `GET /api/v2/ucs/interactions`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InteractionCollection {
    /// Always 0.
    pub status_code: u8,
    /// The page of interaction history resources.
    pub interactions: Vec<Value>,
    /// How many interactions match the filters, across all pages.
    pub total_count: i64,
}

/// `GET /api/v2/ucs/interactions/{id}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SingleInteraction {
    /// Always 0.
    pub status_code: u8,
    /// The interaction history resource.
    pub interaction: Value,
}

/// The `FindPhoneCall` result notification (without `referenceId`, which
/// the CometD layer adds from the event's sequence).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateInteractionResponse {
    /// `createInteractionResponse`.
    pub message_type: &'static str,
    /// The interaction found or created.
    pub interaction_id: String,
    /// The **string** `"true"` when this request created it, else `"false"`.
    pub is_created: &'static str,
}

/// The `SetCallCompleted` / `SetCallNote` / `SetCallContact` result
/// notification.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UcsOperationResponse {
    /// `UcsOperationResponse`.
    pub message_type: &'static str,
    /// Always true: failures are answered synchronously and publish nothing.
    pub success: bool,
}

/// The history operations' result notification.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetInteractionsHistoryMessage {
    /// `GetInteractionsHistoryMessage`.
    pub message_type: &'static str,
    /// The interaction history resources, in the requested order.
    pub interactions: Vec<Value>,
}

/// The interaction history resource (seed 002). Absent values are left out,
/// as in the vendor's samples.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InteractionResource {
    /// `http://{host}/api/v2/interactions/{id}` (not `/ucs/`, as in the seed).
    pub uri: String,
    /// The interaction id.
    pub id: String,
    /// `/interactions/{id}`.
    pub path: String,
    /// `call`, `chat`, `email`, `facebook`, `facebooksession`, `smssession`,
    /// `openmedia`, `twitter` or `workitem`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_type: Option<&'static str>,
    /// `Inbound`, `Outbound`, `Internal`, `Consult` or `Unknown`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_id: Option<&'static str>,
    /// `New`, `Pending`, `InProcess` or `Stopped`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<&'static str>,
    /// `yyyy-MM-dd HH:mm:ss.SSS+hhmm`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
    /// `yyyy-MM-dd HH:mm:ss.SSS+hhmm`; absent while the interaction is open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
    /// The subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The associated contact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<String>,
    /// The parent interaction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// The agent's note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Named custom fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_attributes: Option<BTreeMap<String, String>>,
    /// The customer's number (calls only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Whole seconds (calls only), once known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_duration: Option<i64>,
    /// Attached data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_data: Option<Map<String, Value>>,
    /// The agent who owns the interaction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_information: Option<OwnerInformation>,
}

/// `ownerInformation` of an interaction history resource.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnerInformation {
    /// The user id.
    pub id: String,
    /// The login name.
    pub user_name: String,
    /// First name, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Last name, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_tell_absent_present_and_invalid_apart() {
        let body: FindPhoneCall =
            serde_json::from_value(serde_json::json!({"callId": "1", "status": 5, "subject": null})).unwrap();
        assert_eq!(body.call_id, Param::Present("1".to_owned()));
        assert!(matches!(body.status, Param::Invalid(ref e) if e.contains("expected a string")));
        assert_eq!(body.subject, Param::Absent);
        assert_eq!(body.phone_number, Param::Absent);
    }

    #[test]
    fn integers_and_name_lists_accept_both_shapes() {
        let body: RetrieveHistory = serde_json::from_value(serde_json::json!({
            "maxSize": "25", "customAttributes": "a, b"
        }))
        .unwrap();
        assert_eq!(body.max_size, Param::Present(Integer(25)));
        assert_eq!(
            body.custom_attributes,
            Param::Present(NameList(vec!["a".into(), "b".into()]))
        );
        let body: RetrieveHistory = serde_json::from_value(serde_json::json!({
            "maxSize": 7.0, "customAttributes": ["x"]
        }))
        .unwrap();
        assert_eq!(body.max_size, Param::Present(Integer(7)));
        assert_eq!(body.custom_attributes, Param::Present(NameList(vec!["x".into()])));
        for bad in [
            serde_json::json!("ten"),
            serde_json::json!(1.5),
            serde_json::json!(true),
        ] {
            let body: RetrieveHistory =
                serde_json::from_value(serde_json::json!({ "maxSize": bad })).unwrap();
            assert!(matches!(body.max_size, Param::Invalid(_)), "{bad}");
        }
        let body: RetrieveHistory =
            serde_json::from_value(serde_json::json!({ "customAttributes": [1] })).unwrap();
        assert!(matches!(body.custom_attributes, Param::Invalid(_)));
    }

    #[test]
    fn the_note_reply_carries_both_spellings() {
        let reply = Accepted {
            status_code: 0,
            reference_id: 7,
            referende_id: Some(7),
        };
        assert_eq!(
            serde_json::to_value(reply).unwrap(),
            serde_json::json!({"statusCode": 0, "referenceId": 7, "referendeId": 7})
        );
    }
}
