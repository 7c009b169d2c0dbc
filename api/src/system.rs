//! Starting Herald: choosing and wiring the adapters.
//!
//! With no `HERALD_NATS_URL`, a local `nats-server` is started with its
//! data under the data folder (and stopped with Herald); with no
//! `HERALD_MONGODB_URI`, the read models live in SQLite in the data folder.

use anyhow::Context;
use axum::Router;
use herald_application::campaigns::{CampaignQueries, CampaignService};
use herald_application::clock::SystemClock;
use herald_application::ports::read_store::ReadStore;
use herald_application::progress::ProjectionPositions;
use herald_infrastructure::jetstream::{
    EventLog, EventLogConfig, JetStreamEventFeed, JetStreamEventStore,
};
use herald_infrastructure::nats_server::{Durability, NatsServer, NatsServerConfig};
use herald_projections::campaigns::CampaignProjector;
use herald_projections::stores::{MongoReadStore, SqliteReadStore};
use herald_projections::{ProjectionRunner, Projector};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::info;

use crate::http::{self, AppState};
use crate::settings::Settings;

/// The event log, the read store, and the local `nats-server` if Herald
/// started one.
pub struct Backends {
    pub event_log: EventLog,
    pub read_store: Arc<dyn ReadStore>,
    pub nats: Option<NatsServer>,
}

impl Backends {
    /// Connects to NATS (or starts a local server) and opens the read store.
    ///
    /// # Errors
    /// When NATS cannot be started or reached, or the read store opened.
    pub async fn open(settings: &Settings) -> anyhow::Result<Self> {
        let (event_log, nats) = open_event_log(settings, false).await?;
        let read_store = open_read_store(settings).await?;
        Ok(Self {
            event_log,
            read_store,
            nats,
        })
    }

    /// As [`Backends::open`], but joins the local `nats-server` of a running
    /// `herald serve` rather than starting a second one on its data.
    ///
    /// # Errors
    /// As [`Backends::open`].
    pub async fn open_for_operator(settings: &Settings) -> anyhow::Result<Self> {
        let (event_log, nats) = open_event_log(settings, true).await?;
        let read_store = open_read_store(settings).await?;
        Ok(Self {
            event_log,
            read_store,
            nats,
        })
    }

    /// Stops the local `nats-server`, if Herald started one.
    pub async fn close(self) {
        if let Some(nats) = self.nats {
            let _ = std::fs::remove_file(url_file(nats.data_dir()));
            nats.stop().await;
        }
    }
}

fn event_log_config(settings: &Settings) -> EventLogConfig {
    EventLogConfig {
        stream_name: settings.stream_name.clone(),
        replicas: settings.stream_replicas,
        ..EventLogConfig::default()
    }
}

async fn open_event_log(
    settings: &Settings,
    join_running: bool,
) -> anyhow::Result<(EventLog, Option<NatsServer>)> {
    let config = event_log_config(settings);
    if let Some(url) = &settings.nats_url {
        return Ok((EventLog::connect(url, config).await?, None));
    }
    let data_dir = settings.data_dir.join("nats");
    if join_running {
        if let Some(log) = join_running_server(&data_dir, config.clone()).await {
            return Ok((log, None));
        }
    }
    let server = NatsServer::start(&NatsServerConfig {
        binary: settings.nats_server_bin.clone(),
        data_dir: data_dir.clone(),
        durability: Durability::Always,
    })
    .await?;
    std::fs::write(url_file(&data_dir), server.url())
        .with_context(|| format!("cannot write {}", url_file(&data_dir).display()))?;
    let log = EventLog::connect(server.url(), config).await?;
    Ok((log, Some(server)))
}

/// The file where a local `nats-server`'s URL is kept while it runs.
fn url_file(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("url")
}

async fn join_running_server(
    data_dir: &std::path::Path,
    config: EventLogConfig,
) -> Option<EventLog> {
    let url = std::fs::read_to_string(url_file(data_dir)).ok()?;
    let connected = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        EventLog::connect(url.trim(), config),
    )
    .await;
    connected.ok()?.ok()
}

async fn open_read_store(settings: &Settings) -> anyhow::Result<Arc<dyn ReadStore>> {
    Ok(match &settings.mongodb_uri {
        Some(uri) => Arc::new(MongoReadStore::connect(uri, &settings.mongodb_database).await?),
        None => Arc::new(SqliteReadStore::open(
            &settings.data_dir.join("read-models.sqlite3"),
        )?),
    })
}

/// Every projection Herald keeps.
pub fn projectors() -> Vec<Arc<dyn Projector>> {
    vec![Arc::new(CampaignProjector)]
}

pub fn projection_runners(
    backends: &Backends,
    positions: &ProjectionPositions,
) -> Vec<Arc<ProjectionRunner>> {
    let feed = Arc::new(JetStreamEventFeed::new(backends.event_log.clone()));
    projectors()
        .into_iter()
        .map(|projector| {
            Arc::new(ProjectionRunner::new(
                projector,
                feed.clone(),
                Arc::clone(&backends.read_store),
                positions.clone(),
            ))
        })
        .collect()
}

/// A running Herald: its services, and its projections following the log.
pub struct Herald {
    state: AppState,
    backends: Backends,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Herald {
    /// # Errors
    /// As [`Backends::open`].
    pub async fn start(settings: &Settings) -> anyhow::Result<Self> {
        Ok(Self::assemble(
            Backends::open(settings).await?,
            settings,
            true,
        ))
    }

    /// Wires services over `backends`; with `run_projections`, each
    /// projection starts following the event log.
    pub fn assemble(backends: Backends, settings: &Settings, run_projections: bool) -> Self {
        let positions = ProjectionPositions::default();
        let runners = projection_runners(&backends, &positions);
        let (shutdown, stop) = watch::channel(false);
        let tasks = match run_projections {
            true => runners
                .iter()
                .map(|runner| spawn_runner(Arc::clone(runner), stop.clone()))
                .collect(),
            false => Vec::new(),
        };
        let stores = JetStreamEventStore::new(backends.event_log.clone());
        let state = AppState {
            campaigns: Arc::new(CampaignService::new(stores, Arc::new(SystemClock))),
            campaign_queries: Arc::new(CampaignQueries::new(
                Arc::clone(&backends.read_store),
                positions,
                settings.read_wait,
            )),
            projections: Arc::new(runners),
        };
        Self {
            state,
            backends,
            shutdown,
            tasks,
        }
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn event_log(&self) -> &EventLog {
        &self.backends.event_log
    }

    pub fn read_store(&self) -> Arc<dyn ReadStore> {
        Arc::clone(&self.backends.read_store)
    }

    pub fn router(&self) -> Router {
        http::router(self.state.clone())
    }

    /// Stops the projections, then the local `nats-server` if there is one.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        self.backends.close().await;
        info!("Herald stopped");
    }
}

fn spawn_runner(runner: Arc<ProjectionRunner>, stop: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move { runner.run(stop).await })
}
