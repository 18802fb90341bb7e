//! Tenant isolation, everywhere an id is taken: another tenant's resource
//! does not exist for the caller. On every gRPC method and every route of
//! every dialect, tenant B addressing tenant A's resource gets exactly what
//! B gets for an id that does not exist (the dialect's not-found shape, the
//! id aside), B's lists and histories never show A's rows, B's writes never
//! touch A's resource (compared field by field afterwards), and B's event
//! streams (gRPC `Watch` is covered in `events.rs`; CometD here) never carry
//! A's events. The intruder is `globex/alice`: the same user id as A's
//! `acme/alice`, so only the tenant tells them apart.

use base64::Engine;
use prost_types::{Duration as PbDuration, FieldMask, Timestamp};
use reqwest::Method;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use switchboard::domain::call_center::JwtAlgorithm;
use switchboard::pb::phone_call_service_client::PhoneCallServiceClient;
use switchboard::pb::{
    AnswerPhoneCallRequest, BargeInPhoneCallRequest, BatchCreateVoiceCallMessagesRequest, CallerId,
    CompleteInteractionRequest, CreateVoiceCallMessageRequest, GetInteractionRequest, GetPhoneCallRequest,
    GetVoiceCallRequest, GetVoiceCallStatsRequest, HangUpPhoneCallRequest, HoldPhoneCallRequest, Interaction,
    ListInteractionsRequest, ListPhoneCallsRequest, ListVoiceCallMessagesRequest, ListVoiceCallsRequest,
    MonitorPhoneCallRequest, ParkPhoneCallRequest, ParticipantType, PhoneCall, PickUpPhoneCallRequest,
    StartPhoneCallRecordingRequest, StopPhoneCallRecordingRequest, TransferPhoneCallRequest,
    TransferPhoneCallToVoicemailRequest, UnholdPhoneCallRequest, UnparkPhoneCallRequest,
    UpdateInteractionRequest, UpdateVoiceCallRequest, VoiceCall, VoiceCallMessage, WhisperPhoneCallRequest,
};
use switchboard::store::entity::event;
use tonic::transport::Channel;
use tonic::{Code, Status};

use crate::both_backends;
use crate::helpers::{TestApp, TestDatabase, authed, find_phone_call};
use crate::voice_calls::{HS256_SECRET, add_call_center, hs256_jwt};

both_backends! {
    async fn other_tenants_ids_are_not_found(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let intruder = app.issue_token("globex", "mallory").await;
        let mut client = app.interactions();

        let mine = client
            .find_or_create_phone_call_interaction(authed(find_phone_call("tenant-1"), &app.token))
            .await
            .unwrap()
            .into_inner()
            .interaction
            .unwrap();

        let foreign = client
            .get_interaction(authed(GetInteractionRequest { name: mine.name.clone() }, &intruder))
            .await
            .unwrap_err();
        assert_eq!(foreign.code(), Code::NotFound);
        // Indistinguishable from an id that does not exist at all.
        let missing_name = format!("interactions/{}", "Z".repeat(16));
        let missing = client
            .get_interaction(authed(GetInteractionRequest { name: missing_name.clone() }, &intruder))
            .await
            .unwrap_err();
        assert_eq!(foreign.message().replace(&mine.name, &missing_name), missing.message());

        let listed = client
            .list_interactions(authed(ListInteractionsRequest::default(), &intruder))
            .await
            .unwrap()
            .into_inner();
        assert!(listed.interactions.is_empty());
        assert_eq!(listed.total_size, 0);

        // The same external call id is a separate interaction in another tenant.
        let theirs = client
            .find_or_create_phone_call_interaction(authed(find_phone_call("tenant-1"), &intruder))
            .await
            .unwrap()
            .into_inner();
        assert!(theirs.created);
        assert_ne!(theirs.interaction.unwrap().id, mine.id);
    }
}

/// Asserts that `foreign` (about A's `name`) is NOT_FOUND and reads exactly
/// like `missing` (about `missing_name`).
#[track_caller]
fn assert_not_found_like_missing(
    what: &str,
    foreign: &Status,
    missing: &Status,
    name: &str,
    missing_name: &str,
) {
    assert_eq!(foreign.code(), Code::NotFound, "{what}: {foreign:?}");
    assert_eq!(missing.code(), Code::NotFound, "{what}: {missing:?}");
    assert_eq!(
        foreign.message().replace(name, missing_name),
        missing.message(),
        "{what}: a foreign id must read like a missing one"
    );
}

fn seconds(s: i64) -> Option<PbDuration> {
    Some(PbDuration { seconds: s, nanos: 0 })
}

// ---------------------------------------------------------------- gRPC

/// Every `PhoneCallService` method that takes a call name, with otherwise
/// valid arguments.
const PHONE_CALL_METHODS: &[&str] = &[
    "GetPhoneCall",
    "AnswerPhoneCall",
    "ParkPhoneCall",
    "UnparkPhoneCall",
    "HoldPhoneCall",
    "UnholdPhoneCall",
    "StartPhoneCallRecording",
    "StopPhoneCallRecording",
    "PickUpPhoneCall",
    "BargeInPhoneCall",
    "WhisperPhoneCall",
    "MonitorPhoneCall",
    "TransferPhoneCall",
    "TransferPhoneCallToVoicemail",
    "HangUpPhoneCall",
];

