//! CometD sessions: one per successful handshake, identified by a 128-bit
//! random client id and bound to the handshake's credential (so to its
//! tenant and user). Each session is fed by its own gRPC
//! `EventService.Watch`, opened with that credential through
//! [`Upstream`], and resumed from the last sequence it received whenever the
//! stream breaks (overflow, server restart behind `--grpc-upstream`, …).
//!
//! Memory per session is bounded: the feed waits while the session's queue
//! (`max_queue` messages) is full, which leaves the backlog in the outbox;
//! if the Watch overflows meanwhile, the feed resumes it from its cursor.
//! A session nobody connects to for `max_interval` is dropped by the
//! sweeper, as if it had disconnected.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use serde_json::Value;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;
use tonic::Streaming;

use super::CometdConfig;
use super::channel::Pattern;
use super::convert::delivery;
use super::error::{handshake_failure, resumable};
use super::protocol::Reconnect;
use crate::api::events::AFTER_SEQUENCE_HEADER;
use crate::facade::Upstream;
use crate::facade::upstream::{authorized, boxed};
use crate::pb;

/// Most messages returned by one `/meta/connect`.
const MAX_BATCH: usize = 256;

/// Every live session of this process.
#[derive(Debug)]
pub struct Sessions {
    map: Mutex<HashMap<String, Arc<Session>>>,
    /// The settings in force.
    pub config: CometdConfig,
    upstream: Upstream,
    /// Cancelled when the server shuts down.
    pub shutdown: CancellationToken,
}

/// One client session.
#[derive(Debug)]
pub struct Session {
    /// The client id.
    pub id: String,
    credential: [u8; 32],
    subscriptions: RwLock<Vec<Pattern>>,
    queue: tokio::sync::Mutex<mpsc::Receiver<Value>>,
    /// Incremented by every connect; a held connect that sees it move has
    /// been superseded.
    connects: AtomicU64,
    takeover: Notify,
    activity: Mutex<Activity>,
    /// Cancelled when the session ends (disconnect, expiry, refused
    /// credential).
    ended: CancellationToken,
}

#[derive(Debug)]
struct Activity {
    /// Connects in progress.
    connecting: u32,
    /// When the last connect ended (or the handshake happened).
    last: Instant,
}

/// What a connect returns.
#[derive(Debug)]
pub struct Connected {
    /// Messages to deliver.
    pub messages: Vec<Value>,
    /// What the client should do next.
    pub reconnect: Reconnect,
}

