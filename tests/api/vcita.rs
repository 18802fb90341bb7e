//! The vcita v3 voice-call dialect (`/v3/communication/voice_calls`): the
//! seed's create body replayed verbatim, envelopes, partial PUT, legacy
//! `VOICEMAIL_RECEIVED`, string-only money, E.164, list paging/sort/filter,
//! transcripts and stats.

use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::pb::{CallState, GetVoiceCallRequest};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, authed};
use crate::voice_calls::client;

const UID: &str = "d290f1ee-6c54-4b01-90e6-d701748f0851";

/// The seed's create body, verbatim.
fn seed_create() -> Value {
    json!({
        "staff_uid": UID,
        "client_uid": UID,
        "from_number": "+14155550148",
        "to_number": "+14155550901",
        "direction": "INBOUND",
        "status": "MISSED",
        "rate": "0.05",
        "provider": "VONAGE",
        "source_id": "call-src-001",
        "external_uuid": "ext-call-001",
        "business_uid": UID
    })
}

fn url(app: &TestApp, path: &str) -> String {
    format!("{}/v3/communication{path}", app.url())
}

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new()
        .request(method, url(app, path))
        .bearer_auth(&app.token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn create(app: &TestApp, body: Value) -> (StatusCode, Value) {
    send(app, reqwest::Method::POST, "/voice_calls", Some(body)).await
}

async fn put(app: &TestApp, uid: &str, body: Value) -> (StatusCode, Value) {
    send(
        app,
        reqwest::Method::PUT,
        &format!("/voice_calls/{uid}"),
        Some(body),
    )
    .await
}

async fn get(app: &TestApp, path: &str) -> (StatusCode, Value) {
    send(app, reqwest::Method::GET, path, None).await
}

fn bad_request(messages: &[&str]) -> Value {
    json!({"success": false, "errors": [{"code": "bad_request", "message": messages}]})
}

both_backends! {
    async fn seed_create_answers_in_the_success_envelope_and_dedupes(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let (status, body) = create(&app, seed_create()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let data = &body["data"];
        let uid = data["uid"].as_str().unwrap().to_owned();
        assert_eq!(
            body,
            json!({"success": true, "data": {
                "uid": uid,
                "duration": null,
                "created_at": data["created_at"],
                "updated_at": data["updated_at"],
                "status": "MISSED",
                "direction": "INBOUND",
                "staff_uid": UID,
                "client_uid": UID,
                "business_uid": UID,
                "from_number": "+14155550148",
                "to_number": "+14155550901",
                "rate": "0.05",
                "price": null,
                "provider": "VONAGE",
                "call_summary": null,
                "recording": null,
                "external_app_url": null,
                "external_app_name": null,
                "source_id": "call-src-001",
                "external_uuid": "ext-call-001",
                "handled_by_staff_uid": null,
                "handled_at": null,
                "deleted_at": null,
                "transcript_status": null
            }})
        );
        assert!(data["created_at"].as_str().unwrap().ends_with('Z'));
        // The same external_uuid is the same call.
        let (_, again) = create(&app, seed_create()).await;
        assert_eq!(again["data"]["uid"], uid);
        let (status, fetched) = get(&app, &format!("/voice_calls/{uid}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(fetched, body);
        // … also by its external_uuid, and over gRPC with the canonical state.
        let (_, by_uuid) = get(&app, "/voice_calls/ext-call-001").await;
        assert_eq!(by_uuid["data"]["uid"], uid);
        let call = client(&app)
            .get_voice_call(authed(GetVoiceCallRequest { name: format!("voiceCalls/{uid}") }, &app.token))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(call.state, i32::from(CallState::Missed));
        assert_eq!(call.state_literal.unwrap().value, "MISSED");
        assert_eq!(call.rate, "0.05");
    }

    async fn put_is_a_partial_update_that_keeps_vcita_spellings(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let mut incoming = seed_create();
        incoming["status"] = json!("INCOMING_CALL");
        let (_, created) = create(&app, incoming).await;
        let uid = created["data"]["uid"].as_str().unwrap().to_owned();
        // vcita's own validation flow: the status alone.
        let (status, body) = put(&app, &uid, json!({"status": "ANSWERED_BY_STAFF"})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["success"], true);
        assert_eq!(body["data"]["status"], "ANSWERED_BY_STAFF");
        assert_eq!(body["data"]["rate"], "0.05", "fields not sent are kept");
        let (status, body) = put(
            &app,
            &uid,
            json!({"duration": 95, "price": "4.75", "call_summary": "Booked a follow-up", "handled_by_staff_uid": "staff-9",
                   "recording_id": "rec-1", "external_app_name": "CRM", "to_number": "+14155550901", "direction": "INBOUND"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["data"]["duration"], 95);
        assert_eq!(body["data"]["price"], "4.75");
        assert_eq!(body["data"]["recording"]["uid"], "rec-1");
        assert_eq!(body["data"]["recording"]["recording_type"], "CALL");
        assert!(body["data"]["handled_at"].is_string());
        // null clears a field.
        let (_, body) = put(&app, &uid, json!({"call_summary": null})).await;
        assert_eq!(body["data"]["call_summary"], Value::Null);
        // The legacy spelling is accepted and round-trips.
        let mut handled = seed_create();
        handled["external_uuid"] = json!("ext-2");
        handled["status"] = json!("MISSED_CALL_HANDLED");
        let (_, missed) = create(&app, handled).await;
        let missed_uid = missed["data"]["uid"].as_str().unwrap().to_owned();
        assert_eq!(missed["data"]["status"], "MISSED_CALL_HANDLED");
        let (status, body) = put(&app, &missed_uid, json!({"status": "VOICEMAIL_RECEIVED"})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["data"]["status"], "VOICEMAIL_RECEIVED");
        let (_, body) = get(&app, &format!("/voice_calls/{missed_uid}")).await;
        assert_eq!(body["data"]["status"], "VOICEMAIL_RECEIVED");
        // A voicemail cannot be answered afterwards; an immutable field cannot change.
        let (status, body) = put(&app, &missed_uid, json!({"status": "ANSWERED_BY_STAFF"})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["errors"][0]["code"], "bad_request");
        let (status, body) = put(&app, &uid, json!({"to_number": "+14155550000"})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body, bad_request(&["to_number is immutable and cannot be changed"]));
        let (status, body) = put(&app, "no-such-call", json!({"status": "MISSED"})).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body, json!({"success": false, "errors": [{"code": "not_found", "message": "voiceCalls/no-such-call not found"}]}));
    }

    async fn list_pages_sorts_and_filters(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        for (i, status) in ["MISSED", "ANSWERED_BY_STAFF", "MISSED_CALL_HANDLED", "MISSED", "INCOMING_CALL"].iter().enumerate() {
            let mut body = seed_create();
            body["external_uuid"] = json!(format!("list-{i}"));
            body["status"] = json!(status);
            body["staff_uid"] = json!(if i % 2 == 0 { "even" } else { "odd" });
            let (code, _) = create(&app, body).await;
            assert_eq!(code, StatusCode::OK);
        }
        let keys = |body: &Value| -> Vec<String> {
            body["data"]["voice_calls"].as_array().unwrap().iter().map(|c| c["external_uuid"].as_str().unwrap().to_owned()).collect()
        };
        let (status, body) = get(&app, "/voice_calls?sort=created_at:asc&per_page=2&page=2").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["success"], true);
        assert_eq!(keys(&body), ["list-2", "list-3"]);
        let (_, body) = get(&app, "/voice_calls?sort=created_at:desc&filter[staff_uid]=even").await;
        assert_eq!(keys(&body), ["list-4", "list-2", "list-0"]);
        let (_, body) = get(&app, "/voice_calls?sort=created_at:asc&filter[status]=MISSED").await;
        assert_eq!(keys(&body), ["list-0", "list-3"], "MISSED_CALL_HANDLED is its own status");
        let (_, body) = get(&app, "/voice_calls?filter[created_at][gt]=2019-01-01&filter[created_at][lt]=2999-01-01").await;
        assert_eq!(keys(&body).len(), 5);
        let (_, body) = get(&app, "/voice_calls?filter[created_at][gt]=2999-01-01").await;
        assert_eq!(keys(&body).len(), 0);
        // Default order: most recently updated first.
        let (_, body) = get(&app, "/voice_calls").await;
        assert_eq!(keys(&body)[0], "list-4");
    }

    async fn transcript_and_stats_reports(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let (_, created) = create(&app, seed_create()).await;
        let uid = created["data"]["uid"].as_str().unwrap().to_owned();
        let (status, body) = get(&app, &format!("/voice_calls/{uid}/transcript")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["errors"][0]["code"], "not_found");
        let (status, _) = get(&app, "/voice_calls/no-such-call/transcript").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // Transcript messages arrive over gRPC (or Salesforce).
        let message = |id: &str, at: i64, sender: switchboard::pb::ParticipantType, text: &str| switchboard::pb::CreateVoiceCallMessageRequest {
            parent: String::new(),
            message: Some(switchboard::pb::VoiceCallMessage {
                participant_id: "p".into(),
                sender_type: sender.into(),
                message_id: id.into(),
                content: text.into(),
                start_time: Some(prost_types::Timestamp { seconds: at, nanos: 500_000_000 }),
                ..Default::default()
            }),
        };
        client(&app)
            .batch_create_voice_call_messages(authed(
                switchboard::pb::BatchCreateVoiceCallMessagesRequest {
                    parent: format!("voiceCalls/{uid}"),
                    requests: vec![
                        message("a", 1000, switchboard::pb::ParticipantType::EndUser, "Hi, I missed you"),
                        message("b", 1004, switchboard::pb::ParticipantType::HumanAgent, "Calling back"),
                    ],
                },
                &app.token,
            ))
            .await
            .unwrap();
        let (status, body) = get(&app, &format!("/voice_calls/{uid}/transcript")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            body,
            json!({"success": true, "data": {"transcript_uid": uid, "status": "DONE", "transcript": [
                {"timestamp": 0.0, "speaker_role": "client", "text": "Hi, I missed you"},
                {"timestamp": 4.0, "speaker_role": "staff", "text": "Calling back"}
            ]}})
        );

        for (key, status) in [("s-1", "MISSED_CALL_HANDLED"), ("s-2", "ANSWERED_BY_STAFF"), ("s-3", "VOICEMAIL_RECEIVED")] {
            let mut b = seed_create();
            b["external_uuid"] = json!(key);
            b["status"] = json!(status);
            create(&app, b).await;
        }
        let today = chrono::Utc::now().date_naive();
        let (status, body) = get(&app, &format!("/voice_calls/reports/voice_call_stats?start_date={today}&end_date={today}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            body,
            json!({"success": true, "data": {
                "status_counts": [
                    {"status": "ANSWERED_BY_STAFF", "count": 1},
                    {"status": "MISSED", "count": 1},
                    {"status": "MISSED_CALL_HANDLED", "count": 1},
                    {"status": "VOICEMAIL_RECEIVED", "count": 1}
                ],
                "total_voice_calls": 4,
                "start_date": today.to_string(),
                "end_date": today.to_string()
            }})
        );
        let (_, body) = get(&app, "/voice_calls/reports/voice_call_stats?status=MISSED").await;
        assert_eq!(body["data"]["status_counts"], json!([{"status": "MISSED", "count": 1}]));
        assert_eq!(body["data"]["start_date"], Value::Null);
        let (_, body) = get(&app, "/voice_calls/reports/voice_call_stats?start_date=2000-01-01&end_date=2000-01-02").await;
        assert_eq!(body["data"]["total_voice_calls"], 0);
    }
}

#[tokio::test]
async fn every_validation_error_is_reported() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (status, body) = create(&app, json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        bad_request(&[
            "staff_uid is required",
            "client_uid is required",
            "from_number is required",
            "to_number is required",
            "direction is required",
            "status is required",
            "rate is required",
            "provider is required",
            "source_id is required",
            "external_uuid is required",
            "business_uid is required",
        ])
    );
    let mut numbers = seed_create();
    numbers["rate"] = json!(0.05);
    numbers["from_number"] = json!("4155550148");
    numbers["to_number"] = json!("+1 415 555 0901");
    numbers["direction"] = json!("inbound");
    numbers["status"] = json!("missed");
    numbers["provider"] = json!("TWILIO");
    let (status, body) = create(&app, numbers).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        bad_request(&[
            "rate must be a string, not a number",
            "from_number must be an E.164 phone number such as +14155550148, got \"4155550148\"",
            "to_number must be an E.164 phone number such as +14155550148, got \"+1 415 555 0901\"",
            "direction must be one of INBOUND, OUTBOUND (uppercase), got \"inbound\"",
            "status must be one of INCOMING_CALL, ANSWERED_BY_STAFF, MISSED, ANSWERED_BY_CALLS_PROVIDER, MISSED_CALL_HANDLED, VOICEMAIL, VOICEMAIL_RECEIVED (uppercase), got \"missed\"",
            "provider must be VONAGE (uppercase), got \"TWILIO\"",
        ])
    );
    // The core's rules come back in the same shape, with vcita's names.
    let mut money = seed_create();
    money["rate"] = json!("five cents");
    let (status, body) = create(&app, money).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        bad_request(&["rate must be a non-negative decimal string such as \"0.05\", got \"five cents\""])
    );
    // Malformed JSON, a number for price, an empty PUT.
    let response = reqwest::Client::new()
        .post(url(&app, "/voice_calls"))
        .bearer_auth(&app.token)
        .header("content-type", "application/json")
        .body("{\"rate\":")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "bad_request");
    let (_, created) = create(&app, seed_create()).await;
    let uid = created["data"]["uid"].as_str().unwrap().to_owned();
    let (status, body) = put(
        &app,
        &uid,
        json!({"price": 4.75, "duration": "long", "status": null}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        bad_request(&[
            "price must be a string, not a number",
            "duration must be an integer, not a string",
            "status cannot be null"
        ])
    );
    let (status, _) = put(&app, &uid, json!({"uid": "ignored"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // List query problems.
    let (status, body) = get(
        &app,
        "/voice_calls?page=0&per_page=500&sort=name:asc&filter[status]=missed",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"][0]["message"].as_array().unwrap().len(), 4);
    let (status, _) = get(
        &app,
        "/voice_calls/reports/voice_call_stats?start_date=01/02/2026",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn credentials_and_tenants() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let response = reqwest::get(url(&app, "/voice_calls")).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"success": false, "errors": [{"code": "unauthorized", "message": "Unauthorized"}]})
    );
    let response = reqwest::Client::new()
        .get(url(&app, "/voice_calls"))
        .bearer_auth("swb_not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let (_, created) = create(&app, seed_create()).await;
    let uid = created["data"]["uid"].as_str().unwrap();
    let other = app.issue_token("globex", "bob").await;
    let foreign = reqwest::Client::new()
        .get(url(&app, &format!("/voice_calls/{uid}")))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
    let listed: Value = reqwest::Client::new()
        .get(url(&app, "/voice_calls"))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!({"success": true, "data": {"voice_calls": []}}));
    let (status, body) = send(&app, reqwest::Method::GET, "/voice_call_quotas", None).await;
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED);
    assert_eq!(body["errors"][0]["code"], "not_implemented");
}

/// Stats dates at the edges: `end_date` 9999-12-31 is the whole future (it
/// used to be refused as "end_time must be between 1970 and 9999"), and a
/// date the core refuses is reported under its vcita name.
#[tokio::test]
async fn stats_dates_at_the_edges() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let get = |query: &'static str| {
        let url = url(&app, &format!("/voice_calls/reports/voice_call_stats?{query}"));
        let token = app.token.clone();
        async move {
            let response = reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        }
    };
    let (status, body) = get("end_date=9999-12-31").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["end_date"], "9999-12-31");
    let (status, body) = get("start_date=0001-01-01").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errors"][0]["message"][0],
        "start_date must be between 1970 and 9999"
    );
}
