//! Where the Graph API is, how long to wait for it, how fast to send and how
//! to retry. The binary maps `HERALD_GRAPH_API_URL` and
//! `HERALD_GRAPH_API_VERSION` onto this; nothing here reads the environment.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct CloudApiConfig {
    /// `https://graph.facebook.com`, or a fake Graph API in tests.
    pub base_url: String,
    /// The Graph API version in every path, as in `v23.0`.
    pub api_version: String,
    /// The longest a whole request may take, answer included. A send that
    /// times out may have been received, so this is generous.
    pub request_timeout: Duration,
    /// The longest to wait for a connection. Kept apart from the request
    /// timeout because a connection that never opened certainly sent nothing.
    pub connect_timeout: Duration,
    /// Messages per second per business number: 80 unless Meta upgraded the
    /// number (1,000), 20 for numbers shared with the Business app.
    pub number_rate_per_second: u32,
    /// The steady pace to one recipient from one number: Meta allows one
    /// message every 6 seconds.
    pub pair_interval: Duration,
    /// How many messages may go to one recipient at once before the steady
    /// pace applies. Meta tolerates bursts of up to 45, but borrows them from
    /// the recipient's future quota, so a large burst stalls the next
    /// messages of the conversation. 5 lets a chatbot turn (a text, buttons,
    /// a follow-up) go out at once while borrowing little; a campaign sends
    /// one message per recipient and never comes near it.
    pub pair_burst: u32,
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// The first back-off after a temporary error; it doubles after each
    /// attempt, with jitter.
    pub base_backoff: Duration,
    /// No back-off is longer than this.
    pub max_backoff: Duration,
    /// The wait after 131057 (account in maintenance, typically a
    /// throughput upgrade, which takes up to a minute).
    pub maintenance_backoff: Duration,
    /// X in Meta's "retry after 4^X seconds" for the pair rate limit
    /// (131056) is scaled by this: the waits are 1×, 4×, 16×... this.
    pub pair_backoff_unit: Duration,
}

impl Default for CloudApiConfig {
    fn default() -> Self {
        Self {
            base_url: "https://graph.facebook.com".into(),
            api_version: "v23.0".into(),
            request_timeout: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(5),
            number_rate_per_second: 80,
            pair_interval: Duration::from_secs(6),
            pair_burst: 5,
            max_attempts: 5,
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(60),
            maintenance_backoff: Duration::from_secs(60),
            pair_backoff_unit: Duration::from_secs(1),
        }
    }
}

/// A configuration the client cannot work with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CloudApiConfigError {
    #[error("the Graph API URL {0:?} is not an absolute http(s) URL")]
    BaseUrl(String),
    #[error("the Graph API version {0:?} is not like v23.0")]
    ApiVersion(String),
    #[error("{0} must be at least 1")]
    Zero(&'static str),
    #[error("cannot build the HTTP client: {0}")]
    Http(String),
}

impl CloudApiConfig {
    /// # Errors
    /// When a rate, burst or attempt count is 0, or the version is not
    /// `v` followed by digits and dots.
    pub fn check(&self) -> Result<(), CloudApiConfigError> {
        let counts = [
            ("number_rate_per_second", self.number_rate_per_second),
            ("pair_burst", self.pair_burst),
            ("max_attempts", self.max_attempts),
        ];
        if let Some((name, _)) = counts.iter().find(|(_, value)| *value == 0) {
            return Err(CloudApiConfigError::Zero(name));
        }
        let version_ok = self.api_version.strip_prefix('v').is_some_and(|rest| {
            !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit() || c == '.')
        });
        if version_ok {
            Ok(())
        } else {
            Err(CloudApiConfigError::ApiVersion(self.api_version.clone()))
        }
    }
}
