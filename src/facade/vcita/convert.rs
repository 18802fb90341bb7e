//! vcita DTOs ↔ protobuf: status and direction spellings, E.164 numbers,
//! the `filter[field][op]` / `sort` / `page` query language translated into
//! the API's filter, order and paging, and protobuf field paths back to
//! vcita names.

use prost_types::{FieldMask, Timestamp};

use super::dto::{CreateVoiceCall, Patch, RecordingJson, UpdateVoiceCall, VoiceCallJson};
use crate::domain::filter::quote;
use crate::domain::voice_call::e164;
use crate::facade::fields::Reader;
use crate::pb;
use crate::pb::voice_call::{Direction, TranscriptStatus};

/// The dialect name stored in vendor literals.
pub const DIALECT: &str = "vcita";

/// Every vcita status, as accepted on input (`VOICEMAIL_RECEIVED` is the
/// legacy spelling of `VOICEMAIL`).
pub const STATUSES: &[&str] = &[
    "INCOMING_CALL",
    "ANSWERED_BY_STAFF",
    "MISSED",
    "ANSWERED_BY_CALLS_PROVIDER",
    "MISSED_CALL_HANDLED",
    "VOICEMAIL",
    "VOICEMAIL_RECEIVED",
];

/// The canonical state of a vcita status.
pub fn status_state(status: &str) -> Option<pb::CallState> {
    Some(match status {
        "INCOMING_CALL" => pb::CallState::Ringing,
        "ANSWERED_BY_STAFF" | "ANSWERED_BY_CALLS_PROVIDER" => pb::CallState::Active,
        "MISSED" | "MISSED_CALL_HANDLED" => pb::CallState::Missed,
        "VOICEMAIL" | "VOICEMAIL_RECEIVED" => pb::CallState::Voicemail,
        _ => return None,
    })
}

/// How vcita shows a canonical state that no vcita client set.
fn default_status(state: pb::CallState) -> &'static str {
    match state {
        pb::CallState::Unspecified | pb::CallState::Queued | pb::CallState::Ringing => "INCOMING_CALL",
        // vcita has no "completed": an answered call keeps its status and
        // gains a duration.
        pb::CallState::Active | pb::CallState::Completed => "ANSWERED_BY_STAFF",
        pb::CallState::Missed | pb::CallState::Busy | pb::CallState::Failed | pb::CallState::Canceled => {
            "MISSED"
        }
        pb::CallState::Voicemail => "VOICEMAIL",
    }
}

/// The status vcita shows for a call: the vcita spelling it was given, or
/// the default for its canonical state.
pub fn render_status(state: i32, literal: Option<&pb::VendorLiteral>) -> String {
    match literal {
        Some(l) if l.dialect == DIALECT => l.value.clone(),
        _ => default_status(pb::CallState::try_from(state).unwrap_or(pb::CallState::Unspecified)).to_owned(),
    }
}

fn direction(value: &str) -> Option<Direction> {
    match value {
        "INBOUND" => Some(Direction::Inbound),
        "OUTBOUND" => Some(Direction::Outbound),
        _ => None,
    }
}

fn check_direction(r: &mut Reader, value: Option<&str>) -> Option<Direction> {
    let value = value?;
    let parsed = direction(value);
    if parsed.is_none() {
        r.error(
            "direction",
            format!("direction must be one of INBOUND, OUTBOUND (uppercase), got {value:?}"),
        );
    }
    parsed
}

fn check_status(r: &mut Reader, value: Option<&str>) -> Option<(pb::CallState, String)> {
    let value = value?;
    match status_state(value) {
        Some(state) => Some((state, value.to_owned())),
        None => {
            r.error(
                "status",
                format!(
                    "status must be one of {} (uppercase), got {value:?}",
                    STATUSES.join(", ")
                ),
            );
            None
        }
    }
}

fn check_provider(r: &mut Reader, value: Option<&str>) {
    if let Some(value) = value
        && value != "VONAGE"
    {
        r.error(
            "provider",
            format!("provider must be VONAGE (uppercase), got {value:?}"),
        );
    }
}

