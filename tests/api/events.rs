//! EventService.

use switchboard::pb::PublishNotificationRequest;
use switchboard::pb::event::Snapshot;
use switchboard::pb::event_service_client::EventServiceClient;
use tonic::Code;

use crate::helpers::{Backend, TestApp, authed};

#[tokio::test]
async fn publish_notification_appends_an_event_for_the_caller() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut events = EventServiceClient::new(app.channel.clone());
    let data = prost_types::Struct {
        fields: [(
            "messageType".to_owned(),
            prost_types::Value {
                kind: Some(prost_types::value::Kind::StringValue(
                    "createInteractionResponse".into(),
                )),
            },
        )]
        .into(),
    };
    let request = PublishNotificationRequest {
        topic: "/v2/me/calls".into(),
        data: Some(data.clone()),
    };
    let first = events
        .publish_notification(authed(request.clone(), &app.token))
        .await
        .unwrap()
        .into_inner();
    let second = events
        .publish_notification(authed(request, &app.token))
        .await
        .unwrap()
        .into_inner();
    assert!(second.sequence > first.sequence && first.sequence > 0);
    let Some(Snapshot::Notification(notification)) = first.snapshot else {
        panic!("expected a notification snapshot")
    };
    assert_eq!(notification.user_id, "alice");
    assert_eq!(notification.topic, "/v2/me/calls");
    assert_eq!(notification.data, Some(data));

    let empty = events
        .publish_notification(authed(PublishNotificationRequest::default(), &app.token))
        .await
        .unwrap_err();
    assert_eq!(empty.code(), Code::InvalidArgument);
    let anonymous = events
        .publish_notification(PublishNotificationRequest::default())
        .await
        .unwrap_err();
    assert_eq!(anonymous.code(), Code::Unauthenticated);
}

// ---------------------------------------------------------------- Watch

use std::collections::HashSet;
use std::time::{Duration, Instant};

use switchboard::domain::event::{EventType, NewEvent, ResourceType};
use switchboard::domain::ids::{TenantId, UserId};
use switchboard::pb::event::ResourceType as PbResourceType;
use switchboard::pb::{Event, WatchRequest};
use switchboard::store::outbox;
use tonic::Streaming;

use crate::both_backends;
use crate::helpers::find_phone_call;

/// How long a test waits for an event that must arrive.
const ARRIVES: Duration = Duration::from_secs(10);
/// How long a test waits to be sure an event does not arrive.
const QUIET: Duration = Duration::from_millis(600);

fn data(fields: &[(&str, &str)]) -> prost_types::Struct {
    prost_types::Struct {
        fields: fields
            .iter()
            .map(|(k, v)| {
                (
                    (*k).to_owned(),
                    prost_types::Value {
                        kind: Some(prost_types::value::Kind::StringValue((*v).to_owned())),
                    },
                )
            })
            .collect(),
    }
}

/// Publishes a notification on `topic` and returns its sequence.
async fn publish(app: &TestApp, token: &str, topic: &str) -> i64 {
    app.events()
        .publish_notification(authed(
            PublishNotificationRequest {
                topic: topic.to_owned(),
                data: Some(data(&[("k", "v")])),
            },
            token,
        ))
        .await
        .expect("published")
        .into_inner()
        .sequence
}

async fn watch(app: &TestApp, token: &str, request: WatchRequest) -> Streaming<Event> {
    app.events()
        .watch(authed(request, token))
        .await
        .expect("watch starts")
        .into_inner()
}

fn after(sequence: i64) -> WatchRequest {
    WatchRequest {
        after_sequence: Some(sequence),
        ..Default::default()
    }
}

async fn next(stream: &mut Streaming<Event>) -> Event {
    tokio::time::timeout(ARRIVES, stream.message())
        .await
        .expect("an event within the deadline")
        .expect("no error")
        .expect("stream still open")
}

async fn take(stream: &mut Streaming<Event>, n: usize) -> Vec<i64> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(next(stream).await.sequence);
    }
    out
}

async fn assert_quiet(stream: &mut Streaming<Event>) {
    if let Ok(item) = tokio::time::timeout(QUIET, stream.message()).await {
        panic!("expected nothing, got {item:?}");
    }
}

