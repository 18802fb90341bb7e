//! Handlers of `/uapi/phoneCalls/...`: read the path, query and body, call
//! `PhoneCallService`, answer in UnifiedAPI's shapes.
//!
//! Addressing: `userId` `@me`, `@viewer` and `@owner` are the caller (calls
//! are owned by whoever placed them); a literal user id must be the caller's
//! own. An extension addresses the live calls charged to it; `@self`
//! addresses every live call the caller owns. Without a `phoneCallId`, PUT
//! and DELETE act on every call addressed, one gRPC call each: calls whose
//! state refuses the action are skipped, and the request fails only when
//! every call refused (with the first refusal) — 204 when none was
//! addressed.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use futures::future::BoxFuture;
use http::StatusCode;
use serde::de::DeserializeOwned;
use tonic::{Code, Status};

use super::Session;
use super::convert::{self, ActionRequest, LIVE};
use super::dto::{ActionBody, CreateBody, CreateQuery, HangUpBody, HungUp, ListQuery, Updated};
use super::error::Error;
use crate::domain::filter::quote;
use crate::domain::ids::{PhoneCallId, UserId};
use crate::domain::phone_call::parse_extension;
use crate::facade::Upstream;
use crate::facade::upstream::{Channel, authorized};
use crate::pb;
use crate::pb::phone_call::Type;
use crate::pb::phone_call_service_client::PhoneCallServiceClient;

/// Who the path's `userId` names.
enum User {
    /// `@me`, `@viewer` or `@owner`.
    Caller,
    /// A literal user id, which must be the caller's.
    Id(String),
}

/// Which calls the path's extension names.
enum Extension {
    /// `@self`: every call of the user.
    OfUser,
    /// The calls charged to this extension.
    Number(String),
}

/// The `{userId}/{extension}` part of a path.
struct Address {
    /// The `userId` segment as sent, reused in self links.
    user_segment: String,
    user: User,
    extension: Extension,
}

impl Address {
    fn parse(user_segment: String, extension: &str) -> Result<Self, Error> {
        let user = parse_user(&user_segment)?;
        let extension = match extension {
            "@self" => Extension::OfUser,
            number => Extension::Number(parse_extension("extension", number).map_err(|_| {
                Error::ExtensionInvalid(format!(
                    "Invalid extension {number:?}: use @self or an extension number such as 0003*210."
                ))
            })?),
        };
        Ok(Self {
            user_segment,
            user,
            extension,
        })
    }
}

fn parse_user(segment: &str) -> Result<User, Error> {
    match segment {
        "@me" | "@viewer" | "@owner" => Ok(User::Caller),
        id if !id.starts_with('@') && UserId::parse(id).is_ok() => Ok(User::Id(id.to_owned())),
        other => Err(Error::UserInvalid(format!(
            "Invalid userId {other:?}: use @me, @viewer, @owner or a user id."
        ))),
    }
}

/// The call id of a `phoneCallId` segment.
fn call_id(segment: &str) -> Result<PhoneCallId, Error> {
    PhoneCallId::parse("phoneCallId", segment)
        .map_err(|_| Error::PhoneCallInvalid(format!("Invalid phoneCallId {segment:?}.")))
}

fn not_found() -> Error {
    // Exactly what a missing call reads as (see error.rs), so a call under
    // another extension or user gives nothing away.
    Error::Upstream(Status::not_found("phone call not found"))
}

/// A JSON body; an empty one is the default value unless `required`.
fn json<T: DeserializeOwned + Default>(body: &Bytes, required: bool) -> Result<T, Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return if required {
            Err(Error::Invalid("A JSON body is required.".to_owned()))
        } else {
            Ok(T::default())
        };
    }
    serde_json::from_slice(body).map_err(|e| Error::Invalid(format!("Invalid JSON body: {e}")))
}

/// `http://{host}/uapi/phoneCalls/{userId as sent}/{extension}/{id}`.
fn self_url(session: &Session, user_segment: &str, call: &pb::PhoneCall) -> String {
    format!(
        "{}/uapi/phoneCalls/{user_segment}/{}/{}",
        session.base_url, call.extension, call.id
    )
}

/// The gRPC client with the caller's credential.
struct Api {
    client: PhoneCallServiceClient<Channel>,
    token: String,
}

