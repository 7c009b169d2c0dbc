//! A running `herald serve` driven with far more reads than it can serve:
//! it answers the excess 503 with `Retry-After` at once, its memory (read
//! from `/proc`) stays bounded, commands still go through in their own
//! lane, and once the load stops it serves normally. Herald's lanes are
//! made small here, so that the point is made in seconds on two cores.

mod support;

use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{create_session, ServeOptions, Serving};

const TENANT: &str = "acme";
/// Clients each sending one read after another, answered or refused.
const CLIENTS: usize = 64;
const LOAD: Duration = Duration::from_secs(4);
const LIST: &str = "/v1/campaigns?limit=50";
/// The longest any answer may take, refusals included, once the client's
/// connection is open; and with its opening (the accept queue is busy).
const SLOWEST_ALLOWED: Duration = Duration::from_secs(1);
const SLOWEST_FIRST_ALLOWED: Duration = Duration::from_secs(2);
/// What Herald's memory may grow by under the load.
const GROWTH_ALLOWED_KIB: u64 = 150 * 1024;

/// The resident memory of process `pid`, in KiB.
fn resident_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[derive(Default)]
struct Answers {
    served: usize,
    refused: usize,
    slowest: Duration,
    /// The slowest answer after each client's first, whose connection was
    /// still being opened.
    slowest_after_first: Duration,
    /// Anything but 200, or a 503 that is not a proper refusal.
    wrong: Vec<String>,
}

impl Answers {
    fn add(&mut self, other: Self) {
        self.served += other.served;
        self.refused += other.refused;
        self.slowest = self.slowest.max(other.slowest);
        self.slowest_after_first = self.slowest_after_first.max(other.slowest_after_first);
        self.wrong.extend(other.wrong);
    }
}

/// Sends the list query again and again until `going` turns false.
async fn client(url: String, key: String, going: Arc<AtomicBool>) -> Answers {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("a client");
    let mut answers = Answers::default();
    let mut first = true;
    while going.load(Ordering::Relaxed) {
        let started = Instant::now();
        let answer = http.get(&url).bearer_auth(&key).send().await;
        let took = started.elapsed();
        answers.slowest = answers.slowest.max(took);
        if !first {
            answers.slowest_after_first = answers.slowest_after_first.max(took);
        }
        first = false;
        match answer {
            Ok(answer) if answer.status() == 200 => answers.served += 1,
            Ok(answer) if answer.status() == 503 => {
                let retry_after = answer.headers().get("retry-after").cloned();
                let body: Value = answer.json().await.unwrap_or_default();
                if retry_after.is_none() || body["error"]["code"] != "overloaded" {
                    answers.wrong.push(format!("503 {retry_after:?} {body}"));
                }
                answers.refused += 1;
            }
            Ok(answer) => answers.wrong.push(answer.status().to_string()),
            Err(error) => answers.wrong.push(error.to_string()),
        }
    }
    answers
}

async fn create_campaign(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    session: &str,
    n: usize,
) -> u16 {
    let body = json!({
        "campaignName": format!("Campaign {n}"),
        "sessionId": session,
        "messageType": "text",
        "messageContent": "Hi {{name|there}}, 20% off today",
        "recipients": [{"phoneNumber": "+16505550100", "name": "Ada"}],
    });
    http.post(format!("{base}/v1/campaigns"))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .map_or(0, |answer| answer.status().as_u16())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn far_more_reads_than_herald_can_serve_are_refused_promptly_in_bounded_memory() {
    let data = tempfile::tempdir().expect("a temporary folder");
    let options = ServeOptions {
        env: vec![
            ("HERALD_HTTP_READS_IN_FLIGHT", "2".into()),
            ("HERALD_HTTP_READS_WAITING", "8".into()),
            ("HERALD_HTTP_QUEUE_WAIT_MS", "100".into()),
        ],
        ..ServeOptions::default()
    };
    let herald = Serving::start_with(data.path(), options).await;
    let base = herald.url("");
    let http = reqwest::Client::new();
    let key = herald.api_key(TENANT);
    let session = create_session(&http, &base, &key).await;
    for n in 0..50 {
        assert_eq!(create_campaign(&http, &base, &key, &session, n).await, 201);
    }
    // Warm: the list is projected and its pages have been read once.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let page: Value = http
            .get(format!("{base}{LIST}"))
            .bearer_auth(&key)
            .send()
            .await
            .expect("Herald answers")
            .json()
            .await
            .expect("a page");
        if page["total"] == 50 {
            break;
        }
        assert!(Instant::now() < deadline, "the campaigns were never listed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let before = resident_kib(herald.pid());

    let going = Arc::new(AtomicBool::new(true));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            tokio::spawn(client(
                format!("{base}{LIST}"),
                key.clone(),
                Arc::clone(&going),
            ))
        })
        .collect();
    let started = Instant::now();
    let mut peak = before;
    let mut commands = Vec::new();
    while started.elapsed() < LOAD {
        peak = peak.max(resident_kib(herald.pid()));
        commands.push(create_campaign(&http, &base, &key, &session, 100 + commands.len()).await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    going.store(false, Ordering::Relaxed);
    let mut answers = Answers::default();
    for client in clients {
        answers.add(client.await.expect("a client's answers"));
    }
    peak = peak.max(resident_kib(herald.pid()));

    println!(
        "{} served, {} refused, slowest answer {:?} ({:?} once connected); memory {before} KiB before, {peak} KiB at most",
        answers.served, answers.refused, answers.slowest, answers.slowest_after_first
    );
    assert!(
        answers.wrong.is_empty(),
        "{:?}",
        &answers.wrong[..answers.wrong.len().min(5)]
    );
    assert!(
        answers.refused > answers.served,
        "the load was not more than Herald could serve"
    );
    assert!(answers.served > 0, "nothing was served under the load");
    assert!(
        answers.slowest_after_first < SLOWEST_ALLOWED && answers.slowest < SLOWEST_FIRST_ALLOWED,
        "an answer took {:?} ({:?} once connected)",
        answers.slowest,
        answers.slowest_after_first
    );
    assert!(
        peak.saturating_sub(before) < GROWTH_ALLOWED_KIB,
        "memory grew from {before} KiB to {peak} KiB"
    );
    assert!(
        commands.iter().all(|status| *status == 201),
        "commands refused under a read flood: {commands:?}"
    );

    // Serves normally once the load has stopped.
    for _ in 0..20 {
        let answer = http
            .get(format!("{base}{LIST}"))
            .bearer_auth(&key)
            .send()
            .await
            .expect("Herald answers");
        assert_eq!(answer.status(), 200);
    }
    let metrics = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    let counted = format!(
        "herald_http_refused_total{{lane=\"reads\"}} {}",
        answers.refused
    );
    assert!(metrics.contains(&counted), "{counted} not in the metrics");
}
