//! Every dialect's endpoints under arbitrary input, through the real server:
//! generated bodies (arbitrary JSON with the dialects' field names, XML, raw
//! text) and query strings never crash a handler (a panic would surface as
//! 500 through the catch-panic layer) and are always answered with a JSON
//! body in the dialect's shape.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};
use switchboard::domain::call_center::JwtAlgorithm;

use crate::helpers::{Backend, TestApp};
use crate::voice_calls::{HS256_SECRET, add_call_center, hs256_jwt};

/// Field names of every dialect, so generated bodies get past the first
/// checks.
const KEYS: &[&str] = &[
    "operationName",
    "callId",
    "status",
    "phoneNumber",
    "type",
    "contactId",
    "userData",
    "callDuration",
    "note",
    "contactPath",
    "fromDate",
    "toDate",
    "mediaType",
    "maxSize",
    "sort",
    "userId",
    "customAttributes",
    "searchCustomAttributes",
    "source",
    "extension",
    "destination",
    "callerId",
    "nonce",
    "phoneCallView",
    "action",
    "phoneCallViewId",
    "sendCallTo",
    "maxInParking",
    "waitForPickup",
    "callCenterApiName",
    "vendorCallKey",
    "to",
    "from",
    "initiationMethod",
    "startTime",
    "participants",
    "participantKey",
    "callAttributes",
    "isActiveCall",
    "entries",
    "messages",
    "senderType",
    "content",
    "messageId",
    "staff_uid",
    "client_uid",
    "from_number",
    "to_number",
    "direction",
    "rate",
    "provider",
    "external_uuid",
    "business_uid",
    "duration",
    "channel",
    "clientId",
    "subscription",
    "connectionType",
    "version",
    "supportedConnectionTypes",
    "advice",
    "id",
];

