//! Rate limits (governor's GCRA): per IP address and per tenant on the
//! API, and per IP address on signing up and in, where guessing passwords
//! would be. Past a limit: 429 with `Retry-After`.
//!
//! Each node counts for itself: behind a load balancer over N nodes a
//! client gets up to N times the rate, which bounds what any one node
//! does and still stops a guessing loop within a few hundred tries.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use herald_domain::TenantId;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

/// How many requests may go through, per key; 0 turns a limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateSettings {
    /// `HERALD_RATE_TENANT_PER_SECOND`: a tenant's requests, whatever
    /// their credentials.
    pub tenant_per_second: u32,
    /// `HERALD_RATE_IP_PER_SECOND`: an address's signed-in requests.
    pub ip_per_second: u32,
    /// `HERALD_RATE_SIGN_IN_PER_MINUTE`: an address's sign-ups, sign-ins,
    /// refreshes and links.
    pub sign_in_per_minute: u32,
}

impl Default for RateSettings {
    fn default() -> Self {
        Self {
            tenant_per_second: 500,
            ip_per_second: 500,
            sign_in_per_minute: 30,
        }
    }
}

/// Keys seen are forgotten once this many are kept and they have been
/// quiet long enough for their allowance to be whole again.
const KEYS_KEPT: usize = 100_000;

pub struct RateLimits {
    per_tenant: Option<DefaultKeyedRateLimiter<TenantId>>,
    per_ip: Option<DefaultKeyedRateLimiter<IpAddr>>,
    sign_in: Option<DefaultKeyedRateLimiter<IpAddr>>,
}

/// Over a limit: when the next request would go through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait(pub Duration);

impl RateLimits {
    pub fn new(settings: RateSettings) -> Self {
        // A burst of a second's worth (or a minute's, for signing in).
        Self {
            per_tenant: keyed(settings.tenant_per_second, Quota::per_second),
            per_ip: keyed(settings.ip_per_second, Quota::per_second),
            sign_in: keyed(settings.sign_in_per_minute, Quota::per_minute),
        }
    }

    /// # Errors
    /// The wait, when `ip` is over its rate.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), Wait> {
        check(self.per_ip.as_ref(), &ip)
    }

    /// # Errors
    /// The wait, when `tenant` is over its rate.
    pub fn check_tenant(&self, tenant: &TenantId) -> Result<(), Wait> {
        check(self.per_tenant.as_ref(), tenant)
    }

    /// # Errors
    /// The wait, when `ip` signs in (or up) too often.
    pub fn check_sign_in(&self, ip: IpAddr) -> Result<(), Wait> {
        check(self.sign_in.as_ref(), &ip)
    }
}

/// A limiter of `n` a period for each key; none for 0.
fn keyed<K: Hash + Eq + Clone>(
    n: u32,
    quota: fn(NonZeroU32) -> Quota,
) -> Option<DefaultKeyedRateLimiter<K>> {
    NonZeroU32::new(n).map(|n| RateLimiter::keyed(quota(n)))
}

fn check<K: Hash + Eq + Clone>(
    limiter: Option<&DefaultKeyedRateLimiter<K>>,
    key: &K,
) -> Result<(), Wait> {
    let Some(limiter) = limiter else {
        return Ok(());
    };
    if limiter.len() > KEYS_KEPT {
        limiter.retain_recent();
    }
    limiter
        .check_key(key)
        .map_err(|not_until| Wait(not_until.wait_time_from(DefaultClock::default().now())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_over_its_rate_waits_and_another_key_does_not() {
        let limits = RateLimits::new(RateSettings {
            tenant_per_second: 2,
            ip_per_second: 0,
            sign_in_per_minute: 1,
        });
        let acme = TenantId::parse("acme").unwrap();
        assert!(limits.check_tenant(&acme).is_ok());
        assert!(limits.check_tenant(&acme).is_ok());
        let Err(Wait(wait)) = limits.check_tenant(&acme) else {
            panic!("a third request within the second goes through")
        };
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_millis(500),
            "{wait:?}"
        );
        assert!(limits
            .check_tenant(&TenantId::parse("other").unwrap())
            .is_ok());

        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        assert!(limits.check_sign_in(ip).is_ok());
        assert!(limits.check_sign_in(ip).is_err());
        for _ in 0..1_000 {
            assert!(limits.check_ip(ip).is_ok(), "0 turns the limit off");
        }
    }
}