fn check_number(r: &mut Reader, field: &str, value: Option<&str>) {
    if let Some(value) = value
        && e164(field, value).is_err()
    {
        r.error(
            field,
            format!("{field} must be an E.164 phone number such as +14155550148, got {value:?}"),
        );
    }
}

fn literal(value: String) -> pb::VendorLiteral {
    pb::VendorLiteral {
        dialect: DIALECT.to_owned(),
        value,
    }
}

/// The `CreateVoiceCall` request for a create body.
pub fn create_request(r: &mut Reader, dto: CreateVoiceCall) -> pb::CreateVoiceCallRequest {
    check_number(r, "from_number", dto.from_number.as_deref());
    check_number(r, "to_number", dto.to_number.as_deref());
    let direction = check_direction(r, dto.direction.as_deref());
    let status = check_status(r, dto.status.as_deref());
    check_provider(r, dto.provider.as_deref());
    let (state, state_literal) = match status {
        Some((state, value)) => (state.into(), Some(literal(value))),
        None => (0, None),
    };
    pb::CreateVoiceCallRequest {
        voice_call: Some(pb::VoiceCall {
            staff_uid: dto.staff_uid.unwrap_or_default(),
            client_uid: dto.client_uid.unwrap_or_default(),
            from_number: dto.from_number.unwrap_or_default(),
            to_number: dto.to_number.unwrap_or_default(),
            direction: direction.map(i32::from).unwrap_or_default(),
            state,
            rate: dto.rate.unwrap_or_default(),
            provider: dto.provider.unwrap_or_default(),
            source_id: dto.source_id.unwrap_or_default(),
            external_uuid: dto.external_uuid.unwrap_or_default(),
            business_uid: dto.business_uid.unwrap_or_default(),
            ..Default::default()
        }),
        state_literal,
    }
}

/// The `UpdateVoiceCall` request for a PUT body on call `uid`.
pub fn update_request(r: &mut Reader, uid: &str, dto: UpdateVoiceCall) -> pb::UpdateVoiceCallRequest {
    let mut call = pb::VoiceCall {
        name: format!("voiceCalls/{uid}"),
        ..Default::default()
    };
    let mut paths = Vec::new();
    let mut state_literal = None;
    for (patch, slot, path) in [
        (dto.staff_uid, &mut call.staff_uid, "staff_uid"),
        (dto.client_uid, &mut call.client_uid, "client_uid"),
        (dto.business_uid, &mut call.business_uid, "business_uid"),
        (dto.source_id, &mut call.source_id, "source_id"),
        (dto.external_uuid, &mut call.external_uuid, "external_uuid"),
        (dto.call_summary, &mut call.call_summary, "call_summary"),
        (
            dto.external_app_url,
            &mut call.external_app_url,
            "external_app_url",
        ),
        (
            dto.external_app_name,
            &mut call.external_app_name,
            "external_app_name",
        ),
        (
            dto.handled_by_staff_uid,
            &mut call.handled_by_staff_uid,
            "handled_by_staff_uid",
        ),
        (dto.rate, &mut call.rate, "rate"),
        (dto.price, &mut call.price, "price"),
    ] {
        match patch {
            Patch::Absent => {}
            Patch::Clear => paths.push(path.to_owned()),
            Patch::Set(value) => {
                *slot = value;
                paths.push(path.to_owned());
            }
        }
    }
    for (patch, slot, field) in [
        (dto.from_number, &mut call.from_number, "from_number"),
        (dto.to_number, &mut call.to_number, "to_number"),
    ] {
        match patch {
            Patch::Absent => {}
            Patch::Clear => r.error(field, format!("{field} cannot be null")),
            Patch::Set(value) => {
                check_number(r, field, Some(&value));
                *slot = value;
                paths.push(field.to_owned());
            }
        }
    }
    match dto.direction {
        Patch::Absent => {}
        Patch::Clear => r.error("direction", "direction cannot be null"),
        Patch::Set(value) => {
            call.direction = check_direction(r, Some(&value))
                .map(i32::from)
                .unwrap_or_default();
            paths.push("direction".to_owned());
        }
    }
    match dto.status {
        Patch::Absent => {}
        Patch::Clear => r.error("status", "status cannot be null"),
        Patch::Set(value) => {
            if let Some((state, value)) = check_status(r, Some(&value)) {
                call.state = state.into();
                state_literal = Some(literal(value));
            }
            paths.push("state".to_owned());
        }
    }
    match dto.provider {
        Patch::Absent => {}
        Patch::Clear => paths.push("provider".to_owned()),
        Patch::Set(value) => {
            check_provider(r, Some(&value));
            call.provider = value;
            paths.push("provider".to_owned());
        }
    }
    match dto.duration {
        Patch::Absent => {}
        Patch::Clear => paths.push("duration".to_owned()),
        Patch::Set(secs) if secs < 0 => r.error("duration", "duration must not be negative"),
        Patch::Set(secs) => {
            call.duration = Some(prost_types::Duration {
                seconds: secs,
                nanos: 0,
            });
            paths.push("duration".to_owned());
        }
    }
    match dto.recording_id {
        Patch::Absent => {}
        Patch::Clear => paths.push("recording".to_owned()),
        Patch::Set(id) => {
            call.recording = Some(pb::voice_call::Recording {
                id,
                ..Default::default()
            });
            paths.push("recording".to_owned());
        }
    }
    pb::UpdateVoiceCallRequest {
        voice_call: Some(call),
        update_mask: Some(FieldMask { paths }),
        etag: String::new(),
        state_literal,
    }
}

