//! Salesforce handlers: read the body, convert, call `VoiceCallService`,
//! answer with Salesforce's shapes.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{OriginalUri, Path, State};
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use serde_json::{Map, Value};

use super::convert::{self, create_field, message_field, update_field};
use super::dto::{
    AcceptedResponse, BulkMessages, CreateResponse, CreateVoiceCall, Message, PendingResponse,
    UpdateVoiceCall,
};
use super::error::SfError;
use super::xml;
use crate::facade::Upstream;
use crate::facade::credentials::bearer;
use crate::facade::fields::Reader;
use crate::facade::upstream::{authorized, boxed};
use crate::pb;

/// The custom header naming the telephony provider.
const PROVIDER_HEADER: &str = "telephony-provider-name";

/// A request body as a JSON object, and whether it came as XML.
fn read_body(headers: &HeaderMap, body: &Bytes) -> Result<(Map<String, Value>, bool), SfError> {
    let media = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(|v| {
        v.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    });
    let xml = match media.as_deref() {
        // Salesforce requires the header; a missing one is read as JSON.
        None | Some("application/json") => false,
        Some("application/xml" | "text/xml") => true,
        Some(other) if other.ends_with("+json") => false,
        Some(other) if other.ends_with("+xml") => true,
        Some(_) => return Err(SfError::unsupported_media_type()),
    };
    if xml {
        let text = std::str::from_utf8(body).map_err(|e| SfError::malformed(true, e))?;
        let map = xml::to_json(text).map_err(|e| SfError::malformed(true, e))?;
        return Ok((map, true));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok((map, false)),
        Ok(_) => Err(SfError::malformed(false, "expected a JSON object")),
        Err(e) => Err(SfError::malformed(false, e)),
    }
}

fn token(headers: &HeaderMap) -> Result<&str, SfError> {
    bearer(headers).ok_or_else(SfError::missing_credentials)
}

/// `POST /telephony/v1/voiceCalls`.
pub async fn create(
    State(upstream): State<Upstream>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<CreateResponse>, SfError> {
    let token = token(&headers)?;
    let body = body.map_err(|r| SfError::body(&r))?;
    let (body, xml) = read_body(&headers, &body)?;
    let mut reader = Reader::new(xml);
    let dto = CreateVoiceCall::read(&mut reader, &body);
    let provider = headers
        .get(PROVIDER_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let request = convert::create_request(&mut reader, dto, provider);
    if !reader.ok() {
        return Err(SfError::fields(reader.errors));
    }
    let voice_call = boxed(
        upstream
            .voice_calls
            .clone()
            .create_voice_call(authorized(request, token)),
    )
    .await
    .map_err(|s| SfError::from_status(&s, &create_field))?
    .into_inner();
    Ok(Json(CreateResponse {
        voice_call_id: voice_call.id,
        errors: Vec::new(),
    }))
}

/// `PATCH /telephony/v1/voiceCalls/{CALL ID}`: the id or the vendor key.
pub async fn update(
    State(upstream): State<Upstream>,
    Path(call_id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<PendingResponse>, SfError> {
    let token = token(&headers)?;
    let body = body.map_err(|r| SfError::body(&r))?;
    let (body, xml) = read_body(&headers, &body)?;
    let mut reader = Reader::new(xml);
    let dto = UpdateVoiceCall::read(&mut reader, &body);
    let request = convert::update_request(&mut reader, &call_id, dto);
    if !reader.ok() {
        return Err(SfError::fields(reader.errors));
    }
    boxed(
        upstream
            .voice_calls
            .clone()
            .update_voice_call(authorized(request, token)),
    )
    .await
    .map_err(|s| SfError::from_status(&s, &update_field))?
    .into_inner();
    Ok(Json(PendingResponse { status: "pending" }))
}

async fn store_messages(
    upstream: &Upstream,
    token: &str,
    parent: String,
    requests: Vec<pb::CreateVoiceCallMessageRequest>,
    names: Vec<String>,
) -> Result<Json<AcceptedResponse>, SfError> {
    let request = pb::BatchCreateVoiceCallMessagesRequest { parent, requests };
    boxed(
        upstream
            .voice_calls
            .clone()
            .batch_create_voice_call_messages(authorized(request, token)),
    )
    .await
    .map_err(|s| SfError::from_status(&s, &|path| message_field(&names, path)))?
    .into_inner();
    Ok(Json(AcceptedResponse { result: "Accepted" }))
}

/// `POST /telephony/v1/voiceCalls/{vendorCallKey}/messages`: one utterance.
pub async fn messages(
    State(upstream): State<Upstream>,
    Path(call_id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<AcceptedResponse>, SfError> {
    let token = token(&headers)?;
    let body = body.map_err(|r| SfError::body(&r))?;
    let (body, xml) = read_body(&headers, &body)?;
    let mut reader = Reader::new(xml);
    let dto = Message::read(&mut reader, &body, "");
    let message = convert::message(&mut reader, "", &dto);
    if !reader.ok() {
        return Err(SfError::fields(reader.errors));
    }
    let parent = format!("voiceCalls/{call_id}");
    let request = pb::CreateVoiceCallMessageRequest {
        parent: parent.clone(),
        message: Some(message),
    };
    store_messages(&upstream, token, parent, vec![request], vec![String::new()]).await
}

/// `POST /telephony/v1/voiceCalls/messages`: utterances of several calls.
pub async fn bulk_messages(
    State(upstream): State<Upstream>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<AcceptedResponse>, SfError> {
    let token = token(&headers)?;
    let body = body.map_err(|r| SfError::body(&r))?;
    let (body, xml) = read_body(&headers, &body)?;
    let mut reader = Reader::new(xml);
    let dto = BulkMessages::read(&mut reader, &body);
    let mut requests = Vec::new();
    let mut names = Vec::new();
    for (e, (key, messages)) in dto.entries.iter().enumerate() {
        for (m, message) in messages.iter().enumerate() {
            let name = format!("entries[{e}].messages[{m}]");
            let message = convert::message(&mut reader, &name, message);
            requests.push(pb::CreateVoiceCallMessageRequest {
                parent: format!("voiceCalls/{}", key.as_deref().unwrap_or_default()),
                message: Some(message),
            });
            names.push(name);
        }
    }
    if !reader.ok() {
        return Err(SfError::fields(reader.errors));
    }
    store_messages(&upstream, token, "voiceCalls/-".to_owned(), requests, names).await
}

/// A documented route this server does not serve.
pub async fn not_implemented(uri: OriginalUri) -> SfError {
    SfError::not_implemented(uri.path())
}
