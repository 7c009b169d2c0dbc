//! The projection runner on a real nats-server, each case on SQLite and on
//! MongoDB: resuming after a kill, rebuilding, switching to a rebuild
//! while the live one runs, and reading past commits it has no use for.

use herald_application::campaigns::read_model::{CAMPAIGNS, CAMPAIGN_RECIPIENTS};
use herald_application::campaigns::CampaignService;
use herald_application::ports::event_feed::EventFeed;
use herald_application::ports::read_store::{
    ApplyOutcome, ChangeBatch, CollectionSpec, FindQuery, Generation, LogBinding, Page,
    PromoteOutcome, ReadStore, ReadStoreError,
};
use herald_application::progress::ProjectionPositions;
use herald_application::CommandMetadata;
use herald_domain::campaign::{
    Campaign, CampaignCommand, CampaignDefinition, CampaignEdit, CampaignMessage, CampaignName,
    Delay, Description, NewCampaign, Recipient, Schedule,
};
use herald_domain::clock::FixedClock;
use herald_domain::{PhoneNumber, SessionId, TenantId};
use herald_infrastructure::jetstream::{
    EventLog, EventLogConfig, JetStreamEventFeed, JetStreamEventStore,
};
use herald_projections::campaigns::CampaignProjector;
use herald_projections::sessions::SessionProjector;
use herald_projections::ProjectionRunner;
use herald_tests::stores::TestStore;
use herald_tests::{eventually, on_both_stores, TestNats};
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use uuid::Uuid;

const PATIENCE: Duration = Duration::from_secs(30);

struct Fixture {
    _nats: TestNats,
    read_models: TestStore,
    log: EventLog,
    store: Arc<dyn ReadStore>,
    service: CampaignService<JetStreamEventStore<Campaign>>,
}

async fn fixture() -> Fixture {
    let nats = TestNats::start().await;
    let log = nats.event_log(EventLogConfig::default()).await;
    let read_models = TestStore::open().await;
    let store = Arc::clone(&read_models.store);
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-21T12:00:00Z")
        .unwrap()
        .to_utc();
    let service = CampaignService::new(
        JetStreamEventStore::new(log.clone()),
        Arc::new(FixedClock(now)),
    );
    Fixture {
        _nats: nats,
        read_models,
        log,
        store,
        service,
    }
}

impl Fixture {
    async fn remove(self) {
        self.read_models.remove().await;
    }

    fn runner(&self) -> Arc<ProjectionRunner> {
        self.runner_publishing_to(ProjectionPositions::default())
    }

    fn runner_publishing_to(&self, positions: ProjectionPositions) -> Arc<ProjectionRunner> {
        let feed = Arc::new(JetStreamEventFeed::new(self.log.clone()));
        Arc::new(
            ProjectionRunner::new(
                Arc::new(CampaignProjector),
                feed,
                self.store.clone(),
                positions,
            )
            .with_max_batch(3),
        )
    }

    /// Campaigns of two tenants, each created, edited, given recipients and
    /// moved through its lifecycle: every kind of campaign event.
    async fn record_activity(&self, campaigns: usize) {
        for i in 0..campaigns {
            let tenant = TenantId::parse(if i % 2 == 0 { "acme" } else { "globex" }).unwrap();
            let metadata = || CommandMetadata::new(tenant.clone(), "test");
            let receipt = self
                .service
                .create(new_campaign(i), &metadata())
                .await
                .unwrap();
            let id = Uuid::parse_str(&receipt.aggregate_id).unwrap();
            let commands = [
                CampaignCommand::AddRecipients((0..5).map(|r| recipient(i * 10 + r)).collect()),
                CampaignCommand::Edit(CampaignEdit {
                    delay: Some(Some(Delay::from_millis(4000).unwrap())),
                    ..Default::default()
                }),
                CampaignCommand::Edit(CampaignEdit {
                    recipients: Some(vec![recipient(i * 10 + 7)]),
                    ..Default::default()
                }),
                CampaignCommand::Start,
                CampaignCommand::PauseFor {
                    reason: "the session was disconnected".into(),
                },
                CampaignCommand::Resume,
                CampaignCommand::ReserveBatch {
                    run: 1,
                    from: 0,
                    size: 1,
                },
                CampaignCommand::RecordBatchQueued { run: 1, to: 1 },
                if i % 3 == 0 {
                    CampaignCommand::Stop
                } else {
                    CampaignCommand::Complete
                },
            ];
            for command in commands {
                self.service
                    .execute(id, command, &metadata())
                    .await
                    .unwrap();
            }
        }
    }

