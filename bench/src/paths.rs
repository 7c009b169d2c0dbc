//! The servers a benchmark runs against, the histories its aggregates start
//! with, and the three paths it drives.

use bytes::Bytes;
use cqrs_es::EventStore;
use herald_application::campaigns::CampaignService;
use herald_application::ports::event_store::TenantEventStores;
use herald_application::progress::ProjectionPositions;
use herald_application::CommandMetadata;
use herald_domain::account::{KeyName, Permission};
use herald_domain::campaign::{
    Campaign, CampaignDefinition, CampaignEvent, CampaignMessage, CampaignName, DefinitionChanges,
    Delay, Description, NewCampaign, Recipient, Schedule,
};
use herald_domain::{PhoneNumber, SessionId, TenantId};
use herald_infrastructure::jetstream::envelope::{CommitEnvelope, StoredEvent};
use herald_infrastructure::jetstream::{
    EventLog, EventLogConfig, JetStreamEventFeed, JetStreamEventStore,
};
use herald_infrastructure::nats_server::{ClusterNode, Durability, NatsServer, NatsServerConfig};
use herald_projections::campaigns::CampaignProjector;
use herald_projections::stores::SqliteReadStore;
use herald_projections::{ProjectionRunner, Projector};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tempfile::TempDir;
use tokio::sync::watch;
use uuid::Uuid;

use super::clients::{publish_raw, CountingProjector, HttpClient, InprocessClient, RawClient};
use super::load::{closed_loop, Measurement};
use super::report::{ColdLoad, Projection};
use super::PathArg;
use herald_api::system::{Backends, Herald};
use herald_api::Settings;

const WARMUP: Duration = Duration::from_millis(500);
/// Events per commit when building a history: as a busy aggregate gets.
const HISTORY_COMMIT: u64 = 100;
/// A cold load reads the last snapshot (every 100 events) and the commits
/// after it: 1,050 events, one per commit, leave a tail of 50.
const COLD_LOAD_HISTORY: u64 = 1050;
const CATCH_UP_LIMIT: Duration = Duration::from_secs(300);

pub(super) type Service = CampaignService<JetStreamEventStore<Campaign>>;

/// One `nats-server`, or with `replicas` above 1 a cluster of that many
/// nodes on this machine, every stream and bucket replicated on each.
async fn start_nats(
    settings: &Settings,
    dir: &TempDir,
    durability: Durability,
    replicas: usize,
) -> anyhow::Result<Vec<NatsServer>> {
    let cluster: Vec<Option<ClusterNode>> = if replicas > 1 {
        ClusterNode::local_cluster("herald-bench", replicas)?
            .into_iter()
            .map(Some)
            .collect()
    } else {
        vec![None]
    };
    let mut nodes = Vec::new();
    for (i, node) in cluster.into_iter().enumerate() {
        nodes.push(
            NatsServer::start(&NatsServerConfig {
                binary: settings.nats_server_bin.clone(),
                data_dir: dir.path().join(format!("nats{i}")),
                durability,
                cluster: node,
                port: None,
            })
            .await?,
        );
    }
    Ok(nodes)
}

/// A `nats-server` (or a cluster) of one durability, and two Heralds over
/// it: one for the
/// in-process path, one serving HTTP. Projections run only while the HTTP
/// path is measured, as `herald serve` runs them; elsewhere they would
/// spend the CPU the command path is measured on, and more so for real
/// commands than for raw messages.
pub struct BenchServers {
    dir: TempDir,
    /// One server, or the nodes of a cluster.
    nats: Vec<NatsServer>,
    log: EventLog,
    tenant: TenantId,
    history_store: JetStreamEventStore<Campaign>,
    history_service: Service,
    inprocess: Herald,
    http: Herald,
    http_address: String,
    /// The bench tenant's API key, which the HTTP clients send.
    http_key: String,
    http_server: tokio::task::JoinHandle<()>,
    raw_body: Bytes,
    lag_after_http: AtomicU64,
}

