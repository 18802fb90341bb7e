//! vcita handlers: read the request, convert, call `VoiceCallService`,
//! answer inside vcita's envelopes.

use std::collections::BTreeMap;

use chrono::Datelike;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::HeaderMap;
use serde_json::{Map, Value};

use super::convert::{self, field_name, render_status, speaker_role, status_state, voice_call_json};
use super::dto::{
    CreateVoiceCall, Stats, StatusCount, Success, Transcript, TranscriptLine, UpdateVoiceCall, VoiceCallJson,
    VoiceCallList,
};
use super::error::VcitaError;
use crate::facade::Upstream;
use crate::facade::credentials::bearer;
use crate::facade::fields::Reader;
use crate::facade::upstream::{authorized, boxed};
use crate::pb;

type Answer<T> = Result<Json<Success<T>>, VcitaError>;

/// Most transcript messages one transcript request reads.
const MAX_TRANSCRIPT_PAGES: usize = 10;

fn token(headers: &HeaderMap) -> Result<&str, VcitaError> {
    bearer(headers).ok_or_else(VcitaError::unauthorized)
}

fn json_object(body: &Bytes) -> Result<Map<String, Value>, VcitaError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(VcitaError::bad_request(vec![
            "the request body must be a JSON object".to_owned(),
        ])),
        Err(e) => Err(VcitaError::bad_request(vec![format!(
            "the request body is not valid JSON: {e}"
        )])),
    }
}

