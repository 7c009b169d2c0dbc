//! A local `nats-server` with JetStream, started as a child process.
//!
//! The server listens on a free port of 127.0.0.1 and reports it in a
//! "ports file", so no port is ever fixed and two servers never race for
//! one. The child dies with its parent (`PR_SET_PDEATHSIG`), so a crashed
//! test or binary leaves no server behind.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};
use tokio::time::Instant;
use tracing::{info, warn};

/// When the server flushes JetStream writes to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// fsync before each acknowledgement: what production runs.
    Always,
    /// The server's default: fsync every two minutes.
    Default,
}

impl Durability {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Always => "always",
            Self::Default => "default",
        }
    }
}

#[derive(Debug, Clone)]
pub struct NatsServerConfig {
    /// The `nats-server` executable; a bare name is looked up on `PATH`.
    pub binary: PathBuf,
    /// Holds the configuration, the log, the ports file and JetStream data.
    pub data_dir: PathBuf,
    pub durability: Durability,
    /// Set to make the server one node of a JetStream cluster.
    pub cluster: Option<ClusterNode>,
    /// The client port; a free one when `None`. A server started again on
    /// its port is found by clients that keep reconnecting to it.
    pub port: Option<u16>,
}

/// One server's place in a JetStream cluster on this machine.
#[derive(Debug, Clone)]
pub struct ClusterNode {
    /// The cluster's name, the same on every node.
    pub cluster: String,
    /// This node's name, unique in the cluster.
    pub server_name: String,
    /// The loopback port this node listens on for the other nodes.
    pub route_port: u16,
    /// The route ports of every node, this one's included.
    pub route_ports: Vec<u16>,
}

impl ClusterNode {
    /// The nodes of a cluster of `size` on loopback, named `n0`, `n1`, …,
    /// with route ports free now: routes must be named before the nodes
    /// start, so these ports cannot be left to the servers to pick.
    ///
    /// # Errors
    /// When no free port can be found.
    pub fn local_cluster(cluster: &str, size: usize) -> std::io::Result<Vec<Self>> {
        let route_ports = (0..size)
            .map(|_| {
                let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
                Ok(listener.local_addr()?.port())
            })
            .collect::<std::io::Result<Vec<u16>>>()?;
        Ok((0..size)
            .map(|i| Self {
                cluster: cluster.to_owned(),
                server_name: format!("n{i}"),
                route_port: route_ports[i],
                route_ports: route_ports.clone(),
            })
            .collect())
    }

