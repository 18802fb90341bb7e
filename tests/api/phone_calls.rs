//! PhoneCallService over gRPC: create (validation, idempotency under
//! concurrency), get and list (filters, paging, read mask), every
//! call-control action and its refusal, the timers (also across a restart
//! and across instances), tenant isolation, and the events and
//! interaction-history records each change writes.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use prost_types::FieldMask;
use switchboard::pb::phone_call::leg::{Role, Status as LegStatus};
use switchboard::pb::phone_call::{Disposition, Type};
use switchboard::pb::phone_call_service_client::PhoneCallServiceClient;
use switchboard::pb::{
    AnswerPhoneCallRequest, BargeInPhoneCallRequest, CallState, CallerId, CreatePhoneCallRequest,
    GetInteractionRequest, GetPhoneCallOwnerRequest, GetPhoneCallRequest, HangUpPhoneCallRequest,
    HoldPhoneCallRequest, ListPhoneCallsRequest, MonitorPhoneCallRequest, ParkPhoneCallRequest, PhoneCall,
    PickUpPhoneCallRequest, RecordingFormat, StartPhoneCallRecordingRequest, StopPhoneCallRecordingRequest,
    TransferPhoneCallRequest, TransferPhoneCallToVoicemailRequest, UnholdPhoneCallRequest,
    UnparkPhoneCallRequest, WhisperPhoneCallRequest, interaction,
};
use tonic::transport::Channel;
use tonic::{Code, Status};
use tonic_types::StatusExt;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, TestDatabase, authed, postgres_ready};

fn seconds(secs: i64) -> Option<prost_types::Duration> {
    Some(prost_types::Duration {
        seconds: secs,
        nanos: 0,
    })
}

/// A simple call from `source` to `destination`.
pub fn simple(source: &[&str], destination: &str) -> CreatePhoneCallRequest {
    CreatePhoneCallRequest {
        r#type: Type::Simple.into(),
        source: source.iter().map(|s| (*s).to_owned()).collect(),
        destination: vec![destination.to_owned()],
        ..Default::default()
    }
}

