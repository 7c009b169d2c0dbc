//! The JetStream event store on a real nats-server: concurrency, lost
//! acknowledgements, snapshots, tenant scoping.

use cqrs_es::{AggregateContext, AggregateError, EventStore};
use herald_application::campaigns::CampaignService;
use herald_application::commands::CommandError;
use herald_application::metadata::keys;
use herald_application::ports::event_store::TenantEventStores;
use herald_application::CommandMetadata;
use herald_domain::campaign::{
    Campaign, CampaignCommand, CampaignError, CampaignEvent, CampaignStatus, Recipient,
};
use herald_domain::clock::FixedClock;
use herald_domain::{PhoneNumber, TenantId};
use herald_infrastructure::jetstream::{
    EventLog, EventLogConfig, JetStreamEventFeed, JetStreamEventStore,
};
use herald_tests::app::new_campaign;
use herald_tests::{AckDroppingProxy, TestNats};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Barrier;
use uuid::Uuid;

type Service = CampaignService<JetStreamEventStore<Campaign>>;

fn tenant() -> TenantId {
    TenantId::parse("acme").unwrap()
}

fn metadata() -> CommandMetadata {
    CommandMetadata::new(tenant(), "test")
}

fn service(log: &EventLog) -> Service {
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-21T12:00:00Z")
        .unwrap()
        .to_utc();
    CampaignService::new(
        JetStreamEventStore::new(log.clone()),
        Arc::new(FixedClock(now)),
    )
}

fn recipient(i: usize) -> Recipient {
    Recipient::new(PhoneNumber::parse(&format!("+1415{i:07}")).unwrap())
}

async fn create(service: &Service) -> Uuid {
    let receipt = service
        .create(new_campaign("Race", vec![recipient(0)]), &metadata())
        .await
        .unwrap();
    Uuid::parse_str(&receipt.aggregate_id).unwrap()
}

async fn history(log: &EventLog, id: Uuid) -> Vec<String> {
    let commits = JetStreamEventFeed::new(log.clone())
        .aggregate_history(Some("acme"), "campaign", &id.to_string())
        .await
        .unwrap();
    commits
        .iter()
        .flat_map(|c| c.events.iter().map(|e| e.event_type.clone()))
        .collect()
}

