//! The Hubgets / VoipNow UnifiedAPI v5 dialect over plain HTTP: every cURL
//! example of the vendor's PhoneCalls page replayed verbatim (host and token
//! substituted), the list envelope, filters and paging, every action and its
//! refusal, bulk actions, auth, idempotent creates, the pickup timer and
//! tenant isolation — with the gRPC API checked for the same data.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use chrono::SecondsFormat;
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use switchboard::pb::phone_call::Type;
use switchboard::pb::{
    AnswerPhoneCallRequest, CallState, CreatePhoneCallRequest, GetPhoneCallRequest, PhoneCall,
};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, authed};
use crate::phone_calls::simple;

/// The seed's cookie jar, with the xsrf token replaced by a real one.
fn seed_cookie(token: &str) -> String {
    format!("dev=ffffffffffffffff2kjZMApYaH; xsrf-token={token}; vn=XI%2Cm-tpsEWgqBMBCNVpeAnUEaeqCpG7f")
}

/// A request with the seed cURLs' headers.
fn seed(method: Method, app: &TestApp, path: &str, token: &str) -> reqwest::RequestBuilder {
    Client::new()
        .request(method, format!("{}{path}", app.url()))
        .header("x-xsrf-token", token)
        .header("content-type", "application/json")
        .header("cookie", seed_cookie(token))
}

/// Status and JSON body (`Value::Null` for an empty body).
async fn send(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.expect("request sent");
    let status = response.status();
    let bytes = response.bytes().await.expect("body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&bytes)))
    };
    (status, body)
}

fn error(code: &str, message: &str) -> Value {
    json!({"error": {"code": code, "message": message}})
}

fn access_denied() -> Value {
    error("access_denied", "You are not authorized to use this request.")
}