async fn phone_call_rpc(
    client: &mut PhoneCallServiceClient<Channel>,
    method: &str,
    name: &str,
    token: &str,
) -> Result<(), Status> {
    let name = name.to_owned();
    let leg_id = "00".to_owned();
    let to = "0003*211".to_owned();
    let caller_id = Some(CallerId {
        name: "Intruder".into(),
        number: "4242425".into(),
    });
    match method {
        "GetPhoneCall" => client
            .get_phone_call(authed(GetPhoneCallRequest { name }, token))
            .await
            .map(drop),
        "AnswerPhoneCall" => client
            .answer_phone_call(authed(AnswerPhoneCallRequest { name, leg_id }, token))
            .await
            .map(drop),
        "ParkPhoneCall" => client
            .park_phone_call(authed(
                ParkPhoneCallRequest {
                    name,
                    leg_id,
                    max_in_parking: seconds(60),
                },
                token,
            ))
            .await
            .map(drop),
        "UnparkPhoneCall" => client
            .unpark_phone_call(authed(
                UnparkPhoneCallRequest {
                    name,
                    leg_id,
                    send_call_to: to,
                    caller_id,
                    wait_for_pickup: seconds(20),
                },
                token,
            ))
            .await
            .map(drop),
        "HoldPhoneCall" => client
            .hold_phone_call(authed(HoldPhoneCallRequest { name, leg_id }, token))
            .await
            .map(drop),
        "UnholdPhoneCall" => client
            .unhold_phone_call(authed(UnholdPhoneCallRequest { name, leg_id }, token))
            .await
            .map(drop),
        "StartPhoneCallRecording" => client
            .start_phone_call_recording(authed(
                StartPhoneCallRecordingRequest {
                    name,
                    leg_id,
                    format: 0,
                },
                token,
            ))
            .await
            .map(drop),
        "StopPhoneCallRecording" => client
            .stop_phone_call_recording(authed(StopPhoneCallRecordingRequest { name, leg_id }, token))
            .await
            .map(drop),
        "PickUpPhoneCall" => client
            .pick_up_phone_call(authed(
                PickUpPhoneCallRequest {
                    name,
                    leg_id,
                    send_call_to: to,
                    caller_id,
                    wait_for_pickup: seconds(20),
                },
                token,
            ))
            .await
            .map(drop),
        "BargeInPhoneCall" => client
            .barge_in_phone_call(authed(
                BargeInPhoneCallRequest {
                    name,
                    leg_id,
                    send_call_to: to,
                    caller_id,
                    wait_for_pickup: seconds(20),
                },
                token,
            ))
            .await
            .map(drop),
        "WhisperPhoneCall" => client
            .whisper_phone_call(authed(
                WhisperPhoneCallRequest {
                    name,
                    leg_id,
                    send_call_to: to,
                    caller_id,
                    wait_for_pickup: seconds(20),
                    private: true,
                },
                token,
            ))
            .await
            .map(drop),
        "MonitorPhoneCall" => client
            .monitor_phone_call(authed(
                MonitorPhoneCallRequest {
                    name,
                    leg_id,
                    send_call_to: to,
                    caller_id,
                    wait_for_pickup: seconds(20),
                },
                token,
            ))
            .await
            .map(drop),
        "TransferPhoneCall" => client
            .transfer_phone_call(authed(
                TransferPhoneCallRequest {
                    name,
                    send_call_to: to,
                    transfer_from_number: String::new(),
                    transfer_number: String::new(),
                },
                token,
            ))
            .await
            .map(drop),
        "TransferPhoneCallToVoicemail" => client
            .transfer_phone_call_to_voicemail(authed(
                TransferPhoneCallToVoicemailRequest {
                    name,
                    send_call_to: to,
                    transfer_from_number: String::new(),
                },
                token,
            ))
            .await
            .map(drop),
        "HangUpPhoneCall" => client
            .hang_up_phone_call(authed(
                HangUpPhoneCallRequest {
                    name,
                    phone_number: String::new(),
                },
                token,
            ))
            .await
            .map(drop),
        other => panic!("no such method {other}"),
    }
}

async fn get_phone_call(app: &TestApp, token: &str, name: &str) -> PhoneCall {
    app.phone_calls()
        .get_phone_call(authed(
            GetPhoneCallRequest {
                name: name.to_owned(),
            },
            token,
        ))
        .await
        .expect("the owner reads its call")
        .into_inner()
}

