//! Genesys requests → protobuf requests, and protobuf results → Genesys
//! result messages. Every parameter problem of a request is reported at once
//! (see [`Problems`]); rules about values (lengths, the state machine, …) are
//! the gRPC API's, whose errors `error.rs` renames into Genesys parameters
//! with the field tables below.
//!
//! History searches become `ListInteractions` filters built with
//! [`quote`]: the facade never builds SQL, and never puts client text into a
//! filter unquoted.

use std::collections::BTreeMap;

use chrono::{DateTime, Months, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use prost_types::FieldMask;
use serde_json::Value;

use super::dto::{self, InteractionResource, Param};
use super::error::{Error, Problems};
use super::resource::{self, MEDIA_TYPES, parse_interaction_type, parse_media_type, parse_state};
use crate::api::convert::common::json_to_struct;
use crate::domain::filter::quote;
use crate::pb;
use crate::pb::interaction::MediaType;

/// The `VendorLiteral.dialect` of values spelled by this dialect.
pub const DIALECT: &str = "genesys";

/// gRPC field → Genesys parameter, for `FindPhoneCall`.
pub const FIND_FIELDS: &[(&str, &str)] = &[
    ("call_id", "callId"),
    ("state", "status"),
    ("state_literal", "status"),
    ("phone_number", "phoneNumber"),
    ("type", "type"),
    ("contact_id", "contactId"),
    ("parent_id", "parentId"),
    ("thread_id", "threadId"),
    ("subject", "subject"),
    ("user_data", "userData"),
];
/// gRPC field → Genesys parameter, for `SetCallCompleted`.
pub const COMPLETE_FIELDS: &[(&str, &str)] = &[
    ("name", "interactionId"),
    ("call_duration", "callDuration"),
    ("user_data", "userData"),
];
/// gRPC field → Genesys parameter, for `SetCallNote`.
pub const NOTE_FIELDS: &[(&str, &str)] = &[
    ("interaction.name", "interactionId"),
    ("interaction.comment", "note"),
];
/// gRPC field → Genesys parameter, for `SetCallContact`.
pub const CONTACT_FIELDS: &[(&str, &str)] = &[
    ("interaction.name", "interactionId"),
    ("interaction.contact_id", "contactPath"),
];
/// gRPC field → Genesys parameter, for the history operations.
pub const HISTORY_FIELDS: &[(&str, &str)] = &[
    ("page_size", "maxSize"),
    ("order_by", "sort"),
    ("filter", "searchCustomAttributes"),
];
/// gRPC field → query parameter, for `GET /api/v2/ucs/interactions`.
pub const LIST_FIELDS: &[(&str, &str)] = &[
    ("page_size", "limit"),
    ("skip", "offset"),
    ("order_by", "sort"),
    ("filter", "query"),
];
/// gRPC field → Genesys parameter, for `GET …/interactions/{id}`.
pub const GET_FIELDS: &[(&str, &str)] = &[("name", "interactionId")];

/// The value of `param`, noting a wrong type.
fn take<T>(problems: &mut Problems, name: &str, param: Param<T>) -> Option<T> {
    match param {
        Param::Absent => None,
        Param::Present(value) => Some(value),
        Param::Invalid(why) => {
            problems.invalid(name, format!("has the wrong type: {why}"));
            None
        }
    }
}

/// Like [`take`], noting a missing parameter too.
fn require<T>(problems: &mut Problems, name: &str, param: Param<T>) -> Option<T> {
    if matches!(param, Param::Absent) {
        problems.missing(name);
        return None;
    }
    take(problems, name, param)
}

/// `interactions/{id}`.
pub fn name(id: &str) -> String {
    format!("interactions/{id}")
}

/// `FindPhoneCall` → `FindOrCreatePhoneCallInteraction`.
pub fn find_phone_call(
    body: dto::FindPhoneCall,
) -> Result<pb::FindOrCreatePhoneCallInteractionRequest, Error> {
    let mut p = Problems::default();
    let call_id = require(&mut p, "callId", body.call_id).unwrap_or_default();
    let status = require(&mut p, "status", body.status);
    let state = status.as_deref().and_then(|s| {
        let state = parse_state(s);
        if state.is_none() {
            p.invalid(
                "status",
                format!("must be New, Pending, InProcess (or InProgress) or Stopped, not {s:?}"),
            );
        }
        state
    });
    let phone_number = require(&mut p, "phoneNumber", body.phone_number).unwrap_or_default();
    let call_type = require(&mut p, "type", body.call_type).and_then(|t| {
        let parsed = parse_interaction_type(&t);
        if parsed.is_none() {
            p.invalid(
                "type",
                format!("must be Unknown, Internal, Inbound, Outbound or Consult, not {t:?}"),
            );
        }
        parsed
    });
    let contact_id = take(&mut p, "contactId", body.contact_id).unwrap_or_default();
    let parent_id = take(&mut p, "parentId", body.parent_id).unwrap_or_default();
    let thread_id = take(&mut p, "threadId", body.thread_id).unwrap_or_default();
    let subject = take(&mut p, "subject", body.subject).unwrap_or_default();
    let user_data = take(&mut p, "userData", body.user_data);
    p.finish()?;
    Ok(pb::FindOrCreatePhoneCallInteractionRequest {
        call_id,
        state: state.map_or(0, Into::into),
        phone_number,
        r#type: call_type.map_or(0, Into::into),
        contact_id,
        parent_id,
        thread_id,
        subject,
        user_data: user_data.map(|m| json_to_struct(&m)),
        // Kept so the exact spelling (`InProgress` or `InProcess`) survives.
        state_literal: status.map(|value| pb::VendorLiteral {
            dialect: DIALECT.to_owned(),
            value,
        }),
    })
}

/// `SetCallCompleted` → `CompleteInteraction`.
pub fn set_call_completed(
    id: &str,
    body: dto::SetCallCompleted,
) -> Result<pb::CompleteInteractionRequest, Error> {
    let mut p = Problems::default();
    let duration = take(&mut p, "callDuration", body.call_duration);
    let user_data = take(&mut p, "userData", body.user_data);
    p.finish()?;
    Ok(pb::CompleteInteractionRequest {
        name: name(id),
        call_duration: duration.map(|d| prost_types::Duration {
            seconds: d.0,
            nanos: 0,
        }),
        user_data: user_data.map(|m| json_to_struct(&m)),
    })
}

/// `SetCallNote` → `UpdateInteraction` of `comment`. The note replaces the
/// previous one (UCS keeps one comment per interaction); an empty note
/// clears it.
pub fn set_call_note(id: &str, body: dto::SetCallNote) -> Result<pb::UpdateInteractionRequest, Error> {
    let mut p = Problems::default();
    let note = require(&mut p, "note", body.note);
    p.finish()?;
    Ok(update(
        pb::Interaction {
            name: name(id),
            comment: note.unwrap_or_default(),
            ..Default::default()
        },
        "comment",
    ))
}

/// `SetCallContact` → `UpdateInteraction` of `contact_id`. `contactPath` is
/// the contact's path, `/contacts/{contactId}`; its last segment is the id (a
/// bare id is accepted too).
pub fn set_call_contact(id: &str, body: dto::SetCallContact) -> Result<pb::UpdateInteractionRequest, Error> {
    let mut p = Problems::default();
    let path = require(&mut p, "contactPath", body.contact_path);
    let contact_id = path.as_deref().and_then(|path| {
        let id = path.rsplit('/').next().unwrap_or_default().trim();
        if id.is_empty() {
            p.invalid(
                "contactPath",
                format!("must be /contacts/{{contactId}}, not {path:?}"),
            );
            return None;
        }
        Some(id.to_owned())
    });
    p.finish()?;
    Ok(update(
        pb::Interaction {
            name: name(id),
            contact_id: contact_id.unwrap_or_default(),
            ..Default::default()
        },
        "contact_id",
    ))
}

fn update(interaction: pb::Interaction, path: &str) -> pb::UpdateInteractionRequest {
    pb::UpdateInteractionRequest {
        interaction: Some(interaction),
        update_mask: Some(FieldMask {
            paths: vec![path.to_owned()],
        }),
        etag: String::new(),
    }
}

/// Which history a history operation asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum History {
    /// `RetrieveInteractionHistory`: everything, optionally of one agent.
    Interactions,
    /// `RetrieveAgentHistory`: one agent's (`userId` required).
    Agent,
    /// `RetrieveContactHistory`: one contact's.
    Contact(String),
}

