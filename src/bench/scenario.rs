//! The calls a bench can make, and the connections they go over.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use bytes::Buf;
use http::uri::PathAndQuery;
use tonic::Status;
use tonic::codec::{Codec, DecodeBuf, Decoder};
use tonic::metadata::MetadataValue;
use tonic::transport::{Channel, Endpoint};

use super::BenchConfig;
use crate::api::convert::common::json_to_struct;
use crate::facade::genesys;
use crate::pb;
use crate::pb::interaction_service_client::InteractionServiceClient;

/// What to call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// `grpc.health.v1.Health/Check`: the no-op baseline (no auth, no store).
    Health,
    /// `FindOrCreatePhoneCallInteraction` with a fresh call id: a real insert
    /// (interaction row + outbox row) per request.
    CreateInteraction,
    /// `FindOrCreatePhoneCallInteraction` with one fixed call id: the
    /// idempotent-replay path (a read).
    ReplayInteraction,
    /// `GetInteraction` of one interaction.
    GetInteraction,
    /// `ListInteractions`, first page of 20, newest first, with the total.
    ListInteractions,
    /// The same page with `skip_total_size` (no count of all matches).
    ListInteractionsPage,
    /// Genesys REST `POST /api/v2/ucs/interactions` `FindPhoneCall` with a
    /// fresh call id, over HTTP/1.1. By the UCS contract it is two writes:
    /// the interaction, then its CometD result notification.
    RestFindPhoneCall,
    /// What the facade does for `rest-find-phone-call`, over gRPC:
    /// `FindOrCreatePhoneCallInteraction` with a fresh call id, then
    /// `PublishNotification` of the result. Its one-to-one gRPC twin.
    FindPhoneCallAndPublish,
    /// `CreatePhoneCall`, a simple call (call row + interaction row +
    /// outbox row) with an hour to be answered, so no timer fires during
    /// the run.
    CreatePhoneCall,
    /// UnifiedAPI REST `POST /uapi/phoneCalls/@me/simple` with the same call,
    /// over HTTP/1.1: the one-to-one REST twin of `create-phone-call`.
    RestCreatePhoneCall,
    /// `--subscribers` Watch streams and one publisher of
    /// `--events-per-second` notifications; latency is publish-to-delivery
    /// per subscriber, and rps counts deliveries.
    WatchFanout,
}

impl Scenario {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Health => "health (no-op)",
            Scenario::CreateInteraction => "create-interaction",
            Scenario::ReplayInteraction => "replay-interaction",
            Scenario::GetInteraction => "get-interaction",
            Scenario::ListInteractions => "list-interactions",
            Scenario::ListInteractionsPage => "list-interactions-page",
            Scenario::RestFindPhoneCall => "rest-find-phone-call",
            Scenario::FindPhoneCallAndPublish => "find-phone-call-and-publish",
            Scenario::CreatePhoneCall => "create-phone-call",
            Scenario::RestCreatePhoneCall => "rest-create-phone-call",
            Scenario::WatchFanout => "watch-fanout",
        }
    }
}

/// The order of the call ids a run's creates send; each is distinct either way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CallIds {
    /// Ascending: `bench-<run>-0`, `bench-<run>-1`, ...
    Sequential,
    /// In no order, as a PBX's are: each call number multiplied by an odd
    /// constant, which is one-to-one on 64-bit numbers.
    Scattered,
}

