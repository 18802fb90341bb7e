//! Renders a `pb::Interaction` as the Genesys interaction history resource
//! (seed 002), and the Genesys spellings of its enums and dates. Public so
//! that the CometD layer renders interactions in its notifications the same
//! way.

use chrono::{DateTime, Utc};
use http::HeaderMap;
use serde_json::Value;

use super::dto::{InteractionResource, OwnerInformation};
use crate::api::convert::common::struct_to_json;
use crate::pb;
use crate::pb::interaction::{MediaType, State, Type};

/// The date format of every Genesys date: `2013-11-25 21:02:22.000+0200`.
/// Switchboard renders UTC, so the offset is always `+0000`.
pub const DATE_FORMAT: &str = "%Y-%m-%d %H:%M:%S%.3f%z";

/// `interaction` as a Genesys interaction history resource. `base_uri` is
/// `http://{host}` as the client addressed the server (see [`base_uri`]).
pub fn interaction_json(interaction: &pb::Interaction, base_uri: &str) -> Value {
    serde_json::to_value(resource(interaction, base_uri)).unwrap_or(Value::Null)
}

/// `interaction` as the typed resource, before serialisation.
pub fn resource(i: &pb::Interaction, base_uri: &str) -> InteractionResource {
    let text = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    let is_call = i.media_type == MediaType::Call as i32;
    InteractionResource {
        uri: format!("{base_uri}/api/v2/interactions/{}", i.id),
        id: i.id.clone(),
        path: format!("/interactions/{}", i.id),
        media_type: MediaType::try_from(i.media_type).ok().and_then(media_type),
        type_id: Type::try_from(i.r#type).ok().and_then(interaction_type),
        state: State::try_from(i.state).ok().and_then(state),
        start_date: i.start_time.as_ref().and_then(date),
        end_date: i.end_time.as_ref().and_then(date),
        subject: text(&i.subject),
        contact_id: text(&i.contact_id),
        parent_id: text(&i.parent_id),
        comment: text(&i.comment),
        custom_attributes: (!i.custom_attributes.is_empty()).then(|| {
            i.custom_attributes
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        }),
        phone_number: text(&i.phone_number),
        call_duration: i.call_duration.as_ref().filter(|_| is_call).map(|d| d.seconds),
        user_data: i
            .user_data
            .as_ref()
            .and_then(|s| struct_to_json("user_data", Some(s)).ok())
            .filter(|m| !m.is_empty()),
        owner_information: i
            .owner
            .as_ref()
            .filter(|o| !o.id.is_empty())
            .map(|o| OwnerInformation {
                id: o.id.clone(),
                user_name: o.user_name.clone(),
                first_name: text(&o.first_name),
                last_name: text(&o.last_name),
            }),
    }
}

/// `http://{host}` (or `https://` behind a proxy that says so) from the
/// request's `Host` header, falling back to `localhost` when it is missing or
/// not a plain host name.
pub fn base_uri(headers: &HeaderMap, authority: Option<&str>) -> String {
    let host = headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .or(authority)
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
        })
        .unwrap_or("localhost");
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.eq_ignore_ascii_case("https"));
    format!("{}://{host}", if https { "https" } else { "http" })
}

/// A protobuf timestamp in the Genesys date format, in UTC.
pub fn date(t: &prost_types::Timestamp) -> Option<String> {
    let nanos = u32::try_from(t.nanos).ok()?;
    let at: DateTime<Utc> = DateTime::from_timestamp(t.seconds, nanos)?;
    Some(at.format(DATE_FORMAT).to_string())
}

/// The Genesys spelling of a media type.
pub fn media_type(m: MediaType) -> Option<&'static str> {
    Some(match m {
        MediaType::Unspecified => return None,
        MediaType::Call => "call",
        MediaType::Chat => "chat",
        MediaType::Email => "email",
        MediaType::Facebook => "facebook",
        MediaType::FacebookSession => "facebooksession",
        MediaType::SmsSession => "smssession",
        MediaType::OpenMedia => "openmedia",
        MediaType::Twitter => "twitter",
        MediaType::Workitem => "workitem",
    })
}

/// The media type a Genesys spelling names.
pub fn parse_media_type(text: &str) -> Option<MediaType> {
    MEDIA_TYPES.iter().copied().find(|m| media_type(*m) == Some(text))
}

/// Every media type, for parsing and messages.
pub const MEDIA_TYPES: &[MediaType] = &[
    MediaType::Call,
    MediaType::Chat,
    MediaType::Email,
    MediaType::Facebook,
    MediaType::FacebookSession,
    MediaType::SmsSession,
    MediaType::OpenMedia,
    MediaType::Twitter,
    MediaType::Workitem,
];

/// The Genesys `typeId` spelling of an interaction type.
pub fn interaction_type(t: Type) -> Option<&'static str> {
    Some(match t {
        Type::Unspecified => return None,
        Type::Inbound => "Inbound",
        Type::Outbound => "Outbound",
        Type::Internal => "Internal",
        Type::Consult => "Consult",
        Type::Unknown => "Unknown",
    })
}

