//! UnifiedAPI v5 PhoneCalls JSON and query shapes, with the vendor's exact
//! field names. Responses omit absent fields, as UnifiedAPI omits NULLs.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A number or id as clients send it: a string, or a JSON number.
///
/// This and the other either-or shapes below deserialize through visitors
/// (`de_visitors`) rather than `#[serde(untagged)]`, which buffers each
/// value and tries every variant in turn: with it, parsing a create body
/// took three times the instructions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scalar {
    /// `"0003*210"`.
    Text(String),
    /// `212`.
    Number(u64),
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Text(text) => f.write_str(text),
            Scalar::Number(n) => write!(f, "{n}"),
        }
    }
}

/// One number or a list of numbers (`"source": ["5354353", "5302040"]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Numbers {
    /// A single number.
    One(Scalar),
    /// A list.
    Many(Vec<Scalar>),
}

impl Numbers {
    /// The numbers as strings.
    pub fn into_strings(self) -> Vec<String> {
        match self {
            Numbers::One(n) => vec![n.to_string()],
            Numbers::Many(list) => list.iter().map(ToString::to_string).collect(),
        }
    }
}

/// A flag: `true`/`false`, `1`/`0`, or those as strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Flag {
    /// `true`.
    Bool(bool),
    /// `1`.
    Number(u64),
    /// `"1"`.
    Text(String),
}

mod de_visitors {
    use std::fmt;

    use serde::de::{self, Deserialize, Deserializer, SeqAccess, Visitor};

    use super::{Flag, Numbers, Scalar};

    struct ScalarVisitor;

    impl<'de> Visitor<'de> for ScalarVisitor {
        type Value = Scalar;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string or a number")
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<Scalar, E> {
            Ok(Scalar::Text(text.to_owned()))
        }

        fn visit_string<E: de::Error>(self, text: String) -> Result<Scalar, E> {
            Ok(Scalar::Text(text))
        }

        fn visit_u64<E: de::Error>(self, n: u64) -> Result<Scalar, E> {
            Ok(Scalar::Number(n))
        }
    }

    impl<'de> Deserialize<'de> for Scalar {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer.deserialize_any(ScalarVisitor)
        }
    }

    struct NumbersVisitor;

    impl<'de> Visitor<'de> for NumbersVisitor {
        type Value = Numbers;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a number or a list of numbers")
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<Numbers, E> {
            ScalarVisitor.visit_str(text).map(Numbers::One)
        }

        fn visit_string<E: de::Error>(self, text: String) -> Result<Numbers, E> {
            ScalarVisitor.visit_string(text).map(Numbers::One)
        }

        fn visit_u64<E: de::Error>(self, n: u64) -> Result<Numbers, E> {
            ScalarVisitor.visit_u64(n).map(Numbers::One)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Numbers, A::Error> {
            let mut list = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(16));
            while let Some(number) = seq.next_element::<Scalar>()? {
                list.push(number);
            }
            Ok(Numbers::Many(list))
        }
    }

    impl<'de> Deserialize<'de> for Numbers {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer.deserialize_any(NumbersVisitor)
        }
    }

    struct FlagVisitor;

    impl<'de> Visitor<'de> for FlagVisitor {
        type Value = Flag;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("true, false, 1 or 0")
        }

        fn visit_bool<E: de::Error>(self, flag: bool) -> Result<Flag, E> {
            Ok(Flag::Bool(flag))
        }

        fn visit_u64<E: de::Error>(self, n: u64) -> Result<Flag, E> {
            Ok(Flag::Number(n))
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<Flag, E> {
            Ok(Flag::Text(text.to_owned()))
        }

        fn visit_string<E: de::Error>(self, text: String) -> Result<Flag, E> {
            Ok(Flag::Text(text))
        }
    }

    impl<'de> Deserialize<'de> for Flag {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer.deserialize_any(FlagVisitor)
        }
    }
}

/// The parties of one call, at the top level of the body or inside
/// `phoneCallView[]`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CallParties {
    /// The charged extension.
    pub extension: Option<Scalar>,
    /// The calling numbers.
    pub source: Option<Numbers>,
    /// The called number.
    pub destination: Option<Numbers>,
    /// `Name <number>` shown to the source.
    #[serde(rename = "callerId", alias = "callerID")]
    pub caller_id: Option<String>,
    /// `Name <number>` shown to the destination.
    #[serde(rename = "callerIdDestination", alias = "callerIDDestination")]
    pub caller_id_destination: Option<String>,
    /// The idempotency key.
    pub nonce: Option<Scalar>,
}

