//! No secrets in logs: the real binary, logging everything (`RUST_LOG=trace`),
//! serves authenticated requests in every credential style (gRPC bearer,
//! Genesys Basic + CSRF, Hubgets xsrf cookie + header, Salesforce JWT, vcita
//! bearer, CometD handshake) and refused ones with wrong credentials; its
//! whole log must not contain any token, JWT, password or secret.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use serde_json::json;
use switchboard::domain::call_center::JwtAlgorithm;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::helpers::{Backend, TestApp, authed, find_phone_call};
use crate::voice_calls::{HS256_SECRET, add_call_center, hs256_jwt};

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_credential_reaches_the_log_even_at_trace_level() {
    // An in-process server only to issue the credentials.
    let app = TestApp::spawn(Backend::Sqlite).await;
    let token = app.token.clone();
    add_call_center(&app, "ACME_CC", "acme", JwtAlgorithm::Hs256, HS256_SECRET).await;
    let jwt = hs256_jwt("ACME_CC", HS256_SECRET, false);
    let database = app.stop().await;

    let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .arg("--database-url")
        .arg(database.config.database_url.expose())
        .env("RUST_LOG", "trace")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("switchboard binary starts");
    let log = Arc::new(Mutex::new(String::new()));
    let (address_tx, address_rx) = tokio::sync::oneshot::channel();
    let mut readers = Vec::new();
    let mut address_tx = Some(address_tx);
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let stdout = BufReader::new(child.stdout.take().unwrap());
    {
        let log = log.clone();
        readers.push(tokio::spawn(async move {
            let mut lines = stderr.lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(rest) = line.split("address=").nth(1)
                    && let Some(tx) = address_tx.take()
                {
                    let _ = tx.send(rest.split_whitespace().next().unwrap().to_owned());
                }
                let mut log = log.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        }));
    }
    {
        let log = log.clone();
        readers.push(tokio::spawn(async move {
            let mut lines = stdout.lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let mut log = log.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        }));
    }
    let address = tokio::time::timeout(Duration::from_secs(60), address_rx)
        .await
        .expect("the server listens")
        .expect("the server logged its address");
    let base = format!("http://{address}");
    let http = reqwest::Client::new();

    // gRPC, bearer token.
    let channel = tonic::transport::Endpoint::from_shared(base.clone())
        .unwrap()
        .connect_lazy();
    let mut grpc = switchboard::pb::interaction_service_client::InteractionServiceClient::new(channel);
    grpc.find_or_create_phone_call_interaction(authed(find_phone_call("secret-log-1"), &token))
        .await
        .expect("gRPC with a bearer token");

    // Genesys: Basic (a GET hands out the CSRF token), then a write with it.
    let genesys_basic = basic("agent007", &token);
    let response = http
        .get(format!("{base}/api/v2/ucs/interactions"))
        .header("authorization", &genesys_basic)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let csrf = response.headers()["x-csrf-token"].to_str().unwrap().to_owned();
    let response = http
        .post(format!("{base}/api/v2/ucs/interactions"))
        .header("authorization", &genesys_basic)
        .header("x-csrf-token", &csrf)
        .json(&json!({
            "operationName": "FindPhoneCall", "callId": "secret-log-2", "status": "InProcess",
            "phoneNumber": "1231231231", "type": "Inbound"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());

    // Hubgets: the xsrf double-submit pair, and a bearer token.
    let response = http
        .post(format!("{base}/uapi/phoneCalls/@me/simple"))
        .header("cookie", format!("dev=ff; xsrf-token={token}"))
        .header("x-xsrf-token", &token)
        .json(&json!({"extension": "0003*210", "source": ["0003*210"], "destination": "+40212345678"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let response = http
        .get(format!("{base}/uapi/phoneCalls/@me/@self"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());

    // Salesforce: the call-centre JWT.
    let sf_create = json!({
        "callCenterApiName": "ACME_CC", "vendorCallKey": "secret-log-3", "to": "+14155550901",
        "from": "+14155550148", "initiationMethod": "Inbound", "startTime": "2026-11-23T09:30:00Z",
        "participants": [{"participantKey": "+14155550148", "type": "END_USER"}]
    });
    let response = http
        .post(format!("{base}/telephony/v1/voiceCalls"))
        .bearer_auth(&jwt)
        .json(&sf_create)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());

    // vcita: bearer token and bearer JWT.
    for credential in [&token, &jwt] {
        let response = http
            .get(format!("{base}/v3/communication/voice_calls"))
            .bearer_auth(credential)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }

    // CometD: a handshake with Basic.
    let response = http
        .post(format!("{base}/api/v2/notifications/handshake"))
        .header("authorization", &genesys_basic)
        .json(&json!([{"channel": "/meta/handshake", "version": "1.0", "supportedConnectionTypes": ["long-polling"]}]))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body[0]["successful"], true, "{body}");

    // Refused credentials must not be logged either: a well-formed token
    // that does not exist, a forged JWT, a wrong Basic password.
    let forged_token = format!("swb_{}", "Q".repeat(55));
    let forged_jwt = hs256_jwt("ACME_CC", b"another-secret-of-at-least-32-bytes!", false);
    let wrong_password = "hunter2-wrong-password-Zq9";
    for (path, authorization) in [
        ("/v3/communication/voice_calls", format!("Bearer {forged_token}")),
        ("/telephony/v1/voiceCalls", format!("Bearer {forged_jwt}")),
        ("/api/v2/ucs/interactions", basic("agent007", wrong_password)),
    ] {
        let response = http
            .request(
                if path.starts_with("/telephony") {
                    reqwest::Method::POST
                } else {
                    reqwest::Method::GET
                },
                format!("{base}{path}"),
            )
            .header("authorization", authorization)
            .json(&sf_create)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{path}");
    }
    let refused = grpc
        .find_or_create_phone_call_interaction(authed(find_phone_call("secret-log-4"), &forged_token))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);

    child.start_kill().unwrap();
    child.wait().await.unwrap();
    for reader in readers {
        reader.await.unwrap();
    }
    let log = log.lock().unwrap().clone();
    // The log did capture the traffic at trace level, so the checks below
    // look at something.
    assert!(log.contains("TRACE"), "trace-level output expected");
    for route in [
        "/api/v2/ucs/interactions",
        "/uapi/phoneCalls",
        "/telephony/v1/voiceCalls",
    ] {
        assert!(log.contains(route), "the log shows requests to {route}");
    }

    let token_secret = &token[token.len() - 43..];
    let jwt_signature = jwt.rsplit('.').next().unwrap();
    let forged_signature = forged_jwt.rsplit('.').next().unwrap();
    let genesys_b64 = genesys_basic.trim_start_matches("Basic ");
    let wrong_b64 = basic("agent007", wrong_password);
    let hs256_secret = String::from_utf8(HS256_SECRET.to_vec()).unwrap();
    let secrets: [(&str, &str); 10] = [
        ("token", &token),
        ("token secret", token_secret),
        ("JWT", &jwt),
        ("JWT signature", jwt_signature),
        ("Basic credentials", genesys_b64),
        ("CSRF token", &csrf),
        ("forged token", &forged_token),
        ("forged JWT signature", forged_signature),
        ("wrong password", wrong_password),
        ("HS256 secret", &hs256_secret),
    ];
    for (what, secret) in secrets {
        assert!(
            !log.contains(secret),
            "the {what} appears in the log:\n{}",
            log.lines()
                .filter(|l| l.contains(secret))
                .take(5)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    assert!(
        !log.contains(wrong_b64.trim_start_matches("Basic ")),
        "refused Basic credentials appear in the log"
    );
}
