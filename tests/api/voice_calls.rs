//! VoiceCallService over gRPC: idempotent create on both natural keys under
//! concurrency, lookup by id or key, the state machine, parent/child chains,
//! transcript messages, stats, the interaction history and the outbox.
//! Also holds the helpers the Salesforce and vcita tests share.

use prost_types::{FieldMask, Timestamp};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use switchboard::domain::call_center::{CallCenter, JwtAlgorithm};
use switchboard::domain::caller::User;
use switchboard::domain::ids::{TenantId, UserId};
use switchboard::pb::interaction::MediaType;
use switchboard::pb::voice_call::{Direction, InitiationMethod};
use switchboard::pb::voice_call_service_client::VoiceCallServiceClient;
use switchboard::pb::{
    BatchCreateVoiceCallMessagesRequest, CallState, CreateVoiceCallMessageRequest, CreateVoiceCallRequest,
    GetVoiceCallRequest, GetVoiceCallStatsRequest, ListInteractionsRequest, ListVoiceCallMessagesRequest,
    ListVoiceCallsRequest, Participant, ParticipantType, UpdateVoiceCallRequest, VendorLiteral, VoiceCall,
    VoiceCallMessage,
};
use switchboard::store::entity::event;
use tonic::Code;
use tonic_types::StatusExt;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, authed};

/// A `VoiceCallService` client.
pub fn client(app: &TestApp) -> VoiceCallServiceClient<tonic::transport::Channel> {
    VoiceCallServiceClient::new(app.channel.clone())
}

/// The HS256 secret of the test call centres.
pub const HS256_SECRET: &[u8] = b"test-secret-of-at-least-32-bytes!!";

/// Configures call centre `name` in `tenant` (service user `scv`).
pub async fn add_call_center(app: &TestApp, name: &str, tenant: &str, algorithm: JwtAlgorithm, key: &[u8]) {
    app.store
        .upsert_call_center(&CallCenter {
            api_name: name.to_owned(),
            tenant: TenantId::parse(tenant).unwrap(),
            user: User {
                id: UserId::parse("scv").unwrap(),
                user_name: "scv".into(),
                first_name: None,
                last_name: None,
            },
            algorithm,
            key: key.to_vec(),
            issuer: None,
            audience: None,
        })
        .await
        .unwrap();
}

/// A JWT for call centre `sub` signed with HS256 and `secret`, valid for an
/// hour (or expired when `expired`).
pub fn hs256_jwt(sub: &str, secret: &[u8], expired: bool) -> String {
    let now = jsonwebtoken::get_current_timestamp();
    let exp = if expired { now - 3600 } else { now + 3600 };
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &serde_json::json!({"iss": "00Dxx0000001gPL", "sub": sub, "exp": exp}),
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
    .unwrap()
}

