//! Server reflection, both versions grpcurl and other clients speak.

use tokio_stream::StreamExt;
use tonic_reflection::pb::{v1, v1alpha};

use crate::helpers::{Backend, TestApp};

const SERVICES: &[&str] = &[
    "grpc.health.v1.Health",
    "switchboard.v1.EventService",
    "switchboard.v1.InteractionService",
    "switchboard.v1.PhoneCallService",
    "switchboard.v1.VoiceCallService",
];

#[tokio::test]
async fn v1_lists_and_describes_every_service() {
    use v1::server_reflection_client::ServerReflectionClient;
    use v1::server_reflection_request::MessageRequest;
    use v1::server_reflection_response::MessageResponse;

    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut client = ServerReflectionClient::new(app.channel.clone());
    let mut requests = vec![v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    }];
    requests.extend(SERVICES.iter().map(|s| v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::FileContainingSymbol((*s).to_owned())),
    }));
    // No credentials: reflection stays open.
    let mut responses = client
        .server_reflection_info(tokio_stream::iter(requests))
        .await
        .unwrap()
        .into_inner();

    let Some(MessageResponse::ListServicesResponse(list)) =
        responses.next().await.unwrap().unwrap().message_response
    else {
        panic!("expected a service list")
    };
    let names: Vec<&str> = list.service.iter().map(|s| s.name.as_str()).collect();
    for service in SERVICES {
        assert!(names.contains(service), "{service} not listed in {names:?}");
    }
    for service in SERVICES {
        match responses.next().await.unwrap().unwrap().message_response {
            Some(MessageResponse::FileDescriptorResponse(files)) => {
                assert!(
                    !files.file_descriptor_proto.is_empty(),
                    "{service}: no descriptor"
                )
            }
            other => panic!("{service}: unexpected {other:?}"),
        }
    }
}

#[tokio::test]
async fn v1alpha_lists_every_service() {
    use v1alpha::server_reflection_client::ServerReflectionClient;
    use v1alpha::server_reflection_request::MessageRequest;
    use v1alpha::server_reflection_response::MessageResponse;

    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut client = ServerReflectionClient::new(app.channel.clone());
    let request = v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let Some(MessageResponse::ListServicesResponse(list)) =
        responses.next().await.unwrap().unwrap().message_response
    else {
        panic!("expected a service list")
    };
    let names: Vec<&str> = list.service.iter().map(|s| s.name.as_str()).collect();
    for service in SERVICES {
        assert!(names.contains(service), "{service} not listed in {names:?}");
    }
}

/// grpcurl (v1alpha reflection only) lists, describes and calls the API.
/// `.ci/run` installs it; on a developer machine without it the test says
/// so and skips, unless `CI=true`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpcurl_lists_describes_and_calls() {
    let Some(grpcurl) = crate::helpers::external_tool("GRPCURL", "grpcurl", "-version") else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let address = app.addr.to_string();
    let run = |args: &[&str]| {
        let output = std::process::Command::new(&grpcurl)
            .arg("-plaintext")
            .args(args)
            .output()
            .expect("grpcurl runs");
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, listed, _) = tokio::task::block_in_place(|| run(&[&address, "list"]));
    assert_eq!(code, Some(0));
    for service in SERVICES {
        assert!(listed.contains(service), "grpcurl list lacks {service}: {listed}");
        let (code, described, err) = tokio::task::block_in_place(|| run(&[&address, "describe", service]));
        assert_eq!(code, Some(0), "describe {service}: {err}");
        assert!(described.contains("service"), "{described}");
    }
    let (_, described, _) =
        tokio::task::block_in_place(|| run(&[&address, "describe", "switchboard.v1.InteractionService"]));
    assert!(
        described.contains("Finds the phone-call interaction"),
        "comments are served: {described}"
    );

    let header = format!("authorization: Bearer {}", app.token);
    let body = r#"{"call_id":"grpcurl-1","state":"STATE_NEW","phone_number":"555","type":"TYPE_INBOUND"}"#;
    let (code, out, err) = tokio::task::block_in_place(|| {
        run(&[
            "-H",
            &header,
            "-d",
            body,
            &address,
            "switchboard.v1.InteractionService/FindOrCreatePhoneCallInteraction",
        ])
    });
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("\"created\": true"), "{out}");
    // Unauthenticated: exit code 64 + 16.
    let (code, _, _) = tokio::task::block_in_place(|| {
        run(&[
            "-d",
            body,
            &address,
            "switchboard.v1.InteractionService/FindOrCreatePhoneCallInteraction",
        ])
    });
    assert_eq!(code, Some(64 + 16));
}