    async fn head(&self) -> u64 {
        JetStreamEventFeed::new(self.log.clone())
            .head()
            .await
            .unwrap()
    }

    async fn wait_until_caught_up(&self) {
        let head = self.head().await;
        let store = self.store.clone();
        eventually("the projection catches up", PATIENCE, || {
            let store = store.clone();
            async move {
                (store.checkpoint("campaigns", Generation::Live).await.ok()? >= head).then_some(())
            }
        })
        .await;
    }

    /// Every live document of both collections, by id.
    async fn documents(&self) -> Vec<Value> {
        let mut all = Vec::new();
        for collection in [&CAMPAIGNS, &CAMPAIGN_RECIPIENTS] {
            let page = self
                .store
                .find(&FindQuery::new(collection, vec![]))
                .await
                .unwrap();
            all.extend(page.documents.into_iter().map(Value::Object));
        }
        all
    }
}

fn recipient(i: usize) -> Recipient {
    Recipient::new(PhoneNumber::parse(&format!("+4420{i:07}")).unwrap())
}

fn new_campaign(i: usize) -> NewCampaign {
    NewCampaign {
        definition: CampaignDefinition {
            name: CampaignName::parse(&format!("Campaign {i}")).unwrap(),
            description: Description::parse("projected").unwrap(),
            session_id: SessionId::parse("main").unwrap(),
            message: CampaignMessage::Text {
                body: format!("Message {i}"),
            },
            delay: Some(Delay::default()),
            personalize: false,
        },
        schedule: Schedule::Immediate,
        recipients: vec![recipient(i * 10)],
    }
}

fn stop_signal() -> (watch::Sender<bool>, watch::Receiver<bool>) {
    watch::channel(false)
}

on_both_stores! {
    async fn a_killed_runner_resumes_to_the_same_read_models_as_a_rebuild() {
        let fixture = fixture().await;
        fixture.record_activity(12).await;
        let head = fixture.head().await;

        let (_keep, stop) = stop_signal();
        let positions = ProjectionPositions::default();
        let first = fixture.runner_publishing_to(positions.clone());
        let running = tokio::spawn(async move { first.run(stop).await });
        positions
            .wait_for("campaigns", head / 3, PATIENCE)
            .await
            .unwrap();
        running.abort();
        let _ = running.await;
        let reached = fixture
            .store
            .checkpoint("campaigns", Generation::Live)
            .await
            .unwrap();

        let (_keep, stop) = stop_signal();
        let second = fixture.runner();
        tokio::spawn(async move { second.run(stop).await });
        fixture.wait_until_caught_up().await;
        let resumed = fixture.documents().await;

        let (_keep, stop) = stop_signal();
        fixture.runner().rebuild(stop).await.unwrap();
        let rebuilt = fixture.documents().await;

        assert!(
            reached >= head / 3 && reached < head,
            "killed mid-way: at {reached} of {head}"
        );
        assert_eq!(resumed.len(), 12 + 12);
        assert_eq!(resumed, rebuilt);
        fixture.remove().await;
    }
}

on_both_stores! {
    async fn a_rebuild_promoted_while_live_projection_runs_leaves_the_same_documents() {
        let fixture = fixture().await;
        fixture.record_activity(6).await;
        let (stop_live, stop) = stop_signal();
        let live = fixture.runner();
        let live_task = tokio::spawn(async move { live.run(stop).await });
        fixture.wait_until_caught_up().await;

        let (_keep, stop) = stop_signal();
        let rebuilder = fixture.runner();
        let rebuild = tokio::spawn(async move { rebuilder.rebuild(stop).await });
        fixture.record_activity(6).await;
        rebuild.await.unwrap().unwrap();
        fixture.record_activity(2).await;
        fixture.wait_until_caught_up().await;
        let live_documents = fixture.documents().await;
        let _ = stop_live.send(true);
        live_task.await.unwrap();

        let (_keep, stop) = stop_signal();
        fixture.runner().rebuild(stop).await.unwrap();
        assert_eq!(live_documents.len(), 2 * (6 + 6 + 2));
        assert_eq!(fixture.documents().await, live_documents);
        fixture.remove().await;
    }
}

