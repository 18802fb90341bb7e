//! The handlers of the UCS interaction routes.
//!
//! An operation (`POST`) is validated, performed through the gRPC API, and
//! its result published with `EventService.PublishNotification` on
//! [`UCS_TOPIC`] for the caller's CometD session; the returned event's
//! `sequence` is the `referenceId` of the synchronous reply
//! `{"statusCode":0,"referenceId":N}` (so it is unique and increases per
//! client). The CometD layer merges `referenceId` into the data it delivers.
//! A failed operation is answered synchronously with its non-zero statusCode
//! and publishes nothing.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use http::{HeaderMap, Method, Uri};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::auth::Credential;
use super::convert::{self, History};
use super::dto::{self, Accepted, Param};
use super::error::{Context, Error, code};
use super::resource::{base_uri, interaction_json};
use crate::api::convert::common::json_to_struct;
use crate::facade::Upstream;
use crate::facade::upstream::{authorized, boxed};
use crate::pb;

/// The notification topic of every UCS result message (agreed with the
/// CometD layer, which delivers it to the caller's session).
pub const UCS_TOPIC: &str = "/v2/me/ucs";

/// `POST /api/v2/ucs/interactions`.
pub async fn operate_on_collection(
    State(upstream): State<Upstream>,
    credential: Credential,
    headers: HeaderMap,
    uri: Uri,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Error> {
    let (operation, body) = operation(body)?;
    let call = Call {
        upstream,
        credential,
        base_uri: base_uri(&headers, uri.authority().map(|a| a.as_str())),
    };
    match operation.as_str() {
        "FindPhoneCall" => call.find_phone_call(parse(&body)?).await,
        "RetrieveInteractionHistory" => call.history(History::Interactions, parse(&body)?).await,
        "RetrieveAgentHistory" => call.history(History::Agent, parse(&body)?).await,
        other => Err(unsupported(
            other,
            &[
                "FindPhoneCall",
                "RetrieveInteractionHistory",
                "RetrieveAgentHistory",
            ],
        )),
    }
}

/// `POST /api/v2/ucs/interactions/{id}`.
pub async fn operate_on_interaction(
    State(upstream): State<Upstream>,
    credential: Credential,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Error> {
    let id = interaction_id(path)?;
    let (operation, body) = operation(body)?;
    let call = Call {
        upstream,
        credential,
        base_uri: String::new(),
    };
    match operation.as_str() {
        "SetCallCompleted" => call.set_call_completed(&id, parse(&body)?).await,
        "SetCallNote" => call.set_call_note(&id, parse(&body)?).await,
        "SetCallContact" => call.set_call_contact(&id, parse(&body)?).await,
        other => Err(unsupported(
            other,
            &["SetCallCompleted", "SetCallNote", "SetCallContact"],
        )),
    }
}

/// `POST /api/v2/ucs/contacts/{id}/interactions`.
pub async fn operate_on_contact(
    State(upstream): State<Upstream>,
    credential: Credential,
    headers: HeaderMap,
    uri: Uri,
    path: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Error> {
    let contact = match path {
        Ok(Path(contact)) if !contact.is_empty() => contact,
        _ => return Err(Error::new(code::NOT_FOUND, "no such contact")),
    };
    let (operation, body) = operation(body)?;
    if operation != "RetrieveContactHistory" {
        return Err(unsupported(&operation, &["RetrieveContactHistory"]));
    }
    let call = Call {
        upstream,
        credential,
        base_uri: base_uri(&headers, uri.authority().map(|a| a.as_str())),
    };
    call.history(History::Contact(contact), parse(&body)?).await
}

/// `GET /api/v2/ucs/interactions`: `{"statusCode":0,"interactions":[…],
/// "totalCount":N}`.
pub async fn list(
    State(upstream): State<Upstream>,
    credential: Credential,
    headers: HeaderMap,
    uri: Uri,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, Error> {
    let Query(query) = query.map_err(|r| Error::query(&r))?;
    let request = convert::list(query)?;
    let context = Context {
        operation: "GET interactions",
        fields: convert::LIST_FIELDS,
    };
    let page = boxed(
        upstream
            .interactions
            .clone()
            .list_interactions(authorized(request, &credential.token)),
    )
    .await
    .map_err(|s| Error::from_status(&s, context))?
    .into_inner();
    let base = base_uri(&headers, uri.authority().map(|a| a.as_str()));
    let body = dto::InteractionCollection {
        status_code: 0,
        interactions: page
            .interactions
            .iter()
            .map(|i| interaction_json(i, &base))
            .collect(),
        total_count: i64::from(page.total_size),
    };
    Ok(with_csrf(&credential, body))
}

/// `GET /api/v2/ucs/interactions/{id}` and `GET /api/v2/interactions/{id}`
/// (where resource `uri`s point): `{"statusCode":0,"interaction":{…}}`.
pub async fn get(
    State(upstream): State<Upstream>,
    credential: Credential,
    headers: HeaderMap,
    uri: Uri,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, Error> {
    let id = interaction_id(path)?;
    let context = Context {
        operation: "GET interaction",
        fields: convert::GET_FIELDS,
    };
    let interaction = boxed(upstream.interactions.clone().get_interaction(authorized(
        pb::GetInteractionRequest {
            name: convert::name(&id),
        },
        &credential.token,
    )))
    .await
    .map_err(|s| Error::from_status(&s, context))?
    .into_inner();
    let base = base_uri(&headers, uri.authority().map(|a| a.as_str()));
    let body = dto::SingleInteraction {
        status_code: 0,
        interaction: interaction_json(&interaction, &base),
    };
    Ok(with_csrf(&credential, body))
}

/// Any other method on a Genesys route.
pub async fn method_not_allowed(method: Method, uri: Uri) -> Error {
    Error::method_not_allowed(&method, uri.path())
}

/// A successful GET, with the CSRF token the client must echo on writes.
fn with_csrf(credential: &Credential, body: impl Serialize) -> Response {
    let mut response = Json(body).into_response();
    credential.add_csrf_headers(&mut response);
    response
}

/// The interaction id of the path. An id that cannot name an interaction is
/// simply not found.
fn interaction_id(path: Result<Path<String>, PathRejection>) -> Result<String, Error> {
    match path {
        Ok(Path(id)) if !id.is_empty() && !id.contains('/') => Ok(id),
        Ok(Path(id)) => Err(Error::not_found(&id)),
        Err(_) => Err(Error::new(code::NOT_FOUND, "no such interaction")),
    }
}

/// The body as a JSON object, and its `operationName`.
fn operation(body: Result<Bytes, BytesRejection>) -> Result<(String, Value), Error> {
    let bytes = body.map_err(|r| Error::body(&r))?;
    let body: Value = serde_json::from_slice(&bytes)
        .map_err(|e| Error::validation(format!("the request body is not valid JSON: {e}")))?;
    if !body.is_object() {
        return Err(Error::validation("the request body must be a JSON object"));
    }
    let name = match dto::Operation::of(&body).operation_name {
        Param::Present(name) if !name.is_empty() => name,
        Param::Absent | Param::Present(_) => {
            return Err(Error::new(code::MISSING_PARAMETER, "operationName is required"));
        }
        Param::Invalid(why) => {
            return Err(Error::validation(format!(
                "operationName has the wrong type: {why}"
            )));
        }
    };
    Ok((name, body))
}

/// Statuscode 2: an `operationName` this resource does not support.
fn unsupported(name: &str, supported: &[&str]) -> Error {
    Error::new(
        code::INVALID_FOR_STATE,
        format!(
            "operationName {name:?} is not supported on this resource; supported: {}",
            supported.join(", ")
        ),
    )
}

/// An operation's parameters. Every field is a [`Param`], so this fails only
/// for a body that is not an object, which [`operation`] has ruled out.
fn parse<T: DeserializeOwned>(body: &Value) -> Result<T, Error> {
    T::deserialize(body).map_err(|e| Error::validation(e.to_string()))
}

/// One UCS operation of one caller.
struct Call {
    upstream: Upstream,
    credential: Credential,
    base_uri: String,
}

impl Call {
    async fn find_phone_call(self, body: dto::FindPhoneCall) -> Result<Response, Error> {
        let request = convert::find_phone_call(body)?;
        let context = Context {
            operation: "FindPhoneCall",
            fields: convert::FIND_FIELDS,
        };
        let found = boxed(
            self.upstream
                .interactions
                .clone()
                .find_or_create_phone_call_interaction(authorized(request, &self.credential.token)),
        )
        .await
        .map_err(|s| Error::from_status(&s, context))?
        .into_inner();
        let reference_id = self.publish(&convert::created(&found), context).await?;
        Ok(accepted(reference_id, false))
    }

    async fn set_call_completed(self, id: &str, body: dto::SetCallCompleted) -> Result<Response, Error> {
        let request = convert::set_call_completed(id, body)?;
        let context = Context {
            operation: "SetCallCompleted",
            fields: convert::COMPLETE_FIELDS,
        };
        boxed(
            self.upstream
                .interactions
                .clone()
                .complete_interaction(authorized(request, &self.credential.token)),
        )
        .await
        .map_err(|s| Error::from_status(&s, context))?;
        let reference_id = self.publish(&convert::ucs_success(), context).await?;
        Ok(accepted(reference_id, false))
    }

    async fn set_call_note(self, id: &str, body: dto::SetCallNote) -> Result<Response, Error> {
        let request = convert::set_call_note(id, body)?;
        let context = Context {
            operation: "SetCallNote",
            fields: convert::NOTE_FIELDS,
        };
        self.update(request, context).await?;
        let reference_id = self.publish(&convert::ucs_success(), context).await?;
        // The SetCallNote page documents the reply as `referendeId` (sic).
        Ok(accepted(reference_id, true))
    }

    async fn set_call_contact(self, id: &str, body: dto::SetCallContact) -> Result<Response, Error> {
        let request = convert::set_call_contact(id, body)?;
        let context = Context {
            operation: "SetCallContact",
            fields: convert::CONTACT_FIELDS,
        };
        self.update(request, context).await?;
        let reference_id = self.publish(&convert::ucs_success(), context).await?;
        // The page's sample reply is `{"statusCode":0}`; the referenceId is
        // added so clients can correlate the notification like for every
        // other operation (an extra attribute breaks no client).
        Ok(accepted(reference_id, false))
    }

    async fn history(self, kind: History, body: dto::RetrieveHistory) -> Result<Response, Error> {
        let search = convert::history(&kind, body, Utc::now())?;
        let context = Context {
            operation: kind.operation(),
            fields: convert::HISTORY_FIELDS,
        };
        let interactions = if search.archive {
            Vec::new()
        } else {
            boxed(
                self.upstream
                    .interactions
                    .clone()
                    .list_interactions(authorized(search.request, &self.credential.token)),
            )
            .await
            .map_err(|s| Error::from_status(&s, context))?
            .into_inner()
            .interactions
        };
        let message = convert::history_message(&interactions, &self.base_uri, &search.custom_attributes);
        let reference_id = self.publish(&message, context).await.map_err(|e| {
            if e.code == code::MISSING_PARAMETER || e.code == code::VALIDATION {
                // The only invalid part of a notification we build is its
                // size.
                Error::validation(format!(
                    "the {} interactions found do not fit in one notification; ask for fewer with maxSize",
                    interactions.len()
                ))
            } else {
                e
            }
        })?;
        Ok(accepted(reference_id, false))
    }

    async fn update(&self, request: pb::UpdateInteractionRequest, context: Context<'_>) -> Result<(), Error> {
        boxed(
            self.upstream
                .interactions
                .clone()
                .update_interaction(authorized(request, &self.credential.token)),
        )
        .await
        .map_err(|s| Error::from_status(&s, context))?;
        Ok(())
    }

    /// Publishes `message` for the caller's CometD session; its sequence is
    /// the `referenceId`.
    async fn publish(&self, message: &impl Serialize, context: Context<'_>) -> Result<i64, Error> {
        let Ok(Value::Object(data)) = serde_json::to_value(message) else {
            tracing::error!("a UCS result message did not serialise to a JSON object");
            return Err(Error::new(code::INTERNAL, "internal error"));
        };
        let request = pb::PublishNotificationRequest {
            topic: UCS_TOPIC.to_owned(),
            data: Some(json_to_struct(&data)),
        };
        let mut client = self.upstream.events.clone();
        let published = boxed(client.publish_notification(authorized(request, &self.credential.token))).await;
        match published {
            Ok(event) => Ok(event.into_inner().sequence),
            Err(status) => {
                // The operation itself went through; only the result could
                // not be published, which the client cannot tell.
                tracing::warn!(
                    operation = context.operation,
                    code = ?status.code(),
                    "publishing a UCS result failed"
                );
                Err(Error::from_status(
                    &status,
                    Context {
                        fields: &[],
                        ..context
                    },
                ))
            }
        }
    }
}

/// `{"statusCode":0,"referenceId":N}`, plus `referendeId` for `SetCallNote`.
fn accepted(reference_id: i64, with_legacy_spelling: bool) -> Response {
    Json(Accepted {
        status_code: 0,
        reference_id,
        referende_id: with_legacy_spelling.then_some(reference_id),
    })
    .into_response()
}
