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

/// A number held up for a while makes up a quarter second of the sends it
/// missed, where it lost them all (a number at 80 a second sent 756 in a
/// ten-second window with a stall in it); a new number starts from now.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_number_held_up_makes_up_a_quarter_second_of_its_sends() {
    let nats = TestNats::start().await;
    let budget = JetStreamNumberBudget::new(&nats.event_log(EventLogConfig::default()).await);
    let number = "106540352242923";
    let horizon = Duration::from_millis(500);
    let before = Instant::now();
    let first = budget.reserve(number, RATE, horizon).await.unwrap();
    assert!(first >= before, "a new number starts from now");

    // Held up: nothing reserved for well over a quarter second.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let now = Instant::now();
    let mut moments = Vec::new();
    while moments.len() < 13 {
        moments.push(budget.reserve(number, RATE, horizon).await.unwrap());
    }
    let behind = now - moments[0];
    assert!(
        behind >= Duration::from_millis(150) && behind <= Duration::from_millis(260),
        "the first moment after the stall is {behind:?} behind"
    );
    let interval = Duration::from_secs(1) / RATE;
    let made_up = moments.iter().filter(|at| **at < now).count();
    assert!(
        (12..=13).contains(&made_up),
        "{made_up} made up: a quarter second at {RATE}/s is 12 or 13 moments"
    );
    for pair in moments.windows(2) {
        assert!(pair[1] - pair[0] >= interval - Duration::from_millis(1));
    }
}
