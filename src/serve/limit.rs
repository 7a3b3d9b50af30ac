//! Per-client token buckets charged by failed requests: enough for a person
//! mistyping a link, not for someone trying tokens. Requests that succeed
//! (a known token) cost nothing, so a mailbox provider relaying thousands of
//! one-click unsubscribes from one address is never turned away.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Above this many tracked clients, full (idle) buckets are forgotten so a
/// flood of addresses cannot grow memory without bound.
const MAX_TRACKED: usize = 10_000;

#[derive(Debug)]
pub struct RateLimiter {
    capacity: f64,
    per_second: f64,
    buckets: HashMap<IpAddr, (f64, Instant)>,
}

impl RateLimiter {
    /// `per_minute` requests a minute, in bursts of up to `per_minute`.
    pub fn new(per_minute: u32) -> RateLimiter {
        let capacity = f64::from(per_minute.max(1));
        RateLimiter {
            capacity,
            per_second: capacity / 60.0,
            buckets: HashMap::new(),
        }
    }

    /// Whether `ip` may make a request at `now`: `Err(wait)` when its
    /// bucket is empty, with how long until the next token. Takes nothing:
    /// only a failed request is charged (see [`RateLimiter::charge`]).
    pub fn check(&mut self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let refilled = self.refill(ip, now);
        if refilled >= 1.0 {
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - refilled) / self.per_second))
        }
    }

    /// Takes one token from `ip`'s bucket (never below empty).
    pub fn charge(&mut self, ip: IpAddr, now: Instant) {
        let refilled = self.refill(ip, now);
        if let Some((tokens, _)) = self.buckets.get_mut(&ip) {
            *tokens = (refilled - 1.0).max(0.0);
        }
    }

    /// Brings `ip`'s bucket up to `now` and returns its tokens.
    fn refill(&mut self, ip: IpAddr, now: Instant) -> f64 {
        if self.buckets.len() >= MAX_TRACKED && !self.buckets.contains_key(&ip) {
            let (cap, rate) = (self.capacity, self.per_second);
            self.buckets.retain(|_, (tokens, at)| {
                *tokens + now.saturating_duration_since(*at).as_secs_f64() * rate < cap
            });
        }
        let (tokens, at) = self.buckets.entry(ip).or_insert((self.capacity, now));
        let refilled = (*tokens
            + now.saturating_duration_since(*at).as_secs_f64() * self.per_second)
            .min(self.capacity);
        *tokens = refilled;
        *at = now;
        refilled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_a_burst_then_refuses_until_refilled() {
        let mut l = RateLimiter::new(3);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.check(ip, t0).is_ok());
            l.charge(ip, t0);
        }
        let wait = l.check(ip, t0).unwrap_err();
        assert!(wait > Duration::from_secs(19) && wait <= Duration::from_secs(20));
        assert!(l.check(other, t0).is_ok(), "buckets are per client");
        let t1 = t0 + Duration::from_secs(21);
        assert!(l.check(ip, t1).is_ok());
        l.charge(ip, t1);
        assert!(l.check(ip, t1).is_err());
    }

    #[test]
    fn checking_alone_never_empties_a_bucket() {
        let mut l = RateLimiter::new(3);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..100 {
            assert!(l.check(ip, t0).is_ok());
        }
    }
}
