//! `herald bench --suite queries`: the read side under a fixed rate of
//! requests.
//!
//! The event log is filled with `--messages` messages (a tenth queued, the
//! rest sent, delivered or read, over ten sessions) and `--campaigns`
//! campaigns of one tenant, recorded as Herald records them. A `herald
//! serve` started on it projects them all (the catch-up's commits per
//! second are reported), into SQLite by default or the MongoDB
//! `HERALD_MONGODB_URI` names; it runs no process managers, as a node that
//! only serves reads. Then, for each rate of `--rates`, requests go out open loop at
//! that rate for `--seconds`: `GET /v1/messages` filtered by session, by
//! direction and status, and by time; `GET /v1/campaigns?limit=50`; and a
//! campaign and a message by id. Each is timed from its scheduled start, so
//! a slow answer delays no later request and queueing shows in the figures.
//! Reported per rate: p50, p99, p999 and the slowest answer, answers 503
//! (refused at capacity) and other failures, Herald's CPU, and its memory
//! before and at most during the run.

use anyhow::Context;
use chrono::{DateTime, Duration as TimeDelta, Utc};
use cqrs_es::EventStore as _;
use futures::StreamExt;
use herald_application::campaigns::CampaignService;
use herald_application::clock::SystemClock;
use herald_application::metadata::CommandMetadata;
use herald_application::ports::event_store::TenantEventStores;
use herald_domain::campaign::{
    CampaignDefinition, CampaignMessage, CampaignName, Description, NewCampaign, Recipient,
    Schedule,
};
use herald_domain::message::{
    DeliveryStatus, Message, MessageContent, MessageEvent, MessageStatus, StatusReport,
};
use herald_domain::{PhoneNumber, SessionId, TenantId};
use herald_infrastructure::jetstream::{EventLog, EventLogConfig, JetStreamEventStore};
use herald_infrastructure::nats_server::{Durability, NatsServer, NatsServerConfig};
use serde::Serialize;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;
use uuid::Uuid;

use super::machine::Machine;
use super::processes::{
    cpu_ticks, free_address, resident_mib, ticks_per_second, wait_for, Process,
};
use herald_api::Settings;

const TENANT: &str = "bench";
const SESSIONS: usize = 10;
/// Commits written at once while filling the log.
const WRITERS: usize = 64;
/// How long the projections may take to catch up with the filled log.
const CATCH_UP_LIMIT: Duration = Duration::from_secs(3_600);

#[derive(Debug, Clone)]
pub struct QueriesArgs {
    pub messages: usize,
    pub campaigns: usize,
    pub rates: Vec<u32>,
    pub seconds: f64,
    pub json: bool,
}

#[derive(Debug, Serialize)]
struct Report {
    machine: Machine,
    store: &'static str,
    messages: usize,
    campaigns: usize,
    /// Commits projected per second while `herald serve` caught up.
    catch_up_commits_per_s: f64,
    /// Commits read per second by `herald projections rebuild messages`
    /// after the runs (every commit of the log, the messages among them
    /// projected into fresh tables, then promoted).
    rebuild_commits_per_s: f64,
    results: Vec<Row>,
}

#[derive(Debug, Serialize)]
struct Row {
    rate: u32,
    requests: usize,
    ok: usize,
    refused_503: usize,
    failed: usize,
    p50_ms: f64,
    p99_ms: f64,
    p999_ms: f64,
    slowest_ms: f64,
    /// Percent of one core.
    herald_cpu: f64,
    herald_mib_before: f64,
    herald_mib_peak: f64,
}

/// What was recorded, for the requests to name.
struct Seeded {
    sessions: Vec<String>,
    campaign_ids: Vec<String>,
    message_ids: Vec<String>,
    /// A span of an hour within the messages' times.
    window: (DateTime<Utc>, DateTime<Utc>),
}