fn iso(t: Option<&Timestamp>) -> Option<String> {
    let t = t?;
    chrono::DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or_default())
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

fn text(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_owned())
}

/// A voice call as vcita renders it.
pub fn voice_call_json(c: &pb::VoiceCall) -> VoiceCallJson {
    VoiceCallJson {
        uid: c.id.clone(),
        duration: c.duration.as_ref().map(|d| d.seconds),
        created_at: iso(c.create_time.as_ref()).unwrap_or_default(),
        updated_at: iso(c.update_time.as_ref()).unwrap_or_default(),
        status: render_status(c.state, c.state_literal.as_ref()),
        direction: match Direction::try_from(c.direction) {
            Ok(Direction::Inbound) => Some("INBOUND"),
            Ok(Direction::Outbound) => Some("OUTBOUND"),
            _ => None,
        },
        staff_uid: text(&c.staff_uid),
        client_uid: text(&c.client_uid),
        business_uid: text(&c.business_uid),
        from_number: c.from_number.clone(),
        to_number: c.to_number.clone(),
        rate: text(&c.rate),
        price: text(&c.price),
        provider: text(&c.provider),
        call_summary: text(&c.call_summary),
        recording: c.recording.as_ref().map(|r| RecordingJson {
            uid: text(&r.id),
            recording_url: text(&r.url),
            size: (r.size_bytes > 0).then_some(r.size_bytes),
            duration: r.duration.as_ref().map(|d| d.seconds),
            recording_played: r.played,
            recording_type: if r.voicemail { "VOICEMAIL" } else { "CALL" },
        }),
        external_app_url: text(&c.external_app_url),
        external_app_name: text(&c.external_app_name),
        source_id: text(&c.source_id),
        external_uuid: text(&c.external_uuid),
        handled_by_staff_uid: text(&c.handled_by_staff_uid),
        handled_at: iso(c.handle_time.as_ref()),
        deleted_at: None,
        transcript_status: transcript_status(c.transcript_status),
    }
}

/// A transcript status as vcita spells it.
pub fn transcript_status(value: i32) -> Option<&'static str> {
    match TranscriptStatus::try_from(value).ok()? {
        TranscriptStatus::Unspecified => None,
        TranscriptStatus::InProgress => Some("IN_PROGRESS"),
        TranscriptStatus::Done => Some("DONE"),
        TranscriptStatus::Failed => Some("FAILED"),
    }
}

/// A transcript speaker as vcita names it: the customer side is `client`,
/// everyone on the business side `staff`.
pub fn speaker_role(sender_type: i32) -> &'static str {
    match pb::ParticipantType::try_from(sender_type) {
        Ok(pb::ParticipantType::EndUser | pb::ParticipantType::ExternalUser) => "client",
        _ => "staff",
    }
}

