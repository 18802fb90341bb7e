//! The Salesforce Telephony Integration API dialect (`/telephony/v1`): the
//! seed's create fields replayed verbatim, JSON and XML bodies, updates by
//! id or vendor key, transcripts, every validation error, and the
//! call-centre JWT (HS256, RS256, expired, forged, `alg: none`, unknown call
//! centre, call-centre mismatch).

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::domain::call_center::JwtAlgorithm;
use switchboard::pb::interaction::MediaType;
use switchboard::pb::{CallState, GetVoiceCallRequest, ListInteractionsRequest};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, authed};
use crate::voice_calls::{HS256_SECRET, add_call_center, client, hs256_jwt};

const PRIVATE_KEY: &str = include_str!("fixtures/call_center_test_key.pem");
const PUBLIC_KEY: &str = include_str!("fixtures/call_center_test_key.pub.pem");

/// An app with call centre `ACME_CC` (HS256) in tenant `acme`, and its JWT.
async fn app_with_call_center(backend: Backend) -> (TestApp, String) {
    let app = TestApp::spawn(backend).await;
    add_call_center(&app, "ACME_CC", "acme", JwtAlgorithm::Hs256, HS256_SECRET).await;
    let jwt = hs256_jwt("ACME_CC", HS256_SECRET, false);
    (app, jwt)
}

fn url(app: &TestApp, path: &str) -> String {
    format!("{}/telephony/v1{path}", app.url())
}

/// The seed's create fields, verbatim (values filled in where the seed
/// describes them).
fn seed_create(key: &str) -> Value {
    json!({
        "callCenterApiName": "ACME_CC",
        "vendorCallKey": key,
        "to": "+14155550901",
        "from": "+14155550148",
        "initiationMethod": "Inbound",
        "startTime": "2026-11-23T09:30:00Z",
        "participants": [{"participantKey": "+14155550148", "type": "END_USER"}],
        "callAttributes": "{\"SourceType\":\"Sales\"}"
    })
}

async fn send(method: reqwest::Method, url: String, jwt: &str, body: Value) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .request(method, url)
        .bearer_auth(jwt)
        .header("Telephony-Provider-Name", "Amazon Connect")
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn post(app: &TestApp, path: &str, jwt: &str, body: Value) -> (StatusCode, Value) {
    send(reqwest::Method::POST, url(app, path), jwt, body).await
}

async fn patch(app: &TestApp, path: &str, jwt: &str, body: Value) -> (StatusCode, Value) {
    send(reqwest::Method::PATCH, url(app, path), jwt, body).await
}

async fn raw(app: &TestApp, path: &str, jwt: &str, content_type: &str, body: &str) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(url(app, path))
        .bearer_auth(jwt)
        .header("content-type", content_type)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn error_fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["fields"].as_array().cloned().unwrap_or_default())
        .map(|f| f.as_str().unwrap().to_owned())
        .collect()
}

