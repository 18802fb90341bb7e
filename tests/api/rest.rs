//! The one port also answers plain HTTP: unknown routes, body limits.

use crate::helpers::{Backend, TestApp};

#[tokio::test]
async fn unknown_routes_get_a_json_404_over_http1() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let response = reqwest::get(format!("{}/no/such/route", app.url()))
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let app = TestApp::start(crate::helpers::TestDatabase::new(Backend::Sqlite), |c| {
        c.max_request_bytes = 1024;
    })
    .await;
    let response = reqwest::Client::new()
        .post(format!("{}/anything", app.url()))
        .header("content-type", "application/json")
        .body(vec![b' '; 4096])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
}
