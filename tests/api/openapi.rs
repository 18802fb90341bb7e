//! The OpenAPI document (`GET /openapi.json`): served without credentials,
//! documents exactly the routes and methods the routers serve, and holds up
//! against schemathesis fuzzing a live server (no 5xx, responses match).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use switchboard::domain::call_center::JwtAlgorithm;

use crate::helpers::{Backend, TestApp, TestDatabase, authed, find_phone_call};
use crate::voice_calls::{HS256_SECRET, add_call_center, hs256_jwt};

const METHODS: &[&str] = &["get", "post", "put", "patch", "delete"];

async fn document(app: &TestApp) -> Value {
    let response = reqwest::get(format!("{}/openapi.json", app.url())).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    response.json().await.unwrap()
}

/// `/a/{x}/b` → `/a/{}/b`, so axum and OpenAPI parameter names compare.
fn shape(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if !in_param => out.push(c),
            _ => {}
        }
    }
    out
}

/// The paths every `.route(…)` of the facade's routers registers, read from
/// their source.
fn router_paths() -> BTreeSet<String> {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut paths = BTreeSet::new();
    for (file, constant) in [
        ("src/facade/mod.rs", switchboard::facade::openapi::PATH),
        ("src/facade/genesys/mod.rs", ""),
        ("src/facade/hubgets/mod.rs", ""),
        ("src/facade/salesforce/mod.rs", ""),
        ("src/facade/vcita/mod.rs", ""),
        ("src/facade/cometd/mod.rs", switchboard::facade::cometd::PATH),
    ] {
        let source = std::fs::read_to_string(format!("{root}/{file}")).unwrap();
        for (_, rest) in source
            .match_indices(".route(")
            .map(|(i, _)| ((), &source[i + 7..]))
        {
            let argument = rest.split(',').next().unwrap().trim();
            let path = if let Some(literal) = argument.strip_prefix('"') {
                literal.trim_end_matches('"').to_owned()
            } else if let Some(format) = argument.strip_prefix("&format!(\"") {
                format
                    .trim_end_matches(')')
                    .trim_end_matches('"')
                    .replace("{PATH}", constant)
                    .replace("{{", "{")
                    .replace("}}", "}")
            } else {
                assert!(argument.ends_with("PATH"), "{file}: cannot read route {argument}");
                constant.to_owned()
            };
            paths.insert(shape(&path.replace("{*", "{")));
        }
    }
    assert!(paths.len() > 20, "found only {paths:?}");
    paths
}

