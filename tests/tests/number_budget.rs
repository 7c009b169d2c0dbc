//! A number's send budget is one for every node: two nodes sending from
//! one number share its rate, they do not get it each.

use herald_application::ports::budget::NumberBudget;
use herald_infrastructure::jetstream::{EventLogConfig, JetStreamNumberBudget};
use herald_tests::TestNats;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

const RATE: u32 = 50;
const SPAN: Duration = Duration::from_secs(3);

/// Sends as fast as the budget allows until `until`; gives when each went.
async fn send_until(budget: Arc<JetStreamNumberBudget>, until: Instant) -> Vec<Instant> {
    let mut sent = Vec::new();
    while Instant::now() < until {
        match budget
            .reserve("106540352242922", RATE, Duration::from_millis(500))
            .await
        {
            Ok(at) => {
                tokio::time::sleep_until(at).await;
                sent.push(at);
            }
            Err(wait) => tokio::time::sleep(wait.min(Duration::from_millis(100))).await,
        }
    }
    sent
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_share_one_numbers_rate() {
    let nats = TestNats::start().await;
    let first = Arc::new(JetStreamNumberBudget::new(
        &nats.event_log(EventLogConfig::default()).await,
    ));
    let second = Arc::new(JetStreamNumberBudget::new(
        &nats.event_log(EventLogConfig::default()).await,
    ));
    let start = Instant::now();
    let until = start + SPAN;
    let (a, b) = tokio::join!(
        tokio::spawn(send_until(first, until)),
        tokio::spawn(send_until(second, until))
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut all: Vec<Instant> = a.iter().chain(&b).copied().collect();
    all.sort();
    let in_span = all.iter().filter(|at| **at < until).count();
    println!("{} and {} sends in {SPAN:?} at {RATE}/s", a.len(), b.len());
    // The rate over the span, and never two closer than the interval allows
    // by more than the nodes' clocks can differ (one machine: not at all).
    let most = (RATE as f64 * SPAN.as_secs_f64()) as usize + 1;
    assert!(
        in_span <= most,
        "{in_span} sends in {SPAN:?}, at most {most}"
    );
    assert!(
        in_span >= most * 9 / 10,
        "{in_span} sends: the budget went unused"
    );
    assert!(!a.is_empty() && !b.is_empty(), "both nodes sent");
    let interval = Duration::from_secs(1) / RATE;
    for pair in all.windows(2) {
        assert!(
            pair[1] - pair[0] >= interval - Duration::from_millis(1),
            "{:?} apart",
            pair[1] - pair[0]
        );
    }
}
