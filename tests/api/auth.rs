//! Every API call needs a valid bearer token.

use switchboard::pb::GetInteractionRequest;
use tonic::Code;

use crate::helpers::{Backend, TestApp, authed, find_phone_call};

fn get(name: &str) -> GetInteractionRequest {
    GetInteractionRequest {
        name: name.to_owned(),
    }
}

#[tokio::test]
async fn missing_malformed_unknown_and_revoked_tokens_are_unauthenticated() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut client = app.interactions();

    let missing = client.get_interaction(get("interactions/x")).await.unwrap_err();
    assert_eq!(missing.code(), Code::Unauthenticated);
    assert!(missing.message().contains("Bearer"), "{}", missing.message());

    let unknown_token = switchboard::auth::token::IssuedToken::generate().to_string();
    for token in ["garbage", "swb_short", unknown_token.as_str()] {
        let status = client
            .get_interaction(authed(get("interactions/x"), token))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated, "{token}");
        assert_eq!(status.message(), "invalid or revoked token");
    }

    // A valid token works; a tampered secret does not.
    let created = client
        .find_or_create_phone_call_interaction(authed(find_phone_call("auth-1"), &app.token))
        .await
        .unwrap();
    assert!(created.get_ref().created);
    let mut tampered = app.token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'a' { 'b' } else { 'a' });
    let status = client
        .get_interaction(authed(get("interactions/x"), &tampered))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);

    // Revocation: a fresh token (never cached) stops working once revoked.
    let fresh = app.issue_token("acme", "bob").await;
    let id = &fresh["swb_".len().."swb_".len() + 12];
    assert!(app.store.revoke_token(id).await.unwrap());
    let status = client
        .get_interaction(authed(get("interactions/x"), &fresh))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn tokens_are_stored_hashed() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let bytes = std::fs::read(app.database.sqlite_path().unwrap()).unwrap();
    let wal = std::fs::read(app.database.sqlite_path().unwrap().with_extension("db-wal")).unwrap_or_default();
    let secret = &app.token["swb_".len() + 12..];
    for file in [&bytes, &wal] {
        assert!(
            !file.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "the token secret is stored in plain text"
        );
    }
}