both_backends! {
    async fn every_phone_call_method_refuses_another_tenants_call(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let intruder = app.issue_token("globex", "alice").await;
        let mut client = app.phone_calls();
        let mine = client
            .create_phone_call(authed(crate::phone_calls::simple(&["0003*210"], "0003*024"), &app.token))
            .await
            .unwrap()
            .into_inner();
        // Answered, so that every action would be allowed for its owner.
        client
            .answer_phone_call(authed(AnswerPhoneCallRequest { name: mine.name.clone(), leg_id: "00".into() }, &app.token))
            .await
            .unwrap();
        let before = get_phone_call(&app, &app.token, &mine.name).await;
        let events_before = app.events_of(&mine.name).await;
        let missing_name = "phoneCalls/00000000000000000000";

        for method in PHONE_CALL_METHODS {
            let foreign = phone_call_rpc(&mut client, method, &mine.name, &intruder).await.unwrap_err();
            let missing = phone_call_rpc(&mut client, method, missing_name, &intruder).await.unwrap_err();
            assert_not_found_like_missing(method, &foreign, &missing, &mine.name, missing_name);
        }
        // Lists of the intruder, with and without a filter naming A's call.
        for filter in [String::new(), format!("id = \"{}\"", mine.id), "extension = \"0003*210\"".to_owned()] {
            let listed = client
                .list_phone_calls(authed(ListPhoneCallsRequest { filter: filter.clone(), ..Default::default() }, &intruder))
                .await
                .unwrap()
                .into_inner();
            assert!(listed.phone_calls.is_empty(), "{filter}: {listed:?}");
            assert_eq!(listed.total_size, 0, "{filter}");
        }
        // Nothing of A's call changed, and no event was written about it.
        assert_eq!(get_phone_call(&app, &app.token, &mine.name).await, before);
        assert_eq!(app.events_of(&mine.name).await, events_before);
        // The owner's own view still works (the checks above could fail).
        let listed = client
            .list_phone_calls(authed(ListPhoneCallsRequest::default(), &app.token))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(listed.total_size, 1);
    }

    async fn every_interaction_method_refuses_another_tenants_interaction(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let intruder = app.issue_token("globex", "alice").await;
        let mut client = app.interactions();
        let mut request = find_phone_call("tenancy-interaction");
        request.contact_id = "c-acme".into();
        let mine = client
            .find_or_create_phone_call_interaction(authed(request, &app.token))
            .await
            .unwrap()
            .into_inner()
            .interaction
            .unwrap();
        let missing_name = format!("interactions/{}", "Z".repeat(16));

        type Rpc = for<'a> fn(
            &'a mut switchboard::pb::interaction_service_client::InteractionServiceClient<Channel>,
            String,
            &'a str,
        ) -> futures::future::BoxFuture<'a, Result<(), Status>>;
        let methods: [(&str, Rpc); 3] = [
            ("GetInteraction", |c, name, token| {
                Box::pin(async move { c.get_interaction(authed(GetInteractionRequest { name }, token)).await.map(drop) })
            }),
            ("UpdateInteraction", |c, name, token| {
                Box::pin(async move {
                    let request = UpdateInteractionRequest {
                        interaction: Some(Interaction { name, comment: "pwned".into(), ..Default::default() }),
                        update_mask: Some(FieldMask { paths: vec!["comment".into()] }),
                        etag: String::new(),
                    };
                    c.update_interaction(authed(request, token)).await.map(drop)
                })
            }),
            ("CompleteInteraction", |c, name, token| {
                Box::pin(async move {
                    let request = CompleteInteractionRequest { name, call_duration: seconds(5), user_data: None };
                    c.complete_interaction(authed(request, token)).await.map(drop)
                })
            }),
        ];
        for (method, rpc) in methods {
            let foreign = rpc(&mut client, mine.name.clone(), &intruder).await.unwrap_err();
            let missing = rpc(&mut client, missing_name.clone(), &intruder).await.unwrap_err();
            assert_not_found_like_missing(method, &foreign, &missing, &mine.name, &missing_name);
        }
        for filter in [String::new(), "contact_id = \"c-acme\"".to_owned(), "owner = \"alice\"".to_owned()] {
            let listed = client
                .list_interactions(authed(ListInteractionsRequest { filter: filter.clone(), ..Default::default() }, &intruder))
                .await;
            // A filter field the API does not know is refused for everyone
            // alike; any answer must be empty.
            if let Ok(listed) = listed {
                let listed = listed.into_inner();
                assert!(listed.interactions.is_empty(), "{filter}: {listed:?}");
                assert_eq!(listed.total_size, 0);
            }
        }
        let after = client
            .get_interaction(authed(GetInteractionRequest { name: mine.name.clone() }, &app.token))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(after, mine, "nothing of A's interaction changed");
    }

    async fn every_voice_call_method_refuses_another_tenants_call(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let intruder = app.issue_token("globex", "alice").await;
        let mut client = crate::voice_calls::client(&app);
        let mine = client
            .create_voice_call(authed(
                switchboard::pb::CreateVoiceCallRequest {
                    voice_call: Some(crate::voice_calls::inbound("tenancy-voice")),
                    state_literal: None,
                },
                &app.token,
            ))
            .await
            .unwrap()
            .into_inner();
        let message = |parent: &str| CreateVoiceCallMessageRequest {
            parent: parent.to_owned(),
            message: Some(VoiceCallMessage {
                participant_id: "+14155550148".into(),
                sender_type: ParticipantType::EndUser.into(),
                message_id: "m1".into(),
                content: "hello".into(),
                start_time: Some(Timestamp { seconds: 1_767_225_601, nanos: 0 }),
                end_time: Some(Timestamp { seconds: 1_767_225_602, nanos: 0 }),
                ..Default::default()
            }),
        };
        client
            .batch_create_voice_call_messages(authed(
                BatchCreateVoiceCallMessagesRequest { parent: mine.name.clone(), requests: vec![message(&mine.name)] },
                &app.token,
            ))
            .await
            .unwrap();
        let before = client
            .get_voice_call(authed(GetVoiceCallRequest { name: mine.name.clone() }, &app.token))
            .await
            .unwrap()
            .into_inner();
        let missing_name = "voiceCalls/0LQ000000000000000";

        // By id and by vendor key.
        for (name, missing) in [(mine.name.clone(), missing_name.to_owned()), ("voiceCalls/tenancy-voice".to_owned(), "voiceCalls/no-such-key".to_owned())] {
            let get = |n: &str| GetVoiceCallRequest { name: n.to_owned() };
            let foreign = client.get_voice_call(authed(get(&name), &intruder)).await.unwrap_err();
            let absent = client.get_voice_call(authed(get(&missing), &intruder)).await.unwrap_err();
            assert_not_found_like_missing("GetVoiceCall", &foreign, &absent, &name, &missing);

            let update = |n: &str| UpdateVoiceCallRequest {
                voice_call: Some(VoiceCall { name: n.to_owned(), call_summary: "pwned".into(), ..Default::default() }),
                update_mask: Some(FieldMask { paths: vec!["call_summary".into()] }),
                etag: String::new(),
                state_literal: None,
            };
            let foreign = client.update_voice_call(authed(update(&name), &intruder)).await.unwrap_err();
            let absent = client.update_voice_call(authed(update(&missing), &intruder)).await.unwrap_err();
            assert_not_found_like_missing("UpdateVoiceCall", &foreign, &absent, &name, &missing);

            let batch = |n: &str| BatchCreateVoiceCallMessagesRequest { parent: n.to_owned(), requests: vec![message(n)] };
            let foreign = client.batch_create_voice_call_messages(authed(batch(&name), &intruder)).await.unwrap_err();
            let absent = client.batch_create_voice_call_messages(authed(batch(&missing), &intruder)).await.unwrap_err();
            assert_not_found_like_missing("BatchCreateVoiceCallMessages", &foreign, &absent, &name, &missing);
            // Through the batch-wide parent `-`, naming the call per message.
            let wildcard = |n: &str| BatchCreateVoiceCallMessagesRequest { parent: "voiceCalls/-".into(), requests: vec![message(n)] };
            let foreign = client.batch_create_voice_call_messages(authed(wildcard(&name), &intruder)).await.unwrap_err();
            let absent = client.batch_create_voice_call_messages(authed(wildcard(&missing), &intruder)).await.unwrap_err();
            assert_not_found_like_missing("BatchCreateVoiceCallMessages (-)", &foreign, &absent, &name, &missing);

            let list = |n: &str| ListVoiceCallMessagesRequest { parent: n.to_owned(), ..Default::default() };
            let foreign = client.list_voice_call_messages(authed(list(&name), &intruder)).await.unwrap_err();
            let absent = client.list_voice_call_messages(authed(list(&missing), &intruder)).await.unwrap_err();
            assert_not_found_like_missing("ListVoiceCallMessages", &foreign, &absent, &name, &missing);
        }
        for filter in [String::new(), "vendor_call_key = \"tenancy-voice\"".to_owned()] {
            let listed = client
                .list_voice_calls(authed(ListVoiceCallsRequest { filter: filter.clone(), ..Default::default() }, &intruder))
                .await
                .unwrap()
                .into_inner();
            assert!(listed.voice_calls.is_empty(), "{filter}: {listed:?}");
        }
        let stats = client
            .get_voice_call_stats(authed(GetVoiceCallStatsRequest::default(), &intruder))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(stats.total, 0, "{stats:?}");

        let after = client
            .get_voice_call(authed(GetVoiceCallRequest { name: mine.name.clone() }, &app.token))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(after, before, "nothing of A's call changed");
        let messages = client
            .list_voice_call_messages(authed(ListVoiceCallMessagesRequest { parent: mine.name.clone(), ..Default::default() }, &app.token))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(messages.messages.len(), 1, "only A's own message");
        let stats = client
            .get_voice_call_stats(authed(GetVoiceCallStatsRequest::default(), &app.token))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(stats.total, 1);
    }
}