impl Api {
    fn new(upstream: &Upstream, session: &Session) -> Self {
        Self {
            client: upstream.phone_calls.clone(),
            token: session.token.clone(),
        }
    }

    /// The caller's user id.
    async fn owner(&mut self) -> Result<String, Error> {
        let request = authorized(pb::GetPhoneCallOwnerRequest {}, &self.token);
        Ok(unary(self.client.get_phone_call_owner(request)).await?.id)
    }

    /// Refuses a literal `userId` that is not the caller; returns the
    /// caller's id when it had to be fetched.
    async fn check_user(&mut self, user: &User) -> Result<Option<String>, Error> {
        match user {
            User::Caller => Ok(None),
            User::Id(id) => {
                let owner = self.owner().await?;
                if owner == *id {
                    Ok(Some(owner))
                } else {
                    Err(Error::AccessDenied)
                }
            }
        }
    }

    /// The filter selecting the live calls an address names.
    async fn scope(&mut self, address: &Address) -> Result<String, Error> {
        let known = self.check_user(&address.user).await?;
        let target = match &address.extension {
            Extension::Number(extension) => format!("extension = {}", quote(extension)),
            Extension::OfUser => {
                let owner = match known {
                    Some(owner) => owner,
                    None => self.owner().await?,
                };
                format!("owner_id = {}", quote(&owner))
            }
        };
        Ok(format!("{target} AND {LIVE}"))
    }

    /// Every live call an address names, across pages.
    async fn live_calls(&mut self, address: &Address) -> Result<Vec<pb::PhoneCall>, Error> {
        let mut request = pb::ListPhoneCallsRequest {
            filter: self.scope(address).await?,
            page_size: i32::try_from(convert::MAX_COUNT).unwrap_or(i32::MAX),
            ..Default::default()
        };
        let mut calls = Vec::new();
        loop {
            let page = self.list(request.clone()).await?;
            calls.extend(page.phone_calls);
            if page.next_page_token.is_empty() {
                return Ok(calls);
            }
            request.page_token = page.next_page_token;
        }
    }

    /// The call `id`, provided the address names it.
    async fn call_at(&mut self, address: &Address, id: &PhoneCallId) -> Result<pb::PhoneCall, Error> {
        let known = self.check_user(&address.user).await?;
        let call = self.get(format!("phoneCalls/{id}")).await?;
        let addressed = match &address.extension {
            Extension::Number(extension) => call.extension == *extension,
            Extension::OfUser => {
                let owner = match known {
                    Some(owner) => owner,
                    None => self.owner().await?,
                };
                call.owner_id == owner
            }
        };
        if addressed { Ok(call) } else { Err(not_found()) }
    }

    fn act(&mut self, request: ActionRequest) -> BoxFuture<'_, Result<pb::PhoneCall, Status>> {
        let token = self.token.as_str();
        let client = &mut self.client;
        match request {
            ActionRequest::Park(r) => unary(client.park_phone_call(authorized(r, token))),
            ActionRequest::Unpark(r) => unary(client.unpark_phone_call(authorized(r, token))),
            ActionRequest::Hold(r) => unary(client.hold_phone_call(authorized(r, token))),
            ActionRequest::Unhold(r) => unary(client.unhold_phone_call(authorized(r, token))),
            ActionRequest::StartRecording(r) => {
                unary(client.start_phone_call_recording(authorized(r, token)))
            }
            ActionRequest::StopRecording(r) => unary(client.stop_phone_call_recording(authorized(r, token))),
            ActionRequest::PickUp(r) => unary(client.pick_up_phone_call(authorized(r, token))),
            ActionRequest::BargeIn(r) => unary(client.barge_in_phone_call(authorized(r, token))),
            ActionRequest::Whisper(r) => unary(client.whisper_phone_call(authorized(r, token))),
            ActionRequest::Monitor(r) => unary(client.monitor_phone_call(authorized(r, token))),
            ActionRequest::Transfer(r) => unary(client.transfer_phone_call(authorized(r, token))),
            ActionRequest::TransferToVoicemail(r) => {
                unary(client.transfer_phone_call_to_voicemail(authorized(r, token)))
            }
        }
    }

    fn hang_up(
        &mut self,
        name: String,
        phone_number: String,
    ) -> BoxFuture<'_, Result<pb::PhoneCall, Status>> {
        let request = authorized(pb::HangUpPhoneCallRequest { name, phone_number }, &self.token);
        unary(self.client.hang_up_phone_call(request))
    }

    fn create(
        &mut self,
        request: pb::CreatePhoneCallRequest,
    ) -> BoxFuture<'_, Result<pb::PhoneCall, Status>> {
        let request = authorized(request, &self.token);
        unary(self.client.create_phone_call(request))
    }

    fn get(&mut self, name: String) -> BoxFuture<'_, Result<pb::PhoneCall, Status>> {
        let request = authorized(pb::GetPhoneCallRequest { name }, &self.token);
        unary(self.client.get_phone_call(request))
    }

    fn list(
        &mut self,
        request: pb::ListPhoneCallsRequest,
    ) -> BoxFuture<'_, Result<pb::ListPhoneCallsResponse, Status>> {
        let request = authorized(request, &self.token);
        unary(self.client.list_phone_calls(request))
    }
}

