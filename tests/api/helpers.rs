//! Spawning servers for tests, on either store.
//!
//! PostgreSQL tests use `SWITCHBOARD_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`) and give every test server its
//! own schema, dropped afterwards, so runs never see each other's rows. When
//! PostgreSQL is unreachable the PostgreSQL variant of each test says so
//! loudly and is skipped, except under `CI=true`, where it fails.

#![allow(dead_code, reason = "each test module uses a different subset")]

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use switchboard::auth::token::IssuedToken;
use switchboard::config::{DatabaseConfig, ServeConfig};
use switchboard::domain::caller::User;
use switchboard::domain::ids::{TenantId, UserId};
use switchboard::events::Hub;
use switchboard::pb::interaction_service_client::InteractionServiceClient;
use switchboard::pb::phone_call_service_client::PhoneCallServiceClient;
use switchboard::server::Server;
use switchboard::store::{DatabaseUrl, Store};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;

/// Which store a test server runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates `sqlite` and `postgres` variants of a test written once as
/// `async fn name(backend: Backend)`.
#[macro_export]
macro_rules! both_backends {
    ($(async fn $name:ident($backend:ident: Backend) $body:block)+) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn run($backend: $crate::helpers::Backend) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    run($crate::helpers::Backend::Sqlite).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if $crate::helpers::postgres_ready(concat!(module_path!(), "::postgres")).await {
                        run($crate::helpers::Backend::Postgres).await
                    }
                }
            }
        )+
    };
}

fn postgres_url() -> String {
    std::env::var("SWITCHBOARD_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// Whether the PostgreSQL variant of `test` can run. Prints a loud notice
/// when it is skipped; panics under `CI=true` instead of skipping.
pub async fn postgres_ready(test: &str) -> bool {
    static REACHABLE: OnceLock<bool> = OnceLock::new();
    let reachable = match REACHABLE.get() {
        Some(reachable) => *reachable,
        None => {
            let mut options = sea_orm::ConnectOptions::new(postgres_url());
            options
                .connect_timeout(Duration::from_secs(3))
                .acquire_timeout(Duration::from_secs(3))
                .sqlx_logging(false);
            let ok = match sea_orm::Database::connect(options).await {
                Ok(db) => db.ping().await.is_ok(),
                Err(_) => false,
            };
            *REACHABLE.get_or_init(|| ok)
        }
    };
    if reachable {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true but PostgreSQL is unreachable at {}", postgres_url());
    }
    eprintln!(
        "\n!!!! SKIPPED {test}: PostgreSQL unreachable at {} (set SWITCHBOARD_TEST_POSTGRES_URL; under CI=true this fails) !!!!\n",
        postgres_url()
    );
    false
}

/// Where a test server keeps its data; removed on drop.
pub struct TestDatabase {
    pub config: DatabaseConfig,
    _dir: Option<tempfile::TempDir>,
    schema: Option<String>,
}

impl TestDatabase {
    /// A fresh, empty database on `backend`.
    pub fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("switchboard.db").display()
                );
                Self {
                    config: DatabaseConfig::new(url.parse().expect("sqlite url")),
                    _dir: Some(dir),
                    schema: None,
                }
            }
            Backend::Postgres => {
                let schema = format!("test_{}", uuid::Uuid::new_v4().simple());
                let url: DatabaseUrl = postgres_url().parse().expect("postgres url");
                let mut config = DatabaseConfig::new(url);
                config.database_schema = Some(schema.clone());
                config.database_max_connections = 8;
                Self {
                    config,
                    _dir: None,
                    schema: Some(schema),
                }
            }
        }
    }

    /// The same database for a second server. The original keeps owning
    /// it (and removes it when dropped), so it must outlive the share.
    pub fn share(&self) -> TestDatabase {
        TestDatabase {
            config: self.config.clone(),
            _dir: None,
            schema: None,
        }
    }

    /// The SQLite file, for SQLite databases.
    pub fn sqlite_path(&self) -> Option<std::path::PathBuf> {
        self._dir.as_ref().map(|d| d.path().join("switchboard.db"))
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(schema) = self.schema.take() else {
            return;
        };
        // Drop runs outside any async context we may block; use a thread
        // with its own runtime.
        let url = postgres_url();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async move {
                use sea_orm::ConnectionTrait;
                let db = sea_orm::Database::connect(url).await.ok()?;
                db.execute_unprepared(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                    .await
                    .ok()?;
                db.close().await.ok()
            })
        })
        .join();
    }
}