both_backends! {
    async fn seed_create_is_idempotent_and_readable_everywhere(backend: Backend) {
        let (app, jwt) = app_with_call_center(backend).await;
        let (status, body) = post(&app, "/voiceCalls", &jwt, seed_create("ct-seed-1")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let id = body["voiceCallId"].as_str().unwrap().to_owned();
        assert!(id.starts_with("0LQ") && id.len() == 18);
        assert_eq!(body, json!({"voiceCallId": id, "errors": []}));
        // Same vendorCallKey: the same call, nothing new.
        let (status, again) = post(&app, "/voiceCalls", &jwt, seed_create("ct-seed-1")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(again, body);

        // gRPC, in the call centre's tenant, sees every field.
        let acme = app.issue_token("acme", "carol").await;
        let call = client(&app)
            .get_voice_call(authed(GetVoiceCallRequest { name: "voiceCalls/ct-seed-1".into() }, &acme))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(call.id, id);
        assert_eq!(call.call_center_api_name, "ACME_CC");
        assert_eq!(call.telephony_provider, "Amazon Connect");
        assert_eq!(call.state, i32::from(CallState::Queued));
        assert_eq!(call.state_literal.as_ref().unwrap().value, "new");
        assert_eq!(call.start_time.as_ref().unwrap().seconds, 1_795_426_200);
        assert_eq!(call.participants[0].participant_key, "+14155550148");
        assert_eq!(
            switchboard::api::convert::common::struct_to_json("a", call.call_attributes.as_ref()).unwrap(),
            *json!({"SourceType": "Sales"}).as_object().unwrap()
        );
        // vcita reads it too.
        let vcita: Value = reqwest::Client::new()
            .get(format!("{}/v3/communication/voice_calls/ct-seed-1", app.url()))
            .bearer_auth(&acme)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(vcita["data"]["uid"], id);
        assert_eq!(vcita["data"]["status"], "INCOMING_CALL");
        assert_eq!(vcita["data"]["direction"], "INBOUND");
        // And it is in the Genesys interaction history.
        let history = app
            .interactions()
            .list_interactions(authed(ListInteractionsRequest::default(), &acme))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(history.interactions.len(), 1);
        assert_eq!(history.interactions[0].media_type, i32::from(MediaType::Call));
        assert_eq!(history.interactions[0].voice_call, format!("voiceCalls/{id}"));
        // The JWT is also a gRPC credential.
        let via_jwt = client(&app)
            .get_voice_call(authed(GetVoiceCallRequest { name: format!("voiceCalls/{id}") }, &jwt))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(via_jwt.id, id);
    }

    async fn patch_by_id_or_vendor_key_updates_and_ends_the_call(backend: Backend) {
        let (app, jwt) = app_with_call_center(backend).await;
        let (_, created) = post(&app, "/voiceCalls", &jwt, seed_create("ct-patch")).await;
        let id = created["voiceCallId"].as_str().unwrap().to_owned();
        let (status, body) = patch(
            &app,
            &format!("/voiceCalls/{id}"),
            &jwt,
            json!({"acceptTime": "2026-11-23T09:30:10Z", "agent": "agent@acme.example", "queue": "Support", "isActiveCall": true,
                   "callAttributes": "{\"CallerContactInfo\":\"VIP\"}"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, json!({"status": "pending"}));
        let (status, body) = patch(
            &app,
            "/voiceCalls/ct-patch",
            &jwt,
            json!({"endTime": "2026-11-23T09:35:00Z", "startTime": "2026-11-23T09:30:00Z", "isActiveCall": false,
                   "recordingLocation": "s3://recordings/ct-patch.wav", "totalHoldDuration": 20, "longestHoldDuration": 15,
                   "numberOfHolds": 2, "agentInteractionDuration": 260, "disconnectReason": {"value": "CUSTOMER_DISCONNECT", "isError": false}}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let call = client(&app)
            .get_voice_call(authed(GetVoiceCallRequest { name: format!("voiceCalls/{id}") }, &jwt))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(call.state, i32::from(CallState::Completed));
        assert_eq!(call.state_literal.as_ref().unwrap().value, "completed");
        assert_eq!(call.duration.unwrap().seconds, 300);
        assert_eq!(call.total_recording_duration.unwrap().seconds, 280);
        assert_eq!(call.agent, "agent@acme.example");
        assert_eq!(call.disconnect_reason.unwrap().value, "CUSTOMER_DISCONNECT");
        let attributes = switchboard::api::convert::common::struct_to_json("a", call.call_attributes.as_ref()).unwrap();
        assert_eq!(Value::Object(attributes), json!({"SourceType": "Sales", "CallerContactInfo": "VIP"}), "callAttributes merge");
        // A completed call cannot become active again.
        let (status, body) = patch(&app, "/voiceCalls/ct-patch", &jwt, json!({"isActiveCall": true})).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["errors"][0]["errorCode"], "INVALID_STATE_TRANSITION");
        // Unknown calls are 404 in the same envelope.
        let (status, body) = patch(&app, "/voiceCalls/nope", &jwt, json!({"queue": "x"})).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body, json!({"errors": [{"errorCode": "NOT_FOUND", "message": "voiceCalls/nope not found"}]}));
    }

    async fn transfers_chain_to_the_parent_by_vendor_key_or_id(backend: Backend) {
        let (app, jwt) = app_with_call_center(backend).await;
        let (_, parent) = post(&app, "/voiceCalls", &jwt, seed_create("ct-root")).await;
        let mut transfer = seed_create("ct-transfer");
        transfer["initiationMethod"] = json!("Transfer");
        transfer["parentVoiceCallId"] = json!("ct-root");
        transfer["queue"] = json!("Tier2");
        let (status, child) = post(&app, "/voiceCalls", &jwt, transfer.clone()).await;
        assert_eq!(status, StatusCode::OK, "{child}");
        transfer["vendorCallKey"] = json!("ct-transfer-2");
        transfer["parentVoiceCallId"] = parent["voiceCallId"].clone();
        let (status, _) = post(&app, "/voiceCalls", &jwt, transfer.clone()).await;
        assert_eq!(status, StatusCode::OK);
        let child = client(&app)
            .get_voice_call(authed(GetVoiceCallRequest { name: format!("voiceCalls/{}", child["voiceCallId"].as_str().unwrap()) }, &jwt))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(child.parent, format!("voiceCalls/{}", parent["voiceCallId"].as_str().unwrap()));
        assert_eq!(child.queue, "Tier2");
        // Transfer needs parentVoiceCallId, and it must exist.
        let mut orphan = seed_create("ct-orphan");
        orphan["initiationMethod"] = json!("Transfer");
        let (status, body) = post(&app, "/voiceCalls", &jwt, orphan.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(error_fields(&body), ["parentVoiceCallId"]);
        orphan["parentVoiceCallId"] = json!("no-such-call");
        let (status, body) = post(&app, "/voiceCalls", &jwt, orphan).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(error_fields(&body), ["parentVoiceCallId"]);
    }

    async fn transcripts_are_accepted_one_by_one_and_in_bulk(backend: Backend) {
        let (app, jwt) = app_with_call_center(backend).await;
        post(&app, "/voiceCalls", &jwt, seed_create("ct-t1")).await;
        post(&app, "/voiceCalls", &jwt, seed_create("ct-t2")).await;
        let message = |id: &str, at: i64, sender: &str, text: &str| {
            json!({"participantId": format!("ct-t1{sender}"), "messageId": id, "startTime": at, "endTime": at + 1500,
                   "content": text, "senderType": sender})
        };
        let (status, body) = post(&app, "/voiceCalls/ct-t1/messages", &jwt, message("m1", 1_795_426_201_000, "END_USER", "Hello")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, json!({"result": "Accepted"}));
        let bulk = json!({"entries": [
            {"vendorCallKey": "ct-t1", "messages": [message("m2", 1_795_426_203_000, "HUMAN_AGENT", "Hi, how can I help?"), message("m1", 1, "END_USER", "dup")]},
            {"vendorCallKey": "ct-t2", "messages": [message("x1", 1_795_426_204_000, "END_USER", "Other call")]}
        ]});
        let (status, body) = post(&app, "/voiceCalls/messages", &jwt, bulk).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, json!({"result": "Accepted"}));
        // vcita reads the transcript, in order, with roles.
        let transcript: Value = reqwest::Client::new()
            .get(format!("{}/v3/communication/voice_calls/ct-t1/transcript", app.url()))
            .bearer_auth(&jwt)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(transcript["data"]["status"], "IN_PROGRESS");
        assert_eq!(
            transcript["data"]["transcript"],
            json!([
                {"timestamp": 1.0, "speaker_role": "client", "text": "Hello"},
                {"timestamp": 3.0, "speaker_role": "staff", "text": "Hi, how can I help?"}
            ])
        );
        // Unknown calls are 404 and nothing of the bulk is stored.
        let bulk = json!({"entries": [
            {"vendorCallKey": "ct-t2", "messages": [message("x2", 1_795_426_205_000, "END_USER", "kept?")]},
            {"vendorCallKey": "missing", "messages": [message("y1", 1_795_426_205_000, "END_USER", "no")]}
        ]});
        let (status, _) = post(&app, "/voiceCalls/messages", &jwt, bulk).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let transcript: Value = reqwest::Client::new()
            .get(format!("{}/v3/communication/voice_calls/ct-t2/transcript", app.url()))
            .bearer_auth(&jwt)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(transcript["data"]["transcript"].as_array().unwrap().len(), 1);
    }
}

#[tokio::test]
async fn xml_bodies_are_accepted() {
    let (app, jwt) = app_with_call_center(Backend::Sqlite).await;
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
        <VoiceCall>
          <callCenterApiName>ACME_CC</callCenterApiName>
          <vendorCallKey>ct-xml</vendorCallKey>
          <to>+14155550901</to>
          <from>+14155550148</from>
          <initiationMethod>Inbound</initiationMethod>
          <startTime>2026-11-23T09:30:00Z</startTime>
          <participants><participantKey>+14155550148</participantKey><type>END_USER</type></participants>
          <callAttributes>{"SourceType":"Service"}</callAttributes>
        </VoiceCall>"#;
    let (status, body) = raw(&app, "/voiceCalls", &jwt, "application/xml", xml).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["errors"], json!([]));
    let patch = "<VoiceCall><isActiveCall>false</isActiveCall><numberOfHolds>1</numberOfHolds></VoiceCall>";
    let response = reqwest::Client::new()
        .patch(url(&app, "/voiceCalls/ct-xml"))
        .bearer_auth(&jwt)
        .header("content-type", "application/xml; charset=utf-8")
        .body(patch)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let call = client(&app)
        .get_voice_call(authed(
            GetVoiceCallRequest {
                name: "voiceCalls/ct-xml".into(),
            },
            &jwt,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(call.state, i32::from(CallState::Completed));
    assert_eq!(call.number_of_holds, 1);
    let message = "<message><participantId>p</participantId><messageId>x1</messageId><startTime>1795426201000</startTime>\
                   <endTime>1795426202000</endTime><content>a &amp; b</content><senderType>END_USER</senderType></message>";
    let (status, body) = raw(&app, "/voiceCalls/ct-xml/messages", &jwt, "text/xml", message).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (status, body) = raw(
        &app,
        "/voiceCalls",
        &jwt,
        "application/xml",
        "<VoiceCall><to>x</VoiceCall>",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"][0]["errorCode"], "XML_PARSER_ERROR");
    let (status, body) = raw(
        &app,
        "/voiceCalls",
        &jwt,
        "application/xml",
        "<VoiceCall><numberOfHolds>x</numberOfHolds></VoiceCall>",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn every_validation_error_is_reported() {
    let (app, jwt) = app_with_call_center(Backend::Sqlite).await;
    // Everything missing: every required field, in one answer.
    let (status, body) = post(&app, "/voiceCalls", &jwt, json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        error_fields(&body),
        [
            "participants",
            "callCenterApiName",
            "vendorCallKey",
            "to",
            "from",
            "initiationMethod",
            "startTime"
        ]
    );
    assert_eq!(
        body["errors"][0],
        json!({"errorCode": "REQUIRED_FIELD_MISSING", "message": "participants is required", "fields": ["participants"]})
    );
    // Wrong types, wrong enum case, a bad callAttributes string, a bad time.
    let mut bad = seed_create("ct-bad");
    bad["initiationMethod"] = json!("inbound");
    bad["callOrigin"] = json!("preview");
    bad["callSubtype"] = json!("webrtc");
    bad["participants"] = json!([{"participantKey": "+14155550148", "type": "end_user"}]);
    bad["callAttributes"] = json!("{not json");
    bad["startTime"] = json!("yesterday");
    let (status, body) = post(&app, "/voiceCalls", &jwt, bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        error_fields(&body),
        [
            "initiationMethod",
            "callOrigin",
            "callSubtype",
            "startTime",
            "participants[0].type",
            "callAttributes"
        ]
    );
    let mut typed = seed_create("ct-bad");
    typed["to"] = json!(14155550901_i64);
    typed["callAttributes"] = json!({"SourceType": "Sales"});
    typed["participants"] = json!({"participantKey": "x"});
    let (status, body) = post(&app, "/voiceCalls", &jwt, typed).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_fields(&body), ["participants", "to", "callAttributes"]);
    assert_eq!(body["errors"][1]["message"], "to must be a string, not a number");
    // Values the core refuses are named with Salesforce's field names.
    let mut core = seed_create("ct bad");
    core["from"] = json!("+0");
    let (status, body) = post(&app, "/voiceCalls", &jwt, core).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_fields(&body), ["vendorCallKey", "from"]);
    // Malformed bodies and media types.
    let (status, body) = raw(&app, "/voiceCalls", &jwt, "application/json", "{\"to\":").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"][0]["errorCode"], "JSON_PARSER_ERROR");
    let (status, _) = raw(&app, "/voiceCalls", &jwt, "application/json", "[1]").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = raw(&app, "/voiceCalls", &jwt, "text/plain", "hi").await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(body["errors"][0]["errorCode"], "UNSUPPORTED_MEDIA_TYPE");
    // PATCH: types and rules.
    post(&app, "/voiceCalls", &jwt, seed_create("ct-ok")).await;
    let (status, body) = patch(
        &app,
        "/voiceCalls/ct-ok",
        &jwt,
        json!({"totalHoldDuration": "20", "isActiveCall": "no", "endTime": "later", "disconnectReason": {"isError": true}}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        error_fields(&body),
        [
            "totalHoldDuration",
            "isActiveCall",
            "disconnectReason.value",
            "endTime"
        ]
    );
    let (status, body) = patch(&app, "/voiceCalls/ct-ok", &jwt, json!({"totalHoldDuration": 20})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_fields(&body), ["totalHoldDuration"]);
    assert_eq!(
        body["errors"][0]["message"],
        "totalHoldDuration: requires recording_location"
    );
    // Messages: required fields and bulk limits.
    let (status, body) = post(
        &app,
        "/voiceCalls/ct-ok/messages",
        &jwt,
        json!({"senderType": "BOT"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        error_fields(&body),
        [
            "participantId",
            "messageId",
            "startTime",
            "endTime",
            "content",
            "senderType"
        ]
    );
    let six: Vec<Value> = (0..6)
        .map(|i| json!({"vendorCallKey": format!("k{i}"), "messages": []}))
        .collect();
    let (status, body) = post(&app, "/voiceCalls/messages", &jwt, json!({"entries": six})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_fields(&body), ["entries"]);
    // Routes this server does not serve say so in the same envelope.
    let (status, body) = patch(
        &app,
        "/voiceCalls/ct-ok/omniFlow",
        &jwt,
        json!({"dialedNumber": "+1"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED);
    assert_eq!(body["errors"][0]["errorCode"], "NOT_IMPLEMENTED");
}

#[tokio::test]
async fn call_center_jwts_are_verified() {
    let (app, jwt) = app_with_call_center(Backend::Sqlite).await;
    add_call_center(&app, "RSA_CC", "acme", JwtAlgorithm::Rs256, PUBLIC_KEY.as_bytes()).await;
    add_call_center(&app, "GLOBEX_CC", "globex", JwtAlgorithm::Hs256, HS256_SECRET).await;
    let unauthorized = |body: &Value| body["errors"][0]["errorCode"] == "AUTH_TOKEN_INVALID";

    // HS256 and RS256 call centres both work.
    let (status, _) = post(&app, "/voiceCalls", &jwt, seed_create("ct-jwt-1")).await;
    assert_eq!(status, StatusCode::OK);
    let now = jsonwebtoken::get_current_timestamp();
    let rs256 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &json!({"iss": "00Dxx0000001gPL", "sub": "RSA_CC", "exp": now + 3600}),
        &jsonwebtoken::EncodingKey::from_rsa_pem(PRIVATE_KEY.as_bytes()).unwrap(),
    )
    .unwrap();
    let mut body = seed_create("ct-jwt-rsa");
    body["callCenterApiName"] = json!("RSA_CC");
    let (status, created) = post(&app, "/voiceCalls", &rs256, body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{created}");

    // The JWT's call centre must be the body's: 403.
    let (status, forbidden) = post(&app, "/voiceCalls", &rs256, seed_create("ct-jwt-2")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(forbidden["errors"][0]["errorCode"], "INSUFFICIENT_ACCESS");

    // Missing, expired, forged, unknown, `alg: none`, algorithm confusion: 401.
    let response = reqwest::Client::new()
        .post(url(&app, "/voiceCalls"))
        .json(&seed_create("x"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let b64 = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let none = format!(
        "{}.{}.",
        b64(json!({"alg": "none", "typ": "JWT"})),
        b64(json!({"sub": "ACME_CC", "exp": now + 3600}))
    );
    let confused = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({"sub": "RSA_CC", "exp": now + 3600}),
        &jsonwebtoken::EncodingKey::from_secret(PUBLIC_KEY.as_bytes()),
    )
    .unwrap();
    for (case, token) in [
        ("expired", hs256_jwt("ACME_CC", HS256_SECRET, true)),
        (
            "wrong key",
            hs256_jwt("ACME_CC", b"another-secret-that-is-32-bytes-long", false),
        ),
        ("unknown call center", hs256_jwt("NOBODY_CC", HS256_SECRET, false)),
        ("alg none", none),
        ("algorithm confusion", confused),
        ("garbage", "a.b.c".to_owned()),
    ] {
        let (status, body) = post(&app, "/voiceCalls", &token, seed_create("ct-jwt-x")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{case}: {body}");
        assert!(unauthorized(&body), "{case}: {body}");
    }
    let (_, expired) = post(
        &app,
        "/voiceCalls",
        &hs256_jwt("ACME_CC", HS256_SECRET, true),
        seed_create("x"),
    )
    .await;
    assert_eq!(
        expired["errors"][0]["message"],
        "invalid JWT: the JWT has expired"
    );

    // A call centre is its tenant: another tenant's call centre sees nothing.
    let globex = hs256_jwt("GLOBEX_CC", HS256_SECRET, false);
    let (status, _) = patch(&app, "/voiceCalls/ct-jwt-1", &globex, json!({"queue": "x"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let mut theirs = seed_create("ct-jwt-1");
    theirs["callCenterApiName"] = json!("GLOBEX_CC");
    let (status, body) = post(&app, "/voiceCalls", &globex, theirs).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(body["voiceCallId"], created["voiceCallId"]);
}