/// A proto field path as vcita names it.
pub fn field_name(path: &str) -> String {
    let path = path.strip_prefix("voice_call.").unwrap_or(path);
    match path {
        "state" => "status".to_owned(),
        "id" => "uid".to_owned(),
        "recording" | "recording.id" => "recording_id".to_owned(),
        "update_mask" => String::new(),
        "filter" => "filter".to_owned(),
        "order_by" => "sort".to_owned(),
        other => other.to_owned(),
    }
}

/// The vcita list query (`page`, `per_page`, `sort`, `filter[…]`) as a
/// `ListVoiceCallsRequest`; problems are recorded in `r`.
pub fn list_request(r: &mut Reader, query: &[(String, String)]) -> pb::ListVoiceCallsRequest {
    let mut page: i64 = 1;
    let mut per_page: i64 = 25;
    let mut order_by = String::new();
    let mut filters: Vec<String> = Vec::new();
    for (key, value) in query {
        match key.as_str() {
            "page" => match value.parse::<i64>() {
                Ok(n) if (1..=10_000).contains(&n) => page = n,
                _ => r.error(
                    "page",
                    format!("page must be an integer from 1 to 10000, got {value:?}"),
                ),
            },
            "per_page" => match value.parse::<i64>() {
                Ok(n) if (1..=100).contains(&n) => per_page = n,
                _ => r.error(
                    "per_page",
                    format!("per_page must be an integer from 1 to 100, got {value:?}"),
                ),
            },
            "sort" => order_by = sort(r, value),
            key if key.starts_with("filter[") => {
                if let Some(f) = filter(r, key, value) {
                    filters.push(f);
                }
            }
            _ => {}
        }
    }
    pb::ListVoiceCallsRequest {
        page_size: per_page as i32,
        skip: ((page - 1) * per_page) as i32,
        filter: filters.join(" AND "),
        order_by,
        page_token: String::new(),
        // vcita's list shows no total.
        skip_total_size: true,
    }
}

/// `created_at:asc,updated_at:desc` → `create_time, update_time desc`.
fn sort(r: &mut Reader, value: &str) -> String {
    let mut terms = Vec::new();
    for part in value.split(',').filter(|p| !p.trim().is_empty()) {
        let (name, direction) = part.trim().split_once(':').unwrap_or((part.trim(), "asc"));
        let field = match name {
            "created_at" => "create_time",
            "updated_at" => "update_time",
            other => {
                r.error(
                    "sort",
                    format!("sort: cannot sort by {other:?}; use created_at or updated_at"),
                );
                continue;
            }
        };
        match direction {
            "asc" => terms.push(field.to_owned()),
            "desc" => terms.push(format!("{field} desc")),
            other => r.error(
                "sort",
                format!("sort: direction must be asc or desc, got {other:?}"),
            ),
        }
    }
    terms.join(", ")
}

/// One `filter[field][op]=value` (or `filter[field]=value`) as a filter
/// expression.
fn filter(r: &mut Reader, key: &str, value: &str) -> Option<String> {
    let inner = key.strip_prefix("filter[")?;
    let (field, rest) = inner.split_once(']')?;
    let op = match rest {
        "" | "[eq]" => "=",
        "[ne]" => "!=",
        "[gt]" => ">",
        "[gte]" => ">=",
        "[lt]" => "<",
        "[lte]" => "<=",
        other => {
            r.error(
                key,
                format!("{key}: unknown operator {other:?}; use eq, ne, gt, gte, lt or lte"),
            );
            return None;
        }
    };
    let column = match field {
        "created_at" => "create_time",
        "updated_at" => "update_time",
        "uid" => "id",
        "status" if op == "=" => return status_filter(r, key, value),
        "direction" => {
            if direction(value).is_none() {
                r.error(key, format!("{key} must be INBOUND or OUTBOUND, got {value:?}"));
                return None;
            }
            "direction"
        }
        f @ ("staff_uid" | "client_uid" | "business_uid" | "from_number" | "to_number" | "external_uuid") => {
            f
        }
        other => {
            r.error(key, format!("cannot filter on {other:?}"));
            return None;
        }
    };
    Some(format!("{column} {op} {}", quote(value)))
}

