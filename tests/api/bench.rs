//! `switchboard bench` against a real server: every scenario's calls
//! succeed (its paths and codecs are right), a create is a real insert, and
//! a call whose gRPC status (in the trailers) is not OK counts as an error,
//! not a success as h2load would count its HTTP 200.

use std::time::Duration;

use clap::ValueEnum;
use switchboard::bench::{BenchConfig, CallIds, Measurement, Scenario, measure_rounds};
use switchboard::pb::ListInteractionsRequest;

use crate::helpers::{Backend, TestApp, authed};

fn config(app: &TestApp, token: &str, scenarios: Vec<Scenario>) -> BenchConfig {
    BenchConfig {
        target: app.url().parse().unwrap(),
        token: token.to_owned(),
        scenarios,
        connections: 1,
        concurrency: 2,
        duration: Duration::from_millis(300),
        warmup: Duration::ZERO,
        rounds: 1,
        call_ids: CallIds::Sequential,
        subscribers: 4,
        events_per_second: 20.0,
        json: true,
    }
}

async fn interactions_of(app: &TestApp) -> i32 {
    let request = ListInteractionsRequest {
        page_size: 1,
        ..Default::default()
    };
    app.interactions()
        .list_interactions(authed(request, &app.token))
        .await
        .unwrap()
        .into_inner()
        .total_size
}

/// Runs `config` (one scenario, one round) and checks that every call
/// succeeded; `what` names the run in the failure message.
async fn measure_successful(config: &BenchConfig, what: &str) -> Measurement {
    let mut rounds = measure_rounds(config).await.unwrap();
    let measured = rounds.remove(0).remove(0);
    assert!(
        measured.ok > 0 && measured.errors == 0,
        "{what}: {:?}",
        measured.error_samples
    );
    measured
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_calls_the_server_without_errors() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let all = Scenario::value_variants().to_vec();
    let rounds = measure_rounds(&config(&app, &app.token, all.clone()))
        .await
        .unwrap();
    let measured: Vec<Scenario> = rounds[0].iter().map(|m| m.scenario).collect();
    assert_eq!(measured, all);
    for m in &rounds[0] {
        assert!(m.ok > 0, "{:?} made no successful call", m.scenario);
        assert_eq!(m.errors, 0, "{:?}: {:?}", m.scenario, m.error_samples);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_create_is_a_new_interaction() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for call_ids in CallIds::value_variants() {
        let before = interactions_of(&app).await;
        let config = BenchConfig {
            call_ids: *call_ids,
            ..config(&app, &app.token, vec![Scenario::CreateInteraction])
        };
        let created = measure_successful(&config, &format!("{call_ids:?}")).await;
        assert_eq!(
            i64::from(interactions_of(&app).await - before),
            created.ok as i64,
            "{call_ids:?}: one new interaction per successful create"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_measured_creates_do_not_repeat_the_warmups_call_ids() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let before = interactions_of(&app).await;
    // A warmup shorter than the measurement: had the measurement numbered
    // its calls from 0 again, it would find the warmup's interactions
    // instead of creating its own, and add nothing to what it measured.
    let config = BenchConfig {
        warmup: Duration::from_millis(100),
        duration: Duration::from_millis(400),
        ..config(&app, &app.token, vec![Scenario::CreateInteraction])
    };
    let measured = measure_successful(&config, "create-interaction").await;
    let created = i64::from(interactions_of(&app).await - before);
    assert!(
        created > measured.ok as i64,
        "the warmup's creates and then {} measured ones, but {created} interactions in all",
        measured.ok
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_failing_in_its_trailers_is_an_error() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let scenarios = vec![Scenario::Health, Scenario::CreateInteraction];
    let rounds = measure_rounds(&config(&app, "swb_not-a-real-token", scenarios))
        .await
        .unwrap();
    let [health, create] = &rounds[0][..] else {
        panic!("two measurements expected");
    };
    assert!(health.ok > 0 && health.errors == 0, "health needs no token");
    assert_eq!(create.ok, 0);
    assert!(create.errors > 0);
    assert!(
        create
            .error_samples
            .iter()
            .all(|e| e.starts_with("Unauthenticated")),
        "{:?}",
        create.error_samples
    );
}