impl History {
    /// The operation name.
    pub fn operation(&self) -> &'static str {
        match self {
            History::Interactions => "RetrieveInteractionHistory",
            History::Agent => "RetrieveAgentHistory",
            History::Contact(_) => "RetrieveContactHistory",
        }
    }
}

/// A history search, ready to run.
#[derive(Clone, Debug, PartialEq)]
pub struct HistorySearch {
    /// The `ListInteractions` request.
    pub request: pb::ListInteractionsRequest,
    /// The custom attributes to include in each result (`customAttributes`).
    pub custom_attributes: Vec<String>,
    /// `source: archive`: Switchboard has no archive, so the result is empty.
    pub archive: bool,
}

/// A history operation → `ListInteractions`. Without dates the search covers
/// the interactions started since this day last month (GWS's default).
pub fn history(
    kind: &History,
    body: dto::RetrieveHistory,
    now: DateTime<Utc>,
) -> Result<HistorySearch, Error> {
    let mut p = Problems::default();
    let mut criteria = Criteria {
        from: criteria_time(&mut p, "fromDate", body.from_date),
        to: criteria_time(&mut p, "toDate", body.to_date),
        media_types: take(&mut p, "mediaType", body.media_type)
            .map(|m| media_types(&mut p, &m))
            .unwrap_or_default(),
        ..Default::default()
    };
    if criteria.from.is_none() {
        // GWS's default; when `fromDate` was sent but unusable the request
        // fails anyway.
        let month_ago = now.date_naive().checked_sub_months(Months::new(1));
        criteria.from = month_ago.map(When::Day);
    }
    criteria.owner = match kind {
        History::Agent => require(&mut p, "userId", body.user_id),
        _ => take(&mut p, "userId", body.user_id),
    };
    if let History::Contact(contact) = kind {
        criteria.contact = Some(contact.clone());
    }
    if let Some(search) = take(&mut p, "searchCustomAttributes", body.search_custom_attributes) {
        for key in search.keys().filter(|k| !is_filter_key(k)) {
            p.invalid(
                "searchCustomAttributes",
                format!("key {key:?} cannot be searched: keys are letters, digits, '_', '.', '-' and '+'"),
            );
        }
        criteria.search = search;
    }
    let ascending = take(&mut p, "sort", body.sort)
        .and_then(|s| sort(&mut p, &s))
        .unwrap_or(false);
    let page_size = take(&mut p, "maxSize", body.max_size).map_or(0, |n| saturate(n.0));
    let archive = match take(&mut p, "source", body.source).as_deref() {
        None | Some("main") => false,
        Some("archive") => true,
        Some(other) => {
            p.invalid("source", format!("must be main or archive, not {other:?}"));
            false
        }
    };
    let custom_attributes = take(&mut p, "customAttributes", body.custom_attributes)
        .map(|l| l.0)
        .unwrap_or_default();
    p.finish()?;
    Ok(HistorySearch {
        request: pb::ListInteractionsRequest {
            page_size,
            filter: criteria.filter(),
            order_by: order_by(ascending),
            ..Default::default()
        },
        custom_attributes,
        archive,
    })
}

