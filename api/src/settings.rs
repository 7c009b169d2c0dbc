//! Herald's configuration, read once from `HERALD_*` variables.

use herald_application::accounts::AccountSettings;
use herald_projections::binding::OnMismatch;

use crate::http::rates::RateSettings;
use crate::http::server::{AdmissionLimits, LaneLimits};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Settings {
    /// `HERALD_HTTP_ADDR`, default `127.0.0.1:8080`.
    pub http_addr: SocketAddr,
    /// `HERALD_DATA_DIR`, default `./data`: the local nats-server's data and
    /// the SQLite read store.
    pub data_dir: PathBuf,
    /// `HERALD_NATS_URL`: one URL, or a cluster's URLs separated by
    /// commas; unset starts a local `nats-server`.
    pub nats_url: Option<String>,
    /// `HERALD_NATS_SERVER_BIN`; by default the one `./scripts/install-tools`
    /// puts in `.tools/` when run from the repository, else `nats-server` on
    /// `PATH`.
    pub nats_server_bin: PathBuf,
    /// `HERALD_STREAM`, default `HERALD_EVENTS`.
    pub stream_name: String,
    /// `HERALD_NATS_REPLICAS`, default 1: replicas of the event stream and
    /// of the snapshot and lease buckets; 3 in a production cluster.
    pub nats_replicas: usize,
    /// `HERALD_MONGODB_URI`; unset uses SQLite under the data folder.
    pub mongodb_uri: Option<String>,
    /// `HERALD_MONGODB_DATABASE`, default `herald`.
    pub mongodb_database: String,
    /// `HERALD_READ_STORE_ON_MISMATCH`: `refuse` (default) to stop when the
    /// read store was projected from another event log, `rebuild` to
    /// rebuild every read model from this one.
    pub read_store_on_mismatch: OnMismatch,
    /// `HERALD_READ_WAIT_MS`, default 5000: how long a query with
    /// `minPosition` waits for the projections.
    pub read_wait: Duration,
    /// `HERALD_WORK_ACK_WAIT_MS`, default 60000: how long a node may hold a
    /// process manager's commit before another node is given it.
    pub work_ack_wait: Duration,
    /// `HERALD_PROCESS_MANAGERS`: `on` (default), or `off` for a node that
    /// serves the API and keeps read models but sends nothing and applies
    /// no webhooks (the other nodes do).
    pub run_process_managers: bool,
    /// `HERALD_HTTP_HEADER_TIMEOUT_MS`, default 10000: how long a
    /// connection may take to send a request's head.
    pub http_header_timeout: Duration,
    /// `HERALD_HTTP_REQUEST_TIMEOUT_MS`, default 30000: how long a request
    /// may take, its body included; longer than `HERALD_READ_WAIT_MS`.
    pub http_request_timeout: Duration,
    /// `HERALD_HTTP_MAX_CONNECTIONS`; by default what the file limit allows
    /// (less a reserve), at most 10,000.
    pub http_max_connections: Option<usize>,
    /// Requests worked on at once and waiting for a turn, per kind:
    /// `HERALD_HTTP_READS_IN_FLIGHT` (32) and `_WAITING` (256),
    /// `HERALD_HTTP_COMMANDS_IN_FLIGHT` (256) and `_WAITING` (1024),
    /// `HERALD_HTTP_WEBHOOKS_IN_FLIGHT` (64) and `_WAITING` (256), and
    /// `HERALD_HTTP_QUEUE_WAIT_MS` (100), the longest wait for a turn.
    /// Past them a request is answered 503 at once.
    pub http_admission: AdmissionLimits,
    /// `HERALD_LOG_FORMAT`: `text` (default) or `json`.
    pub json_logs: bool,
    /// `HERALD_GRAPH_API_URL`, default `https://graph.facebook.com`: where
    /// the Cloud API is, or a proxy or test double standing in for it.
    pub graph_api_url: String,
    /// `HERALD_GRAPH_API_VERSION`, default `v23.0`.
    pub graph_api_version: String,
    /// `HERALD_NUMBER_RATE`, default 80: messages per second per number.
    pub number_rate: u32,
    /// `HERALD_SEND_ANSWER_WINDOW_MS`, default 120000: how long a send cut
    /// off by a crash (claimed, never settled) waits for its status webhook
    /// before it is counted as unknown. It is never sent again.
    pub send_answer_window: Duration,
    /// `HERALD_CAMPAIGN_FAILURE_PERCENT`, default 20, and
    /// `HERALD_CAMPAIGN_FAILURE_WINDOW`, default 100: a campaign is paused
    /// when that share of its latest sends failed (0 never pauses).
    pub campaign_failure_percent: u32,
    pub campaign_failure_window: u32,
    /// `HERALD_GRAPH_MAX_ATTEMPTS`, default 5: attempts per Graph API call
    /// that keeps failing with a temporary error.
    pub graph_max_attempts: u32,
    /// `HERALD_GRAPH_BACKOFF_MS`, default 500: the first wait after a
    /// temporary error; it doubles with each attempt, with jitter.
    pub graph_backoff: Duration,
    /// `HERALD_GRAPH_MAINTENANCE_WAIT_MS`, default 60000: the wait after
    /// 131057 (the account is in maintenance for up to a minute).
    pub graph_maintenance_wait: Duration,
    /// `HERALD_GRAPH_PAIR_BACKOFF_MS`, default 1000: the unit of Meta's
    /// "retry after 4^X seconds" after the pair rate limit (131056).
    pub graph_pair_backoff: Duration,
    /// `HERALD_SECRET_KEY`: 64 hex digits, the key that seals channel
    /// secrets. Unset, a key is made on first start and kept in
    /// `<data dir>/secret.key`; a cluster must set the same key on every node.
    pub secret_key: Option<Redacted>,
    /// `HERALD_PREVIOUS_SECRET_KEYS`: earlier keys, comma-separated, still
    /// accepted for opening what they sealed after a rotation.
    pub previous_secret_keys: Vec<Redacted>,
    /// Accounts: `HERALD_PUBLIC_URL` (default `http://<HERALD_HTTP_ADDR>`),
    /// where links in account e-mails point;
    /// `HERALD_ACCESS_TOKEN_SECONDS` (900) and
    /// `HERALD_REFRESH_TOKEN_DAYS` (30), how long tokens last;
    /// `HERALD_ACCOUNT_RECHECK_MS` (2000), how long a node trusts what it
    /// last read of an account (a deactivation made on another node takes
    /// this long to reach it). Verification links last 24 hours and reset
    /// links one hour, as seed 000 has them.
    pub accounts: AccountSettings,
    /// Rate limits, each node for itself, 0 for none:
    /// `HERALD_RATE_TENANT_PER_SECOND` (500) and `HERALD_RATE_IP_PER_SECOND`
    /// (500) on the API, `HERALD_RATE_SIGN_IN_PER_MINUTE` (30) per address
    /// on signing up and in, refreshing and following links.
    pub rates: RateSettings,
}

