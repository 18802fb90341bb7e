//! `grpc.health.v1`: open without credentials, SERVING for the server and
//! every service, NOT_FOUND for unknown services.

use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::helpers::{Backend, TestApp, TestDatabase};

#[tokio::test]
async fn serving_for_the_server_and_each_service() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut health = HealthClient::new(app.channel.clone());
    for service in [
        "",
        "switchboard.v1.InteractionService",
        "switchboard.v1.PhoneCallService",
        "switchboard.v1.VoiceCallService",
        "switchboard.v1.EventService",
    ] {
        let status = health
            .check(HealthCheckRequest {
                service: service.to_owned(),
            })
            .await
            .unwrap()
            .into_inner()
            .status;
        assert_eq!(status, ServingStatus::Serving as i32, "{service:?}");
    }
    let unknown = health
        .check(HealthCheckRequest {
            service: "nope.Service".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), tonic::Code::NotFound);
}

/// Drain: once shutdown starts, health says NOT_SERVING and its Watch ends,
/// a request already in flight (its body still arriving) is served to the
/// end and its write lands, and the server exits as soon as that is done,
/// long before its drain timeout.
#[tokio::test]
async fn draining_finishes_in_flight_requests() {
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_stream::StreamExt;

    let app = TestApp::start(TestDatabase::new(Backend::Sqlite), |c| {
        c.drain_timeout = Duration::from_secs(60);
    })
    .await;
    let mut health = HealthClient::new(app.channel.clone())
        .watch(HealthCheckRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        health.next().await.unwrap().unwrap().status,
        ServingStatus::Serving as i32
    );

    // A vcita create whose body is only half sent.
    let body = serde_json::json!({
        "staff_uid": "f3c9a2b1", "client_uid": "f3c9a2b1", "business_uid": "f3c9a2b1",
        "from_number": "+14155550148", "to_number": "+14155550901", "direction": "INBOUND",
        "status": "MISSED", "rate": "0.05", "provider": "VONAGE", "source_id": "src-drain",
        "external_uuid": "ext-drain-1"
    })
    .to_string();
    let (first, rest) = body.split_at(body.len() / 2);
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /v3/communication/voice_calls HTTP/1.1\r\nHost: switchboard\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{first}",
        app.token,
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();

    let stopping = tokio::spawn(app.stop());
    let update = tokio::time::timeout(Duration::from_secs(5), health.next())
        .await
        .expect("health reports promptly")
        .expect("an update")
        .expect("not an error");
    assert_eq!(update.status, ServingStatus::NotServing as i32);

    // The in-flight request completes after shutdown began.
    stream.write_all(rest.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
        .await
        .expect("answered before the drain ends")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 201") || answer.starts_with("HTTP/1.1 200"),
        "{answer}"
    );
    assert!(answer.contains(r#""success":true"#), "{answer}");

    // The health Watch ends (it would otherwise hold its connection, and the
    // drain, open for the whole minute).
    let rest_of_health = tokio::time::timeout(Duration::from_secs(10), health.collect::<Vec<_>>())
        .await
        .expect("the health Watch ends");
    for update in rest_of_health {
        assert_eq!(update.unwrap().status, ServingStatus::NotServing as i32);
    }
    let database = tokio::time::timeout(Duration::from_secs(10), stopping)
        .await
        .expect("the server exits once in-flight work is done, not at the 60 s drain timeout")
        .unwrap();

    // The write landed: a new server over the same file finds the call.
    let again = TestApp::start(database, |_| {}).await;
    let found = reqwest::Client::new()
        .get(format!(
            "{}/v3/communication/voice_calls/ext-drain-1",
            again.url()
        ))
        .bearer_auth(&again.token)
        .send()
        .await
        .unwrap();
    assert_eq!(found.status(), reqwest::StatusCode::OK);
}