/// `GET /api/v2/ucs/interactions` query parameters → `ListInteractions`:
/// `mediaType`, `fromDate`, `toDate`, `userId`, `contactId`, `sort`,
/// `offset`, `limit`. Others are ignored. No date range applies by default.
pub fn list(query: Vec<(String, String)>) -> Result<pb::ListInteractionsRequest, Error> {
    let params: BTreeMap<String, String> = query.into_iter().filter(|(_, v)| !v.is_empty()).collect();
    let get = |name: &str| params.get(name).map(String::as_str);
    let mut p = Problems::default();
    let mut when = |name: &str| {
        get(name).and_then(|text| {
            let parsed = parse_when(text);
            if parsed.is_none() {
                p.invalid(name, DATE_FORMATS);
            }
            parsed
        })
    };
    let from = when("fromDate");
    let to = when("toDate");
    let criteria = Criteria {
        from,
        to,
        media_types: get("mediaType")
            .map(|m| media_types(&mut p, m))
            .unwrap_or_default(),
        owner: get("userId").map(str::to_owned),
        contact: get("contactId").map(str::to_owned),
        search: BTreeMap::new(),
    };
    let ascending = get("sort").and_then(|s| sort(&mut p, s)).unwrap_or(false);
    let mut number = |name: &str| {
        get(name).map_or(0, |text| match text.trim().parse::<i64>() {
            Ok(n) => saturate(n),
            Err(_) => {
                p.invalid(name, format!("must be a whole number, not {text:?}"));
                0
            }
        })
    };
    let skip = number("offset");
    let page_size = number("limit");
    p.finish()?;
    Ok(pb::ListInteractionsRequest {
        page_size,
        skip,
        filter: criteria.filter(),
        order_by: order_by(ascending),
        ..Default::default()
    })
}

