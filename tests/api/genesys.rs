//! The Genesys Web Services dialect over real HTTP: the seed requests
//! replayed verbatim, the interaction history resource shape (seed 002), the
//! UCS operations and their notifications (read back from the outbox), the
//! history searches, CSRF and the Basic/Bearer matrix, bad input, and
//! exactly-once FindPhoneCall under concurrency.

use std::collections::BTreeSet;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use switchboard::pb::{
    GetInteractionRequest, Interaction, ListInteractionsRequest, UpdateInteractionRequest,
};
use switchboard::store::entity::event;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, authed};

const COLLECTION: &str = "/api/v2/ucs/interactions";

/// Seed 000's request, byte for byte.
const SEED_000_REQUEST: &str = r#"{
  "operationName": "FindPhoneCall",
  "callId": "1231331",
  "status": "InProgress",
  "contactId": "0000DaA3G4VF000Q",
  "phoneNumber": "1231231231",
  "type": "Inbound",
  "parentId": "XXXDDDD",
  "threadId": "A34XX6BA0FX",
  "userData": {"key1": "value1", "key2": "value2"}
}"#;

/// How a test request authenticates.
#[derive(Clone)]
enum Auth {
    None,
    /// Basic `user:token`, with the CSRF token to echo (if any).
    Basic {
        user: String,
        token: String,
        csrf: Option<String>,
    },
    Bearer(String),
}

impl Auth {
    fn basic(token: &str, csrf: Option<&str>) -> Auth {
        Auth::Basic {
            user: "agent".into(),
            token: token.into(),
            csrf: csrf.map(str::to_owned),
        }
    }

    fn apply(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            Auth::None => request,
            Auth::Basic { user, token, csrf } => {
                let request = request.header(
                    "authorization",
                    format!("Basic {}", STANDARD.encode(format!("{user}:{token}"))),
                );
                match csrf {
                    Some(csrf) => request.header("X-CSRF-TOKEN", csrf),
                    None => request,
                }
            }
            Auth::Bearer(token) => request.bearer_auth(token),
        }
    }
}

struct Reply {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// A failure envelope: exactly `statusCode` and `statusMessage`.
    fn failure(&self, http: u16, code: u64) -> String {
        assert_eq!(self.status.as_u16(), http, "{}", self.text);
        let body = self.json();
        let keys: Vec<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["statusCode", "statusMessage"], "{body}");
        assert_eq!(body["statusCode"], code, "{body}");
        body["statusMessage"].as_str().unwrap().to_owned()
    }

    /// `{"statusCode":0,"referenceId":N}`; returns N.
    fn accepted(&self) -> i64 {
        assert_eq!(self.status, StatusCode::OK, "{}", self.text);
        let body = self.json();
        let reference = body["referenceId"].as_i64().unwrap_or_else(|| panic!("{body}"));
        assert_eq!(body, json!({"statusCode": 0, "referenceId": reference}));
        reference
    }
}

async fn send(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.unwrap();
    Reply {
        status: response.status(),
        headers: response.headers().clone(),
        text: response.text().await.unwrap(),
    }
}

async fn post(app: &TestApp, path: &str, auth: &Auth, body: impl Into<String>) -> Reply {
    let request = reqwest::Client::new()
        .post(format!("{}{path}", app.url()))
        .header("content-type", "application/json")
        .body(body.into());
    send(auth.apply(request)).await
}

async fn get(app: &TestApp, path: &str, auth: &Auth) -> Reply {
    send(auth.apply(reqwest::Client::new().get(format!("{}{path}", app.url())))).await
}

/// Basic credentials of `token` with the CSRF token a GET returned for them.
async fn basic_with_csrf(app: &TestApp, token: &str) -> Auth {
    let reply = get(app, COLLECTION, &Auth::basic(token, None)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.headers["x-csrf-header"], "X-CSRF-TOKEN");
    let csrf = reply.headers["x-csrf-token"].to_str().unwrap();
    Auth::basic(token, Some(csrf))
}

/// The published notification with sequence `reference`: (topic, audience,
/// data).
async fn notification(app: &TestApp, reference: i64) -> (String, Option<String>, Value) {
    let row = event::Entity::find_by_id(reference)
        .one(app.store.reader())
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no event {reference}"));
    assert_eq!(row.resource_type, "NOTIFICATION");
    let payload: Value = serde_json::from_str(&row.payload).unwrap();
    (
        payload["topic"].as_str().unwrap().to_owned(),
        row.audience,
        payload["data"].clone(),
    )
}