/// A setting that must not show in logs: `Debug` prints `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Redacted(pub String);

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct SettingsError {
    pub variable: &'static str,
    pub message: String,
}

impl Settings {
    /// # Errors
    /// When a variable is set to a value that does not parse.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_map(&std::env::vars().collect())
    }

    /// # Errors
    /// As [`Settings::from_env`], and when the settings contradict each
    /// other.
    pub fn from_map(vars: &HashMap<String, String>) -> Result<Self, SettingsError> {
        let settings = Self::read(vars)?;
        settings.check()?;
        Ok(settings)
    }

    /// A read waiting its full `minPosition` wait must still be answered,
    /// not cut off by the request timeout.
    fn check(&self) -> Result<(), SettingsError> {
        if self.read_wait >= self.http_request_timeout {
            return Err(SettingsError {
                variable: "HERALD_READ_WAIT_MS",
                message: format!(
                    "{} ms must be shorter than HERALD_HTTP_REQUEST_TIMEOUT_MS ({} ms)",
                    self.read_wait.as_millis(),
                    self.http_request_timeout.as_millis()
                ),
            });
        }
        if self.http_max_connections == Some(0) {
            return Err(SettingsError {
                variable: "HERALD_HTTP_MAX_CONNECTIONS",
                message: "must be at least 1".into(),
            });
        }
        Ok(())
    }

    fn read(vars: &HashMap<String, String>) -> Result<Self, SettingsError> {
        let get = |name: &str| vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        Ok(Self {
            http_addr: parse(
                get("HERALD_HTTP_ADDR").unwrap_or("127.0.0.1:8080"),
                "HERALD_HTTP_ADDR",
                "an address such as 127.0.0.1:8080",
            )?,
            data_dir: PathBuf::from(get("HERALD_DATA_DIR").unwrap_or("./data")),
            nats_url: get("HERALD_NATS_URL").map(str::to_owned),
            nats_server_bin: get("HERALD_NATS_SERVER_BIN")
                .map_or_else(installed_nats_server, PathBuf::from),
            stream_name: get("HERALD_STREAM").unwrap_or("HERALD_EVENTS").to_owned(),
            nats_replicas: parse(
                get("HERALD_NATS_REPLICAS").unwrap_or("1"),
                "HERALD_NATS_REPLICAS",
                "1, 3 or 5",
            )?,
            mongodb_uri: get("HERALD_MONGODB_URI").map(str::to_owned),
            mongodb_database: get("HERALD_MONGODB_DATABASE")
                .unwrap_or("herald")
                .to_owned(),
            read_store_on_mismatch: match get("HERALD_READ_STORE_ON_MISMATCH").unwrap_or("refuse") {
                "refuse" => OnMismatch::Refuse,
                "rebuild" => OnMismatch::Rebuild,
                other => {
                    return Err(SettingsError {
                        variable: "HERALD_READ_STORE_ON_MISMATCH",
                        message: format!("{other:?} is not refuse or rebuild"),
                    })
                }
            },
            read_wait: Duration::from_millis(parse(
                get("HERALD_READ_WAIT_MS").unwrap_or("5000"),
                "HERALD_READ_WAIT_MS",
                "milliseconds",
            )?),
            work_ack_wait: millis(
                get("HERALD_WORK_ACK_WAIT_MS"),
                "HERALD_WORK_ACK_WAIT_MS",
                60_000,
            )?,
            run_process_managers: match get("HERALD_PROCESS_MANAGERS").unwrap_or("on") {
                "on" => true,
                "off" => false,
                other => {
                    return Err(SettingsError {
                        variable: "HERALD_PROCESS_MANAGERS",
                        message: format!("{other:?} is not on or off"),
                    })
                }
            },
            http_header_timeout: millis(
                get("HERALD_HTTP_HEADER_TIMEOUT_MS"),
                "HERALD_HTTP_HEADER_TIMEOUT_MS",
                10_000,
            )?,
            http_request_timeout: millis(
                get("HERALD_HTTP_REQUEST_TIMEOUT_MS"),
                "HERALD_HTTP_REQUEST_TIMEOUT_MS",
                30_000,
            )?,
            http_max_connections: get("HERALD_HTTP_MAX_CONNECTIONS")
                .map(|text| {
                    parse(
                        text,
                        "HERALD_HTTP_MAX_CONNECTIONS",
                        "a number of connections",
                    )
                })
                .transpose()?,
            http_admission: admission_limits(&get)?,
            json_logs: match get("HERALD_LOG_FORMAT").unwrap_or("text") {
                "text" => false,
                "json" => true,
                other => {
                    return Err(SettingsError {
                        variable: "HERALD_LOG_FORMAT",
                        message: format!("{other:?} is not text or json"),
                    })
                }
            },
            graph_api_url: get("HERALD_GRAPH_API_URL")
                .unwrap_or("https://graph.facebook.com")
                .trim_end_matches('/')
                .to_owned(),
            graph_api_version: get("HERALD_GRAPH_API_VERSION")
                .unwrap_or("v23.0")
                .to_owned(),
            number_rate: parse(
                get("HERALD_NUMBER_RATE").unwrap_or("80"),
                "HERALD_NUMBER_RATE",
                "messages per second",
            )?,
            send_answer_window: millis(
                get("HERALD_SEND_ANSWER_WINDOW_MS"),
                "HERALD_SEND_ANSWER_WINDOW_MS",
                120_000,
            )?,
            campaign_failure_percent: parse(
                get("HERALD_CAMPAIGN_FAILURE_PERCENT").unwrap_or("20"),
                "HERALD_CAMPAIGN_FAILURE_PERCENT",
                "a percentage",
            )?,
            campaign_failure_window: parse(
                get("HERALD_CAMPAIGN_FAILURE_WINDOW").unwrap_or("100"),
                "HERALD_CAMPAIGN_FAILURE_WINDOW",
                "a number of sends",
            )?,
            graph_max_attempts: parse(
                get("HERALD_GRAPH_MAX_ATTEMPTS").unwrap_or("5"),
                "HERALD_GRAPH_MAX_ATTEMPTS",
                "a number of attempts",
            )?,
            graph_backoff: millis(
                get("HERALD_GRAPH_BACKOFF_MS"),
                "HERALD_GRAPH_BACKOFF_MS",
                500,
            )?,
            graph_maintenance_wait: millis(
                get("HERALD_GRAPH_MAINTENANCE_WAIT_MS"),
                "HERALD_GRAPH_MAINTENANCE_WAIT_MS",
                60_000,
            )?,
            graph_pair_backoff: millis(
                get("HERALD_GRAPH_PAIR_BACKOFF_MS"),
                "HERALD_GRAPH_PAIR_BACKOFF_MS",
                1_000,
            )?,
            secret_key: get("HERALD_SECRET_KEY").map(|key| Redacted(key.to_owned())),
            previous_secret_keys: get("HERALD_PREVIOUS_SECRET_KEYS")
                .map(|keys| {
                    keys.split(',')
                        .map(str::trim)
                        .filter(|k| !k.is_empty())
                        .map(|k| Redacted(k.to_owned()))
                        .collect()
                })
                .unwrap_or_default(),
            accounts: account_settings(&get)?,
            rates: RateSettings {
                tenant_per_second: parse(
                    get("HERALD_RATE_TENANT_PER_SECOND").unwrap_or("500"),
                    "HERALD_RATE_TENANT_PER_SECOND",
                    "requests a second (0 for no limit)",
                )?,
                ip_per_second: parse(
                    get("HERALD_RATE_IP_PER_SECOND").unwrap_or("500"),
                    "HERALD_RATE_IP_PER_SECOND",
                    "requests a second (0 for no limit)",
                )?,
                sign_in_per_minute: parse(
                    get("HERALD_RATE_SIGN_IN_PER_MINUTE").unwrap_or("30"),
                    "HERALD_RATE_SIGN_IN_PER_MINUTE",
                    "requests a minute (0 for no limit)",
                )?,
            },
        })
    }
}

