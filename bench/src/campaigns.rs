//! `herald bench --suite campaigns`: the highest sustained sends per second
//! of one Herald node, each send followed by its `sent`, `delivered` and
//! `read` webhooks.
//!
//! Three processes of their own, so that each one's CPU is its own: a
//! `nats-server` (at each durability asked for), `herald serve`, and the
//! Graph API stand-in (`herald-bench graph-stand-in`, [`super::graph_stand_in`]),
//! which has no limits. One number can send only its throughput (up to
//! 1,000 a second for an upgraded number, which the bench's numbers are), so
//! the load is spread over `--numbers` numbers, one campaign each, started
//! together. Measured: sends per second at the stand-in over the middle of
//! the run (its first and last tenth left out), the CPU each process used
//! over the same span, Herald's peak memory, and how long after its
//! campaign's start each send came (p50, p99).

use anyhow::Context;
use herald_infrastructure::nats_server::{Durability, NatsServer, NatsServerConfig};
use serde::Serialize;
use serde_json::{json, Value};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::graph_stand_in::display_number;
use super::machine::Machine;
use super::processes::{
    cpu_ticks, free_address, nats_pid, peak_mib, ticks_per_second, wait_for, Process,
};
use super::DurabilityArg;
use herald_api::Settings;

const TENANT: &str = "bench";
const APP_SECRET: &str = "bench-campaign-secret";
/// How long a run may take before it is reported as stuck.
const RUN_LIMIT: Duration = Duration::from_secs(900);

#[derive(Debug, Serialize)]
pub struct Row {
    pub durability: String,
    pub numbers: usize,
    pub sends: u64,
    pub sends_per_s: f64,
    /// Percent of one core, over the measured span.
    pub herald_cpu: f64,
    pub nats_cpu: f64,
    pub graph_cpu: f64,
    pub herald_peak_mib: f64,
    /// From its campaign's start to each send.
    pub p50_s: f64,
    pub p99_s: f64,
}

#[derive(Debug, Serialize)]
struct Report {
    machine: Machine,
    results: Vec<Row>,
}

/// Runs the suite for each durability and prints the figures.
///
/// # Errors
/// When a process cannot be started, or a run does not finish.
pub async fn run(
    settings: &Settings,
    durabilities: &[DurabilityArg],
    numbers: usize,
    recipients: usize,
    json_output: bool,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        numbers > 0 && recipients > 0,
        "--numbers and --recipients must be positive"
    );
    anyhow::ensure!(
        recipients <= 5_000,
        "--recipients: at most 5,000 per campaign here"
    );
    let mut results = Vec::new();
    for &durability in durabilities {
        eprintln!("campaigns: {durability}, {numbers} numbers × {recipients} recipients");
        results.push(one_run(settings, durability.into(), numbers, recipients).await?);
    }
    let report = Report {
        machine: Machine::read(&settings.nats_server_bin),
        results,
    };
    if json_output {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!("{}", report.machine);
    println!(
        "{:<10} {:>7} {:>7} {:>9} {:>10} {:>9} {:>10} {:>10} {:>8} {:>8}",
        "durability",
        "numbers",
        "sends",
        "sends/s",
        "herald CPU",
        "nats CPU",
        "graph CPU",
        "herald MiB",
        "p50 s",
        "p99 s"
    );
    for row in &report.results {
        println!(
            "{:<10} {:>7} {:>7} {:>9.0} {:>9.0}% {:>8.0}% {:>9.0}% {:>10.0} {:>8.1} {:>8.1}",
            row.durability,
            row.numbers,
            row.sends,
            row.sends_per_s,
            row.herald_cpu,
            row.nats_cpu,
            row.graph_cpu,
            row.herald_peak_mib,
            row.p50_s,
            row.p99_s
        );
    }
    Ok(())
}