/// BadRequest field paths of an error.
pub fn violations(status: &tonic::Status) -> Vec<String> {
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

fn ts(seconds: i64) -> Timestamp {
    Timestamp { seconds, nanos: 0 }
}

/// A minimal inbound call with `key`.
pub fn inbound(key: &str) -> VoiceCall {
    VoiceCall {
        vendor_call_key: key.to_owned(),
        from_number: "+14155550148".into(),
        to_number: "+14155550901".into(),
        initiation_method: InitiationMethod::Inbound.into(),
        start_time: Some(ts(1_767_225_600)),
        participants: vec![Participant {
            participant_key: "+14155550148".into(),
            r#type: ParticipantType::EndUser.into(),
        }],
        ..Default::default()
    }
}

fn create(call: VoiceCall) -> CreateVoiceCallRequest {
    CreateVoiceCallRequest {
        voice_call: Some(call),
        state_literal: None,
    }
}

fn get(name: &str) -> GetVoiceCallRequest {
    GetVoiceCallRequest {
        name: name.to_owned(),
    }
}

fn update(name: &str, call: VoiceCall, paths: &[&str]) -> UpdateVoiceCallRequest {
    UpdateVoiceCallRequest {
        voice_call: Some(VoiceCall {
            name: name.to_owned(),
            ..call
        }),
        update_mask: Some(FieldMask {
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        }),
        etag: String::new(),
        state_literal: None,
    }
}

/// Counts outbox events of `resource_type` and `event_type`.
pub async fn count_events(app: &TestApp, resource_type: &str, event_type: &str) -> u64 {
    event::Entity::find()
        .filter(event::Column::ResourceType.eq(resource_type))
        .filter(event::Column::EventType.eq(event_type))
        .count(app.store.reader())
        .await
        .unwrap()
}

both_backends! {
    async fn create_is_exactly_once_under_64_concurrent_creates_on_either_key(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        for by_uuid in [false, true] {
            let calls = (0..64).map(|_| {
                let mut client = client(&app);
                let token = app.token.clone();
                let call = if by_uuid {
                    VoiceCall {
                        vendor_call_key: String::new(),
                        external_uuid: "ext-race".into(),
                        ..inbound("")
                    }
                } else {
                    inbound("race-1")
                };
                tokio::spawn(async move { client.create_voice_call(authed(create(call), &token)).await })
            });
            let results = futures::future::join_all(calls).await;
            let ids: std::collections::HashSet<String> =
                results.into_iter().map(|r| r.unwrap().unwrap().into_inner().id).collect();
            assert_eq!(ids.len(), 1, "by_uuid={by_uuid}");
        }
        assert_eq!(count_events(&app, "VOICE_CALL", "CREATED").await, 2);
        let interactions = app
            .interactions()
            .list_interactions(authed(ListInteractionsRequest::default(), &app.token))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(interactions.total_size, 2);
        assert_eq!(count_events(&app, "INTERACTION", "CREATED").await, 2);
    }

    async fn calls_are_found_by_id_vendor_key_or_external_uuid_within_the_tenant(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let mut client = client(&app);
        let mut request = inbound("ct-dual");
        request.external_uuid = "ext-dual".into();
        let created = client.create_voice_call(authed(create(request), &app.token)).await.unwrap().into_inner();
        assert!(created.id.starts_with("0LQ") && created.id.len() == 18, "{}", created.id);
        assert_eq!(created.name, format!("voiceCalls/{}", created.id));
        assert_eq!(created.state, i32::from(CallState::Queued));
        assert_eq!(created.direction, i32::from(Direction::Inbound));
        for key in [created.id.as_str(), "ct-dual", "ext-dual"] {
            let found = client.get_voice_call(authed(get(&format!("voiceCalls/{key}")), &app.token)).await.unwrap();
            assert_eq!(found.into_inner(), created, "{key}");
        }
        // The call is in the interaction history, linked both ways.
        let history = app
            .interactions()
            .list_interactions(authed(ListInteractionsRequest::default(), &app.token))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(history.interactions.len(), 1);
        let record = &history.interactions[0];
        assert_eq!(record.media_type, i32::from(MediaType::Call));
        assert_eq!(record.voice_call, created.name);
        assert_eq!(record.name, created.interaction);
        assert_eq!(record.phone_number, "+14155550148");

        // Another tenant sees nothing, with the very same error as a missing id.
        let other = app.issue_token("globex", "bob").await;
        let foreign = client.get_voice_call(authed(get(&created.name), &other)).await.unwrap_err();
        let missing = client.get_voice_call(authed(get("voiceCalls/0LQ000000000000000"), &app.token)).await.unwrap_err();
        assert_eq!(foreign.code(), Code::NotFound);
        assert_eq!(foreign.message(), format!("{} not found", created.name));
        assert_eq!(missing.message(), "voiceCalls/0LQ000000000000000 not found");
        // The same key in another tenant is another call.
        let theirs = client.create_voice_call(authed(create(inbound("ct-dual")), &other)).await.unwrap().into_inner();
        assert_ne!(theirs.id, created.id);
        let update_foreign = client
            .update_voice_call(authed(update(&created.name, VoiceCall { queue: "q".into(), ..Default::default() }, &["queue"]), &other))
            .await
            .unwrap_err();
        assert_eq!(update_foreign.code(), Code::NotFound);
    }

    async fn state_changes_follow_the_state_machine_and_mirror_onto_the_interaction(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let mut client = client(&app);
        let created = client.create_voice_call(authed(create(inbound("ct-sm")), &app.token)).await.unwrap().into_inner();
        let mut active = update(&created.name, VoiceCall { state: CallState::Active.into(), ..Default::default() }, &["state"]);
        active.state_literal = Some(VendorLiteral { dialect: "salesforce".into(), value: "in-progress".into() });
        let updated = client.update_voice_call(authed(active, &app.token)).await.unwrap().into_inner();
        assert_eq!(updated.state, i32::from(CallState::Active));
        assert_eq!(updated.state_literal.as_ref().unwrap().value, "in-progress");
        assert_ne!(updated.etag, created.etag);

        // A stale etag is refused.
        let mut stale = update(&created.name, VoiceCall { queue: "q".into(), ..Default::default() }, &["queue"]);
        stale.etag = created.etag.clone();
        assert_eq!(client.update_voice_call(authed(stale, &app.token)).await.unwrap_err().code(), Code::Aborted);

        // Ending the call with its end time computes the duration.
        let done = update(
            "voiceCalls/ct-sm",
            VoiceCall { state: CallState::Completed.into(), end_time: Some(ts(1_767_225_600 + 125)), ..Default::default() },
            &["state", "end_time"],
        );
        let done = client.update_voice_call(authed(done, &app.token)).await.unwrap().into_inner();
        assert_eq!(done.duration.as_ref().map(|d| d.seconds), Some(125));
        assert_eq!(done.state_literal, None, "a literal does not outlive its state");

        // Terminal states are final.
        let back = update(&created.name, VoiceCall { state: CallState::Active.into(), ..Default::default() }, &["state"]);
        let refused = client.update_voice_call(authed(back, &app.token)).await.unwrap_err();
        assert_eq!(refused.code(), Code::FailedPrecondition);
        let info = refused.get_details_error_info().unwrap();
        assert_eq!(info.reason, "VOICE_CALL_STATE_TRANSITION_REFUSED");
        assert_eq!(info.metadata["currentState"], "COMPLETED");

        // The interaction followed: stopped, with the call's duration.
        let interaction = app
            .interactions()
            .get_interaction(authed(switchboard::pb::GetInteractionRequest { name: created.interaction.clone() }, &app.token))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(interaction.state, i32::from(switchboard::pb::interaction::State::Stopped));
        assert_eq!(interaction.call_duration.map(|d| d.seconds), Some(125));

        // Every change left an event whose snapshot is the call.
        assert_eq!(count_events(&app, "VOICE_CALL", "UPDATED").await, 2);
        let rows = event::Entity::find()
            .filter(event::Column::ResourceType.eq("VOICE_CALL"))
            .all(app.store.reader())
            .await
            .unwrap();
        let last = switchboard::store::outbox::decode(rows.last().unwrap().clone()).unwrap();
        let Some(switchboard::pb::event::Snapshot::VoiceCall(snapshot)) =
            switchboard::api::convert::event::event(&last).snapshot
        else {
            panic!("expected a voice call snapshot")
        };
        assert_eq!(snapshot, done);
    }

    async fn transfers_chain_to_their_parent_by_id_or_vendor_key(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let mut client = client(&app);
        let parent = client.create_voice_call(authed(create(inbound("ct-parent")), &app.token)).await.unwrap().into_inner();
        let transfer = |key: &str, parent_ref: &str| {
            let mut call = inbound(key);
            call.initiation_method = InitiationMethod::Transfer.into();
            call.parent = parent_ref.to_owned();
            call.queue = "Tier2".into();
            create(call)
        };
        let by_key = client.create_voice_call(authed(transfer("ct-child-1", "voiceCalls/ct-parent"), &app.token)).await.unwrap().into_inner();
        let by_id = client.create_voice_call(authed(transfer("ct-child-2", &parent.name), &app.token)).await.unwrap().into_inner();
        let grandchild = client.create_voice_call(authed(transfer("ct-grandchild", "voiceCalls/ct-child-1"), &app.token)).await.unwrap().into_inner();
        assert_eq!(by_key.parent, parent.name);
        assert_eq!(by_id.parent, parent.name);
        assert_eq!(grandchild.parent, by_key.name);
        assert_eq!(by_key.direction, i32::from(Direction::Inbound), "a transfer inherits the direction");
        let children = client
            .list_voice_calls(authed(
                ListVoiceCallsRequest { filter: format!("parent_id = \"{}\"", parent.id), order_by: "create_time".into(), ..Default::default() },
                &app.token,
            ))
            .await
            .unwrap()
            .into_inner();
        let keys: Vec<&str> = children.voice_calls.iter().map(|c| c.vendor_call_key.as_str()).collect();
        assert_eq!(keys, ["ct-child-1", "ct-child-2"]);

        // A transfer needs a parent that exists; an initial call has none.
        let mut orphan = inbound("ct-orphan");
        orphan.initiation_method = InitiationMethod::Transfer.into();
        let missing = client.create_voice_call(authed(create(orphan), &app.token)).await.unwrap_err();
        assert_eq!(violations(&missing), ["voice_call.parent"]);
        let unknown = client.create_voice_call(authed(transfer("ct-orphan", "voiceCalls/nope"), &app.token)).await.unwrap_err();
        assert_eq!(unknown.code(), Code::InvalidArgument);
        assert_eq!(violations(&unknown), ["voice_call.parent"]);
        let mut initial = inbound("ct-initial");
        initial.parent = parent.name.clone();
        let refused = client.create_voice_call(authed(create(initial), &app.token)).await.unwrap_err();
        assert_eq!(violations(&refused), ["voice_call.parent"]);
        // A parent in another tenant does not exist.
        let other = app.issue_token("globex", "bob").await;
        let foreign = client.create_voice_call(authed(transfer("ct-x", &parent.name), &other)).await.unwrap_err();
        assert_eq!(violations(&foreign), ["voice_call.parent"]);
    }

    async fn transcript_messages_are_stored_once_and_atomically(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let mut client = client(&app);
        let call = client.create_voice_call(authed(create(inbound("ct-msg")), &app.token)).await.unwrap().into_inner();
        let message = |id: &str, at: i64, text: &str| VoiceCallMessage {
            participant_id: "ct-msgEND_USER".into(),
            sender_type: ParticipantType::EndUser.into(),
            message_id: id.into(),
            content: text.into(),
            start_time: Some(ts(at)),
            end_time: Some(ts(at + 2)),
            ..Default::default()
        };
        let batch = |parent: &str, items: Vec<(&str, VoiceCallMessage)>| BatchCreateVoiceCallMessagesRequest {
            parent: parent.to_owned(),
            requests: items
                .into_iter()
                .map(|(p, m)| CreateVoiceCallMessageRequest { parent: p.to_owned(), message: Some(m) })
                .collect(),
        };
        let stored = client
            .batch_create_voice_call_messages(authed(
                batch("voiceCalls/ct-msg", vec![("", message("m2", 20, "second")), ("", message("m1", 10, "first"))]),
                &app.token,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(stored.messages.len(), 2);
        assert_eq!(stored.messages[0].name, format!("{}/messages/m2", call.name));
        // A retry with one new message stores only the new one.
        let retried = client
            .batch_create_voice_call_messages(authed(
                batch("voiceCalls/-", vec![("voiceCalls/ct-msg", message("m1", 10, "changed")), (&call.name, message("m3", 30, "third"))]),
                &app.token,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(retried.messages[0].content, "first", "duplicates are skipped, not overwritten");
        // A batch naming an unknown call stores nothing.
        let failed = client
            .batch_create_voice_call_messages(authed(
                batch("voiceCalls/-", vec![("voiceCalls/ct-msg", message("m4", 40, "x")), ("voiceCalls/none", message("m5", 50, "y"))]),
                &app.token,
            ))
            .await
            .unwrap_err();
        assert_eq!(failed.code(), Code::NotFound);
        let listed = client
            .list_voice_call_messages(authed(ListVoiceCallMessagesRequest { parent: call.name.clone(), ..Default::default() }, &app.token))
            .await
            .unwrap()
            .into_inner();
        let texts: Vec<&str> = listed.messages.iter().map(|m| m.content.as_str()).collect();
        assert_eq!(texts, ["first", "second", "third"]);
        let after = client.get_voice_call(authed(get(&call.name), &app.token)).await.unwrap().into_inner();
        assert_eq!(after.transcript_status, i32::from(switchboard::pb::voice_call::TranscriptStatus::InProgress));
        // Every message field is checked.
        let bad = client
            .batch_create_voice_call_messages(authed(
                batch("voiceCalls/ct-msg", vec![("voiceCalls/other", VoiceCallMessage::default())]),
                &app.token,
            ))
            .await
            .unwrap_err();
        assert_eq!(violations(&bad), ["requests[0].parent"]);
        let bad = client
            .batch_create_voice_call_messages(authed(batch("voiceCalls/ct-msg", vec![("", VoiceCallMessage::default())]), &app.token))
            .await
            .unwrap_err();
        assert_eq!(
            violations(&bad),
            [
                "requests[0].message.sender_type",
                "requests[0].message.start_time",
                "requests[0].message.participant_id",
                "requests[0].message.message_id",
                "requests[0].message.content",
            ]
        );
    }

    async fn stats_count_calls_by_state_and_spelling(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let mut client = client(&app);
        for (key, state, literal) in [
            ("s1", CallState::Missed, "MISSED"),
            ("s2", CallState::Missed, "MISSED_CALL_HANDLED"),
            ("s3", CallState::Missed, "MISSED"),
            ("s4", CallState::Active, "ANSWERED_BY_STAFF"),
        ] {
            let mut call = inbound(key);
            call.state = state.into();
            let request = CreateVoiceCallRequest {
                voice_call: Some(call),
                state_literal: Some(VendorLiteral { dialect: "vcita".into(), value: literal.into() }),
            };
            client.create_voice_call(authed(request, &app.token)).await.unwrap();
        }
        let stats = client
            .get_voice_call_stats(authed(
                GetVoiceCallStatsRequest { states: vec![CallState::Missed.into()], ..Default::default() },
                &app.token,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(stats.total, 3);
        let counts: Vec<(String, i64)> = stats
            .state_counts
            .iter()
            .map(|c| (c.state_literal.as_ref().unwrap().value.clone(), c.count))
            .collect();
        assert_eq!(counts, [("MISSED".to_owned(), 2), ("MISSED_CALL_HANDLED".to_owned(), 1)]);
        let future = client
            .get_voice_call_stats(authed(GetVoiceCallStatsRequest { start_time: Some(ts(4_000_000_000)), ..Default::default() }, &app.token))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(future.total, 0);
    }

    async fn list_filters_orders_and_pages(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let mut client = client(&app);
        for i in 0..5 {
            let mut call = inbound(&format!("list-{i}"));
            call.staff_uid = if i % 2 == 0 { "even".into() } else { "odd".into() };
            client.create_voice_call(authed(create(call), &app.token)).await.unwrap();
        }
        let list = |filter: &str, page_token: String| ListVoiceCallsRequest {
            filter: filter.to_owned(),
            order_by: "create_time desc".into(),
            page_size: 2,
            page_token,
            ..Default::default()
        };
        let mut seen = Vec::new();
        let mut token = String::new();
        loop {
            let page = client.list_voice_calls(authed(list("staff_uid = \"even\"", token), &app.token)).await.unwrap().into_inner();
            assert_eq!(page.total_size, 3);
            seen.extend(page.voice_calls.into_iter().map(|c| c.vendor_call_key));
            token = page.next_page_token;
            if token.is_empty() {
                break;
            }
        }
        assert_eq!(seen, ["list-4", "list-2", "list-0"]);
        let bad = client.list_voice_calls(authed(list("nope = 1", String::new()), &app.token)).await.unwrap_err();
        assert_eq!(violations(&bad), ["filter"]);
    }
}

#[tokio::test]
async fn create_and_update_report_every_violation() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut client = client(&app);
    let bad = VoiceCall {
        from_number: "+0123".into(),
        rate: "0,05".into(),
        direction: 9,
        participants: vec![Participant::default()],
        start_time: Some(ts(100)),
        end_time: Some(ts(50)),
        total_hold_duration: Some(prost_types::Duration { seconds: 5, nanos: 0 }),
        ..Default::default()
    };
    let status = client
        .create_voice_call(authed(create(bad), &app.token))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        violations(&status),
        [
            "voice_call.direction",
            "voice_call.participants[0].participant_key",
            "voice_call.participants[0].type",
            "voice_call.rate",
            "voice_call.vendor_call_key",
            "voice_call.from_number",
            "voice_call.to_number",
            "voice_call.end_time",
            "voice_call.total_hold_duration",
        ]
    );
    let created = client
        .create_voice_call(authed(create(inbound("v-1")), &app.token))
        .await
        .unwrap()
        .into_inner();
    let status = client
        .update_voice_call(authed(
            update(
                &created.name,
                VoiceCall {
                    to_number: "+19999999999".into(),
                    ..Default::default()
                },
                &["to_number", "etag", "from_number"],
            ),
            &app.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&status), ["voice_call.etag", "voice_call.from_number"]);
    let status = client
        .update_voice_call(authed(
            update(
                &created.name,
                VoiceCall {
                    to_number: "+19999999999".into(),
                    ..Default::default()
                },
                &["to_number"],
            ),
            &app.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&status), ["voice_call.to_number"]);
    // Resending an immutable field unchanged is fine (AIP-203).
    client
        .update_voice_call(authed(
            update(
                &created.name,
                VoiceCall {
                    to_number: created.to_number.clone(),
                    ..Default::default()
                },
                &["to_number"],
            ),
            &app.token,
        ))
        .await
        .unwrap();
    let status = client
        .update_voice_call(authed(
            update(&created.name, VoiceCall::default(), &[]),
            &app.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&status), ["update_mask"]);
}
