//! Load shedding and deadlines.

use std::time::Duration;

use switchboard::pb::ListInteractionsRequest;
use tonic::Code;
use tonic_types::StatusExt;

use crate::helpers::{Backend, TestApp, TestDatabase, authed, find_phone_call};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn excess_requests_are_refused_at_once_with_a_retry_hint() {
    let app = TestApp::start(TestDatabase::new(Backend::Sqlite), |c| c.max_in_flight = 1).await;
    let calls = (0..64).map(|i| {
        let mut client = app.interactions();
        let token = app.token.clone();
        tokio::spawn(async move {
            client
                .find_or_create_phone_call_interaction(authed(find_phone_call(&format!("shed-{i}")), &token))
                .await
        })
    });
    let results: Vec<_> = futures::future::join_all(calls)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    let refused: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    let accepted = results.iter().filter(|r| r.is_ok()).count();
    assert!(
        !refused.is_empty(),
        "64 concurrent calls against a cap of 1: some must be refused"
    );
    assert!(accepted > 0);
    for status in &refused {
        assert_eq!(status.code(), Code::ResourceExhausted);
        assert!(
            status.get_details_retry_info().is_some(),
            "refusals carry RetryInfo"
        );
    }
    // Refused requests wrote nothing.
    let listed = app
        .interactions()
        .list_interactions(authed(ListInteractionsRequest::default(), &app.token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.total_size as usize, accepted);
}

/// Sends a unary gRPC call over raw h2c (no tonic client, which would enforce
/// `grpc-timeout` itself) and returns the `grpc-status` it got.
async fn raw_grpc_status(app: &TestApp, path: &str, message: impl prost::Message, timeout: &str) -> String {
    let body = message.encode_to_vec();
    let mut frame = vec![0u8];
    frame.extend_from_slice(&(body.len() as u32).to_be_bytes());
    frame.extend_from_slice(&body);
    let client = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let response = client
        .post(format!("{}{path}", app.url()))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .header("authorization", format!("Bearer {}", app.token))
        .header("grpc-timeout", timeout)
        .body(frame)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.headers()["grpc-status"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_clients_grpc_timeout_is_honoured() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let path = "/switchboard.v1.InteractionService/FindOrCreatePhoneCallInteraction";
    let deadline_exceeded = (Code::DeadlineExceeded as i32).to_string();
    assert_eq!(
        raw_grpc_status(&app, path, find_phone_call("deadline-1"), "1n").await,
        deadline_exceeded
    );
    // A malformed timeout is ignored (the server ceiling applies), a generous
    // one changes nothing; both calls succeed (trailers-only would carry an
    // error in the headers; a success has no grpc-status header there).
    let client = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    for timeout in ["bogus", "10S"] {
        let mut frame = vec![0u8];
        let body = prost::Message::encode_to_vec(&find_phone_call(&format!("deadline-{timeout}")));
        frame.extend_from_slice(&(body.len() as u32).to_be_bytes());
        frame.extend_from_slice(&body);
        let response = client
            .post(format!("{}{path}", app.url()))
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .header("authorization", format!("Bearer {}", app.token))
            .header("grpc-timeout", timeout)
            .body(frame)
            .send()
            .await
            .unwrap();
        assert!(response.headers().get("grpc-status").is_none(), "{timeout}");
        assert!(
            !response.bytes().await.unwrap().is_empty(),
            "{timeout}: a response message"
        );
    }
}

#[tokio::test]
async fn the_server_ceiling_bounds_every_request() {
    let app = TestApp::start(TestDatabase::new(Backend::Sqlite), |c| {
        c.request_timeout = Duration::from_nanos(1)
    })
    .await;
    let status = app
        .interactions()
        .find_or_create_phone_call_interaction(authed(find_phone_call("ceiling-1"), &app.token))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::DeadlineExceeded);
}