const OPERATIONS: &[&str] = &[
    "FindPhoneCall",
    "SetCallCompleted",
    "SetCallNote",
    "SetCallContact",
    "RetrieveInteractionHistory",
    "RetrieveAgentHistory",
    "RetrieveContactHistory",
    "Park",
    "UnPark",
    "OnHold",
    "Transfer",
    "/meta/handshake",
    "/meta/connect",
    "/meta/subscribe",
    "/v2/me/**",
    "Inbound",
    "Transfer",
    "END_USER",
    "INBOUND",
    "MISSED",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        "\\PC{0,20}".prop_map(Value::from),
        proptest::sample::select(OPERATIONS.to_vec()).prop_map(Value::from),
        proptest::sample::select(vec![
            "+14155550148",
            "0003*210",
            "2026-11-23",
            "2026-11-23T09:30:00Z",
            "0.05",
            "00"
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(
                proptest::sample::select(KEYS.to_vec()).prop_map(str::to_owned),
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A request body: a JSON object of known fields, any JSON, XML, or text.
fn body() -> impl Strategy<Value = (String, &'static str)> {
    let object = proptest::collection::btree_map(proptest::sample::select(KEYS.to_vec()), json_value(), 0..8)
        .prop_map(|m| serde_json::to_string(&m).unwrap());
    prop_oneof![
        4 => object.prop_map(|b| (b, "application/json")),
        1 => json_value().prop_map(|v| (v.to_string(), "application/json")),
        1 => proptest::collection::btree_map(proptest::sample::select(KEYS.to_vec()), "[a-zA-Z0-9+*:. -]{0,12}", 0..6)
            .prop_map(|m| {
                let fields: String = m.iter().map(|(k, v)| format!("<{k}>{v}</{k}>")).collect();
                (format!("<VoiceCall>{fields}</VoiceCall>"), "application/xml")
            }),
        1 => "(?s)\\PC{0,60}".prop_map(|t| (t, "application/json")),
        1 => "(?s)\\PC{0,60}".prop_map(|t| (t, "application/xml")),
    ]
}

/// A query string of known and arbitrary parameters.
fn query() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        proptest::sample::select(vec![
            "count",
            "startIndex",
            "filterBy",
            "filterOp",
            "filterValue",
            "fields",
            "sortOrder",
            "page",
            "per_page",
            "sort",
            "filter[status]",
            "filter[created_at][gte]",
            "filter[uid][ne]",
            "fromDate",
            "toDate",
            "mediaType",
            "offset",
            "limit",
            "userId",
            "contactId",
            "start_date",
            "end_date",
            "waitForPickup",
        ])
        .prop_map(str::to_owned),
        "\\PC{0,10}",
    ];
    proptest::collection::vec((key, "\\PC{0,20}"), 0..5).prop_map(|pairs| {
        pairs
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    })
}

/// Percent-encodes everything but unreserved characters (and `*`, `[`,
/// `]`, which the dialects' examples send unencoded).
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'*' | b'[' | b']' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn arbitrary_input_never_crashes_a_dialect() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let app = runtime.block_on(TestApp::spawn(Backend::Sqlite));
    runtime.block_on(add_call_center(
        &app,
        "ACME_CC",
        "acme",
        JwtAlgorithm::Hs256,
        HS256_SECRET,
    ));
    let jwt = hs256_jwt("ACME_CC", HS256_SECRET, false);
    let bearer = format!("Bearer {}", app.token);
    let basic = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("agent:{}", app.token)
        )
    );
    let sf = format!("Bearer {jwt}");
    let routes: Vec<(reqwest::Method, &str, String)> = vec![
        (reqwest::Method::POST, "/api/v2/ucs/interactions", bearer.clone()),
        (
            reqwest::Method::POST,
            "/api/v2/ucs/interactions/ZZZZZZZZZZZZZZZZ",
            bearer.clone(),
        ),
        (
            reqwest::Method::POST,
            "/api/v2/ucs/contacts/c1/interactions",
            bearer.clone(),
        ),
        (
            reqwest::Method::POST,
            "/api/v2/notifications/handshake",
            basic.clone(),
        ),
        (
            reqwest::Method::POST,
            "/api/v2/notifications/connect",
            basic.clone(),
        ),
        (
            reqwest::Method::POST,
            "/uapi/phoneCalls/@me/simple",
            bearer.clone(),
        ),
        (
            reqwest::Method::POST,
            "/uapi/phoneCalls/@me/callback/",
            bearer.clone(),
        ),
        (
            reqwest::Method::POST,
            "/uapi/phoneCalls/@me/conferenceInvite",
            bearer.clone(),
        ),
        (
            reqwest::Method::PUT,
            "/uapi/phoneCalls/@me/0003*210",
            bearer.clone(),
        ),
        (
            reqwest::Method::PUT,
            "/uapi/phoneCalls/@me/0003*210/00000000000000000000",
            bearer.clone(),
        ),
        (
            reqwest::Method::DELETE,
            "/uapi/phoneCalls/@me/@self",
            bearer.clone(),
        ),
        (reqwest::Method::POST, "/telephony/v1/voiceCalls", sf.clone()),
        (
            reqwest::Method::PATCH,
            "/telephony/v1/voiceCalls/some-key",
            sf.clone(),
        ),
        (
            reqwest::Method::POST,
            "/telephony/v1/voiceCalls/some-key/messages",
            sf.clone(),
        ),
        (
            reqwest::Method::POST,
            "/telephony/v1/voiceCalls/messages",
            sf.clone(),
        ),
        (
            reqwest::Method::POST,
            "/v3/communication/voice_calls",
            bearer.clone(),
        ),
        (
            reqwest::Method::PUT,
            "/v3/communication/voice_calls/some-uid",
            bearer.clone(),
        ),
        (
            reqwest::Method::GET,
            "/v3/communication/voice_calls",
            bearer.clone(),
        ),
        (
            reqwest::Method::GET,
            "/v3/communication/voice_calls/reports/voice_call_stats",
            bearer.clone(),
        ),
        (
            reqwest::Method::GET,
            "/uapi/phoneCalls/@me/0003*210",
            bearer.clone(),
        ),
        (reqwest::Method::GET, "/api/v2/ucs/interactions", bearer.clone()),
    ];
    let client = reqwest::Client::new();
    let mut runner = TestRunner::new(Config {
        cases: 512,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (0..routes.len(), body(), query());
    runner
        .run(&strategy, |(route, (body, content_type), query)| {
            let (method, path, authorization) = &routes[route];
            let url = format!("{}{path}?{query}", app.url());
            let (status, text) = runtime.block_on(async {
                let response = client
                    .request(method.clone(), &url)
                    .header("authorization", authorization)
                    .header("content-type", content_type)
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap();
                (response.status(), response.text().await.unwrap())
            });
            prop_assert!(
                status.as_u16() < 500 || status.as_u16() == 501,
                "{method} {url} {body:?}: {status} {text}"
            );
            if !text.is_empty() {
                let parsed = serde_json::from_str::<Value>(&text);
                prop_assert!(
                    parsed.is_ok(),
                    "{method} {url} {body:?}: {status} not JSON: {text}"
                );
            }
            Ok(())
        })
        .unwrap();
    drop(app);
}
