//! `idempotency-key` metadata on every gRPC create and `Idempotency-Key` on
//! every REST create: one resource however many copies race, a conflict when
//! the key is reused for another request, and replays marked.

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::pb::CreateVoiceCallRequest;
use tonic::Code;
use tonic_types::StatusExt;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, authed, find_phone_call};
use crate::phone_calls::simple;
use crate::voice_calls::{client, inbound};

/// `message` with `token` and the idempotency key `key`.
fn keyed<T>(message: T, token: &str, key: &str) -> tonic::Request<T> {
    let mut request = authed(message, token);
    request
        .metadata_mut()
        .insert("idempotency-key", key.parse().unwrap());
    request
}

fn replayed<T>(response: &tonic::Response<T>) -> bool {
    response
        .metadata()
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true")
}

/// Asserts a reused key's refusal.
#[track_caller]
fn assert_reused(status: &tonic::Status) {
    assert_eq!(status.code(), Code::AlreadyExists, "{status:?}");
    let info = status.get_details_error_info().expect("ErrorInfo");
    assert_eq!(info.reason, "IDEMPOTENCY_KEY_REUSED", "{status:?}");
}

/// 64 copies of one request at once; returns the resource names and how
/// many responses were marked as replays.
async fn race<F, Fut, T>(create: F) -> (HashSet<String>, usize)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    T: Named,
{
    let answers = futures::future::join_all((0..64).map(|_| create())).await;
    let mut names = HashSet::new();
    let mut replays = 0;
    for answer in answers {
        let response = answer.expect("every copy succeeds");
        replays += usize::from(replayed(&response));
        names.insert(response.into_inner().resource_name());
    }
    (names, replays)
}

trait Named {
    fn resource_name(self) -> String;
}

impl Named for switchboard::pb::PhoneCall {
    fn resource_name(self) -> String {
        self.name
    }
}

impl Named for switchboard::pb::VoiceCall {
    fn resource_name(self) -> String {
        self.name
    }
}

impl Named for switchboard::pb::FindOrCreatePhoneCallInteractionResponse {
    fn resource_name(self) -> String {
        self.interaction.unwrap().name
    }
}

fn voice_call(key: &str) -> CreateVoiceCallRequest {
    CreateVoiceCallRequest {
        voice_call: Some(inbound(key)),
        state_literal: None,
    }
}

