//! What the figures were measured on.

use serde::Serialize;
use std::path::Path;

#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub memory_gib: f64,
    pub os: String,
    pub kernel: String,
    pub nats_server: String,
    pub herald: &'static str,
    pub build: &'static str,
}

impl std::fmt::Display for Machine {
    /// One line, as the suites print it above their figures.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} × {} ({} GiB), {}, {}, herald {} ({})",
            self.cpus,
            self.cpu_model,
            self.memory_gib,
            self.os,
            self.nats_server,
            self.herald,
            self.build
        )
    }
}

impl Machine {
    pub fn read(nats_server: &Path) -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let os_release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
        Self {
            cpus: std::thread::available_parallelism().map_or(1, usize::from),
            cpu_model: field(&cpuinfo, "model name", ':').unwrap_or_else(|| "unknown".into()),
            memory_gib: field(&meminfo, "MemTotal", ':')
                .and_then(|kb| kb.trim_end_matches(" kB").trim().parse::<f64>().ok())
                .map_or(0.0, |kb| (kb / 1024.0 / 1024.0 * 10.0).round() / 10.0),
            os: field(&os_release, "PRETTY_NAME", '=')
                .map_or_else(|| "unknown".into(), |v| v.trim_matches('"').to_owned()),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map_or_else(|_| "unknown".into(), |k| k.trim().to_owned()),
            nats_server: std::process::Command::new(nats_server)
                .arg("--version")
                .output()
                .map_or_else(
                    |_| "unknown".into(),
                    |o| String::from_utf8_lossy(&o.stdout).trim().to_owned(),
                ),
            herald: env!("CARGO_PKG_VERSION"),
            build: if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            },
        }
    }
}

fn field(text: &str, name: &str, separator: char) -> Option<String> {
    text.lines()
        .filter_map(|line| line.split_once(separator))
        .find(|(key, _)| key.trim() == name)
        .map(|(_, value)| value.trim().to_owned())
}
