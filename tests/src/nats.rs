//! A `nats-server` with JetStream for one test, in a temporary folder, on a
//! port the server picks; killed when the test drops it.

use herald_infrastructure::jetstream::{EventLog, EventLogConfig};
use herald_infrastructure::nats_server::{Durability, NatsServer, NatsServerConfig};
use std::path::PathBuf;
use tempfile::TempDir;

pub struct TestNats {
    server: Option<NatsServer>,
    config: NatsServerConfig,
    _dir: TempDir,
}

impl TestNats {
    /// Starts a server. Tests run with the server's default durability: a
    /// test never needs fsync, and a clean stop flushes anyway.
    ///
    /// # Panics
    /// When the server cannot start; the message says how to install it.
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let config = NatsServerConfig {
            binary: nats_server_binary(),
            data_dir: dir.path().join("nats"),
            durability: Durability::Default,
            cluster: None,
            port: None,
        };
        let server = NatsServer::start(&config)
            .await
            .expect("nats-server starts (run ./scripts/install-tools)");
        Self {
            server: Some(server),
            config,
            _dir: dir,
        }
    }

    pub fn url(&self) -> String {
        self.server
            .as_ref()
            .map(|s| s.url().to_owned())
            .unwrap_or_default()
    }

    /// `host:port` of the server, for a proxy in front of it.
    pub fn address(&self) -> String {
        self.url().trim_start_matches("nats://").to_owned()
    }

    /// Opens the event log with `config`.
    ///
    /// # Panics
    /// When the server does not accept it.
    pub async fn event_log(&self, config: EventLogConfig) -> EventLog {
        EventLog::connect(&self.url(), config)
            .await
            .expect("the event log opens")
    }

    /// Stops the server cleanly and starts it again on the same data; the
    /// port may change.
    ///
    /// # Panics
    /// When it does not come back.
    pub async fn restart(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
        self.server = Some(
            NatsServer::start(&self.config)
                .await
                .expect("nats-server restarts"),
        );
    }
}

/// `HERALD_NATS_SERVER_BIN`, else the one `./scripts/install-tools` puts
/// in `.tools`, else `nats-server` on `PATH`.
pub fn nats_server_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("HERALD_NATS_SERVER_BIN") {
        return PathBuf::from(path);
    }
    let installed =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.tools/venv/bin/nats-server");
    if installed.exists() {
        return installed;
    }
    PathBuf::from("nats-server")
}