both_backends! {
    async fn one_phone_call_per_key_under_64_concurrent_creates(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let request = simple(&["0003*210"], "3235742879");
        let (names, replays) = race(|| {
            let mut calls = app.phone_calls();
            let request = keyed(request.clone(), &app.token, "pc-race-1");
            async move { calls.create_phone_call(request).await }
        })
        .await;
        assert_eq!(names.len(), 1, "{names:?}");
        assert_eq!(replays, 63, "every copy but the creating one is marked");
        let name = names.into_iter().next().unwrap();
        assert_eq!(app.events_of(&name).await, [("CREATED".to_owned(), "CreatePhoneCall".to_owned())]);
        // Without a key, the same request creates another call.
        let other = app.phone_calls().create_phone_call(authed(request.clone(), &app.token)).await.unwrap();
        assert!(!replayed(&other));
        assert_ne!(other.into_inner().name, name);
        // The key with another body is refused, and creates nothing.
        let status = app
            .phone_calls()
            .create_phone_call(keyed(simple(&["0003*210"], "3235742870"), &app.token, "pc-race-1"))
            .await
            .unwrap_err();
        assert_reused(&status);
    }

    async fn one_voice_call_per_key_under_64_concurrent_creates(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let (names, replays) = race(|| {
            let mut calls = client(&app);
            let request = keyed(voice_call("vc-idem-1"), &app.token, "vc-race-1");
            async move { calls.create_voice_call(request).await }
        })
        .await;
        assert_eq!(names.len(), 1, "{names:?}");
        assert_eq!(replays, 63);
        // The key with another vendor call key is refused, and creates nothing.
        let status = client(&app).create_voice_call(keyed(voice_call("vc-idem-2"), &app.token, "vc-race-1")).await.unwrap_err();
        assert_reused(&status);
        let missing = client(&app)
            .get_voice_call(authed(switchboard::pb::GetVoiceCallRequest { name: "voiceCalls/vc-idem-2".into() }, &app.token))
            .await
            .unwrap_err();
        assert_eq!(missing.code(), Code::NotFound, "{missing:?}");
    }

    async fn find_or_create_takes_a_key_beside_the_call_id(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let (names, replays) = race(|| {
            let mut interactions = app.interactions();
            let request = keyed(find_phone_call("idem-1"), &app.token, "ix-race-1");
            async move { interactions.find_or_create_phone_call_interaction(request).await }
        })
        .await;
        assert_eq!(names.len(), 1);
        assert_eq!(replays, 63);
        // A key names one request: another call id under it is refused...
        let status = app
            .interactions()
            .find_or_create_phone_call_interaction(keyed(find_phone_call("idem-2"), &app.token, "ix-race-1"))
            .await
            .unwrap_err();
        assert_reused(&status);
        // ...and a key is scoped to its tenant.
        let other_tenant = app.issue_token("globex", "agent").await;
        let theirs = app
            .interactions()
            .find_or_create_phone_call_interaction(keyed(find_phone_call("idem-1"), &other_tenant, "ix-race-1"))
            .await
            .unwrap();
        assert!(!replayed(&theirs));
        assert!(theirs.into_inner().created);
    }

    async fn keys_expire_after_their_retention(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let first = app
            .phone_calls()
            .create_phone_call(keyed(simple(&["0003*210"], "3235742879"), &app.token, "old-key"))
            .await
            .unwrap()
            .into_inner();
        // Nothing is older than a day yet.
        let now = switchboard::domain::time::now();
        let retention = switchboard::store::idempotency::RETENTION;
        assert_eq!(app.store.expire_idempotency_keys(now - retention).await.unwrap(), 0);
        // A day later the key is forgotten: the same key names a new request.
        assert_eq!(app.store.expire_idempotency_keys(now + chrono::Duration::seconds(1)).await.unwrap(), 1);
        let second = app
            .phone_calls()
            .create_phone_call(keyed(simple(&["0003*210"], "3235742870"), &app.token, "old-key"))
            .await
            .expect("an expired key is free again");
        assert!(!replayed(&second));
        assert_ne!(second.into_inner().name, first.name);
    }

    async fn rest_creates_take_the_idempotency_key_header(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let http = reqwest::Client::new();
        // vcita: 64 concurrent posts, one call.
        let body = json!({
            "staff_uid": "f3c9a2b1", "client_uid": "f3c9a2b1", "business_uid": "f3c9a2b1",
            "from_number": "+14155550148", "to_number": "+14155550901", "direction": "INBOUND",
            "status": "MISSED", "rate": "0.05", "provider": "VONAGE", "source_id": "src-1",
            "external_uuid": "ext-idem-1"
        });
        let post = |body: Value, key: &'static str| {
            http.post(format!("{}/v3/communication/voice_calls", app.url()))
                .bearer_auth(&app.token)
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
        };
        let answers = futures::future::join_all((0..64).map(|_| post(body.clone(), "vcita-1"))).await;
        let mut uids = HashSet::new();
        let mut replays = 0;
        for answer in answers {
            let answer = answer.unwrap();
            replays += usize::from(answer.headers().get("idempotent-replayed").is_some_and(|v| v == "true"));
            let body: Value = answer.json().await.unwrap();
            assert_eq!(body["success"], true, "{body}");
            uids.insert(body["data"]["uid"].as_str().unwrap().to_owned());
        }
        assert_eq!(uids.len(), 1);
        assert_eq!(replays, 63);
        let mut changed = body.clone();
        changed["external_uuid"] = json!("ext-idem-2");
        let reused = post(changed, "vcita-1").await.unwrap();
        assert_eq!(reused.status(), StatusCode::CONFLICT);
        let reused: Value = reused.json().await.unwrap();
        assert_eq!(reused["success"], false, "{reused}");

        // Hubgets: a repeat answers with the first call, marked.
        let hubgets = |key: &'static str| {
            http.post(format!("{}/uapi/phoneCalls/@me/simple", app.url()))
                .bearer_auth(&app.token)
                .header("Idempotency-Key", key)
                .json(&json!({"extension": "0003*210", "source": "0003*210", "destination": "3235742879"}))
                .send()
        };
        let first = hubgets("uapi-1").await.unwrap();
        assert_eq!(first.status(), StatusCode::OK);
        assert!(first.headers().get("idempotent-replayed").is_none());
        let first: Value = first.json().await.unwrap();
        let again = hubgets("uapi-1").await.unwrap();
        assert_eq!(again.headers()["idempotent-replayed"], "true");
        let again: Value = again.json().await.unwrap();
        assert_eq!(first[0]["id"], again[0]["id"]);
        let fresh: Value = hubgets("uapi-2").await.unwrap().json().await.unwrap();
        assert_ne!(first[0]["id"], fresh[0]["id"]);
    }
}

#[tokio::test]
async fn malformed_keys_are_refused() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for key in ["", &"k".repeat(256)] {
        let mut request = authed(find_phone_call("bad-key"), &app.token);
        request.metadata_mut().insert(
            "idempotency-key",
            tonic::metadata::MetadataValue::try_from(key).unwrap(),
        );
        let status = app
            .interactions()
            .find_or_create_phone_call_interaction(request)
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{key:?}: {status:?}");
        assert!(status.message().contains("idempotency-key"), "{status:?}");
    }
    // Nothing was created by the refused requests.
    let created = app
        .interactions()
        .find_or_create_phone_call_interaction(authed(find_phone_call("bad-key"), &app.token))
        .await
        .unwrap();
    assert!(created.into_inner().created);
}