fn published(call: &PhoneCall) -> String {
    let t = call.create_time.unwrap();
    chrono::DateTime::from_timestamp(t.seconds, t.nanos as u32)
        .unwrap()
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

async fn grpc_get(app: &TestApp, token: &str, id: &str) -> PhoneCall {
    app.phone_calls()
        .get_phone_call(authed(
            GetPhoneCallRequest {
                name: format!("phoneCalls/{id}"),
            },
            token,
        ))
        .await
        .expect("get")
        .into_inner()
}

async fn grpc_answer(app: &TestApp, token: &str, id: &str) -> PhoneCall {
    app.phone_calls()
        .answer_phone_call(authed(
            AnswerPhoneCallRequest {
                name: format!("phoneCalls/{id}"),
                leg_id: String::new(),
            },
            token,
        ))
        .await
        .expect("answer")
        .into_inner()
}

/// Creates a simple call over REST and returns its id.
async fn create(app: &TestApp, token: &str, body: Value) -> String {
    let (status, created) =
        send(seed(Method::POST, app, "/uapi/phoneCalls/@me/simple/", token).json(&body)).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    created[0]["id"].as_str().expect("an id").to_owned()
}

const SIMPLE_SEED: &str = r#"{"extension":"0003*210","phoneCallView":[{"source":["5354353","5302040"],"destination":["3235742879"],"callerId":"John Doe <4242425>"}]}"#;

both_backends! {
    async fn seed_create_simple_then_list_it(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let (status, body) = send(seed(Method::POST, &app, "/uapi/phoneCalls/@me/simple/", &app.token).body(SIMPLE_SEED)).await;
        assert_eq!(status, StatusCode::OK);
        let id = body[0]["id"].as_str().unwrap().to_owned();
        assert!(id.len() == 20 && id.bytes().all(|b| b.is_ascii_hexdigit()));
        let addr = app.addr;
        assert_eq!(
            body,
            json!([{
                "id": id,
                "extension": "0003*210",
                "links": {"self": format!("http://{addr}/uapi/phoneCalls/@me/0003*210/{id}")}
            }])
        );

        // gRPC sees the same call.
        let call = grpc_get(&app, &app.token, &id).await;
        assert_eq!((call.r#type, call.state), (Type::Simple as i32, CallState::Ringing as i32));
        assert_eq!(call.legs[0].caller_id.as_ref().unwrap().name, "John Doe");

        let view = |leg: &str, status: &str, source: Value| {
            json!({"id": leg, "extension": "0003*210", "status": status, "callerId": "John Doe <4242425>", "source": source, "destination": ["3235742879"], "links": {}})
        };
        let (status, listed) = send(seed(Method::GET, &app, "/uapi/phoneCalls/@me/0003*210/", &app.token)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            listed,
            json!({
                "entry": [{
                    "id": id,
                    "extension": "0003*210",
                    "ownerId": "alice",
                    "ownerName": "alice",
                    "published": published(&call),
                    "phoneCallView": [
                        view("00", "3", json!(["5354353"])),
                        view("01", "3", json!(["5302040"])),
                        view("02", "2", json!(["5354353", "5302040"])),
                    ]
                }],
                "startIndex": 0,
                "totalResults": 1,
                "itemsPerPage": 20,
                "filtered": false,
                "sorted": false,
                "paging": {}
            })
        );

        // Answered, it reads like the seed's list example.
        let answered = grpc_answer(&app, &app.token, &id).await;
        let at = published(&PhoneCall { create_time: answered.answer_time, ..Default::default() });
        let (_, one) = send(seed(Method::GET, &app, &format!("/uapi/phoneCalls/@me/0003*210/{id}/"), &app.token)).await;
        assert_eq!(
            one["entry"][0]["phoneCallView"][0],
            json!({"id": "00", "extension": "0003*210", "answered": at, "status": "5", "callerId": "John Doe <4242425>", "source": ["5354353"], "destination": ["3235742879"], "links": {}})
        );
        assert_eq!(one["entry"][0]["answered"], json!(at));
        assert_eq!(one["entry"][0]["phoneCallView"][1]["status"], "0");
        assert_eq!(one["entry"][0]["phoneCallView"][1]["disposition"], "3");
        assert_eq!(one["totalResults"], 1);

        // The same list through every userId alias and @self, and 204 elsewhere.
        for path in ["/uapi/phoneCalls/@viewer/0003*210", "/uapi/phoneCalls/@owner/0003*210/", "/uapi/phoneCalls/alice/@self/", "/uapi/phoneCalls/@me/0003%2A210"] {
            let (status, body) = send(seed(Method::GET, &app, path, &app.token)).await;
            assert_eq!((status, &body["entry"][0]["id"]), (StatusCode::OK, &json!(id)), "{path}");
        }
        let (status, body) = send(seed(Method::GET, &app, "/uapi/phoneCalls/@me/0003*211/", &app.token)).await;
        assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    }

    async fn seed_create_callback_and_a_conference_invite(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let addr = app.addr;
        let (status, body) = send(
            seed(Method::POST, &app, "/uapi/phoneCalls/@me/callback/", &app.token)
                .body(r#"{"extension":"212","phoneCallView":[{"source":["3334444"],"destination":["3235742879"],"callerId":"John Doe <4242425>"}]}"#),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let id = body[0]["id"].as_str().unwrap();
        assert_eq!(body, json!([{"id": id, "extension": "212", "link": {"self": format!("http://{addr}/uapi/phoneCalls/@me/212/{id}")}}]));
        assert_eq!(grpc_get(&app, &app.token, id).await.r#type, Type::Callback as i32);

        let (status, body) = send(
            seed(Method::POST, &app, "/uapi/phoneCalls/@me/conferenceInvite/?number=4455&pin=1234&video=true", &app.token)
                .body(r#"{"extension":"211","destination":"3235742879"}"#),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let id = body[0]["id"].as_str().unwrap();
        assert_eq!(body, json!([{"id": id, "extension": "211", "link": {"self": format!("http://{addr}/uapi/phoneCalls/@me/211/{id}")}}]));
        let call = grpc_get(&app, &app.token, id).await;
        assert_eq!(call.r#type, Type::ConferenceInvite as i32);
        assert_eq!((call.conference_number.as_str(), call.conference_pin.as_str(), call.video), ("4455", "1234", true));
        assert_eq!(call.legs[0].source, ["211"]);

        // Per-type rules come back as request_invalid with every violation.
        let (status, body) = send(
            seed(Method::POST, &app, "/uapi/phoneCalls/@me/callback?allowPublicTransfer=1", &app.token)
                .body(r#"{"source":["0003*210"],"destination":["3235742879"]}"#),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            body,
            error(
                "request_invalid",
                "source[0]: must be a public number for TYPE_CALLBACK; extension: is required for TYPE_CALLBACK: the callback extension; allowPublicTransfer: only applies to TYPE_SIMPLE"
            )
        );
        let (status, body) = send(
            seed(Method::POST, &app, "/uapi/phoneCalls/@me/conferenceInvite/", &app.token)
                .body(r#"{"extension":"211","source":["212"],"destination":["3235742879"]}"#),
        )
        .await;
        assert_eq!((status, body), (StatusCode::BAD_REQUEST, error("request_invalid", "source: must be exactly the conference extension")));
    }

    async fn seed_update_transfers_to_voicemail(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let token = app.issue_token("acme", "12").await;
        let body = r#"{"action":"TransferToVoicemail","sendCallTo":"0003*024","transferFromNumber":"0003*024"}"#;
        // Verbatim: 444444 is not a phone call id.
        let (status, answer) = send(seed(Method::PUT, &app, "/uapi/phoneCalls/12/0003*210/444444/", &token).body(body)).await;
        assert_eq!((status, answer), (StatusCode::BAD_REQUEST, error("pc_phonecall_invalid", "Invalid phoneCallId \"444444\".")));

        let id = create(&app, &token, json!({"extension": "0003*210", "source": ["0003*210"], "destination": ["0003*024"]})).await;
        grpc_answer(&app, &token, &id).await;
        let (status, answer) = send(seed(Method::PUT, &app, &format!("/uapi/phoneCalls/12/0003*210/{id}/"), &token).body(body)).await;
        assert_eq!(status, StatusCode::OK);
        let addr = app.addr;
        assert_eq!(
            answer,
            json!({"PhoneCall": {"id": id, "extension": "0003*210", "link": {"self": format!("http://{addr}/uapi/phoneCalls/12/0003*210/{id}")}}})
        );
        let call = grpc_get(&app, &token, &id).await;
        assert_eq!(call.state, CallState::Voicemail as i32);
        assert_eq!(call.legs.last().unwrap().destination, ["0003*024"]);
        assert_eq!(app.events_of(&call.name).await.last().unwrap().1, "TransferPhoneCallToVoicemail");

        // Another user's id in the path is refused, even for a valid call.
        let (status, answer) = send(seed(Method::PUT, &app, &format!("/uapi/phoneCalls/12/0003*210/{id}/"), &app.token).body(body)).await;
        assert_eq!((status, answer), (StatusCode::UNAUTHORIZED, access_denied()));
    }

    async fn seed_delete_hangs_up_one_party(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let body = r#"{"phoneNumber":"8887777"}"#;
        // Verbatim: curl --data-binary without -X DELETE sends a POST.
        let (status, answer) = send(seed(Method::POST, &app, "/uapi/phoneCalls/@me/0003*210/7d280cc4feae3255a497/", &app.token).body(body)).await;
        assert_eq!((status, answer), (StatusCode::BAD_REQUEST, error("pc_phonecall_invalid", "The phone call does not exist.")));

        let id = create(&app, &app.token, json!({"extension": "0003*210", "source": ["0003*210", "0003*211"], "destination": "8887777"})).await;
        grpc_answer(&app, &app.token, &id).await;
        let (status, answer) = send(seed(Method::POST, &app, &format!("/uapi/phoneCalls/@me/0003*210/{id}/"), &app.token).body(body)).await;
        assert_eq!((status, answer), (StatusCode::OK, json!([{"id": id}])));
        let call = grpc_get(&app, &app.token, &id).await;
        assert_eq!(call.state, CallState::Completed as i32, "one party left");

        // DELETE proper, with and without a body.
        let other = create(&app, &app.token, json!({"source": "0003*210", "destination": "0003*024"})).await;
        let (status, answer) = send(seed(Method::DELETE, &app, &format!("/uapi/phoneCalls/@me/0003*210/{other}"), &app.token)).await;
        assert_eq!((status, answer), (StatusCode::OK, json!([{"id": other}])));
        assert_eq!(grpc_get(&app, &app.token, &other).await.state, CallState::Canceled as i32);
        let (status, answer) = send(seed(Method::DELETE, &app, &format!("/uapi/phoneCalls/@me/0003*210/{other}"), &app.token)).await;
        assert_eq!(
            (status, answer),
            (StatusCode::BAD_REQUEST, error("pc_action_not_allowed", "Cannot hang up the phone call while it is CANCELED (CALL_ENDED)."))
        );
        // Under another extension the call does not exist.
        let third = create(&app, &app.token, json!({"source": "0003*210", "destination": "0003*024"})).await;
        let (status, answer) = send(seed(Method::DELETE, &app, &format!("/uapi/phoneCalls/@me/0003*299/{third}"), &app.token)).await;
        assert_eq!((status, answer), (StatusCode::BAD_REQUEST, error("pc_phonecall_invalid", "The phone call does not exist.")));
    }

    async fn every_action_over_rest_and_its_refusal(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let id = create(&app, &app.token, json!({"source": ["0003*210"], "destination": ["0003*024"]})).await;
        let path = format!("/uapi/phoneCalls/@me/0003*210/{id}/");
        let put = |body: Value| seed(Method::PUT, &app, &path, &app.token).json(&body);
        let ok = json!({"PhoneCall": {"id": id, "extension": "0003*210", "link": {"self": format!("http://{}/uapi/phoneCalls/@me/0003*210/{id}", app.addr)}}});
        let refused = |action: &str, state: &str, reason: &str| {
            error("pc_action_not_allowed", &format!("Cannot {action} the phone call while it is {state} ({reason})."))
        };
        let view = async |leg: usize| -> Value {
            let (_, listed) = send(seed(Method::GET, &app, &path, &app.token)).await;
            listed["entry"][0]["phoneCallView"][leg].clone()
        };

        assert_eq!(send(put(json!({"action": "Park"}))).await, (StatusCode::BAD_REQUEST, refused("park", "RINGING", "CALL_NOT_ACTIVE")));
        assert_eq!(send(put(json!({"action": "OnHold", "phoneCallViewId": "00"}))).await.1, refused("hold", "RINGING", "CALL_NOT_ACTIVE"));
        // PickUp answers the ringing call at another extension.
        assert_eq!(send(put(json!({"action": "PickUp", "sendCallTo": "0003*211", "callerId": "Desk <0003*210>"}))).await, (StatusCode::OK, ok.clone()));
        assert_eq!(view(2).await["status"], "5");
        assert_eq!(view(2).await["callerId"], "Desk <0003*210>");
        assert_eq!(send(put(json!({"action": "PickUp", "sendCallTo": "0003*212"}))).await.1, refused("pick up", "ACTIVE", "CALL_NOT_RINGING"));

        assert_eq!(send(put(json!({"action": "OnHold", "phoneCallViewId": "01"}))).await, (StatusCode::OK, ok.clone()));
        let held = view(1).await;
        assert_eq!((&held["onHold"], &held["holder"]), (&json!("1"), &json!("1")));
        assert_eq!(send(put(json!({"action": "OnHold", "phoneCallViewId": 1}))).await.1, refused("hold", "ACTIVE", "LEG_ALREADY_ON_HOLD"));
        assert_eq!(send(put(json!({"action": "OffHold", "phoneCallViewId": "01"}))).await.0, StatusCode::OK);
        assert!(view(1).await.get("onHold").is_none());
        assert_eq!(send(put(json!({"action": "OffHold"}))).await.1, refused("unhold", "ACTIVE", "LEG_NOT_ON_HOLD"));

        assert_eq!(send(put(json!({"action": "StartRecording", "phoneCallViewId": "01", "format": "wav49"}))).await.0, StatusCode::OK);
        assert_eq!(view(1).await["recording"], "1");
        assert_eq!(send(put(json!({"action": "StartRecording", "phoneCallViewId": "01"}))).await.1, refused("start recording", "ACTIVE", "LEG_ALREADY_RECORDING"));
        assert_eq!(send(put(json!({"action": "StopRecording", "phoneCallViewId": "01"}))).await.0, StatusCode::OK);
        assert_eq!(send(put(json!({"action": "StopRecording"}))).await.1, refused("stop recording", "ACTIVE", "LEG_NOT_RECORDING"));

        assert_eq!(send(put(json!({"action": "Park", "phoneCallViewId": "01", "maxInParking": 600}))).await.0, StatusCode::OK);
        let parked = view(1).await;
        assert_eq!((&parked["parked"], &parked["parkedPos"], &parked["parkedBy"]), (&json!("1"), &json!("1"), &json!("0003*210")));
        assert_eq!(send(put(json!({"action": "Park", "phoneCallViewId": "01"}))).await.1, refused("park", "ACTIVE", "LEG_ALREADY_PARKED"));
        assert_eq!(send(put(json!({"action": "UnPark", "sendCallTo": "0003*300", "waitForPickup": 30}))).await.0, StatusCode::OK);
        assert_eq!(view(3).await["status"], "3");
        assert_eq!(send(put(json!({"action": "Unpark", "sendCallTo": "0003*301"}))).await.1, refused("unpark", "ACTIVE", "LEG_NOT_PARKED"));

        for (action, extension, extra) in [("BargeIn", "0003*302", json!({})), ("Whisper", "0003*303", json!({"private": 1})), ("Monitor", "0003*304", json!({"private": "0"}))] {
            let mut body = json!({"action": action, "sendCallTo": extension, "phoneCallViewId": "01"});
            body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            assert_eq!(send(put(body)).await, (StatusCode::OK, ok.clone()), "{action}");
        }
        assert_eq!(send(put(json!({"action": "Monitor", "sendCallTo": "0003*305", "phoneCallViewId": "04"}))).await.1, refused("monitor", "ACTIVE", "LEG_NOT_A_PARTY"));
        assert_eq!(send(put(json!({"action": "Transfer", "sendCallTo": "0003*400", "transferFromNumber": "999"}))).await.1, refused("transfer", "ACTIVE", "PARTY_NOT_IN_CALL"));
        assert_eq!(send(put(json!({"action": "Transfer", "sendCallTo": "0003*400", "transferFromNumber": "0003*024", "transferNumber": "0003*210"}))).await.0, StatusCode::OK);
        assert_eq!(send(put(json!({"action": "TransferToVoicemail", "sendCallTo": "0003*500"}))).await, (StatusCode::OK, ok.clone()));
        // The call has ended: it is no longer in the live list, and refuses.
        assert_eq!(send(seed(Method::GET, &app, &path, &app.token)).await, (StatusCode::NO_CONTENT, Value::Null));
        assert_eq!(send(put(json!({"action": "Park"}))).await.1, refused("park", "VOICEMAIL", "CALL_ENDED"));

        let changes: Vec<String> = app.events_of(&format!("phoneCalls/{id}")).await.into_iter().map(|(_, c)| c).collect();
        assert_eq!(
            changes,
            [
                "CreatePhoneCall", "PickUpPhoneCall", "HoldPhoneCall", "UnholdPhoneCall", "StartPhoneCallRecording",
                "StopPhoneCallRecording", "ParkPhoneCall", "UnparkPhoneCall", "BargeInPhoneCall", "WhisperPhoneCall",
                "MonitorPhoneCall", "TransferPhoneCall", "TransferPhoneCallToVoicemail",
            ]
        );
    }

    async fn list_filters_sorts_pages_and_projects(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let mut ids = Vec::new();
        for i in 0..4 {
            ids.push(create(&app, &app.token, json!({"source": "0003*210", "destination": "3235742879", "nonce": format!("batch-{i}")})).await);
        }
        let elsewhere = create(&app, &app.token, json!({"source": "0003*211", "destination": "3235742879", "nonce": "other"})).await;
        grpc_answer(&app, &app.token, &ids[1]).await;
        let calls: Vec<PhoneCall> = futures::future::join_all(ids.iter().map(|id| grpc_get(&app, &app.token, id))).await;
        let micros = |call: &PhoneCall| {
            let t = call.create_time.unwrap();
            chrono::DateTime::from_timestamp(t.seconds, t.nanos as u32).unwrap().to_rfc3339_opts(SecondsFormat::Micros, false)
        };
        let list = async |path: &str, query: &[(&str, &str)]| -> (StatusCode, Value) {
            send(seed(Method::GET, &app, path, &app.token).query(query)).await
        };
        let found = |body: &Value| -> Vec<String> {
            body["entry"].as_array().map(|e| e.iter().map(|c| c["id"].as_str().unwrap_or_default().to_owned()).collect()).unwrap_or_default()
        };
        let on_210 = "/uapi/phoneCalls/@me/0003*210/";
        let (_, all) = list(on_210, &[]).await;
        assert_eq!(found(&all), ids);

        type Query<'a> = Vec<(&'a str, String)>;
        let cases: Vec<(Query<'_>, Vec<&String>)> = vec![
            (vec![("filterBy", "id".into()), ("filterValue", ids[2].clone())], vec![&ids[2]]),
            (vec![("filterBy", "id".into()), ("filterOp", "equals".into()), ("filterValue", ids[0].clone())], vec![&ids[0]]),
            (vec![("filterBy", "published".into()), ("filterOp", "greaterThan".into()), ("filterValue", micros(&calls[1]))], vec![&ids[2], &ids[3]]),
            (vec![("filterBy", "published".into()), ("filterOp", "lessThan".into()), ("filterValue", micros(&calls[1]))], vec![&ids[0]]),
            (vec![("filterBy", "answered".into()), ("filterOp", "present".into())], vec![&ids[1]]),
            (vec![("filterBy", "id".into()), ("filterOp", "startsWith".into()), ("filterValue", ids[3][..12].to_owned())], vec![&ids[3]]),
            (vec![("filterBy", "nonce".into()), ("filterOp", "contains".into()), ("filterValue", "tch-2".into())], vec![&ids[2]]),
            (vec![("filterBy", "id".into()), ("filterOp", "inArray".into()), ("filterValue", format!("{},{}", ids[3], ids[0]))], vec![&ids[0], &ids[3]]),
        ];
        for (query, expected) in cases {
            let pairs: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (status, body) = list(on_210, &pairs).await;
            assert_eq!(status, StatusCode::OK, "{query:?}: {body}");
            assert_eq!(found(&body).iter().collect::<Vec<_>>(), expected, "{query:?}");
            assert_eq!((&body["filtered"], &body["totalResults"]), (&json!(true), &json!(expected.len())), "{query:?}");
        }
        // An unencoded `+` in a timestamp still filters (it arrives as a space).
        let raw = format!("{on_210}?filterBy=published&filterOp=lessThan&filterValue={}", micros(&calls[1]));
        assert_eq!(found(&send(seed(Method::GET, &app, &raw, &app.token)).await.1), [ids[0].clone()]);

        let (_, page) = list(on_210, &[("count", "2"), ("startIndex", "1"), ("sortOrder", "descending")]).await;
        assert_eq!(found(&page), [ids[2].clone(), ids[1].clone()]);
        assert_eq!(
            (&page["startIndex"], &page["totalResults"], &page["itemsPerPage"], &page["sorted"], &page["filtered"]),
            (&json!(1), &json!(4), &json!(2), &json!(true), &json!(false))
        );
        let (_, projected) = list(on_210, &[("fields", "id,nonce"), ("count", "1")]).await;
        assert_eq!(projected["entry"], json!([{"id": ids[0], "nonce": "batch-0"}]));
        let (_, mine) = list("/uapi/phoneCalls/@me/@self", &[]).await;
        assert_eq!(found(&mine).len(), 5);
        assert!(found(&mine).contains(&elsewhere));
        assert_eq!(list(on_210, &[("filterBy", "nonce"), ("filterValue", "nope")]).await, (StatusCode::NO_CONTENT, Value::Null));
        assert_eq!(list(on_210, &[("startIndex", "10")]).await.0, StatusCode::NO_CONTENT);

        for (query, message) in [
            (vec![("filterBy", "colour"), ("filterValue", "red")], "filterBy must be one of id, nonce, extension, ownerId, answered, published"),
            (vec![("filterBy", "id"), ("filterOp", "near"), ("filterValue", "x")], "filterOp must be one of equals, greaterThan, lessThan, present, startsWith, contains, inArray, not \"near\""),
            (vec![("filterBy", "published"), ("filterOp", "contains"), ("filterValue", "2026")], "filter: 'create_time' is a timestamp; use =, !=, <, <=, > or >="),
            (vec![("count", "many")], "count must be a whole number"),
            (vec![("sortOrder", "sideways")], "sortOrder must be ascending or descending, not \"sideways\""),
            (vec![("fields", "id,colour")], "fields: unknown property \"colour\"; properties: id, nonce, extension, ownerId, ownerName, answered, published, phoneCallView"),
        ] {
            assert_eq!(list(on_210, &query).await, (StatusCode::BAD_REQUEST, error("request_invalid", message)), "{query:?}");
        }
    }

    async fn bulk_actions_apply_to_every_live_call_of_the_extension(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let first = create(&app, &app.token, json!({"source": "0003*210", "destination": "0003*024"})).await;
        let second = create(&app, &app.token, json!({"source": "0003*210", "destination": "0003*025"})).await;
        let elsewhere = create(&app, &app.token, json!({"source": "0003*211", "destination": "0003*026"})).await;
        let all = "/uapi/phoneCalls/@me/0003*210/";
        // Every call refuses: the first refusal is the answer.
        assert_eq!(
            send(seed(Method::PUT, &app, all, &app.token).json(&json!({"action": "Park"}))).await,
            (StatusCode::BAD_REQUEST, error("pc_action_not_allowed", "Cannot park the phone call while it is RINGING (CALL_NOT_ACTIVE)."))
        );
        grpc_answer(&app, &app.token, &first).await;
        // Calls that refuse are skipped: only the answered one is parked.
        let link = |id: &str| json!({"id": id, "extension": "0003*210", "link": {"self": format!("http://{}/uapi/phoneCalls/@me/0003*210/{id}", app.addr)}});
        assert_eq!(
            send(seed(Method::PUT, &app, all, &app.token).json(&json!({"action": "Park", "phoneCallViewId": "01"}))).await,
            (StatusCode::OK, json!([link(&first)]))
        );
        assert_eq!(
            send(seed(Method::DELETE, &app, all, &app.token)).await,
            (StatusCode::OK, json!([{"id": first}, {"id": second}]))
        );
        assert_eq!(send(seed(Method::DELETE, &app, all, &app.token)).await, (StatusCode::NO_CONTENT, Value::Null));
        assert_eq!(send(seed(Method::PUT, &app, all, &app.token).json(&json!({"action": "OnHold"}))).await.0, StatusCode::NO_CONTENT);
        assert_eq!(grpc_get(&app, &app.token, &elsewhere).await.state, CallState::Ringing as i32);
        // @self reaches the rest of the user's calls.
        assert_eq!(
            send(seed(Method::DELETE, &app, "/uapi/phoneCalls/@me/@self", &app.token)).await,
            (StatusCode::OK, json!([{"id": elsewhere}]))
        );
    }

    async fn a_nonce_creates_once_under_64_concurrent_posts(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let body = json!({"extension": "0003*210", "nonce": "rest-race", "phoneCallView": [{"source": ["0003*210"], "destination": ["3235742879"]}]});
        let posts = (0..64).map(|_| send(seed(Method::POST, &app, "/uapi/phoneCalls/@me/simple", &app.token).json(&body)));
        let answers = futures::future::join_all(posts).await;
        let ids: HashSet<String> = answers
            .iter()
            .map(|(status, body)| {
                assert_eq!(*status, StatusCode::OK, "{body}");
                body[0]["id"].as_str().unwrap().to_owned()
            })
            .collect();
        assert_eq!(ids.len(), 1);
        let id = ids.into_iter().next().unwrap();
        assert_eq!(app.events_of(&format!("phoneCalls/{id}")).await, [("CREATED".to_owned(), "CreatePhoneCall".to_owned())]);
        let (status, reused) = send(
            seed(Method::POST, &app, "/uapi/phoneCalls/@me/simple", &app.token)
                .json(&json!({"extension": "0003*210", "nonce": "rest-race", "source": "0003*210", "destination": "3235742870"})),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(reused["error"]["code"], "pc_nonce_reused");
    }

    async fn unanswered_calls_leave_the_list_when_pickup_runs_out(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let (status, body) = send(
            seed(Method::POST, &app, "/uapi/phoneCalls/@me/simple/?waitForPickup=1&callDuration=60", &app.token)
                .json(&json!({"source": ["0003*210"], "destination": ["3235742879"]})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let id = body[0]["id"].as_str().unwrap().to_owned();
        let call = grpc_get(&app, &app.token, &id).await;
        assert_eq!(call.pickup_deadline.unwrap().seconds, call.create_time.unwrap().seconds + 1);
        assert_eq!(call.max_duration.unwrap().seconds, 60);
        let start = Instant::now();
        loop {
            let (status, _) = send(seed(Method::GET, &app, &format!("/uapi/phoneCalls/@me/0003*210/{id}"), &app.token)).await;
            if status == StatusCode::NO_CONTENT {
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(10), "the call was never cancelled");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(grpc_get(&app, &app.token, &id).await.state, CallState::Canceled as i32);
    }

    async fn another_tenants_call_reads_as_missing(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let intruder = app.issue_token("globex", "mallory").await;
        let id = create(&app, &app.token, json!({"source": "0003*210", "destination": "3235742879"})).await;
        let missing = "00000000000000000000";
        for (method, body) in [(Method::PUT, r#"{"action":"Park"}"#), (Method::DELETE, ""), (Method::POST, r#"{"phoneNumber":"3235742879"}"#)] {
            let theirs = send(seed(method.clone(), &app, &format!("/uapi/phoneCalls/@me/0003*210/{id}/"), &intruder).body(body)).await;
            let none = send(seed(method.clone(), &app, &format!("/uapi/phoneCalls/@me/0003*210/{missing}/"), &intruder).body(body)).await;
            assert_eq!(theirs, (StatusCode::BAD_REQUEST, error("pc_phonecall_invalid", "The phone call does not exist.")), "{method}");
            assert_eq!(theirs, none, "{method}");
        }
        let (status, _) = send(seed(Method::GET, &app, &format!("/uapi/phoneCalls/@me/0003*210/{id}"), &intruder)).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(grpc_get(&app, &app.token, &id).await.state, CallState::Ringing as i32);
    }
}

#[tokio::test]
async fn credentials_and_addressing_are_checked_first() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let path = "/uapi/phoneCalls/@me/0003*210/";
    let bare = |method: Method, path: &str| Client::new().request(method, format!("{}{path}", app.url()));
    assert_eq!(
        send(bare(Method::GET, path)).await,
        (StatusCode::UNAUTHORIZED, access_denied())
    );
    // The double-submit pair must be complete and equal.
    let only_cookie = bare(Method::GET, path).header("cookie", seed_cookie(&app.token));
    assert_eq!(
        send(only_cookie).await,
        (StatusCode::UNAUTHORIZED, access_denied())
    );
    let only_header = bare(Method::GET, path).header("x-xsrf-token", &app.token);
    assert_eq!(
        send(only_header).await,
        (StatusCode::UNAUTHORIZED, access_denied())
    );
    let mismatched = bare(Method::GET, path)
        .header("cookie", seed_cookie(&app.token))
        .header("x-xsrf-token", "44HzZ6YIHDN6mbRY");
    assert_eq!(
        send(mismatched).await,
        (StatusCode::UNAUTHORIZED, access_denied())
    );
    // The seed's own (unknown) token is refused by the API.
    assert_eq!(
        send(seed(Method::GET, &app, path, "44HzZ6YIHDN6mbRY")).await,
        (StatusCode::UNAUTHORIZED, access_denied())
    );
    // A bearer token works as well.
    let bearer = bare(Method::GET, path).bearer_auth(&app.token);
    assert_eq!(send(bearer).await, (StatusCode::NO_CONTENT, Value::Null));
    let create_other = seed(Method::POST, &app, "/uapi/phoneCalls/bob/simple", &app.token).body(SIMPLE_SEED);
    assert_eq!(
        send(create_other).await,
        (StatusCode::UNAUTHORIZED, access_denied())
    );
    assert_eq!(
        send(seed(
            Method::GET,
            &app,
            "/uapi/phoneCalls/alice/0003*210",
            &app.token
        ))
        .await
        .0,
        StatusCode::NO_CONTENT
    );

    assert_eq!(
        send(seed(
            Method::GET,
            &app,
            "/uapi/phoneCalls/@someone/0003*210",
            &app.token
        ))
        .await,
        (
            StatusCode::BAD_REQUEST,
            error(
                "user_invalid",
                "Invalid userId \"@someone\": use @me, @viewer, @owner or a user id."
            )
        )
    );
    assert_eq!(
        send(seed(Method::GET, &app, "/uapi/phoneCalls/@me/abc", &app.token)).await,
        (
            StatusCode::BAD_REQUEST,
            error(
                "extension_invalid",
                "Invalid extension \"abc\": use @self or an extension number such as 0003*210."
            )
        )
    );
    assert_eq!(
        send(seed(Method::POST, &app, "/uapi/phoneCalls/@me/conference", &app.token).body("{}"))
            .await
            .1["error"]["code"],
        "request_not_implemented"
    );
    assert_eq!(
        send(seed(
            Method::PATCH,
            &app,
            "/uapi/phoneCalls/@me/0003*210",
            &app.token
        ))
        .await,
        (
            StatusCode::NOT_IMPLEMENTED,
            error(
                "request_not_implemented",
                "This method is not implemented for this resource."
            )
        )
    );

    // Malformed bodies and parameters get the vendor's envelope too.
    let id = create(
        &app,
        &app.token,
        json!({"source": "0003*210", "destination": "0003*024"}),
    )
    .await;
    let call = format!("/uapi/phoneCalls/@me/0003*210/{id}");
    let put = |body: &str| seed(Method::PUT, &app, &call, &app.token).body(body.to_owned());
    let (status, body) = send(put("{not json")).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::BAD_REQUEST, &json!("request_invalid"))
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Invalid JSON body: ")
    );
    let (status, body) = send(put(r#"{"action":["Park"]}"#)).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::BAD_REQUEST, &json!("request_invalid"))
    );
    assert_eq!(
        send(put("")).await,
        (
            StatusCode::BAD_REQUEST,
            error("request_invalid", "A JSON body is required.")
        )
    );
    assert_eq!(
        send(put(r#"{"action":"Explode"}"#)).await,
        (
            StatusCode::NOT_IMPLEMENTED,
            error(
                "request_not_implemented",
                "The action \"Explode\" is not implemented; actions: Park, UnPark, OnHold, OffHold, StartRecording, StopRecording, PickUp, BargeIn, Whisper, Monitor, Transfer, TransferToVoicemail."
            )
        )
    );
    assert_eq!(
        send(put(r#"{"action":"UnPark","waitForPickup":"soon"}"#)).await,
        (
            StatusCode::BAD_REQUEST,
            error(
                "request_invalid",
                "waitForPickup must be a whole number of seconds"
            )
        )
    );
    assert_eq!(
        send(put(r#"{"action":"Whisper","phoneCallViewId":"00"}"#)).await,
        (
            StatusCode::BAD_REQUEST,
            error("request_invalid", "sendCallTo: is required")
        )
    );
    grpc_answer(&app, &app.token, &id).await;
    assert_eq!(
        send(put(r#"{"action":"OnHold","phoneCallViewId":"09"}"#)).await,
        (
            StatusCode::BAD_REQUEST,
            error(
                "pc_phonecallview_invalid",
                &format!("phoneCallViewId: phoneCalls/{id} has no leg \"09\"")
            )
        )
    );
    assert_eq!(
        send(put(
            r#"{"action":"StartRecording","phoneCallViewId":"00","format":"mp3"}"#
        ))
        .await,
        (
            StatusCode::BAD_REQUEST,
            error("request_invalid", "format must be wav or wav49, not \"mp3\"")
        )
    );
    let bad_create = seed(
        Method::POST,
        &app,
        "/uapi/phoneCalls/@me/simple?waitForPickup=0",
        &app.token,
    )
    .body(r#"{"source":"0003*210","destination":"0003*024","callerId":"John <"}"#);
    assert_eq!(
        send(bad_create).await,
        (
            StatusCode::BAD_REQUEST,
            error("request_invalid", "callerId: must look like `Name <number>`")
        )
    );
    let bad_wait = seed(
        Method::POST,
        &app,
        "/uapi/phoneCalls/@me/simple?waitForPickup=0",
        &app.token,
    )
    .body(r#"{"extension":"0003*2100000000","source":"0003*210","destination":"0003*024"}"#);
    assert_eq!(
        send(bad_wait).await,
        (
            StatusCode::BAD_REQUEST,
            error(
                "extension_invalid",
                "extension: must be an extension number (1-6 digits, or digits*digits such as 0003*210); waitForPickup: must be between 1 second and 1 hour"
            )
        )
    );
    // gRPC parity: a call placed over gRPC is listed over REST.
    let mut request: CreatePhoneCallRequest = simple(&["0003*212"], "0003*024");
    request.request_id = "from-grpc".into();
    let placed = app
        .phone_calls()
        .create_phone_call(authed(request, &app.token))
        .await
        .unwrap()
        .into_inner();
    let (_, listed) = send(seed(
        Method::GET,
        &app,
        "/uapi/phoneCalls/@me/0003*212",
        &app.token,
    ))
    .await;
    assert_eq!(
        (&listed["entry"][0]["id"], &listed["entry"][0]["nonce"]),
        (&json!(placed.id), &json!("from-grpc"))
    );
}