on_both_stores! {
    async fn status_reports_the_lag_behind_the_log() {
        let fixture = fixture().await;
        fixture.record_activity(2).await;
        let runner = fixture.runner();

        let before = runner.status().await.unwrap();
        let (_keep, stop) = stop_signal();
        let background = fixture.runner();
        tokio::spawn(async move { background.run(stop).await });
        fixture.wait_until_caught_up().await;
        let after = runner.status().await.unwrap();

        assert_eq!((before.checkpoint, before.lag), (0, before.head));
        assert!(before.head > 0);
        assert_eq!((after.checkpoint, after.lag), (after.head, 0));
        fixture.remove().await;
    }
}

on_both_stores! {
    async fn projected_documents_follow_the_seed_fields() {
        let fixture = fixture().await;
        fixture.record_activity(1).await;
        let (_keep, stop) = stop_signal();
        let runner = fixture.runner();
        tokio::spawn(async move { runner.run(stop).await });
        fixture.wait_until_caught_up().await;

        let documents = fixture.documents().await;
        let campaign = documents
            .iter()
            .find(|d| d.get("campaignName").is_some())
            .unwrap();
        let recipient = documents
            .iter()
            .find(|d| d.get("campaignId").is_some())
            .unwrap();

        for field in [
            "_id",
            "userId",
            "sessionId",
            "campaignName",
            "messageType",
            "messageContent",
            "mediaUrl",
            "totalRecipients",
            "sentCount",
            "deliveredCount",
            "failedCount",
            "pendingCount",
            "status",
            "scheduleTime",
            "startedAt",
            "completedAt",
            "delayBetweenMessages",
            "personalize",
            "metadata",
            "createdAt",
            "updatedAt",
            "name",
            "description",
            "templateId",
            "contacts",
            "schedule",
            "createdBy",
        ] {
            assert!(
                campaign.get(field).is_some(),
                "campaigns lacks {field}: {campaign}"
            );
        }
        for field in [
            "_id",
            "campaignId",
            "phoneNumber",
            "name",
            "customData",
            "status",
            "sentAt",
            "deliveredAt",
            "errorMessage",
            "messageId",
            "createdAt",
            "updatedAt",
        ] {
            assert!(
                recipient.get(field).is_some(),
                "campaign_recipients lacks {field}: {recipient}"
            );
        }
        assert_eq!(campaign["status"], "stopped");
        assert_eq!(campaign["totalRecipients"], 1);
        assert_eq!(campaign["delayBetweenMessages"], 4000);
        fixture.remove().await;
    }
}

on_both_stores! {
    async fn commits_another_projection_owns_are_read_past_without_a_write_each() {
        let fixture = fixture().await;
        fixture.record_activity(12).await;
        let head = fixture.head().await;
        let store = Arc::new(CountingApplies::new(fixture.store.clone()));
        let positions = ProjectionPositions::default();
        let sessions = Arc::new(
            ProjectionRunner::new(
                Arc::new(SessionProjector),
                Arc::new(JetStreamEventFeed::new(fixture.log.clone())),
                store.clone(),
                positions.clone(),
            )
            .with_max_batch(3),
        );

        let (_keep, stop) = stop_signal();
        let running = Arc::clone(&sessions);
        tokio::spawn(async move { running.run(stop).await });
        positions
            .wait_for("sessions", head, PATIENCE)
            .await
            .expect("readers on this node see the position at once");
        let status = sessions.status().await.unwrap();
        let stored = eventually("the checkpoint is stored once idle", PATIENCE, || {
            let store = store.clone();
            async move {
                let stored = store.checkpoint("sessions", Generation::Live).await.ok()?;
                (stored >= head).then_some(stored)
            }
        })
        .await;

        let batches = head.div_ceil(3) as usize;
        let writes = store.applies.load(Ordering::SeqCst);
        assert_eq!(stored, head);
        assert_eq!((status.checkpoint, status.lag), (head, 0));
        assert!(
            writes * 4 <= batches,
            "{writes} writes for {batches} batches of campaign commits, none of them a session's"
        );
        fixture.remove().await;
    }
}

