//! `switchboard bench`: a closed-loop load generator that drives a running
//! Switchboard the way clients do — gRPC over real HTTP/2 connections, REST
//! over HTTP/1.1 keep-alive connections — and reports throughput, latency
//! percentiles and errors. A gRPC call counts as an error when its status
//! (from the trailers) is not OK, unlike h2load, which only sees HTTP 200.
//!
//! Several scenarios given together run in interleaved rounds against the
//! same server and are reported as ratios to the first one, so results
//! carry over between machines.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use hdrhistogram::Histogram;

mod fanout;
mod report;
mod scenario;

pub use scenario::{CallIds, Scenario};

/// `switchboard bench` options.
#[derive(clap::Args, Clone, Debug)]
pub struct BenchConfig {
    /// The Switchboard to drive.
    #[arg(
        long,
        env = "SWITCHBOARD_BENCH_TARGET",
        default_value = "http://127.0.0.1:50051"
    )]
    pub target: http::Uri,

    /// A bearer token of the tenant to load (`switchboard tokens create`).
    #[arg(long, env = "SWITCHBOARD_BENCH_TOKEN", default_value = "")]
    pub token: String,

    /// Scenarios to run; with several, each round runs them in turn and the
    /// report gives ratios to the first.
    #[arg(long = "scenario", value_enum, required = true)]
    pub scenarios: Vec<Scenario>,

    /// Connections to open (HTTP/2 for gRPC; the REST pool size for REST).
    #[arg(long, default_value_t = 4)]
    pub connections: usize,

    /// Requests in flight at once, spread over the connections (REST uses
    /// one connection per request in flight).
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,

    /// Measured time per scenario and round.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,

    /// Unmeasured time before each measurement.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub warmup: Duration,

    /// Interleaved rounds; the report gives the median round.
    #[arg(long, default_value_t = 1)]
    pub rounds: usize,

    /// How the creates' call ids follow each other. PBXs send ids in no
    /// particular order, which costs an index more than ascending ones.
    #[arg(long, value_enum, default_value_t = CallIds::Sequential)]
    pub call_ids: CallIds,

    /// `watch-fanout`: Watch streams to open.
    #[arg(long, default_value_t = 10_000)]
    pub subscribers: usize,

    /// `watch-fanout`: notifications to publish per second.
    #[arg(long, default_value_t = 10.0)]
    pub events_per_second: f64,

    /// Print the results as JSON lines instead of a table.
    #[arg(long)]
    pub json: bool,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text).map_err(|e| e.to_string())
}

/// What one measurement found.
#[derive(Clone, Debug)]
pub struct Measurement {
    /// The scenario measured.
    pub scenario: Scenario,
    /// Successful calls.
    pub ok: u64,
    /// Failed calls (gRPC status not OK, HTTP status ≥ 400, transport errors).
    pub errors: u64,
    /// The first few distinct error descriptions.
    pub error_samples: Vec<String>,
    /// Measured wall time.
    pub elapsed: Duration,
    /// Latency of successful calls, in microseconds.
    pub latency: Histogram<u64>,
}

impl Measurement {
    /// Successful calls per second.
    pub fn rps(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }
}

/// Runs the configured scenarios and prints the report.
pub async fn run(config: BenchConfig) -> anyhow::Result<()> {
    let rounds = measure_rounds(&config).await?;
    report::summary(&config, &rounds);
    Ok(())
}

/// Runs the configured scenarios in interleaved rounds (printing progress
/// unless `json`); one `Vec` per round, in scenario order.
pub async fn measure_rounds(config: &BenchConfig) -> anyhow::Result<Vec<Vec<Measurement>>> {
    let run_id = format!("{:08x}", rand::random::<u32>());
    let mut rounds: Vec<Vec<Measurement>> = Vec::new();
    for round in 0..config.rounds.max(1) {
        let mut results = Vec::new();
        for &scenario in &config.scenarios {
            if scenario == Scenario::WatchFanout {
                let measurement = fanout::measure(config).await.context("watch-fanout")?;
                if !config.json {
                    report::progress(round, &measurement);
                }
                results.push(measurement);
                continue;
            }
            let driver = scenario::Driver::connect(config, scenario, &format!("{run_id}-{round}"))
                .await
                .with_context(|| format!("preparing {scenario:?}"))?;
            let driver = Arc::new(driver);
            measure(&driver, config.concurrency, config.warmup).await;
            let measurement = measure(&driver, config.concurrency, config.duration).await;
            if !config.json {
                report::progress(round, &measurement);
            }
            results.push(measurement);
        }
        rounds.push(results);
    }
    Ok(rounds)
}

async fn measure(driver: &Arc<scenario::Driver>, concurrency: usize, duration: Duration) -> Measurement {
    let started = Instant::now();
    let deadline = started + duration;
    let workers = (0..concurrency.max(1)).map(|worker| {
        let driver = driver.clone();
        tokio::spawn(async move {
            let mut latency = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("valid bounds");
            let (mut ok, mut errors, mut samples) = (0u64, 0u64, Vec::new());
            while Instant::now() < deadline {
                let begun = Instant::now();
                match driver.call(worker).await {
                    Ok(()) => {
                        ok += 1;
                        let micros = begun.elapsed().as_micros().clamp(1, 60_000_000) as u64;
                        let _ = latency.record(micros);
                    }
                    Err(error) => {
                        errors += 1;
                        if samples.len() < 3 && !samples.contains(&error) {
                            samples.push(error);
                        }
                    }
                }
            }
            (ok, errors, samples, latency)
        })
    });
    let mut total = Measurement {
        scenario: driver.scenario(),
        ok: 0,
        errors: 0,
        error_samples: Vec::new(),
        elapsed: Duration::ZERO,
        latency: Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid bounds"),
    };
    for worker in futures::future::join_all(workers).await {
        let Ok((ok, errors, samples, latency)) = worker else {
            continue;
        };
        total.ok += ok;
        total.errors += errors;
        for sample in samples {
            if total.error_samples.len() < 5 && !total.error_samples.contains(&sample) {
                total.error_samples.push(sample);
            }
        }
        let _ = total.latency.add(&latency);
    }
    total.elapsed = started.elapsed();
    total
}