// ---------------------------------------------------------------- REST

/// A REST answer: status and body text.
#[derive(Debug, PartialEq, Eq)]
struct Reply {
    status: u16,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    headers: &[(&str, String)],
    body: Option<&str>,
) -> Reply {
    let mut request = reqwest::Client::new().request(method, format!("{}{path}", app.url()));
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_owned());
    }
    let response = request.send().await.unwrap();
    Reply {
        status: response.status().as_u16(),
        body: response.text().await.unwrap(),
    }
}

/// Calls `method path` (with `{id}` standing for the id) once with A's id
/// and once with `missing`, as the intruder, and asserts both answers are
/// `status` and identical but for the id.
#[allow(clippy::too_many_arguments, reason = "one table row")]
async fn foreign_like_missing(
    app: &TestApp,
    method: Method,
    path: &str,
    id: &str,
    missing: &str,
    headers: &[(&str, String)],
    body: Option<&str>,
    status: u16,
) -> Reply {
    let foreign = call(app, method.clone(), &path.replace("{id}", id), headers, body).await;
    let absent = call(app, method.clone(), &path.replace("{id}", missing), headers, body).await;
    assert_eq!(foreign.status, status, "{method} {path}: {}", foreign.body);
    assert_eq!(
        Reply {
            status: foreign.status,
            body: foreign.body.replace(id, missing),
        },
        absent,
        "{method} {path}: a foreign id must read like a missing one"
    );
    foreign
}