fn account_settings<'a>(
    get: &impl Fn(&str) -> Option<&'a str>,
) -> Result<AccountSettings, SettingsError> {
    let defaults = AccountSettings::default();
    let http_addr = get("HERALD_HTTP_ADDR").unwrap_or("127.0.0.1:8080");
    let seconds: u64 = parse(
        get("HERALD_ACCESS_TOKEN_SECONDS").unwrap_or("900"),
        "HERALD_ACCESS_TOKEN_SECONDS",
        "a number of seconds",
    )?;
    let days: u64 = parse(
        get("HERALD_REFRESH_TOKEN_DAYS").unwrap_or("30"),
        "HERALD_REFRESH_TOKEN_DAYS",
        "a number of days",
    )?;
    Ok(AccountSettings {
        public_url: get("HERALD_PUBLIC_URL")
            .map_or_else(|| format!("http://{http_addr}"), str::to_owned),
        access_lifetime: Duration::from_secs(seconds),
        refresh_lifetime: Duration::from_secs(days * 24 * 3600),
        recheck_after: millis(
            get("HERALD_ACCOUNT_RECHECK_MS"),
            "HERALD_ACCOUNT_RECHECK_MS",
            2_000,
        )?,
        ..defaults
    })
}

/// Where `./scripts/install-tools` puts nats-server, relative to the
/// repository root.
const INSTALLED_NATS_SERVER: &str = ".tools/venv/bin/nats-server";