/// The accepted date formats, for messages.
const DATE_FORMATS: &str = "must be a date, yyyy-MM-dd, or a time such as 2015-10-01T10:00:00.000Z or \
                            2015-10-01 10:00:00.000+0300";

fn criteria_time(p: &mut Problems, name: &str, param: Param<String>) -> Option<When> {
    let text = take(p, name, param)?;
    let parsed = parse_when(&text);
    if parsed.is_none() {
        p.invalid(name, DATE_FORMATS);
    }
    parsed
}

fn media_types(p: &mut Problems, text: &str) -> Vec<MediaType> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match parse_media_type(part) {
            Some(m) => out.push(m),
            None => {
                let known: Vec<&str> = MEDIA_TYPES
                    .iter()
                    .filter_map(|m| resource::media_type(*m))
                    .collect();
                p.invalid(
                    "mediaType",
                    format!("must be one of {}, not {part:?}", known.join(", ")),
                );
            }
        }
    }
    out
}

/// `asc` → true, `desc` → false.
fn sort(p: &mut Problems, text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "asc" => Some(true),
        "desc" => Some(false),
        _ => {
            p.invalid("sort", format!("must be asc or desc, not {text:?}"));
            None
        }
    }
}

fn order_by(ascending: bool) -> String {
    if ascending {
        "start_time"
    } else {
        "start_time desc"
    }
    .to_owned()
}

/// An `i32` for a page size or offset; out-of-range values saturate (large
/// sizes are capped by the API anyway, negative ones are refused by it).
fn saturate(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(if n > 0 { i32::MAX } else { i32::MIN })
}

/// Whether `key` can be written as `custom_attributes.<key>` in a filter.
fn is_filter_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '+'))
}

/// A date bound of a history search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// A whole day (`yyyy-MM-dd`), in UTC.
    Day(NaiveDate),
    /// An instant.
    Instant(DateTime<Utc>),
}

/// Parses `yyyy-MM-dd`, RFC 3339, the Genesys date format
/// (`2015-10-01 10:00:00.000+0300`) and the 8.5.2 variants with a `T`, with
/// or without an offset (UTC when absent), and with `:` before the
/// milliseconds (`2015-10-01T10:00:00:000Z`).
pub fn parse_when(text: &str) -> Option<When> {
    let text = text.trim();
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Some(When::Day(day));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(When::Instant(t.with_timezone(&Utc)));
    }
    let zoned = text.strip_suffix(['Z', 'z']).map(|t| format!("{t}+0000"));
    let zoned = zoned.as_deref().unwrap_or(text);
    const ZONED: &[&str] = &[
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S:%3f%z",
    ];
    if let Some(t) = ZONED.iter().find_map(|f| DateTime::parse_from_str(zoned, f).ok()) {
        return Some(When::Instant(t.with_timezone(&Utc)));
    }
    const LOCAL: &[&str] = &[
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S:%3f",
    ];
    LOCAL
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .map(|t| When::Instant(t.and_utc()))
}

