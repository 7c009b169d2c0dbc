//! `herald bench --suite webhooks`: how fast Herald takes Meta's webhooks.
//!
//! Herald runs as `herald serve` does (projections and process managers
//! following the log) on servers of its own, with one session whose app
//! secret signs every POST. Clients post status notifications in a closed
//! loop, each with `statuses` statuses of fresh message ids, signed as Meta
//! signs them. Measured: statuses taken per second, and the time to answer
//! a POST, which covers the signature check and the durable record (fsync
//! before the ack with `always`); turning the record into message statuses
//! happens after the answer, as it does in production. The statuses name no
//! message Herald sent (no `biz_opaque_callback_data`, unknown wamids), so
//! that work is a parse and a lookup per status, repeated with growing
//! pauses while their send's answer could still come: the figures are the
//! receiver's, not the Message aggregate's.

use anyhow::Context;
use herald_application::metadata::CommandMetadata;
use herald_application::sessions::{ChannelCredentials, SessionRegistration};
use herald_domain::session::GraphId;
use herald_domain::{PhoneNumber, SessionId, TenantId};
use herald_infrastructure::crypto::signature::sign;
use herald_infrastructure::nats_server::{Durability, NatsServer, NatsServerConfig};
use serde::Serialize;
use serde_json::json;
use std::time::Duration;

use super::load::{self, closed_loop, Client, Measurement};
use super::machine::Machine;
use herald_api::Herald;
use herald_api::Settings;

const PHONE_NUMBER_ID: &str = "106540352242922";
const APP_SECRET: &str = "bench-app-secret";

#[derive(Debug, Serialize)]
pub struct Row {
    pub statuses_per_post: usize,
    pub clients: usize,
    pub posts_per_s: f64,
    pub statuses_per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub machine: Machine,
    pub durability: &'static str,
    pub results: Vec<Row>,
}

/// A Herald serving HTTP, with the session the webhooks are for.
struct Servers {
    _dir: tempfile::TempDir,
    nats: NatsServer,
    herald: Herald,
    address: String,
    server: tokio::task::JoinHandle<()>,
}

impl Servers {
    async fn start(settings: &Settings) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let nats = NatsServer::start(&NatsServerConfig {
            binary: settings.nats_server_bin.clone(),
            data_dir: dir.path().join("nats"),
            durability: Durability::Always,
            cluster: None,
            port: None,
        })
        .await?;
        let herald_settings = Settings {
            nats_url: Some(nats.url().to_owned()),
            data_dir: dir.path().to_owned(),
            mongodb_uri: None,
            graph_api_url: number_lookup().await?,
            ..settings.clone()
        };
        let herald = Herald::start(&herald_settings).await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = format!("http://{}/v1/webhooks/whatsapp", listener.local_addr()?);
        let server = tokio::spawn(herald.serve(listener, std::future::pending()));
        let servers = Self {
            _dir: dir,
            nats,
            herald,
            address,
            server,
        };
        servers.add_session().await?;
        Ok(servers)
    }

    /// A session for the number, and the wait until webhooks route to it.
    async fn add_session(&self) -> anyhow::Result<()> {
        let registration = SessionRegistration {
            phone_number: PhoneNumber::parse("+15550783881")?,
            name: None,
            credentials: ChannelCredentials {
                phone_number_id: GraphId::parse(PHONE_NUMBER_ID)?,
                waba_id: GraphId::parse("102290129340398")?,
                access_token: "bench-token".into(),
                app_secret: APP_SECRET.into(),
                webhook_verify_token: "bench-verify".into(),
            },
            throughput: None,
        };
        let tenant = TenantId::parse("bench")?;
        let metadata = || CommandMetadata::new(tenant.clone(), "bench");
        let state = self.herald.state();
        let created = state.sessions.create(registration, &metadata()).await?;
        let session = SessionId::parse(&created.aggregate_id)?;
        state.sessions.connect(&session, &metadata()).await?;
        let id = GraphId::parse(PHONE_NUMBER_ID)?;
        for _ in 0..500 {
            let routes = state
                .session_queries
                .connected_routes(std::slice::from_ref(&id));
            if !routes.await?.is_empty() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        anyhow::bail!("the session never reached the read model as connected")
    }

    async fn stop(self) {
        self.server.abort();
        self.herald.stop().await;
        self.nats.stop().await;
    }
}

/// The one Graph API call connecting the session makes: the number's
/// details, which prove the credentials. Gives the base URL to use.
async fn number_lookup() -> anyhow::Result<String> {
    let details = json!({
        "id": PHONE_NUMBER_ID,
        "display_phone_number": "+1 555-078-3881",
        "verified_name": "Herald bench",
    });
    let app = axum::Router::new().route(
        "/{version}/{id}",
        axum::routing::get(move || std::future::ready(axum::Json(details.clone()))),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url)
}

