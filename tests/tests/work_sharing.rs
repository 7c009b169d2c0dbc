//! Process managers on several nodes share one durable consumer per worker:
//! two Herald nodes split the webhook processor's work between them (each
//! command records the node that ran it), and the commits a node took and
//! never finished go to another node once their time is up.

use futures::StreamExt;
use herald_api::settings::Redacted;
use herald_api::{Herald, Settings};
use herald_application::ports::event_feed::EventFeed;
use herald_application::ports::work_feed::WorkFeed;
use herald_application::CommandMetadata;
use herald_domain::TenantId;
use herald_fake_graph::{FakeGraphConfig, InboundMessage};
use herald_infrastructure::jetstream::{EventLogConfig, JetStreamEventFeed, JetStreamWorkFeed};
use herald_tests::app::{new_campaign, settings_on_nats};
use herald_tests::whatsapp::PATIENCE;
use herald_tests::{eventually, spawn_app_with_settings, TestNats};
use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

const INBOUND: usize = 60;

fn shared_key() -> Redacted {
    Redacted("7c".repeat(32))
}

/// The nodes that ran the commands on conversations, from the log.
async fn nodes_behind_conversations(feed: &JetStreamEventFeed) -> BTreeSet<String> {
    let head = feed.head().await.unwrap();
    let commits = feed.subscribe(0).await.unwrap();
    let commits: Vec<_> = commits.take(head as usize).collect().await;
    commits
        .into_iter()
        .map(Result::unwrap)
        .filter(|c| c.aggregate_type == "conversation")
        .filter_map(|c| c.metadata.get("node").cloned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_split_the_webhook_processors_work() {
    let app = spawn_app_with_settings(FakeGraphConfig::default(), |settings| {
        settings.secret_key = Some(shared_key());
    })
    .await;
    let second_data = tempfile::tempdir().unwrap();
    let second_settings = Settings {
        secret_key: Some(shared_key()),
        ..settings_on_nats(&app.nats.url(), &second_data)
    };
    let second = Herald::start(&second_settings)
        .await
        .expect("a second node starts");
    let session = app.connected_session().await;

    for i in 0..INBOUND {
        let from = format!("1650555{i:04}");
        let message = InboundMessage::text(from, format!("Hello {i}"));
        app.graph
            .emit_inbound(&session.number.phone_number_id, message)
            .await
            .expect("the fake posts");
    }
    eventually(
        "every inbound message reaches its conversation",
        PATIENCE,
        || async {
            let replies = app.list("/v1/replies?limit=100").await;
            (replies["total"] == INBOUND).then_some(())
        },
    )
    .await;
    let feed = JetStreamEventFeed::new(app.herald.event_log().clone());
    let nodes = nodes_behind_conversations(&feed).await;

    assert_eq!(nodes.len(), 2, "both nodes took part: {nodes:?}");
    second.stop().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commits_a_dead_node_held_go_to_another_node() {
    let nats = TestNats::start().await;
    let config = EventLogConfig {
        work_ack_wait: Duration::from_secs(1),
        ..EventLogConfig::default()
    };
    let log = nats.event_log(config.clone()).await;
    let service = herald_application::campaigns::CampaignService::new(
        herald_infrastructure::jetstream::JetStreamEventStore::new(log.clone()),
        std::sync::Arc::new(herald_application::clock::SystemClock),
    );
    let tenant = TenantId::parse("acme").unwrap();
    for i in 0..10 {
        let metadata = CommandMetadata::new(tenant.clone(), "test");
        service
            .create(new_campaign(&format!("Work {i}"), Vec::new()), &metadata)
            .await
            .unwrap();
    }

    let dying = JetStreamWorkFeed::new(nats.event_log(config.clone()).await);
    let mut held = dying.subscribe("shared", "campaign", 4).await.unwrap();
    let mut taken = HashSet::new();
    for _ in 0..4 {
        taken.insert(held.next().await.unwrap().unwrap().commit.position);
    }
    drop(held);
    drop(dying);

    let survivor = JetStreamWorkFeed::new(nats.event_log(config).await);
    let mut items = survivor.subscribe("shared", "campaign", 10).await.unwrap();
    let mut done = HashSet::new();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while done.len() < 10 {
        let item = tokio::time::timeout_at(deadline, items.next())
            .await
            .expect("every commit reaches the surviving node")
            .unwrap()
            .unwrap();
        done.insert(item.commit.position);
        item.receipt.done().await.unwrap();
    }

    assert!(
        taken.is_subset(&done),
        "the dead node's commits were handed on"
    );
}

/// A worker that takes three seconds over each commit, counting how often
/// it is given each one.
struct Slow(std::sync::Mutex<std::collections::HashMap<u64, usize>>);

#[async_trait::async_trait]
impl herald_application::workers::Worker for Slow {
    fn name(&self) -> &'static str {
        "slow"
    }
    fn aggregate_type(&self) -> &'static str {
        "campaign"
    }
    async fn handle(
        &self,
        commit: &herald_application::ports::event_feed::RecordedCommit,
    ) -> Result<(), herald_application::workers::WorkError> {
        *self.0.lock().unwrap().entry(commit.position).or_default() += 1;
        tokio::time::sleep(Duration::from_secs(3)).await;
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_still_being_worked_on_is_not_handed_out_again() {
    let nats = TestNats::start().await;
    let config = EventLogConfig {
        work_ack_wait: Duration::from_secs(1),
        ..EventLogConfig::default()
    };
    let log = nats.event_log(config.clone()).await;
    let service = herald_application::campaigns::CampaignService::new(
        herald_infrastructure::jetstream::JetStreamEventStore::new(log.clone()),
        std::sync::Arc::new(herald_application::clock::SystemClock),
    );
    let metadata = CommandMetadata::new(TenantId::parse("acme").unwrap(), "test");
    service
        .create(new_campaign("Slow work", Vec::new()), &metadata)
        .await
        .unwrap();

    let worker = std::sync::Arc::new(Slow(std::sync::Mutex::default()));
    let (stop_sender, stop) = tokio::sync::watch::channel(false);
    // Two nodes, so that a commit whose time ran out would find a taker.
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let feed = std::sync::Arc::new(JetStreamWorkFeed::new(log.clone()));
            tokio::spawn(herald_application::workers::run_worker(
                worker.clone(),
                feed,
                2,
                stop.clone(),
            ))
        })
        .collect();
    eventually("the commit is taken", PATIENCE, || async {
        (!worker.0.lock().unwrap().is_empty()).then_some(())
    })
    .await;
    // Well past three acknowledgement windows, and past the work itself.
    tokio::time::sleep(Duration::from_secs(4)).await;
    stop_sender.send(true).unwrap();
    for run in runs {
        run.await.unwrap();
    }

    let handed_out = worker.0.lock().unwrap().clone();
    assert_eq!(handed_out.values().copied().collect::<Vec<_>>(), [1]);
}