/// SHA-256 of a credential, so sessions never keep two copies to compare.
pub fn fingerprint(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Sessions {
    /// An empty registry; starts the expiry sweeper.
    pub fn start(upstream: Upstream, config: CometdConfig, shutdown: CancellationToken) -> Arc<Sessions> {
        let sessions = Arc::new(Sessions {
            map: Mutex::new(HashMap::new()),
            config,
            upstream,
            shutdown,
        });
        tokio::spawn(sweep(
            Arc::downgrade(&sessions),
            sessions.shutdown.clone(),
            sessions.config.max_interval,
        ));
        sessions
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Session>>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Opens a session for `token`: its Watch must start, which is what
    /// checks the credential. `base_uri` is how the client addressed the
    /// server (interaction resources carry absolute `uri`s).
    pub async fn handshake(
        self: &Arc<Self>,
        token: String,
        base_uri: String,
    ) -> Result<Arc<Session>, (String, Reconnect)> {
        if self.lock().len() >= self.config.max_sessions {
            return Err((
                super::protocol::errors::unavailable("Too many sessions"),
                Reconnect::Retry,
            ));
        }
        let (stream, after) = open_watch(&self.upstream, &token, None)
            .await
            .map_err(|status| handshake_failure(&status))?;
        let (sender, receiver) = mpsc::channel(self.config.max_queue.max(1));
        let session = Arc::new(Session {
            id: format!("{:032x}", rand::random::<u128>()),
            credential: fingerprint(&token),
            subscriptions: RwLock::new(Vec::new()),
            queue: tokio::sync::Mutex::new(receiver),
            connects: AtomicU64::new(0),
            takeover: Notify::new(),
            activity: Mutex::new(Activity {
                connecting: 0,
                last: Instant::now(),
            }),
            ended: CancellationToken::new(),
        });
        self.lock().insert(session.id.clone(), session.clone());
        tokio::spawn(feed(
            self.clone(),
            session.clone(),
            Feed { token, base_uri },
            stream,
            after,
            sender,
        ));
        Ok(session)
    }

    /// The session `id`, if it is live and `credential` (when the request
    /// carried one) is the one it was opened with.
    pub fn get(&self, id: &str, credential: Option<&str>) -> Option<Arc<Session>> {
        let session = self.lock().get(id).cloned()?;
        match credential {
            Some(token) if !bool::from(fingerprint(token).ct_eq(&session.credential)) => None,
            _ => Some(session),
        }
    }

    /// Ends session `id`.
    pub fn remove(&self, id: &str) {
        if let Some(session) = self.lock().remove(id) {
            session.ended.cancel();
        }
    }
}

impl Session {
    /// Adds a subscription (idempotent).
    pub fn subscribe(&self, pattern: Pattern) {
        let mut subscriptions = self.subscriptions.write().unwrap_or_else(|e| e.into_inner());
        if !subscriptions.contains(&pattern) {
            subscriptions.push(pattern);
        }
    }

    /// Removes a subscription.
    pub fn unsubscribe(&self, pattern: &Pattern) {
        self.subscriptions
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|p| p != pattern);
    }

    /// Whether a message on `channel` is for this client.
    pub fn subscribed(&self, channel: &str) -> bool {
        self.subscriptions
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .any(|p| p.matches(channel))
    }

    /// Whether the session has ended.
    pub fn is_ended(&self) -> bool {
        self.ended.is_cancelled()
    }

    /// A `/meta/connect`: answers at once with queued messages, else holds
    /// for `hold` until one arrives, another connect supersedes this one,
    /// the session ends, or the server shuts down.
    pub async fn connect(&self, hold: Duration, shutdown: &CancellationToken) -> Connected {
        let _guard = ConnectGuard::new(self);
        let generation = self.connects.fetch_add(1, Ordering::SeqCst) + 1;
        // One outstanding connect per client: answer the previous one now.
        self.takeover.notify_waiters();
        let mut queue = tokio::select! {
            queue = self.queue.lock() => queue,
            () = shutdown.cancelled() => return self.connected(Vec::new(), shutdown),
            () = self.ended.cancelled() => return self.connected(Vec::new(), shutdown),
        };
        let superseded = self.takeover.notified();
        tokio::pin!(superseded);
        superseded.as_mut().enable();
        let mut messages = Vec::new();
        drain(&mut queue, &mut messages);
        let current = self.connects.load(Ordering::SeqCst) == generation;
        if messages.is_empty() && !hold.is_zero() && current && !self.is_ended() {
            tokio::select! {
                message = queue.recv() => {
                    if let Some(message) = message {
                        messages.push(message);
                        drain(&mut queue, &mut messages);
                    }
                }
                () = tokio::time::sleep(hold) => {}
                () = &mut superseded => {}
                () = shutdown.cancelled() => {}
                () = self.ended.cancelled() => {}
            }
        }
        self.connected(messages, shutdown)
    }

    fn connected(&self, messages: Vec<Value>, shutdown: &CancellationToken) -> Connected {
        let reconnect = if self.is_ended() && !shutdown.is_cancelled() {
            Reconnect::Handshake
        } else {
            Reconnect::Retry
        };
        let messages = if self.is_ended() { Vec::new() } else { messages };
        Connected { messages, reconnect }
    }

    fn activity(&self) -> std::sync::MutexGuard<'_, Activity> {
        self.activity.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn drain(queue: &mut mpsc::Receiver<Value>, into: &mut Vec<Value>) {
    while into.len() < MAX_BATCH {
        match queue.try_recv() {
            Ok(message) => into.push(message),
            Err(_) => break,
        }
    }
}

/// Counts a connect in progress for expiry, even if the HTTP request is
/// dropped mid-hold.
struct ConnectGuard<'a>(&'a Session);

impl<'a> ConnectGuard<'a> {
    fn new(session: &'a Session) -> Self {
        session.activity().connecting += 1;
        Self(session)
    }
}

impl Drop for ConnectGuard<'_> {
    fn drop(&mut self) {
        let mut activity = self.0.activity();
        activity.connecting = activity.connecting.saturating_sub(1);
        activity.last = Instant::now();
    }
}