on_both_stores! {
    async fn a_campaign_edited_again_and_again_is_written_once_a_window_not_once_a_commit() {
        let fixture = fixture().await;
        let store = Arc::new(CountingApplies::new(fixture.store.clone()));
        let positions = ProjectionPositions::default();
        let campaigns = ProjectionRunner::new(
            Arc::new(CampaignProjector),
            Arc::new(JetStreamEventFeed::new(fixture.log.clone())),
            store.clone(),
            positions.clone(),
        );
        let (_keep, stop) = stop_signal();
        tokio::spawn(async move { campaigns.run(stop).await });
        let metadata = || CommandMetadata::new(TenantId::parse("acme").unwrap(), "test");
        let receipt = fixture.service.create(new_campaign(0), &metadata()).await.unwrap();
        let id = Uuid::parse_str(&receipt.aggregate_id).unwrap();

        let edits = 200;
        for i in 0..edits {
            let delay = Delay::from_millis(if i % 2 == 0 { 4_000 } else { 3_000 }).unwrap();
            let edit = CampaignEdit {
                delay: Some(Some(delay)),
                ..Default::default()
            };
            fixture
                .service
                .execute(id, CampaignCommand::Edit(edit), &metadata())
                .await
                .unwrap();
        }
        positions
            .wait_for("campaigns", fixture.head().await, PATIENCE)
            .await
            .unwrap();

        let writes = store.applies.load(Ordering::SeqCst);
        assert!(
            writes * 4 <= edits,
            "{writes} writes for {edits} edits of one campaign, each projected as it came"
        );
        let campaign = &fixture.documents().await[0];
        assert_eq!(campaign["delayBetweenMessages"], 3000);
        fixture.remove().await;
    }
}

/// A read store that counts the batches written to it.
struct CountingApplies {
    inner: Arc<dyn ReadStore>,
    applies: AtomicUsize,
}

impl CountingApplies {
    fn new(inner: Arc<dyn ReadStore>) -> Self {
        Self {
            inner,
            applies: AtomicUsize::new(0),
        }
    }
}

#[async_trait::async_trait]
impl ReadStore for CountingApplies {
    async fn bind_log(&self, identity: &str) -> Result<LogBinding, ReadStoreError> {
        self.inner.bind_log(identity).await
    }

    async fn rebind_log(&self, identity: &str) -> Result<(), ReadStoreError> {
        self.inner.rebind_log(identity).await
    }

    async fn store_id(&self) -> Result<String, ReadStoreError> {
        self.inner.store_id().await
    }

    async fn reset(
        &self,
        projection: &str,
        collections: &[&'static CollectionSpec],
    ) -> Result<(), ReadStoreError> {
        self.inner.reset(projection, collections).await
    }

    async fn prepare(
        &self,
        collections: &[&'static CollectionSpec],
        generation: Generation,
    ) -> Result<(), ReadStoreError> {
        self.inner.prepare(collections, generation).await
    }

    async fn discard_rebuild(
        &self,
        projection: &str,
        collections: &[&'static CollectionSpec],
    ) -> Result<(), ReadStoreError> {
        self.inner.discard_rebuild(projection, collections).await
    }

    async fn checkpoint(
        &self,
        projection: &str,
        generation: Generation,
    ) -> Result<u64, ReadStoreError> {
        self.inner.checkpoint(projection, generation).await
    }

    async fn apply(&self, batch: ChangeBatch) -> Result<ApplyOutcome, ReadStoreError> {
        self.applies.fetch_add(1, Ordering::SeqCst);
        self.inner.apply(batch).await
    }

    async fn promote(
        &self,
        projection: &str,
        collections: &[&'static CollectionSpec],
    ) -> Result<PromoteOutcome, ReadStoreError> {
        self.inner.promote(projection, collections).await
    }

    async fn find(&self, query: &FindQuery) -> Result<Page, ReadStoreError> {
        self.inner.find(query).await
    }
}