/// The data of notification `reference`, checking it went to alice on the
/// UCS topic.
async fn data(app: &TestApp, reference: i64) -> Value {
    let (topic, audience, data) = notification(app, reference).await;
    assert_eq!(topic, "/v2/me/ucs");
    assert_eq!(audience.as_deref(), Some("alice"));
    data
}

async fn notification_count(app: &TestApp) -> u64 {
    event::Entity::find()
        .filter(event::Column::ResourceType.eq("NOTIFICATION"))
        .count(app.store.reader())
        .await
        .unwrap()
}

fn find_phone_call(call_id: &str) -> String {
    json!({
        "operationName": "FindPhoneCall", "callId": call_id, "status": "InProcess",
        "phoneNumber": "5550100", "type": "Outbound"
    })
    .to_string()
}

/// Creates an interaction over REST and returns its id.
async fn create(app: &TestApp, auth: &Auth, body: String) -> String {
    let reference = post(app, COLLECTION, auth, body).await.accepted();
    let (_, _, data) = notification(app, reference).await;
    data["interactionId"].as_str().unwrap().to_owned()
}

/// Asserts `yyyy-MM-dd HH:mm:ss.SSS+0000`.
fn assert_genesys_date(value: &Value) {
    let text = value.as_str().unwrap_or_else(|| panic!("not a date: {value}"));
    assert!(
        chrono::DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.3f%z").is_ok()
            && text.len() == 28
            && text.as_bytes()[10] == b' '
            && text.as_bytes()[19] == b'.'
            && text.ends_with("+0000"),
        "{text}"
    );
}

async fn grpc_get(app: &TestApp, id: &str) -> Interaction {
    app.interactions()
        .get_interaction(authed(
            GetInteractionRequest {
                name: format!("interactions/{id}"),
            },
            &app.token,
        ))
        .await
        .unwrap()
        .into_inner()
}

