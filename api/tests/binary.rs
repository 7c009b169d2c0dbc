//! The `herald` binary as an operator runs it: embedded mode (its own
//! nats-server and SQLite under the data folder), killed without warning,
//! restarted, inspected with the operator's verbs, and stopped cleanly.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const PATIENCE: Duration = Duration::from_secs(60);
const POLL_INTERVAL: Duration = Duration::from_millis(50);

fn nats_server_binary() -> PathBuf {
    std::env::var_os("HERALD_NATS_SERVER_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.tools/venv/bin/nats-server")
        })
}

fn herald(data: &Path, address: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_herald"));
    command
        .env("HERALD_DATA_DIR", data)
        .env("HERALD_HTTP_ADDR", address)
        .env("HERALD_NATS_SERVER_BIN", nats_server_binary())
        .env_remove("HERALD_NATS_URL")
        .env_remove("HERALD_MONGODB_URI");
    command
}

fn free_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("an address").to_string()
}

struct Serving {
    child: Child,
    address: String,
}

impl Serving {
    async fn start(data: &Path) -> Self {
        let address = free_address();
        let child = herald(data, &address)
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("herald starts");
        let serving = Self { child, address };
        serving.wait_until_healthy().await;
        serving
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
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

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    async fn wait_for_exit(&mut self) -> std::process::ExitStatus {
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

fn nats_servers_running_on(data: &Path) -> usize {
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

fn run_verb(data: &Path, args: &[&str]) -> Output {
    herald(data, &free_address())
        .args(args)
        .output()
        .expect("herald runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_herald_survives_a_kill_and_stops_cleanly() {
    let data = tempfile::tempdir().expect("a temporary folder");
    herald_infrastructure::tls::install_crypto_provider();
    let client = reqwest::Client::new();
    let body = serde_json::json!({ "campaignName": "Survivor", "sessionId": "main", "messageType": "text", "messageContent": "Hi", "recipients": ["+14155550100"] });

    let mut first = Serving::start(data.path()).await;
    let created: serde_json::Value = client
        .post(first.url("/v1/campaigns"))
        .header("X-Tenant-Id", "acme")
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().expect("an id").to_owned();
    let started = client
        .post(first.url(&format!("/v1/campaigns/{id}/start")))
        .header("X-Tenant-Id", "acme")
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 202);
    let position = started.json::<serde_json::Value>().await.unwrap()["position"]
        .as_u64()
        .unwrap();
    first.signal("KILL");
    first.wait_for_exit().await;

    let mut second = Serving::start(data.path()).await;
    let read: serde_json::Value = client
        .get(second.url(&format!("/v1/campaigns/{id}?minPosition={position}")))
        .header("X-Tenant-Id", "acme")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read["status"], "running", "{read}");

    let history = run_verb(data.path(), &["history", "campaign", &id]);
    let printed = String::from_utf8_lossy(&history.stdout);
    assert!(
        history.status.success(),
        "{}",
        String::from_utf8_lossy(&history.stderr)
    );
    assert!(
        printed.contains("CampaignCreated") && printed.contains("CampaignStarted"),
        "{printed}"
    );
    let status = run_verb(data.path(), &["projections", "status"]);
    let table = String::from_utf8_lossy(&status.stdout);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("campaigns") && l.trim_end().ends_with(" 0")),
        "{table}"
    );

    second.signal("TERM");
    assert!(second.wait_for_exit().await.success());
    assert_eq!(
        nats_servers_running_on(data.path()),
        0,
        "a nats-server was left running"
    );
}

#[tokio::test]
async fn history_of_an_unknown_aggregate_says_so_and_fails() {
    let data = tempfile::tempdir().expect("a temporary folder");

    let output = run_verb(
        data.path(),
        &[
            "history",
            "campaign",
            "01a1fe22-a378-742b-9e85-8617af410eb7",
        ],
    );

    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no events recorded"));
    assert_eq!(
        nats_servers_running_on(data.path()),
        0,
        "the verb stopped the nats-server it started"
    );
}
