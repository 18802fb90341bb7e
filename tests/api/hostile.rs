//! Hostile input through the REST dialects: SQL metacharacters and unicode
//! are stored and read back verbatim, and absurdly deep JSON is a clear
//! client error, never a crash or a 5xx.

use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::pb::ListInteractionsRequest;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, authed};

/// SQL metacharacters, quotes, escapes, LIKE wildcards, a right-to-left
/// override, combining marks and characters outside the BMP.
const NASTY: &str = "Robert'); DROP TABLE interactions;-- \" \\ %_* ☎ Zoë 李 𝄞 \u{202e}lrt e\u{301}";

both_backends! {
    async fn metacharacters_and_unicode_round_trip(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let call_id = "call-☎-李-'; --";
        let answer = reqwest::Client::new()
            .post(format!("{}/api/v2/ucs/interactions", app.url()))
            .bearer_auth(&app.token)
            .json(&json!({
                "operationName": "FindPhoneCall", "callId": call_id, "status": "InProcess",
                "phoneNumber": "5550100", "type": "Inbound", "subject": NASTY,
                "userData": {"note": NASTY, NASTY: "key"}
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
        let reply: Value = answer.json().await.unwrap();
        assert_eq!(reply["statusCode"], 0, "{reply}");

        // Found again by the same odd call id, through a filter string.
        let request = ListInteractionsRequest {
            filter: format!("external_call_id = \"{call_id}\""),
            ..Default::default()
        };
        let listed = app.interactions().list_interactions(authed(request, &app.token)).await.unwrap().into_inner();
        assert_eq!(listed.interactions.len(), 1, "{listed:?}");
        let found = &listed.interactions[0];
        assert_eq!(found.external_call_id, call_id);
        assert_eq!(found.subject, NASTY);
        let user_data = serde_json::to_value(found.user_data.as_ref().unwrap().fields.iter().map(|(k, v)| {
            let text = match &v.kind {
                Some(prost_types::value::Kind::StringValue(s)) => s.clone(),
                other => panic!("not a string: {other:?}"),
            };
            (k.clone(), text)
        }).collect::<std::collections::BTreeMap<_, _>>()).unwrap();
        assert_eq!(user_data, json!({"note": NASTY, NASTY: "key"}));
    }
}

/// JSON nested far beyond any real payload (serde_json stops at 128 levels).
fn deep(depth: usize) -> String {
    format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth))
}

#[tokio::test]
async fn deeply_nested_json_is_a_client_error_in_every_dialect() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let client = reqwest::Client::new();
    let nested = deep(50_000);
    let cases = [
        (
            "/api/v2/ucs/interactions",
            format!(r#"{{"operationName":"FindPhoneCall","callId":"deep","userData":{nested}}}"#),
        ),
        (
            "/uapi/phoneCalls/@me/simple",
            format!(r#"{{"extension":"0003*210","phoneCallView":[{nested}]}}"#),
        ),
        (
            "/telephony/v1/voiceCalls",
            format!(r#"{{"vendorCallKey":"deep","participants":[{nested}]}}"#),
        ),
        (
            "/v3/communication/voice_calls",
            format!(r#"{{"source_id":{nested}}}"#),
        ),
        (
            "/api/v2/notifications/handshake",
            format!(r#"[{{"channel":"/meta/handshake","ext":{nested}}}]"#),
        ),
    ];
    for (path, body) in cases {
        let answer = client
            .post(format!("{}{path}", app.url()))
            .bearer_auth(&app.token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = answer.status();
        let text = answer.text().await.unwrap();
        assert!(!status.is_server_error(), "{path}: {status} {text}");
        assert!(
            serde_json::from_str::<Value>(&text).is_ok(),
            "{path}: not JSON: {text}"
        );
    }
    // And the server is still there.
    let alive = client
        .get(format!("{}/openapi.json", app.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(alive.status(), StatusCode::OK);
}