/// `filter[status]=X` matches the calls vcita would show with status `X`:
/// those a vcita client set to `X`, and those of the states `X` is the
/// default spelling of that no vcita client set a status on.
fn status_filter(r: &mut Reader, key: &str, value: &str) -> Option<String> {
    if status_state(value).is_none() {
        r.error(
            key,
            format!("{key} must be one of {}, got {value:?}", STATUSES.join(", ")),
        );
        return None;
    }
    let own = format!(
        "(state_literal.dialect = {} AND state_literal.value = {})",
        quote(DIALECT),
        quote(value)
    );
    let states: Vec<String> = [
        pb::CallState::Queued,
        pb::CallState::Ringing,
        pb::CallState::Active,
        pb::CallState::Completed,
        pb::CallState::Missed,
        pb::CallState::Busy,
        pb::CallState::Failed,
        pb::CallState::Canceled,
        pb::CallState::Voicemail,
    ]
    .into_iter()
    .filter(|s| default_status(*s) == value)
    .map(|s| format!("state = {}", s.as_str_name()))
    .collect();
    if states.is_empty() {
        return Some(own);
    }
    Some(format!(
        "({own} OR (state_literal.dialect != {} AND ({})))",
        quote(DIALECT),
        states.join(" OR ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn list_query_translates() {
        let mut r = Reader::default();
        let request = list_request(
            &mut r,
            &q(&[
                ("page", "3"),
                ("per_page", "10"),
                ("sort", "created_at:asc,updated_at:desc"),
                ("filter[created_at][gt]", "2019-01-01"),
                ("filter[staff_uid]", "s\"1"),
            ]),
        );
        assert!(r.ok(), "{:?}", r.errors);
        assert_eq!(request.page_size, 10);
        assert_eq!(request.skip, 20);
        assert_eq!(request.order_by, "create_time, update_time desc");
        assert_eq!(
            request.filter,
            r#"create_time > "2019-01-01" AND staff_uid = "s\"1""#
        );
        let mut r = Reader::default();
        list_request(
            &mut r,
            &q(&[
                ("page", "0"),
                ("per_page", "101"),
                ("sort", "name:up"),
                ("filter[name][gt]", "x"),
                ("filter[created_at][between]", "x"),
            ]),
        );
        assert_eq!(r.errors.len(), 5);
    }

    #[test]
    fn statuses_round_trip_with_their_literals() {
        for status in STATUSES {
            let state = status_state(status).unwrap();
            let literal = literal((*status).to_owned());
            assert_eq!(render_status(state.into(), Some(&literal)), *status);
        }
        let salesforce = pb::VendorLiteral {
            dialect: "salesforce".into(),
            value: "completed".into(),
        };
        assert_eq!(
            render_status(pb::CallState::Completed.into(), Some(&salesforce)),
            "ANSWERED_BY_STAFF"
        );
        assert_eq!(render_status(pb::CallState::Queued.into(), None), "INCOMING_CALL");
    }
}

/// Properties of the vcita readers: bodies and `filter[field][op]` queries.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::filter::Filter;
    use crate::domain::voice_call::FILTER_SCHEMA;
    use crate::facade::fields::strategies;
    use crate::facade::vcita::dto::{CreateVoiceCall, UpdateVoiceCall};

    const BODY_KEYS: &[&str] = &[
        "staff_uid",
        "client_uid",
        "business_uid",
        "from_number",
        "to_number",
        "direction",
        "status",
        "rate",
        "price",
        "provider",
        "source_id",
        "external_uuid",
        "duration",
        "recording_id",
        "recordingUrl",
        "call_summary",
        "external_app_name",
        "external_app_url",
        "handled_by_staff_uid",
        "uid",
        "created_at",
    ];

    const TEXT_FIELDS: &[&str] = &[
        "uid",
        "staff_uid",
        "client_uid",
        "business_uid",
        "from_number",
        "to_number",
        "external_uuid",
    ];

    const OPS: &[&str] = &["", "[eq]", "[ne]", "[gt]", "[gte]", "[lt]", "[lte]"];

    fn date() -> impl Strategy<Value = String> {
        (0i64..4_102_444_800, any::<bool>()).prop_map(|(secs, day)| {
            let t = chrono::DateTime::from_timestamp(secs, 0).unwrap();
            if day {
                t.format("%Y-%m-%d").to_string()
            } else {
                t.to_rfc3339()
            }
        })
    }

    /// A `filter[…]` pair vcita documents, with a value of the right type.
    fn valid_filter() -> impl Strategy<Value = (String, String)> {
        prop_oneof![
            (
                proptest::sample::select(TEXT_FIELDS.to_vec()),
                proptest::sample::select(OPS.to_vec()),
                "\\PC{0,30}"
            )
                .prop_map(|(f, op, v)| (format!("filter[{f}]{op}"), v)),
            (
                proptest::sample::select(vec!["created_at", "updated_at"]),
                proptest::sample::select(OPS.to_vec()),
                date()
            )
                .prop_map(|(f, op, v)| (format!("filter[{f}]{op}"), v)),
            (
                proptest::sample::select(vec!["", "[eq]"]),
                proptest::sample::select(STATUSES.to_vec())
            )
                .prop_map(|(op, v)| (format!("filter[status]{op}"), v.to_owned())),
            (
                proptest::sample::select(vec!["", "[eq]", "[ne]"]),
                proptest::sample::select(vec!["INBOUND", "OUTBOUND"])
            )
                .prop_map(|(op, v)| (format!("filter[direction]{op}"), v.to_owned())),
        ]
    }

    fn any_pair() -> impl Strategy<Value = (String, String)> {
        let key = prop_oneof![
            Just("page".to_owned()),
            Just("per_page".to_owned()),
            Just("sort".to_owned()),
            "filter\\[\\PC{0,10}\\](\\[\\PC{0,5}\\])?",
            "\\PC{0,12}",
        ];
        (key, "\\PC{0,30}")
    }

    proptest! {
        #[test]
        fn list_queries_never_panic(query in proptest::collection::vec(any_pair(), 0..8)) {
            let mut r = Reader::default();
            let request = list_request(&mut r, &query);
            prop_assert!(request.page_size >= 1 && request.page_size <= 100);
            prop_assert!(request.skip >= 0);
        }

        #[test]
        fn documented_filters_are_accepted_and_compile(query in proptest::collection::vec(valid_filter(), 1..5)) {
            let mut r = Reader::default();
            let request = list_request(&mut r, &query);
            prop_assert!(r.ok(), "{:?}: {:?}", query, r.errors);
            let parsed = Filter::parse(&request.filter, FILTER_SCHEMA);
            prop_assert!(parsed.is_ok(), "{:?} → {}: {:?}", query, request.filter, parsed);
        }

        #[test]
        fn unknown_filter_fields_and_operators_are_refused(
            field in "[a-z_]{1,12}",
            op in "\\[[a-z]{1,4}\\]",
        ) {
            let known = ["created_at", "updated_at", "uid", "status", "direction", "staff_uid", "client_uid",
                         "business_uid", "from_number", "to_number", "external_uuid"];
            if !known.contains(&field.as_str()) {
                let mut r = Reader::default();
                list_request(&mut r, &[(format!("filter[{field}]"), "x".to_owned())]);
                prop_assert!(!r.ok(), "{}", field);
            }
            if !OPS.contains(&op.as_str()) {
                let mut r = Reader::default();
                list_request(&mut r, &[(format!("filter[uid]{op}"), "x".to_owned())]);
                prop_assert!(!r.ok(), "{}", op);
            }
        }

        #[test]
        fn bodies_never_panic(body in strategies::object(BODY_KEYS), uid in "\\PC{0,20}") {
            let mut r = Reader::default();
            let dto = CreateVoiceCall::read(&mut r, &body);
            let _ = create_request(&mut r, dto);
            let mut r = Reader::default();
            let dto = UpdateVoiceCall::read(&mut r, &body);
            let _ = update_request(&mut r, &uid, dto);
        }
    }
}