/// What a history search filters on.
#[derive(Clone, Debug, Default, PartialEq)]
struct Criteria {
    from: Option<When>,
    to: Option<When>,
    media_types: Vec<MediaType>,
    owner: Option<String>,
    contact: Option<String>,
    search: BTreeMap<String, String>,
}

impl Criteria {
    /// The `ListInteractions` filter. A day as the lower bound starts at its
    /// midnight; a day as the upper bound includes the whole day.
    fn filter(&self) -> String {
        // RFC 3339 (and so the filter language) has four-digit years: a bound
        // past 9999 (`toDate` 9999-12-31, or an offset pushing a time over
        // it) is clamped to the last representable instant.
        let latest = NaiveDate::from_ymd_opt(9999, 12, 31)
            .and_then(|d| d.and_hms_micro_opt(23, 59, 59, 999_999))
            .map(|t| t.and_utc());
        let earliest = NaiveDate::from_ymd_opt(0, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc());
        let stamp = |t: DateTime<Utc>| {
            let t = latest.map_or(t, |l| t.min(l));
            let t = earliest.map_or(t, |e| t.max(e));
            quote(&t.to_rfc3339_opts(SecondsFormat::Micros, true))
        };
        let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        let mut parts = Vec::new();
        match self.from {
            Some(When::Day(d)) => parts.extend(midnight(d).map(|t| format!("start_time >= {}", stamp(t)))),
            Some(When::Instant(t)) => parts.push(format!("start_time >= {}", stamp(t))),
            None => {}
        }
        match self.to {
            Some(When::Day(d)) => parts.extend(
                d.succ_opt()
                    .and_then(midnight)
                    .map(|t| format!("start_time < {}", stamp(t))),
            ),
            Some(When::Instant(t)) => parts.push(format!("start_time <= {}", stamp(t))),
            None => {}
        }
        if !self.media_types.is_empty() {
            let any: Vec<String> = self
                .media_types
                .iter()
                .map(|m| format!("media_type = {}", m.as_str_name()))
                .collect();
            parts.push(format!("({})", any.join(" OR ")));
        }
        if let Some(owner) = &self.owner {
            parts.push(format!("owner.id = {}", quote(owner)));
        }
        if let Some(contact) = &self.contact {
            parts.push(format!("contact_id = {}", quote(contact)));
        }
        for (key, value) in &self.search {
            parts.push(format!("custom_attributes.{key} = {}", quote(value)));
        }
        parts.join(" AND ")
    }
}

/// The `FindPhoneCall` result message.
pub fn created(response: &pb::FindOrCreatePhoneCallInteractionResponse) -> dto::CreateInteractionResponse {
    dto::CreateInteractionResponse {
        message_type: "createInteractionResponse",
        interaction_id: response
            .interaction
            .as_ref()
            .map(|i| i.id.clone())
            .unwrap_or_default(),
        is_created: if response.created { "true" } else { "false" },
    }
}

/// The result message of `SetCallCompleted`, `SetCallNote` and
/// `SetCallContact`.
pub fn ucs_success() -> dto::UcsOperationResponse {
    dto::UcsOperationResponse {
        message_type: "UcsOperationResponse",
        success: true,
    }
}

/// The history operations' result message, each interaction rendered as a
/// history resource with only the requested custom attributes.
pub fn history_message(
    interactions: &[pb::Interaction],
    base_uri: &str,
    custom_attributes: &[String],
) -> dto::GetInteractionsHistoryMessage {
    dto::GetInteractionsHistoryMessage {
        message_type: "GetInteractionsHistoryMessage",
        interactions: interactions
            .iter()
            .map(|i| {
                let mut resource = resource::resource(i, base_uri);
                project(&mut resource, custom_attributes);
                serde_json::to_value(resource).unwrap_or(Value::Null)
            })
            .collect(),
    }
}

