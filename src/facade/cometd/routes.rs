//! The HTTP side: POST bodies of Bayeux messages in, a JSON array of
//! replies (and delivered messages) out.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::{Map, Value, json};

use super::channel::{self, Pattern};
use super::error::HttpError;
use super::protocol::{LONG_POLLING, Reconnect, Request, VERSION, advice, errors};
use super::session::{Session, Sessions};
use crate::facade::credentials;
use crate::facade::genesys::resource::base_uri;

/// `POST /api/v2/notifications[/…]`: the suffix the client appends
/// (`/handshake`, `/connect`, …) is informational; messages say what they
/// are.
pub async fn bayeux(State(sessions): State<Arc<Sessions>>, headers: HeaderMap, body: Body) -> Response {
    let limit = sessions.config.max_body;
    let bytes = match read_body(body, limit).await {
        Ok(bytes) => bytes,
        Err(error) => return error.into_response(),
    };
    let messages = match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Array(messages)) => messages,
        Ok(message @ Value::Object(_)) => vec![message],
        _ => return HttpError::Malformed.into_response(),
    };
    // Basic `user:token` (the Genesys dialect's shape) or a bearer token.
    let credential = credentials::bearer(&headers)
        .map(str::to_owned)
        .or_else(|| credentials::basic(&headers).map(|(_, token)| token));
    let replies = handle(&sessions, messages, credential, base_uri(&headers, None)).await;
    Json(replies).into_response()
}

/// Any GET, WebSocket upgrades included: refused, so clients fall back to
/// long-polling.
pub async fn no_websocket() -> Response {
    HttpError::NoWebSocket.into_response()
}

async fn read_body(body: Body, limit: usize) -> Result<Bytes, HttpError> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => Err(HttpError::TooLarge(limit)),
        Err(error) => {
            // The outer body limit reports itself the same way.
            if error.to_string().contains("length limit") {
                Err(HttpError::TooLarge(limit))
            } else {
                Err(HttpError::Malformed)
            }
        }
    }
}

async fn handle(
    sessions: &Arc<Sessions>,
    messages: Vec<Value>,
    credential: Option<String>,
    base_uri: String,
) -> Vec<Value> {
    let requests: Vec<Option<Request>> = messages.into_iter().map(Request::from_value).collect();
    // Other messages in the same request as a handshake are ignored.
    if let Some(handshake) = requests
        .iter()
        .flatten()
        .find(|r| r.channel() == Some("/meta/handshake"))
    {
        return vec![Value::Object(
            handshake_reply(sessions, handshake, credential, base_uri).await,
        )];
    }
    let mut replies: Vec<Map<String, Value>> = Vec::with_capacity(requests.len());
    let mut connect: Option<(Request, Arc<Session>)> = None;
    for request in requests {
        let Some(request) = request else {
            replies.push(invalid_message());
            continue;
        };
        let Some(channel) = request.channel().map(str::to_owned) else {
            replies.push(request.error(errors::invalid_message()));
            continue;
        };
        let Some(client_id) = request.client_id().map(str::to_owned) else {
            let mut reply = request.error(errors::no_client_id());
            reply.insert(
                "advice".to_owned(),
                advice(&sessions.config, Reconnect::Handshake),
            );
            replies.push(reply);
            continue;
        };
        let Some(session) = sessions.get(&client_id, credential.as_deref()) else {
            replies.push(unknown_client(sessions, &request, &client_id));
            continue;
        };
        match channel.as_str() {
            "/meta/connect" => {
                // Two connects in one request: the earlier is answered now.
                if let Some((earlier, _)) = connect.replace((request, session)) {
                    replies.push(connect_reply(sessions, &earlier, Reconnect::Retry));
                }
            }
            "/meta/subscribe" => replies.push(subscription(&session, &request, true)),
            "/meta/unsubscribe" => replies.push(subscription(&session, &request, false)),
            "/meta/disconnect" => {
                sessions.remove(&client_id);
                replies.push(request.reply(true));
            }
            meta if channel::is_meta(meta) => replies.push(request.error(errors::unknown_meta_channel(meta))),
            other => replies.push(request.error(errors::publish_denied(&client_id, other))),
        }
    }
    let mut out: Vec<Value> = Vec::new();
    if let Some((request, session)) = connect {
        match request.get("connectionType").and_then(Value::as_str) {
            Some(LONG_POLLING) | None => {
                let hold = hold_for(sessions, &request);
                let connected = session.connect(hold, &sessions.shutdown).await;
                out.extend(connected.messages);
                if connected.reconnect == Reconnect::Handshake {
                    replies.push(unknown_client(sessions, &request, &session.id));
                } else {
                    replies.push(connect_reply(sessions, &request, connected.reconnect));
                }
            }
            Some(other) => {
                let mut reply = request.error(errors::unsupported_connection_type(other));
                reply.insert("advice".to_owned(), advice(&sessions.config, Reconnect::Retry));
                replies.push(reply);
            }
        }
    }
    out.extend(replies.into_iter().map(Value::Object));
    out
}