fn query_pairs(
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Vec<(String, String)>, VcitaError> {
    query
        .map(|Query(pairs)| pairs)
        .map_err(|e| VcitaError::bad_request(vec![format!("malformed query string: {e}")]))
}

fn status_error(status: tonic::Status) -> VcitaError {
    VcitaError::from_status(&status, &field_name)
}

/// `POST /v3/communication/voice_calls`.
pub async fn create(
    State(upstream): State<Upstream>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Answer<VoiceCallJson> {
    let token = token(&headers)?;
    let body = body.map_err(|r| VcitaError::body(&r))?;
    let body = json_object(&body)?;
    let mut reader = Reader::default();
    let dto = CreateVoiceCall::read(&mut reader, &body);
    let request = convert::create_request(&mut reader, dto);
    if !reader.ok() {
        return Err(VcitaError::fields(reader.errors));
    }
    let voice_call = boxed(
        upstream
            .voice_calls
            .clone()
            .create_voice_call(authorized(request, token)),
    )
    .await
    .map_err(status_error)?
    .into_inner();
    Ok(Json(Success::new(voice_call_json(&voice_call))))
}

/// `GET /v3/communication/voice_calls/{uid}`.
pub async fn get_one(
    State(upstream): State<Upstream>,
    Path(uid): Path<String>,
    headers: HeaderMap,
) -> Answer<VoiceCallJson> {
    let token = token(&headers)?;
    let request = pb::GetVoiceCallRequest {
        name: format!("voiceCalls/{uid}"),
    };
    let voice_call = boxed(
        upstream
            .voice_calls
            .clone()
            .get_voice_call(authorized(request, token)),
    )
    .await
    .map_err(status_error)?
    .into_inner();
    Ok(Json(Success::new(voice_call_json(&voice_call))))
}

/// `PUT /v3/communication/voice_calls/{uid}`: a partial update.
pub async fn update(
    State(upstream): State<Upstream>,
    Path(uid): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Answer<VoiceCallJson> {
    let token = token(&headers)?;
    let body = body.map_err(|r| VcitaError::body(&r))?;
    let body = json_object(&body)?;
    let mut reader = Reader::default();
    let dto = UpdateVoiceCall::read(&mut reader, &body);
    if dto.is_empty() && reader.ok() {
        return Err(VcitaError::bad_request(vec![
            "the body names no field to update".to_owned(),
        ]));
    }
    let request = convert::update_request(&mut reader, &uid, dto);
    if !reader.ok() {
        return Err(VcitaError::fields(reader.errors));
    }
    let voice_call = boxed(
        upstream
            .voice_calls
            .clone()
            .update_voice_call(authorized(request, token)),
    )
    .await
    .map_err(status_error)?
    .into_inner();
    Ok(Json(Success::new(voice_call_json(&voice_call))))
}

/// `GET /v3/communication/voice_calls?page=&per_page=&sort=&filter[…]=`.
pub async fn list(
    State(upstream): State<Upstream>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Answer<VoiceCallList> {
    let token = token(&headers)?;
    let pairs = query_pairs(query)?;
    let mut reader = Reader::default();
    let request = convert::list_request(&mut reader, &pairs);
    if !reader.ok() {
        return Err(VcitaError::fields(reader.errors));
    }
    let page = boxed(
        upstream
            .voice_calls
            .clone()
            .list_voice_calls(authorized(request, token)),
    )
    .await
    .map_err(status_error)?
    .into_inner();
    Ok(Json(Success::new(VoiceCallList {
        voice_calls: page.voice_calls.iter().map(voice_call_json).collect(),
    })))
}

/// `GET /v3/communication/voice_calls/{uid}/transcript`; 404 when the call
/// has no transcript messages.
pub async fn transcript(
    State(upstream): State<Upstream>,
    Path(uid): Path<String>,
    headers: HeaderMap,
) -> Answer<Transcript> {
    let token = token(&headers)?;
    let name = format!("voiceCalls/{uid}");
    let voice_call = boxed(
        upstream
            .voice_calls
            .clone()
            .get_voice_call(authorized(pb::GetVoiceCallRequest { name: name.clone() }, token)),
    )
    .await
    .map_err(status_error)?
    .into_inner();
    let mut messages = Vec::new();
    let mut page_token = String::new();
    for _ in 0..MAX_TRANSCRIPT_PAGES {
        let request = pb::ListVoiceCallMessagesRequest {
            parent: name.clone(),
            page_size: 1000,
            page_token,
        };
        let page = boxed(
            upstream
                .voice_calls
                .clone()
                .list_voice_call_messages(authorized(request, token)),
        )
        .await
        .map_err(status_error)?
        .into_inner();
        messages.extend(page.messages);
        page_token = page.next_page_token;
        if page_token.is_empty() {
            break;
        }
    }
    if messages.is_empty() {
        return Err(VcitaError::not_found(format!(
            "Transcript of voice call {uid} not found"
        )));
    }
    let micros = |t: &Option<prost_types::Timestamp>| {
        t.as_ref()
            .map(|t| t.seconds * 1_000_000 + i64::from(t.nanos) / 1000)
    };
    // Offsets are from the call's start, or from the first utterance when
    // the start is unknown.
    let origin = micros(&voice_call.start_time)
        .or_else(|| messages.iter().filter_map(|m| micros(&m.start_time)).min())
        .unwrap_or_default();
    let transcript = messages
        .iter()
        .map(|m| TranscriptLine {
            timestamp: ((micros(&m.start_time).unwrap_or(origin) - origin) / 1000) as f64 / 1000.0,
            speaker_role: speaker_role(m.sender_type),
            text: m.content.clone(),
        })
        .collect();
    Ok(Json(Success::new(Transcript {
        transcript_uid: voice_call.id,
        status: convert::transcript_status(voice_call.transcript_status).unwrap_or("IN_PROGRESS"),
        transcript,
    })))
}

fn date(reader: &mut Reader, field: &str, value: Option<&String>) -> Option<chrono::NaiveDate> {
    let value = value?;
    match chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            reader.error(
                field,
                format!("{field} must be a date as YYYY-MM-DD, got {value:?}"),
            );
            None
        }
    }
}

fn midnight(d: chrono::NaiveDate) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: d.and_time(chrono::NaiveTime::MIN).and_utc().timestamp(),
        nanos: 0,
    }
}

