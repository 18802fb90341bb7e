//! The one port also answers plain HTTP: unknown routes, body limits.

use crate::helpers::{Backend, TestApp};

#[tokio::test]
async fn unknown_routes_get_a_json_404_over_http1() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let response = reqwest::get(format!("{}/no/such/route", app.url()))
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
}

/// The body limit is enforced where a route reads the body (so each dialect
/// answers in its own envelope, below); a path no route serves is a JSON 404
/// whatever its body.
#[tokio::test]
async fn oversized_bodies_to_unknown_routes_get_the_json_404() {
    let app = TestApp::start(crate::helpers::TestDatabase::new(Backend::Sqlite), |c| {
        c.max_request_bytes = 1024;
    })
    .await;
    let response = reqwest::Client::new()
        .post(format!("{}/anything", app.url()))
        .header("content-type", "application/json")
        .body(vec![b' '; 4096])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
}

/// Each dialect answers an oversized body with 413 in its own error envelope
/// (Salesforce and vcita used to let axum answer in plain text).
#[tokio::test]
async fn oversized_bodies_get_each_dialects_envelope() {
    let app = TestApp::start(crate::helpers::TestDatabase::new(Backend::Sqlite), |c| {
        c.max_request_bytes = 1024;
    })
    .await;
    let client = reqwest::Client::new();
    for (method, path, pointer, expected) in [
        (
            "POST",
            "/api/v2/ucs/interactions",
            "/statusCode",
            serde_json::json!(10),
        ),
        (
            "POST",
            "/uapi/phoneCalls/@me/simple",
            "/error/code",
            serde_json::json!("request_too_large"),
        ),
        (
            "POST",
            "/telephony/v1/voiceCalls",
            "/errors/0/errorCode",
            serde_json::json!("REQUEST_TOO_LARGE"),
        ),
        (
            "PATCH",
            "/telephony/v1/voiceCalls/x",
            "/errors/0/errorCode",
            serde_json::json!("REQUEST_TOO_LARGE"),
        ),
        (
            "POST",
            "/telephony/v1/voiceCalls/messages",
            "/errors/0/errorCode",
            serde_json::json!("REQUEST_TOO_LARGE"),
        ),
        (
            "POST",
            "/telephony/v1/voiceCalls/x/messages",
            "/errors/0/errorCode",
            serde_json::json!("REQUEST_TOO_LARGE"),
        ),
        (
            "POST",
            "/v3/communication/voice_calls",
            "/errors/0/code",
            serde_json::json!("payload_too_large"),
        ),
        (
            "PUT",
            "/v3/communication/voice_calls/x",
            "/errors/0/code",
            serde_json::json!("payload_too_large"),
        ),
    ] {
        let response = client
            .request(method.parse().unwrap(), format!("{}{path}", app.url()))
            .bearer_auth("swb_any")
            .header("content-type", "application/json")
            .body(vec![b' '; 4096])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 413, "{method} {path}");
        let body: serde_json::Value = response
            .json()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        assert_eq!(body.pointer(pointer), Some(&expected), "{method} {path}: {body}");
    }
}
