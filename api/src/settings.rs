//! Herald's configuration, read once from `HERALD_*` variables.

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
    /// `HERALD_NATS_URL`; unset starts a local `nats-server`.
    pub nats_url: Option<String>,
    /// `HERALD_NATS_SERVER_BIN`; by default the one `./scripts/install-tools`
    /// puts in `.tools/` when run from the repository, else `nats-server` on
    /// `PATH`.
    pub nats_server_bin: PathBuf,
    /// `HERALD_STREAM`, default `HERALD_EVENTS`.
    pub stream_name: String,
    /// `HERALD_STREAM_REPLICAS`, default 1; 3 in a production cluster.
    pub stream_replicas: usize,
    /// `HERALD_MONGODB_URI`; unset uses SQLite under the data folder.
    pub mongodb_uri: Option<String>,
    /// `HERALD_MONGODB_DATABASE`, default `herald`.
    pub mongodb_database: String,
    /// `HERALD_READ_WAIT_MS`, default 5000: how long a query with
    /// `minPosition` waits for the projections.
    pub read_wait: Duration,
    /// `HERALD_LOG_FORMAT`: `text` (default) or `json`.
    pub json_logs: bool,
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
    /// As [`Settings::from_env`].
    pub fn from_map(vars: &HashMap<String, String>) -> Result<Self, SettingsError> {
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
            stream_replicas: parse(
                get("HERALD_STREAM_REPLICAS").unwrap_or("1"),
                "HERALD_STREAM_REPLICAS",
                "1, 3 or 5",
            )?,
            mongodb_uri: get("HERALD_MONGODB_URI").map(str::to_owned),
            mongodb_database: get("HERALD_MONGODB_DATABASE")
                .unwrap_or("herald")
                .to_owned(),
            read_wait: Duration::from_millis(parse(
                get("HERALD_READ_WAIT_MS").unwrap_or("5000"),
                "HERALD_READ_WAIT_MS",
                "milliseconds",
            )?),
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
        })
    }
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
    fn the_nats_server_binary_can_be_named() {
        let settings = settings(&[("HERALD_NATS_SERVER_BIN", "/opt/nats/nats-server")]).unwrap();
        assert_eq!(
            settings.nats_server_bin,
            PathBuf::from("/opt/nats/nats-server")
        );
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let error = settings(&[("HERALD_HTTP_ADDR", "localhost")]).unwrap_err();
        assert_eq!(error.variable, "HERALD_HTTP_ADDR");
    }
}
