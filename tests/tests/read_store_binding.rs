//! A read store belongs to the event log it was projected from. Pointed at
//! another log (a fresh NATS beside an old store), Herald refuses to start
//! and says why, or, when told to, rebuilds every read model from the new
//! log; it never skips the new log's commits in silence. Each case on
//! SQLite and on MongoDB.

use herald_api::{Herald, Settings};
use herald_application::campaigns::CampaignFilter;
use herald_application::queries::PageRequest;
use herald_application::CommandMetadata;
use herald_domain::TenantId;
use herald_projections::binding::OnMismatch;
use herald_tests::app::{new_campaign_on, settings};
use herald_tests::stores::{self, fresh_database};
use herald_tests::{on_both_stores, TestNats};
use tempfile::TempDir;

fn tenant() -> TenantId {
    TenantId::parse("acme").unwrap()
}

/// Herald's settings for `nats`, with the read store in `data` (SQLite) or
/// in `database` (MongoDB): the same store whatever the log.
fn settings_on(nats: &TestNats, data: &TempDir, database: &str) -> Settings {
    let mut settings = settings(nats, data);
    stores::point_at_store(&mut settings, database);
    settings
}

/// Creates a campaign on `herald` and waits until its read model shows it.
async fn create_and_read(herald: &Herald, name: &str) {
    let state = herald.state();
    let campaign = new_campaign_on(herald, &tenant(), name).await;
    let receipt = state
        .campaigns
        .create(campaign, &CommandMetadata::new(tenant(), "test"))
        .await
        .unwrap();
    let found = state
        .campaign_queries
        .get(&tenant(), &receipt.aggregate_id, Some(receipt.position))
        .await
        .unwrap();
    assert!(found.is_some(), "{name} is in the read model");
}

async fn names(herald: &Herald) -> Vec<String> {
    let page = herald
        .state()
        .campaign_queries
        .list(
            &tenant(),
            &CampaignFilter::default(),
            &PageRequest::default(),
            None,
        )
        .await
        .unwrap();
    page.documents
        .iter()
        .map(|d| d["campaignName"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// A store projected from a first log, that log's server stopped.
async fn store_of_a_first_log(data: &TempDir, database: &str) {
    let first = TestNats::start().await;
    let herald = Herald::start(&settings_on(&first, data, database))
        .await
        .unwrap();
    create_and_read(&herald, "From the first log").await;
    herald.stop().await;
}

on_both_stores! {
    async fn a_read_store_of_another_event_log_is_refused_at_start() {
        let (data, database) = (tempfile::tempdir().unwrap(), fresh_database());
        store_of_a_first_log(&data, &database).await;
        let second = TestNats::start().await;

        let refused = Herald::start(&settings_on(&second, &data, &database)).await;

        let error = format!("{:#}", refused.err().expect("Herald refuses to start"));
        assert!(error.contains("another event log"), "{error}");
        assert!(error.contains("HERALD_READ_STORE_ON_MISMATCH"), "{error}");
    }
}

on_both_stores! {
    async fn told_to_rebuild_herald_projects_the_new_log_from_its_start() {
        let (data, database) = (tempfile::tempdir().unwrap(), fresh_database());
        store_of_a_first_log(&data, &database).await;
        let second = TestNats::start().await;
        let mut settings = settings_on(&second, &data, &database);
        settings.read_store_on_mismatch = OnMismatch::Rebuild;

        let herald = Herald::start(&settings).await.expect("Herald rebuilds and starts");
        create_and_read(&herald, "From the second log").await;

        assert_eq!(names(&herald).await, ["From the second log"]);
        herald.stop().await;
        let again = Herald::start(&settings_on(&second, &data, &database)).await;
        assert!(again.is_ok(), "the store now belongs to the second log");
        again.unwrap().stop().await;
    }
}
