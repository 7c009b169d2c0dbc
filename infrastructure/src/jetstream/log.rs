//! Connecting to the event log and making sure its stream, snapshot bucket
//! and lease bucket exist with the settings Herald relies on.

use async_nats::jetstream::{self, kv, stream};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

#[derive(Debug, Clone)]
pub struct EventLogConfig {
    pub stream_name: String,
    /// Subjects are `<prefix>.<tenant>.<aggregate_type>.<aggregate_id>`.
    pub subject_prefix: String,
    pub snapshot_bucket: String,
    /// Stream replicas: 1 on one machine, 3 in a production cluster.
    pub replicas: usize,
    /// How long to wait for a publish acknowledgement before asking again.
    pub publish_timeout: Duration,
    /// How many times a commit is sent before its outcome is reported unknown.
    pub publish_attempts: u32,
    /// A snapshot is written each time an aggregate passes a multiple of this
    /// many events.
    pub snapshot_every: u64,
    /// How many loaded aggregates each store keeps in memory; 0 keeps none.
    pub cache_capacity: usize,
    /// The bucket of leases (which node projects, and the like).
    pub lease_bucket: String,
    /// The bucket of each business number's send budget.
    pub pace_bucket: String,
    /// The bucket of unique names (e-mail addresses, usernames) and the
    /// accounts that hold them.
    pub names_bucket: String,
    /// How long a lease lasts unless renewed: how long a dead node's job
    /// waits before another node takes it.
    pub lease_ttl: Duration,
    /// How long a process manager's node may hold a commit before it is
    /// handed to another: how long a dead node's work waits.
    pub work_ack_wait: Duration,
}

