//! Configuration, from flags and `SWITCHBOARD_*` environment variables (the
//! database URL also from `DATABASE_URL`). Every option's doc comment is its
//! `--help` text.

use std::net::SocketAddr;
use std::time::Duration;

use crate::store::{DatabaseUrl, SqliteSync, StoreOptions};

/// Where and how to store data.
#[derive(clap::Args, Clone, Debug)]
pub struct DatabaseConfig {
    /// Database URL: `sqlite://FILE?mode=rwc` (created if missing) or
    /// `postgres://USER:PASSWORD@HOST:PORT/DB`. Several instances may share
    /// one PostgreSQL database; a SQLite file belongs to one instance.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://switchboard.db?mode=rwc"
    )]
    pub database_url: DatabaseUrl,

    /// PostgreSQL only: keep all tables in this schema (created if missing).
    #[arg(long, env = "SWITCHBOARD_DATABASE_SCHEMA")]
    pub database_schema: Option<String>,

    /// Size of the PostgreSQL connection pool, or of the SQLite reader pool.
    #[arg(long, env = "SWITCHBOARD_DATABASE_MAX_CONNECTIONS", default_value_t = 16)]
    pub database_max_connections: u32,

    /// SQLite durability: `normal` survives a process crash (the last commits
    /// may be lost on power failure); `full` syncs every commit and survives
    /// power loss. Concurrent writes are committed in batches either way.
    #[arg(
        long,
        env = "SWITCHBOARD_SQLITE_SYNCHRONOUS",
        value_enum,
        default_value = "normal"
    )]
    pub sqlite_synchronous: SqliteSync,
}

impl DatabaseConfig {
    /// The store options these settings describe.
    pub fn store_options(&self) -> StoreOptions {
        StoreOptions {
            url: self.database_url.clone(),
            schema: self.database_schema.clone(),
            max_connections: self.database_max_connections,
            sqlite_sync: self.sqlite_synchronous,
        }
    }
}

/// Settings of `switchboard serve`.
#[derive(clap::Args, Clone, Debug)]
pub struct ServeConfig {
    /// Address to serve gRPC and the REST dialects on (one port; use port 0
    /// for any free port).
    #[arg(long, env = "SWITCHBOARD_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,

    /// The database.
    #[command(flatten)]
    pub database: DatabaseConfig,

    /// Send REST dialect traffic to the gRPC API of another Switchboard at
    /// this URL (e.g. `http://core:50051`) instead of this process's own.
    #[arg(long, env = "SWITCHBOARD_GRPC_UPSTREAM")]
    pub grpc_upstream: Option<http::Uri>,

    /// Largest accepted REST request body or gRPC request message, in bytes.
    /// Larger REST bodies get 413; larger gRPC messages RESOURCE_EXHAUSTED.
    #[arg(long, env = "SWITCHBOARD_MAX_REQUEST_BYTES", default_value_t = 1024 * 1024)]
    pub max_request_bytes: usize,

    /// Most unary requests (gRPC and REST, each) served at once; more are
    /// refused at once with RESOURCE_EXHAUSTED / HTTP 429 and a retry hint.
    /// Streams and long-polls are not counted.
    #[arg(long, env = "SWITCHBOARD_MAX_IN_FLIGHT", default_value_t = 2048)]
    pub max_in_flight: usize,

    /// Longest any unary request may run; a shorter client `grpc-timeout`
    /// wins. Exceeding it is DEADLINE_EXCEEDED.
    #[arg(long, env = "SWITCHBOARD_REQUEST_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub request_timeout: Duration,

    /// On SIGTERM or Ctrl-C, how long to let in-flight requests finish
    /// before closing the remaining connections (e.g. `10s`, `500ms`).
    #[arg(long, env = "SWITCHBOARD_DRAIN_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub drain_timeout: Duration,

    /// Live events: `Watch` streams and the CometD endpoint.
    #[command(flatten)]
    pub events: EventsConfig,
}