    fn config_text(&self) -> String {
        let routes: Vec<String> = self
            .route_ports
            .iter()
            .map(|port| format!("nats-route://127.0.0.1:{port}"))
            .collect();
        format!(
            "server_name: {}\ncluster {{\n  name: {}\n  listen: 127.0.0.1:{}\n  routes: [{}]\n}}\n",
            self.server_name,
            self.cluster,
            self.route_port,
            routes.join(", ")
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum NatsServerError {
    #[error("cannot prepare {path}: {source}")]
    Prepare {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot start {binary}: {source} (install it with ./scripts/install-tools, or set HERALD_NATS_SERVER_BIN)")]
    Spawn {
        binary: PathBuf,
        source: std::io::Error,
    },
    #[error("nats-server did not report its port within {0:?}; its log: {1}")]
    NotReady(Duration, String),
}

/// A running `nats-server`; stopped by [`NatsServer::stop`] or, failing
/// that, killed when dropped.
#[derive(Debug)]
pub struct NatsServer {
    child: Child,
    url: String,
    data_dir: PathBuf,
}

const READY_LIMIT: Duration = Duration::from_secs(20);
const STOP_LIMIT: Duration = Duration::from_secs(10);

impl NatsServer {
    /// Starts the server and waits until it accepts clients.
    ///
    /// # Errors
    /// When the data folder cannot be written, the binary cannot be run, or
    /// the server does not report its port within 20 seconds.
    pub async fn start(config: &NatsServerConfig) -> Result<Self, NatsServerError> {
        let config_file = write_config(config)?;
        let log =
            std::fs::File::create(config.data_dir.join("nats-server.log")).map_err(|source| {
                NatsServerError::Prepare {
                    path: config.data_dir.clone(),
                    source,
                }
            })?;
        let stderr = log.try_clone().map_err(|source| NatsServerError::Prepare {
            path: config.data_dir.clone(),
            source,
        })?;
        let mut command = Command::new(&config.binary);
        command
            .arg("--config")
            .arg(&config_file)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(stderr)
            .kill_on_drop(true);
        die_with_parent(&mut command);
        let child = command.spawn().map_err(|source| NatsServerError::Spawn {
            binary: config.binary.clone(),
            source,
        })?;
        let mut server = Self {
            child,
            url: String::new(),
            data_dir: config.data_dir.clone(),
        };
        server.url = server.wait_for_port().await?;
        info!(url = %server.url, data = %server.data_dir.display(), durability = config.durability.as_str(), "nats-server started");
        Ok(server)
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    pub async fn kill(mut self) {
        let _ = self.child.kill().await;
    }

    /// Asks the server to shut down cleanly, and kills it if it has not
    /// within ten seconds.
    pub async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            send_terminate(pid);
            if tokio::time::timeout(STOP_LIMIT, self.child.wait())
                .await
                .is_ok()
            {
                return;
            }
            warn!(pid, "nats-server did not stop in time; killing it");
        }
        let _ = self.child.kill().await;
    }

    async fn wait_for_port(&mut self) -> Result<String, NatsServerError> {
        let deadline = Instant::now() + READY_LIMIT;
        while Instant::now() < deadline {
            if let Some(url) = self.reported_url() {
                return Ok(url);
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(NatsServerError::NotReady(
                    READY_LIMIT,
                    format!("exited with {status}: {}", self.log_tail()),
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Err(NatsServerError::NotReady(READY_LIMIT, self.log_tail()))
    }

    /// The client URL from the ports file the server writes once it listens.
    fn reported_url(&self) -> Option<String> {
        let pid = self.child.id()?;
        let suffix = format!("_{pid}.ports");
        let entries = std::fs::read_dir(&self.data_dir).ok()?;
        let ports_file = entries
            .filter_map(Result::ok)
            .find(|entry| entry.file_name().to_string_lossy().ends_with(&suffix))?;
        let text = std::fs::read_to_string(ports_file.path()).ok()?;
        let ports: serde_json::Value = serde_json::from_str(&text).ok()?;
        ports["nats"].get(0)?.as_str().map(str::to_owned)
    }

    fn log_tail(&self) -> String {
        let log =
            std::fs::read_to_string(self.data_dir.join("nats-server.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(10)..].join("\n")
    }
}

fn write_config(config: &NatsServerConfig) -> Result<PathBuf, NatsServerError> {
    let prepare = |source| NatsServerError::Prepare {
        path: config.data_dir.clone(),
        source,
    };
    std::fs::create_dir_all(&config.data_dir).map_err(prepare)?;
    remove_old_ports_files(&config.data_dir);
    let quoted = |path: &Path| serde_json::Value::from(path.to_string_lossy()).to_string();
    let sync = match config.durability {
        Durability::Always => "\n  sync_interval: always",
        Durability::Default => "",
    };
    let mut text = format!(
        "host: 127.0.0.1\nport: {}\nmax_payload: 8MB\nports_file_dir: {}\njetstream {{\n  store_dir: {}{sync}\n}}\n",
        config.port.map_or(-1, i32::from),
        quoted(&config.data_dir),
        quoted(&config.data_dir.join("jetstream")),
    );
    if let Some(cluster) = &config.cluster {
        text.push_str(&cluster.config_text());
    }
    let path = config.data_dir.join("nats-server.conf");
    std::fs::write(&path, text).map_err(prepare)?;
    Ok(path)
}

fn remove_old_ports_files(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        if entry.file_name().to_string_lossy().ends_with(".ports") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(target_os = "linux")]
fn die_with_parent(command: &mut Command) {
    // SAFETY: prctl is async-signal-safe and touches only the child's own
    // process attributes, as pre_exec requires.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_command: &mut Command) {}

fn send_terminate(pid: u32) {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return;
    };
    // SAFETY: kill only sends a signal to our own child process.
    unsafe {
        libc::kill(pid, libc::SIGTERM);
    }
}