impl Default for EventLogConfig {
    fn default() -> Self {
        Self {
            stream_name: "HERALD_EVENTS".into(),
            subject_prefix: "herald.evt".into(),
            snapshot_bucket: "HERALD_SNAPSHOTS".into(),
            replicas: 1,
            publish_timeout: Duration::from_secs(5),
            publish_attempts: 4,
            snapshot_every: 100,
            cache_capacity: 10_000,
            lease_bucket: "HERALD_LEASES".into(),
            pace_bucket: "HERALD_PACE".into(),
            names_bucket: "HERALD_NAMES".into(),
            lease_ttl: Duration::from_secs(6),
            work_ack_wait: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EventLogError {
    #[error("cannot connect to NATS at {url}: {message}")]
    Connect { url: String, message: String },
    #[error("cannot set up the event stream {stream}: {message}")]
    Stream { stream: String, message: String },
    #[error("cannot set up the key-value bucket {bucket}: {message}")]
    Bucket { bucket: String, message: String },
}

/// A connection to the event log: the JetStream context, the stream and
/// the snapshot bucket, shared by every store and feed.
#[derive(Clone)]
pub struct EventLog {
    pub(crate) jetstream: jetstream::Context,
    pub(crate) stream: stream::Stream,
    pub(crate) snapshots: kv::Store,
    pub(crate) leases: kv::Store,
    pub(crate) pace: kv::Store,
    pub(crate) names: kv::Store,
    pub(crate) config: Arc<EventLogConfig>,
}

const SETUP_LIMIT: Duration = Duration::from_secs(20);

impl EventLog {
    /// Connects to `urls` (one URL, or several of a cluster separated by
    /// commas, as the NATS clients take them) and opens the log, creating
    /// the stream and buckets if needed.
    ///
    /// # Errors
    /// When a URL does not parse, NATS cannot be reached, or JetStream
    /// refuses the stream or a bucket.
    pub async fn connect(urls: &str, config: EventLogConfig) -> Result<Self, EventLogError> {
        let failed = |message: String| EventLogError::Connect {
            url: urls.to_owned(),
            message,
        };
        let servers = urls
            .split(',')
            .map(|url| url.trim().parse::<async_nats::ServerAddr>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| failed(e.to_string()))?;
        let client = async_nats::ConnectOptions::new()
            .name("herald")
            .connect(servers)
            .await
            .map_err(|e| failed(e.to_string()))?;
        Self::open(client, config).await
    }

    /// Opens the log over an existing connection.
    ///
    /// # Errors
    /// As [`EventLog::connect`].
    pub async fn open(
        client: async_nats::Client,
        config: EventLogConfig,
    ) -> Result<Self, EventLogError> {
        let jetstream = jetstream::ContextBuilder::new()
            .timeout(config.publish_timeout)
            .build(client);
        let stream = ensure_stream(&jetstream, &config).await?;
        let snapshots = ensure_bucket(&jetstream, snapshots_config(&config)).await?;
        let leases = ensure_bucket(&jetstream, leases_config(&config)).await?;
        let pace = ensure_bucket(&jetstream, pace_config(&config)).await?;
        let names = ensure_bucket(&jetstream, names_config(&config)).await?;
        Ok(Self {
            jetstream,
            stream,
            snapshots,
            leases,
            pace,
            names,
            config: Arc::new(config),
        })
    }

    pub fn config(&self) -> &EventLogConfig {
        &self.config
    }

    pub fn client(&self) -> async_nats::Client {
        self.jetstream.client()
    }

    /// The subject of one aggregate's commits.
    pub fn subject(&self, tenant: &str, aggregate_type: &str, aggregate_id: &str) -> String {
        format!(
            "{}.{tenant}.{aggregate_type}.{aggregate_id}",
            self.config.subject_prefix
        )
    }

    /// The subjects of every commit.
    pub fn all_subjects(&self) -> String {
        format!("{}.>", self.config.subject_prefix)
    }
}

/// The stream keeps every commit forever: no limits, and neither messages
/// nor the stream's contents can be deleted through the API.
async fn ensure_stream(
    jetstream: &jetstream::Context,
    config: &EventLogConfig,
) -> Result<stream::Stream, EventLogError> {
    let wanted = stream::Config {
        name: config.stream_name.clone(),
        subjects: vec![format!("{}.>", config.subject_prefix)],
        storage: stream::StorageType::File,
        retention: stream::RetentionPolicy::Limits,
        deny_delete: true,
        deny_purge: true,
        num_replicas: config.replicas,
        duplicate_window: Duration::from_secs(120),
        ..Default::default()
    };
    let failed = |e: &dyn std::fmt::Display| EventLogError::Stream {
        stream: config.stream_name.clone(),
        message: e.to_string(),
    };
    retry_while_starting(
        || jetstream.get_or_create_stream(wanted.clone()),
        |e| failed(&e),
    )
    .await
}

fn snapshots_config(config: &EventLogConfig) -> kv::Config {
    kv::Config {
        bucket: config.snapshot_bucket.clone(),
        description: "Herald aggregate snapshots; the event stream stays the truth".into(),
        history: 1,
        storage: stream::StorageType::File,
        num_replicas: config.replicas,
        ..Default::default()
    }
}

/// A lease not renewed within its time to live disappears with the
/// message that holds it.
fn leases_config(config: &EventLogConfig) -> kv::Config {
    kv::Config {
        bucket: config.lease_bucket.clone(),
        description: "Herald leases: which node does what only one node may do".into(),
        history: 1,
        max_age: config.lease_ttl,
        storage: stream::StorageType::File,
        num_replicas: config.replicas,
        ..Default::default()
    }
}

/// A number's budget time is in the past within a second of its last
/// send; an hour later nobody needs it.
fn pace_config(config: &EventLogConfig) -> kv::Config {
    kv::Config {
        bucket: config.pace_bucket.clone(),
        description: "Herald send budgets: when each number may send next".into(),
        history: 1,
        max_age: Duration::from_secs(3600),
        storage: stream::StorageType::File,
        num_replicas: config.replicas,
        ..Default::default()
    }
}

/// Names are kept as long as their accounts: no age limit, one revision.
fn names_config(config: &EventLogConfig) -> kv::Config {
    kv::Config {
        bucket: config.names_bucket.clone(),
        description: "Herald unique names: which account holds each e-mail address and username"
            .into(),
        history: 1,
        storage: stream::StorageType::File,
        num_replicas: config.replicas,
        ..Default::default()
    }
}

async fn ensure_bucket(
    jetstream: &jetstream::Context,
    wanted: kv::Config,
) -> Result<kv::Store, EventLogError> {
    if let Ok(store) = jetstream.get_key_value(&wanted.bucket).await {
        return Ok(store);
    }
    let failed = |e: &dyn std::fmt::Display| EventLogError::Bucket {
        bucket: wanted.bucket.clone(),
        message: e.to_string(),
    };
    retry_while_starting(
        || jetstream.create_key_value(wanted.clone()),
        |e| failed(&e),
    )
    .await
}

/// JetStream may still be recovering its streams just after the server
/// starts; setup calls are retried until a deadline.
async fn retry_while_starting<T, E, F, Fut>(
    mut call: F,
    failed: impl Fn(E) -> EventLogError,
) -> Result<T, EventLogError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let deadline = Instant::now() + SETUP_LIMIT;
    loop {
        match call().await {
            Ok(value) => return Ok(value),
            Err(error) if Instant::now() >= deadline => return Err(failed(error)),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}
