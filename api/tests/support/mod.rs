//! The `herald` binary run as an operator runs it, for the tests in this
//! folder: `herald serve` on a free port with its own data folder (and so
//! its own nats-server), stopped with SIGTERM when the test ends, even when
//! it fails, so that no server is left running; and a probe that measures
//! how long other requests take while a test attacks it.

#![allow(dead_code)]

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const PATIENCE: Duration = Duration::from_secs(60);
pub const POLL_INTERVAL: Duration = Duration::from_millis(50);

pub fn nats_server_binary() -> PathBuf {
    std::env::var_os("HERALD_NATS_SERVER_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.tools/venv/bin/nats-server")
        })
}

/// The `herald` binary with `data` as its data folder and `address` to
/// listen on, in embedded mode whatever the environment says.
pub fn herald(data: &Path, address: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_herald"));
    command
        .env("HERALD_DATA_DIR", data)
        .env("HERALD_HTTP_ADDR", address)
        .env("HERALD_NATS_SERVER_BIN", nats_server_binary())
        // These tests load Herald on purpose: only the sign-in rate is kept.
        .env("HERALD_RATE_TENANT_PER_SECOND", "0")
        .env("HERALD_RATE_IP_PER_SECOND", "0")
        .env_remove("HERALD_NATS_URL")
        .env_remove("HERALD_MONGODB_URI");
    command
}

/// The MongoDB-wire server of this run (`scripts/test` starts one).
///
/// # Panics
/// Under `CI=true` when `HERALD_TEST_MONGODB_URI` is not set.
pub fn mongodb_uri() -> Option<String> {
    match std::env::var("HERALD_TEST_MONGODB_URI") {
        Ok(uri) if !uri.trim().is_empty() => Some(uri),
        _ if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
            panic!("CI=true, and HERALD_TEST_MONGODB_URI is not set: run ./scripts/test")
        }
        _ => {
            eprintln!("skipped: HERALD_TEST_MONGODB_URI is not set (./scripts/test sets it)");
            None
        }
    }
}

pub fn free_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("an address").to_string()
}

/// How to run `herald serve`: extra settings, a file limit, where its log goes.
#[derive(Default)]
pub struct ServeOptions {
    pub env: Vec<(&'static str, String)>,
    /// Soft and hard `RLIMIT_NOFILE` for the process.
    pub file_limit: Option<u64>,
    /// Where stderr (the log) goes; discarded when `None`.
    pub log: Option<PathBuf>,
    /// Where to listen; a free port when `None`. A node restarted on the
    /// same address keeps the webhooks pointed at it.
    pub address: Option<String>,
}

/// A running `herald serve`.
pub struct Serving {
    child: Child,
    pub address: String,
    data: PathBuf,
    env: Vec<(&'static str, String)>,
}

impl Serving {
    pub async fn start(data: &Path) -> Self {
        Self::start_with(data, ServeOptions::default()).await
    }

    pub async fn start_with(data: &Path, options: ServeOptions) -> Self {
        let address = options.address.unwrap_or_else(free_address);
        let mut command = herald(data, &address);
        command
            .arg("serve")
            .stdout(Stdio::null())
            .envs(options.env.clone());
        match &options.log {
            Some(path) => command.stderr(std::fs::File::create(path).expect("a log file")),
            None => command.stderr(Stdio::null()),
        };
        if let Some(limit) = options.file_limit {
            // SAFETY: setrlimit is async-signal-safe and touches only this
            // child, between fork and exec.
            unsafe {
                command.pre_exec(move || {
                    let limit = libc::rlimit {
                        rlim_cur: limit,
                        rlim_max: limit,
                    };
                    if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0 {
                        Ok(())
                    } else {
                        Err(std::io::Error::last_os_error())
                    }
                });
            }
        }
        let child = command.spawn().expect("herald starts");
        let serving = Self {
            child,
            address,
            data: data.to_owned(),
            env: options.env,
        };
        serving.wait_until_healthy().await;
        serving
    }