both_backends! {
    async fn seed_000_find_phone_call_replays_verbatim(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let auth = basic_with_csrf(&app, &app.token).await;

        let first = post(&app, COLLECTION, &auth, SEED_000_REQUEST).await.accepted();
        let data = data(&app, first).await;
        let id = data["interactionId"].as_str().unwrap().to_owned();
        assert_eq!(
            data,
            json!({"messageType": "createInteractionResponse", "interactionId": id, "isCreated": "true"})
        );

        let second = post(&app, COLLECTION, &auth, SEED_000_REQUEST).await.accepted();
        assert!(second > first, "{second} > {first}");
        assert_eq!(
            crate::genesys::data(&app, second).await,
            json!({"messageType": "createInteractionResponse", "interactionId": id, "isCreated": "false"})
        );

        // The history resource (seed 002 names) of the call; the request's
        // `InProgress` reads back as the resource spelling `InProcess`.
        let reply = get(&app, &format!("{COLLECTION}/{id}"), &auth).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert!(reply.headers.contains_key("x-csrf-token"));
        let body = reply.json();
        let start = body["interaction"]["startDate"].clone();
        assert_genesys_date(&start);
        assert_eq!(
            body,
            json!({
                "statusCode": 0,
                "interaction": {
                    "uri": format!("{}/api/v2/interactions/{id}", app.url()),
                    "id": id,
                    "path": format!("/interactions/{id}"),
                    "mediaType": "call",
                    "typeId": "Inbound",
                    "state": "InProcess",
                    "startDate": start,
                    "contactId": "0000DaA3G4VF000Q",
                    "parentId": "XXXDDDD",
                    "phoneNumber": "1231231231",
                    "userData": {"key1": "value1", "key2": "value2"},
                    "ownerInformation": {"id": "alice", "userName": "alice"}
                }
            })
        );
        // The resource's `uri` can be dereferenced.
        let by_uri = get(&app, &format!("/api/v2/interactions/{id}"), &auth).await;
        assert_eq!(by_uri.json(), body);

        // gRPC sees the same interaction, with the exact spelling kept.
        let stored = grpc_get(&app, &id).await;
        assert_eq!(stored.external_call_id, "1231331");
        assert_eq!(stored.thread_id, "A34XX6BA0FX");
        let literal = stored.state_literal.unwrap();
        assert_eq!((literal.dialect.as_str(), literal.value.as_str()), ("genesys", "InProgress"));
    }

    async fn ucs_operations_complete_note_and_contact_a_call(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let auth = basic_with_csrf(&app, &app.token).await;
        let id = create(
            &app,
            &auth,
            json!({
                "operationName": "FindPhoneCall", "callId": "ops-1", "status": "InProcess",
                "phoneNumber": "5550100", "type": "Inbound", "subject": "Customer support",
                "parentId": "0000Sa99620J0EM1", "userData": {"queue": "sales"}
            })
            .to_string(),
        )
        .await;
        let item = format!("{COLLECTION}/{id}");
        let success = json!({"messageType": "UcsOperationResponse", "success": true});

        // SetCallNote: the reply also carries the page's `referendeId`.
        let reply = post(&app, &item, &auth, r#"{"operationName":"SetCallNote","note":"first"}"#).await;
        assert_eq!(reply.status, StatusCode::OK);
        let body = reply.json();
        let reference = body["referenceId"].as_i64().unwrap();
        assert_eq!(body, json!({"statusCode": 0, "referenceId": reference, "referendeId": reference}));
        assert_eq!(data(&app, reference).await, success);
        // A second note replaces the first.
        let reply = post(&app, &item, &auth, r#"{"operationName":"SetCallNote","note":"called back"}"#).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(grpc_get(&app, &id).await.comment, "called back");

        // SetCallContact takes the contact's path.
        let reference = post(
            &app,
            &item,
            &auth,
            r#"{"operationName":"SetCallContact","contactPath":"/contacts/0000Sa99620J0EM7"}"#,
        )
        .await
        .accepted();
        assert_eq!(data(&app, reference).await, success);
        assert_eq!(grpc_get(&app, &id).await.contact_id, "0000Sa99620J0EM7");

        // Custom attributes are set over gRPC (Genesys has no operation for them).
        let mut changes = Interaction { name: format!("interactions/{id}"), ..Default::default() };
        changes.custom_attributes.insert("SearchId".into(), "123456".into());
        app.interactions()
            .update_interaction(authed(
                UpdateInteractionRequest {
                    interaction: Some(changes),
                    update_mask: Some(prost_types::FieldMask { paths: vec!["custom_attributes".into()] }),
                    etag: String::new(),
                },
                &app.token,
            ))
            .await
            .unwrap();

        // SetCallCompleted: InProcess → Stopped, with the duration and the
        // user data merged.
        let before = notification_count(&app).await;
        let reference = post(
            &app,
            &item,
            &auth,
            r#"{"operationName":"SetCallCompleted","callDuration":"95","userData":{"disposition":"sale"}}"#,
        )
        .await
        .accepted();
        assert_eq!(data(&app, reference).await, success);
        assert_eq!(notification_count(&app).await, before + 1);
        // The FindPhoneCall spelling no longer describes the state.
        assert_eq!(grpc_get(&app, &id).await.state_literal, None);

        // Every field of seed 002's resource is there, dates in its format.
        let body = get(&app, &item, &auth).await.json();
        let resource = &body["interaction"];
        assert_genesys_date(&resource["startDate"]);
        assert_genesys_date(&resource["endDate"]);
        assert_eq!(
            body,
            json!({
                "statusCode": 0,
                "interaction": {
                    "uri": format!("{}/api/v2/interactions/{id}", app.url()),
                    "id": id,
                    "path": format!("/interactions/{id}"),
                    "mediaType": "call",
                    "typeId": "Inbound",
                    "state": "Stopped",
                    "startDate": resource["startDate"],
                    "endDate": resource["endDate"],
                    "subject": "Customer support",
                    "contactId": "0000Sa99620J0EM7",
                    "parentId": "0000Sa99620J0EM1",
                    "comment": "called back",
                    "customAttributes": {"SearchId": "123456"},
                    "phoneNumber": "5550100",
                    "callDuration": 95,
                    "userData": {"queue": "sales", "disposition": "sale"},
                    "ownerInformation": {"id": "alice", "userName": "alice"}
                }
            })
        );

        // Completing again is refused synchronously and publishes nothing.
        let before = notification_count(&app).await;
        let message = post(&app, &item, &auth, r#"{"operationName":"SetCallCompleted"}"#)
            .await
            .failure(400, 2);
        assert_eq!(message, "SetCallCompleted is not valid for the interaction's current state Stopped");
        assert_eq!(notification_count(&app).await, before);
        // Notes are still allowed after the call (wrap-up).
        post(&app, &item, &auth, r#"{"operationName":"SetCallNote","note":"wrap-up"}"#).await;
        assert_eq!(grpc_get(&app, &id).await.comment, "wrap-up");
    }

    async fn history_operations_search_sort_limit_and_project(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let alice = Auth::Bearer(app.token.clone());
        let bob = Auth::Bearer(app.issue_token("acme", "bob").await);
        let mut ids = Vec::new();
        for (n, auth) in [(1, &alice), (2, &alice), (3, &alice), (4, &bob)] {
            ids.push(create(&app, auth, find_phone_call(&format!("h-{n}"))).await);
        }
        let (h1, h2, h3, h4) = (ids[0].as_str(), ids[1].as_str(), ids[2].as_str(), ids[3].as_str());
        let set_attributes = |id: &str, attributes: &[(&str, &str)], contact: &str| {
            let mut changes = Interaction {
                name: format!("interactions/{id}"),
                contact_id: contact.to_owned(),
                ..Default::default()
            };
            for (k, v) in attributes {
                changes.custom_attributes.insert((*k).to_owned(), (*v).to_owned());
            }
            let mut client = app.interactions();
            let token = app.token.clone();
            async move {
                client
                    .update_interaction(authed(
                        UpdateInteractionRequest {
                            interaction: Some(changes),
                            update_mask: Some(prost_types::FieldMask {
                                paths: vec!["custom_attributes".into(), "contact_id".into()],
                            }),
                            etag: String::new(),
                        },
                        &token,
                    ))
                    .await
                    .unwrap()
            }
        };
        set_attributes(h1, &[("SearchId", "123456"), ("CustomerId", "a21d4c3")], "c-1").await;
        set_attributes(h2, &[("SearchId", "999")], "").await;
        set_attributes(h3, &[], "c-1").await;

        // Runs a history operation as alice; returns the interaction ids of
        // the published GetInteractionsHistoryMessage (checking its shape).
        let history = |path: &'static str, body: Value| {
            let app = &app;
            let alice = &alice;
            async move {
                let reference = post(app, path, alice, body.to_string()).await.accepted();
                let data = data(app, reference).await;
                assert_eq!(data["messageType"], "GetInteractionsHistoryMessage", "{data}");
                assert_eq!(data.as_object().unwrap().len(), 2, "{data}");
                data["interactions"].as_array().unwrap().clone()
            }
        };
        let ids_of = |items: &[Value]| items.iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>();

        // Defaults: the last month, newest first, no custom attributes.
        let all = history(COLLECTION, json!({"operationName": "RetrieveInteractionHistory"})).await;
        assert_eq!(ids_of(&all), [h4, h3, h2, h1]);
        assert!(all.iter().all(|i| i.get("customAttributes").is_none()));
        // Each item is the history resource GET returns.
        let h2_resource = get(&app, &format!("{COLLECTION}/{h2}"), &alice).await.json()["interaction"].clone();
        let mut without_attributes = h2_resource.clone();
        without_attributes.as_object_mut().unwrap().remove("customAttributes");
        assert_eq!(all[2], without_attributes);

        let sorted = history(COLLECTION, json!({"operationName": "RetrieveInteractionHistory", "sort": "asc", "maxSize": "2"})).await;
        assert_eq!(ids_of(&sorted), [h1, h2]);
        let three = history(COLLECTION, json!({"operationName": "RetrieveInteractionHistory", "maxSize": 3})).await;
        assert_eq!(ids_of(&three), [h4, h3, h2]);

        // searchCustomAttributes filters; customAttributes chooses what is shown.
        let searched = history(COLLECTION, json!({
            "operationName": "RetrieveInteractionHistory",
            "searchCustomAttributes": {"SearchId": "123456"},
            "customAttributes": ["SearchId"]
        }))
        .await;
        assert_eq!(ids_of(&searched), [h1]);
        assert_eq!(searched[0]["customAttributes"], json!({"SearchId": "123456"}));
        let both = history(COLLECTION, json!({
            "operationName": "RetrieveInteractionHistory", "customAttributes": "SearchId,CustomerId", "sort": "asc"
        }))
        .await;
        assert_eq!(both[0]["customAttributes"], json!({"SearchId": "123456", "CustomerId": "a21d4c3"}));
        assert_eq!(both[1]["customAttributes"], json!({"SearchId": "999"}));
        assert!(both[2].get("customAttributes").is_none());

        // mediaType, dates, source.
        let calls = history(COLLECTION, json!({"operationName": "RetrieveInteractionHistory", "mediaType": "call"})).await;
        assert_eq!(calls.len(), 4);
        let chats = history(COLLECTION, json!({"operationName": "RetrieveInteractionHistory", "mediaType": "chat"})).await;
        assert!(chats.is_empty());
        let today = chrono::Utc::now().date_naive();
        let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
        let tomorrow = day(today.succ_opt().unwrap());
        let yesterday = day(today.pred_opt().unwrap());
        let later = history(COLLECTION, json!({"operationName": "RetrieveInteractionHistory", "fromDate": tomorrow})).await;
        assert!(later.is_empty());
        let earlier = history(COLLECTION, json!({"operationName": "RetrieveInteractionHistory", "toDate": yesterday})).await;
        assert!(earlier.is_empty());
        let on_the_day = history(COLLECTION, json!({
            "operationName": "RetrieveInteractionHistory", "fromDate": day(today), "toDate": day(today)
        }))
        .await;
        assert_eq!(on_the_day.len(), 4);
        let in_an_hour = (chrono::Utc::now() + chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%S:%3fZ").to_string();
        let until = history(COLLECTION, json!({"operationName": "RetrieveInteractionHistory", "toDate": in_an_hour})).await;
        assert_eq!(until.len(), 4);
        let archived = history(COLLECTION, json!({"operationName": "RetrieveInteractionHistory", "source": "archive"})).await;
        assert!(archived.is_empty());

        // userId: the agent's history.
        let bobs = history(COLLECTION, json!({"operationName": "RetrieveAgentHistory", "userId": "bob"})).await;
        assert_eq!(ids_of(&bobs), [h4]);
        let alices = history(COLLECTION, json!({"operationName": "RetrieveInteractionHistory", "userId": "alice"})).await;
        assert_eq!(ids_of(&alices), [h3, h2, h1]);

        // A contact's history.
        let contact = history("/api/v2/ucs/contacts/c-1/interactions", json!({"operationName": "RetrieveContactHistory"})).await;
        assert_eq!(ids_of(&contact), [h3, h1]);

        // Errors are synchronous and publish nothing.
        let before = notification_count(&app).await;
        let message = post(&app, COLLECTION, &alice, r#"{"operationName":"RetrieveAgentHistory"}"#).await.failure(400, 1);
        assert_eq!(message, "userId is required");
        let message = post(
            &app,
            COLLECTION,
            &alice,
            r#"{"operationName":"RetrieveInteractionHistory","sort":"up","source":"attic","mediaType":"fax","fromDate":"soon","maxSize":-1}"#,
        )
        .await
        .failure(400, 10);
        for name in ["sort", "source", "mediaType", "fromDate"] {
            assert!(message.contains(name), "{message}");
        }
        let message = post(&app, COLLECTION, &alice, r#"{"operationName":"RetrieveInteractionHistory","maxSize":-1}"#)
            .await
            .failure(400, 10);
        assert_eq!(message, "maxSize must not be negative");
        assert_eq!(notification_count(&app).await, before);
    }

    async fn find_phone_call_is_exactly_once_under_64_concurrent_requests(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let client = reqwest::Client::new();
        let url = format!("{}{COLLECTION}", app.url());
        let requests = (0..64).map(|_| {
            let request = client
                .post(&url)
                .bearer_auth(&app.token)
                .header("content-type", "application/json")
                .body(SEED_000_REQUEST);
            async move { send(request).await.accepted() }
        });
        let references = futures::future::join_all(requests).await;
        let distinct: BTreeSet<i64> = references.iter().copied().collect();
        assert_eq!(distinct.len(), 64, "referenceIds are unique");

        let rows = event::Entity::find()
            .filter(event::Column::ResourceType.eq("NOTIFICATION"))
            .order_by_asc(event::Column::Seq)
            .all(app.store.reader())
            .await
            .unwrap();
        assert_eq!(rows.iter().map(|r| r.seq).collect::<BTreeSet<_>>(), distinct);
        let payloads: Vec<Value> = rows.iter().map(|r| serde_json::from_str(&r.payload).unwrap()).collect();
        let created = payloads.iter().filter(|p| p["data"]["isCreated"] == "true").count();
        assert_eq!(created, 1, "exactly one isCreated \"true\"");
        let ids: BTreeSet<&str> = payloads
            .iter()
            .map(|p| p["data"]["interactionId"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), 1);

        let listed = app
            .interactions()
            .list_interactions(authed(
                ListInteractionsRequest { filter: r#"external_call_id = "1231331""#.into(), ..Default::default() },
                &app.token,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(listed.total_size, 1);
        let interaction_events = event::Entity::find()
            .filter(event::Column::ResourceType.eq("INTERACTION"))
            .count(app.store.reader())
            .await
            .unwrap();
        assert_eq!(interaction_events, 1, "exactly one Created event");
    }
}

#[tokio::test]
async fn get_lists_with_filters_and_paging() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let alice = Auth::Bearer(app.token.clone());
    let bob = Auth::Bearer(app.issue_token("acme", "bob").await);
    let mut ids = Vec::new();
    for (n, auth) in [(1, &alice), (2, &alice), (3, &alice), (4, &bob)] {
        let mut body: Value = serde_json::from_str(&find_phone_call(&format!("l-{n}"))).unwrap();
        if n % 2 == 1 {
            body["contactId"] = json!("c-9");
        }
        ids.push(create(&app, auth, body.to_string()).await);
    }
    let page = |query: &str| {
        let app = &app;
        let alice = &alice;
        let query = query.to_owned();
        async move { get(app, &format!("{COLLECTION}{query}"), alice).await }
    };
    let ids_of = |body: &Value| {
        body["interactions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };

    let reply = page("").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.headers["x-csrf-header"], "X-CSRF-TOKEN");
    let body = reply.json();
    assert_eq!(body["statusCode"], 0);
    assert_eq!(body["totalCount"], 4);
    assert_eq!(
        ids_of(&body),
        [ids[3].as_str(), ids[2].as_str(), ids[1].as_str(), ids[0].as_str()]
    );
    assert_eq!(body.as_object().unwrap().len(), 3, "{body}");

    let body = page("?sort=asc&offset=1&limit=2").await.json();
    assert_eq!(ids_of(&body), [ids[1].as_str(), ids[2].as_str()]);
    assert_eq!(body["totalCount"], 4);
    let body = page("?userId=bob&mediaType=call").await.json();
    assert_eq!(ids_of(&body), [ids[3].as_str()]);
    let body = page("?contactId=c-9&sort=asc").await.json();
    assert_eq!(ids_of(&body), [ids[0].as_str(), ids[2].as_str()]);
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let body = page(&format!("?fromDate={today}&toDate={today}")).await.json();
    assert_eq!(body["totalCount"], 4);
    let body = page("?mediaType=email").await.json();
    assert_eq!((body["totalCount"].clone(), ids_of(&body).len()), (json!(0), 0));

    let message = page("?limit=ten&fromDate=whenever").await.failure(400, 10);
    assert!(
        message.contains("limit") && message.contains("fromDate"),
        "{message}"
    );
    let message = page("?offset=-3").await.failure(400, 10);
    assert_eq!(message, "offset must not be negative");
}

#[tokio::test]
async fn auth_basic_with_csrf_or_bearer() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let bob_token = app.issue_token("acme", "bob").await;

    // No credentials, or bad ones: 401 with statusCode 20 and a challenge.
    let reply = get(&app, COLLECTION, &Auth::None).await;
    reply.failure(401, 20);
    assert!(
        reply.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    post(&app, COLLECTION, &Auth::None, find_phone_call("a-0"))
        .await
        .failure(401, 20);
    get(&app, COLLECTION, &Auth::basic("swb_not_a_real_token", None))
        .await
        .failure(401, 20);
    get(&app, COLLECTION, &Auth::Bearer("nope".into()))
        .await
        .failure(401, 20);

    // Every GET returns the CSRF pair; the token is stable per credential.
    let first = get(&app, COLLECTION, &Auth::basic(&app.token, None)).await;
    let second = get(&app, COLLECTION, &Auth::basic(&app.token, None)).await;
    assert_eq!(first.headers["x-csrf-header"], "X-CSRF-TOKEN");
    let csrf = first.headers["x-csrf-token"].to_str().unwrap().to_owned();
    assert_eq!(second.headers["x-csrf-token"], csrf.as_str());
    let bob_csrf = get(&app, COLLECTION, &Auth::basic(&bob_token, None))
        .await
        .headers["x-csrf-token"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_ne!(bob_csrf, csrf);
    let bearer_get = get(&app, COLLECTION, &Auth::Bearer(app.token.clone())).await;
    assert_eq!(bearer_get.headers["x-csrf-token"], csrf.as_str());

    // Basic writes need the credential's CSRF token: 403 with the documented
    // plain-text body otherwise, and nothing happens.
    for bad in [None, Some("forged"), Some(bob_csrf.as_str())] {
        let reply = post(
            &app,
            COLLECTION,
            &Auth::basic(&app.token, bad),
            find_phone_call("a-1"),
        )
        .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{bad:?}");
        assert_eq!(reply.text, "Missing or invalid Csrf token");
        assert!(
            reply.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain")
        );
    }
    let listed = app
        .interactions()
        .list_interactions(authed(ListInteractionsRequest::default(), &app.token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.total_size, 0);
    assert_eq!(notification_count(&app).await, 0);

    // With it, the write goes through; the Basic user name is not checked.
    let with_csrf = Auth::Basic {
        user: "someone-else".into(),
        token: app.token.clone(),
        csrf: Some(csrf.clone()),
    };
    post(&app, COLLECTION, &with_csrf, find_phone_call("a-1"))
        .await
        .accepted();
    // A CSRF token does not make a bad credential good.
    let forged = Auth::basic("swb_not_a_real_token", Some(&auth_csrf("swb_not_a_real_token")));
    post(&app, COLLECTION, &forged, find_phone_call("a-2"))
        .await
        .failure(401, 20);
    // Bearer writes need no CSRF token.
    post(
        &app,
        COLLECTION,
        &Auth::Bearer(app.token.clone()),
        find_phone_call("a-3"),
    )
    .await
    .accepted();
}

/// The CSRF token the server derives for `token` (stateless, so any
/// instance agrees).
fn auth_csrf(token: &str) -> String {
    switchboard::facade::genesys::auth::csrf_token(token)
}

#[tokio::test]
async fn bad_input_gets_the_documented_status_codes() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let auth = Auth::Bearer(app.token.clone());
    let id = create(&app, &auth, find_phone_call("bad-1")).await;
    let item = format!("{COLLECTION}/{id}");
    let before = notification_count(&app).await;

    // Not JSON, not an object, no or unknown operationName.
    let message = post(&app, COLLECTION, &auth, r#"{"operationName":"#)
        .await
        .failure(400, 10);
    assert!(
        message.starts_with("the request body is not valid JSON"),
        "{message}"
    );
    post(&app, COLLECTION, &auth, "").await.failure(400, 10);
    let message = post(&app, COLLECTION, &auth, "[]").await.failure(400, 10);
    assert_eq!(message, "the request body must be a JSON object");
    let message = post(&app, COLLECTION, &auth, "{}").await.failure(400, 1);
    assert_eq!(message, "operationName is required");
    post(&app, COLLECTION, &auth, r#"{"operationName":5}"#)
        .await
        .failure(400, 10);
    let message = post(&app, COLLECTION, &auth, r#"{"operationName":"Teleport"}"#)
        .await
        .failure(400, 2);
    assert!(message.contains("FindPhoneCall"), "{message}");
    post(
        &app,
        COLLECTION,
        &auth,
        r#"{"operationName":"SetCallNote","note":"x"}"#,
    )
    .await
    .failure(400, 2);
    post(&app, &item, &auth, &find_phone_call("bad-2"))
        .await
        .failure(400, 2);

    // Missing required parameters: statusCode 1, all named.
    let message = post(&app, COLLECTION, &auth, r#"{"operationName":"FindPhoneCall"}"#)
        .await
        .failure(400, 1);
    assert_eq!(
        message,
        "callId is required; status is required; phoneNumber is required; type is required"
    );
    // Wrong types and unknown spellings: statusCode 10, all named.
    let message = post(
        &app,
        COLLECTION,
        &auth,
        r#"{"operationName":"FindPhoneCall","callId":5,"status":"Bogus","phoneNumber":"1","type":"Inbound","userData":"x"}"#,
    )
    .await
    .failure(400, 10);
    for part in [
        "callId has the wrong type",
        "status must be New, Pending, InProcess (or InProgress) or Stopped",
        "userData has the wrong type",
    ] {
        assert!(message.contains(part), "{message}");
    }
    // Values the API refuses, in Genesys names.
    let long = json!({
        "operationName": "FindPhoneCall", "callId": "bad-3", "status": "New", "phoneNumber": "1",
        "type": "Inbound", "subject": "x".repeat(20_000)
    });
    let message = post(&app, COLLECTION, &auth, long.to_string())
        .await
        .failure(400, 10);
    assert_eq!(message, "subject must be at most 16384 bytes");
    let message = post(
        &app,
        &item,
        &auth,
        r#"{"operationName":"SetCallCompleted","callDuration":-5}"#,
    )
    .await
    .failure(400, 10);
    assert_eq!(
        message,
        "callDuration must be a non-negative whole number of seconds"
    );
    post(
        &app,
        &item,
        &auth,
        r#"{"operationName":"SetCallCompleted","callDuration":"long"}"#,
    )
    .await
    .failure(400, 10);
    post(&app, &item, &auth, r#"{"operationName":"SetCallNote"}"#)
        .await
        .failure(400, 1);
    post(
        &app,
        &item,
        &auth,
        r#"{"operationName":"SetCallContact","contactPath":"/contacts/"}"#,
    )
    .await
    .failure(400, 10);

    // Unknown ids and another tenant's ids: statusCode 6, indistinguishable.
    let intruder = Auth::Bearer(app.issue_token("globex", "mallory").await);
    let missing = "Z".repeat(16);
    let foreign = post(
        &app,
        &item,
        &intruder,
        r#"{"operationName":"SetCallNote","note":"x"}"#,
    )
    .await
    .failure(404, 6);
    let absent = post(
        &app,
        &format!("{COLLECTION}/{missing}"),
        &intruder,
        r#"{"operationName":"SetCallNote","note":"x"}"#,
    )
    .await
    .failure(404, 6);
    assert_eq!(foreign.replace(&id, &missing), absent);
    let foreign = get(&app, &item, &intruder).await.failure(404, 6);
    assert_eq!(
        foreign.replace(&id, &missing),
        get(&app, &format!("{COLLECTION}/{missing}"), &intruder)
            .await
            .failure(404, 6)
    );
    post(&app, &item, &intruder, r#"{"operationName":"SetCallCompleted"}"#)
        .await
        .failure(404, 6);
    get(&app, &format!("/api/v2/interactions/{id}"), &intruder)
        .await
        .failure(404, 6);
    assert_eq!(grpc_get(&app, &id).await.comment, "", "nothing changed");

    // Other methods on Genesys routes.
    let reply = send(
        reqwest::Client::new()
            .delete(format!("{}{item}", app.url()))
            .bearer_auth(&app.token),
    )
    .await;
    reply.failure(405, 3);

    assert_eq!(notification_count(&app).await, before, "failures publish nothing");
}

#[tokio::test]
async fn large_histories_fit_in_one_notification_up_to_its_limit() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let auth = Auth::Bearer(app.token.clone());
    // 100 interactions of about 6 KB each.
    let padding = "x".repeat(6_000);
    let creates = (0..100).map(|n| {
        let mut client = app.interactions();
        let mut request = crate::helpers::find_phone_call(&format!("big-{n}"));
        request.user_data = Some(prost_types::Struct {
            fields: [(
                "notes".to_owned(),
                prost_types::Value {
                    kind: Some(prost_types::value::Kind::StringValue(padding.clone())),
                },
            )]
            .into(),
        });
        let token = app.token.clone();
        async move {
            client
                .find_or_create_phone_call_interaction(authed(request, &token))
                .await
                .unwrap()
        }
    });
    futures::future::join_all(creates).await;

    // Far more than the 64 KiB allowed for attached data.
    let body = json!({"operationName": "RetrieveInteractionHistory", "maxSize": 50});
    let reference = post(&app, COLLECTION, &auth, body.to_string()).await.accepted();
    let (_, _, data) = notification(&app, reference).await;
    assert_eq!(data["interactions"].as_array().unwrap().len(), 50);
    assert!(data.to_string().len() > 256 * 1024);

    // Past the notification limit: a clear synchronous error, nothing published.
    let before = notification_count(&app).await;
    let body = json!({"operationName": "RetrieveInteractionHistory", "maxSize": 100});
    let message = post(&app, COLLECTION, &auth, body.to_string())
        .await
        .failure(400, 10);
    assert_eq!(
        message,
        "the 100 interactions found do not fit in one notification; ask for fewer with maxSize"
    );
    assert_eq!(notification_count(&app).await, before);
}
