//! CometD (Bayeux 1.0) at /api/v2/notifications over raw HTTP: one test per
//! server requirement (handshake, connect, advice, one outstanding connect,
//! expiry, subscriptions and patterns, error strings, id echo, array and
//! single messages, body limit, no WebSocket), plus deliveries of UCS
//! results and interaction changes, isolation and shutdown.

use std::time::{Duration, Instant};

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{Value, json};
use switchboard::pb::PublishNotificationRequest;

use crate::helpers::{Backend, TestApp, TestDatabase, authed, find_phone_call};

const PATH: &str = "/api/v2/notifications";

fn basic(user: &str, token: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{token}"))
    )
}

/// POSTs `body` to `PATH` + `suffix` with `authorization` (if any).
async fn post(app: &TestApp, authorization: Option<&str>, suffix: &str, body: Value) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}{PATH}{suffix}", app.url()))
        .json(&body);
    if let Some(authorization) = authorization {
        request = request.header("authorization", authorization);
    }
    let response = request.send().await.expect("HTTP works");
    let status = response.status();
    (status, response.json().await.expect("a JSON body"))
}

fn handshake_message(id: &str) -> Value {
    json!({
        "id": id,
        "version": "1.0",
        "minimumVersion": "1.0",
        "channel": "/meta/handshake",
        "supportedConnectionTypes": ["long-polling", "callback-polling"],
        "advice": {"timeout": 60000, "interval": 0}
    })
}