/// How long to hold a connect: the server's timeout, or less if the client
/// asks (the first connect after a handshake asks for 0).
fn hold_for(sessions: &Sessions, request: &Request) -> Duration {
    let asked = request
        .get("advice")
        .and_then(|a| a.get("timeout"))
        .and_then(Value::as_u64)
        .map(Duration::from_millis);
    match asked {
        Some(asked) => asked.min(sessions.config.timeout),
        None => sessions.config.timeout,
    }
}

async fn handshake_reply(
    sessions: &Arc<Sessions>,
    request: &Request,
    credential: Option<String>,
    base_uri: String,
) -> Map<String, Value> {
    let fail = |error: String, reconnect: Reconnect| {
        let mut reply = request.error(error);
        reply.insert("version".to_owned(), Value::from(VERSION));
        reply.insert("supportedConnectionTypes".to_owned(), json!([LONG_POLLING]));
        reply.insert("advice".to_owned(), advice(&sessions.config, reconnect));
        reply
    };
    if sessions.shutdown.is_cancelled() {
        return fail(errors::unavailable("Server shutting down"), Reconnect::Retry);
    }
    if let Some(version) = request.get("version").and_then(Value::as_str)
        && !version.starts_with("1.")
    {
        return fail(errors::unsupported_version(version), Reconnect::None);
    }
    let offered: Vec<&str> = request
        .get("supportedConnectionTypes")
        .and_then(Value::as_array)
        .map(|types| types.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !offered.contains(&LONG_POLLING) {
        return fail(
            errors::unsupported_connection_types(&offered.join(",")),
            Reconnect::None,
        );
    }
    let Some(token) = credential else {
        return fail(errors::handshake_denied(), Reconnect::None);
    };
    match sessions.handshake(token, base_uri).await {
        Ok(session) => {
            let mut reply = request.reply(true);
            reply.insert("clientId".to_owned(), Value::from(session.id.as_str()));
            reply.insert("version".to_owned(), Value::from(VERSION));
            reply.insert("minimumVersion".to_owned(), Value::from(VERSION));
            reply.insert("supportedConnectionTypes".to_owned(), json!([LONG_POLLING]));
            reply.insert("advice".to_owned(), advice(&sessions.config, Reconnect::Retry));
            reply
        }
        Err((error, reconnect)) => fail(error, reconnect),
    }
}

fn connect_reply(sessions: &Sessions, request: &Request, reconnect: Reconnect) -> Map<String, Value> {
    let mut reply = request.reply(true);
    reply.insert("advice".to_owned(), advice(&sessions.config, reconnect));
    reply
}

fn unknown_client(sessions: &Sessions, request: &Request, client_id: &str) -> Map<String, Value> {
    let mut reply = request.error(errors::unknown_client(client_id));
    reply.insert(
        "advice".to_owned(),
        advice(&sessions.config, Reconnect::Handshake),
    );
    reply
}

fn invalid_message() -> Map<String, Value> {
    let mut reply = Map::new();
    reply.insert("successful".to_owned(), Value::Bool(false));
    reply.insert("error".to_owned(), Value::from(errors::invalid_message()));
    reply
}

/// `/meta/subscribe` (`add`) or `/meta/unsubscribe`: one name or pattern,
/// or an array of them, echoed back.
fn subscription(session: &Session, request: &Request, add: bool) -> Map<String, Value> {
    let names: Vec<&str> = match request.get("subscription") {
        Some(Value::String(name)) => vec![name.as_str()],
        Some(Value::Array(names)) if !names.is_empty() => {
            let parsed: Option<Vec<&str>> = names.iter().map(Value::as_str).collect();
            match parsed {
                Some(names) => names,
                None => {
                    return request.error(errors::invalid_channel(&Value::Array(names.clone()).to_string()));
                }
            }
        }
        _ => return request.error(errors::subscription_missing(&session.id)),
    };
    let mut patterns = Vec::with_capacity(names.len());
    for name in &names {
        let Some(pattern) = Pattern::parse(name) else {
            return with_subscription(request.error(errors::invalid_channel(name)), request);
        };
        if channel::is_meta(name) {
            return with_subscription(
                request.error(errors::subscription_denied(&session.id, name)),
                request,
            );
        }
        patterns.push(pattern);
    }
    for pattern in patterns {
        // Service channels are private request/response channels:
        // subscriptions to them are acknowledged, not recorded.
        if channel::is_service(pattern.as_str()) {
            continue;
        }
        if add {
            session.subscribe(pattern);
        } else {
            session.unsubscribe(&pattern);
        }
    }
    with_subscription(request.reply(true), request)
}

fn with_subscription(mut reply: Map<String, Value>, request: &Request) -> Map<String, Value> {
    if let Some(subscription) = request.get("subscription") {
        reply.insert("subscription".to_owned(), subscription.clone());
    }
    reply
}
