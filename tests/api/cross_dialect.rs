//! One store, many views: a call created through any dialect is readable
//! through the others and over gRPC, and appears in the Genesys interaction
//! history (media type `call`) with its state following the call.

use serde_json::{Value, json};
use switchboard::domain::call_center::JwtAlgorithm;
use switchboard::pb::interaction::{MediaType, State};
use switchboard::pb::voice_call_service_client::VoiceCallServiceClient;
use switchboard::pb::{GetVoiceCallRequest, ListInteractionsRequest};

use crate::both_backends;
use crate::helpers::{TestApp, authed};
use crate::voice_calls::{HS256_SECRET, add_call_center, hs256_jwt};

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    bearer: &str,
    body: Option<Value>,
) -> Value {
    let mut request = reqwest::Client::new()
        .request(method.clone(), format!("{}{path}", app.url()))
        .bearer_auth(bearer);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{method} {path}: {status} {body}");
    body
}

/// The Genesys history entries (GET collection), by interaction id.
async fn genesys_history(app: &TestApp) -> Vec<Value> {
    let body = send(
        app,
        reqwest::Method::GET,
        "/api/v2/ucs/interactions",
        &app.token,
        None,
    )
    .await;
    assert_eq!(body["statusCode"], 0);
    body["interactions"].as_array().unwrap().clone()
}

both_backends! {
    async fn every_dialect_writes_one_history(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        add_call_center(&app, "ACME_CC", "acme", JwtAlgorithm::Hs256, HS256_SECRET).await;
        let jwt = hs256_jwt("ACME_CC", HS256_SECRET, false);

        // Hubgets: a live phone call.
        let created = send(
            &app,
            reqwest::Method::POST,
            "/uapi/phoneCalls/@me/simple/",
            &app.token,
            Some(json!({"extension":"0003*210","phoneCallView":[{"source":["0003*210"],"destination":["3235742879"],"callerId":"John Doe <4242425>"}]})),
        )
        .await;
        let phone_call_id = created[0]["id"].as_str().unwrap().to_owned();

        // Salesforce: a voice call record.
        let sf = send(
            &app,
            reqwest::Method::POST,
            "/telephony/v1/voiceCalls",
            &jwt,
            Some(json!({
                "callCenterApiName": "ACME_CC", "vendorCallKey": "cross-sf-1", "to": "+14155550901",
                "from": "+14155550148", "initiationMethod": "Inbound", "startTime": "2026-11-23T09:30:00Z",
                "participants": [{"participantKey": "+14155550148", "type": "END_USER"}]
            })),
        )
        .await;
        let sf_id = sf["voiceCallId"].as_str().unwrap().to_owned();

        // vcita: another voice call record.
        let uid = "d290f1ee-6c54-4b01-90e6-d701748f0851";
        let vcita = send(
            &app,
            reqwest::Method::POST,
            "/v3/communication/voice_calls",
            &app.token,
            Some(json!({
                "staff_uid": uid, "client_uid": uid, "from_number": "+14155550148", "to_number": "+14155550901",
                "direction": "INBOUND", "status": "ANSWERED_BY_STAFF", "rate": "0.05", "provider": "VONAGE",
                "source_id": "call-src-001", "external_uuid": "cross-vcita-1", "business_uid": uid
            })),
        )
        .await;
        let vcita_id = vcita["data"]["uid"].as_str().unwrap().to_owned();

        // The Salesforce call through vcita and gRPC; the vcita call through gRPC.
        let through_vcita = send(&app, reqwest::Method::GET, &format!("/v3/communication/voice_calls/{sf_id}"), &app.token, None).await;
        assert_eq!(through_vcita["data"]["uid"], sf_id.as_str());
        assert_eq!(through_vcita["data"]["from_number"], "+14155550148");
        let mut voice_calls = VoiceCallServiceClient::new(app.channel.clone());
        for (name, key) in [(format!("voiceCalls/{sf_id}"), "cross-sf-1"), (format!("voiceCalls/{vcita_id}"), "cross-vcita-1")] {
            let call = voice_calls.get_voice_call(authed(GetVoiceCallRequest { name: name.clone() }, &app.token)).await.unwrap().into_inner();
            assert!(call.vendor_call_key == key || call.external_uuid == key, "{name}");
        }

        // All three are in the interaction history, as calls, linked back.
        let listed = app
            .interactions()
            .list_interactions(authed(ListInteractionsRequest::default(), &app.token))
            .await
            .unwrap()
            .into_inner()
            .interactions;
        assert_eq!(listed.len(), 3);
        assert!(listed.iter().all(|i| i.media_type == MediaType::Call as i32));
        let linked: Vec<&str> = listed.iter().map(|i| if i.phone_call.is_empty() { i.voice_call.as_str() } else { i.phone_call.as_str() }).collect();
        for resource in [format!("phoneCalls/{phone_call_id}"), format!("voiceCalls/{sf_id}"), format!("voiceCalls/{vcita_id}")] {
            assert!(linked.contains(&resource.as_str()), "{resource} missing from {linked:?}");
        }
        let history = genesys_history(&app).await;
        assert_eq!(history.len(), 3);
        assert!(history.iter().all(|i| i["mediaType"] == "call"), "{history:?}");

        // State follows the call: hanging up the Hubgets call stops its record.
        let record = listed.iter().find(|i| i.phone_call == format!("phoneCalls/{phone_call_id}")).unwrap();
        assert_ne!(record.state, State::Stopped as i32);
        send(&app, reqwest::Method::DELETE, &format!("/uapi/phoneCalls/@me/0003*210/{phone_call_id}"), &app.token, None).await;
        let stopped = genesys_history(&app).await.into_iter().find(|i| i["id"] == record.id.as_str()).unwrap();
        assert_eq!(stopped["state"], "Stopped");
        assert!(stopped["endDate"].is_string());

        // Closing the Salesforce call stops its record too.
        send(&app, reqwest::Method::PATCH, &format!("/telephony/v1/voiceCalls/{sf_id}"), &jwt, Some(json!({"isActiveCall": false, "endTime": "2026-11-23T09:35:00Z"}))).await;
        let sf_record = listed.iter().find(|i| i.voice_call == format!("voiceCalls/{sf_id}")).unwrap();
        let closed = genesys_history(&app).await.into_iter().find(|i| i["id"] == sf_record.id.as_str()).unwrap();
        assert_eq!(closed["state"], "Stopped");
    }
}
