//! The one port also answers plain HTTP: unknown routes, and the edge limits
//! (body size, load shedding) in each dialect's own error shape.

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{Backend, TestApp, TestDatabase};

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

/// One write route per dialect, and what its error body must look like.
struct DialectCase {
    name: &'static str,
    path: &'static str,
    /// Checks the error body of a refusal with `http` status.
    shape: fn(&Value, u16),
}

fn cases() -> Vec<DialectCase> {
    vec![
        DialectCase {
            name: "genesys",
            path: "/api/v2/ucs/interactions",
            shape: |body, http| {
                let code = if http == 413 { 10 } else { 9 };
                assert_eq!(body["statusCode"], code, "{body}");
                assert!(body["statusMessage"].as_str().is_some_and(|m| !m.is_empty()));
                assert_eq!(body.as_object().unwrap().len(), 2, "no other attributes: {body}");
            },
        },
        DialectCase {
            name: "hubgets",
            path: "/uapi/phoneCalls/@me/simple",
            shape: |body, http| {
                let code = if http == 413 {
                    "request_too_large"
                } else {
                    "request_limit_exceeded"
                };
                assert_eq!(body["error"]["code"], code, "{body}");
                assert!(body["error"]["message"].is_string());
            },
        },
        DialectCase {
            name: "salesforce",
            path: "/telephony/v1/voiceCalls",
            shape: |body, http| {
                let code = if http == 413 {
                    "REQUEST_TOO_LARGE"
                } else {
                    "SCV_LIMITS_ERROR"
                };
                assert_eq!(body["errors"][0]["errorCode"], code, "{body}");
                assert!(body["errors"][0]["message"].is_string());
            },
        },
        DialectCase {
            name: "vcita",
            path: "/v3/communication/voice_calls",
            shape: |body, http| {
                let code = if http == 413 {
                    "payload_too_large"
                } else {
                    "too_many_requests"
                };
                assert_eq!(body["success"], false, "{body}");
                assert_eq!(body["errors"][0]["code"], code, "{body}");
                assert!(body["errors"][0]["message"].is_string());
            },
        },
        DialectCase {
            name: "other",
            path: "/anything",
            shape: |body, http| {
                let code = if http == 413 {
                    "request_too_large"
                } else {
                    "too_many_requests"
                };
                assert_eq!(body["error"]["code"], code, "{body}");
            },
        },
    ]
}

/// Sends `request` over a fresh HTTP/1.1 connection and returns the status
/// and JSON body of the answer (the server closes: `Connection: close`).
async fn raw_http(app: &TestApp, request: &[u8]) -> (u16, Value) {
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    // The server may answer (and close) before reading the whole body.
    let _ = stream.read_to_end(&mut answer).await;
    let text = String::from_utf8_lossy(&answer);
    let status: u16 = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {text}"));
    let (head, body) = text.split_once("\r\n\r\n").expect("head and body");
    let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        // One chunk is enough for these small answers.
        body.split_once("\r\n")
            .map_or("", |(_, rest)| rest)
            .rsplit_once("\r\n0\r\n")
            .map_or("", |(b, _)| b)
    } else {
        body
    };
    (
        status,
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body:?}")),
    )
}

#[tokio::test]
async fn oversized_bodies_get_413_in_each_dialects_shape() {
    let app = TestApp::start(TestDatabase::new(Backend::Sqlite), |c| c.max_request_bytes = 1024).await;
    let client = reqwest::Client::new();
    for case in cases() {
        // A declared length over the limit: refused before reading.
        let response = client
            .post(format!("{}{}", app.url(), case.path))
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {}", app.token))
            .body(vec![b' '; 4096])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 413, "{}", case.name);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{}",
            case.name
        );
        let body: Value = response.json().await.unwrap();
        (case.shape)(&body, 413);

        // A chunked body with no declared length: refused once it passes
        // the limit.
        let chunk = "x".repeat(2048);
        let request = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nAuthorization: Bearer {}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
            case.path,
            app.addr,
            app.token,
            chunk.len()
        );
        let (status, body) = raw_http(&app, request.as_bytes()).await;
        assert_eq!(status, 413, "{} (chunked)", case.name);
        (case.shape)(&body, 413);
    }
    // CometD answers as a Bayeux client reads failures.
    let response = client
        .post(format!("{}/api/v2/notifications/handshake", app.url()))
        .header("content-type", "application/json")
        .body(vec![b' '; 4096])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body[0]["successful"], false, "{body}");
    assert!(body[0]["error"].as_str().unwrap().starts_with("413::"), "{body}");

    // Bodies within the limit still reach the dialect (a validation error
    // from the handler, not a size refusal).
    let response = client
        .post(format!("{}/v3/communication/voice_calls", app.url()))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {}", app.token))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn overload_gets_429_with_retry_after_in_each_dialects_shape() {
    let app = TestApp::start(TestDatabase::new(Backend::Sqlite), |c| c.max_in_flight = 1).await;
    // Hold the only slot: a request whose body never finishes arriving.
    let mut holder = TcpStream::connect(app.addr).await.unwrap();
    holder
        .write_all(
            format!(
                "POST /anything HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{",
                app.addr
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let send = |path: &'static str| {
        client
            .post(format!("{}{path}", app.url()))
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {}", app.token))
            .body("{}")
            .send()
    };
    // The held request takes its slot asynchronously: wait until it has.
    let mut attempts = 0;
    while send("/anything").await.unwrap().status() != 429 {
        attempts += 1;
        assert!(attempts < 1000, "the held request never took the slot");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    for case in cases() {
        let response = send(case.path).await.unwrap();
        assert_eq!(response.status(), 429, "{}", case.name);
        assert_eq!(response.headers()["retry-after"], "1", "{}", case.name);
        let body: Value = response.json().await.unwrap();
        (case.shape)(&body, 429);
    }
    // Releasing the slot lets requests through again.
    drop(holder);
    let mut attempts = 0;
    while send("/anything").await.unwrap().status() == 429 {
        attempts += 1;
        assert!(attempts < 1000, "the slot was never released");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn the_configured_limit_is_the_only_body_limit() {
    // Above axum's 2 MiB default, below the configured limit: the body
    // reaches each dialect, which refuses it as malformed, not as too large.
    let app = TestApp::start(TestDatabase::new(Backend::Sqlite), |c| {
        c.max_request_bytes = 4 << 20
    })
    .await;
    let client = reqwest::Client::new();
    let body = vec![b'x'; 3 << 20];
    for case in cases() {
        let response = client
            .post(format!("{}{}", app.url(), case.path))
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {}", app.token))
            .body(body.clone())
            .send()
            .await
            .unwrap();
        if case.name == "other" {
            assert_eq!(response.status(), 404, "{}", case.name);
        } else {
            assert_eq!(response.status(), 400, "{}", case.name);
        }
    }
}
