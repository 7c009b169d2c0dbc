//! The figures, as a table or as one JSON document.

use serde::Serialize;
use std::collections::HashMap;

use super::load::Measurement;
use super::machine::Machine;
use super::PathArg;

#[derive(Debug, Serialize)]
pub struct Row {
    pub path: &'static str,
    pub durability: String,
    pub replicas: usize,
    pub clients: usize,
    pub history: u64,
    pub ops_per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Projection {
    /// Events applied per second by a rebuild, from position 0 into an
    /// empty SQLite store, of what the last HTTP case recorded.
    pub events_per_s: f64,
    /// The live projection's lag when that HTTP load stopped.
    pub lag_at_end: u64,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct ColdLoad {
    pub history: u64,
    /// Median time to load an aggregate nothing has cached, whose events
    /// came one command at a time: last commit, snapshot, and the commits
    /// after it.
    pub with_snapshots_ms: f64,
    /// The same with snapshots turned off: every commit is read.
    pub without_snapshots_ms: f64,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub machine: Machine,
    pub results: Vec<Row>,
    pub projection: Option<Projection>,
    pub cold_load: Option<ColdLoad>,
}

impl Report {
    pub fn new(machine: Machine) -> Self {
        Self {
            machine,
            results: Vec::new(),
            projection: None,
            cold_load: None,
        }
    }

    pub fn add(
        &mut self,
        path: PathArg,
        durability: String,
        replicas: usize,
        (clients, history): (usize, u64),
        measured: &Measurement,
    ) {
        self.results.push(Row {
            path: path.as_str(),
            durability,
            replicas,
            clients,
            history,
            ops_per_s: round(measured.ops_per_s(), 1),
            p50_ms: round(measured.percentile_ms(0.50), 3),
            p99_ms: round(measured.percentile_ms(0.99), 3),
        });
    }

    /// Progress goes to stderr, so stdout holds only the figures.
    pub fn progress(&self, what: &str) {
        eprintln!("bench: {what}");
    }

    /// # Errors
    /// When the JSON cannot be written.
    pub fn print(&self, json: bool) -> anyhow::Result<()> {
        if json {
            println!("{}", serde_json::to_string_pretty(self)?);
        } else {
            println!("{}", self.table());
        }
        Ok(())
    }

    fn table(&self) -> String {
        let m = &self.machine;
        let mut lines = vec![
            format!(
                "Herald {} ({} build) on {} CPUs ({}), {} GiB, {}, kernel {}, {}",
                m.herald, m.build, m.cpus, m.cpu_model, m.memory_gib, m.os, m.kernel, m.nats_server
            ),
            String::new(),
            format!(
                "{:<10} {:<10} {:>8} {:>7} {:>7} {:>10} {:>8} {:>8}",
                "path", "durability", "replicas", "clients", "history", "ops/s", "p50 ms", "p99 ms"
            ),
        ];
        for r in &self.results {
            lines.push(format!(
                "{:<10} {:<10} {:>8} {:>7} {:>7} {:>10.1} {:>8.3} {:>8.3}",
                r.path,
                r.durability,
                r.replicas,
                r.clients,
                r.history,
                r.ops_per_s,
                r.p50_ms,
                r.p99_ms
            ));
        }
        lines.push(String::new());
        lines.extend(self.ratios());
        if let Some(p) = self.projection {
            lines.push(format!("projection: {:.0} events/s rebuilding from position 0; lag when the load stopped: {}", p.events_per_s, p.lag_at_end));
        }
        if let Some(c) = self.cold_load {
            lines.push(format!(
                "cold load of an aggregate with {} events: {:.2} ms with snapshots, {:.2} ms without",
                c.history, c.with_snapshots_ms, c.without_snapshots_ms
            ));
        }
        lines.join("\n")
    }

    /// Each of [`PATH_RATIOS`] at equal durability, replicas, clients and history;
    /// each path's rate with the longest history over its rate with the
    /// shortest; and each path's rate replicated over its rate on one server.
    fn ratios(&self) -> Vec<String> {
        let rate: HashMap<(&str, &str, usize, usize, u64), f64> = self
            .results
            .iter()
            .map(|r| {
                (
                    (
                        r.path,
                        r.durability.as_str(),
                        r.replicas,
                        r.clients,
                        r.history,
                    ),
                    r.ops_per_s,
                )
            })
            .collect();
        let mut lines = Vec::new();
        for (path, base) in PATH_RATIOS {
            for r in self.results.iter().filter(|r| r.path == path) {
                let base_key = (
                    base,
                    r.durability.as_str(),
                    r.replicas,
                    r.clients,
                    r.history,
                );
                if let Some(base_rate) = rate.get(&base_key) {
                    lines.push(format!(
                        "{:<14} {:<8} R{} clients={:<3} history={:<5} {:.2}",
                        format!("{path}/{base}"),
                        r.durability,
                        r.replicas,
                        r.clients,
                        r.history,
                        r.ops_per_s / base_rate
                    ));
                }
            }
        }
        let histories: Vec<u64> = self.results.iter().map(|r| r.history).collect();
        if let (Some(&short), Some(&long)) = (histories.iter().min(), histories.iter().max()) {
            for r in self
                .results
                .iter()
                .filter(|r| r.history == long && long != short)
            {
                let fresh_key = (r.path, r.durability.as_str(), r.replicas, r.clients, short);
                if let Some(fresh) = rate.get(&fresh_key) {
                    lines.push(format!(
                        "history {long}/{short} {:<9} {:<8} clients={:<3} {:.2}",
                        r.path,
                        r.durability,
                        r.clients,
                        r.ops_per_s / fresh
                    ));
                }
            }
        }
        for r in self.results.iter().filter(|r| r.replicas > 1) {
            let single = (r.path, r.durability.as_str(), 1, r.clients, r.history);
            if let Some(single) = rate.get(&single) {
                lines.push(format!(
                    "R{}/R1 {:<9} {:<8} clients={:<3} history={:<5} {:.2}",
                    r.replicas,
                    r.path,
                    r.durability,
                    r.clients,
                    r.history,
                    r.ops_per_s / single
                ));
            }
        }
        lines
    }
}

/// The paths compared, each with the one it is measured against: Herald's
/// command path against the bare publish, and HTTP against both.
const PATH_RATIOS: [(&str, &str); 3] =
    [("inprocess", "raw"), ("http", "raw"), ("http", "inprocess")];

fn round(value: f64, decimals: i32) -> f64 {
    let factor = 10f64.powi(decimals);
    (value * factor).round() / factor
}
