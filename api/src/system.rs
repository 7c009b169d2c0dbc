//! Starting Herald: choosing and wiring the adapters.
//!
//! With no `HERALD_NATS_URL`, a local `nats-server` is started with its
//! data under the data folder (and stopped with Herald); with no
//! `HERALD_MONGODB_URI`, the read models live in SQLite in the data folder.

use anyhow::Context;
use axum::Router;
use herald_application::accounts::{
    AccountParts, AccountQueries, AccountService, Accounts, ApiKeyService, ApiKeys,
};
use herald_application::audit::{AuditQueries, DenialRecorder};
use herald_application::campaigns::service::SessionLookup;
use herald_application::campaigns::{
    CampaignQueries, CampaignScheduler, CampaignSender, CampaignService, SenderConfig,
};
use herald_application::clock::SystemClock;
use herald_application::messages::{Channel, MessageDispatcher, MessageQueries, MessagingService};
use herald_application::ports::event_feed::EventFeed;
use herald_application::ports::lease::Leases;
use herald_application::ports::read_store::{Generation, ReadStore};
use herald_application::ports::vault::Vault;
use herald_application::ports::whatsapp::WhatsAppGateway;
use herald_application::ports::work_feed::WorkFeed;
use herald_application::progress::ProjectionPositions;
use herald_application::sessions::{SessionQueries, SessionService};
use herald_application::subscriptions::{
    PaymentQueries, PlanLimits, SubscriptionExpiry, SubscriptionService, Subscriptions,
};
use herald_application::use_cases::SessionCommands;
use herald_application::webhooks::processor::SentMessages;
use herald_application::webhooks::{ReadModelDirectory, WebhookIntake, WebhookProcessor};
use herald_application::workers::{run_worker, Worker};
use herald_domain::account::{AccessDenial, ApiKey, User};
use herald_domain::campaign::Campaign;
use herald_domain::conversation::Conversation;
use herald_domain::message::Message;
use herald_domain::session::Session;
use herald_domain::subscription::Subscription;
use herald_domain::webhook::Webhook;
use herald_domain::Clock;
use herald_infrastructure::accounts::{Argon2Hasher, JwtAccessTokens, OutboxMailer};
use herald_infrastructure::cloud_api::{CloudApiClient, CloudApiConfig};
use herald_infrastructure::jetstream::{
    EventLog, EventLogConfig, JetStreamEventFeed, JetStreamEventStore, JetStreamLeases,
    JetStreamNameRegistry, JetStreamNumberBudget, JetStreamWorkFeed,
};
use herald_infrastructure::nats_server::{Durability, NatsServer, NatsServerConfig};
use herald_projections::accounts::AccountProjector;
use herald_projections::audit::AuditProjector;
use herald_projections::binding::bind_to_log;
use herald_projections::campaigns::CampaignProjector;
use herald_projections::messages::MessageProjector;
use herald_projections::sessions::SessionProjector;
use herald_projections::stores::{MongoReadStore, SqliteReadStore};
use herald_projections::subscriptions::SubscriptionProjector;
use herald_projections::{ProjectionMonitor, ProjectionRunner, Projector, SharedFeed};
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::info;
use uuid::Uuid;

use crate::http::server::ServerLimits;
use crate::http::{self, AppState};
use crate::keys::open_vault;
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
        replicas: settings.nats_replicas,
        work_ack_wait: settings.work_ack_wait,
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
        cluster: None,
        port: None,
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
    vec![
        Arc::new(CampaignProjector),
        Arc::new(SessionProjector),
        Arc::new(MessageProjector),
        Arc::new(AuditProjector),
        Arc::new(AccountProjector),
        Arc::new(SubscriptionProjector),
    ]
}

/// Every aggregate type some projection follows, once.
fn followed_by_projections() -> &'static [&'static str] {
    static FOLLOWED: OnceLock<Vec<&'static str>> = OnceLock::new();
    FOLLOWED.get_or_init(|| {
        let mut followed: Vec<&'static str> = projectors()
            .iter()
            .flat_map(|projector| projector.follows().iter().copied())
            .collect();
        followed.sort_unstable();
        followed.dedup();
        followed
    })
}

