//! Which Graph API errors are worth another attempt, and how long to wait
//! before it (cloud-api.md §2 and §7 item 10).

use herald_application::ports::whatsapp::GraphError;
use std::time::Duration;

use super::config::CloudApiConfig;

/// What to do after a Graph API error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAdvice {
    /// Permanent for this request: retrying gives the same answer, or makes
    /// things worse (spam limits, policy blocks).
    Stop,
    /// Temporary: try again after an exponential back-off with jitter.
    Backoff,
    /// The account is in maintenance (131057): try again in about a minute.
    AfterMaintenance,
    /// The pair rate limit for this recipient (131056): try again after
    /// 4^X seconds. Other recipients are not affected.
    PairLimit,
}

/// The reference table, by `code` only: Meta asks clients not to branch on
/// messages or titles. 190 (expired token) is not retried here: a new token
/// must come from the business, which the application asks for.
pub fn advice(error: &GraphError) -> RetryAdvice {
    match error.code {
        4 | 80007 | 130429 | 131000 | 1 | 2 | 131016 | 133004 => RetryAdvice::Backoff,
        131057 => RetryAdvice::AfterMaintenance,
        131056 => RetryAdvice::PairLimit,
        131026
        | 131047
        | 132000
        | 132001
        | 132012
        | 132015
        | 132016
        | 133010
        | 368
        | 131048
        | 100
        | 131008
        | 131009
        | 0
        | 10
        | 190
        | 200..=299 => RetryAdvice::Stop,
        // Unknown codes, and answers with no Graph error at all: a server
        // error is temporary like 131000, anything else is not.
        _ if error.http_status >= 500 => RetryAdvice::Backoff,
        _ => RetryAdvice::Stop,
    }
}

/// How long to wait before the next attempt.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    base: Duration,
    max: Duration,
    maintenance: Duration,
    pair_unit: Duration,
}

impl RetryPolicy {
    pub fn new(config: &CloudApiConfig) -> Self {
        Self {
            base: config.base_backoff,
            max: config.max_backoff,
            maintenance: config.maintenance_backoff,
            pair_unit: config.pair_backoff_unit,
        }
    }

    /// The wait after attempt number `attempt` (from 1) failed with this
    /// advice; `None` for [`RetryAdvice::Stop`].
    pub fn delay(&self, advice: RetryAdvice, attempt: u32) -> Option<Duration> {
        match advice {
            RetryAdvice::Stop => None,
            RetryAdvice::Backoff => Some(self.backoff(attempt)),
            RetryAdvice::AfterMaintenance => Some(self.maintenance),
            RetryAdvice::PairLimit => Some(self.pair(attempt)),
        }
    }

    /// `base × 2^(attempt−1)`, capped, then drawn between half and all of
    /// it: many senders hitting the same limit spread out instead of coming
    /// back together, and none waits less than half the intended time.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self.capped(self.base, 2, attempt);
        let half = ceiling / 2;
        let spread = u64::try_from((ceiling - half).as_millis()).unwrap_or(u64::MAX);
        half + Duration::from_millis(fastrand::u64(0..=spread))
    }

    /// Meta's 4^X seconds, X = attempt − 1, in units of `pair_unit`.
    fn pair(&self, attempt: u32) -> Duration {
        self.capped(self.pair_unit, 4, attempt)
    }

    fn capped(&self, unit: Duration, factor: u32, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(30);
        let multiplier = factor.checked_pow(exponent).unwrap_or(u32::MAX);
        unit.checked_mul(multiplier)
            .unwrap_or(self.max)
            .min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(code: i64, http_status: u16) -> GraphError {
        GraphError {
            http_status,
            code,
            subcode: None,
            error_type: None,
            message: String::new(),
            details: None,
            fbtrace_id: None,
        }
    }

    #[test]
    fn every_code_of_the_reference_table_gets_its_advice() {
        use RetryAdvice::*;
        let table: &[(i64, u16, RetryAdvice)] = &[
            (4, 400, Backoff),
            (80007, 400, Backoff),
            (130429, 400, Backoff),
            (130429, 429, Backoff),
            (131000, 500, Backoff),
            (1, 400, Backoff),
            (2, 503, Backoff),
            (131016, 500, Backoff),
            (133004, 503, Backoff),
            (131057, 500, AfterMaintenance),
            (131056, 400, PairLimit),
            (131026, 400, Stop),
            (131047, 400, Stop),
            (132000, 400, Stop),
            (132001, 404, Stop),
            (132012, 400, Stop),
            (132015, 400, Stop),
            (132016, 400, Stop),
            (133010, 400, Stop),
            (368, 403, Stop),
            (131048, 400, Stop),
            (100, 400, Stop),
            (131008, 400, Stop),
            (131009, 400, Stop),
            (0, 401, Stop),
            (10, 403, Stop),
            (200, 403, Stop),
            (250, 403, Stop),
            (299, 403, Stop),
            (190, 401, Stop),
            // Unknown codes: retried only on a server error.
            (999_999, 400, Stop),
            (999_999, 500, Backoff),
            (super::super::responses::NO_GRAPH_CODE, 502, Backoff),
            (super::super::responses::NO_GRAPH_CODE, 404, Stop),
            // A known permanent code stays permanent on a 5xx.
            (100, 500, Stop),
        ];
        for &(code, status, expected) in table {
            assert_eq!(
                advice(&error(code, status)),
                expected,
                "code {code}, HTTP {status}"
            );
        }
    }

    fn policy() -> RetryPolicy {
        RetryPolicy::new(&CloudApiConfig {
            base_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            maintenance_backoff: Duration::from_secs(60),
            pair_backoff_unit: Duration::from_millis(10),
            ..CloudApiConfig::default()
        })
    }

    #[test]
    fn backoff_doubles_within_half_and_all_of_its_ceiling() {
        let policy = policy();
        for (attempt, ceiling_ms) in [
            (1, 100),
            (2, 200),
            (3, 400),
            (4, 800),
            (5, 1600),
            (6, 2000),
            (40, 2000),
        ] {
            let ceiling = Duration::from_millis(ceiling_ms);
            for _ in 0..200 {
                let delay = policy.backoff(attempt);
                assert!(
                    delay >= ceiling / 2 && delay <= ceiling,
                    "attempt {attempt}: {delay:?}"
                );
            }
        }
    }

    #[test]
    fn the_pair_limit_waits_4_to_the_x() {
        let policy = policy();
        let waits: Vec<Duration> = (1..=4)
            .map(|a| policy.delay(RetryAdvice::PairLimit, a).unwrap())
            .collect();
        assert_eq!(waits, [10, 40, 160, 640].map(Duration::from_millis));
        assert_eq!(
            policy.delay(RetryAdvice::PairLimit, 10),
            Some(Duration::from_secs(2))
        );
    }

    #[test]
    fn maintenance_waits_its_own_delay_and_stop_never_waits() {
        let policy = policy();
        assert_eq!(
            policy.delay(RetryAdvice::AfterMaintenance, 1),
            Some(Duration::from_secs(60))
        );
        assert_eq!(policy.delay(RetryAdvice::Stop, 1), None);
    }
}