/// Settings of live events (`EventService.Watch`, CometD at
/// `/api/v2/notifications`).
#[derive(clap::Args, Clone, Debug)]
pub struct EventsConfig {
    /// Events queued for one live `Watch` subscriber; one that falls further
    /// behind is ended with RESOURCE_EXHAUSTED and resumes from its cursor.
    #[arg(long, env = "SWITCHBOARD_WATCH_BUFFER", default_value_t = 1024)]
    pub watch_buffer: usize,

    /// How often the outbox is read without a wake-up (a safety net for
    /// lost PostgreSQL notifications), e.g. `1s`.
    #[arg(long, env = "SWITCHBOARD_EVENTS_POLL_INTERVAL", default_value = "1s", value_parser = parse_duration)]
    pub events_poll_interval: Duration,

    /// CometD: how long a `/meta/connect` long-poll is held (advice
    /// `timeout`).
    #[arg(long, env = "SWITCHBOARD_COMETD_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub cometd_timeout: Duration,

    /// CometD: the client's pause between connects (advice `interval`).
    #[arg(long, env = "SWITCHBOARD_COMETD_INTERVAL", default_value = "0s", value_parser = parse_duration)]
    pub cometd_interval: Duration,

    /// CometD: a client that sends no `/meta/connect` for this long after
    /// its last one ended is dropped (`402 Unknown Client ID` afterwards).
    #[arg(long, env = "SWITCHBOARD_COMETD_MAX_INTERVAL", default_value = "10s", value_parser = parse_duration)]
    pub cometd_max_interval: Duration,

    /// CometD: messages queued for one client between its connects; while
    /// full, the session stops reading its event stream (and later resumes
    /// it from its cursor), so nothing is lost and memory stays bounded.
    #[arg(long, env = "SWITCHBOARD_COMETD_MAX_QUEUE", default_value_t = 1000)]
    pub cometd_max_queue: usize,

    /// CometD: most concurrent client sessions; further handshakes are
    /// refused.
    #[arg(long, env = "SWITCHBOARD_COMETD_MAX_SESSIONS", default_value_t = 10_000)]
    pub cometd_max_sessions: usize,
}

impl Default for EventsConfig {
    fn default() -> Self {
        Self {
            watch_buffer: 1024,
            events_poll_interval: Duration::from_secs(1),
            cometd_timeout: Duration::from_secs(30),
            cometd_interval: Duration::ZERO,
            cometd_max_interval: Duration::from_secs(10),
            cometd_max_queue: 1000,
            cometd_max_sessions: 10_000,
        }
    }
}

impl EventsConfig {
    /// The CometD settings these describe.
    pub fn cometd_config(&self) -> crate::facade::cometd::CometdConfig {
        crate::facade::cometd::CometdConfig {
            timeout: self.cometd_timeout,
            interval: self.cometd_interval,
            max_interval: self.cometd_max_interval,
            max_queue: self.cometd_max_queue.max(1),
            max_sessions: self.cometd_max_sessions,
            ..Default::default()
        }
    }

    /// The hub settings these describe.
    pub fn hub_config(&self) -> crate::events::HubConfig {
        crate::events::HubConfig {
            subscriber_buffer: self.watch_buffer.max(1),
            fallback_poll: self.events_poll_interval.max(Duration::from_millis(10)),
            ..Default::default()
        }
    }
}

impl ServeConfig {
    /// Defaults for everything but the listen address and database: what
    /// tests and embedders start from.
    pub fn new(listen: SocketAddr, database: DatabaseConfig) -> Self {
        Self {
            listen,
            database,
            grpc_upstream: None,
            max_request_bytes: 1024 * 1024,
            max_in_flight: 2048,
            request_timeout: Duration::from_secs(30),
            drain_timeout: Duration::from_secs(10),
            events: EventsConfig::default(),
        }
    }
}

impl DatabaseConfig {
    /// Settings for `url` with every other option at its default.
    pub fn new(url: DatabaseUrl) -> Self {
        Self {
            database_url: url,
            database_schema: None,
            database_max_connections: 16,
            sqlite_synchronous: SqliteSync::Normal,
        }
    }
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text).map_err(|e| e.to_string())
}