/// A concrete URL path for an OpenAPI path template.
fn concrete(template: &str) -> String {
    template
        .split('/')
        .map(|segment| if segment.starts_with('{') { "x1" } else { segment })
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether template `template` matches the concrete segments of `path`
/// (a parameter matches anything).
fn matches(template: &str, path: &str) -> bool {
    let (t, p): (Vec<_>, Vec<_>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len() && t.iter().zip(&p).all(|(t, p)| t.starts_with('{') || t == p)
}

#[tokio::test]
async fn the_document_covers_every_route_and_method() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let doc = document(&app).await;
    assert_eq!(doc["openapi"], "3.1.0");
    let documented: &serde_json::Map<String, Value> = doc["paths"].as_object().unwrap();
    let shapes: BTreeSet<String> = documented.keys().map(|p| shape(p)).collect();
    let routes = router_paths();
    for path in &routes {
        assert!(shapes.contains(path), "route {path} is not in /openapi.json");
    }

    // Each documented path answers exactly its documented methods: probe
    // without credentials. A method a route does not serve is 405 (axum,
    // Genesys) or, on UnifiedAPI paths, 501 before any credential check;
    // served methods get at least as far as their credential check.
    let client = reqwest::Client::new();
    let mut mismatches = Vec::new();
    for (path, item) in documented {
        let url = format!("{}{}", app.url(), concrete(path));
        for method in METHODS {
            let response = client
                .request(method.to_uppercase().parse().unwrap(), &url)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let served = status != 405 && !(path.starts_with("/uapi/") && status == 501);
            // A path that is no route of its own (`/uapi/phoneCalls/@me/simple`)
            // is also served by the templates it matches (`{userId}/{extension}`).
            let is_documented = item.get(*method).is_some()
                || (!routes.contains(&shape(path))
                    && documented
                        .iter()
                        .any(|(other, item)| matches(other, path) && item.get(*method).is_some()));
            if served != is_documented {
                mismatches.push(format!(
                    "{} {path}: served={served} (HTTP {status}), documented={is_documented}",
                    method.to_uppercase()
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}

#[tokio::test]
async fn every_operation_documents_its_error_envelope() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let doc = document(&app).await;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            assert!(!responses.is_empty(), "{method} {path}");
            // CometD answers credential problems inside its 200 replies.
            let secured = op["security"].as_array().is_none_or(|s| !s.is_empty());
            if secured && !path.starts_with(switchboard::facade::cometd::PATH) {
                assert!(responses.contains_key("401"), "{method} {path}: no 401");
            }
        }
    }
}

/// Runs schemathesis (`SCHEMATHESIS`, else `schemathesis` on the PATH)
/// against the served document with credentials for every dialect: checks
/// `not_a_server_error`, `response_schema_conformance` and
/// `status_code_conformance` over every operation, with a fixed seed. A 5xx
/// passes only where the document promises 501 (routes documented as not
/// implemented, unknown UnifiedAPI actions and methods). Skips loudly when
/// schemathesis is missing, unless `CI=true`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_errors_or_schema_violations() {
    let Some(schemathesis) = crate::helpers::external_tool("SCHEMATHESIS", "schemathesis", "--version")
    else {
        return;
    };
    let app = TestApp::start(TestDatabase::new(Backend::Sqlite), |config| {
        // A connect that finds a session answers within a second.
        config.events.cometd_timeout = Duration::from_secs(1);
    })
    .await;
    add_call_center(&app, "ACME_CC", "acme", JwtAlgorithm::Hs256, HS256_SECRET).await;
    let jwt = hs256_jwt("ACME_CC", HS256_SECRET, false);
    let token = &app.token;
    let csrf = switchboard::facade::genesys::auth::csrf_token(token);
    let doc = document(&app).await;
    let seeded = seed(&app, &jwt).await;

    let mut config = format!(
        "[auth.openapi.switchboardToken]\nbearer = \"{token}\"\n\
         [auth.openapi.salesforceJwt]\nbearer = \"{jwt}\"\n\
         [auth.openapi.genesysBasic]\nusername = \"alice\"\npassword = \"{token}\"\n\
         [auth.openapi.genesysCsrf]\napi_key = \"{csrf}\"\n\
         [auth.openapi.hubgetsXsrfCookie]\napi_key = \"{token}\"\n\
         [auth.openapi.hubgetsXsrfHeader]\napi_key = \"{token}\"\n"
    );
    // Path parameters name the seeded resources half of the time, so
    // operations on existing interactions, voice calls and live phone calls
    // are reached, not only their 404s.
    for (name, values) in &seeded {
        let values: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
        config.push_str(&format!(
            "\n[dictionaries.{name}]\nvalues = [{}]\n",
            values.join(", ")
        ));
    }
    config.push_str("\n[parameters]\n");
    for (parameter, dictionary) in [
        ("path.id", "interactions"),
        ("path.uid", "voiceCalls"),
        ("path.callId", "voiceCalls"),
        ("path.userId", "users"),
        ("path.extension", "extensions"),
        ("path.phoneCallId", "phoneCalls"),
    ] {
        config.push_str(&format!(
            "\"{parameter}\" = {{ dictionary = \"{dictionary}\", probability = 0.5 }}\n"
        ));
    }
    // 501 is a documented answer on these operations, and only there.
    let mut documented_501: BTreeMap<String, ()> = BTreeMap::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            if op["responses"].get("501").is_some() {
                documented_501.insert(op["operationId"].as_str().unwrap().to_owned(), ());
            }
        }
    }
    for id in documented_501.keys() {
        config.push_str(&format!(
            "\n[[operations]]\ninclude-operation-id = \"{id}\"\n\
             checks.not_a_server_error.expected-statuses = [\"2xx\", \"3xx\", \"4xx\", \"501\"]\n"
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("schemathesis.toml");
    std::fs::write(&config_path, config).unwrap();

    let started = Instant::now();
    // At low CPU priority: the fuzzer's data generation is the heavy part,
    // and the rest of the suite (timing-sensitive streaming tests included)
    // runs beside it on the same cores.
    let nice = std::process::Command::new("nice")
        .arg("--version")
        .output()
        .is_ok();
    let output = tokio::task::block_in_place(|| {
        let mut command = if nice {
            let mut command = std::process::Command::new("nice");
            command.args(["-n", "15"]).arg(&schemathesis);
            command
        } else {
            std::process::Command::new(&schemathesis)
        };
        command
            .current_dir(dir.path())
            .arg("--config-file")
            .arg(&config_path)
            .args(["run", &format!("{}/openapi.json", app.url())])
            .args([
                "--checks",
                "not_a_server_error,response_schema_conformance,status_code_conformance",
                "--max-examples",
                "25",
                "--seed",
                "20261123",
                "--request-timeout",
                "10",
                // One worker: Hypothesis' lambda-source cache is not
                // thread-safe ("AST constructor recursion depth mismatch").
                "--workers",
                "1",
                "--no-color",
            ])
            .output()
            .expect("schemathesis runs")
    });
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!(
        "schemathesis took {:.1}s; summary:\n{}",
        started.elapsed().as_secs_f64(),
        stdout
            .lines()
            .skip_while(|l| !l.contains("SUMMARY"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        output.status.success(),
        "schemathesis failed ({:?}):\n{stdout}\n{stderr}",
        output.status.code()
    );
    assert!(stdout.contains("Tested: "), "{stdout}");
}

/// Creates an interaction, a voice call with a transcript line and a live
/// phone call for schemathesis to find, and returns the ids by dictionary.
async fn seed(app: &TestApp, jwt: &str) -> BTreeMap<&'static str, Vec<String>> {
    let token = &app.token;
    let client = reqwest::Client::new();
    let interaction = app
        .interactions()
        .find_or_create_phone_call_interaction(authed(find_phone_call("openapi-seed"), token))
        .await
        .unwrap()
        .into_inner()
        .interaction
        .unwrap()
        .id;
    let created: Value = client
        .post(format!("{}/v3/communication/voice_calls", app.url()))
        .bearer_auth(token)
        .json(&json!({
            "staff_uid": "staff-1", "client_uid": "client-1",
            "from_number": "+14155550148", "to_number": "+14155550901",
            "direction": "INBOUND", "status": "INCOMING_CALL", "rate": "0.05", "provider": "VONAGE",
            "source_id": "openapi-seed", "external_uuid": "openapi-seed-1", "business_uid": "business-1"
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let voice_call = created["data"]["uid"]
        .as_str()
        .expect("voice call created")
        .to_owned();
    let message = client
        .post(format!(
            "{}/telephony/v1/voiceCalls/{voice_call}/messages",
            app.url()
        ))
        .bearer_auth(jwt)
        .json(&json!({
            "participantId": "openapi-seedEND_USER", "messageId": "m1",
            "startTime": 1_700_000_000_000_i64, "endTime": 1_700_000_001_000_i64,
            "content": "hello", "senderType": "END_USER"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(message.status(), 200, "{}", message.text().await.unwrap());
    let calls: Value = client
        .post(format!("{}/uapi/phoneCalls/@me/simple", app.url()))
        .bearer_auth(token)
        .body(r#"{"extension":"0003*210","phoneCallView":[{"source":["5354353"],"destination":["3235742879"]}]}"#)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let phone_call = calls[0]["id"].as_str().expect("phone call created").to_owned();
    BTreeMap::from([
        ("interactions", vec![interaction]),
        ("voiceCalls", vec![voice_call, "openapi-seed-1".to_owned()]),
        ("users", vec!["@me".to_owned(), "alice".to_owned()]),
        ("extensions", vec!["0003*210".to_owned(), "@self".to_owned()]),
        ("phoneCalls", vec![phone_call]),
    ])
}