fn cloud_api_config(settings: &Settings) -> CloudApiConfig {
    CloudApiConfig {
        base_url: settings.graph_api_url.clone(),
        api_version: settings.graph_api_version.clone(),
        number_rate_per_second: settings.number_rate,
        max_attempts: settings.graph_max_attempts,
        base_backoff: settings.graph_backoff,
        maintenance_backoff: settings.graph_maintenance_wait,
        pair_backoff_unit: settings.graph_pair_backoff,
        ..CloudApiConfig::default()
    }
}

/// A runner for every projection. With `leases`, each projects only on
/// the node holding its lease among the nodes sharing the read store.
pub fn projection_runners(
    backends: &Backends,
    positions: &ProjectionPositions,
    leases: Option<Arc<dyn Leases>>,
) -> Vec<Arc<ProjectionRunner>> {
    let log: Arc<dyn EventFeed> = Arc::new(JetStreamEventFeed::new(backends.event_log.clone()));
    let feed: Arc<dyn EventFeed> = Arc::new(SharedFeed::new(log, followed_by_projections()));
    projectors()
        .into_iter()
        .map(|projector| {
            let runner = ProjectionRunner::new(
                projector,
                feed.clone(),
                Arc::clone(&backends.read_store),
                positions.clone(),
            );
            Arc::new(match &leases {
                Some(leases) => runner.with_leases(Arc::clone(leases)),
                None => runner,
            })
        })
        .collect()
}