/// `POST /phoneCalls/{userId}/simple|callback|conferenceInvite` body.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CreateBody {
    /// Top-level parties (defaults for every `phoneCallView` element).
    #[serde(flatten)]
    pub parties: CallParties,
    /// One element per call to create.
    #[serde(rename = "phoneCallView")]
    pub phone_call_view: Option<Vec<CallParties>>,
}

/// Create query parameters, as sent; parsed with precise errors.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CreateQuery {
    /// Seconds to wait for a pickup.
    #[serde(rename = "waitForPickup")]
    pub wait_for_pickup: Option<String>,
    /// Maximum call duration in seconds.
    #[serde(rename = "callDuration")]
    pub call_duration: Option<String>,
    /// Simple calls: may a public call be transferred.
    #[serde(rename = "allowPublicTransfer")]
    pub allow_public_transfer: Option<String>,
    /// Offer video.
    pub video: Option<String>,
    /// Conference invites: the conference number.
    pub number: Option<String>,
    /// Conference invites: the conference PIN.
    pub pin: Option<String>,
}

/// List query parameters (OpenSocial style).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ListQuery {
    /// Page size.
    pub count: Option<String>,
    /// Results to skip.
    #[serde(rename = "startIndex")]
    pub start_index: Option<String>,
    /// The field to filter by.
    #[serde(rename = "filterBy")]
    pub filter_by: Option<String>,
    /// The comparison.
    #[serde(rename = "filterOp")]
    pub filter_op: Option<String>,
    /// The operand.
    #[serde(rename = "filterValue")]
    pub filter_value: Option<String>,
    /// Comma-separated PhoneCall properties to return.
    pub fields: Option<String>,
    /// `ascending` or `descending` (by publish time).
    #[serde(rename = "sortOrder")]
    pub sort_order: Option<String>,
}

/// `PUT /phoneCalls/{userId}/{extension}[/{phoneCallId}]` body
/// (`PhoneCallAction`).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ActionBody {
    /// `Park`, `UnPark`, `OnHold`, …
    pub action: Option<String>,
    /// The leg acted on.
    #[serde(rename = "phoneCallViewId")]
    pub phone_call_view_id: Option<Scalar>,
    /// Park: seconds before the leg returns.
    #[serde(rename = "maxInParking")]
    pub max_in_parking: Option<Scalar>,
    /// The extension or number that rings.
    #[serde(rename = "sendCallTo")]
    pub send_call_to: Option<Scalar>,
    /// `Name <number>` shown to `sendCallTo`.
    #[serde(rename = "callerId", alias = "callerID")]
    pub caller_id: Option<String>,
    /// Seconds `sendCallTo` may ring.
    #[serde(rename = "waitForPickup")]
    pub wait_for_pickup: Option<Scalar>,
    /// StartRecording: `wav` or `wav49`.
    pub format: Option<String>,
    /// Whisper: only the agent hears the supervisor.
    pub private: Option<Flag>,
    /// The party that leaves.
    #[serde(rename = "transferFromNumber")]
    pub transfer_from_number: Option<Scalar>,
    /// Transfer: the number shown to `sendCallTo`.
    #[serde(rename = "transferNumber")]
    pub transfer_number: Option<Scalar>,
}

/// `DELETE` body: hang up only this party.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct HangUpBody {
    /// The party's number.
    #[serde(rename = "phoneNumber")]
    pub phone_number: Option<Scalar>,
}

/// `links`/`link` of a created or updated call.
#[derive(Clone, Debug, Serialize)]
pub struct SelfLink {
    /// `http://{host}/uapi/phoneCalls/{userId}/{extension}/{id}`.
    #[serde(rename = "self")]
    pub self_url: String,
}

/// A created call: simple calls answer with `links`, callback and
/// conference-invite calls with `link` (as documented).
#[derive(Clone, Debug, Serialize)]
pub struct CallRef {
    /// The call id.
    pub id: String,
    /// The charged extension.
    pub extension: String,
    /// The self link (simple calls).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<SelfLink>,
    /// The self link (callback, conference invite, updates).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<SelfLink>,
}

/// `PUT` answer for one call.
#[derive(Clone, Debug, Serialize)]
pub struct Updated {
    /// The call.
    #[serde(rename = "PhoneCall")]
    pub phone_call: CallRef,
}

/// One hung-up call in a `DELETE` answer.
#[derive(Clone, Debug, Serialize)]
pub struct HungUp {
    /// The call id.
    pub id: String,
}

/// An always-empty object (`"links": {}`, `"paging": {}`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Empty {}

