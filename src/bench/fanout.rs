//! The `watch-fanout` scenario: many `Watch` subscribers, one publisher.
//!
//! Opens `--subscribers` streams (spread over connections, a few hundred
//! streams each), then publishes `--events-per-second` notifications for
//! the measured time. Each notification carries its send time, so every
//! subscriber records the delay from the publish request leaving the
//! bench to the event arriving on its stream: the publish RPC, the commit,
//! the hub's read of the outbox and the fan-out. `ok` counts deliveries;
//! `errors` counts deliveries that never came (or streams that ended).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use hdrhistogram::Histogram;

use super::scenario::{authorized, bearer, connect};
use super::{BenchConfig, Measurement, Scenario};
use crate::pb;
use crate::pb::event_service_client::EventServiceClient;

/// Streams per HTTP/2 connection (the server allows 1024).
const STREAMS_PER_CONNECTION: usize = 250;
/// How long stragglers may take after the last publish.
const DRAIN: Duration = Duration::from_secs(5);

struct Shared {
    epoch: Instant,
    latency: Mutex<Histogram<u64>>,
    delivered: AtomicU64,
    ended: AtomicU64,
    /// Only events published while measuring are counted.
    measuring: AtomicBool,
}

/// One measurement of the fan-out.
pub async fn measure(config: &BenchConfig) -> anyhow::Result<Measurement> {
    let subscribers = config.subscribers.max(1);
    let authorization = bearer(config)?;
    let mut channels = Vec::new();
    for _ in 0..subscribers.div_ceil(STREAMS_PER_CONNECTION) + 1 {
        channels.push(connect(config).await?);
    }
    let shared = Arc::new(Shared {
        epoch: Instant::now(),
        latency: Mutex::new(Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid bounds")),
        delivered: AtomicU64::new(0),
        ended: AtomicU64::new(0),
        measuring: AtomicBool::new(false),
    });

    // Subscribe everyone first (in parallel batches), so the first event
    // goes to all of them.
    let request = || pb::WatchRequest {
        resource_types: vec![pb::event::ResourceType::Notification.into()],
        ..Default::default()
    };
    let mut streams = Vec::with_capacity(subscribers);
    for batch in (0..subscribers).collect::<Vec<_>>().chunks(500) {
        let opened = futures::future::join_all(batch.iter().map(|i| {
            let mut client = EventServiceClient::new(channels[1 + i / STREAMS_PER_CONNECTION].clone());
            let request = authorized(&authorization, request());
            async move { client.watch(request).await }
        }))
        .await;
        for stream in opened {
            streams.push(
                stream
                    .context("opening a Watch (is --token valid?)")?
                    .into_inner(),
            );
        }
    }
    let tasks: Vec<_> = streams
        .into_iter()
        .map(|mut stream| {
            let shared = shared.clone();
            tokio::spawn(async move {
                loop {
                    match stream.message().await {
                        Ok(Some(event)) => shared.record(&event),
                        Ok(None) | Err(_) => {
                            shared.ended.fetch_add(1, Ordering::Relaxed);
                            return;
                        }
                    }
                }
            })
        })
        .collect();

    // Publish: warm-up, then the measured run.
    let mut publisher = EventServiceClient::new(channels[0].clone());
    let interval = Duration::from_secs_f64(1.0 / config.events_per_second.max(0.01));
    let mut published = 0u64;
    let mut errors = Vec::new();
    for (measuring, length) in [(false, config.warmup), (true, config.duration)] {
        shared.measuring.store(measuring, Ordering::Relaxed);
        let mut ticks = tokio::time::interval(interval);
        let until = Instant::now() + length;
        while Instant::now() < until {
            ticks.tick().await;
            let sent = shared.epoch.elapsed().as_micros() as f64;
            let data = prost_types::Struct {
                fields: [
                    ("sent_us".to_owned(), number(sent)),
                    ("measured".to_owned(), bool_value(measuring)),
                ]
                .into(),
            };
            let request = pb::PublishNotificationRequest {
                topic: "/bench/fanout".to_owned(),
                data: Some(data),
            };
            match publisher
                .publish_notification(authorized(&authorization, request))
                .await
            {
                Ok(_) if measuring => published += 1,
                Ok(_) => {}
                Err(status) if errors.len() < 3 => {
                    errors.push(format!("{:?}: {}", status.code(), status.message()))
                }
                Err(_) => {}
            }
        }
    }
    let started_drain = Instant::now();
    let expected = published * subscribers as u64;
    while shared.delivered.load(Ordering::Relaxed) < expected && started_drain.elapsed() < DRAIN {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for task in &tasks {
        task.abort();
    }
    let delivered = shared.delivered.load(Ordering::Relaxed);
    let ended = shared.ended.load(Ordering::Relaxed);
    if ended > 0 {
        errors.push(format!("{ended} streams ended early"));
    }
    let latency = shared.latency.lock().expect("no panics while held").clone();
    Ok(Measurement {
        scenario: Scenario::WatchFanout,
        ok: delivered,
        errors: expected.saturating_sub(delivered),
        error_samples: errors,
        elapsed: config.duration,
        latency,
    })
}

impl Shared {
    fn record(&self, event: &pb::Event) {
        let Some(pb::event::Snapshot::Notification(notification)) = &event.snapshot else {
            return;
        };
        let field = |name: &str| {
            notification
                .data
                .as_ref()
                .and_then(|d| d.fields.get(name))
                .and_then(|v| v.kind.clone())
        };
        let (
            Some(prost_types::value::Kind::NumberValue(sent)),
            Some(prost_types::value::Kind::BoolValue(true)),
        ) = (field("sent_us"), field("measured"))
        else {
            return;
        };
        let now = self.epoch.elapsed().as_micros() as f64;
        let micros = (now - sent).clamp(1.0, 60_000_000.0) as u64;
        let _ = self.latency.lock().expect("no panics while held").record(micros);
        self.delivered.fetch_add(1, Ordering::Relaxed);
    }
}

fn number(value: f64) -> prost_types::Value {
    prost_types::Value {
        kind: Some(prost_types::value::Kind::NumberValue(value)),
    }
}

fn bool_value(value: bool) -> prost_types::Value {
    prost_types::Value {
        kind: Some(prost_types::value::Kind::BoolValue(value)),
    }
}