async fn one_run(
    settings: &Settings,
    durability: Durability,
    numbers: usize,
    recipients: usize,
) -> anyhow::Result<Row> {
    let dir = tempfile::tempdir()?;
    let nats = NatsServer::start(&NatsServerConfig {
        binary: settings.nats_server_bin.clone(),
        data_dir: dir.path().join("nats"),
        durability,
        cluster: None,
        port: None,
    })
    .await?;
    let (herald_address, graph_address) = (free_address()?, free_address()?);
    let me = std::env::current_exe().context("the herald-bench binary")?;
    let herald_binary = crate::sibling_binary("herald")?;
    let graph = Process(
        Command::new(&me)
            .args(["graph-stand-in", "--listen", &graph_address])
            .args([
                "--webhook",
                &format!("http://{herald_address}/v1/webhooks/whatsapp"),
            ])
            .args(["--app-secret", APP_SECRET])
            .stdout(Stdio::null())
            .spawn()
            .context("starting the Graph API stand-in")?,
    );
    let herald = Process(
        Command::new(&herald_binary)
            .arg("serve")
            .env("HERALD_NATS_URL", nats.url())
            .env("HERALD_DATA_DIR", dir.path())
            .env("HERALD_HTTP_ADDR", &herald_address)
            // The bench measures what Herald can do, not the rates it allows.
            .env("HERALD_RATE_TENANT_PER_SECOND", "0")
            .env("HERALD_RATE_IP_PER_SECOND", "0")
            .env("HERALD_GRAPH_API_URL", format!("http://{graph_address}"))
            .env("HERALD_NUMBER_RATE", "1000")
            .env_remove("HERALD_MONGODB_URI")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting herald serve")?,
    );
    let base = format!("http://{herald_address}");
    wait_for(&reqwest::Client::new(), &format!("{base}/healthz")).await?;
    let key = crate::issue_key(nats.url(), dir.path(), TENANT)?;
    let http = crate::authorized(reqwest::Client::builder(), &key)?;
    wait_for(&http, &format!("http://{graph_address}/stats")).await?;

    let mut campaigns = Vec::new();
    for number in 0..numbers {
        campaigns.push(prepare_campaign(&http, &base, number, recipients).await?);
    }
    let pids = [herald.0.id(), nats_pid(&nats)?, graph.0.id()];
    let started_at = now_millis();
    let before = cpu_ticks(&pids);
    let clock = Instant::now();
    for id in &campaigns {
        post(
            &http,
            &format!("{base}/v1/campaigns/{id}/start"),
            &json!({}),
        )
        .await?;
    }
    let total = (numbers * recipients) as u64;
    let arrivals = loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let stats: Value = http
            .get(format!("http://{graph_address}/stats"))
            .send()
            .await?
            .json()
            .await?;
        if stats["sends"].as_u64().unwrap_or_default() >= total {
            break stats["arrivals"].as_array().cloned().unwrap_or_default();
        }
        anyhow::ensure!(
            clock.elapsed() < RUN_LIMIT,
            "the campaigns did not finish in {RUN_LIMIT:?}: {stats}"
        );
    };
    let wall = clock.elapsed();
    let after = cpu_ticks(&pids);
    let peak = peak_mib(pids[0]);
    let mut offsets: Vec<u64> = arrivals
        .iter()
        .filter_map(Value::as_u64)
        .map(|at| at.saturating_sub(started_at))
        .collect();
    offsets.sort_unstable();
    // The middle of the run: the first and last tenth of the sends out.
    let (low, high) = (offsets.len() / 10, offsets.len() * 9 / 10);
    let span_s = (offsets[high.saturating_sub(1)] - offsets[low]) as f64 / 1_000.0;
    let sends_per_s = (high - low) as f64 / span_s.max(0.001);
    let cpu =
        |i: usize| (after[i] - before[i]) as f64 / ticks_per_second() / wall.as_secs_f64() * 100.0;
    let quantile = |q: f64| offsets[((offsets.len() as f64 - 1.0) * q) as usize] as f64 / 1_000.0;
    drop(herald);
    drop(graph);
    nats.stop().await;
    Ok(Row {
        durability: durability.as_str().to_owned(),
        numbers,
        sends: offsets.len() as u64,
        sends_per_s: sends_per_s.round(),
        herald_cpu: cpu(0).round(),
        nats_cpu: cpu(1).round(),
        graph_cpu: cpu(2).round(),
        herald_peak_mib: peak.round(),
        p50_s: quantile(0.5),
        p99_s: quantile(0.99),
    })
}

/// A connected session for bench number `number`, and a campaign of
/// `recipients` on it at the number's throughput; gives the campaign's id.
async fn prepare_campaign(
    http: &reqwest::Client,
    base: &str,
    number: usize,
    recipients: usize,
) -> anyhow::Result<String> {
    let phone_number_id = format!("91000000{number:04}");
    let session = post(
        http,
        &format!("{base}/v1/sessions"),
        &json!({
            "phoneNumber": display_number(&phone_number_id).replace([' ', '-'], ""),
            "sessionName": format!("Bench {number}"),
            "phoneNumberId": phone_number_id,
            "wabaId": "102290129340398",
            "accessToken": "bench-token",
            "appSecret": APP_SECRET,
            "webhookVerifyToken": "bench-verify",
        }),
    )
    .await?;
    let session = session["id"].as_str().context("a session id")?.to_owned();
    post(
        http,
        &format!("{base}/v1/sessions/{session}/connect"),
        &json!({}),
    )
    .await?;
    let audience: Vec<Value> = (0..recipients)
        .map(|i| json!({ "phoneNumber": format!("+1415{number:03}{i:04}"), "name": format!("Guest {i}") }))
        .collect();
    let campaign = post(
        http,
        &format!("{base}/v1/campaigns"),
        &json!({
            "campaignName": format!("Bench {number}"),
            "sessionId": session,
            "messageType": "template",
            "template": { "name": "bench_offer", "language": "en_US", "variables": ["{{name}}"] },
            "personalize": true,
            "recipients": audience,
        }),
    )
    .await?;
    Ok(campaign["id"].as_str().context("a campaign id")?.to_owned())
}

async fn post(http: &reqwest::Client, url: &str, body: &Value) -> anyhow::Result<Value> {
    let answer = http.post(url).json(body).send().await?;
    let status = answer.status();
    let body: Value = answer.json().await.unwrap_or_default();
    anyhow::ensure!(status.is_success(), "{url} answered {status}: {body}");
    Ok(body)
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
