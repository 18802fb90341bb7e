//! InteractionService over gRPC: find-or-create (idempotent, race-safe),
//! get, list, update, complete, and their errors.

use prost_types::FieldMask;
use switchboard::pb::interaction::State;
use switchboard::pb::{
    CompleteInteractionRequest, FindOrCreatePhoneCallInteractionRequest, GetInteractionRequest, Interaction,
    ListInteractionsRequest, UpdateInteractionRequest,
};
use tonic::Code;
use tonic_types::StatusExt;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, authed, find_phone_call};

fn field_violations(status: &tonic::Status) -> Vec<String> {
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

both_backends! {
    async fn concurrent_updates_lose_nothing(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let created = app
            .interactions()
            .find_or_create_phone_call_interaction(authed(find_phone_call("lost-update"), &app.token))
            .await
            .unwrap()
            .into_inner()
            .interaction
            .unwrap();
        let updates = (0..24).map(|i| {
            let mut client = app.interactions();
            let (token, name) = (app.token.clone(), created.name.clone());
            tokio::spawn(async move {
                let changes = Interaction { name, comment: format!("note {i}"), ..Default::default() };
                let request = UpdateInteractionRequest {
                    interaction: Some(changes),
                    update_mask: Some(FieldMask { paths: vec!["comment".into()] }),
                    etag: String::new(),
                };
                client.update_interaction(authed(request, &token)).await.unwrap().into_inner()
            })
        });
        let results = futures::future::join_all(updates).await;
        let etags: std::collections::HashSet<String> =
            results.into_iter().map(|r| r.unwrap().etag).collect();
        // Every update read the previous one's result: 24 distinct revisions.
        assert_eq!(etags.len(), 24, "concurrent updates overwrote each other");
    }

    async fn find_or_create_is_exactly_once_under_64_concurrent_calls(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let calls = (0..64).map(|_| {
            let mut client = app.interactions();
            let token = app.token.clone();
            tokio::spawn(async move {
                client
                    .find_or_create_phone_call_interaction(authed(find_phone_call("race-1"), &token))
                    .await
                    .map(|r| r.into_inner())
            })
        });
        let results = futures::future::join_all(calls).await;
        let responses: Vec<_> = results.into_iter().map(|r| r.unwrap().unwrap()).collect();
        assert_eq!(responses.iter().filter(|r| r.created).count(), 1);
        let ids: std::collections::HashSet<_> =
            responses.iter().map(|r| r.interaction.as_ref().unwrap().id.clone()).collect();
        assert_eq!(ids.len(), 1);
        let listed = app
            .interactions()
            .list_interactions(authed(
                ListInteractionsRequest { filter: r#"external_call_id = "race-1""#.into(), ..Default::default() },
                &app.token,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(listed.total_size, 1);
    }

    async fn list_filters_orders_and_pages(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let mut client = app.interactions();
        for i in 0..7 {
            let mut request = find_phone_call(&format!("page-{i}"));
            request.subject = format!("subject {i}");
            if i % 2 == 0 {
                request.state = State::New.into();
            }
            client.find_or_create_phone_call_interaction(authed(request, &app.token)).await.unwrap();
        }
        let list = |filter: &str, order_by: &str, page_size: i32, page_token: String| ListInteractionsRequest {
            filter: filter.to_owned(),
            order_by: order_by.to_owned(),
            page_size,
            page_token,
            ..Default::default()
        };
        let mut seen = Vec::new();
        let mut token = String::new();
        loop {
            let page = client
                .list_interactions(authed(list("", "create_time", 3, token), &app.token))
                .await
                .unwrap()
                .into_inner();
            assert_eq!(page.total_size, 7);
            seen.extend(page.interactions.into_iter().map(|i| i.external_call_id));
            token = page.next_page_token;
            if token.is_empty() {
                break;
            }
        }
        assert_eq!(seen, (0..7).map(|i| format!("page-{i}")).collect::<Vec<_>>());
        // Without the count: the same pages, total_size 0, and the last
        // token ends on the exact last page (7 = 3 + 3 + 1, and 6 = 3 + 3).
        for (page_size, pages) in [(3, 3), (1, 7), (7, 1)] {
            let (mut uncounted, mut token, mut fetched) = (Vec::new(), String::new(), 0);
            loop {
                let mut request = list("", "create_time", page_size, token);
                request.skip_total_size = true;
                let page = client.list_interactions(authed(request, &app.token)).await.unwrap().into_inner();
                fetched += 1;
                assert_eq!(page.total_size, 0);
                uncounted.extend(page.interactions.into_iter().map(|i| i.external_call_id));
                token = page.next_page_token;
                if token.is_empty() {
                    break;
                }
            }
            assert_eq!(uncounted, seen, "page size {page_size}");
            assert_eq!(fetched, pages, "page size {page_size}: no empty trailing page");
        }

        let new_ones = client
            .list_interactions(authed(list("state = STATE_NEW", "", 0, String::new()), &app.token))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(new_ones.total_size, 4);
        let prefixed = client
            .list_interactions(authed(list(r#"subject = "subject 1*" OR subject : "t 6""#, "", 0, String::new()), &app.token))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(prefixed.total_size, 2);

        let bad = client
            .list_interactions(authed(list("colour = red", "", 0, String::new()), &app.token))
            .await
            .unwrap_err();
        assert_eq!(bad.code(), Code::InvalidArgument);
        assert_eq!(field_violations(&bad), ["filter"]);
        let reused = client
            .list_interactions(authed(list("", "create_time", 3, String::new()), &app.token))
            .await
            .unwrap()
            .into_inner()
            .next_page_token;
        let mismatched = client
            .list_interactions(authed(list("", "start_time", 3, reused), &app.token))
            .await
            .unwrap_err();
        assert_eq!(field_violations(&mismatched), ["page_token"]);
    }

    async fn update_and_complete_follow_the_state_machine(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let mut client = app.interactions();
        let created = client
            .find_or_create_phone_call_interaction(authed(find_phone_call("sm-1"), &app.token))
            .await
            .unwrap()
            .into_inner()
            .interaction
            .unwrap();
        let update = |changes: Interaction, paths: &[&str], etag: &str| UpdateInteractionRequest {
            interaction: Some(changes),
            update_mask: Some(FieldMask { paths: paths.iter().map(|p| (*p).to_owned()).collect() }),
            etag: etag.to_owned(),
        };
        let changes = Interaction {
            name: created.name.clone(),
            comment: "called back".into(),
            subject: "ignored: not in the mask".into(),
            ..Default::default()
        };
        let updated = client
            .update_interaction(authed(update(changes, &["comment"], &created.etag), &app.token))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(updated.comment, "called back");
        assert_eq!(updated.subject, "");
        assert_ne!(updated.etag, created.etag);

        // A stale etag is refused.
        let stale = client
            .update_interaction(authed(
                update(Interaction { name: created.name.clone(), ..Default::default() }, &["comment"], &created.etag),
                &app.token,
            ))
            .await
            .unwrap_err();
        assert_eq!(stale.code(), Code::Aborted);

        // Going back to NEW is refused with the current state in the details.
        let back = client
            .update_interaction(authed(
                update(Interaction { name: created.name.clone(), state: State::New.into(), ..Default::default() }, &["state"], ""),
                &app.token,
            ))
            .await
            .unwrap_err();
        assert_eq!(back.code(), Code::FailedPrecondition);
        let info = back.get_details_error_info().unwrap();
        assert_eq!(info.metadata["currentState"], "IN_PROCESS");

        let user_data = prost_types::Struct {
            fields: [("disposition".to_owned(), prost_types::Value { kind: Some(prost_types::value::Kind::StringValue("sale".into())) })].into(),
        };
        let completed = client
            .complete_interaction(authed(
                CompleteInteractionRequest {
                    name: created.name.clone(),
                    call_duration: Some(prost_types::Duration { seconds: 95, nanos: 0 }),
                    user_data: Some(user_data),
                },
                &app.token,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(completed.state, State::Stopped as i32);
        assert_eq!(completed.call_duration.unwrap().seconds, 95);
        assert!(completed.end_time.is_some());
        assert!(completed.user_data.unwrap().fields.contains_key("disposition"));
        let again = client
            .complete_interaction(authed(CompleteInteractionRequest { name: created.name.clone(), ..Default::default() }, &app.token))
            .await
            .unwrap_err();
        assert_eq!(again.code(), Code::FailedPrecondition);
    }
}

#[tokio::test]
async fn invalid_requests_list_every_violation_and_write_nothing() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut client = app.interactions();
    let status = client
        .find_or_create_phone_call_interaction(authed(
            FindOrCreatePhoneCallInteractionRequest {
                state: 99,
                r#type: 0,
                subject: "x".repeat(20_000),
                ..Default::default()
            },
            &app.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        field_violations(&status),
        ["call_id", "state", "phone_number", "type", "subject"]
    );
    assert_eq!(status.get_details_error_info().unwrap().domain, "switchboard.v1");
    let listed = client
        .list_interactions(authed(ListInteractionsRequest::default(), &app.token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.total_size, 0);

    for name in ["", "phoneCalls/abc", "interactions/"] {
        let status = client
            .get_interaction(authed(
                GetInteractionRequest {
                    name: name.to_owned(),
                },
                &app.token,
            ))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{name:?}");
    }
    let unknown_path = client
        .update_interaction(authed(
            UpdateInteractionRequest {
                interaction: Some(Interaction {
                    name: "interactions/abc".into(),
                    ..Default::default()
                }),
                update_mask: Some(FieldMask {
                    paths: vec!["phone_number".into()],
                }),
                etag: String::new(),
            },
            &app.token,
        ))
        .await
        .unwrap_err();
    assert_eq!(unknown_path.code(), Code::InvalidArgument);
    assert_eq!(field_violations(&unknown_path), ["update_mask"]);
}