/// A running Herald: its services, and its projections following the log.
pub struct Herald {
    state: AppState,
    /// The projections, which the HTTP API sees only as monitors.
    runners: Vec<Arc<ProjectionRunner>>,
    backends: Backends,
    limits: ServerLimits,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Herald {
    /// # Errors
    /// As [`Backends::open`], or when the read models cannot be prepared.
    pub async fn start(settings: &Settings) -> anyhow::Result<Self> {
        let backends = Backends::open(settings).await?;
        if let Err(error) = prepare_read_models(&backends, settings).await {
            backends.close().await;
            return Err(error);
        }
        Self::assemble(backends, settings, true)
    }

    /// Wires services over `backends`; with `run_background`, each
    /// projection and process manager starts following the event log.
    ///
    /// # Errors
    /// When the vault's key or the Cloud API settings are not usable.
    pub fn assemble(
        backends: Backends,
        settings: &Settings,
        run_background: bool,
    ) -> anyhow::Result<Self> {
        let feed = Arc::new(JetStreamEventFeed::new(backends.event_log.clone()));
        let positions = ProjectionPositions::of_log(feed);
        let node = format!("node-{}", Uuid::new_v4().simple());
        info!(%node, "this Herald node");
        let leases: Arc<dyn Leases> =
            Arc::new(JetStreamLeases::new(&backends.event_log, node.clone()));
        let runners = projection_runners(&backends, &positions, Some(leases));
        let gateway: Arc<dyn WhatsAppGateway> =
            Arc::new(CloudApiClient::new(&cloud_api_config(settings))?);
        let stores = EventStores::on(&backends.event_log);
        let (state, sessions) =
            services(&stores, &backends, settings, &gateway, positions, &runners)?;
        let (shutdown, stop) = watch::channel(false);
        let mut tasks = Vec::new();
        if run_background {
            tasks.extend(
                runners
                    .iter()
                    .map(|r| spawn_runner(Arc::clone(r), stop.clone())),
            );
        }
        if run_background && settings.run_process_managers {
            let feed: Arc<dyn WorkFeed> =
                Arc::new(JetStreamWorkFeed::new(backends.event_log.clone()));
            for worker in workers(
                &backends.event_log,
                &stores,
                settings,
                &state,
                &sessions,
                &gateway,
                &node,
            ) {
                let run = run_worker(worker, Arc::clone(&feed), WORKER_CONCURRENCY, stop.clone());
                tasks.push(tokio::spawn(run));
            }
        }
        Ok(Self {
            state,
            runners,
            backends,
            limits: server_limits(settings),
            shutdown,
            tasks,
        })
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// This node's projections, for tools that drive them (the bench).
    pub fn runners(&self) -> &[Arc<ProjectionRunner>] {
        &self.runners
    }

    pub fn event_log(&self) -> &EventLog {
        &self.backends.event_log
    }

    pub fn read_store(&self) -> Arc<dyn ReadStore> {
        Arc::clone(&self.backends.read_store)
    }

    pub fn router(&self) -> Router {
        http::router(self.state.clone(), self.limits.request_timeout)
    }

    pub fn server_limits(&self) -> &ServerLimits {
        &self.limits
    }

    /// Serves the API on `listener` until `shutdown` resolves, within the
    /// limits the settings give (see [`http::server`]). The future holds
    /// what it needs, so it can be spawned.
    pub fn serve(
        &self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> impl Future<Output = ()> + Send + 'static {
        http::server::serve(listener, self.router(), self.limits.clone(), shutdown)
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

fn server_limits(settings: &Settings) -> ServerLimits {
    ServerLimits {
        header_read_timeout: settings.http_header_timeout,
        request_timeout: settings.http_request_timeout,
        max_connections: settings
            .http_max_connections
            .unwrap_or_else(ServerLimits::connections_within_file_limit),
        admission: settings.http_admission,
    }
}

/// How many commits each process manager handles at once.
const WORKER_CONCURRENCY: usize = 32;

/// One event store per aggregate type, shared by every service and process
/// manager of the node, so that each aggregate is cached once and a load
/// after another part's command reads only what that command added.
struct EventStores {
    denials: JetStreamEventStore<AccessDenial>,
    subscriptions: JetStreamEventStore<Subscription>,
    users: JetStreamEventStore<User>,
    api_keys: JetStreamEventStore<ApiKey>,
    campaigns: JetStreamEventStore<Campaign>,
    sessions: JetStreamEventStore<Session>,
    messages: JetStreamEventStore<Message>,
    conversations: JetStreamEventStore<Conversation>,
    webhooks: JetStreamEventStore<Webhook>,
}

impl EventStores {
    fn on(log: &EventLog) -> Self {
        Self {
            denials: JetStreamEventStore::new(log.clone()),
            subscriptions: JetStreamEventStore::new(log.clone()),
            users: JetStreamEventStore::new(log.clone()),
            api_keys: JetStreamEventStore::new(log.clone()),
            campaigns: JetStreamEventStore::new(log.clone()),
            sessions: JetStreamEventStore::new(log.clone()),
            messages: JetStreamEventStore::new(log.clone()),
            conversations: JetStreamEventStore::new(log.clone()),
            webhooks: JetStreamEventStore::new(log.clone()),
        }
    }
}

/// The session service over the event log, which handlers and process
/// managers share.
type Sessions = SessionService<JetStreamEventStore<Session>>;

/// The services handlers call, over the event log and the read store, and
/// the session service the process managers use too.
fn services(
    stores: &EventStores,
    backends: &Backends,
    settings: &Settings,
    gateway: &Arc<dyn WhatsAppGateway>,
    positions: ProjectionPositions,
    runners: &[Arc<ProjectionRunner>],
) -> anyhow::Result<(AppState, Arc<Sessions>)> {
    let opened = open_vault(settings)?;
    let signing_keys = opened.signing_keys();
    let vault: Arc<dyn Vault> = Arc::new(opened);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let (accounts, api_keys) =
        account_services(stores, backends, settings, signing_keys, &vault, &clock)?;
    let subscriptions: Arc<dyn Subscriptions> = Arc::new(
        SubscriptionService::new(stores.subscriptions.clone(), Arc::clone(&clock))
            .claiming_transactions(Arc::new(JetStreamNameRegistry::new(&backends.event_log))),
    );
    let limits: Arc<dyn PlanLimits> = Arc::clone(&subscriptions) as Arc<dyn PlanLimits>;
    let store = &backends.read_store;
    let queries =
        |positions: ProjectionPositions| (Arc::clone(store), positions, settings.read_wait);
    let (s, p, w) = queries(positions.clone());
    let session_queries = Arc::new(SessionQueries::new(s, p, w));
    let directory = Arc::new(ReadModelDirectory::new(
        Arc::clone(&session_queries),
        stores.sessions.clone(),
        Arc::clone(&clock),
    ));
    let (s, p, w) = queries(positions.clone());
    let message_queries = Arc::new(MessageQueries::new(s, p, w));
    let sessions = Arc::new(
        SessionService::new(
            stores.sessions.clone(),
            Arc::clone(&clock),
            Arc::clone(&vault),
            Arc::clone(gateway),
            Arc::clone(&session_queries),
        )
        .limited_by(Arc::clone(&limits)),
    );
    let messaging = Arc::new(
        MessagingService::new(
            Arc::clone(&sessions),
            stores.conversations.clone(),
            stores.messages.clone(),
            Arc::clone(&clock),
        )
        .limited_by(Arc::clone(&limits)),
    );
    let (s, p, w) = queries(positions.clone());
    let audit_queries = Arc::new(AuditQueries::new(s, p, w));
    let (s, p, w) = queries(positions.clone());
    let account_queries = Arc::new(AccountQueries::new(s, p, w));
    let (s, p, w) = queries(positions.clone());
    let payment_queries = Arc::new(PaymentQueries::new(s, p, w));
    let denials = Arc::new(DenialRecorder::new(
        stores.denials.clone(),
        Arc::clone(&clock),
    ));
    let (s, p, w) = queries(positions);
    let monitors = runners
        .iter()
        .map(|runner| Arc::clone(runner) as Arc<dyn ProjectionMonitor>)
        .collect();
    let state = AppState::new(http::Services {
        accounts,
        api_keys,
        subscriptions,
        audit_queries,
        account_queries,
        payment_queries,
        denials,
        rates: Arc::new(http::rates::RateLimits::new(settings.rates)),
        campaigns: Arc::new(
            CampaignService::new(stores.campaigns.clone(), Arc::clone(&clock))
                .checking_sessions(Arc::clone(&sessions) as Arc<dyn SessionLookup>)
                .limited_by(limits),
        ),
        campaign_queries: Arc::new(CampaignQueries::new(s, p, w)),
        sessions: Arc::clone(&sessions) as Arc<dyn SessionCommands>,
        session_queries,
        messaging,
        message_queries,
        webhooks: Arc::new(WebhookIntake::new(
            stores.webhooks.clone(),
            clock,
            directory,
            vault,
        )),
        projections: Arc::new(monitors),
        admission: http::server::Admission::new(settings.http_admission),
    });
    Ok((state, sessions))
}

/// Signing up and in, and API keys: the accounts services over the event
/// log, with Argon2id, JWTs signed with a key derived from the vault's,
/// names claimed in NATS, and e-mail to `<data dir>/outbox`.
fn account_services(
    stores: &EventStores,
    backends: &Backends,
    settings: &Settings,
    signing_keys: Vec<(String, Vec<u8>)>,
    vault: &Arc<dyn Vault>,
    clock: &Arc<dyn Clock>,
) -> anyhow::Result<(Arc<dyn Accounts>, Arc<dyn ApiKeys>)> {
    let hasher = Argon2Hasher::owasp(PASSWORD_HASHES_AT_ONCE)
        .map_err(|e| anyhow::anyhow!("the password hasher cannot start: {e}"))?;
    let parts = AccountParts {
        hasher: Arc::new(hasher),
        access_tokens: Arc::new(JwtAccessTokens::new(signing_keys)),
        names: Arc::new(JetStreamNameRegistry::new(&backends.event_log)),
        mailer: Arc::new(OutboxMailer::new(settings.data_dir.join("outbox"))),
        vault: Arc::clone(vault),
        clock: Arc::clone(clock),
        settings: settings.accounts.clone(),
    };
    let denials = Arc::new(DenialRecorder::new(
        stores.denials.clone(),
        Arc::clone(clock),
    ));
    let accounts = AccountService::new(stores.users.clone(), parts).recording_denials(denials);
    let api_keys = ApiKeyService::new(
        stores.api_keys.clone(),
        Arc::clone(vault),
        Arc::clone(clock),
        settings.accounts.recheck_after,
    );
    Ok((Arc::new(accounts), Arc::new(api_keys)))
}

/// The accounts services for the operator's verbs, over `backends`.
///
/// # Errors
/// When the vault's key is not usable.
pub fn operator_accounts(
    backends: &Backends,
    settings: &Settings,
) -> anyhow::Result<(Arc<dyn Accounts>, Arc<dyn ApiKeys>)> {
    let opened = open_vault(settings)?;
    let signing_keys = opened.signing_keys();
    let vault: Arc<dyn Vault> = Arc::new(opened);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let stores = EventStores::on(&backends.event_log);
    account_services(&stores, backends, settings, signing_keys, &vault, &clock)
}

/// The subscription service for the operator's verbs, over `backends`.
pub fn operator_subscriptions(backends: &Backends) -> Arc<dyn Subscriptions> {
    let stores = EventStores::on(&backends.event_log);
    Arc::new(
        SubscriptionService::new(stores.subscriptions, Arc::new(SystemClock))
            .claiming_transactions(Arc::new(JetStreamNameRegistry::new(&backends.event_log))),
    )
}

/// Password hashes computed at once: each takes 19 MiB and one core for
/// tens of milliseconds, so more than the cores would only queue.
const PASSWORD_HASHES_AT_ONCE: usize = 2;

/// Every process manager Herald runs.
fn workers(
    log: &EventLog,
    stores: &EventStores,
    settings: &Settings,
    state: &AppState,
    sessions: &Arc<Sessions>,
    gateway: &Arc<dyn WhatsAppGateway>,
    node: &str,
) -> Vec<Arc<dyn Worker>> {
    vec![
        Arc::new(WebhookProcessor::new(
            stores.conversations.clone(),
            stores.messages.clone(),
            stores.sessions.clone(),
            Arc::clone(&state.message_queries) as Arc<dyn SentMessages>,
            Arc::new(SystemClock),
            node,
        )),
        Arc::new(MessageDispatcher::new(
            Arc::clone(sessions),
            stores.messages.clone(),
            stores.campaigns.clone(),
            Channel {
                gateway: Arc::clone(gateway),
                budget: Arc::new(JetStreamNumberBudget::new(log)),
                number_rate: settings.number_rate,
                answer_window: settings.send_answer_window,
            },
            Arc::new(SystemClock),
            node,
        )),
        Arc::new(
            CampaignSender::new(
                stores.campaigns.clone(),
                Arc::clone(sessions),
                stores.messages.clone(),
                SenderConfig {
                    number_rate: settings.number_rate,
                    failure_window: settings.campaign_failure_window,
                    failure_percent: settings.campaign_failure_percent,
                },
                Arc::new(SystemClock),
                node,
            )
            .limited_by(Arc::clone(&state.subscriptions) as Arc<dyn PlanLimits>),
        ),
        Arc::new(CampaignScheduler::new(
            stores.campaigns.clone(),
            Arc::new(SystemClock),
            node,
        )),
        Arc::new(SubscriptionExpiry::new(
            stores.subscriptions.clone(),
            Arc::new(SystemClock),
            node,
        )),
    ]
}

/// Creates every live read-model collection before Herald serves. The
/// projections would create them too, but only once their tasks run, and
/// some reads do not wait for a projection (connecting a session first asks
/// the sessions read model who else holds its number): on a new store they
/// would find no table and fail.
///
/// The read store is then bound to the event log, or found to belong to
/// another one and refused or rebuilt, as `HERALD_READ_STORE_ON_MISMATCH`
/// says (see [`herald_projections::binding`]).
async fn prepare_read_models(backends: &Backends, settings: &Settings) -> anyhow::Result<()> {
    let projectors = projectors();
    for projector in &projectors {
        backends
            .read_store
            .prepare(projector.collections(), Generation::Live)
            .await
            .with_context(|| format!("preparing the {} read model", projector.name()))?;
    }
    let feed = JetStreamEventFeed::new(backends.event_log.clone());
    bind_to_log(
        backends.read_store.as_ref(),
        &feed,
        &projectors,
        settings.read_store_on_mismatch,
    )
    .await
    .context("checking the read store against the event log")
}

fn spawn_runner(runner: Arc<ProjectionRunner>, stop: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move { runner.run(stop).await })
}
