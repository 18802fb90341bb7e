//! Tenant isolation: another tenant's resource does not exist for the caller.

use switchboard::pb::{GetInteractionRequest, ListInteractionsRequest};
use tonic::Code;

use crate::both_backends;
use crate::helpers::{TestApp, authed, find_phone_call};

both_backends! {
    async fn other_tenants_ids_are_not_found(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let intruder = app.issue_token("globex", "mallory").await;
        let mut client = app.interactions();

        let mine = client
            .find_or_create_phone_call_interaction(authed(find_phone_call("tenant-1"), &app.token))
            .await
            .unwrap()
            .into_inner()
            .interaction
            .unwrap();

        let foreign = client
            .get_interaction(authed(GetInteractionRequest { name: mine.name.clone() }, &intruder))
            .await
            .unwrap_err();
        assert_eq!(foreign.code(), Code::NotFound);
        // Indistinguishable from an id that does not exist at all.
        let missing_name = format!("interactions/{}", "Z".repeat(16));
        let missing = client
            .get_interaction(authed(GetInteractionRequest { name: missing_name.clone() }, &intruder))
            .await
            .unwrap_err();
        assert_eq!(foreign.message().replace(&mine.name, &missing_name), missing.message());

        let listed = client
            .list_interactions(authed(ListInteractionsRequest::default(), &intruder))
            .await
            .unwrap()
            .into_inner();
        assert!(listed.interactions.is_empty());
        assert_eq!(listed.total_size, 0);

        // The same external call id is a separate interaction in another tenant.
        let theirs = client
            .find_or_create_phone_call_interaction(authed(find_phone_call("tenant-1"), &intruder))
            .await
            .unwrap()
            .into_inner();
        assert!(theirs.created);
        assert_ne!(theirs.interaction.unwrap().id, mine.id);
    }
}