/// Keeps only the named custom attributes (GWS: "to include custom fields
/// into the found interactions, specify their names in the customAttributes
/// list").
fn project(resource: &mut InteractionResource, names: &[String]) {
    resource.custom_attributes = resource
        .custom_attributes
        .take()
        .map(|all| {
            all.into_iter()
                .filter(|(k, _)| names.iter().any(|n| n == k))
                .collect::<BTreeMap<_, _>>()
        })
        .filter(|kept| !kept.is_empty());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::filter::Filter;
    use crate::domain::interaction::FILTER_SCHEMA;

    fn body<T: serde::de::DeserializeOwned>(json: serde_json::Value) -> T {
        serde_json::from_value(json).unwrap()
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2025-03-31T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn find_phone_call_keeps_the_status_spelling() {
        let request = find_phone_call(body(serde_json::json!({
            "callId": "1231331", "status": "InProgress", "phoneNumber": "1231231231",
            "type": "Inbound", "userData": {"key1": "value1"}
        })))
        .unwrap();
        assert_eq!(request.state, pb::interaction::State::InProcess as i32);
        assert_eq!(request.state_literal.unwrap().value, "InProgress");
        assert_eq!(request.r#type, pb::interaction::Type::Inbound as i32);
        assert!(request.user_data.unwrap().fields.contains_key("key1"));
    }

    #[test]
    fn find_phone_call_reports_every_problem() {
        let error = find_phone_call(body(serde_json::json!({
            "status": "Bogus", "type": 3, "userData": "x"
        })))
        .unwrap_err();
        assert_eq!(error.code, 1);
        let m = &error.message;
        for expected in [
            "callId is required",
            "phoneNumber is required",
            "status must be",
            "type has the wrong type",
            "userData has the wrong type",
        ] {
            assert!(m.contains(expected), "{m}");
        }
    }

    #[test]
    fn contact_paths_end_in_the_contact_id() {
        let update =
            set_call_contact("i", body(serde_json::json!({"contactPath": "/contacts/0000Sa"}))).unwrap();
        assert_eq!(update.interaction.unwrap().contact_id, "0000Sa");
        let bare = set_call_contact("i", body(serde_json::json!({"contactPath": "0000Sa"}))).unwrap();
        assert_eq!(bare.interaction.unwrap().contact_id, "0000Sa");
        assert_eq!(
            set_call_contact("i", body(serde_json::json!({"contactPath": "/contacts/"})))
                .unwrap_err()
                .code,
            10
        );
        assert_eq!(
            set_call_contact("i", body(serde_json::json!({})))
                .unwrap_err()
                .code,
            1
        );
    }

    #[test]
    fn dates_parse_in_every_documented_shape() {
        let day = NaiveDate::from_ymd_opt(2015, 10, 1).unwrap();
        let ten = day.and_hms_opt(10, 0, 0).unwrap().and_utc();
        assert_eq!(parse_when("2015-10-01"), Some(When::Day(day)));
        for text in [
            "2015-10-01T10:00:00Z",
            "2015-10-01T10:00:00.000Z",
            "2015-10-01T13:00:00+03:00",
            "2015-10-01 13:00:00.000+0300",
            "2015-10-01T13:00:00.000+0300",
            "2015-10-01T10:00:00:000Z",
            "2015-10-01T10:00:00",
        ] {
            assert_eq!(parse_when(text), Some(When::Instant(ten)), "{text}");
        }
        for bad in ["", "yesterday", "2015-13-01", "01/10/2015"] {
            assert_eq!(parse_when(bad), None, "{bad}");
        }
    }

    #[test]
    fn history_builds_a_valid_filter_from_every_parameter() {
        let search = history(
            &History::Agent,
            body(serde_json::json!({
                "fromDate": "2015-10-01", "toDate": "2015-10-05", "mediaType": "call,chat",
                "sort": "asc", "maxSize": "5", "source": "main", "userId": "agent\"1",
                "customAttributes": ["SearchId"], "searchCustomAttributes": {"SearchId": "12*"}
            })),
            now(),
        )
        .unwrap();
        let filter = &search.request.filter;
        assert_eq!(
            filter,
            r#"start_time >= "2015-10-01T00:00:00.000000Z" AND start_time < "2015-10-06T00:00:00.000000Z" AND (media_type = MEDIA_TYPE_CALL OR media_type = MEDIA_TYPE_CHAT) AND owner.id = "agent\"1" AND custom_attributes.SearchId = "12\*""#
        );
        Filter::parse(filter, FILTER_SCHEMA).unwrap();
        assert_eq!(search.request.order_by, "start_time");
        assert_eq!(search.request.page_size, 5);
        assert_eq!(search.custom_attributes, ["SearchId"]);
        assert!(!search.archive);
    }

    #[test]
    fn history_defaults_to_the_last_month_newest_first() {
        let search = history(
            &History::Contact("c1".into()),
            dto::RetrieveHistory::default(),
            now(),
        )
        .unwrap();
        assert_eq!(
            search.request.filter,
            r#"start_time >= "2025-02-28T00:00:00.000000Z" AND contact_id = "c1""#
        );
        assert_eq!(search.request.order_by, "start_time desc");
        assert_eq!(search.request.page_size, 0);
        assert!(search.custom_attributes.is_empty());
    }

    #[test]
    fn history_reports_every_problem() {
        let error = history(
            &History::Agent,
            body(serde_json::json!({
                "fromDate": "yesterday", "mediaType": "fax", "sort": "up", "maxSize": "many",
                "source": "attic", "searchCustomAttributes": {"a b": "c"}
            })),
            now(),
        )
        .unwrap_err();
        assert_eq!(error.code, 1, "userId is missing");
        for name in [
            "userId",
            "fromDate",
            "mediaType",
            "sort",
            "maxSize",
            "source",
            "searchCustomAttributes",
        ] {
            assert!(error.message.contains(name), "{name}: {}", error.message);
        }
    }

    /// `list` of a query string's pairs.
    fn query(pairs: &[(&str, &str)]) -> Result<pb::ListInteractionsRequest, Error> {
        list(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn list_reads_query_parameters() {
        let request = query(&[
            ("mediaType", "call"),
            ("userId", "alice"),
            ("offset", "10"),
            ("limit", "5"),
            ("sort", "asc"),
            ("other", "x"),
        ])
        .unwrap();
        assert_eq!(
            request.filter,
            r#"(media_type = MEDIA_TYPE_CALL) AND owner.id = "alice""#
        );
        assert_eq!((request.skip, request.page_size), (10, 5));
        assert_eq!(request.order_by, "start_time");
        Filter::parse(&request.filter, FILTER_SCHEMA).unwrap();
        assert_eq!(query(&[]).unwrap().filter, "");
        let error = query(&[("limit", "ten"), ("toDate", "soon")]).unwrap_err();
        assert_eq!(error.code, 10);
        assert!(
            error.message.contains("limit") && error.message.contains("toDate"),
            "{}",
            error.message
        );
    }

    #[test]
    fn bounds_past_year_9999_are_clamped_not_refused() {
        for pairs in [
            &[("toDate", "9999-12-31")][..],
            &[("fromDate", "9999-12-31T23:00:00-05:00")][..],
            &[("fromDate", "0000-01-01T00:00:00+05:00")][..],
        ] {
            let request = query(pairs).unwrap();
            Filter::parse(&request.filter, FILTER_SCHEMA)
                .unwrap_or_else(|e| panic!("{pairs:?}: {} gives {e:?}", request.filter));
        }
        assert_eq!(
            query(&[("toDate", "9999-12-31")]).unwrap().filter,
            r#"start_time < "9999-12-31T23:59:59.999999Z""#
        );
    }
}

/// Properties of the GWS date parser and the history/list readers, which
/// read outside input.
#[cfg(test)]
mod properties {
    use chrono::{DateTime, NaiveDate, Utc};
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;
    use crate::domain::filter::Filter;
    use crate::domain::interaction::FILTER_SCHEMA;
    use crate::facade::genesys::resource;

    /// Instants from 1970 to 9999, at millisecond precision (what GWS
    /// dates carry).
    fn instant() -> impl Strategy<Value = DateTime<Utc>> {
        (0i64..253_402_300_799, 0u32..1000)
            .prop_map(|(secs, ms)| DateTime::from_timestamp(secs, ms * 1_000_000).unwrap())
    }

    /// Any JSON value, a few levels deep.
    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(|f| json!(f)),
            "\\PC{0,30}".prop_map(Value::from),
            // Plausible values, so parsing gets past the first check.
            prop_oneof![
                Just("2015-10-01"),
                Just("2015-10-01 10:00:00.000+0300"),
                Just("call,chat"),
                Just("asc"),
                Just("desc"),
                Just("archive"),
                Just("main"),
                Just("5"),
                Just("1000000000000"),
            ]
            .prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map("\\PC{0,10}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    const HISTORY_KEYS: &[&str] = &[
        "fromDate",
        "toDate",
        "mediaType",
        "sort",
        "maxSize",
        "source",
        "customAttributes",
        "searchCustomAttributes",
        "userId",
    ];

    proptest! {
        #[test]
        fn parse_when_never_panics(text in "(?s)\\PC{0,40}") {
            let _ = parse_when(&text);
        }

        #[test]
        fn rendered_dates_parse_back_to_the_same_instant(t in instant()) {
            let stamp = prost_types::Timestamp { seconds: t.timestamp(), nanos: t.timestamp_subsec_nanos() as i32 };
            let gws = resource::date(&stamp).unwrap();
            prop_assert_eq!(parse_when(&gws), Some(When::Instant(t)), "{}", gws);
            let rfc3339 = t.to_rfc3339();
            prop_assert_eq!(parse_when(&rfc3339), Some(When::Instant(t)), "{}", rfc3339);
            // GWS 8.5.2: `T`, `:` before the milliseconds, `Z`.
            let colon = t.format("%Y-%m-%dT%H:%M:%S:%3fZ").to_string();
            prop_assert_eq!(parse_when(&colon), Some(When::Instant(t)), "{}", colon);
            // Another offset names the same instant.
            let shifted = t.with_timezone(&chrono::FixedOffset::east_opt(3 * 3600).unwrap());
            let zoned = shifted.format("%Y-%m-%d %H:%M:%S%.3f%z").to_string();
            prop_assert_eq!(parse_when(&zoned), Some(When::Instant(t)), "{}", zoned);
        }

        #[test]
        fn days_parse_as_days(day in (1i32..9999, 1u32..=12, 1u32..=28)) {
            let date = NaiveDate::from_ymd_opt(day.0, day.1, day.2).unwrap();
            let text = date.format("%Y-%m-%d").to_string();
            prop_assert_eq!(parse_when(&text), Some(When::Day(date)));
        }

        #[test]
        fn history_bodies_never_panic_and_always_yield_a_valid_filter(
            fields in proptest::collection::vec((proptest::sample::select(HISTORY_KEYS.to_vec()), json_value()), 0..6),
            kind in prop_oneof![Just(History::Interactions), Just(History::Agent), "\\PC{0,20}".prop_map(History::Contact)],
        ) {
            let object: serde_json::Map<String, Value> = fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            let Ok(body) = serde_json::from_value::<dto::RetrieveHistory>(Value::Object(object)) else {
                return Ok(());
            };
            let now = DateTime::parse_from_rfc3339("2025-03-31T12:00:00Z").unwrap().with_timezone(&Utc);
            if let Ok(search) = history(&kind, body, now) {
                let parsed = Filter::parse(&search.request.filter, FILTER_SCHEMA);
                prop_assert!(parsed.is_ok(), "{}: {:?}", search.request.filter, parsed);
            }
        }

        #[test]
        fn list_queries_never_panic_and_always_yield_a_valid_filter(
            query in proptest::collection::vec(
                (
                    proptest::sample::select(vec!["mediaType", "fromDate", "toDate", "userId", "contactId", "sort", "offset", "limit", "other"]),
                    prop_oneof!["\\PC{0,30}", Just("2015-10-01".to_owned()), Just("call".to_owned()), Just("-1".to_owned())],
                ),
                0..6,
            ),
        ) {
            let query = query.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            if let Ok(request) = list(query) {
                let parsed = Filter::parse(&request.filter, FILTER_SCHEMA);
                prop_assert!(parsed.is_ok(), "{}: {:?}", request.filter, parsed);
            }
        }
    }
}
