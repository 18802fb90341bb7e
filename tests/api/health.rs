//! `grpc.health.v1`: open without credentials, SERVING for the server and
//! every service, NOT_FOUND for unknown services.

use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::helpers::{Backend, TestApp};

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

#[tokio::test]
async fn not_serving_once_shutdown_starts() {
    use tokio_stream::StreamExt;
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut health = HealthClient::new(app.channel.clone());
    let mut watch = health
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        watch.next().await.unwrap().unwrap().status,
        ServingStatus::Serving as i32
    );
    let stopping = tokio::spawn(app.stop());
    let next = tokio::time::timeout(std::time::Duration::from_secs(5), watch.next()).await;
    if let Ok(Some(Ok(update))) = next {
        assert_eq!(update.status, ServingStatus::NotServing as i32);
    }
    // Either way the server stops within the drain bound.
    tokio::time::timeout(std::time::Duration::from_secs(15), stopping)
        .await
        .expect("server stops within the drain timeout")
        .unwrap();
}