impl CallIds {
    /// The call id of call number `n` of `run`.
    fn of(self, run: &str, n: u64) -> String {
        match self {
            CallIds::Sequential => format!("bench-{run}-{n}"),
            CallIds::Scattered => format!("bench-{run}-{:016x}", n.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        }
    }
}

type HttpClient = hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    http_body_util::Full<bytes::Bytes>,
>;

/// The `authorization` metadata value of `--token`.
pub(super) type Authorization = MetadataValue<tonic::metadata::Ascii>;

/// `Bearer <--token>`.
pub(super) fn bearer(config: &BenchConfig) -> anyhow::Result<Authorization> {
    format!("Bearer {}", config.token)
        .parse()
        .context("--token is not a valid header value")
}

/// `message` with the bearer credential.
pub(super) fn authorized<T>(authorization: &Authorization, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", authorization.clone());
    request
}

/// A new HTTP/2 connection to the target (each call is its own connection).
pub(super) async fn connect(config: &BenchConfig) -> anyhow::Result<Channel> {
    Endpoint::from(config.target.clone())
        .tcp_nodelay(true)
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
        .with_context(|| format!("connecting to {}", config.target))
}

/// Connections and fixtures for one scenario.
pub struct Driver {
    scenario: Scenario,
    channels: Vec<Channel>,
    http: HttpClient,
    base: String,
    authorization: Authorization,
    run: String,
    call_ids: CallIds,
    /// Numbers the calls across the warmup and the measurement, so every
    /// create has a call id of its own: restarting at 0 for the measurement
    /// would replay the warmup's call ids as finds, not inserts.
    calls: AtomicU64,
    /// A resource created up front, for scenarios that read one.
    fixture: String,
}

impl Driver {
    /// Opens the connections and creates any fixture the scenario reads.
    pub async fn connect(config: &BenchConfig, scenario: Scenario, run: &str) -> anyhow::Result<Driver> {
        let mut channels = Vec::with_capacity(config.connections.max(1));
        for _ in 0..config.connections.max(1) {
            channels.push(connect(config).await?);
        }
        let authorization = bearer(config)?;
        let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
        connector.set_nodelay(true);
        let http = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .pool_max_idle_per_host(config.concurrency.max(1))
            .build(connector);
        let mut driver = Driver {
            scenario,
            channels,
            http,
            base: config.target.to_string().trim_end_matches('/').to_owned(),
            authorization,
            run: run.to_owned(),
            call_ids: config.call_ids,
            calls: AtomicU64::new(0),
            fixture: String::new(),
        };
        if matches!(scenario, Scenario::GetInteraction | Scenario::ReplayInteraction) {
            let created = InteractionServiceClient::new(driver.channels[0].clone())
                .find_or_create_phone_call_interaction(
                    driver.authorized(find_phone_call(&format!("bench-{run}-fixture"))),
                )
                .await
                .context("creating the fixture interaction (is --token valid?)")?;
            driver.fixture = created
                .into_inner()
                .interaction
                .map(|i| i.name)
                .unwrap_or_default();
        }
        Ok(driver)
    }

    /// The scenario driven.
    pub fn scenario(&self) -> Scenario {
        self.scenario
    }

    fn authorized<T>(&self, message: T) -> tonic::Request<T> {
        authorized(&self.authorization, message)
    }

    /// The call id of this run's call number `n`.
    fn call_id(&self, n: u64) -> String {
        self.call_ids.of(&self.run, n)
    }

    /// Makes the driver's next call, from `worker`; `Err` describes a
    /// failure.
    pub async fn call(&self, worker: usize) -> Result<(), String> {
        let n = self.calls.fetch_add(1, Ordering::Relaxed);
        let channel = self.channels[worker % self.channels.len()].clone();
        let outcome = match self.scenario {
            Scenario::Health => {
                let request = tonic::Request::new(tonic_health::pb::HealthCheckRequest::default());
                unary_discarding(channel, HEALTH_CHECK, request).await
            }
            Scenario::CreateInteraction => {
                let request = find_phone_call(&self.call_id(n));
                unary_discarding(channel, FIND_OR_CREATE, self.authorized(request)).await
            }
            Scenario::ReplayInteraction => {
                let request = find_phone_call(&format!("bench-{}-fixture", self.run));
                unary_discarding(channel, FIND_OR_CREATE, self.authorized(request)).await
            }
            Scenario::GetInteraction => {
                let request = pb::GetInteractionRequest {
                    name: self.fixture.clone(),
                };
                unary_discarding(channel, GET_INTERACTION, self.authorized(request)).await
            }
            Scenario::ListInteractions | Scenario::ListInteractionsPage => {
                let request = pb::ListInteractionsRequest {
                    page_size: 20,
                    skip_total_size: self.scenario == Scenario::ListInteractionsPage,
                    ..Default::default()
                };
                unary_discarding(channel, LIST_INTERACTIONS, self.authorized(request)).await
            }
            Scenario::RestFindPhoneCall => {
                // Written as text, as a client with a fixed request shape
                // would; call ids are letters, digits and dashes, so nothing
                // needs escaping.
                let body = format!(
                    r#"{{"operationName":"FindPhoneCall","callId":"{}","status":"InProgress","phoneNumber":"15550100","type":"Inbound"}}"#,
                    self.call_id(n)
                );
                return self.post_json("/api/v2/ucs/interactions", body.into()).await;
            }
            Scenario::FindPhoneCallAndPublish => {
                let request = find_phone_call(&self.call_id(n));
                let found = InteractionServiceClient::new(channel.clone())
                    .find_or_create_phone_call_interaction(self.authorized(request))
                    .await
                    .map_err(|status| format!("{:?}: {}", status.code(), status.message()))?
                    .into_inner();
                // The result message the facade publishes, built by its code.
                let message = serde_json::to_value(genesys::convert::created(&found));
                let Ok(serde_json::Value::Object(message)) = message else {
                    return Err("the FindPhoneCall result is not a JSON object".to_owned());
                };
                let request = pb::PublishNotificationRequest {
                    topic: genesys::interactions::UCS_TOPIC.to_owned(),
                    data: Some(json_to_struct(&message)),
                };
                unary_discarding(channel, PUBLISH_NOTIFICATION, self.authorized(request)).await
            }
            Scenario::CreatePhoneCall => {
                let request = pb::CreatePhoneCallRequest {
                    r#type: pb::phone_call::Type::Simple.into(),
                    extension: "0003*210".to_owned(),
                    source: vec!["0003*210".to_owned()],
                    destination: vec!["3235742879".to_owned()],
                    wait_for_pickup: Some(prost_types::Duration {
                        seconds: 3600,
                        nanos: 0,
                    }),
                    ..Default::default()
                };
                unary_discarding(channel, CREATE_PHONE_CALL, self.authorized(request)).await
            }
            Scenario::RestCreatePhoneCall => {
                let body = bytes::Bytes::from_static(
                    br#"{"extension":"0003*210","source":["0003*210"],"destination":["3235742879"]}"#,
                );
                return self
                    .post_json("/uapi/phoneCalls/@me/simple?waitForPickup=3600", body)
                    .await;
            }
            Scenario::WatchFanout => unreachable!("watch-fanout is measured by bench::fanout"),
        };
        outcome.map_err(|status| format!("{:?}: {}", status.code(), status.message()))
    }