#[tokio::test]
async fn a_stale_commit_is_refused_as_a_conflict() {
    let nats = TestNats::start().await;
    let log = nats.event_log(EventLogConfig::default()).await;
    let id = create(&service(&log)).await.to_string();
    let store = JetStreamEventStore::<Campaign>::new(log.clone()).for_tenant(&tenant());

    let first = store.load_aggregate(&id).await.unwrap();
    let second = store.load_aggregate(&id).await.unwrap();
    store
        .commit(
            vec![CampaignEvent::Started {
                run: 1,
                recipients: None,
            }],
            first,
            metadata().to_map(),
        )
        .await
        .unwrap();
    let refused = store
        .commit(vec![CampaignEvent::Stopped], second, metadata().to_map())
        .await;

    assert!(
        matches!(refused, Err(AggregateError::AggregateConflict)),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_node_acts_on_what_another_node_wrote_since_it_cached_the_aggregate() {
    let nats = TestNats::start().await;
    let log = nats.event_log(EventLogConfig::default()).await;
    let (here, there) = (
        JetStreamEventStore::<Campaign>::new(log.clone()),
        service(&log),
    );
    let id = create(&there).await;
    let key = id.to_string();
    let cached = here
        .for_tenant(&tenant())
        .load_aggregate(&key)
        .await
        .unwrap();
    here.for_tenant(&tenant())
        .commit(
            vec![CampaignEvent::Started {
                run: 1,
                recipients: None,
            }],
            cached,
            metadata().to_map(),
        )
        .await
        .unwrap();

    there
        .execute(id, CampaignCommand::Pause, &metadata())
        .await
        .unwrap();
    let mut current = here
        .for_tenant_current(&tenant())
        .load_aggregate(&key)
        .await
        .unwrap();

    assert_eq!(
        current.aggregate().status(),
        Some(CampaignStatus::Paused),
        "the node that cached the campaign running sees the pause"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_starting_one_campaign_at_once_start_it_once() {
    let nats = TestNats::start().await;
    let log = nats.event_log(EventLogConfig::default()).await;
    let (node_a, node_b) = (Arc::new(service(&log)), Arc::new(service(&log)));
    let id = create(&node_a).await;
    node_b
        .execute(id, CampaignCommand::Edit(Default::default()), &metadata())
        .await
        .ok();

    let barrier = Arc::new(Barrier::new(2));
    let race = |node: Arc<Service>| {
        let barrier = Arc::clone(&barrier);
        tokio::spawn(async move {
            barrier.wait().await;
            node.execute(id, CampaignCommand::Start, &metadata()).await
        })
    };
    let (a, b) = (race(Arc::clone(&node_a)), race(Arc::clone(&node_b)));
    let outcomes = [a.await.unwrap(), b.await.unwrap()];

    let started = outcomes.iter().filter(|o| o.is_ok()).count();
    let refused = outcomes
        .iter()
        .filter(|o| {
            matches!(
                o,
                Err(CommandError::Rejected(CampaignError::NotAllowed(_)))
                    | Err(CommandError::Conflict(_))
            )
        })
        .count();
    assert_eq!((started, refused), (1, 1), "{outcomes:?}");
    assert_eq!(
        history(&log, id).await,
        ["CampaignCreated", "CampaignStarted"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_additions_on_two_nodes_lose_nothing() {
    let nats = TestNats::start().await;
    let log = nats.event_log(EventLogConfig::default()).await;
    let nodes = [Arc::new(service(&log)), Arc::new(service(&log))];
    let id = create(&nodes[0]).await;

    let barrier = Arc::new(Barrier::new(20));
    let tasks: Vec<_> = (1..=20)
        .map(|i| {
            let (node, barrier) = (Arc::clone(&nodes[i % 2]), Arc::clone(&barrier));
            tokio::spawn(async move {
                barrier.wait().await;
                (
                    i,
                    node.execute(
                        id,
                        CampaignCommand::AddRecipients(vec![recipient(i)]),
                        &metadata(),
                    )
                    .await,
                )
            })
        })
        .collect();
    let mut added = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            (i, Ok(_)) => added.push(i),
            (_, Err(CommandError::Conflict(_))) => {}
            (i, Err(other)) => panic!("addition {i} failed: {other}"),
        }
    }

    let store = JetStreamEventStore::<Campaign>::new(log.clone()).for_tenant(&tenant());
    let mut campaign = store.load_aggregate(&id.to_string()).await.unwrap();
    let numbers: Vec<String> = cqrs_es::AggregateContext::aggregate(&mut campaign)
        .recipients()
        .iter()
        .map(|r| r.phone_number.to_string())
        .collect();
    for i in &added {
        assert!(
            numbers.contains(&recipient(*i).phone_number.to_string()),
            "recipient {i} was acknowledged but lost"
        );
    }
    assert_eq!(numbers.len(), added.len() + 1);
    assert_eq!(
        history(&log, id)
            .await
            .iter()
            .filter(|e| *e == "CampaignRecipientsAdded")
            .count(),
        added.len()
    );
    assert!(
        added.len() >= 15,
        "nearly all additions succeed after retrying, got {}",
        added.len()
    );
}

/// What the store's lost-acknowledgement handling relies on: nats-server
/// checks the expected sequence before the message id, so a retry of a
/// stored commit is refused, not reported as a duplicate.
#[tokio::test]
async fn jetstream_refuses_a_retried_commit_for_its_sequence_before_seeing_its_message_id() {
    let nats = TestNats::start().await;
    let log = nats.event_log(EventLogConfig::default()).await;
    let jetstream = async_nats::jetstream::new(log.client());
    let publish = || {
        let message = async_nats::jetstream::message::PublishMessage::build()
            .payload("{}".into())
            .message_id("command-1")
            .expected_last_subject_sequence(0);
        jetstream.send_publish("herald.evt.acme.probe.x", message)
    };

    let first = publish().await.unwrap().await.unwrap();
    let again = publish().await.unwrap().await;

    assert!(!first.duplicate);
    let refused = again.expect_err("the retry is refused");
    assert_eq!(
        refused.kind(),
        async_nats::jetstream::context::PublishErrorKind::WrongLastSequence
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_acknowledgement_records_the_command_once() {
    let nats = TestNats::start().await;
    let proxy = AckDroppingProxy::start(&nats.address()).await;
    let config = EventLogConfig {
        publish_timeout: Duration::from_millis(1500),
        ..EventLogConfig::default()
    };
    let log = EventLog::connect(&proxy.url(), config).await.unwrap();
    let service = service(&log);
    let id = create(&service).await;

    proxy.drop_next_acknowledgement();
    let receipt = service
        .execute(id, CampaignCommand::Start, &metadata())
        .await
        .expect("the start is acknowledged in the end");

    let direct = nats.event_log(EventLogConfig::default()).await;
    assert_eq!(
        history(&direct, id).await,
        ["CampaignCreated", "CampaignStarted"]
    );
    let commits = JetStreamEventFeed::new(direct)
        .aggregate_history(None, "campaign", &id.to_string())
        .await
        .unwrap();
    assert_eq!(commits[1].position, receipt.position);
    assert_eq!(proxy.cuts(), 1);
    assert!(
        proxy.commit_publishes() >= 3,
        "the start was sent again, saw {}",
        proxy.commit_publishes()
    );
}

#[tokio::test]
async fn a_long_history_loads_the_same_from_a_snapshot_as_from_every_event() {
    let nats = TestNats::start().await;
    let snapshotting = EventLogConfig {
        snapshot_every: 50,
        cache_capacity: 0,
        ..EventLogConfig::default()
    };
    let log = nats.event_log(snapshotting.clone()).await;
    let service = service(&log);
    let id = create(&service).await;
    for i in 1..=120 {
        service
            .execute(
                id,
                CampaignCommand::AddRecipients(vec![recipient(i)]),
                &metadata(),
            )
            .await
            .unwrap();
    }
    let snapshot_key = format!("acme.campaign.{id}");
    let kv = async_nats::jetstream::new(log.client())
        .get_key_value("HERALD_SNAPSHOTS")
        .await
        .unwrap();
    assert!(
        kv.get(&snapshot_key).await.unwrap().is_some(),
        "a snapshot was written"
    );

    let from_snapshot = load(&log, id).await;
    let without_snapshots = EventLogConfig {
        snapshot_every: u64::MAX,
        ..snapshotting
    };
    let from_events = load(&nats.event_log(without_snapshots).await, id).await;
    kv.put(&snapshot_key, "not a snapshot".into())
        .await
        .unwrap();
    let despite_a_bad_snapshot = load(&log, id).await;

    assert_eq!(from_snapshot.len(), 121);
    assert_eq!(from_snapshot, from_events);
    assert_eq!(despite_a_bad_snapshot, from_events);
}

async fn load(log: &EventLog, id: Uuid) -> Vec<String> {
    let store = JetStreamEventStore::<Campaign>::new(log.clone()).for_tenant(&tenant());
    let mut loaded = store.load_aggregate(&id.to_string()).await.unwrap();
    cqrs_es::AggregateContext::aggregate(&mut loaded)
        .recipients()
        .iter()
        .map(|r| r.phone_number.to_string())
        .collect()
}

#[tokio::test]
async fn another_tenant_cannot_address_the_aggregate() {
    let nats = TestNats::start().await;
    let log = nats.event_log(EventLogConfig::default()).await;
    let service = service(&log);
    let id = create(&service).await;

    let other = CommandMetadata::new(TenantId::parse("other").unwrap(), "test");
    let outcome = service.execute(id, CampaignCommand::Start, &other).await;

    assert!(
        matches!(
            outcome,
            Err(CommandError::Rejected(CampaignError::NotFound))
        ),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn events_carry_the_commands_metadata_and_position() {
    let nats = TestNats::start().await;
    let log = nats.event_log(EventLogConfig::default()).await;
    let mut metadata = metadata();
    metadata.correlation_id = "corr-42".into();
    metadata.ip = Some("203.0.113.9".into());
    metadata.user_agent = Some("curl/8".into());
    let receipt = service(&log)
        .create(new_campaign("Race", vec![]), &metadata)
        .await
        .unwrap();

    let store = JetStreamEventStore::<Campaign>::new(log.clone()).for_tenant(&tenant());
    let events = store.load_events(&receipt.aggregate_id).await.unwrap();

    let recorded = &events[0].metadata;
    assert_eq!(recorded[keys::COMMAND_ID], metadata.command_id.to_string());
    assert_eq!(recorded[keys::ACTOR], "test");
    assert_eq!(recorded[keys::CORRELATION_ID], "corr-42");
    assert_eq!(recorded[keys::IP], "203.0.113.9");
    assert_eq!(recorded[keys::USER_AGENT], "curl/8");
    assert_eq!(recorded[keys::POSITION], receipt.position.to_string());
    assert_eq!(events[0].sequence, 1);
}

#[tokio::test]
async fn history_survives_a_server_restart() {
    let mut nats = TestNats::start().await;
    let id = {
        let log = nats.event_log(EventLogConfig::default()).await;
        let service = service(&log);
        let id = create(&service).await;
        service
            .execute(id, CampaignCommand::Start, &metadata())
            .await
            .unwrap();
        id
    };

    nats.restart().await;

    let store =
        JetStreamEventStore::<Campaign>::new(nats.event_log(EventLogConfig::default()).await)
            .for_tenant(&tenant());
    let mut loaded = store.load_aggregate(&id.to_string()).await.unwrap();
    assert_eq!(
        cqrs_es::AggregateContext::aggregate(&mut loaded).status(),
        Some(CampaignStatus::Running)
    );
}

/// Loading aggregates leaves nothing on the server: a node loads thousands
/// a second, and consumers made for each would pile up (for 30 s each)
/// until the server refused new ones ("maximum consumers limit reached").
#[tokio::test]
async fn loading_aggregates_makes_no_consumers() {
    let nats = TestNats::start().await;
    let log = nats.event_log(EventLogConfig::default()).await;
    let service = service(&log);
    let mut ids = Vec::new();
    for _ in 0..50 {
        let id = create(&service).await;
        let rename = CampaignCommand::Edit(herald_domain::campaign::CampaignEdit {
            name: Some(herald_domain::campaign::CampaignName::parse("Renamed").unwrap()),
            ..Default::default()
        });
        service.execute(id, rename, &metadata()).await.unwrap();
        ids.push(id.to_string());
    }
    let consumers = || async {
        let jetstream = async_nats::jetstream::new(log.client());
        let mut stream = jetstream
            .get_stream(&log.config().stream_name)
            .await
            .unwrap();
        stream.info().await.unwrap().state.consumer_count
    };
    let before = consumers().await;

    // A fresh store each time, so that nothing comes from a cache.
    for id in &ids {
        let store = JetStreamEventStore::<Campaign>::new(log.clone()).for_tenant_current(&tenant());
        let mut loaded = store.load_aggregate(id).await.unwrap();
        assert_eq!(
            loaded.aggregate().definition().unwrap().name.as_str(),
            "Renamed"
        );
    }

    let after = consumers().await;
    assert_eq!(after, before, "consumers left behind by the loads");
}

#[tokio::test]
async fn a_follower_of_some_aggregate_types_is_passed_the_others_positions_only() {
    use futures::StreamExt;
    use herald_application::ports::event_feed::{EventFeed, FeedItem};
    let nats = TestNats::start().await;
    let log = nats.event_log(EventLogConfig::default()).await;
    let service = service(&log);
    for _ in 0..3 {
        create(&service).await;
    }
    let feed = JetStreamEventFeed::new(log.clone());
    let read = |followed: &'static [&'static str]| {
        let feed = feed.clone();
        async move {
            let items = feed.follow(0, followed).await.unwrap();
            items.take(3).map(Result::unwrap).collect::<Vec<_>>().await
        }
    };

    let passed: Vec<(u64, u64)> = read(&["session", "message"])
        .await
        .iter()
        .map(|item| match item {
            FeedItem::PassedBy { position, pending } => (*position, *pending),
            FeedItem::Commit(commit) => panic!("a campaign commit was read: {commit:?}"),
        })
        .collect();
    let followed: Vec<(u64, String)> = read(&["campaign"])
        .await
        .into_iter()
        .map(|item| match item {
            FeedItem::Commit(commit) => (commit.position, commit.events[0].event_type.clone()),
            FeedItem::PassedBy { position, .. } => panic!("commit {position} was passed by"),
        })
        .collect();

    assert_eq!(passed, [(1, 2), (2, 1), (3, 0)]);
    assert_eq!(
        followed,
        [1, 2, 3].map(|position| (position, "CampaignCreated".to_owned()))
    );
}

/// A feed that counts the readings of the log opened through it, and the
/// items they gave.
struct CountingFeed {
    inner: JetStreamEventFeed,
    readings: std::sync::atomic::AtomicUsize,
    given: Arc<std::sync::atomic::AtomicUsize>,
}

impl CountingFeed {
    fn readings(&self) -> usize {
        self.readings.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn given(&self) -> usize {
        self.given.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl herald_application::ports::event_feed::EventFeed for CountingFeed {
    async fn subscribe(
        &self,
        after: u64,
    ) -> Result<
        futures::stream::BoxStream<
            'static,
            Result<
                herald_application::ports::event_feed::RecordedCommit,
                herald_application::ports::event_feed::FeedError,
            >,
        >,
        herald_application::ports::event_feed::FeedError,
    > {
        self.readings
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.subscribe(after).await
    }

    async fn follow(
        &self,
        after: u64,
        followed: &'static [&'static str],
    ) -> Result<
        futures::stream::BoxStream<
            'static,
            Result<
                herald_application::ports::event_feed::FeedItem,
                herald_application::ports::event_feed::FeedError,
            >,
        >,
        herald_application::ports::event_feed::FeedError,
    > {
        use futures::StreamExt;
        self.readings
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let given = Arc::clone(&self.given);
        let items = self.inner.follow(after, followed).await?;
        Ok(items
            .inspect(move |_| {
                given.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            })
            .boxed())
    }

    async fn head(&self) -> Result<u64, herald_application::ports::event_feed::FeedError> {
        self.inner.head().await
    }

    async fn identity(&self) -> Result<String, herald_application::ports::event_feed::FeedError> {
        self.inner.identity().await
    }
}

mod shared_feed {
    use super::*;
    use futures::stream::BoxStream;
    use futures::StreamExt;
    use herald_application::ports::event_feed::{EventFeed, FeedError, FeedItem};
    use herald_projections::SharedFeed;

    type Items = BoxStream<'static, Result<FeedItem, FeedError>>;

    fn counting(log: &EventLog) -> Arc<CountingFeed> {
        Arc::new(CountingFeed {
            inner: JetStreamEventFeed::new(log.clone()),
            readings: Default::default(),
            given: Default::default(),
        })
    }

    /// The next `n` items, as (position, whether the commit itself was given).
    async fn next(items: &mut Items, n: usize) -> Vec<(u64, bool)> {
        let mut seen = Vec::new();
        for _ in 0..n {
            let item = tokio::time::timeout(Duration::from_secs(10), items.next())
                .await
                .expect("an item within 10 s")
                .expect("the feed goes on")
                .expect("no error");
            seen.push((item.position(), matches!(item, FeedItem::Commit(_))));
        }
        seen
    }

    fn commits(positions: std::ops::RangeInclusive<u64>) -> Vec<(u64, bool)> {
        positions.map(|position| (position, true)).collect()
    }

    fn passed(positions: std::ops::RangeInclusive<u64>) -> Vec<(u64, bool)> {
        positions.map(|position| (position, false)).collect()
    }

    #[tokio::test]
    async fn followers_share_one_reading_of_the_log_and_each_is_given_what_it_follows() {
        let nats = TestNats::start().await;
        let log = nats.event_log(EventLogConfig::default()).await;
        let service = service(&log);
        for _ in 0..3 {
            create(&service).await;
        }
        let counting = counting(&log);
        let feed = SharedFeed::new(counting.clone(), &["campaign", "session"]);

        let mut campaigns = feed.follow(0, &["campaign"]).await.unwrap();
        let mut sessions = feed.follow(0, &["session"]).await.unwrap();
        assert_eq!(next(&mut campaigns, 3).await, commits(1..=3));
        assert_eq!(next(&mut sessions, 3).await, passed(1..=3));
        for _ in 0..2 {
            create(&service).await;
        }
        assert_eq!(next(&mut campaigns, 2).await, commits(4..=5));
        assert_eq!(next(&mut sessions, 2).await, passed(4..=5));

        assert_eq!(counting.readings(), 1, "one reading of the log for both");
    }

    #[tokio::test]
    async fn a_follower_behind_the_shared_reading_catches_up_alone_then_joins_it() {
        let nats = TestNats::start().await;
        let log = nats.event_log(EventLogConfig::default()).await;
        let service = service(&log);
        for _ in 0..3 {
            create(&service).await;
        }
        let counting = counting(&log);
        let feed = SharedFeed::new(counting.clone(), &["campaign"]);
        let mut ahead = feed.follow(0, &["campaign"]).await.unwrap();
        assert_eq!(next(&mut ahead, 3).await, commits(1..=3));

        let mut behind = feed.follow(1, &["campaign"]).await.unwrap();
        assert_eq!(next(&mut behind, 2).await, commits(2..=3));
        assert_eq!(counting.readings(), 2, "the one behind read alone");
        let given_before = counting.given();
        for _ in 0..3 {
            create(&service).await;
        }
        assert_eq!(next(&mut ahead, 3).await, commits(4..=6));
        assert_eq!(next(&mut behind, 3).await, commits(4..=6));

        assert_eq!(
            counting.given() - given_before,
            3,
            "then it joined the shared reading: each new commit read once"
        );
    }

    #[tokio::test]
    async fn a_follower_too_slow_for_the_shared_reading_misses_nothing() {
        let nats = TestNats::start().await;
        let log = nats.event_log(EventLogConfig::default()).await;
        let service = service(&log);
        let counting = counting(&log);
        let feed = SharedFeed::with_capacity(counting.clone(), &["campaign"], 2);
        let mut fast = feed.follow(0, &["campaign"]).await.unwrap();
        let mut slow = feed.follow(0, &["campaign"]).await.unwrap();

        let mut given_fast = Vec::new();
        for _ in 0..10 {
            create(&service).await;
            given_fast.extend(next(&mut fast, 1).await);
        }
        assert_eq!(given_fast, commits(1..=10));
        assert_eq!(
            next(&mut slow, 10).await,
            commits(1..=10),
            "each once, in order"
        );
        assert_eq!(counting.readings(), 2, "the slow one read on alone");
    }
}