/// The interaction type a `FindPhoneCall` `type` names.
pub fn parse_interaction_type(text: &str) -> Option<Type> {
    [
        Type::Unknown,
        Type::Internal,
        Type::Inbound,
        Type::Outbound,
        Type::Consult,
    ]
    .into_iter()
    .find(|t| interaction_type(*t) == Some(text))
}

/// The Genesys spelling of a state. History resources only ever say `New`,
/// `Pending`, `InProcess` or `Stopped` (seed 002), whatever spelling set the
/// state.
pub fn state(s: State) -> Option<&'static str> {
    Some(match s {
        State::Unspecified => return None,
        State::New => "New",
        State::Pending => "Pending",
        State::InProcess => "InProcess",
        State::Stopped => "Stopped",
    })
}

/// The state a `FindPhoneCall` `status` names: the four resource spellings
/// plus `InProgress`, the spelling of the `FindPhoneCall` page (seed 000).
pub fn parse_state(text: &str) -> Option<State> {
    match text {
        "InProgress" => Some(State::InProcess),
        _ => [State::New, State::Pending, State::InProcess, State::Stopped]
            .into_iter()
            .find(|s| state(*s) == Some(text)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> prost_types::Timestamp {
        let t = DateTime::parse_from_rfc3339(rfc3339).unwrap();
        prost_types::Timestamp {
            seconds: t.timestamp(),
            nanos: t.timestamp_subsec_nanos() as i32,
        }
    }

    /// The seed 002 sample, with its dates moved to UTC.
    #[test]
    fn renders_the_seed_002_sample() {
        let interaction = pb::Interaction {
            name: "interactions/0000Sa99620J0EM5".into(),
            id: "0000Sa99620J0EM5".into(),
            media_type: MediaType::FacebookSession.into(),
            r#type: Type::Inbound.into(),
            state: State::Stopped.into(),
            start_time: Some(at("2013-11-25T21:02:22+02:00")),
            end_time: Some(at("2013-11-25T21:02:25+02:00")),
            subject: "Customer support".into(),
            contact_id: "0000Sa99620J0EM7".into(),
            owner: Some(pb::interaction::Owner {
                id: "cc9016eee9c84dfcb266c642d9fd92c5".into(),
                user_name: "JohnS".into(),
                first_name: "Smith".into(),
                last_name: "John".into(),
            }),
            user_data: Some(prost_types::Struct::default()),
            ..Default::default()
        };
        assert_eq!(
            interaction_json(&interaction, "http://localhost:8080"),
            serde_json::json!({
                "uri": "http://localhost:8080/api/v2/interactions/0000Sa99620J0EM5",
                "id": "0000Sa99620J0EM5",
                "path": "/interactions/0000Sa99620J0EM5",
                "mediaType": "facebooksession",
                "typeId": "Inbound",
                "state": "Stopped",
                "startDate": "2013-11-25 19:02:22.000+0000",
                "endDate": "2013-11-25 19:02:25.000+0000",
                "subject": "Customer support",
                "contactId": "0000Sa99620J0EM7",
                "ownerInformation": {
                    "userName": "JohnS",
                    "lastName": "John",
                    "id": "cc9016eee9c84dfcb266c642d9fd92c5",
                    "firstName": "Smith"
                }
            })
        );
    }

    #[test]
    fn dates_keep_milliseconds() {
        assert_eq!(
            date(&at("2025-01-02T03:04:05.678901Z")).as_deref(),
            Some("2025-01-02 03:04:05.678+0000")
        );
    }

    #[test]
    fn spellings_round_trip() {
        for m in MEDIA_TYPES {
            assert_eq!(parse_media_type(media_type(*m).unwrap()), Some(*m));
        }
        assert_eq!(parse_media_type("Call"), None);
        assert_eq!(parse_state("InProgress"), Some(State::InProcess));
        assert_eq!(parse_state("InProcess"), Some(State::InProcess));
        assert_eq!(parse_state("Stopped"), Some(State::Stopped));
        assert_eq!(parse_state("stopped"), None);
        assert_eq!(parse_interaction_type("Consult"), Some(Type::Consult));
        assert_eq!(parse_interaction_type("Unspecified"), None);
    }

    #[test]
    fn base_uri_follows_the_host_header() {
        let mut headers = HeaderMap::new();
        assert_eq!(base_uri(&headers, None), "http://localhost");
        assert_eq!(base_uri(&headers, Some("gws:8080")), "http://gws:8080");
        headers.insert(http::header::HOST, "gws.example:8443".parse().unwrap());
        headers.insert("x-forwarded-proto", "https".parse().unwrap());
        assert_eq!(base_uri(&headers, None), "https://gws.example:8443");
        headers.insert(http::header::HOST, "evil/path".parse().unwrap());
        assert_eq!(base_uri(&headers, None), "https://localhost");
    }
}