/// # Errors
/// When a server cannot start, the log cannot be filled, or the
/// projections do not catch up.
pub async fn run(settings: &Settings, args: &QueriesArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.messages > 0 && args.campaigns > 0 && !args.rates.is_empty(),
        "--messages, --campaigns and --rates must be positive"
    );
    let dir = tempfile::tempdir()?;
    let nats = NatsServer::start(&NatsServerConfig {
        binary: settings.nats_server_bin.clone(),
        data_dir: dir.path().join("nats"),
        durability: Durability::Default,
        cluster: None,
        port: None,
    })
    .await?;
    let log = EventLog::connect(nats.url(), EventLogConfig::default()).await?;
    let started = Instant::now();
    let seeded = fill(&log, args).await?;
    eprintln!(
        "queries: recorded {} messages and {} campaigns in {:.0} s",
        args.messages,
        args.campaigns,
        started.elapsed().as_secs_f64()
    );

    let address = free_address()?;
    let mut herald = Command::new(crate::sibling_binary("herald")?);
    herald
        .arg("serve")
        .env("HERALD_NATS_URL", nats.url())
        .env("HERALD_DATA_DIR", dir.path().join("herald"))
        .env("HERALD_HTTP_ADDR", &address)
        // The bench measures what Herald can do, not the rates it allows.
        .env("HERALD_RATE_TENANT_PER_SECOND", "0")
        .env("HERALD_RATE_IP_PER_SECOND", "0")
        // A node that serves reads and keeps the read models, and sends
        // nothing: the recorded messages name sessions that do not exist,
        // and failing the queued ones would be other work beside the reads.
        .env("HERALD_PROCESS_MANAGERS", "off")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let store = if settings.mongodb_uri.is_some() {
        herald.env(
            "HERALD_MONGODB_DATABASE",
            format!("herald_bench_{}", Uuid::now_v7().simple()),
        );
        "mongodb"
    } else {
        herald.env_remove("HERALD_MONGODB_URI");
        "sqlite"
    };
    let herald = Process(herald.spawn().context("starting herald serve")?);
    let base = format!("http://{address}");
    wait_for(&reqwest::Client::new(), &format!("{base}/healthz")).await?;
    let key = crate::issue_key(nats.url(), &dir.path().join("herald"), TENANT)?;
    let http = crate::authorized(
        reqwest::Client::builder()
            .pool_max_idle_per_host(1_024)
            .timeout(Duration::from_secs(30)),
        &key,
    )?;
    let catching_up = Instant::now();
    let commits = caught_up(&http, &base).await?;
    let catch_up_commits_per_s = commits as f64 / catching_up.elapsed().as_secs_f64();
    eprintln!("queries: projected {commits} commits at {catch_up_commits_per_s:.0}/s");

    let requests = Arc::new(requests(&seeded, &base));
    let mut results = Vec::new();
    for &rate in &args.rates {
        eprintln!("queries: {rate} requests/s for {} s", args.seconds);
        results.push(drive(&http, &requests, rate, args.seconds, herald.0.id()).await);
    }
    let rebuilding = Instant::now();
    let rebuilt = Command::new(crate::sibling_binary("herald")?)
        .args(["projections", "rebuild", "messages"])
        .env("HERALD_NATS_URL", nats.url())
        .env("HERALD_DATA_DIR", dir.path().join("herald"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .status()
        .context("running herald projections rebuild")?;
    anyhow::ensure!(rebuilt.success(), "the rebuild failed: {rebuilt}");
    let rebuild_commits_per_s = commits as f64 / rebuilding.elapsed().as_secs_f64();
    eprintln!("queries: rebuilt the messages projection at {rebuild_commits_per_s:.0} commits/s");
    drop(herald);
    nats.stop().await;
    let report = Report {
        machine: Machine::read(&settings.nats_server_bin),
        store,
        messages: args.messages,
        campaigns: args.campaigns,
        catch_up_commits_per_s: catch_up_commits_per_s.round(),
        rebuild_commits_per_s: rebuild_commits_per_s.round(),
        results,
    };
    print(&report, args.json)
}

/// Records the campaigns and messages, `WRITERS` commits at a time.
async fn fill(log: &EventLog, args: &QueriesArgs) -> anyhow::Result<Seeded> {
    let tenant = TenantId::parse(TENANT)?;
    let sessions: Vec<String> = (0..SESSIONS).map(|_| Uuid::now_v7().to_string()).collect();
    let campaigns = Arc::new(CampaignService::new(
        JetStreamEventStore::new(log.clone()),
        Arc::new(SystemClock),
    ));
    let campaign_ids: Vec<String> = futures::stream::iter(0..args.campaigns)
        .map(|n| {
            let (campaigns, tenant, session) = (
                Arc::clone(&campaigns),
                tenant.clone(),
                sessions[n % SESSIONS].clone(),
            );
            async move {
                let metadata = CommandMetadata::new(tenant, "bench");
                let receipt = campaigns
                    .create(new_campaign(n, &session)?, &metadata)
                    .await?;
                anyhow::Ok(receipt.aggregate_id)
            }
        })
        .buffer_unordered(WRITERS)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;

    let messages = JetStreamEventStore::<Message>::new(log.clone());
    let first = Utc::now() - TimeDelta::days(30);
    // The messages' times spread over thirty days, a few a second.
    let step_ms = (30 * 24 * 3_600_000 / args.messages.max(1)) as i64;
    let message_ids: Vec<String> = futures::stream::iter(0..args.messages)
        .map(|n| {
            let store = messages.for_tenant(&tenant);
            let session = sessions[n % SESSIONS].clone();
            let at = first + TimeDelta::milliseconds(step_ms * n as i64);
            async move {
                let id = Uuid::now_v7().to_string();
                let context = store.load_aggregate(&id).await?;
                let metadata = CommandMetadata::new(TenantId::parse(TENANT)?, "bench");
                store
                    .commit(message_events(n, &session, at)?, context, metadata.to_map())
                    .await?;
                anyhow::Ok(id)
            }
        })
        .buffer_unordered(WRITERS)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    let middle = first + TimeDelta::days(15);
    Ok(Seeded {
        sessions,
        campaign_ids,
        message_ids,
        window: (middle, middle + TimeDelta::hours(1)),
    })
}

fn new_campaign(n: usize, session: &str) -> anyhow::Result<NewCampaign> {
    Ok(NewCampaign {
        definition: CampaignDefinition {
            name: CampaignName::parse(&format!("Campaign {n}"))?,
            description: Description::default(),
            session_id: SessionId::parse(session)?,
            message: CampaignMessage::Text {
                body: "Hi {{name|there}}, 20% off today".into(),
            },
            delay: None,
            personalize: true,
        },
        schedule: Schedule::Immediate,
        recipients: vec![Recipient::new(PhoneNumber::parse(&format!(
            "+1415{:07}",
            n % 10_000_000
        ))?)],
    })
}

/// One message's events in one commit: queued, then (for nine in ten) sent
/// and reported delivered or read.
fn message_events(n: usize, session: &str, at: DateTime<Utc>) -> anyhow::Result<Vec<MessageEvent>> {
    let mut events = vec![MessageEvent::Queued {
        session_id: SessionId::parse(session)?,
        from: PhoneNumber::parse("+14155550000")?,
        to: PhoneNumber::parse(&format!("+1650{:07}", n % 10_000_000))?,
        content: MessageContent::text("Your order has shipped")?,
        reply_to: None,
        campaign_id: None,
        campaign_run: None,
        at,
    }];
    let reported = match n % 10 {
        0 => return Ok(events),
        1..=3 => None,
        4..=6 => Some((DeliveryStatus::Delivered, MessageStatus::Delivered)),
        _ => Some((DeliveryStatus::Read, MessageStatus::Read)),
    };
    let wamid = format!("wamid.bench{n}");
    events.push(MessageEvent::SendStarted { at });
    events.push(MessageEvent::Sent {
        wamid: wamid.clone(),
        wa_id: None,
        at,
    });
    if let Some((delivery, status)) = reported {
        events.push(MessageEvent::StatusReported {
            report: StatusReport {
                wamid,
                status: delivery,
                at,
                errors: Vec::new(),
            },
            status,
        });
    }
    Ok(events)
}

/// Waits until every projection has applied the whole log; gives the
/// log's head.
async fn caught_up(http: &reqwest::Client, base: &str) -> anyhow::Result<u64> {
    let deadline = Instant::now() + CATCH_UP_LIMIT;
    loop {
        let metrics = http
            .get(format!("{base}/metrics"))
            .send()
            .await?
            .text()
            .await?;
        let value = |name: &str| -> Vec<u64> {
            metrics
                .lines()
                .filter(|line| line.starts_with(name))
                .filter_map(|line| line.rsplit(' ').next()?.parse().ok())
                .collect()
        };
        let head = value("herald_event_log_head ")
            .first()
            .copied()
            .unwrap_or(0);
        let lags = value("herald_projection_lag{");
        if head > 0 && !lags.is_empty() && lags.iter().all(|lag| *lag == 0) {
            return Ok(head);
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the projections did not catch up in {CATCH_UP_LIMIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The requests, in the order they go out (the list repeats).
fn requests(seeded: &Seeded, base: &str) -> Vec<String> {
    let (since, until) = seeded.window;
    let time = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut list = Vec::new();
    for n in 0..600 {
        let session = &seeded.sessions[n % seeded.sessions.len()];
        let campaign = &seeded.campaign_ids[(n * 7_919) % seeded.campaign_ids.len()];
        let message = &seeded.message_ids[(n * 104_729) % seeded.message_ids.len()];
        list.extend([
            format!("{base}/v1/messages?sessionId={session}&limit=50"),
            format!("{base}/v1/messages?direction=outgoing&status=delivered&limit=50"),
            format!(
                "{base}/v1/messages?since={}&until={}&limit=50",
                time(since),
                time(until)
            ),
            format!("{base}/v1/campaigns?limit=50"),
            format!("{base}/v1/campaigns/{campaign}"),
            format!("{base}/v1/messages/{message}"),
        ]);
    }
    list
}

/// How one request ended, and how long after its scheduled start.
struct Answer {
    status: Option<u16>,
    late: Duration,
}

/// Sends `rate` requests a second for `seconds`, each at its scheduled
/// moment whatever became of the ones before.
async fn drive(
    http: &reqwest::Client,
    requests: &Arc<Vec<String>>,
    rate: u32,
    seconds: f64,
    herald_pid: u32,
) -> Row {
    let total = (f64::from(rate) * seconds).round() as usize;
    let interval = Duration::from_secs_f64(1.0 / f64::from(rate));
    let mib_before = resident_mib(herald_pid);
    let ticks_before = cpu_ticks(&[herald_pid])[0];
    let started = Instant::now();
    let mut answers = JoinSet::new();
    let mut peak = mib_before;
    let mut sampled = started;
    for i in 0..total {
        let scheduled = started + interval * u32::try_from(i).unwrap_or(u32::MAX);
        tokio::time::sleep_until(scheduled.into()).await;
        let (http, url) = (http.clone(), requests[i % requests.len()].clone());
        answers.spawn(async move {
            let answer = http.get(&url).send().await;
            let status = match answer {
                Ok(answer) => {
                    let status = answer.status().as_u16();
                    // The whole body, as a client reads it.
                    answer.bytes().await.ok().map(|_| status)
                }
                Err(_) => None,
            };
            Answer {
                status,
                late: scheduled.elapsed(),
            }
        });
        if sampled.elapsed() >= Duration::from_millis(100) {
            peak = peak.max(resident_mib(herald_pid));
            sampled = Instant::now();
        }
    }
    let mut lateness = Vec::with_capacity(total);
    let (mut ok, mut refused, mut failed) = (0, 0, 0);
    while let Some(answer) = answers.join_next().await {
        let Ok(answer) = answer else {
            failed += 1;
            continue;
        };
        match answer.status {
            Some(200) => ok += 1,
            Some(503) => refused += 1,
            _ => failed += 1,
        }
        lateness.push(answer.late);
    }
    let wall = started.elapsed().as_secs_f64();
    let ticks = cpu_ticks(&[herald_pid])[0] - ticks_before;
    peak = peak.max(resident_mib(herald_pid));
    lateness.sort_unstable();
    let quantile = |q: f64| {
        lateness
            .get(((lateness.len() as f64 - 1.0) * q) as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1_000.0)
    };
    Row {
        rate,
        requests: total,
        ok,
        refused_503: refused,
        failed,
        p50_ms: round2(quantile(0.5)),
        p99_ms: round2(quantile(0.99)),
        p999_ms: round2(quantile(0.999)),
        slowest_ms: round2(quantile(1.0)),
        herald_cpu: (ticks as f64 / ticks_per_second() / wall * 100.0).round(),
        herald_mib_before: mib_before.round(),
        herald_mib_peak: peak.round(),
    }
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

fn print(report: &Report, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(report)?);
        return Ok(());
    }
    println!("{}", report.machine);
    println!(
        "{} messages and {} campaigns in {}; projected at {} commits/s; messages rebuilt at {} commits/s",
        report.messages,
        report.campaigns,
        report.store,
        report.catch_up_commits_per_s,
        report.rebuild_commits_per_s
    );
    println!(
        "{:>6} {:>8} {:>8} {:>6} {:>6} {:>8} {:>8} {:>8} {:>9} {:>6} {:>10} {:>9}",
        "rate",
        "requests",
        "ok",
        "503",
        "failed",
        "p50 ms",
        "p99 ms",
        "p999 ms",
        "worst ms",
        "CPU",
        "MiB before",
        "MiB peak"
    );
    for row in &report.results {
        println!(
            "{:>6} {:>8} {:>8} {:>6} {:>6} {:>8.2} {:>8.2} {:>8.2} {:>9.2} {:>5.0}% {:>10.0} {:>9.0}",
            row.rate,
            row.requests,
            row.ok,
            row.refused_503,
            row.failed,
            row.p50_ms,
            row.p99_ms,
            row.p999_ms,
            row.slowest_ms,
            row.herald_cpu,
            row.herald_mib_before,
            row.herald_mib_peak
        );
    }
    Ok(())
}