/// A unary call's message, as a boxed `Send` future. Boxing here, where the
/// client's types are concrete, keeps the handlers' futures provably `Send`:
/// awaited directly inside an `async fn` handler, rustc fails to prove it
/// through the higher-ranked bounds of tonic's generic client ("implementation
/// of `Send` is not general enough").
fn unary<'a, T>(
    call: impl Future<Output = Result<tonic::Response<T>, Status>> + Send + 'a,
) -> BoxFuture<'a, Result<T, Status>> {
    Box::pin(async move { call.await.map(tonic::Response::into_inner) })
}

/// What a bulk PUT or DELETE does to each call.
enum Bulk {
    /// A `PhoneCallAction`.
    Act(ActionRequest),
    /// A hang-up, of one party when the number is set.
    HangUp(String),
}

/// Applies `operation` to every call; see the module docs for refusals.
async fn for_each(
    api: &mut Api,
    calls: Vec<pb::PhoneCall>,
    operation: Bulk,
) -> Result<Vec<pb::PhoneCall>, Error> {
    let mut done = Vec::with_capacity(calls.len());
    let mut refused = None;
    for call in calls {
        let result = match &operation {
            Bulk::Act(action) => api.act(action.for_call(call.name)).await,
            Bulk::HangUp(number) => api.hang_up(call.name, number.clone()).await,
        };
        match result {
            Ok(call) => done.push(call),
            Err(status) if status.code() == Code::FailedPrecondition => {
                refused.get_or_insert(status);
            }
            Err(status) => return Err(status.into()),
        }
    }
    match refused {
        Some(status) if done.is_empty() => Err(status.into()),
        _ => Ok(done),
    }
}

/// 200 with `items` as a JSON array, or 204 when there are none.
fn array<T: serde::Serialize>(items: Vec<T>) -> Response {
    if items.is_empty() {
        StatusCode::NO_CONTENT.into_response()
    } else {
        Json(items).into_response()
    }
}

