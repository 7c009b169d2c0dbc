//! A closed loop: each client sends its next operation when the last one
//! has completed, for a fixed time after a warm-up.

use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

/// One client's operation, with whatever state it keeps between calls.
pub trait Client: Send + 'static {
    fn op(&mut self) -> impl Future<Output = anyhow::Result<()>> + Send;
}

#[derive(Debug, Clone)]
pub struct Measurement {
    pub ops: usize,
    pub elapsed: Duration,
    /// Sorted, in microseconds.
    latencies: Vec<u64>,
}

impl Measurement {
    pub fn ops_per_s(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    /// The latency below which `share` (0..1) of operations completed, in ms.
    pub fn percentile_ms(&self, share: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let index = ((self.latencies.len() as f64 * share).ceil() as usize)
            .clamp(1, self.latencies.len())
            - 1;
        self.latencies[index] as f64 / 1000.0
    }
}

/// The measurement with the median rate.
pub fn median(mut rounds: Vec<Measurement>) -> Measurement {
    rounds.sort_by(|a, b| a.ops_per_s().total_cmp(&b.ops_per_s()));
    let middle = rounds.len() / 2;
    rounds.swap_remove(middle)
}

/// Runs every client until `warmup + duration` has passed; operations that
/// start during the warm-up are not counted.
///
/// # Errors
/// The first failed operation.
pub async fn closed_loop<C: Client>(
    clients: Vec<C>,
    warmup: Duration,
    duration: Duration,
) -> anyhow::Result<Measurement> {
    let measured_from = Instant::now() + warmup;
    let until = measured_from + duration;
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|client| tokio::spawn(drive(client, measured_from, until)))
        .collect();
    let mut latencies = Vec::new();
    let mut last_done = measured_from;
    for task in tasks {
        let (client_latencies, done) = task.await??;
        latencies.extend(client_latencies);
        last_done = last_done.max(done);
    }
    latencies.sort_unstable();
    Ok(Measurement {
        ops: latencies.len(),
        elapsed: last_done - measured_from,
        latencies,
    })
}

async fn drive<C: Client>(
    mut client: C,
    measured_from: Instant,
    until: Instant,
) -> anyhow::Result<(Vec<u64>, Instant)> {
    let mut latencies = Vec::new();
    let mut done = measured_from;
    loop {
        let started = Instant::now();
        if started >= until {
            return Ok((latencies, done));
        }
        client.op().await?;
        done = Instant::now();
        if started >= measured_from {
            latencies.push(u64::try_from((done - started).as_micros()).unwrap_or(u64::MAX));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(ops: usize) -> Measurement {
        Measurement {
            ops,
            elapsed: Duration::from_secs(1),
            latencies: vec![1; ops],
        }
    }

    #[test]
    fn the_median_round_is_the_middle_rate() {
        assert_eq!(median(vec![rate(30), rate(10), rate(20)]).ops, 20);
    }

    #[test]
    fn percentiles_pick_the_latency_below_which_that_share_completed() {
        let measurement = Measurement {
            ops: 100,
            elapsed: Duration::from_secs(1),
            latencies: (1..=100).map(|ms| ms * 1000).collect(),
        };
        assert_eq!(measurement.percentile_ms(0.5), 50.0);
        assert_eq!(measurement.percentile_ms(0.99), 99.0);
        assert_eq!(measurement.ops_per_s(), 100.0);
    }
}