fn installed_nats_server() -> PathBuf {
    let installed = PathBuf::from(INSTALLED_NATS_SERVER);
    if installed.is_file() {
        installed
    } else {
        PathBuf::from("nats-server")
    }
}

fn admission_limits<'a>(
    get: &impl Fn(&str) -> Option<&'a str>,
) -> Result<AdmissionLimits, SettingsError> {
    let defaults = AdmissionLimits::default();
    let lane = |kind: &'static str, default: LaneLimits| -> Result<LaneLimits, SettingsError> {
        let (in_flight, waiting) = match kind {
            "READS" => ("HERALD_HTTP_READS_IN_FLIGHT", "HERALD_HTTP_READS_WAITING"),
            "COMMANDS" => (
                "HERALD_HTTP_COMMANDS_IN_FLIGHT",
                "HERALD_HTTP_COMMANDS_WAITING",
            ),
            _ => (
                "HERALD_HTTP_WEBHOOKS_IN_FLIGHT",
                "HERALD_HTTP_WEBHOOKS_WAITING",
            ),
        };
        let limits = LaneLimits {
            in_flight: get(in_flight)
                .map(|text| parse(text, in_flight, "a number of requests"))
                .transpose()?
                .unwrap_or(default.in_flight),
            waiting: get(waiting)
                .map(|text| parse(text, waiting, "a number of requests"))
                .transpose()?
                .unwrap_or(default.waiting),
        };
        if limits.in_flight == 0 {
            return Err(SettingsError {
                variable: in_flight,
                message: "must be at least 1".into(),
            });
        }
        Ok(limits)
    };
    Ok(AdmissionLimits {
        reads: lane("READS", defaults.reads)?,
        commands: lane("COMMANDS", defaults.commands)?,
        webhooks: lane("WEBHOOKS", defaults.webhooks)?,
        max_wait: millis(
            get("HERALD_HTTP_QUEUE_WAIT_MS"),
            "HERALD_HTTP_QUEUE_WAIT_MS",
            u64::try_from(defaults.max_wait.as_millis()).unwrap_or(100),
        )?,
    })
}