/// `POST /phoneCalls/{userId}/simple|callback|conferenceInvite`.
pub(super) async fn create(
    State(upstream): State<Upstream>,
    session: Session,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<CreateQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Error> {
    let Path((user_segment, kind)) = path?;
    let user = parse_user(&user_segment)?;
    let Some(kind) = convert::call_type(&kind) else {
        return Err(Error::NotImplemented(format!(
            "POST /uapi/phoneCalls/{user_segment}/{kind} is not implemented; create calls with simple, \
             callback or conferenceInvite."
        )));
    };
    let Query(query) = query?;
    let requests = convert::create_requests(kind, &query, json::<CreateBody>(&body?, false)?)?;
    let mut api = Api::new(&upstream, &session);
    api.check_user(&user).await?;
    let mut created = Vec::with_capacity(requests.len());
    for request in requests {
        let call = api.create(request).await?;
        let url = self_url(&session, &user_segment, &call);
        created.push(convert::call_ref(&call, url, kind == Type::Simple));
    }
    Ok(array(created))
}

async fn listing(api: &mut Api, scope: &str, query: &ListQuery) -> Result<Response, Error> {
    let (request, shape) = convert::list_request(scope, query)?;
    let response = api.list(request).await?;
    if response.phone_calls.is_empty() {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    Ok(Json(convert::collection(&response, shape)).into_response())
}

/// `GET /phoneCalls/{userId}/{extension}`.
pub(super) async fn list(
    State(upstream): State<Upstream>,
    session: Session,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, Error> {
    let Path((user_segment, extension)) = path?;
    let address = Address::parse(user_segment, &extension)?;
    let Query(query) = query?;
    let mut api = Api::new(&upstream, &session);
    let scope = api.scope(&address).await?;
    listing(&mut api, &scope, &query).await
}

/// `GET /phoneCalls/{userId}/{extension}/{phoneCallId}`.
pub(super) async fn list_one(
    State(upstream): State<Upstream>,
    session: Session,
    path: Result<Path<(String, String, String)>, PathRejection>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, Error> {
    let Path((user_segment, extension, id)) = path?;
    let address = Address::parse(user_segment, &extension)?;
    let id = call_id(&id)?;
    let Query(query) = query?;
    let mut api = Api::new(&upstream, &session);
    let scope = format!("{} AND id = {}", api.scope(&address).await?, quote(id.as_str()));
    listing(&mut api, &scope, &query).await
}

/// `PUT /phoneCalls/{userId}/{extension}/{phoneCallId}`: `{"PhoneCall":
/// {id, extension, link}}`.
pub(super) async fn act_on_one(
    State(upstream): State<Upstream>,
    session: Session,
    path: Result<Path<(String, String, String)>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Error> {
    let Path((user_segment, extension, id)) = path?;
    let address = Address::parse(user_segment, &extension)?;
    let id = call_id(&id)?;
    let action = convert::action_request(json::<ActionBody>(&body?, true)?)?;
    let mut api = Api::new(&upstream, &session);
    let call = api.call_at(&address, &id).await?;
    let call = api.act(action.for_call(call.name)).await?;
    let url = self_url(&session, &address.user_segment, &call);
    Ok(Json(Updated {
        phone_call: convert::call_ref(&call, url, false),
    })
    .into_response())
}

/// `PUT /phoneCalls/{userId}/{extension}`: every live call addressed; a
/// JSON array of `{id, extension, link}`, or 204.
pub(super) async fn act_on_all(
    State(upstream): State<Upstream>,
    session: Session,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Error> {
    let Path((user_segment, extension)) = path?;
    let address = Address::parse(user_segment, &extension)?;
    let action = convert::action_request(json::<ActionBody>(&body?, true)?)?;
    let mut api = Api::new(&upstream, &session);
    let calls = api.live_calls(&address).await?;
    let updated = for_each(&mut api, calls, Bulk::Act(action)).await?;
    Ok(array(
        updated
            .iter()
            .map(|call| convert::call_ref(call, self_url(&session, &address.user_segment, call), false))
            .collect(),
    ))
}

/// `DELETE` (or, as cURL sends `--data-binary` without `-X DELETE`, `POST`)
/// `/phoneCalls/{userId}/{extension}/{phoneCallId}`: `[{"id"}]`.
pub(super) async fn hang_up_one(
    State(upstream): State<Upstream>,
    session: Session,
    path: Result<Path<(String, String, String)>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Error> {
    let Path((user_segment, extension, id)) = path?;
    let address = Address::parse(user_segment, &extension)?;
    let id = call_id(&id)?;
    let phone_number = convert::hang_up_number(json::<HangUpBody>(&body?, false)?);
    let mut api = Api::new(&upstream, &session);
    let call = api.call_at(&address, &id).await?;
    let call = api.hang_up(call.name, phone_number).await?;
    Ok(array(vec![HungUp { id: call.id }]))
}

/// `DELETE /phoneCalls/{userId}/{extension}`: every live call addressed;
/// `[{"id"}, …]`, or 204.
pub(super) async fn hang_up_all(
    State(upstream): State<Upstream>,
    session: Session,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Error> {
    let Path((user_segment, extension)) = path?;
    let address = Address::parse(user_segment, &extension)?;
    let phone_number = convert::hang_up_number(json::<HangUpBody>(&body?, false)?);
    let mut api = Api::new(&upstream, &session);
    let calls = api.live_calls(&address).await?;
    let hung_up = for_each(&mut api, calls, Bulk::HangUp(phone_number)).await?;
    Ok(array(
        hung_up.into_iter().map(|call| HungUp { id: call.id }).collect(),
    ))
}