fn violations(status: &Status) -> Vec<String> {
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

/// Asserts a refused transition: FAILED_PRECONDITION with `reason` and the
/// call's state in the details.
#[track_caller]
fn assert_refused(result: Result<tonic::Response<PhoneCall>, Status>, reason: &str, state: &str) {
    let status = result.expect_err("the action must be refused");
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    let info = status.get_details_error_info().expect("ErrorInfo");
    assert_eq!(info.reason, reason, "{status:?}");
    assert_eq!(info.metadata["currentState"], state);
    assert!(status.get_details_precondition_failure().is_some());
}

struct Calls {
    client: PhoneCallServiceClient<Channel>,
    token: String,
}

impl Calls {
    fn new(app: &TestApp, token: &str) -> Self {
        Self {
            client: app.phone_calls(),
            token: token.to_owned(),
        }
    }

    async fn create(&mut self, request: CreatePhoneCallRequest) -> PhoneCall {
        self.client
            .create_phone_call(authed(request, &self.token))
            .await
            .expect("create")
            .into_inner()
    }

    async fn get(&mut self, name: &str) -> Result<PhoneCall, Status> {
        let request = GetPhoneCallRequest {
            name: name.to_owned(),
        };
        self.client
            .get_phone_call(authed(request, &self.token))
            .await
            .map(|r| r.into_inner())
    }

    async fn list(
        &mut self,
        request: ListPhoneCallsRequest,
    ) -> Result<switchboard::pb::ListPhoneCallsResponse, Status> {
        self.client
            .list_phone_calls(authed(request, &self.token))
            .await
            .map(|r| r.into_inner())
    }

    /// Polls until the call reaches `state` (timers run in the background).
    async fn wait_for(&mut self, name: &str, state: CallState) -> PhoneCall {
        let start = Instant::now();
        loop {
            let call = self.get(name).await.expect("get");
            if call.state == state as i32 {
                return call;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "{name} stayed {:?}",
                CallState::try_from(call.state)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

async fn interaction_state(app: &TestApp, name: &str) -> interaction::State {
    let found = app
        .interactions()
        .get_interaction(authed(
            GetInteractionRequest {
                name: name.to_owned(),
            },
            &app.token,
        ))
        .await
        .expect("interaction")
        .into_inner();
    interaction::State::try_from(found.state).unwrap()
}

both_backends! {
    async fn create_get_and_list_round_trip(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let mut calls = Calls::new(&app, &app.token);
        let mut request = simple(&["5354353", "5302040"], "3235742879");
        request.extension = "0003*210".into();
        request.caller_id = Some(CallerId { name: "John Doe".into(), number: "4242425".into() });
        request.max_duration = seconds(600);
        request.video = true;
        let created = calls.create(request).await;

        assert_eq!(created.name, format!("phoneCalls/{}", created.id));
        assert!(created.id.len() == 20 && created.id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(created.r#type, Type::Simple as i32);
        assert_eq!((created.extension.as_str(), created.owner_id.as_str(), created.owner_name.as_str()), ("0003*210", "alice", "alice"));
        assert_eq!(created.state, CallState::Ringing as i32);
        assert_eq!(created.disposition, Disposition::Unspecified as i32);
        assert_eq!(created.max_duration, seconds(600));
        assert!(created.video && !created.allow_public_transfer);
        assert_eq!(created.etag, "\"1\"");
        let create_time = created.create_time.unwrap();
        assert_eq!(created.pickup_deadline.unwrap().seconds, create_time.seconds + 25);
        let legs: Vec<_> = created
            .legs
            .iter()
            .map(|l| (l.id.as_str(), l.phone_number.as_str(), l.extension.as_str(), LegStatus::try_from(l.status).unwrap()))
            .collect();
        assert_eq!(
            legs,
            [
                ("00", "5354353", "0003*210", LegStatus::Ringing),
                ("01", "5302040", "0003*210", LegStatus::Ringing),
                ("02", "3235742879", "0003*210", LegStatus::Trying),
            ]
        );
        assert_eq!(created.legs[0].caller_id.as_ref().unwrap().number, "4242425");
        assert_eq!(created.legs[2].source, ["5354353", "5302040"]);
        assert_eq!(created.legs[0].role, Role::Party as i32);

        assert_eq!(calls.get(&created.name).await.unwrap(), created);
        let listed = calls.list(ListPhoneCallsRequest::default()).await.unwrap();
        assert_eq!((listed.total_size, listed.phone_calls.as_slice()), (1, std::slice::from_ref(&created)));

        // The call is in the interaction history, and its events are written.
        let history = app
            .interactions()
            .get_interaction(authed(GetInteractionRequest { name: created.interaction.clone() }, &app.token))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(history.phone_call, created.name);
        assert_eq!(history.state, interaction::State::Pending as i32);
        assert_eq!(history.r#type, interaction::Type::Outbound as i32);
        assert_eq!(history.phone_number, "3235742879");
        assert_eq!(app.events_of(&created.name).await, [("CREATED".to_owned(), "CreatePhoneCall".to_owned())]);

        let owner = calls
            .client
            .get_phone_call_owner(authed(GetPhoneCallOwnerRequest {}, &app.token))
            .await
            .unwrap()
            .into_inner();
        assert_eq!((owner.id.as_str(), owner.name.as_str()), ("alice", "alice"));
    }

    async fn a_nonce_creates_exactly_once_under_64_concurrent_requests(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let mut request = simple(&["0003*210"], "3235742879");
        request.request_id = "nonce-race-1".into();
        let racers = (0..64).map(|_| {
            let (mut client, token, request) = (app.phone_calls(), app.token.clone(), request.clone());
            tokio::spawn(async move { client.create_phone_call(authed(request, &token)).await.map(|r| r.into_inner()) })
        });
        let results = futures::future::join_all(racers).await;
        let ids: HashSet<String> = results.into_iter().map(|r| r.unwrap().unwrap().id).collect();
        assert_eq!(ids.len(), 1);
        let name = format!("phoneCalls/{}", ids.iter().next().unwrap());
        assert_eq!(app.events_of(&name).await, [("CREATED".to_owned(), "CreatePhoneCall".to_owned())]);
        let mut calls = Calls::new(&app, &app.token);
        let listed = calls
            .list(ListPhoneCallsRequest { filter: r#"request_id = "nonce-race-1""#.into(), ..Default::default() })
            .await
            .unwrap();
        assert_eq!(listed.total_size, 1);
        let histories = app
            .interactions()
            .list_interactions(authed(switchboard::pb::ListInteractionsRequest::default(), &app.token))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(histories.total_size, 1, "one interaction record, not one per racer");

        // The same key with other parameters is refused.
        request.destination = vec!["3235742870".into()];
        let reused = calls.client.create_phone_call(authed(request, &app.token)).await.unwrap_err();
        assert_eq!(reused.code(), Code::AlreadyExists);
        assert_eq!(reused.get_details_error_info().unwrap().reason, "IDEMPOTENCY_KEY_REUSED");
    }

    async fn concurrent_actions_on_one_call_are_serialised(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let mut calls = Calls::new(&app, &app.token);
        let call = calls.create(simple(&["0003*210"], "0003*024")).await;
        let answer = AnswerPhoneCallRequest { name: call.name.clone(), leg_id: String::new() };
        calls.client.answer_phone_call(authed(answer, &app.token)).await.unwrap();
        // Sixteen holds of one leg at once. Each reads the call before it
        // writes, so only the first can find the leg off hold; reads that
        // did not wait for each other would let several win.
        let holds = (0..16).map(|_| {
            let mut client = app.phone_calls();
            let request = HoldPhoneCallRequest { name: call.name.clone(), leg_id: "01".into() };
            let token = app.token.clone();
            tokio::spawn(async move { client.hold_phone_call(authed(request, &token)).await })
        });
        let results: Vec<_> = futures::future::join_all(holds).await.into_iter().map(Result::unwrap).collect();
        let (held, refused): (Vec<_>, Vec<_>) = results.into_iter().partition(Result::is_ok);
        assert_eq!(held.len(), 1, "exactly one of the concurrent holds wins");
        for result in refused {
            assert_refused(result, "LEG_ALREADY_ON_HOLD", "ACTIVE");
        }
    }

    async fn every_action_changes_the_call_or_is_refused(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let mut calls = Calls::new(&app, &app.token);
        let call = calls.create(simple(&["0003*210"], "0003*024")).await;
        let name = call.name.clone();
        let c = &mut calls.client;
        let t = app.token.as_str();

        // A ringing call cannot be held, parked, recorded, supervised or transferred.
        assert_refused(c.hold_phone_call(authed(HoldPhoneCallRequest { name: name.clone(), leg_id: "00".into() }, t)).await, "CALL_NOT_ACTIVE", "RINGING");
        assert_refused(c.park_phone_call(authed(ParkPhoneCallRequest { name: name.clone(), ..Default::default() }, t)).await, "CALL_NOT_ACTIVE", "RINGING");
        assert_refused(
            c.start_phone_call_recording(authed(StartPhoneCallRecordingRequest { name: name.clone(), leg_id: "00".into(), format: 0 }, t)).await,
            "CALL_NOT_ACTIVE",
            "RINGING",
        );
        assert_refused(
            c.barge_in_phone_call(authed(BargeInPhoneCallRequest { name: name.clone(), send_call_to: "0003*301".into(), ..Default::default() }, t)).await,
            "CALL_NOT_ACTIVE",
            "RINGING",
        );
        assert_refused(
            c.transfer_phone_call(authed(TransferPhoneCallRequest { name: name.clone(), send_call_to: "0003*400".into(), ..Default::default() }, t)).await,
            "CALL_NOT_ACTIVE",
            "RINGING",
        );
        // The destination is not ringing yet, so it cannot answer.
        assert_refused(c.answer_phone_call(authed(AnswerPhoneCallRequest { name: name.clone(), leg_id: "01".into() }, t)).await, "LEG_NOT_RINGING", "RINGING");

        let answered = c.answer_phone_call(authed(AnswerPhoneCallRequest { name: name.clone(), leg_id: String::new() }, t)).await.unwrap().into_inner();
        assert_eq!(answered.state, CallState::Active as i32);
        assert!(answered.answer_time.is_some() && answered.pickup_deadline.is_none());
        assert!(answered.legs.iter().all(|l| l.status == LegStatus::OnCall as i32));
        assert_eq!(answered.etag, "\"2\"");
        assert_eq!(interaction_state(&app, &call.interaction).await, interaction::State::InProcess);
        assert_refused(
            c.pick_up_phone_call(authed(PickUpPhoneCallRequest { name: name.clone(), send_call_to: "0003*211".into(), ..Default::default() }, t)).await,
            "CALL_NOT_RINGING",
            "ACTIVE",
        );

        let held = c.hold_phone_call(authed(HoldPhoneCallRequest { name: name.clone(), leg_id: "01".into() }, t)).await.unwrap().into_inner();
        assert!(held.legs[1].on_hold && held.legs[1].holder && !held.legs[0].on_hold);
        assert_refused(c.hold_phone_call(authed(HoldPhoneCallRequest { name: name.clone(), leg_id: "01".into() }, t)).await, "LEG_ALREADY_ON_HOLD", "ACTIVE");
        let unheld = c.unhold_phone_call(authed(UnholdPhoneCallRequest { name: name.clone(), leg_id: String::new() }, t)).await.unwrap().into_inner();
        assert!(!unheld.legs[1].on_hold);
        assert_refused(c.unhold_phone_call(authed(UnholdPhoneCallRequest { name: name.clone(), leg_id: "01".into() }, t)).await, "LEG_NOT_ON_HOLD", "ACTIVE");

        let recording = c
            .start_phone_call_recording(authed(StartPhoneCallRecordingRequest { name: name.clone(), leg_id: "00".into(), format: RecordingFormat::Wav49.into() }, t))
            .await
            .unwrap()
            .into_inner();
        assert!(recording.legs[0].recording);
        assert_eq!(recording.legs[0].recording_format, RecordingFormat::Wav49 as i32);
        assert_refused(
            c.start_phone_call_recording(authed(StartPhoneCallRecordingRequest { name: name.clone(), leg_id: "00".into(), format: 0 }, t)).await,
            "LEG_ALREADY_RECORDING",
            "ACTIVE",
        );
        let stopped = c.stop_phone_call_recording(authed(StopPhoneCallRecordingRequest { name: name.clone(), leg_id: String::new() }, t)).await.unwrap().into_inner();
        assert!(!stopped.legs[0].recording);
        assert_refused(c.stop_phone_call_recording(authed(StopPhoneCallRecordingRequest { name: name.clone(), leg_id: String::new() }, t)).await, "LEG_NOT_RECORDING", "ACTIVE");

        let parked = c
            .park_phone_call(authed(ParkPhoneCallRequest { name: name.clone(), leg_id: "01".into(), max_in_parking: seconds(600) }, t))
            .await
            .unwrap()
            .into_inner();
        let leg = &parked.legs[1];
        assert!(leg.parked && leg.park_position == 1 && leg.parked_by == "0003*210" && leg.park_deadline.is_some());
        assert_refused(c.park_phone_call(authed(ParkPhoneCallRequest { name: name.clone(), leg_id: "01".into(), max_in_parking: None }, t)).await, "LEG_ALREADY_PARKED", "ACTIVE");
        let unparked = c
            .unpark_phone_call(authed(UnparkPhoneCallRequest { name: name.clone(), send_call_to: "0003*300".into(), wait_for_pickup: seconds(30), ..Default::default() }, t))
            .await
            .unwrap()
            .into_inner();
        assert!(!unparked.legs[1].parked);
        let joined = &unparked.legs[2];
        assert_eq!((joined.phone_number.as_str(), joined.status), ("0003*300", LegStatus::Ringing as i32));
        assert_eq!(joined.pickup_deadline.as_ref().unwrap().seconds, unparked.update_time.as_ref().unwrap().seconds + 30);
        assert_refused(
            c.unpark_phone_call(authed(UnparkPhoneCallRequest { name: name.clone(), send_call_to: "0003*301".into(), ..Default::default() }, t)).await,
            "LEG_NOT_PARKED",
            "ACTIVE",
        );
        c.answer_phone_call(authed(AnswerPhoneCallRequest { name: name.clone(), leg_id: "02".into() }, t)).await.unwrap();

        let barged = c
            .barge_in_phone_call(authed(BargeInPhoneCallRequest { name: name.clone(), leg_id: "01".into(), send_call_to: "0003*301".into(), ..Default::default() }, t))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(barged.legs[3].role, Role::BargeIn as i32);
        let whispered = c
            .whisper_phone_call(authed(WhisperPhoneCallRequest { name: name.clone(), leg_id: "01".into(), send_call_to: "0003*302".into(), private: true, ..Default::default() }, t))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(whispered.legs[4].role, Role::Whisper as i32);
        assert!(whispered.legs[4].private);
        let monitored = c
            .monitor_phone_call(authed(MonitorPhoneCallRequest { name: name.clone(), send_call_to: "0003*303".into(), ..Default::default() }, t))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(monitored.legs[5].role, Role::Monitor as i32);
        assert_eq!(monitored.legs[5].source, ["0003*210"]);
        assert_refused(
            c.monitor_phone_call(authed(MonitorPhoneCallRequest { name: name.clone(), leg_id: "03".into(), send_call_to: "0003*304".into(), ..Default::default() }, t)).await,
            "LEG_NOT_A_PARTY",
            "ACTIVE",
        );

        assert_refused(
            c.transfer_phone_call(authed(TransferPhoneCallRequest { name: name.clone(), send_call_to: "0003*400".into(), transfer_from_number: "999".into(), ..Default::default() }, t)).await,
            "PARTY_NOT_IN_CALL",
            "ACTIVE",
        );
        let transferred = c
            .transfer_phone_call(authed(
                TransferPhoneCallRequest { name: name.clone(), send_call_to: "0003*400".into(), transfer_from_number: "0003*024".into(), transfer_number: "0003*210".into() },
                t,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(transferred.legs[1].status, LegStatus::Ended as i32);
        assert_eq!(transferred.legs[6].phone_number, "0003*400");
        assert_eq!(transferred.legs[6].caller_id.as_ref().unwrap().number, "0003*210");

        let one_left = c
            .hang_up_phone_call(authed(HangUpPhoneCallRequest { name: name.clone(), phone_number: "0003*400".into() }, t))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(one_left.state, CallState::Active as i32, "two parties are still talking");
        assert_refused(
            c.hang_up_phone_call(authed(HangUpPhoneCallRequest { name: name.clone(), phone_number: "5555555".into() }, t)).await,
            "PARTY_NOT_IN_CALL",
            "ACTIVE",
        );
        let voicemail = c
            .transfer_phone_call_to_voicemail(authed(TransferPhoneCallToVoicemailRequest { name: name.clone(), send_call_to: "0003*500".into(), ..Default::default() }, t))
            .await
            .unwrap()
            .into_inner();
        assert_eq!((voicemail.state, voicemail.disposition), (CallState::Voicemail as i32, Disposition::Answered as i32));
        assert_eq!(voicemail.legs.last().unwrap().destination, ["0003*500"]);
        assert!(voicemail.end_time.is_some());
        assert_eq!(interaction_state(&app, &call.interaction).await, interaction::State::Stopped);
        assert_refused(c.hang_up_phone_call(authed(HangUpPhoneCallRequest { name: name.clone(), phone_number: String::new() }, t)).await, "CALL_ENDED", "VOICEMAIL");

        // Every change wrote one event named after its RPC; refusals wrote none.
        let changes: Vec<String> = app.events_of(&name).await.into_iter().map(|(_, change)| change).collect();
        assert_eq!(
            changes,
            [
                "CreatePhoneCall", "AnswerPhoneCall", "HoldPhoneCall", "UnholdPhoneCall", "StartPhoneCallRecording",
                "StopPhoneCallRecording", "ParkPhoneCall", "UnparkPhoneCall", "AnswerPhoneCall", "BargeInPhoneCall",
                "WhisperPhoneCall", "MonitorPhoneCall", "TransferPhoneCall", "HangUpPhoneCall", "TransferPhoneCallToVoicemail",
            ]
        );
    }

    async fn pick_up_and_hang_up_ringing_calls(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let mut calls = Calls::new(&app, &app.token);
        let t = app.token.clone();
        let ringing = calls.create(simple(&["0003*210"], "5354353")).await;
        let picked = calls
            .client
            .pick_up_phone_call(authed(
                PickUpPhoneCallRequest {
                    name: ringing.name.clone(),
                    send_call_to: "0003*211".into(),
                    caller_id: Some(CallerId { name: "Front desk".into(), number: "0003*210".into() }),
                    wait_for_pickup: seconds(10),
                    ..Default::default()
                },
                &t,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(picked.state, CallState::Active as i32);
        assert_eq!(picked.legs[0].status, LegStatus::Ended as i32);
        assert_eq!((picked.legs[2].phone_number.as_str(), picked.legs[2].status), ("0003*211", LegStatus::OnCall as i32));
        // A simple call to a public number may not be transferred unless allowed.
        assert_refused(
            calls.client.transfer_phone_call(authed(TransferPhoneCallRequest { name: ringing.name.clone(), send_call_to: "0003*400".into(), transfer_from_number: "0003*211".into(), ..Default::default() }, &t)).await,
            "PUBLIC_TRANSFER_NOT_ALLOWED",
            "ACTIVE",
        );
        let completed = calls
            .client
            .hang_up_phone_call(authed(HangUpPhoneCallRequest { name: ringing.name.clone(), phone_number: "5354353".into() }, &t))
            .await
            .unwrap()
            .into_inner();
        assert_eq!((completed.state, completed.disposition), (CallState::Completed as i32, Disposition::Answered as i32));

        let cancelled = calls.create(simple(&["0003*210"], "0003*024")).await;
        let hung_up = calls
            .client
            .hang_up_phone_call(authed(HangUpPhoneCallRequest { name: cancelled.name.clone(), phone_number: String::new() }, &t))
            .await
            .unwrap()
            .into_inner();
        assert_eq!((hung_up.state, hung_up.disposition), (CallState::Canceled as i32, Disposition::NoAnswer as i32));
        assert_eq!(interaction_state(&app, &cancelled.interaction).await, interaction::State::Stopped);
    }

    async fn list_filters_orders_pages_and_masks(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let mut calls = Calls::new(&app, &app.token);
        let mut created = Vec::new();
        for i in 0..5 {
            let mut request = simple(&[if i % 2 == 0 { "0003*210" } else { "0003*211" }], "3235742879");
            request.request_id = format!("list-{i}");
            created.push(calls.create(request).await);
        }
        let list = |filter: &str, order_by: &str, page_size: i32, page_token: &str| ListPhoneCallsRequest {
            filter: filter.to_owned(),
            order_by: order_by.to_owned(),
            page_size,
            page_token: page_token.to_owned(),
            ..Default::default()
        };
        let ids = |response: &switchboard::pb::ListPhoneCallsResponse| -> Vec<String> {
            response.phone_calls.iter().map(|c| c.request_id.clone()).collect()
        };
        let on_210 = calls.list(list(r#"extension = "0003*210""#, "", 0, "")).await.unwrap();
        assert_eq!(ids(&on_210), ["list-0", "list-2", "list-4"]);
        let newest_first = calls.list(list("state = CALL_STATE_RINGING", "create_time desc", 2, "")).await.unwrap();
        assert_eq!((ids(&newest_first), newest_first.total_size), (vec!["list-4".to_owned(), "list-3".to_owned()], 5));
        let next = calls.list(list("state = CALL_STATE_RINGING", "create_time desc", 2, &newest_first.next_page_token)).await.unwrap();
        assert_eq!(ids(&next), ["list-2", "list-1"]);
        let either = format!(r#"id = "{}" OR id = "{}""#, created[1].id, created[3].id);
        assert_eq!(ids(&calls.list(list(&either, "", 0, "")).await.unwrap()), ["list-1", "list-3"]);
        let later = format!(
            r#"create_time > "{}""#,
            chrono::DateTime::from_timestamp(created[2].create_time.unwrap().seconds, created[2].create_time.unwrap().nanos as u32)
                .unwrap()
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
        );
        assert_eq!(ids(&calls.list(list(&later, "", 0, "")).await.unwrap()), ["list-3", "list-4"]);
        let skipped = calls.list(ListPhoneCallsRequest { skip: 3, ..Default::default() }).await.unwrap();
        assert_eq!(ids(&skipped), ["list-3", "list-4"]);
        assert!(calls.list(list(r#"request_id = "nope""#, "", 0, "")).await.unwrap().phone_calls.is_empty());

        let masked = calls
            .list(ListPhoneCallsRequest { read_mask: Some(FieldMask { paths: vec!["id".into(), "extension".into()] }), page_size: 1, ..Default::default() })
            .await
            .unwrap();
        assert_eq!(masked.phone_calls[0], PhoneCall { id: created[0].id.clone(), extension: "0003*210".into(), ..Default::default() });

        let bad = calls
            .list(ListPhoneCallsRequest {
                filter: "colour = red".into(),
                order_by: "extension".into(),
                read_mask: Some(FieldMask { paths: vec!["phoneCallView".into()] }),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(bad.code(), Code::InvalidArgument);
        assert_eq!(violations(&bad), ["filter", "order_by", "read_mask"]);
    }

    async fn timers_cancel_unanswered_calls_and_end_long_ones(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let mut calls = Calls::new(&app, &app.token);
        let mut request = simple(&["0003*210"], "0003*024");
        request.wait_for_pickup = seconds(1);
        let unanswered = calls.create(request.clone()).await;
        request.max_duration = seconds(1);
        request.wait_for_pickup = None;
        let long = calls.create(request).await;
        calls
            .client
            .answer_phone_call(authed(AnswerPhoneCallRequest { name: long.name.clone(), leg_id: String::new() }, &app.token))
            .await
            .unwrap();

        let cancelled = calls.wait_for(&unanswered.name, CallState::Canceled).await;
        assert_eq!(cancelled.disposition, Disposition::NoAnswer as i32);
        assert!(cancelled.legs.iter().all(|l| l.status == LegStatus::Ended as i32 && l.disposition == Disposition::NoAnswer as i32));
        assert!(cancelled.pickup_deadline.is_none());
        let ended = calls.wait_for(&long.name, CallState::Completed).await;
        assert_eq!(ended.disposition, Disposition::Answered as i32);
        // Let another timer round pass: nothing fires twice.
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_eq!(
            app.events_of(&unanswered.name).await,
            [("CREATED".to_owned(), "CreatePhoneCall".to_owned()), ("UPDATED".to_owned(), "PickupTimeout".to_owned())]
        );
        assert_eq!(app.events_of(&long.name).await.last().unwrap().1, "MaxDurationReached");
        assert_eq!(interaction_state(&app, &unanswered.interaction).await, interaction::State::Stopped);
        let history = app
            .interactions()
            .get_interaction(authed(GetInteractionRequest { name: long.interaction.clone() }, &app.token))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(history.call_duration, seconds(1));
    }

    async fn the_pickup_timer_survives_a_restart(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let token = app.token.clone();
        let mut request = simple(&["0003*210"], "0003*024");
        request.wait_for_pickup = seconds(2);
        let created = Calls::new(&app, &token).create(request).await;
        let store = app.store.clone();
        let database: TestDatabase = app.stop().await;
        let stopped_at = std::time::SystemTime::now();
        // The first server is gone before the deadline: the call still rings.
        let id = created.id.clone();
        let caller = switchboard::domain::Caller {
            tenant: switchboard::domain::ids::TenantId::parse("acme").unwrap(),
            user: switchboard::domain::caller::User {
                id: switchboard::domain::ids::UserId::parse("alice").unwrap(),
                user_name: "alice".into(),
                first_name: None,
                last_name: None,
            },
        };
        let still = store.get_phone_call(&caller, &id).await.unwrap();
        assert_eq!(still.state, switchboard::domain::common::CallState::Ringing);
        drop(store);
        tokio::time::sleep(Duration::from_millis(2200)).await;

        let app = TestApp::start(database, |_| {}).await;
        let cancelled = Calls::new(&app, &token).wait_for(&created.name, CallState::Canceled).await;
        let end = cancelled.end_time.unwrap();
        let stopped_at = stopped_at.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        assert!(end.seconds >= stopped_at, "the new server fired the timer");
        assert_eq!(app.events_of(&created.name).await.len(), 2);
    }

    async fn another_tenants_calls_do_not_exist(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let intruder = app.issue_token("globex", "mallory").await;
        let mine = Calls::new(&app, &app.token).create(simple(&["0003*210"], "0003*024")).await;
        let mut theirs = Calls::new(&app, &intruder);
        let foreign = theirs.get(&mine.name).await.unwrap_err();
        assert_eq!(foreign.code(), Code::NotFound);
        let missing_name = "phoneCalls/00000000000000000000";
        let missing = theirs.get(missing_name).await.unwrap_err();
        assert_eq!(foreign.message().replace(&mine.name, missing_name), missing.message());
        let hang_up = theirs
            .client
            .hang_up_phone_call(authed(HangUpPhoneCallRequest { name: mine.name.clone(), phone_number: String::new() }, &intruder))
            .await
            .unwrap_err();
        assert_eq!(hang_up.code(), Code::NotFound);
        assert_eq!(theirs.list(ListPhoneCallsRequest::default()).await.unwrap().total_size, 0);
        // The same nonce is a separate key in each tenant.
        let mut request = simple(&["0003*210"], "0003*024");
        request.request_id = "shared".into();
        let a = Calls::new(&app, &app.token).create(request.clone()).await;
        let b = theirs.create(request).await;
        assert_ne!(a.id, b.id);
        assert_eq!(Calls::new(&app, &app.token).get(&mine.name).await.unwrap().state, CallState::Ringing as i32);
    }
}

#[tokio::test]
async fn invalid_requests_list_every_violation_and_write_nothing() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut calls = Calls::new(&app, &app.token);
    let status = calls
        .client
        .create_phone_call(authed(
            CreatePhoneCallRequest {
                r#type: Type::Callback.into(),
                source: vec!["212".into()],
                destination: vec!["x".into()],
                caller_id: Some(CallerId {
                    name: "<bad>".into(),
                    number: "4242425".into(),
                }),
                wait_for_pickup: seconds(0),
                max_duration: Some(prost_types::Duration { seconds: 1, nanos: 5 }),
                conference_pin: "1234".into(),
                ..Default::default()
            },
            &app.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        violations(&status),
        [
            "caller_id.name",
            "max_duration",
            "source[0]",
            "destination[0]",
            "extension",
            "conference_pin",
            "wait_for_pickup"
        ]
    );
    let valid = calls
        .client
        .create_phone_call(authed(simple(&["0003*210"], "0003*024"), &app.token))
        .await
        .map(|_| ());
    assert!(valid.is_ok());
    let mut no_type = simple(&["0003*210"], "0003*024");
    no_type.r#type = 0;
    let status = calls
        .client
        .create_phone_call(authed(no_type, &app.token))
        .await
        .unwrap_err();
    assert_eq!(violations(&status), ["type"]);
    let mut conference = simple(&["211"], "212");
    conference.r#type = Type::ConferenceInvite.into();
    conference.extension = "213".into();
    let status = calls
        .client
        .create_phone_call(authed(conference, &app.token))
        .await
        .unwrap_err();
    assert_eq!(violations(&status), ["source"]);
    assert_eq!(
        calls
            .list(ListPhoneCallsRequest::default())
            .await
            .unwrap()
            .total_size,
        1
    );

    let name = calls
        .list(ListPhoneCallsRequest::default())
        .await
        .unwrap()
        .phone_calls[0]
        .name
        .clone();
    for (request, field) in [
        (
            HoldPhoneCallRequest {
                name: name.clone(),
                leg_id: String::new(),
            },
            "leg_id",
        ),
        (
            HoldPhoneCallRequest {
                name: name.clone(),
                leg_id: "0".into(),
            },
            "leg_id",
        ),
        (
            HoldPhoneCallRequest {
                name: "phoneCalls/xyz".into(),
                leg_id: "00".into(),
            },
            "name",
        ),
        (
            HoldPhoneCallRequest {
                name: "interactions/abc".into(),
                leg_id: "00".into(),
            },
            "name",
        ),
    ] {
        let status = calls
            .client
            .hold_phone_call(authed(request, &app.token))
            .await
            .unwrap_err();
        assert_eq!(
            (status.code(), violations(&status)),
            (Code::InvalidArgument, vec![field.to_owned()])
        );
    }
    let no_such_leg = calls
        .client
        .answer_phone_call(authed(
            AnswerPhoneCallRequest {
                name: name.clone(),
                leg_id: "09".into(),
            },
            &app.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&no_such_leg), ["leg_id"]);
    let bad_target = calls
        .client
        .whisper_phone_call(authed(
            WhisperPhoneCallRequest {
                name: name.clone(),
                send_call_to: "5354353".into(),
                wait_for_pickup: seconds(7200),
                ..Default::default()
            },
            &app.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&bad_target), ["send_call_to", "wait_for_pickup"]);
    let bad_format = calls
        .client
        .start_phone_call_recording(authed(
            StartPhoneCallRecordingRequest {
                name: name.clone(),
                leg_id: "00".into(),
                format: 9,
            },
            &app.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&bad_format), ["format"]);
    let missing = calls.get("phoneCalls/0123456789abcdef0123").await.unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    let anonymous = calls
        .client
        .get_phone_call(GetPhoneCallRequest { name })
        .await
        .unwrap_err();
    assert_eq!(anonymous.code(), Code::Unauthenticated);
}

/// Two servers on one PostgreSQL database: each due call is cancelled
/// exactly once, with one event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_instances_fire_each_timer_once() {
    if !postgres_ready("phone_calls::several_instances_fire_each_timer_once").await {
        return;
    }
    let first = TestApp::spawn(Backend::Postgres).await;
    let second = TestApp::start(first.database.share(), |_| {}).await;
    let mut calls = Calls::new(&first, &first.token);
    let mut names = Vec::new();
    for _ in 0..30 {
        let mut request = simple(&["0003*210"], "0003*024");
        request.wait_for_pickup = seconds(1);
        names.push(calls.create(request).await.name);
    }
    for name in &names {
        calls.wait_for(name, CallState::Canceled).await;
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    for name in &names {
        let events = first.events_of(name).await;
        assert_eq!(events.len(), 2, "{name}: {events:?}");
    }
    drop(second);
}
