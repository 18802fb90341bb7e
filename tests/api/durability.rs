//! Durability under `kill -9`: drive writes at load against the real binary,
//! SIGKILL it mid-run, restart it on the same database, and check that every
//! acknowledged write is there, that in-flight writes landed whole or not at
//! all, and that each resource has exactly one `CREATED` outbox event.

use std::collections::HashSet;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::{ConnectionTrait, Statement};
use switchboard::pb::ListInteractionsRequest;
use switchboard::pb::interaction_service_client::InteractionServiceClient;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::both_backends;
use crate::helpers::{TestApp, TestDatabase, authed, find_phone_call};

/// A `switchboard serve` child process.
struct Process {
    child: Child,
    address: String,
}

async fn spawn_binary(database: &TestDatabase) -> Process {
    let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .arg("--database-url")
        .arg(database.config.database_url.expose())
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(schema) = &database.config.database_schema {
        command.arg("--database-schema").arg(schema);
    }
    let mut child = command.spawn().expect("switchboard binary starts");
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
    .expect("the server listens within 30 s");
    // Keep draining stderr so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Process { child, address }
}

async fn count(db: &impl ConnectionTrait, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

both_backends! {
    async fn acknowledged_creates_survive_kill_9(backend: Backend) {
        // An in-process server only to issue the token and inspect rows.
        let app = TestApp::spawn(backend).await;
        let token = app.token.clone();
        let database = app.stop().await;

        let acknowledged = Arc::new(Mutex::new(HashSet::new()));
        let attempted = Arc::new(Mutex::new(HashSet::new()));
        for cycle in 0..3 {
            let mut process = spawn_binary(&database).await;
            let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", process.address))
                .unwrap()
                .connect_lazy();
            let writers: Vec<_> = (0..16)
                .map(|writer| {
                    let (channel, token) = (channel.clone(), token.clone());
                    let (acknowledged, attempted) = (acknowledged.clone(), attempted.clone());
                    tokio::spawn(async move {
                        let mut client = InteractionServiceClient::new(channel);
                        for n in 0.. {
                            let call_id = format!("kill-{cycle}-{writer}-{n}");
                            attempted.lock().unwrap().insert(call_id.clone());
                            match client.find_or_create_phone_call_interaction(authed(find_phone_call(&call_id), &token)).await {
                                Ok(_) => {
                                    acknowledged.lock().unwrap().insert(call_id);
                                }
                                Err(_) => return, // the server is gone
                            }
                        }
                    })
                })
                .collect();
            tokio::time::sleep(Duration::from_millis(300 + 200 * cycle)).await;
            process.child.start_kill().unwrap(); // SIGKILL
            process.child.wait().await.unwrap();
            for writer in writers {
                writer.await.unwrap();
            }
        }

        let acknowledged = acknowledged.lock().unwrap().clone();
        assert!(acknowledged.len() > 50, "the load produced writes ({})", acknowledged.len());
        let app = TestApp::start(database, |_| {}).await;
        let mut client = app.interactions();
        let mut stored = HashSet::new();
        let mut page_token = String::new();
        loop {
            let page = client
                .list_interactions(authed(
                    ListInteractionsRequest { page_size: 1000, page_token, ..Default::default() },
                    &token,
                ))
                .await
                .unwrap()
                .into_inner();
            stored.extend(page.interactions.into_iter().map(|i| i.external_call_id));
            page_token = page.next_page_token;
            if page_token.is_empty() {
                break;
            }
        }
        let lost: Vec<_> = acknowledged.difference(&stored).collect();
        assert!(lost.is_empty(), "acknowledged writes lost after kill -9: {lost:?}");
        let attempted = attempted.lock().unwrap().clone();
        assert!(stored.is_subset(&attempted), "rows appeared that nobody wrote");

        // Whole or nothing: every interaction has exactly one CREATED event.
        let db = app.store.reader();
        let interactions = count(db, "SELECT COUNT(*) FROM interactions").await;
        assert_eq!(interactions as usize, stored.len());
        let created = count(db, "SELECT COUNT(*) FROM events WHERE resource_type = 'INTERACTION' AND event_type = 'CREATED'").await;
        assert_eq!(created, interactions, "one CREATED event per interaction");
        let orphans = count(
            db,
            "SELECT COUNT(*) FROM events e WHERE e.event_type = 'CREATED' AND e.resource_type = 'INTERACTION' \
             AND NOT EXISTS (SELECT 1 FROM interactions i WHERE 'interactions/' || i.id = e.resource)",
        )
        .await;
        assert_eq!(orphans, 0, "no event without its row");
    }
}
