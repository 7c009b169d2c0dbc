//! `herald bench` (the `herald-bench` binary, which `herald bench` runs):
//! how fast commands are recorded and projected, measured against servers
//! the benchmark starts itself, printed as figures. A tool of its own, not
//! part of the service: the `herald` binary links none of it.
//!
//! For each server durability (`always` = fsync before every ack, as in
//! production; `default` = the server's two-minute fsync), each number of
//! clients and each history length, three paths are driven in a closed loop
//! (every client sends its next command when the last is acknowledged):
//!
//! - `raw`: a bare JetStream publish of a message the size of a commit,
//!   with the same headers; the floor Herald's command path stands on.
//! - `inprocess`: Herald's command path through the application layer:
//!   load (cached), decide, record with optimistic concurrency.
//! - `http`: the same through the HTTP API, with projections running, as
//!   `herald serve` runs (caught up before each run, so that they follow
//!   the load being measured and not a backlog of other runs).
//!
//! Each client works on its own aggregate, which starts with `history`
//! events. The command is an edit that records one event. Every case runs
//! on servers of its own: one `nats-server`, or with `--replicas 3` a
//! cluster of three on this machine with everything replicated three times
//! (the table then gives the cost of replication as a ratio).
//!
//! - [`load`]: the closed-loop driver and its statistics.
//! - [`paths`]: the servers, the histories aggregates start from, and how
//!   each path is measured; [`clients`]: each path's client.
//! - [`machine`]: what the figures were measured on.
//! - [`report`]: the table and the JSON document.
//!
//! `--suite webhooks` measures the webhook receiver instead ([`webhooks`]):
//! signed status notifications of 1 and 100 statuses per POST, statuses per
//! second and the time to answer.
//!
//! `--suite queries` measures the read side ([`queries`]): a million
//! messages and 100,000 campaigns projected, then lists and gets at a fixed
//! rate, open loop: p50, p99, p999, refusals, CPU and memory.
//!
//! `--suite campaigns` measures campaigns sending ([`campaigns`]): the
//! highest sustained sends per second of one node with every status webhook,
//! against a Graph API stand-in with no limits ([`graph_stand_in`]).

mod campaigns;
mod clients;
pub mod graph_stand_in;
mod load;
mod machine;
mod paths;
mod processes;
mod queries;
mod report;
mod webhooks;

use anyhow::Context;
use herald_infrastructure::nats_server::Durability;
use std::path::PathBuf;
use std::time::Duration;

use herald_api::Settings;

#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    /// What to measure: the command path, or the webhook receiver.
    #[arg(long, default_value_t = Suite::Commands)]
    pub suite: Suite,
    /// With `--suite campaigns`: numbers, each sending one campaign.
    #[arg(long, default_value_t = 8)]
    pub numbers: usize,
    /// With `--suite campaigns`: recipients of each campaign.
    #[arg(long, default_value_t = 2_500)]
    pub recipients: usize,
    /// With `--suite queries`: messages recorded before the run.
    #[arg(long, default_value_t = 1_000_000)]
    pub messages: usize,
    /// With `--suite queries`: campaigns recorded before the run.
    #[arg(long, default_value_t = 100_000)]
    pub campaigns: usize,
    /// With `--suite queries`: requests a second, one run each.
    #[arg(long, value_delimiter = ',', default_values_t = [1_000, 2_000])]
    pub rates: Vec<u32>,
    /// With `--suite webhooks`: statuses in each POST.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 100])]
    pub statuses_per_post: Vec<usize>,
    /// Print one JSON document instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Seconds each case is measured in each round, after a short warm-up.
    #[arg(long, default_value_t = 3.0)]
    pub seconds: f64,
    /// Rounds over every case; each case reports its median round. Rounds
    /// interleave the cases, so a slow spell of the machine does not fall
    /// on one case alone.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// Durabilities to measure: always, default.
    #[arg(long, value_delimiter = ',', default_values_t = [DurabilityArg::Always, DurabilityArg::Default])]
    pub durability: Vec<DurabilityArg>,
    /// NATS topologies: 1 is one server; 3 is a cluster of three nodes on
    /// this machine with every stream and bucket on all three (R3).
    #[arg(long, value_delimiter = ',', default_values_t = [1])]
    pub replicas: Vec<usize>,
    /// Numbers of concurrent clients.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 64])]
    pub clients: Vec<usize>,
    /// Events each aggregate has before the run.
    #[arg(long, value_delimiter = ',', default_values_t = [0, 1000])]
    pub history: Vec<u64>,
    /// Paths to measure: raw, inprocess, http.
    #[arg(long, value_delimiter = ',', default_values_t = [PathArg::Raw, PathArg::Inprocess, PathArg::Http])]
    pub paths: Vec<PathArg>,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suite {
    Commands,
    Webhooks,
    Campaigns,
    Queries,
}

