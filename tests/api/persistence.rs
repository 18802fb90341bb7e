//! Data survives restarts; migrations are idempotent.

use sea_orm::{ConnectionTrait, Statement};
use switchboard::pb::GetInteractionRequest;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, TestDatabase, authed, find_phone_call};

async fn applied_migrations(app: &TestApp) -> i64 {
    let db = app.store.reader();
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM seaql_migrations",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

both_backends! {
    async fn rows_survive_a_restart_and_migrations_rerun_cleanly(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let token = app.token.clone();
        let created = app
            .interactions()
            .find_or_create_phone_call_interaction(authed(find_phone_call("persist-1"), &token))
            .await
            .unwrap()
            .into_inner()
            .interaction
            .unwrap();
        let migrations = applied_migrations(&app).await;
        assert!(migrations >= 5);
        let database: TestDatabase = app.stop().await;

        // Same database, new process state: migrations run again (no-ops).
        let app = TestApp::start(database, |_| {}).await;
        assert_eq!(applied_migrations(&app).await, migrations);
        let fetched = app
            .interactions()
            .get_interaction(authed(GetInteractionRequest { name: created.name.clone() }, &token))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(fetched, created);
        let again = app
            .interactions()
            .find_or_create_phone_call_interaction(authed(find_phone_call("persist-1"), &token))
            .await
            .unwrap()
            .into_inner();
        assert!(!again.created);
    }
}

#[tokio::test]
async fn sqlite_runs_in_wal_mode() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let db = app.store.reader();
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "PRAGMA journal_mode",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get_by_index::<String>(0).unwrap(), "wal");
}