/// Handshakes as `user` with `token` and returns the client id.
pub(crate) async fn handshake(app: &TestApp, user: &str, token: &str) -> String {
    let (status, body) = post(
        app,
        Some(&basic(user, token)),
        "/handshake",
        json!([handshake_message("1")]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let reply = &body[0];
    assert_eq!(reply["successful"], true, "{body}");
    reply["clientId"].as_str().unwrap().to_owned()
}

fn connect_message(id: &str, client: &str, timeout: Option<u64>) -> Value {
    let mut message =
        json!({"id": id, "channel": "/meta/connect", "connectionType": "long-polling", "clientId": client});
    if let Some(timeout) = timeout {
        message["advice"] = json!({"timeout": timeout});
    }
    message
}

pub(crate) async fn connect(app: &TestApp, client: &str, timeout: Option<u64>) -> Value {
    let (status, body) = post(
        app,
        None,
        "/connect",
        json!([connect_message("c", client, timeout)]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    body
}

pub(crate) async fn subscribe(app: &TestApp, client: &str, subscription: Value) -> Value {
    let (_, body) = post(
        app,
        None,
        "/",
        json!([{"id": "s", "channel": "/meta/subscribe", "subscription": subscription, "clientId": client}]),
    )
    .await;
    body[0].clone()
}

fn data(json: Value) -> prost_types::Struct {
    fn value(v: &Value) -> prost_types::Value {
        use prost_types::value::Kind;
        let kind = match v {
            Value::Null => Kind::NullValue(0),
            Value::Bool(b) => Kind::BoolValue(*b),
            Value::Number(n) => Kind::NumberValue(n.as_f64().unwrap()),
            Value::String(s) => Kind::StringValue(s.clone()),
            Value::Array(a) => Kind::ListValue(prost_types::ListValue {
                values: a.iter().map(value).collect(),
            }),
            Value::Object(o) => Kind::StructValue(prost_types::Struct {
                fields: o.iter().map(|(k, v)| (k.clone(), value(v))).collect(),
            }),
        };
        prost_types::Value { kind: Some(kind) }
    }
    match value(&json).kind {
        Some(prost_types::value::Kind::StructValue(s)) => s,
        _ => panic!("an object"),
    }
}

pub(crate) async fn publish(app: &TestApp, token: &str, topic: &str, payload: Value) -> i64 {
    app.events()
        .publish_notification(authed(
            PublishNotificationRequest {
                topic: topic.to_owned(),
                data: Some(data(payload)),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
        .sequence
}

/// Connects until a delivery arrives (or `deadline`), returning deliveries
/// (messages that are not meta replies).
pub(crate) async fn deliveries(app: &TestApp, client: &str, want: usize) -> Vec<Value> {
    let started = Instant::now();
    let mut out = Vec::new();
    while out.len() < want {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "only {} of {want} deliveries: {out:?}",
            out.len()
        );
        let body = connect(app, client, None).await;
        let reply = body.as_array().unwrap().last().unwrap();
        assert_eq!(reply["channel"], "/meta/connect");
        assert_eq!(reply["successful"], true, "{body}");
        out.extend(
            body.as_array()
                .unwrap()
                .iter()
                .filter(|m| m.get("successful").is_none())
                .cloned(),
        );
    }
    out
}

async fn app_with(tweak: impl FnOnce(&mut switchboard::config::ServeConfig)) -> TestApp {
    TestApp::start(TestDatabase::new(Backend::Sqlite), tweak).await
}

/// Short long-polls so tests do not wait 30 s.
async fn quick_app() -> TestApp {
    app_with(|c| c.events.cometd_timeout = Duration::from_millis(1500)).await
}

#[tokio::test]
async fn handshake_connect_subscribe_and_receive_a_ucs_result() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (status, body) = post(
        &app,
        Some(&basic("alice", &app.token)),
        "/handshake",
        json!([handshake_message("1")]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let client = body[0]["clientId"].as_str().unwrap().to_owned();
    assert_eq!(client.len(), 32, "128 random bits in hex");
    assert!(client.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(
        body,
        json!([{
            "channel": "/meta/handshake",
            "successful": true,
            "id": "1",
            "clientId": client,
            "version": "1.0",
            "minimumVersion": "1.0",
            "supportedConnectionTypes": ["long-polling"],
            "advice": {"reconnect": "retry", "interval": 0, "timeout": 30000}
        }])
    );
    // The first connect asks for an immediate answer.
    let first = connect(&app, &client, Some(0)).await;
    assert_eq!(
        first,
        json!([{
            "channel": "/meta/connect", "successful": true, "id": "c", "clientId": client,
            "advice": {"reconnect": "retry", "interval": 0, "timeout": 30000}
        }])
    );
    // A single message (not an array) is accepted too.
    let (_, subscribed) = post(
        &app,
        None,
        "/",
        json!({"id": "2", "channel": "/meta/subscribe", "subscription": "/v2/me/ucs", "clientId": client}),
    )
    .await;
    assert_eq!(
        subscribed,
        json!([{"channel": "/meta/subscribe", "successful": true, "id": "2", "clientId": client, "subscription": "/v2/me/ucs"}])
    );
    // A held connect is answered as soon as the result is published.
    let waiting = {
        let url = format!("{}{PATH}/connect", app.url());
        let message = connect_message("3", &client, None);
        tokio::spawn(async move {
            let started = Instant::now();
            let body: Value = reqwest::Client::new()
                .post(url)
                .json(&json!([message]))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            (body, started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let reference = publish(
        &app,
        &app.token,
        "/v2/me/ucs",
        json!({"messageType": "createInteractionResponse", "interactionId": "0001KaCK4ZYT007N", "isCreated": "true"}),
    )
    .await;
    let (body, took) = waiting.await.unwrap();
    assert!(
        took < Duration::from_secs(5),
        "answered on delivery, not at the timeout"
    );
    assert_eq!(
        body,
        json!([
            {
                "channel": "/v2/me/ucs",
                "data": {
                    "messageType": "createInteractionResponse",
                    "interactionId": "0001KaCK4ZYT007N",
                    "isCreated": "true",
                    "referenceId": reference
                }
            },
            {
                "channel": "/meta/connect", "successful": true, "id": "3", "clientId": client,
                "advice": {"reconnect": "retry", "interval": 0, "timeout": 30000}
            }
        ])
    );
}

#[tokio::test]
async fn interaction_changes_arrive_on_v2_me_interactions() {
    let app = quick_app().await;
    let client = handshake(&app, "alice", &app.token).await;
    subscribe(&app, &client, json!("/v2/me/interactions")).await;
    let created = app
        .interactions()
        .find_or_create_phone_call_interaction(authed(find_phone_call("cometd-1"), &app.token))
        .await
        .unwrap()
        .into_inner()
        .interaction
        .unwrap();
    let got = deliveries(&app, &client, 1).await;
    assert_eq!(got[0]["channel"], "/v2/me/interactions");
    assert_eq!(got[0]["data"]["messageType"], "InteractionStateChangeMessage");
    assert_eq!(got[0]["data"]["notificationType"], "StatusChange");
    // Rendered exactly as the Genesys REST dialect shows the resource (seed 002).
    let resource: Value = reqwest::Client::new()
        .get(format!("{}/api/v2/ucs/interactions/{}", app.url(), created.id))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(resource["statusCode"], 0);
    assert_eq!(got[0]["data"]["interaction"], resource["interaction"]);
    assert_eq!(got[0]["data"]["interaction"]["id"], created.id);
    assert_eq!(got[0]["data"]["interaction"]["phoneNumber"], "1231231231");
    assert_eq!(
        got[0]["data"]["interaction"]["uri"],
        format!("{}/api/v2/interactions/{}", app.url(), created.id)
    );
}

#[tokio::test]
async fn handshake_failures_and_ignored_companions() {
    let app = quick_app().await;
    // No credential, a wrong one, a Bearer one that works.
    for authorization in [None, Some(basic("alice", "swb_wrong"))] {
        let (status, body) = post(
            &app,
            authorization.as_deref(),
            "/handshake",
            json!([handshake_message("7")]),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            body,
            json!([{
                "channel": "/meta/handshake", "successful": false, "id": "7",
                "error": "403::Handshake denied",
                "version": "1.0", "supportedConnectionTypes": ["long-polling"],
                "advice": {"reconnect": "none", "interval": 0}
            }])
        );
    }
    let bearer = format!("Bearer {}", app.token);
    let (_, body) = post(&app, Some(&bearer), "/handshake", json!([handshake_message("8")])).await;
    assert_eq!(body[0]["successful"], true);
    // No connection type in common.
    let mut websocket_only = handshake_message("9");
    websocket_only["supportedConnectionTypes"] = json!(["websocket"]);
    let (_, body) = post(&app, Some(&bearer), "/handshake", json!([websocket_only])).await;
    assert_eq!(body[0]["successful"], false);
    assert_eq!(body[0]["error"], "406:websocket:Unsupported connection types");
    assert_eq!(body[0]["supportedConnectionTypes"], json!(["long-polling"]));
    // Other messages in a handshake request are ignored.
    let (_, body) = post(
        &app,
        Some(&bearer),
        "/handshake",
        json!([handshake_message("10"), {"id": "11", "channel": "/meta/subscribe", "subscription": "/x", "clientId": "nope"}]),
    )
    .await;
    assert_eq!(body.as_array().unwrap().len(), 1);
    assert_eq!(body[0]["id"], "10");
}

#[tokio::test]
async fn unknown_and_missing_client_ids_get_the_specified_errors() {
    let app = quick_app().await;
    let (_, body) = post(
        &app,
        None,
        "/connect",
        json!([connect_message("5", "0123456789abcdef0123456789abcdef", None)]),
    )
    .await;
    assert_eq!(
        body,
        json!([{
            "channel": "/meta/connect", "successful": false, "id": "5",
            "clientId": "0123456789abcdef0123456789abcdef",
            "error": "402:0123456789abcdef0123456789abcdef:Unknown Client ID",
            "advice": {"reconnect": "handshake", "interval": 0}
        }])
    );
    let (_, body) = post(
        &app,
        None,
        "/",
        json!([{"id": "6", "channel": "/meta/subscribe", "subscription": "/a"}]),
    )
    .await;
    assert_eq!(
        body,
        json!([{
            "channel": "/meta/subscribe", "successful": false, "id": "6",
            "error": "401::No client ID",
            "advice": {"reconnect": "handshake", "interval": 0}
        }])
    );
    // Not an object / no channel.
    let (_, body) = post(&app, None, "/", json!([42, {"id": "7"}])).await;
    assert_eq!(
        body[0],
        json!({"successful": false, "error": "400::Invalid message"})
    );
    assert_eq!(
        body[1],
        json!({"successful": false, "id": "7", "channel": null, "error": "400::Invalid message"})
    );
    // Not JSON at all.
    let response = reqwest::Client::new()
        .post(format!("{}{PATH}", app.url()))
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // A session is bound to its credential: another user's is refused.
    let client = handshake(&app, "alice", &app.token).await;
    let bob = app.issue_token("acme", "bob").await;
    let (_, body) = post(
        &app,
        Some(&basic("bob", &bob)),
        "/connect",
        json!([connect_message("8", &client, Some(0))]),
    )
    .await;
    assert_eq!(body[0]["error"], format!("402:{client}:Unknown Client ID"));
    let (_, body) = post(
        &app,
        Some(&basic("alice", &app.token)),
        "/connect",
        json!([connect_message("9", &client, Some(0))]),
    )
    .await;
    assert_eq!(body[0]["successful"], true);
}

#[tokio::test]
async fn a_second_connect_answers_the_first_at_once() {
    let app = app_with(|c| c.events.cometd_timeout = Duration::from_secs(20)).await;
    let client = handshake(&app, "alice", &app.token).await;
    subscribe(&app, &client, json!("/v2/me/ucs")).await;
    let first = {
        let url = format!("{}{PATH}/connect", app.url());
        let message = connect_message("first", &client, None);
        tokio::spawn(async move {
            let body: Value = reqwest::Client::new()
                .post(url)
                .json(&json!([message]))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            (body, Instant::now())
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let second_started = Instant::now();
    let second = {
        let url = format!("{}{PATH}/connect", app.url());
        let message = connect_message("second", &client, None);
        tokio::spawn(async move {
            let body: Value = reqwest::Client::new()
                .post(url)
                .json(&json!([message]))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            body
        })
    };
    let (first_body, first_answered) = tokio::time::timeout(Duration::from_secs(3), first)
        .await
        .expect("first answered at once")
        .unwrap();
    assert!(first_answered.duration_since(second_started) < Duration::from_secs(2));
    assert_eq!(first_body.as_array().unwrap().len(), 1);
    assert_eq!(first_body[0]["id"], "first");
    assert_eq!(first_body[0]["successful"], true);
    // The second one holds, and gets the next delivery.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let reference = publish(
        &app,
        &app.token,
        "/v2/me/ucs",
        json!({"messageType": "UcsOperationResponse", "success": true}),
    )
    .await;
    let second_body = tokio::time::timeout(Duration::from_secs(5), second)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        second_body[0]["data"],
        json!({"messageType": "UcsOperationResponse", "success": true, "referenceId": reference})
    );
    assert_eq!(second_body[1]["id"], "second");
    // Two connects in one request: the earlier is answered at once, too.
    let (_, body) = post(
        &app,
        None,
        "/connect",
        json!([
            connect_message("a", &client, Some(0)),
            connect_message("b", &client, Some(0))
        ]),
    )
    .await;
    let ids: Vec<&Value> = body.as_array().unwrap().iter().map(|m| &m["id"]).collect();
    assert_eq!(ids, [&json!("a"), &json!("b")]);
}

#[tokio::test]
async fn clients_expire_after_max_interval_without_a_connect() {
    let app = app_with(|c| {
        c.events.cometd_timeout = Duration::from_millis(300);
        c.events.cometd_max_interval = Duration::from_secs(1);
    })
    .await;
    let kept = handshake(&app, "alice", &app.token).await;
    let dropped = handshake(&app, "alice", &app.token).await;
    connect(&app, &dropped, Some(0)).await;
    // `kept` keeps connecting (each held 300 ms); `dropped` goes quiet.
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(2500) {
        assert_eq!(connect(&app, &kept, None).await[0]["successful"], true);
    }
    let body = connect(&app, &dropped, Some(0)).await;
    assert_eq!(
        body,
        json!([{
            "channel": "/meta/connect", "successful": false, "id": "c", "clientId": dropped,
            "error": format!("402:{dropped}:Unknown Client ID"),
            "advice": {"reconnect": "handshake", "interval": 0}
        }])
    );
}

#[tokio::test]
async fn subscriptions_with_patterns_and_their_errors() {
    let app = quick_app().await;
    let client = handshake(&app, "alice", &app.token).await;
    let reply = subscribe(&app, &client, json!(["/v2/me/*", "/deep/**", "/service/echo"])).await;
    assert_eq!(
        reply,
        json!({"channel": "/meta/subscribe", "successful": true, "id": "s", "clientId": client,
               "subscription": ["/v2/me/*", "/deep/**", "/service/echo"]})
    );
    let denied = subscribe(&app, &client, json!("/meta/connect")).await;
    assert_eq!(denied["successful"], false);
    assert_eq!(
        denied["error"],
        format!("403:{client},/meta/connect:Subscription denied")
    );
    assert_eq!(denied["subscription"], "/meta/connect");
    let invalid = subscribe(&app, &client, json!("/a//b")).await;
    assert_eq!(invalid["error"], "405:/a//b:Invalid channel");
    let (_, body) = post(
        &app,
        None,
        "/",
        json!([{"id": "m", "channel": "/meta/subscribe", "clientId": client}]),
    )
    .await;
    assert_eq!(body[0]["error"], format!("403:{client}:Subscription missing"));

    // `/v2/me/*` matches one segment, `/deep/**` any number.
    let one = publish(&app, &app.token, "/v2/me/ucs", json!({"n": 1})).await;
    publish(&app, &app.token, "/v2/me/ucs/too/deep", json!({"n": 2})).await;
    let deep = publish(&app, &app.token, "/deep/a/b", json!({"n": 3})).await;
    publish(&app, &app.token, "/elsewhere", json!({"n": 4})).await;
    let got = deliveries(&app, &client, 2).await;
    let references: Vec<&Value> = got.iter().map(|m| &m["data"]["referenceId"]).collect();
    assert_eq!(references, [&json!(one), &json!(deep)]);
    // Unsubscribed: nothing more on that pattern.
    let (_, body) = post(
        &app,
        None,
        "/",
        json!([{"id": "u", "channel": "/meta/unsubscribe", "subscription": "/v2/me/*", "clientId": client}]),
    )
    .await;
    assert_eq!(
        body[0],
        json!({"channel": "/meta/unsubscribe", "successful": true, "id": "u", "clientId": client, "subscription": "/v2/me/*"})
    );
    publish(&app, &app.token, "/v2/me/ucs", json!({"n": 5})).await;
    let last = publish(&app, &app.token, "/deep/x", json!({"n": 6})).await;
    let got = deliveries(&app, &client, 1).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["data"]["referenceId"], last);
}

#[tokio::test]
async fn clients_cannot_publish_and_unknown_meta_channels_are_refused() {
    let app = quick_app().await;
    let client = handshake(&app, "alice", &app.token).await;
    let (_, body) = post(
        &app,
        None,
        "/",
        json!([
            {"id": "p", "channel": "/v2/me/ucs", "data": {"x": 1}, "clientId": client},
            {"id": "q", "channel": "/meta/nonsense", "clientId": client}
        ]),
    )
    .await;
    assert_eq!(
        body[0],
        json!({"channel": "/v2/me/ucs", "successful": false, "id": "p", "clientId": client, "error": format!("403:{client},/v2/me/ucs:Publish denied")})
    );
    assert_eq!(body[1]["error"], "400:/meta/nonsense:Unknown meta channel");
    assert_eq!(body[1]["id"], "q");
}

#[tokio::test]
async fn oversized_bodies_get_413_and_websocket_upgrades_fail_cleanly() {
    let app = quick_app().await;
    let client = handshake(&app, "alice", &app.token).await;
    let big = json!([{"id": "b", "channel": "/meta/subscribe", "subscription": "/a", "clientId": client, "pad": "x".repeat(33 * 1024)}]);
    let (status, body) = post(&app, None, "/", big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body[0]["successful"], false);
    // Just under the limit is fine.
    let fits = json!([{"id": "b", "channel": "/meta/subscribe", "subscription": "/a", "clientId": client, "pad": "x".repeat(31 * 1024)}]);
    assert_eq!(post(&app, None, "/", fits).await.0, StatusCode::OK);
    let response = reqwest::Client::new()
        .get(format!("{}{PATH}", app.url()))
        .header("connection", "Upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn sessions_see_only_their_tenant_and_their_user_notifications() {
    let app = quick_app().await;
    let bob_token = app.issue_token("acme", "bob").await;
    let stranger_token = app.issue_token("globex", "alice").await;
    let alice = handshake(&app, "alice", &app.token).await;
    let bob = handshake(&app, "bob", &bob_token).await;
    let stranger = handshake(&app, "alice", &stranger_token).await;
    for client in [&alice, &bob, &stranger] {
        subscribe(&app, client, json!("/v2/me/**")).await;
    }
    let for_alice = publish(&app, &app.token, "/v2/me/ucs", json!({"to": "alice"})).await;
    let for_bob = publish(&app, &bob_token, "/v2/me/ucs", json!({"to": "bob"})).await;
    let for_stranger = publish(&app, &stranger_token, "/v2/me/ucs", json!({"to": "stranger"})).await;
    for (client, reference) in [(&alice, for_alice), (&bob, for_bob), (&stranger, for_stranger)] {
        let got = deliveries(&app, client, 1).await;
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0]["data"]["referenceId"], reference);
        // Nothing else arrives.
        let body = connect(&app, client, None).await;
        assert_eq!(body.as_array().unwrap().len(), 1, "{body}");
    }
}

#[tokio::test]
async fn a_full_session_queue_loses_nothing() {
    // A tiny session queue and Watch buffer: the feed stalls, its Watch
    // overflows and is resumed from the cursor.
    let app = app_with(|c| {
        c.events.cometd_timeout = Duration::from_millis(500);
        c.events.cometd_max_queue = 2;
        c.events.watch_buffer = 2;
    })
    .await;
    let client = handshake(&app, "alice", &app.token).await;
    subscribe(&app, &client, json!("/v2/me/ucs")).await;
    let mut published = Vec::new();
    for n in 0..60 {
        published.push(publish(&app, &app.token, "/v2/me/ucs", json!({"n": n})).await);
    }
    let got = deliveries(&app, &client, published.len()).await;
    let references: Vec<i64> = got
        .iter()
        .map(|m| m["data"]["referenceId"].as_i64().unwrap())
        .collect();
    assert_eq!(references, published);
}

#[tokio::test]
async fn disconnect_ends_the_session() {
    let app = quick_app().await;
    let client = handshake(&app, "alice", &app.token).await;
    let (_, body) = post(
        &app,
        None,
        "/disconnect",
        json!([{"id": "d", "channel": "/meta/disconnect", "clientId": client}]),
    )
    .await;
    assert_eq!(
        body,
        json!([{"channel": "/meta/disconnect", "successful": true, "id": "d", "clientId": client}])
    );
    let body = connect(&app, &client, Some(0)).await;
    assert_eq!(body[0]["error"], format!("402:{client}:Unknown Client ID"));
}

#[tokio::test]
async fn shutdown_answers_pending_connects_at_once() {
    let app = app_with(|c| c.events.cometd_timeout = Duration::from_secs(30)).await;
    let client = handshake(&app, "alice", &app.token).await;
    let url = format!("{}{PATH}/connect", app.url());
    let message = connect_message("held", &client, None);
    let pending = tokio::spawn(async move {
        let body: Value = reqwest::Client::new()
            .post(url)
            .json(&json!([message]))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let stopping = tokio::spawn(app.stop());
    let body = tokio::time::timeout(Duration::from_secs(3), pending)
        .await
        .expect("answered at once")
        .unwrap();
    assert_eq!(
        body,
        json!([{
            "channel": "/meta/connect", "successful": true, "id": "held", "clientId": client,
            "advice": {"reconnect": "retry", "interval": 0, "timeout": 30000}
        }])
    );
    tokio::time::timeout(Duration::from_secs(5), stopping)
        .await
        .expect("server stops promptly")
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn handshakes_beyond_the_session_limit_are_told_to_retry() {
    let app = app_with(|c| c.events.cometd_max_sessions = 1).await;
    handshake(&app, "alice", &app.token).await;
    let (_, body) = post(
        &app,
        Some(&basic("alice", &app.token)),
        "/handshake",
        json!([handshake_message("2")]),
    )
    .await;
    assert_eq!(body[0]["successful"], false);
    assert_eq!(body[0]["error"], "503::Too many sessions");
    assert_eq!(body[0]["advice"]["reconnect"], "retry");
}