/// Drops sessions with no connect in progress and none for `max_interval`.
async fn sweep(sessions: std::sync::Weak<Sessions>, shutdown: CancellationToken, max_interval: Duration) {
    let period = (max_interval / 4).clamp(Duration::from_millis(50), Duration::from_millis(997));
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(period) => {}
        }
        let Some(sessions) = sessions.upgrade() else {
            return;
        };
        let expired: Vec<String> = sessions
            .lock()
            .values()
            .filter(|s| {
                let activity = s.activity();
                activity.connecting == 0 && activity.last.elapsed() > max_interval
            })
            .map(|s| s.id.clone())
            .collect();
        for id in expired {
            tracing::debug!(client_id = %id, "CometD session expired");
            sessions.remove(&id);
        }
    }
}

/// Opens the session's Watch (interactions and notifications) after
/// `after`, or from now; returns the stream and the cursor it starts after.
fn open_watch(upstream: &Upstream, token: &str, after: Option<i64>) -> BoxFuture<'static, Watched> {
    let message = pb::WatchRequest {
        after_sequence: after,
        resource_types: vec![
            pb::event::ResourceType::Interaction.into(),
            pb::event::ResourceType::Notification.into(),
        ],
        resource: String::new(),
    };
    let mut request = authorized(message, token);
    // A stream has no deadline; the unary default would cut it.
    request.metadata_mut().remove("grpc-timeout");
    let mut client = upstream.events.clone();
    Box::pin(async move {
        let response = boxed(client.watch(request)).await?;
        let started = response
            .metadata()
            .get(AFTER_SEQUENCE_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        Ok((response.into_inner(), after.or(started)))
    })
}

/// A started Watch and the cursor it starts after, or why it did not start.
type Watched = Result<(Streaming<pb::Event>, Option<i64>), tonic::Status>;

/// What a session's feed needs from its handshake.
struct Feed {
    /// The credential its Watch runs with.
    token: String,
    /// How the client addressed the server.
    base_uri: String,
}

/// Moves the session's events into its queue, resuming the Watch from the
/// last sequence seen when it breaks.
async fn feed(
    sessions: Arc<Sessions>,
    session: Arc<Session>,
    Feed { token, base_uri }: Feed,
    mut stream: Streaming<pb::Event>,
    mut cursor: Option<i64>,
    queue: mpsc::Sender<Value>,
) {
    let shutdown = sessions.shutdown.clone();
    let mut backoff = Duration::from_millis(50);
    loop {
        let item = tokio::select! {
            () = session.ended.cancelled() => return,
            () = shutdown.cancelled() => return,
            item = stream.message() => item,
        };
        match item {
            Ok(Some(event)) => {
                backoff = Duration::from_millis(50);
                cursor = Some(event.sequence);
                let Some(delivery) = delivery(&event, &base_uri) else {
                    continue;
                };
                if !session.subscribed(&delivery.channel) {
                    continue;
                }
                // Waits while the queue is full: the backlog stays in the
                // outbox (see the module docs).
                tokio::select! {
                    sent = queue.send(delivery.message) => if sent.is_err() { return },
                    () = session.ended.cancelled() => return,
                    () = shutdown.cancelled() => return,
                }
                continue;
            }
            Ok(None) => {}
            Err(status) if !resumable(&status) => {
                tracing::info!(client_id = %session.id, ?status, "CometD session ended: its Watch was refused");
                sessions.remove(&session.id);
                return;
            }
            Err(status) => {
                tracing::debug!(client_id = %session.id, ?status, "CometD session's Watch broke; resuming");
            }
        }
        // Resume from the cursor.
        loop {
            tokio::select! {
                () = session.ended.cancelled() => return,
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(5));
            match open_watch(&sessions.upstream, &token, cursor).await {
                Ok((resumed, after)) => {
                    stream = resumed;
                    cursor = after;
                    break;
                }
                Err(status) if !resumable(&status) => {
                    sessions.remove(&session.id);
                    return;
                }
                Err(status) => {
                    tracing::debug!(client_id = %session.id, ?status, "resuming the Watch failed; retrying");
                }
            }
        }
    }
}