/// `GET /v3/communication/voice_calls/reports/voice_call_stats?start_date=
/// &end_date=&status=`: calls created in the period (both days included).
pub async fn stats(
    State(upstream): State<Upstream>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Answer<Stats> {
    let token = token(&headers)?;
    let pairs: BTreeMap<String, String> = query_pairs(query)?.into_iter().collect();
    let mut reader = Reader::default();
    let start = date(&mut reader, "start_date", pairs.get("start_date"));
    let end = date(&mut reader, "end_date", pairs.get("end_date"));
    let status = pairs.get("status").filter(|s| !s.is_empty());
    let state = status.and_then(|s| {
        let state = status_state(s);
        if state.is_none() {
            reader.error(
                "status",
                format!(
                    "status must be one of {}, got {s:?}",
                    convert::STATUSES.join(", ")
                ),
            );
        }
        state
    });
    if let (Some(start), Some(end)) = (start, end)
        && end < start
    {
        reader.error("end_date", "end_date must not be before start_date");
    }
    if !reader.ok() {
        return Err(VcitaError::fields(reader.errors));
    }
    let request = pb::GetVoiceCallStatsRequest {
        start_time: start.map(midnight),
        // The day after `end_date`; none after 9999-12-31 (nothing is later).
        end_time: end
            .and_then(|d| d.succ_opt())
            .filter(|d| d.year() <= 9999)
            .map(midnight),
        states: state.map(|s| vec![s.into()]).unwrap_or_default(),
    };
    let stats = boxed(
        upstream
            .voice_calls
            .clone()
            .get_voice_call_stats(authorized(request, token)),
    )
    .await
    .map_err(|s| {
        VcitaError::from_status(&s, &|path| match path {
            "start_time" => "start_date".to_owned(),
            "end_time" => "end_date".to_owned(),
            "states" => "status".to_owned(),
            other => field_name(other),
        })
    })?
    .into_inner();
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    for row in &stats.state_counts {
        let shown = render_status(row.state, row.state_literal.as_ref());
        if status.is_none_or(|s| *s == shown) {
            *counts.entry(shown).or_default() += row.count;
        }
    }
    Ok(Json(Success::new(Stats {
        total_voice_calls: counts.values().sum(),
        status_counts: counts
            .into_iter()
            .map(|(status, count)| StatusCount { status, count })
            .collect(),
        start_date: pairs.get("start_date").cloned(),
        end_date: pairs.get("end_date").cloned(),
    })))
}

/// A documented route this server does not serve.
pub async fn not_implemented(uri: OriginalUri) -> VcitaError {
    VcitaError::not_implemented(uri.path())
}

/// Properties of the stats report's date parameters.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn dates_never_panic(text in "\\PC{0,30}") {
            let mut reader = Reader::default();
            if let Some(day) = date(&mut reader, "start_date", Some(&text)) {
                let _ = midnight(day);
                let _ = day.succ_opt().map(midnight);
            }
        }

        #[test]
        fn days_are_read_and_start_at_midnight_utc(days in 0i64..2_932_896) {
            let day = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::Days::new(days as u64);
            let text = day.format("%Y-%m-%d").to_string();
            let mut reader = Reader::default();
            prop_assert_eq!(date(&mut reader, "start_date", Some(&text)), Some(day));
            prop_assert!(reader.ok());
            prop_assert_eq!(midnight(day).seconds, days * 86_400);
        }

        #[test]
        fn other_shapes_are_refused(text in prop_oneof!["[0-9]{1,3}/[0-9]{1,2}/[0-9]{4}", "[a-z]{1,10}", "2026-1[3-9]-01", "2026-02-3[0-9]"]) {
            let mut reader = Reader::default();
            prop_assert_eq!(date(&mut reader, "start_date", Some(&text)), None);
            prop_assert!(!reader.ok());
        }
    }
}