/// One party's view in a listed call.
#[derive(Clone, Debug, Default, Serialize)]
pub struct View {
    /// The leg id, `00`.
    pub id: String,
    /// The leg's extension.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub extension: String,
    /// When the leg answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered: Option<String>,
    /// The status code as a string: `"3"` ringing, `"5"` on call.
    pub status: String,
    /// `Name <number>`.
    #[serde(rename = "callerId", skip_serializing_if = "Option::is_none")]
    pub caller_id: Option<String>,
    /// The calling numbers.
    pub source: Vec<String>,
    /// The called numbers.
    pub destination: Vec<String>,
    /// `"1"` while recording.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recording: Option<&'static str>,
    /// `"1"` while parked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parked: Option<&'static str>,
    /// The parking position.
    #[serde(rename = "parkedPos", skip_serializing_if = "Option::is_none")]
    pub parked_pos: Option<String>,
    /// The extension that parked the leg.
    #[serde(rename = "parkedBy", skip_serializing_if = "Option::is_none")]
    pub parked_by: Option<String>,
    /// `"1"` while on hold.
    #[serde(rename = "onHold", skip_serializing_if = "Option::is_none")]
    pub on_hold: Option<&'static str>,
    /// `"1"` when this peer holds the call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holder: Option<&'static str>,
    /// How the leg ended, as a string code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disposition: Option<String>,
    /// Always `{}`.
    pub links: Empty,
}

/// One listed call.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Entry {
    /// The call id.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// The idempotency key it was created with.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub nonce: String,
    /// The charged extension.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub extension: String,
    /// The owner's id.
    #[serde(rename = "ownerId", skip_serializing_if = "String::is_empty")]
    pub owner_id: String,
    /// The owner's name.
    #[serde(rename = "ownerName", skip_serializing_if = "String::is_empty")]
    pub owner_name: String,
    /// When the call was answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered: Option<String>,
    /// When the call entered the system.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// The parties.
    #[serde(rename = "phoneCallView", skip_serializing_if = "Vec::is_empty")]
    pub phone_call_view: Vec<View>,
}

/// The list envelope.
#[derive(Clone, Debug, Serialize)]
pub struct Collection {
    /// The calls of this page.
    pub entry: Vec<Entry>,
    /// The `startIndex` asked for.
    #[serde(rename = "startIndex")]
    pub start_index: u32,
    /// Every matching call.
    #[serde(rename = "totalResults")]
    pub total_results: i32,
    /// The page size used.
    #[serde(rename = "itemsPerPage")]
    pub items_per_page: u32,
    /// Whether a filter was applied.
    pub filtered: bool,
    /// Whether a sort order was asked for.
    pub sorted: bool,
    /// Always `{}`.
    pub paging: Empty,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: &str) -> Result<CreateBody, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn numbers_are_strings_numbers_or_lists_of_either() {
        let parsed = body(r#"{"extension":212,"source":["0003*210",5302040],"destination":"3235742879"}"#)
            .expect("a valid body");
        assert_eq!(parsed.parties.extension, Some(Scalar::Number(212)));
        assert_eq!(
            parsed.parties.source,
            Some(Numbers::Many(vec![
                Scalar::Text("0003*210".to_owned()),
                Scalar::Number(5302040)
            ]))
        );
        assert_eq!(
            parsed.parties.destination,
            Some(Numbers::One(Scalar::Text("3235742879".to_owned())))
        );
        let views = body(r#"{"phoneCallView":[{"source":7,"nonce":"n-1"}]}"#).expect("a valid body");
        let view = &views.phone_call_view.expect("phoneCallView")[0];
        assert_eq!(view.source, Some(Numbers::One(Scalar::Number(7))));
        assert_eq!(view.nonce, Some(Scalar::Text("n-1".to_owned())));
    }

    #[test]
    fn other_json_types_are_refused_with_what_was_expected() {
        for (json, expected) in [
            (r#"{"extension":true}"#, "expected a string or a number"),
            (r#"{"extension":-3}"#, "expected a string or a number"),
            (r#"{"extension":1.5}"#, "expected a string or a number"),
            (r#"{"source":{"n":1}}"#, "expected a number or a list of numbers"),
            (r#"{"source":[null]}"#, "expected a string or a number"),
        ] {
            let error = body(json).expect_err(json).to_string();
            assert!(error.contains(expected), "{json}: {error}");
        }
    }

    #[test]
    fn flags_are_booleans_numbers_or_strings() {
        let parse = |json: &str| serde_json::from_str::<Flag>(json);
        assert_eq!(parse("true").unwrap(), Flag::Bool(true));
        assert_eq!(parse("0").unwrap(), Flag::Number(0));
        assert_eq!(parse(r#""1""#).unwrap(), Flag::Text("1".to_owned()));
        let error = parse("[]").unwrap_err().to_string();
        assert!(error.contains("expected true, false, 1 or 0"), "{error}");
    }
}