    /// An API key of `tenant` with every permission, issued as an operator
    /// does: `herald accounts issue-key`, beside this server, the tenant
    /// given no plan limits (`herald subscriptions set-limits --unlimited`).
    ///
    /// # Panics
    /// When the verb fails.
    pub fn api_key(&self, tenant: &str) -> String {
        // No plan limits: these tests send what they need.
        let limits = herald(&self.data, &self.address)
            .envs(self.env.clone())
            .args([
                "subscriptions",
                "set-limits",
                "--tenant",
                tenant,
                "--unlimited",
            ])
            .output()
            .expect("herald subscriptions set-limits runs");
        assert!(
            limits.status.success(),
            "set-limits failed: {}",
            String::from_utf8_lossy(&limits.stderr)
        );
        let output = herald(&self.data, &self.address)
            .envs(self.env.clone())
            .args([
                "accounts",
                "issue-key",
                "--tenant",
                tenant,
                "--name",
                "tests",
            ])
            .args(["--permissions", "admin"])
            .output()
            .expect("herald accounts issue-key runs");
        assert!(
            output.status.success(),
            "issue-key failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout)
            .expect("the key is text")
            .trim()
            .to_owned()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    async fn wait_until_healthy(&self) {
        herald_infrastructure::tls::install_crypto_provider();
        let deadline = Instant::now() + PATIENCE;
        while !reqwest::get(self.url("/healthz"))
            .await
            .is_ok_and(|r| r.status() == reqwest::StatusCode::OK)
        {
            assert!(Instant::now() < deadline, "herald serve did not come up");
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    pub async fn wait_for_exit(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("the child can be waited for") {
                return status;
            }
            assert!(Instant::now() < deadline, "herald did not exit");
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }
}

impl Drop for Serving {
    /// SIGTERM, so that Herald stops its nats-server too; SIGKILL if it
    /// has not exited within the patience.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(POLL_INTERVAL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How many nats-server processes run on `data`'s configuration.
pub fn nats_servers_running_on(data: &Path) -> usize {
    let listing = Command::new("ps")
        .args(["-eo", "args"])
        .output()
        .expect("ps runs");
    let config = data.join("nats").join("nats-server.conf");
    String::from_utf8_lossy(&listing.stdout)
        .lines()
        .filter(|line| line.contains(&*config.to_string_lossy()))
        .count()
}

/// Latencies of a probe's requests, in order.
#[derive(Default)]
pub struct Probed {
    pub latencies: Vec<Duration>,
    pub failures: Vec<String>,
}

impl Probed {
    pub fn worst(&self) -> Duration {
        self.latencies.iter().copied().max().unwrap_or_default()
    }

    pub fn p99(&self) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        sorted
            .get(sorted.len().saturating_sub(1) * 99 / 100)
            .copied()
            .unwrap_or_default()
    }
}

/// Sends `paths` in turn, each on a new connection as a load balancer's
/// health check does, every `interval`, while `going` says so.
pub async fn probe(
    base: String,
    key: String,
    paths: &[&str],
    interval: Duration,
    going: impl Fn() -> bool,
) -> Probed {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(5))
        .build()
        .expect("a client");
    let mut probed = Probed::default();
    while going() {
        for path in paths {
            let started = Instant::now();
            let answer = client
                .get(format!("{base}{path}"))
                .bearer_auth(&key)
                .send()
                .await;
            match answer {
                Ok(answer) if answer.status().is_success() => {
                    probed.latencies.push(started.elapsed())
                }
                Ok(answer) => probed.failures.push(format!("{path}: {}", answer.status())),
                Err(error) => probed.failures.push(format!("{path}: {error}")),
            }
        }
        tokio::time::sleep(interval).await;
    }
    probed
}

/// Creates a session (not connected) on the Herald at `url` for the tenant
/// of `key`, for campaigns to name (a campaign must name a session its
/// tenant has); gives its id.
///
/// # Panics
/// When Herald refuses it.
#[allow(dead_code)]
pub async fn create_session(client: &reqwest::Client, url: &str, key: &str) -> String {
    let body = serde_json::json!({
        "phoneNumber": "+15550009999",
        "sessionName": "Campaigns",
        "phoneNumberId": "900000000000001",
        "wabaId": "900000000000002",
        "accessToken": "campaign-token",
        "appSecret": "campaign-secret",
        "webhookVerifyToken": "verify",
    });
    let created = client
        .post(format!("{url}/v1/sessions"))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .expect("the request is sent");
    assert_eq!(created.status(), 201, "the campaigns' session is created");
    let body: serde_json::Value = created.json().await.expect("a JSON answer");
    body["id"].as_str().expect("an id").to_owned()
}