both_backends! {
    async fn watch_replays_then_continues_live_and_resumes_exactly(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let mut published = Vec::new();
        for _ in 0..5 {
            published.push(publish(&app, &app.token, "/t").await);
        }
        let mut stream = watch(&app, &app.token, after(0)).await;
        assert_eq!(take(&mut stream, 5).await, published);
        for _ in 0..5 {
            published.push(publish(&app, &app.token, "/t").await);
        }
        assert_eq!(take(&mut stream, 5).await, published[5..]);
        drop(stream);

        // Resume from the 7th: exactly the 8th onwards, then live.
        let mut resumed = watch(&app, &app.token, after(published[6])).await;
        assert_eq!(take(&mut resumed, 3).await, published[7..]);
        let live = publish(&app, &app.token, "/t").await;
        assert_eq!(next(&mut resumed).await.sequence, live);
        assert_quiet(&mut resumed).await;
    }

    async fn watch_switches_from_replay_to_live_under_concurrent_writes(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let first = publish(&app, &app.token, "/t").await;
        // Writers keep committing while subscribers replay and switch to live.
        let writers: Vec<_> = (0..4)
            .map(|_| {
                let events = app.events();
                let token = app.token.clone();
                tokio::spawn(async move {
                    let mut events = events;
                    let mut sequences = Vec::new();
                    for _ in 0..25 {
                        let request = PublishNotificationRequest {
                            topic: "/t".into(),
                            data: Some(data(&[("k", "v")])),
                        };
                        sequences.push(events.publish_notification(authed(request, &token)).await.unwrap().into_inner().sequence);
                    }
                    sequences
                })
            })
            .collect();
        let mut subscribers = Vec::new();
        for start in [0, first] {
            subscribers.push(watch(&app, &app.token, after(start)).await);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mut all: Vec<i64> = vec![first];
        for writer in writers {
            all.extend(writer.await.unwrap());
        }
        all.sort_unstable();
        for (stream, start) in subscribers.iter_mut().zip([0, first]) {
            let expected: Vec<i64> = all.iter().copied().filter(|s| *s > start).collect();
            assert_eq!(take(stream, expected.len()).await, expected);
            assert_quiet(stream).await;
        }
    }

    async fn watch_without_cursor_starts_with_the_next_commit(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        publish(&app, &app.token, "/before").await;
        let mut stream = watch(&app, &app.token, WatchRequest::default()).await;
        let sequence = publish(&app, &app.token, "/after").await;
        let event = next(&mut stream).await;
        assert_eq!(event.sequence, sequence);
        let Some(Snapshot::Notification(n)) = event.snapshot else { panic!("notification expected") };
        assert_eq!(n.topic, "/after");
    }

    async fn watch_filters_by_resource_type_and_resource(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let mut interactions_only = watch(&app, &app.token, WatchRequest {
            after_sequence: Some(0),
            resource_types: vec![PbResourceType::Interaction.into()],
            ..Default::default()
        }).await;
        publish(&app, &app.token, "/t").await;
        let created = app
            .interactions()
            .find_or_create_phone_call_interaction(authed(find_phone_call("filter-1"), &app.token))
            .await
            .unwrap()
            .into_inner()
            .interaction
            .unwrap();
        let other = app
            .interactions()
            .find_or_create_phone_call_interaction(authed(find_phone_call("filter-2"), &app.token))
            .await
            .unwrap()
            .into_inner()
            .interaction
            .unwrap();
        let event = next(&mut interactions_only).await;
        assert_eq!(event.resource, created.name);
        assert_eq!(event.r#type, switchboard::pb::event::Type::Created as i32);
        assert_eq!(event.change, "FindOrCreatePhoneCallInteraction");
        let Some(Snapshot::Interaction(snapshot)) = event.snapshot else { panic!("interaction snapshot expected") };
        assert_eq!(snapshot.id, created.id);
        assert_eq!(next(&mut interactions_only).await.resource, other.name);
        assert_quiet(&mut interactions_only).await;

        let mut one = watch(&app, &app.token, WatchRequest {
            after_sequence: Some(0),
            resource: other.name.clone(),
            ..Default::default()
        }).await;
        assert_eq!(next(&mut one).await.resource, other.name);
        assert_quiet(&mut one).await;

        let invalid = app
            .events()
            .watch(authed(WatchRequest {
                after_sequence: Some(-1),
                resource_types: vec![0, 99],
                ..Default::default()
            }, &app.token))
            .await
            .unwrap_err();
        assert_eq!(invalid.code(), Code::InvalidArgument);
        let fields: Vec<String> = tonic_types::StatusExt::get_details_bad_request(&invalid)
            .unwrap()
            .field_violations
            .into_iter()
            .map(|v| v.field)
            .collect();
        assert_eq!(fields, ["after_sequence", "resource_types[0]", "resource_types[1]"]);
        let anonymous = app.events().watch(WatchRequest::default()).await.unwrap_err();
        assert_eq!(anonymous.code(), Code::Unauthenticated);
    }

    async fn watch_is_tenant_scoped_and_notifications_reach_only_their_user(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let bob = app.issue_token("acme", "bob").await;
        let stranger = app.issue_token("globex", "alice").await;
        let mut alice_stream = watch(&app, &app.token, after(0)).await;
        let mut bob_stream = watch(&app, &bob, after(0)).await;
        let mut stranger_stream = watch(&app, &stranger, after(0)).await;

        let for_alice = publish(&app, &app.token, "/v2/me/ucs").await;
        let created = app
            .interactions()
            .find_or_create_phone_call_interaction(authed(find_phone_call("tenant-1"), &app.token))
            .await
            .unwrap()
            .into_inner()
            .interaction
            .unwrap();
        let for_bob = publish(&app, &bob, "/v2/me/ucs").await;
        let for_stranger = publish(&app, &stranger, "/v2/me/ucs").await;

        let alice_seen = take(&mut alice_stream, 2).await;
        assert_eq!(alice_seen[0], for_alice);
        assert_quiet(&mut alice_stream).await;
        // Bob sees the tenant's interaction and his own notification only.
        let bob_first = next(&mut bob_stream).await;
        assert_eq!(bob_first.resource, created.name);
        assert_eq!(next(&mut bob_stream).await.sequence, for_bob);
        assert_quiet(&mut bob_stream).await;
        // Another tenant's user named alice sees nothing of acme.
        assert_eq!(next(&mut stranger_stream).await.sequence, for_stranger);
        assert_quiet(&mut stranger_stream).await;
    }

    async fn shutdown_ends_watch_streams_promptly_with_unavailable(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let mut live = watch(&app, &app.token, WatchRequest::default()).await;
        let mut replaying = watch(&app, &app.token, after(0)).await;
        let started = Instant::now();
        let stopping = tokio::spawn(app.stop());
        for stream in [&mut live, &mut replaying] {
            let status = tokio::time::timeout(Duration::from_secs(3), stream.message())
                .await
                .expect("the stream ends promptly")
                .expect_err("ends with a status");
            assert_eq!(status.code(), Code::Unavailable, "{status:?}");
        }
        tokio::time::timeout(Duration::from_secs(5), stopping)
            .await
            .expect("the server stops well before its 10 s drain timeout")
            .unwrap();
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    async fn slow_subscriber_is_dropped_while_writers_proceed(backend: Backend) {
        let app = TestApp::start(crate::helpers::TestDatabase::new(backend), |c| c.events.watch_buffer = 4).await;
        let mut slow = watch(&app, &app.token, WatchRequest::default()).await;
        // Big events fill the HTTP/2 windows quickly; the subscriber reads nothing.
        let big = "x".repeat(32 * 1024);
        let started = Instant::now();
        let mut published = Vec::new();
        for _ in 0..200 {
            let request = PublishNotificationRequest {
                topic: "/big".into(),
                data: Some(data(&[("blob", &big)])),
            };
            // A writer that waited for the stalled subscriber would wait
            // forever; the bound only turns that hang into a failure.
            let mut events = app.events();
            let write = events.publish_notification(authed(request, &app.token));
            let written = tokio::time::timeout(ARRIVES, write).await.expect("a writer waited for a subscriber");
            published.push(written.unwrap().into_inner().sequence);
        }
        eprintln!("200 writes with a stalled subscriber took {:?}", started.elapsed());
        // The hub may lag the commits (on PostgreSQL a transaction anywhere
        // in the cluster holds its horizon back). Reading starts once it has
        // offered every event: the stalled stream holds far fewer than 200,
        // so it has overflowed, and the resumed watch below is served by
        // replay alone, not by a live burst into its 4-event queue.
        let newest = *published.last().unwrap();
        let dispatched = tokio::time::timeout(ARRIVES, app.hub.reached(newest)).await;
        assert!(
            matches!(dispatched, Ok(Some(_))),
            "the hub stayed at {:?}, short of {newest}",
            app.hub.position()
        );
        // Reading now: some events, then RESOURCE_EXHAUSTED.
        let mut received = Vec::new();
        let status = loop {
            let message = tokio::time::timeout(ARRIVES, slow.message()).await;
            let message = message.unwrap_or_else(|_| {
                panic!("the stream stalled after {} of {} events", received.len(), published.len())
            });
            match message {
                Ok(Some(event)) => received.push(event.sequence),
                Ok(None) => panic!("ended without a status"),
                Err(status) => break status,
            }
        };
        assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
        assert!(received.len() < published.len(), "it was dropped before the end");
        assert_eq!(received[..], published[..received.len()], "what it got is a gap-free prefix");
        // Resuming from the last sequence received delivers the rest exactly.
        let last = received.last().copied().unwrap_or(published[0] - 1);
        let mut resumed = watch(&app, &app.token, after(last)).await;
        let rest: Vec<i64> = published.iter().copied().filter(|s| *s > last).collect();
        assert_eq!(take(&mut resumed, rest.len()).await, rest);
    }

    async fn concurrent_writers_committing_out_of_order_lose_nothing(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let tenant = TenantId::parse("acme").unwrap();
        let hold = backend == Backend::Postgres;
        let commit_order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let writers: Vec<_> = (0..8)
            .map(|w| {
                let store = app.store.clone();
                let tenant = tenant.clone();
                let commit_order = commit_order.clone();
                tokio::spawn(async move {
                    for i in 0..40u64 {
                        let tenant = tenant.clone();
                        // Hold some transactions open after taking a number,
                        // so later numbers commit first.
                        let pause = if hold { (w * 7 + i * 13) % 17 } else { 0 };
                        let seq = store
                            .write(move |txn| Box::pin(async move {
                                if hold && i.is_multiple_of(3) {
                                    // Take a transaction id early, like a change that
                                    // writes its row before its event: id order and
                                    // number order then disagree too.
                                    use sea_orm::ConnectionTrait;
                                    txn.execute_unprepared("SELECT pg_current_xact_id()").await?;
                                    tokio::time::sleep(Duration::from_millis(pause / 2)).await;
                                }
                                let seq = outbox::append(txn, &tenant, notification(), switchboard::domain::time::now()).await?;
                                tokio::time::sleep(Duration::from_millis(pause)).await;
                                Ok(seq)
                            }))
                            .await
                            .unwrap();
                        commit_order.lock().unwrap().push(seq);
                    }
                })
            })
            .collect();

        // A subscriber that hangs up every 25 events and resumes from its cursor.
        let mut received: Vec<i64> = Vec::new();
        let mut stream = watch(&app, &app.token, after(0)).await;
        let total = 8 * 40;
        while received.len() < total {
            received.push(next(&mut stream).await.sequence);
            if received.len().is_multiple_of(25) {
                stream = watch(&app, &app.token, after(*received.last().unwrap())).await;
            }
        }
        for writer in writers {
            writer.await.unwrap();
        }
        assert_quiet(&mut stream).await;
        let mut committed = commit_order.lock().unwrap().clone();
        let inversions = committed.windows(2).filter(|w| w[0] > w[1]).count();
        if hold {
            assert!(inversions > 0, "the test must make numbers commit out of order");
        }
        committed.sort_unstable();
        assert!(received.windows(2).all(|w| w[0] < w[1]), "in order, no duplicates");
        assert_eq!(received, committed, "every committed sequence exactly once");
        eprintln!("{total} events, {inversions} out-of-order commits, all delivered once in order");
    }
}

fn notification() -> NewEvent {
    NewEvent {
        resource_type: ResourceType::Notification,
        resource: "notifications/test".to_owned(),
        event_type: EventType::Published,
        change: "Test".to_owned(),
        actor: UserId::parse("alice").unwrap(),
        audience: None,
        payload: serde_json::json!({"topic": "/t", "data": {}}).to_string(),
    }
}

/// PostgreSQL: while a transaction that took a lower number is still open,
/// higher numbers that already committed are held back; once it commits,
/// everything arrives in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_holds_back_events_behind_an_open_lower_sequence() {
    if !crate::helpers::postgres_ready("events::postgres_holds_back_events_behind_an_open_lower_sequence")
        .await
    {
        return;
    }
    let app = TestApp::spawn(Backend::Postgres).await;
    let mut stream = watch(&app, &app.token, after(0)).await;
    let (taken_tx, taken) = tokio::sync::oneshot::channel();
    let (release, release_rx) = tokio::sync::oneshot::channel::<()>();
    let store = app.store.clone();
    let held = tokio::spawn(async move {
        store
            .write(move |txn| {
                Box::pin(async move {
                    let tenant = TenantId::parse("acme").unwrap();
                    let seq = outbox::append(txn, &tenant, notification(), switchboard::domain::time::now())
                        .await?;
                    let _ = taken_tx.send(seq);
                    let _ = release_rx.await;
                    Ok(seq)
                })
            })
            .await
            .unwrap()
    });
    let held_seq = taken.await.unwrap();
    let mut later = Vec::new();
    for _ in 0..3 {
        later.push(publish(&app, &app.token, "/t").await);
    }
    assert!(later.iter().all(|s| *s > held_seq));
    // Committed, but behind an open lower number: not delivered yet.
    assert_quiet(&mut stream).await;
    release.send(()).unwrap();
    assert_eq!(held.await.unwrap(), held_seq);
    let mut expected = vec![held_seq];
    expected.extend(&later);
    assert_eq!(take(&mut stream, 4).await, expected);
}

/// Two instances over one PostgreSQL schema: a change made through A reaches
/// a Watch on B, woken by NOTIFY (B's fallback poll is far too slow to
/// explain the latency).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_through_one_instance_reaches_watchers_on_another() {
    if !crate::helpers::postgres_ready("events::a_change_through_one_instance_reaches_watchers_on_another")
        .await
    {
        return;
    }
    let a = TestApp::spawn(Backend::Postgres).await;
    let b = TestApp::start(a.database.share(), |c| {
        c.events.events_poll_interval = Duration::from_secs(60);
    })
    .await;
    let mut on_b = watch(&b, &b.token, WatchRequest::default()).await;
    let mut seen = HashSet::new();
    for i in 0..3 {
        let started = Instant::now();
        let created = a
            .interactions()
            .find_or_create_phone_call_interaction(authed(find_phone_call(&format!("fanout-{i}")), &a.token))
            .await
            .unwrap()
            .into_inner()
            .interaction
            .unwrap();
        let event = next(&mut on_b).await;
        assert_eq!(event.resource, created.name);
        assert!(seen.insert(event.sequence));
        let latency = started.elapsed();
        assert!(
            latency < Duration::from_secs(3),
            "took {latency:?}: NOTIFY did not wake B"
        );
    }
    // And the other way round, for a notification.
    let mut on_a = watch(&a, &a.token, WatchRequest::default()).await;
    let sequence = publish(&b, &b.token, "/v2/me/ucs").await;
    assert_eq!(next(&mut on_a).await.sequence, sequence);
    drop(b);
}

/// SIGTERM to the real binary with an open Watch and a held CometD
/// long-poll: both end at once (UNAVAILABLE / advice `retry`) and the process
/// exits well inside its drain timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_ends_watch_streams_and_long_polls_and_exits_promptly() {
    use tokio::io::{AsyncBufReadExt, BufReader};

    let app = TestApp::spawn(Backend::Sqlite).await;
    let token = app.token.clone();
    let database = app.stop().await;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["serve", "--listen", "127.0.0.1:0", "--drain-timeout", "10s"])
        .arg("--database-url")
        .arg(database.config.database_url.expose())
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("switchboard binary starts");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let address = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(rest) = line.split("address=").nth(1) {
                return rest.split_whitespace().next().unwrap().to_owned();
            }
        }
        panic!("the server exited before listening")
    })
    .await
    .expect("listening");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

    let channel = tonic::transport::Endpoint::from_shared(format!("http://{address}"))
        .unwrap()
        .connect_lazy();
    let mut events = EventServiceClient::new(channel);
    let mut stream = events.watch(authed(after(0), &token)).await.unwrap().into_inner();
    let http = reqwest::Client::new();
    let url = format!("http://{address}/api/v2/notifications");
    let handshake: serde_json::Value = http
        .post(format!("{url}/handshake"))
        .bearer_auth(&token)
        .json(&serde_json::json!([{"channel": "/meta/handshake", "version": "1.0", "supportedConnectionTypes": ["long-polling"]}]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let client = handshake[0]["clientId"].as_str().unwrap().to_owned();
    let long_poll = tokio::spawn({
        let http = http.clone();
        async move {
            let body: serde_json::Value = http
                .post(format!("{url}/connect"))
                .json(&serde_json::json!([{"channel": "/meta/connect", "connectionType": "long-polling", "clientId": client}]))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            body
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;

    let started = Instant::now();
    let pid = child.id().expect("running").to_string();
    let killed = tokio::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(3), stream.message())
        .await
        .expect("the Watch ends at once")
        .expect_err("with a status");
    assert_eq!(status.code(), Code::Unavailable);
    let body = tokio::time::timeout(Duration::from_secs(3), long_poll)
        .await
        .expect("the long-poll is answered at once")
        .unwrap();
    assert_eq!(body[0]["successful"], true);
    assert_eq!(body[0]["advice"]["reconnect"], "retry");
    let exit = tokio::time::timeout(Duration::from_secs(5), child.wait())
        .await
        .expect("the process exits well inside the 10 s drain")
        .unwrap();
    assert!(exit.success(), "{exit:?}");
    eprintln!("SIGTERM to exit: {:?}", started.elapsed());
}
