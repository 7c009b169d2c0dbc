//! Knobs of the fake. Defaults are Meta's documented behaviour (cloud-api.md);
//! tests shrink limits and delays so they run in milliseconds.

use std::time::Duration;

use crate::webhooks::StatusSchedule;

/// Everything the fake can be told at start, and changed later with
/// [`crate::FakeGraph::configure`].
#[derive(Debug, Clone)]
pub struct FakeGraphConfig {
    /// Code of the 401 for a missing or unknown token: 190 (default) or 0.
    pub auth_failure_code: u32,
    pub missing_plus: MissingPlus,
    pub window: WindowPolicy,
    /// Calls a second per number before 130429 (Meta: 80).
    pub throughput_per_second: u32,
    pub throughput_status: RateLimitStatus,
    /// Messages to one recipient allowed at once before 131056 (Meta: 45).
    pub pair_burst: u32,
    /// After the burst, one message per recipient per interval (Meta: 6 s).
    pub pair_interval: Duration,
    /// Management calls (`/message_templates`) per WABA per hour before 80007 (Meta: 200).
    pub template_calls_per_hour: u32,
    /// How long a media URL from `GET /{media-id}` works (Meta: 5 min).
    pub media_url_ttl: Duration,
    pub webhooks: WebhookConfig,
    /// What follows an accepted send, unless the number has its own.
    pub status_schedule: StatusSchedule,
}

impl Default for FakeGraphConfig {
    fn default() -> Self {
        Self {
            auth_failure_code: 190,
            missing_plus: MissingPlus::PrependCountryCode,
            window: WindowPolicy::default(),
            throughput_per_second: 80,
            throughput_status: RateLimitStatus::BadRequest,
            pair_burst: 45,
            pair_interval: Duration::from_secs(6),
            template_calls_per_hour: 200,
            media_url_ttl: Duration::from_secs(300),
            webhooks: WebhookConfig::default(),
            status_schedule: StatusSchedule::normal(),
        }
    }
}

/// What to do with a `to` written without `+` (SM).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingPlus {
    /// Meta's rule: prepend the business number's country code.
    PrependCountryCode,
    /// Answer 400 code 100, for tests that insist on E.164.
    Reject,
    /// Take the digits as they are.
    AcceptAsIs,
}

/// Whether an error comes back in the send answer or later in a `failed` status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorTiming {
    Sync,
    Async,
}

/// The customer-service window (131047).
#[derive(Debug, Clone, Copy)]
pub struct WindowPolicy {
    pub enforce: bool,
    pub timing: ErrorTiming,
    pub length: Duration,
}

impl Default for WindowPolicy {
    fn default() -> Self {
        Self {
            enforce: true,
            timing: ErrorTiming::Sync,
            length: Duration::from_secs(24 * 3600),
        }
    }
}

/// HTTP status of 130429: Meta's table says 400, a third-party copy says 429.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimitStatus {
    BadRequest,
    TooManyRequests,
}

/// How the emitter posts.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub version: WebhookVersion,
    pub signature: SignatureMode,
    /// Wait before the first redelivery; each later one waits twice as long.
    pub retry_base_delay: Duration,
    /// Attempts per payload, the first included.
    pub max_attempts: u32,
    /// A receiver slower than this counts as failed and is retried.
    pub timeout: Duration,
    /// Pause between the posts of a schedule.
    pub step_delay: Duration,
    /// Whether statuses carry the send's `biz_opaque_callback_data`. Meta
    /// documents it as echoed, but not for every status and product.
    pub echo_callback_data: bool,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            version: WebhookVersion::V23,
            signature: SignatureMode::Valid,
            retry_base_delay: Duration::from_millis(50),
            max_attempts: 5,
            timeout: Duration::from_secs(2),
            step_delay: Duration::from_millis(5),
            echo_callback_data: true,
        }
    }
}

/// v23 statuses carry `conversation`; from v24 it is omitted (WS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookVersion {
    V23,
    V24Plus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureMode {
    /// `sha256=<hex HMAC-SHA256(app_secret, body)>`.
    Valid,
    /// A well-formed signature made with the wrong key.
    Bad,
    /// No `X-Hub-Signature-256` header at all.
    Missing,
}