impl std::fmt::Display for Suite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Commands => "commands",
            Self::Webhooks => "webhooks",
            Self::Campaigns => "campaigns",
            Self::Queries => "queries",
        })
    }
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurabilityArg {
    Always,
    Default,
}

impl std::fmt::Display for DurabilityArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(Durability::from(*self).as_str())
    }
}

impl From<DurabilityArg> for Durability {
    fn from(arg: DurabilityArg) -> Self {
        match arg {
            DurabilityArg::Always => Durability::Always,
            DurabilityArg::Default => Durability::Default,
        }
    }
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathArg {
    Raw,
    Inprocess,
    Http,
}

impl PathArg {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Raw => "raw",
            Self::Inprocess => "inprocess",
            Self::Http => "http",
        }
    }
}

impl std::fmt::Display for PathArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Runs every case and prints the figures.
///
/// # Errors
/// When a server cannot be started or a command fails during a run.
pub async fn run(settings: &Settings, args: &BenchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.seconds > 0.0 && args.rounds > 0,
        "--seconds and --rounds must be positive"
    );
    if args.suite == Suite::Campaigns {
        return campaigns::run(
            settings,
            &args.durability,
            args.numbers,
            args.recipients,
            args.json,
        )
        .await;
    }
    if args.suite == Suite::Queries {
        let queries = queries::QueriesArgs {
            messages: args.messages,
            campaigns: args.campaigns,
            rates: args.rates.clone(),
            seconds: args.seconds,
            json: args.json,
        };
        return queries::run(settings, &queries).await;
    }
    if args.suite == Suite::Webhooks {
        return webhooks::run(
            settings,
            &args.statuses_per_post,
            &args.clients,
            args.seconds,
            args.rounds,
            args.json,
        )
        .await;
    }
    let duration = Duration::from_secs_f64(args.seconds);
    let machine = machine::Machine::read(&settings.nats_server_bin);
    let mut report = report::Report::new(machine);
    let cases = cases(args);
    let mut rounds: Vec<Vec<load::Measurement>> = vec![Vec::new(); cases.len()];
    for round in 1..=args.rounds {
        for (case, measured) in cases.iter().zip(rounds.iter_mut()) {
            let (durability, replicas, clients, history, path) = *case;
            report.progress(&format!(
                "round {round}/{}: {path} {durability} R{replicas} clients={clients} history={history}",
                args.rounds
            ));
            let servers = start(settings, durability, replicas).await?;
            measured.push(servers.measure(path, clients, history, duration).await?);
            let last_http = round == args.rounds && path == PathArg::Http;
            if last_http && (report.projection.is_none() || durability == DurabilityArg::Always) {
                report.progress("projection rebuild");
                report.projection = Some(servers.projection().await?);
            }
            servers.stop().await;
        }
    }
    for ((durability, replicas, clients, history, path), measured) in cases.into_iter().zip(rounds)
    {
        report.add(
            path,
            durability.to_string(),
            replicas,
            (clients, history),
            &load::median(measured),
        );
    }
    for &durability in &args.durability {
        if report.cold_load.is_none() || durability == DurabilityArg::Always {
            report.progress("cold loads");
            let servers = start(settings, durability, 1).await?;
            report.cold_load = Some(servers.cold_load().await?);
            servers.stop().await;
        }
    }
    report.print(args.json)
}