impl BenchServers {
    /// # Errors
    /// When the server, the stores or the HTTP listener cannot start.
    pub async fn start(
        settings: &Settings,
        durability: Durability,
        replicas: usize,
    ) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let nats = start_nats(settings, &dir, durability, replicas).await?;
        let urls = nats
            .iter()
            .map(NatsServer::url)
            .collect::<Vec<_>>()
            .join(",");
        let log_config = EventLogConfig {
            replicas,
            ..EventLogConfig::default()
        };
        let log = EventLog::connect(&urls, log_config).await?;
        let herald_settings = Settings {
            nats_url: Some(urls),
            nats_replicas: replicas,
            data_dir: dir.path().to_owned(),
            mongodb_uri: None,
            // The bench measures what Herald can do, not the rates it allows.
            rates: herald_api::http::rates::RateSettings {
                tenant_per_second: 0,
                ip_per_second: 0,
                sign_in_per_minute: 0,
            },
            ..settings.clone()
        };
        let backends = |file: &str| -> anyhow::Result<Backends> {
            Ok(Backends {
                event_log: log.clone(),
                read_store: Arc::new(SqliteReadStore::open(&dir.path().join(file))?),
                nats: None,
            })
        };
        let inprocess = Herald::assemble(backends("inprocess.sqlite3")?, &herald_settings, false)?;
        let http = Herald::assemble(backends("http.sqlite3")?, &herald_settings, false)?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let http_address = format!("http://{}", listener.local_addr()?);
        let http_server = tokio::spawn(http.serve(listener, std::future::pending()));
        let history_store = JetStreamEventStore::new(log.clone());
        let history_service = CampaignService::new(
            history_store.clone(),
            Arc::new(herald_application::clock::SystemClock),
        );
        let tenant = TenantId::parse("bench")?;
        let http_key = http
            .state()
            .api_keys
            .create(
                &tenant,
                KeyName::parse("bench")?,
                vec![Permission::Write],
                None,
                None,
                &CommandMetadata::new(tenant.clone(), "bench"),
            )
            .await
            .map_err(|e| anyhow::anyhow!("the bench's key: {e}"))?
            .secret;
        Ok(Self {
            raw_body: raw_commit_body(&tenant)?,
            dir,
            nats,
            log,
            tenant,
            history_store,
            history_service,
            inprocess,
            http,
            http_address,
            http_key,
            http_server,
            lag_after_http: AtomicU64::new(0),
        })
    }

    /// Measures one path with `clients` clients on aggregates with `history` events.
    ///
    /// # Errors
    /// When preparing the aggregates or any operation fails.
    pub async fn measure(
        &self,
        path: PathArg,
        clients: usize,
        history: u64,
        duration: Duration,
    ) -> anyhow::Result<Measurement> {
        match path {
            PathArg::Raw => {
                let subjects =
                    futures::future::try_join_all((0..clients).map(|_| self.raw_subject(history)))
                        .await?;
                let jetstream = async_nats::jetstream::new(self.log.client());
                let clients = subjects
                    .into_iter()
                    .map(|(subject, last)| RawClient {
                        jetstream: jetstream.clone(),
                        subject,
                        last,
                        body: self.raw_body.clone(),
                    })
                    .collect();
                closed_loop::<RawClient>(clients, WARMUP, duration).await
            }
            PathArg::Inprocess => {
                let service = Arc::clone(&self.inprocess.state().campaigns);
                let ids = self.campaigns(clients, history).await?;
                let clients = ids
                    .into_iter()
                    .map(|id| InprocessClient {
                        service: Arc::clone(&service),
                        id,
                        tenant: self.tenant.clone(),
                        slow: false,
                    })
                    .collect();
                closed_loop::<InprocessClient>(clients, WARMUP, duration).await
            }
            PathArg::Http => {
                let ids = self.campaigns(clients, history).await?;
                let address = self.http_address.trim_start_matches("http://");
                let clients = futures::future::try_join_all(ids.into_iter().map(|id| {
                    let path = format!("/v1/campaigns/{id}");
                    async move { HttpClient::connect(address, &path, &self.http_key).await }
                }))
                .await?;
                let projecting = self.project_until_caught_up().await?;
                let measured = closed_loop::<HttpClient>(clients, WARMUP, duration).await;
                let lag = self.lag().await;
                let _ = projecting.send(true);
                self.lag_after_http.store(lag?, Ordering::SeqCst);
                measured
            }
        }
    }

    /// Starts the HTTP Herald's projections and waits until they have read
    /// everything recorded so far; sending `true` stops them.
    async fn project_until_caught_up(&self) -> anyhow::Result<watch::Sender<bool>> {
        let (stop, stopped) = watch::channel(false);
        for runner in self.http.runners() {
            let (runner, stopped) = (Arc::clone(runner), stopped.clone());
            tokio::spawn(async move { runner.run(stopped).await });
        }
        let deadline = Instant::now() + CATCH_UP_LIMIT;
        while self.lag().await? > 0 {
            anyhow::ensure!(
                Instant::now() < deadline,
                "projections did not catch up within {CATCH_UP_LIMIT:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(stop)
    }

    /// The largest lag of the HTTP Herald's projections.
    async fn lag(&self) -> anyhow::Result<u64> {
        let mut lag = 0;
        for runner in self.http.runners() {
            lag = lag.max(runner.status().await?.lag);
        }
        Ok(lag)
    }

    /// Rebuilds the projections from position 0 over everything the runs
    /// recorded, into an empty SQLite store.
    ///
    /// # Errors
    /// When the rebuild fails.
    pub async fn projection(&self) -> anyhow::Result<Projection> {
        let store = Arc::new(SqliteReadStore::open(
            &self
                .dir
                .path()
                .join(format!("rebuild-{}.sqlite3", Uuid::now_v7())),
        )?);
        let counting = Arc::new(CountingProjector {
            inner: Arc::new(CampaignProjector),
            events: AtomicU64::new(0),
        });
        let feed = Arc::new(JetStreamEventFeed::new(self.log.clone()));
        let runner = ProjectionRunner::new(
            Arc::clone(&counting) as Arc<dyn Projector>,
            feed,
            store,
            ProjectionPositions::default(),
        );
        let (_keep, stop) = watch::channel(false);
        let started = Instant::now();
        runner.rebuild(stop).await?;
        let events = counting.events.load(Ordering::SeqCst) as f64;
        Ok(Projection {
            events_per_s: (events / started.elapsed().as_secs_f64()).round(),
            lag_at_end: self.lag_after_http.load(Ordering::SeqCst),
        })
    }

    /// Times loading aggregates nothing has cached, with and without snapshots.
    ///
    /// # Errors
    /// When the aggregates cannot be prepared or loaded.
    pub async fn cold_load(&self) -> anyhow::Result<ColdLoad> {
        let ids = self
            .campaigns_in_commits_of(4, COLD_LOAD_HISTORY, 1)
            .await?;
        let uncached = EventLogConfig {
            cache_capacity: 0,
            ..EventLogConfig::default()
        };
        let without_snapshots = EventLogConfig {
            snapshot_every: u64::MAX,
            ..uncached.clone()
        };
        Ok(ColdLoad {
            history: COLD_LOAD_HISTORY,
            with_snapshots_ms: self.median_load_ms(uncached, &ids).await?,
            without_snapshots_ms: self.median_load_ms(without_snapshots, &ids).await?,
        })
    }

    async fn median_load_ms(&self, config: EventLogConfig, ids: &[Uuid]) -> anyhow::Result<f64> {
        let store =
            JetStreamEventStore::<Campaign>::new(EventLog::open(self.log.client(), config).await?)
                .for_tenant(&self.tenant);
        let mut times = Vec::new();
        for _ in 0..5 {
            for id in ids {
                let started = Instant::now();
                store.load_aggregate(&id.to_string()).await?;
                times.push(started.elapsed().as_secs_f64() * 1000.0);
            }
        }
        times.sort_by(f64::total_cmp);
        Ok((times[times.len() / 2] * 1000.0).round() / 1000.0)
    }

    pub async fn stop(self) {
        self.http_server.abort();
        self.http.stop().await;
        self.inprocess.stop().await;
        for node in self.nats {
            node.stop().await;
        }
    }

    async fn campaigns(&self, count: usize, history: u64) -> anyhow::Result<Vec<Uuid>> {
        self.campaigns_in_commits_of(count, history, HISTORY_COMMIT)
            .await
    }

    async fn campaigns_in_commits_of(
        &self,
        count: usize,
        history: u64,
        per_commit: u64,
    ) -> anyhow::Result<Vec<Uuid>> {
        futures::future::try_join_all(
            (0..count).map(|_| self.campaign_with_history(history, per_commit)),
        )
        .await
    }

    /// A campaign with `history` events: its creation, then edits recorded
    /// in commits of `per_commit` events. History 0 is a campaign just
    /// created.
    async fn campaign_with_history(&self, history: u64, per_commit: u64) -> anyhow::Result<Uuid> {
        let receipt = self
            .history_service
            .create(new_campaign()?, &self.metadata())
            .await?;
        let store = self.history_store.for_tenant(&self.tenant);
        let mut remaining = history.saturating_sub(1);
        while remaining > 0 {
            let count = remaining.min(per_commit.max(1));
            let events = (0..count)
                .map(|i| edited(if i % 2 == 0 { 4_000 } else { 3_000 }))
                .collect::<Result<Vec<_>, _>>()?;
            let loaded = store.load_aggregate(&receipt.aggregate_id).await?;
            store
                .commit(events, loaded, self.metadata().to_map())
                .await?;
            remaining -= count;
        }
        Ok(Uuid::parse_str(&receipt.aggregate_id)?)
    }

    /// A subject with as many messages as a campaign with `history` events
    /// has commits.
    async fn raw_subject(&self, history: u64) -> anyhow::Result<(String, u64)> {
        let subject = self
            .log
            .subject("bench-raw", "campaign", &Uuid::now_v7().to_string());
        let jetstream = async_nats::jetstream::new(self.log.client());
        let mut last = 0;
        for _ in 0..1 + history.saturating_sub(1).div_ceil(HISTORY_COMMIT) {
            last = publish_raw(&jetstream, &subject, last, self.raw_body.clone()).await?;
        }
        Ok((subject, last))
    }

    fn metadata(&self) -> CommandMetadata {
        CommandMetadata::new(self.tenant.clone(), "bench")
    }
}

/// A commit as the in-process path records one: an edit of the delay, with
/// the metadata every command carries.
fn raw_commit_body(tenant: &TenantId) -> anyhow::Result<Bytes> {
    let metadata = CommandMetadata::new(tenant.clone(), "bench");
    let envelope = CommitEnvelope {
        command_id: metadata.command_id.to_string(),
        tenant: "bench-raw".into(),
        aggregate_type: "campaign".into(),
        aggregate_id: Uuid::now_v7().to_string(),
        recorded_at: chrono::Utc::now(),
        metadata: metadata.to_map(),
        events: vec![StoredEvent {
            sequence: 2,
            event_type: "CampaignEdited".into(),
            version: "1".into(),
            payload: serde_json::value::to_raw_value(&edited(4_000)?)?,
        }],
    };
    Ok(serde_json::to_vec(&envelope)?.into())
}

fn edited(delay: u32) -> anyhow::Result<CampaignEvent> {
    Ok(CampaignEvent::Edited(DefinitionChanges {
        delay: Some(Some(Delay::from_millis(delay)?)),
        ..Default::default()
    }))
}

fn new_campaign() -> anyhow::Result<NewCampaign> {
    Ok(NewCampaign {
        definition: CampaignDefinition {
            name: CampaignName::parse("Benchmark")?,
            description: Description::default(),
            session_id: SessionId::parse("bench")?,
            message: CampaignMessage::Text {
                body: "Hi {{name|there}}".into(),
            },
            delay: Some(Delay::default()),
            personalize: true,
        },
        schedule: Schedule::Immediate,
        recipients: vec![Recipient::new(PhoneNumber::parse("+14155550100")?)],
    })
}