/// One of Meta's delivery workers: posts signed notifications of fresh
/// statuses, one after the other.
struct Poster {
    http: reqwest::Client,
    address: String,
    statuses: usize,
    rng: fastrand::Rng,
}

impl Poster {
    fn body(&mut self) -> Vec<u8> {
        let statuses: Vec<_> = (0..self.statuses)
            .map(|_| {
                json!({"id": format!("wamid.{:032x}", self.rng.u128(..)), "status": "delivered",
                       "timestamp": "1750030073", "recipient_id": "16505551234",
                       "pricing": {"billable": true, "pricing_model": "PMP", "category": "utility"}})
            })
            .collect();
        json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
            "field": "messages", "value": {"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_NUMBER_ID},
            "statuses": statuses}}]}]})
        .to_string()
        .into_bytes()
    }
}

impl Client for Poster {
    async fn op(&mut self) -> anyhow::Result<()> {
        let body = self.body();
        let signature = sign(APP_SECRET.as_bytes(), &body);
        let response = self
            .http
            .post(&self.address)
            .header("content-type", "application/json")
            .header("x-hub-signature-256", signature)
            .body(body)
            .send()
            .await?;
        anyhow::ensure!(
            response.status() == 200,
            "Herald answered {}",
            response.status()
        );
        Ok(())
    }
}

/// Runs every (statuses per post, clients) case for `rounds` rounds and
/// prints the median round of each.
///
/// # Errors
/// When the servers cannot start or a POST is refused.
pub async fn run(
    settings: &Settings,
    statuses_per_post: &[usize],
    clients: &[usize],
    seconds: f64,
    rounds: usize,
    json_output: bool,
) -> anyhow::Result<()> {
    let duration = Duration::from_secs_f64(seconds);
    let mut report = Report {
        machine: Machine::read(&settings.nats_server_bin),
        durability: Durability::Always.as_str(),
        results: Vec::new(),
    };
    for &statuses in statuses_per_post {
        for &clients in clients {
            let mut measured = Vec::new();
            for round in 1..=rounds {
                eprintln!(
                    "bench: round {round}/{rounds}: webhooks statuses={statuses} clients={clients}"
                );
                measured.push(measure(settings, statuses, clients, duration).await?);
            }
            report
                .results
                .push(row(statuses, clients, &load::median(measured)));
        }
    }
    print(&report, json_output)
}

async fn measure(
    settings: &Settings,
    statuses: usize,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<Measurement> {
    let servers = Servers::start(settings)
        .await
        .context("starting the servers")?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    let posters = (0..clients)
        .map(|_| Poster {
            http: http.clone(),
            address: servers.address.clone(),
            statuses,
            rng: fastrand::Rng::new(),
        })
        .collect();
    let measured = closed_loop(posters, Duration::from_millis(500), duration).await;
    servers.stop().await;
    measured
}

fn row(statuses: usize, clients: usize, measured: &Measurement) -> Row {
    let round = |value: f64, places: i32| (value * 10f64.powi(places)).round() / 10f64.powi(places);
    Row {
        statuses_per_post: statuses,
        clients,
        posts_per_s: round(measured.ops_per_s(), 1),
        statuses_per_s: round(measured.ops_per_s() * statuses as f64, 1),
        p50_ms: round(measured.percentile_ms(0.50), 3),
        p99_ms: round(measured.percentile_ms(0.99), 3),
    }
}

fn print(report: &Report, json_output: bool) -> anyhow::Result<()> {
    if json_output {
        println!("{}", serde_json::to_string_pretty(report)?);
        return Ok(());
    }
    let m = &report.machine;
    println!(
        "Herald {} ({} build) on {} CPUs ({}), {} GiB, {}, kernel {}, {}; durability {}",
        m.herald,
        m.build,
        m.cpus,
        m.cpu_model,
        m.memory_gib,
        m.os,
        m.kernel,
        m.nats_server,
        report.durability
    );
    println!();
    println!(
        "{:>9} {:>7} {:>10} {:>12} {:>8} {:>8}",
        "statuses", "clients", "posts/s", "statuses/s", "p50 ms", "p99 ms"
    );
    for r in &report.results {
        println!(
            "{:>9} {:>7} {:>10.1} {:>12.1} {:>8.3} {:>8.3}",
            r.statuses_per_post, r.clients, r.posts_per_s, r.statuses_per_s, r.p50_ms, r.p99_ms
        );
    }
    Ok(())
}