fn millis(
    text: Option<&str>,
    variable: &'static str,
    default: u64,
) -> Result<Duration, SettingsError> {
    let millis = match text {
        Some(text) => parse(text, variable, "milliseconds")?,
        None => default,
    };
    Ok(Duration::from_millis(millis))
}

fn parse<T: std::str::FromStr>(
    text: &str,
    variable: &'static str,
    expected: &str,
) -> Result<T, SettingsError> {
    text.parse().map_err(|_| SettingsError {
        variable,
        message: format!("{text:?} is not {expected}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        Settings::from_map(
            &pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn defaults_run_everything_locally() {
        let settings = settings(&[]).unwrap();
        assert_eq!(settings.http_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(settings.data_dir, PathBuf::from("./data"));
        assert!(settings.nats_url.is_none() && settings.mongodb_uri.is_none());
    }

    #[test]
    fn admission_can_be_sized_and_a_lane_of_no_turns_is_refused() {
        let settings = settings(&[
            ("HERALD_HTTP_READS_IN_FLIGHT", "4"),
            ("HERALD_HTTP_READS_WAITING", "0"),
            ("HERALD_HTTP_QUEUE_WAIT_MS", "50"),
        ])
        .unwrap();
        let admission = settings.http_admission;
        assert_eq!((admission.reads.in_flight, admission.reads.waiting), (4, 0));
        assert_eq!(admission.max_wait, Duration::from_millis(50));
        assert_eq!(admission.commands.in_flight, 256);
        let error = super::Settings::from_map(
            &[("HERALD_HTTP_COMMANDS_IN_FLIGHT".to_owned(), "0".to_owned())]
                .into_iter()
                .collect(),
        )
        .unwrap_err();
        assert_eq!(error.variable, "HERALD_HTTP_COMMANDS_IN_FLIGHT");
    }

    #[test]
    fn the_nats_server_binary_can_be_named() {
        let settings = settings(&[("HERALD_NATS_SERVER_BIN", "/opt/nats/nats-server")]).unwrap();
        assert_eq!(
            settings.nats_server_bin,
            PathBuf::from("/opt/nats/nats-server")
        );
    }

    #[test]
    fn the_graph_api_can_point_at_a_test_double() {
        let settings = settings(&[
            ("HERALD_GRAPH_API_URL", "http://127.0.0.1:9999/"),
            ("HERALD_GRAPH_API_VERSION", "v24.0"),
        ])
        .unwrap();
        assert_eq!(settings.graph_api_url, "http://127.0.0.1:9999");
        assert_eq!(settings.graph_api_version, "v24.0");
    }

    #[test]
    fn the_secret_key_never_shows_in_debug_output() {
        let key = "ab".repeat(32);
        let settings = settings(&[("HERALD_SECRET_KEY", &key)]).unwrap();
        assert!(!format!("{settings:?}").contains(&key));
    }

    #[test]
    fn a_read_wait_as_long_as_the_request_timeout_is_refused() {
        let error = settings(&[
            ("HERALD_READ_WAIT_MS", "30000"),
            ("HERALD_HTTP_REQUEST_TIMEOUT_MS", "30000"),
        ])
        .unwrap_err();
        assert_eq!(error.variable, "HERALD_READ_WAIT_MS");
        assert!(settings(&[
            ("HERALD_HTTP_REQUEST_TIMEOUT_MS", "30001"),
            ("HERALD_READ_WAIT_MS", "30000")
        ])
        .is_ok());
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let error = settings(&[("HERALD_HTTP_ADDR", "localhost")]).unwrap_err();
        assert_eq!(error.variable, "HERALD_HTTP_ADDR");
    }
}