/// A running server and what tests need to talk to it.
pub struct TestApp {
    pub addr: SocketAddr,
    pub store: Store,
    /// The server's event hub (how far it has dispatched).
    pub hub: Hub,
    /// A token of user `alice` in tenant `acme`.
    pub token: String,
    pub channel: Channel,
    pub database: TestDatabase,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    /// A server on a fresh database of `backend`.
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::start(TestDatabase::new(backend), |_| {}).await
    }

    /// A server on `database`, with `tweak` applied to its configuration.
    pub async fn start(database: TestDatabase, tweak: impl FnOnce(&mut ServeConfig)) -> TestApp {
        let mut config = ServeConfig::new("127.0.0.1:0".parse().unwrap(), database.config.clone());
        tweak(&mut config);
        let server = Server::build(config).await.expect("server starts");
        let addr = server.local_addr();
        let store = server.store().clone();
        let hub = server.hub().clone();
        let (shutdown, signal) = oneshot::channel();
        let task = tokio::spawn(server.run(async move {
            let _ = signal.await;
        }));
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect_lazy();
        let mut app = TestApp {
            addr,
            store,
            hub,
            token: String::new(),
            channel,
            database,
            shutdown: Some(shutdown),
            task: Some(task),
        };
        app.token = app.issue_token("acme", "alice").await;
        app
    }

    /// Issues a token for `user` of `tenant`.
    pub async fn issue_token(&self, tenant: &str, user: &str) -> String {
        let token = IssuedToken::generate();
        let user = User {
            id: UserId::parse(user).unwrap(),
            user_name: user.to_owned(),
            first_name: None,
            last_name: None,
        };
        self.store
            .insert_token(
                &TenantId::parse(tenant).unwrap(),
                &user,
                token.id(),
                &token.secret_sha256(),
            )
            .await
            .expect("token stored");
        token.to_string()
    }

    /// Stops the server, waiting for it to drain, and returns its database.
    pub async fn stop(mut self) -> TestDatabase {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server ran");
        }
        // `TestApp` implements `Drop`, so move the database out explicitly.
        std::mem::replace(
            &mut self.database,
            TestDatabase {
                config: DatabaseConfig::new("sqlite://unused".parse().unwrap()),
                _dir: None,
                schema: None,
            },
        )
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// An `EventService` client.
    pub fn events(&self) -> switchboard::pb::event_service_client::EventServiceClient<Channel> {
        switchboard::pb::event_service_client::EventServiceClient::new(self.channel.clone())
    }

    /// An `InteractionService` client.
    pub fn interactions(&self) -> InteractionServiceClient<Channel> {
        InteractionServiceClient::new(self.channel.clone())
    }

    /// A `PhoneCallService` client.
    pub fn phone_calls(&self) -> PhoneCallServiceClient<Channel> {
        PhoneCallServiceClient::new(self.channel.clone())
    }

    /// The outbox rows about `resource`, oldest first, as
    /// `(event_type, change)`.
    pub async fn events_of(&self, resource: &str) -> Vec<(String, String)> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
        use switchboard::store::entity::event;
        event::Entity::find()
            .filter(event::Column::Resource.eq(resource))
            .order_by_asc(event::Column::Seq)
            .all(self.store.reader())
            .await
            .expect("events readable")
            .into_iter()
            .map(|e| (e.event_type, e.change))
            .collect()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// `message` with `token` as bearer credential.
pub fn authed<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

/// A minimal valid find-or-create request for `call_id`.
pub fn find_phone_call(call_id: &str) -> switchboard::pb::FindOrCreatePhoneCallInteractionRequest {
    use switchboard::pb::interaction::{State, Type};
    switchboard::pb::FindOrCreatePhoneCallInteractionRequest {
        call_id: call_id.to_owned(),
        state: State::InProcess.into(),
        phone_number: "1231231231".to_owned(),
        r#type: Type::Inbound.into(),
        ..Default::default()
    }
}

/// The command of an independent client the suite drives: `$env`, else
/// `default` on the PATH, if running it with `version_flag` works. `.ci/run`
/// installs them; without one, the test says so loudly and skips, except
/// under `CI=true`, where it fails.
pub fn external_tool(env: &str, default: &str, version_flag: &str) -> Option<String> {
    let tool = std::env::var(env).unwrap_or_else(|_| default.to_owned());
    if std::process::Command::new(&tool)
        .arg(version_flag)
        .output()
        .is_ok()
    {
        return Some(tool);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but {default} ({tool}) is not installed"
    );
    eprintln!("\n!!!! SKIPPED: no {default} binary (set {env}) !!!!\n");
    None
}