    /// POSTs JSON with the bearer token; any status other than 200 is an error.
    async fn post_json(&self, path: &str, body: bytes::Bytes) -> Result<(), String> {
        use http_body_util::BodyExt;
        let request = http::Request::post(format!("{}{path}", self.base))
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::AUTHORIZATION, self.authorization.as_bytes())
            .body(http_body_util::Full::new(body))
            .map_err(|e| e.to_string())?;
        let response = self.http.request(request).await.map_err(|e| e.to_string())?;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        if status == http::StatusCode::OK {
            Ok(())
        } else {
            Err(format!("HTTP {status}: {}", String::from_utf8_lossy(&bytes)))
        }
    }
}

const HEALTH_CHECK: &str = "/grpc.health.v1.Health/Check";
const FIND_OR_CREATE: &str = "/switchboard.v1.InteractionService/FindOrCreatePhoneCallInteraction";
const GET_INTERACTION: &str = "/switchboard.v1.InteractionService/GetInteraction";
const LIST_INTERACTIONS: &str = "/switchboard.v1.InteractionService/ListInteractions";
const CREATE_PHONE_CALL: &str = "/switchboard.v1.PhoneCallService/CreatePhoneCall";
const PUBLISH_NOTIFICATION: &str = "/switchboard.v1.EventService/PublishNotification";

/// Makes a unary call whose response message is not decoded: a measured
/// call needs only its status (from the trailers), so, like h2load, the
/// load generator spends no CPU building messages it would drop, and the
/// server's share of the shared cores is what the ratios compare.
async fn unary_discarding<M>(
    channel: Channel,
    path: &'static str,
    request: tonic::Request<M>,
) -> Result<(), Status>
where
    M: prost::Message + Send + Sync + 'static,
{
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready()
        .await
        .map_err(|e| Status::unavailable(format!("connection not ready: {e}")))?;
    grpc.unary(
        request,
        PathAndQuery::from_static(path),
        DiscardResponse(PhantomData),
    )
    .await
    .map(drop)
}

/// Encodes requests with prost; see [`DiscardBody`] for responses.
struct DiscardResponse<M>(PhantomData<M>);

impl<M: prost::Message + Send + 'static> Codec for DiscardResponse<M> {
    type Encode = M;
    type Decode = ();
    type Encoder = tonic_prost::ProstEncoder<M>;
    type Decoder = DiscardBody;

    fn encoder(&mut self) -> Self::Encoder {
        tonic_prost::ProstEncoder::default()
    }

    fn decoder(&mut self) -> Self::Decoder {
        DiscardBody
    }
}

/// Accepts a response message's bytes (already framed by tonic) and drops
/// them.
struct DiscardBody;

impl Decoder for DiscardBody {
    type Item = ();
    type Error = Status;

    fn decode(&mut self, body: &mut DecodeBuf<'_>) -> Result<Option<()>, Status> {
        body.advance(body.remaining());
        Ok(Some(()))
    }
}

fn find_phone_call(call_id: &str) -> pb::FindOrCreatePhoneCallInteractionRequest {
    pb::FindOrCreatePhoneCallInteractionRequest {
        call_id: call_id.to_owned(),
        state: pb::interaction::State::InProcess.into(),
        phone_number: "15550100".to_owned(),
        r#type: pb::interaction::Type::Inbound.into(),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::CallIds;

    #[test]
    fn scattered_call_ids_are_distinct_and_out_of_order() {
        let ids: Vec<String> = (0..10_000).map(|n| CallIds::Scattered.of("r", n)).collect();
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
        let ascending = ids.windows(2).filter(|pair| pair[0] < pair[1]).count();
        assert!(
            (3_000..7_000).contains(&ascending),
            "{ascending} of 9,999 neighbours ascend; sequential ids would all"
        );
        assert_eq!(CallIds::Sequential.of("r", 7), "bench-r-7");
    }
}