/// One case: durability, replicas, clients, history, path.
type Case = (DurabilityArg, usize, usize, u64, PathArg);

/// Every case the arguments ask for.
fn cases(args: &BenchArgs) -> Vec<Case> {
    let mut cases = Vec::new();
    for &durability in &args.durability {
        for &replicas in &args.replicas {
            for &clients in &args.clients {
                for &history in &args.history {
                    cases.extend(
                        args.paths
                            .iter()
                            .map(|&path| (durability, replicas, clients, history, path)),
                    );
                }
            }
        }
    }
    cases
}

/// Fresh servers for every case: a case never runs on a stream an earlier
/// case filled, so the order of cases does not shape their figures.
async fn start(
    settings: &Settings,
    durability: DurabilityArg,
    replicas: usize,
) -> anyhow::Result<paths::BenchServers> {
    paths::BenchServers::start(settings, durability.into(), replicas)
        .await
        .with_context(|| format!("starting the {durability} servers, R{replicas}"))
}

/// A binary built beside this one (`herald`, in the same target folder).
///
/// # Errors
/// When this binary's folder cannot be found, or it holds no such binary.
/// An API key of `tenant` with every permission, issued as an operator
/// does (`herald accounts issue-key`) beside a `herald serve` on
/// `nats_url` and `data_dir`, the tenant given no plan limits.
///
/// # Errors
/// When the verb fails.
pub fn issue_key(
    nats_url: &str,
    data_dir: &std::path::Path,
    tenant: &str,
) -> anyhow::Result<String> {
    // The bench measures Herald, not the plans: no limits.
    let limits = std::process::Command::new(sibling_binary("herald")?)
        .args([
            "subscriptions",
            "set-limits",
            "--tenant",
            tenant,
            "--unlimited",
        ])
        .env("HERALD_NATS_URL", nats_url)
        .env("HERALD_DATA_DIR", data_dir)
        .env_remove("HERALD_MONGODB_URI")
        .env("RUST_LOG", "warn")
        .output()
        .context("running herald subscriptions set-limits")?;
    anyhow::ensure!(
        limits.status.success(),
        "set-limits failed: {}",
        String::from_utf8_lossy(&limits.stderr)
    );
    let output = std::process::Command::new(sibling_binary("herald")?)
        .args([
            "accounts",
            "issue-key",
            "--tenant",
            tenant,
            "--name",
            "bench",
        ])
        .args(["--permissions", "admin"])
        .env("HERALD_NATS_URL", nats_url)
        .env("HERALD_DATA_DIR", data_dir)
        .env_remove("HERALD_MONGODB_URI")
        .env("RUST_LOG", "warn")
        .output()
        .context("running herald accounts issue-key")?;
    anyhow::ensure!(
        output.status.success(),
        "issue-key failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8(output.stdout)?.trim().to_owned())
}

/// A client that sends `key` with every request.
///
/// # Errors
/// When the key is not a header value, or the client cannot be built.
pub fn authorized(builder: reqwest::ClientBuilder, key: &str) -> anyhow::Result<reqwest::Client> {
    let mut value = reqwest::header::HeaderValue::from_str(&format!("Bearer {key}"))?;
    value.set_sensitive(true);
    let headers = reqwest::header::HeaderMap::from_iter([(reqwest::header::AUTHORIZATION, value)]);
    Ok(builder.default_headers(headers).build()?)
}

pub fn sibling_binary(name: &str) -> anyhow::Result<PathBuf> {
    let me = std::env::current_exe().context("this binary's path")?;
    let sibling = me.with_file_name(name);
    anyhow::ensure!(
        sibling.exists(),
        "{} not found: build the workspace (cargo build --release --workspace)",
        sibling.display()
    );
    Ok(sibling)
}