fn basic(token: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("alice:{token}"))
    )
}

/// The data of the UCS notification with sequence `reference`.
async fn notification_data(app: &TestApp, reference: &Value) -> Value {
    let row = event::Entity::find_by_id(reference.as_i64().expect("a referenceId"))
        .one(app.store.reader())
        .await
        .unwrap()
        .expect("the notification");
    let payload: Value = serde_json::from_str(&row.payload).unwrap();
    payload["data"].clone()
}

both_backends! {
    async fn genesys_routes_never_reach_another_tenants_interaction(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let intruder = app.issue_token("globex", "alice").await;
        let mut request = find_phone_call("tenancy-genesys");
        request.contact_id = "c-acme".into();
        let mine = app
            .interactions()
            .find_or_create_phone_call_interaction(authed(request, &app.token))
            .await
            .unwrap()
            .into_inner()
            .interaction
            .unwrap();
        // The intruder writes with Basic + its CSRF token, as GWS clients do.
        let csrf_token = reqwest::Client::new()
            .get(format!("{}/api/v2/ucs/interactions", app.url()))
            .header("authorization", basic(&intruder))
            .send()
            .await
            .unwrap()
            .headers()["x-csrf-token"]
            .to_str()
            .unwrap()
            .to_owned();
        let auth = [("authorization", basic(&intruder)), ("x-csrf-token", csrf_token)];
        let missing = "Z".repeat(16);
        let item_writes = [
            r#"{"operationName":"SetCallCompleted","callDuration":5,"userData":{"x":"y"}}"#,
            r#"{"operationName":"SetCallNote","note":"pwned"}"#,
            r#"{"operationName":"SetCallContact","contactPath":"/contacts/evil"}"#,
        ];
        for path in ["/api/v2/ucs/interactions/{id}", "/api/v2/interactions/{id}"] {
            let reply = foreign_like_missing(&app, Method::GET, path, &mine.id, &missing, &auth, None, 404).await;
            assert_eq!(reply.json()["statusCode"], 6);
        }
        for body in item_writes {
            let reply = foreign_like_missing(&app, Method::POST, "/api/v2/ucs/interactions/{id}", &mine.id, &missing, &auth, Some(body), 404).await;
            assert_eq!(reply.json()["statusCode"], 6, "{body}");
        }

        // Histories and collections of the intruder are empty.
        for query in ["", "?contactId=c-acme", "?userId=alice", "?mediaType=call"] {
            let reply = call(&app, Method::GET, &format!("/api/v2/ucs/interactions{query}"), &auth, None).await;
            assert_eq!(reply.status, 200, "{query}");
            assert_eq!(reply.json()["totalCount"], 0, "{query}: {}", reply.body);
            assert_eq!(reply.json()["interactions"], json!([]), "{query}");
        }
        for (path, body) in [
            ("/api/v2/ucs/interactions", r#"{"operationName":"RetrieveInteractionHistory"}"#),
            ("/api/v2/ucs/interactions", r#"{"operationName":"RetrieveAgentHistory","userId":"alice"}"#),
            ("/api/v2/ucs/contacts/c-acme/interactions", r#"{"operationName":"RetrieveContactHistory"}"#),
        ] {
            let reply = call(&app, Method::POST, path, &auth, Some(body)).await;
            assert_eq!(reply.status, 200, "{body}: {}", reply.body);
            let data = notification_data(&app, &reply.json()["referenceId"]).await;
            assert_eq!(data["interactions"], json!([]), "{body}: {data}");
        }
        // The owner sees its interaction everywhere the intruder did not.
        let owner = [("authorization", format!("Bearer {}", app.token))];
        let reply = call(&app, Method::GET, "/api/v2/ucs/interactions?contactId=c-acme", &owner, None).await;
        assert_eq!(reply.json()["totalCount"], 1, "{}", reply.body);
        let reply = call(&app, Method::POST, "/api/v2/ucs/contacts/c-acme/interactions", &owner, Some(r#"{"operationName":"RetrieveContactHistory"}"#)).await;
        let data = notification_data(&app, &reply.json()["referenceId"]).await;
        assert_eq!(data["interactions"].as_array().unwrap().len(), 1, "{data}");

        let after = app
            .interactions()
            .get_interaction(authed(GetInteractionRequest { name: mine.name.clone() }, &app.token))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(after, mine, "nothing of A's interaction changed");
    }

    async fn hubgets_routes_never_reach_another_tenants_call(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let intruder = app.issue_token("globex", "alice").await;
        let xsrf = |token: &str| [("cookie", format!("dev=ff; xsrf-token={token}")), ("x-xsrf-token", token.to_owned())];
        let created = call(
            &app,
            Method::POST,
            "/uapi/phoneCalls/@me/simple",
            &xsrf(&app.token),
            Some(r#"{"source":"0003*210","destination":"3235742879"}"#),
        )
        .await;
        assert_eq!(created.status, 200, "{}", created.body);
        let id = created.json()[0]["id"].as_str().unwrap().to_owned();
        let name = format!("phoneCalls/{id}");
        let before = get_phone_call(&app, &app.token, &name).await;
        let events_before = app.events_of(&name).await;
        let missing = "00000000000000000000";
        let actions = [
            r#"{"action":"Park","phoneCallViewId":"00"}"#,
            r#"{"action":"UnPark","sendCallTo":"0003*211","phoneCallViewId":"00"}"#,
            r#"{"action":"OnHold","phoneCallViewId":"00"}"#,
            r#"{"action":"OffHold","phoneCallViewId":"00"}"#,
            r#"{"action":"StartRecording","phoneCallViewId":"00"}"#,
            r#"{"action":"StopRecording","phoneCallViewId":"00"}"#,
            r#"{"action":"PickUp","sendCallTo":"0003*211"}"#,
            r#"{"action":"BargeIn","sendCallTo":"0003*211"}"#,
            r#"{"action":"Whisper","sendCallTo":"0003*211"}"#,
            r#"{"action":"Monitor","sendCallTo":"0003*211"}"#,
            r#"{"action":"Transfer","sendCallTo":"0003*211"}"#,
            r#"{"action":"TransferToVoicemail","sendCallTo":"0003*211"}"#,
        ];
        let not_found = json!({"error": {"code": "pc_phonecall_invalid", "message": "The phone call does not exist."}});
        // Both credential styles; `@me` and the literal user id (the
        // intruder is also `alice`, in its own tenant); the extension and
        // `@self`.
        let bearer = [("authorization", format!("Bearer {intruder}"))];
        for auth in [&xsrf(&intruder)[..], &bearer[..]] {
            for prefix in ["/uapi/phoneCalls/@me/0003*210", "/uapi/phoneCalls/alice/0003*210", "/uapi/phoneCalls/@me/@self"] {
                let item = format!("{prefix}/{{id}}/");
                for body in actions {
                    let reply = foreign_like_missing(&app, Method::PUT, &item, &id, missing, auth, Some(body), 400).await;
                    assert_eq!(reply.json(), not_found, "{body}");
                }
                for (method, body) in [(Method::DELETE, None), (Method::POST, Some(r#"{"phoneNumber":"3235742879"}"#))] {
                    let reply = foreign_like_missing(&app, method, &item, &id, missing, auth, body, 400).await;
                    assert_eq!(reply.json(), not_found);
                }
                // Reading one call: empty, like a missing one.
                foreign_like_missing(&app, Method::GET, &item, &id, missing, auth, None, 204).await;
                // The extension's collection: nothing listed, nothing acted on.
                for (method, body) in [
                    (Method::GET, None),
                    (Method::PUT, Some(r#"{"action":"OnHold","phoneCallViewId":"00"}"#)),
                    (Method::DELETE, None),
                ] {
                    let reply = call(&app, method.clone(), prefix, auth, body).await;
                    assert_eq!(reply.status, 204, "{method} {prefix}: {}", reply.body);
                }
                let reply = call(&app, Method::GET, &format!("{prefix}?filterBy=id&filterOp=equals&filterValue={id}"), auth, None).await;
                assert_eq!(reply.status, 204, "{}", reply.body);
            }
        }
        assert_eq!(get_phone_call(&app, &app.token, &name).await, before, "nothing of A's call changed");
        assert_eq!(app.events_of(&name).await, events_before);
        let reply = call(&app, Method::GET, "/uapi/phoneCalls/@me/0003*210", &xsrf(&app.token), None).await;
        assert_eq!(reply.status, 200, "the owner still lists its call");
        assert_eq!(reply.json()["totalResults"], 1);
    }

    async fn salesforce_and_vcita_routes_never_reach_another_tenants_call(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        add_call_center(&app, "ACME_CC", "acme", JwtAlgorithm::Hs256, HS256_SECRET).await;
        add_call_center(&app, "GLOBEX_CC", "globex", JwtAlgorithm::Hs256, HS256_SECRET).await;
        let acme_jwt = hs256_jwt("ACME_CC", HS256_SECRET, false);
        let globex_jwt = hs256_jwt("GLOBEX_CC", HS256_SECRET, false);
        let globex_token = app.issue_token("globex", "alice").await;

        // A's Salesforce call with a transcript message, and A's vcita call.
        let acme_sf = [("authorization", format!("Bearer {acme_jwt}"))];
        let create_sf = |key: &str, callcenter: &str, parent: Option<&str>| {
            let mut body = json!({
                "callCenterApiName": callcenter, "vendorCallKey": key, "to": "+14155550901",
                "from": "+14155550148", "initiationMethod": "Inbound", "startTime": "2026-11-23T09:30:00Z",
                "participants": [{"participantKey": "+14155550148", "type": "END_USER"}]
            });
            if let Some(parent) = parent {
                body["initiationMethod"] = json!("Transfer");
                body["parentVoiceCallId"] = json!(parent);
            }
            body.to_string()
        };
        let reply = call(&app, Method::POST, "/telephony/v1/voiceCalls", &acme_sf, Some(&create_sf("sf-acme", "ACME_CC", None))).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let sf_id = reply.json()["voiceCallId"].as_str().unwrap().to_owned();
        let message = json!({"participantId": "+14155550148", "messageId": "m1", "startTime": 1_795_426_201_000_i64,
                             "endTime": 1_795_426_202_000_i64, "content": "Hello", "senderType": "END_USER"}).to_string();
        let reply = call(&app, Method::POST, "/telephony/v1/voiceCalls/sf-acme/messages", &acme_sf, Some(&message)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let acme_vcita = [("authorization", format!("Bearer {}", app.token))];
        let vcita_body = json!({
            "staff_uid": "d290f1ee-6c54-4b01-90e6-d701748f0851", "client_uid": "d290f1ee-6c54-4b01-90e6-d701748f0851",
            "from_number": "+14155550148", "to_number": "+14155550901", "direction": "INBOUND", "status": "MISSED",
            "rate": "0.05", "provider": "VONAGE", "source_id": "src", "external_uuid": "ext-acme",
            "business_uid": "d290f1ee-6c54-4b01-90e6-d701748f0851"
        }).to_string();
        let reply = call(&app, Method::POST, "/v3/communication/voice_calls", &acme_vcita, Some(&vcita_body)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let vcita_uid = reply.json()["data"]["uid"].as_str().unwrap().to_owned();

        let snapshot = |name: String| {
            let mut client = crate::voice_calls::client(&app);
            let token = app.token.clone();
            async move {
                client.get_voice_call(authed(GetVoiceCallRequest { name }, &token)).await.unwrap().into_inner()
            }
        };
        let sf_before = snapshot(format!("voiceCalls/{sf_id}")).await;
        let vcita_before = snapshot(format!("voiceCalls/{vcita_uid}")).await;

        // Salesforce, as the other tenant's call centre: by id and by key.
        let globex_sf = [("authorization", format!("Bearer {globex_jwt}"))];
        for (id, missing) in [(sf_id.as_str(), "0LQ000000000000000"), ("sf-acme", "no-such-key")] {
            for body in [r#"{"isActiveCall":true}"#, r#"{"callAttributes":"{\"Pwned\":\"yes\"}"}"#, r#"{"recordingLocation":"https://evil.example/r","totalRecordingDuration":5}"#] {
                let reply = foreign_like_missing(&app, Method::PATCH, "/telephony/v1/voiceCalls/{id}", id, missing, &globex_sf, Some(body), 404).await;
                assert_eq!(reply.json()["errors"][0]["errorCode"], "NOT_FOUND", "{body}");
            }
            let reply = foreign_like_missing(&app, Method::POST, "/telephony/v1/voiceCalls/{id}/messages", id, missing, &globex_sf, Some(&message), 404).await;
            assert_eq!(reply.json()["errors"][0]["errorCode"], "NOT_FOUND");
            let bulk = json!({"entries": [{"vendorCallKey": "{id}", "messages": [serde_json::from_str::<Value>(&message).unwrap()]}]}).to_string();
            let foreign = call(&app, Method::POST, "/telephony/v1/voiceCalls/messages", &globex_sf, Some(&bulk.replace("{id}", id))).await;
            let absent = call(&app, Method::POST, "/telephony/v1/voiceCalls/messages", &globex_sf, Some(&bulk.replace("{id}", missing))).await;
            assert_eq!(foreign.status, 404, "{}", foreign.body);
            assert_eq!(foreign.body.replace(id, missing), absent.body);
            // A transfer whose parent is A's call: the parent does not exist.
            let foreign = call(&app, Method::POST, "/telephony/v1/voiceCalls", &globex_sf, Some(&create_sf("sf-globex-t", "GLOBEX_CC", Some(id)))).await;
            let absent = call(&app, Method::POST, "/telephony/v1/voiceCalls", &globex_sf, Some(&create_sf("sf-globex-t", "GLOBEX_CC", Some(missing)))).await;
            assert!(foreign.status >= 400, "{}", foreign.body);
            assert_eq!((foreign.status, foreign.body.replace(id, missing)), (absent.status, absent.body));
        }
        // The same vendor key is a separate call in the other tenant.
        let reply = call(&app, Method::POST, "/telephony/v1/voiceCalls", &globex_sf, Some(&create_sf("sf-acme", "GLOBEX_CC", None))).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_ne!(reply.json()["voiceCallId"], json!(sf_id));

        // vcita, with the other tenant's token and with its call-centre JWT.
        for credential in [&globex_token, &globex_jwt] {
            let auth = [("authorization", format!("Bearer {credential}"))];
            for (id, missing) in [
                (vcita_uid.as_str(), "0LQ000000000000000"),
                ("ext-acme", "no-such-key"),
                (sf_id.as_str(), "0LQ000000000000000"),
            ] {
                for path in ["/v3/communication/voice_calls/{id}", "/v3/communication/voice_calls/{id}/transcript"] {
                    let reply = foreign_like_missing(&app, Method::GET, path, id, missing, &auth, None, 404).await;
                    assert_eq!(reply.json()["success"], false);
                    assert_eq!(reply.json()["errors"][0]["code"], "not_found");
                }
                for body in [r#"{"status":"MISSED_CALL_HANDLED"}"#, r#"{"recording_id":"pwned"}"#, r#"{"duration":99}"#] {
                    let reply = foreign_like_missing(&app, Method::PUT, "/v3/communication/voice_calls/{id}", id, missing, &auth, Some(body), 404).await;
                    assert_eq!(reply.json()["errors"][0]["code"], "not_found", "{body}");
                }
            }
            for query in ["", "?filter[external_uuid]=ext-acme", "?filter[uid]=VCITA", "?filter[status]=MISSED"] {
                let query = query.replace("VCITA", &vcita_uid);
                let reply = call(&app, Method::GET, &format!("/v3/communication/voice_calls{query}"), &auth, None).await;
                assert_eq!(reply.status, 200, "{query}: {}", reply.body);
                let calls = reply.json()["data"]["voice_calls"].as_array().unwrap().clone();
                // The other tenant's only call is its own `sf-acme`.
                assert!(
                    calls.iter().all(|c| c["uid"] != json!(vcita_uid) && c["uid"] != json!(sf_id)),
                    "{query}: {}",
                    reply.body
                );
            }
            let reply = call(&app, Method::GET, "/v3/communication/voice_calls/reports/voice_call_stats", &auth, None).await;
            assert_eq!(reply.status, 200);
            assert_eq!(reply.json()["data"]["total_voice_calls"], 1, "only its own call: {}", reply.body);
        }
        // The same external_uuid is a separate call in the other tenant.
        let globex = [("authorization", format!("Bearer {globex_token}"))];
        let reply = call(&app, Method::POST, "/v3/communication/voice_calls", &globex, Some(&vcita_body)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_ne!(reply.json()["data"]["uid"], json!(vcita_uid));

        assert_eq!(snapshot(format!("voiceCalls/{sf_id}")).await, sf_before, "nothing of A's Salesforce call changed");
        assert_eq!(snapshot(format!("voiceCalls/{vcita_uid}")).await, vcita_before, "nothing of A's vcita call changed");
        // The owner's transcript is still its one message.
        let reply = call(&app, Method::GET, &format!("/v3/communication/voice_calls/{sf_id}/transcript"), &acme_vcita, None).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.json()["data"]["transcript"].as_array().unwrap().len(), 1);
    }

    async fn cometd_sessions_never_receive_another_tenants_events(backend: Backend) {
        let app = TestApp::start(TestDatabase::new(backend), |c| {
            c.events.cometd_timeout = std::time::Duration::from_millis(1500)
        })
        .await;
        let intruder = app.issue_token("globex", "alice").await;
        // Both are `alice`, both listen to everything their session may see.
        let theirs = crate::cometd::handshake(&app, "alice", &intruder).await;
        let mine = crate::cometd::handshake(&app, "alice", &app.token).await;
        for client in [&theirs, &mine] {
            let reply = crate::cometd::subscribe(&app, client, json!(["/v2/me/**"])).await;
            assert_eq!(reply["successful"], true, "{reply}");
        }
        // A's activity: a UCS operation over REST (a UCS result
        // notification and an interaction change), a note, a notification.
        let owner = [("authorization", format!("Bearer {}", app.token))];
        let reply = call(&app, Method::POST, "/api/v2/ucs/interactions", &owner, Some(r#"{"operationName":"FindPhoneCall","callId":"cometd-tenancy","status":"InProcess","phoneNumber":"5550100","type":"Inbound"}"#)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let data = notification_data(&app, &reply.json()["referenceId"]).await;
        let id = data["interactionId"].as_str().unwrap();
        let reply = call(&app, Method::POST, &format!("/api/v2/ucs/interactions/{id}"), &owner, Some(r#"{"operationName":"SetCallNote","note":"secret"}"#)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        crate::cometd::publish(&app, &app.token, "/v2/me/ucs", json!({"for": "acme"})).await;
        // Then one event of the intruder's own: it must be the first and only
        // thing the intruder's session receives (events arrive in order).
        let own = crate::cometd::publish(&app, &intruder, "/v2/me/ucs", json!({"for": "globex"})).await;
        let got = crate::cometd::deliveries(&app, &theirs, 1).await;
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0]["data"]["referenceId"], own, "{got:?}");
        let body = crate::cometd::connect(&app, &theirs, None).await;
        assert_eq!(body.as_array().unwrap().len(), 1, "nothing else arrives: {body}");
        // A's session did receive A's events (so the check above could fail).
        let got = crate::cometd::deliveries(&app, &mine, 5).await;
        assert!(got.iter().all(|m| m["data"]["for"] != "globex"), "{got:?}");
        assert!(got.iter().any(|m| m["channel"] == "/v2/me/interactions"), "{got:?}");
    }
}
