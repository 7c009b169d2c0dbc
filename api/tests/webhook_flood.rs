//! A running `herald serve` under a flood of unsigned webhook POSTs of a
//! megabyte each, while normal requests keep coming: they stay fast, every
//! POST gets its 401, and the log stays small. Sized to prove the point in
//! seconds.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{probe, ServeOptions, Serving};

const FLOOD_POSTS: usize = 1_000;
const FLOOD_CLIENTS: usize = 8;
const FLOOD_BODY_BYTES: usize = 1 << 20;

/// Notifications of about a megabyte each: one names a new number in
/// every change; the other names one number and carries a megabyte of
/// statuses, so that finding its numbers means reading all of it.
fn flood_bodies() -> [Vec<u8>; 2] {
    let mut many =
        br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":["#.to_vec();
    let mut number = 106_540_352_000_000_u64;
    while many.len() < FLOOD_BODY_BYTES - 128 {
        number += 1;
        many.extend_from_slice(
            format!(r#"{{"value":{{"metadata":{{"phone_number_id":"{number}"}}}}}},"#).as_bytes(),
        );
    }
    many.pop();
    many.extend_from_slice(b"]}]}");
    let mut one = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{"statuses":["#.to_vec();
    while one.len() < FLOOD_BODY_BYTES - 128 {
        one.extend_from_slice(br#"{"id":"wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA","status":"read","timestamp":"1750030073","recipient_id":"16505551234"},"#);
    }
    one.pop();
    one.extend_from_slice(br#"],"metadata":{"phone_number_id":"106540352242922"}}}]}]}"#);
    [many, one]
}

/// Posts `posts` copies of `body`, each with a random signature; gives the
/// statuses answered.
async fn flood(url: String, body: bytes::Bytes, posts: usize) -> Vec<u16> {
    let client = reqwest::Client::new();
    let mut statuses = Vec::with_capacity(posts);
    for _ in 0..posts {
        let signature = format!("sha256={:064x}", fastrand::u128(..));
        let answer = client
            .post(&url)
            .header("content-type", "application/json")
            .header("x-hub-signature-256", signature)
            .body(body.clone())
            .send()
            .await;
        statuses.push(answer.map_or(0, |a| a.status().as_u16()));
    }
    statuses
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsigned_webhook_flood_leaves_other_requests_fast_and_the_log_small() {
    let data = tempfile::tempdir().expect("a temporary folder");
    let log = data.path().join("herald.log");
    let herald = Serving::start_with(
        data.path(),
        ServeOptions {
            log: Some(log.clone()),
            ..ServeOptions::default()
        },
    )
    .await;
    let bodies = flood_bodies().map(bytes::Bytes::from);
    let logged_before = std::fs::metadata(&log).map_or(0, |m| m.len());

    let floods: Vec<_> = (0..FLOOD_CLIENTS)
        .map(|client| {
            let url = herald.url("/v1/webhooks/whatsapp");
            let body = bodies[client % bodies.len()].clone();
            tokio::spawn(flood(url, body, FLOOD_POSTS / FLOOD_CLIENTS))
        })
        .collect();
    let flooding = Arc::new(AtomicBool::new(true));
    let still = Arc::clone(&flooding);
    let probing = tokio::spawn(probe(
        herald.url(""),
        herald.api_key("acme"),
        &["/healthz", "/v1/campaigns?limit=50"],
        Duration::from_millis(20),
        move || still.load(Ordering::Relaxed),
    ));
    let started = Instant::now();
    let mut statuses = Vec::new();
    for flood in floods {
        statuses.extend(flood.await.expect("a flood ends"));
    }
    let took = started.elapsed();
    flooding.store(false, Ordering::Relaxed);
    let probed = probing.await.expect("the probe ends");
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    let grown = logged.len() as u64 - logged_before;

    assert_eq!(statuses.len(), FLOOD_POSTS);
    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
    eprintln!(
        "{FLOOD_POSTS} posts in {took:?}; {} probes, p99 {:?}, worst {:?}; log grew {grown} bytes",
        probed.latencies.len(),
        probed.p99(),
        probed.worst()
    );
    assert!(probed.failures.is_empty(), "{:?}", probed.failures);
    assert!(probed.latencies.len() > 20, "too few probes got through");
    assert!(
        probed.p99() < Duration::from_millis(100),
        "other requests' p99 was {:?} during the flood",
        probed.p99()
    );
    assert!(
        grown < (FLOOD_POSTS as u64) * 1_024,
        "the log grew by {grown} bytes for {FLOOD_POSTS} refused posts"
    );
    assert!(
        !logged.contains(" WARN ") && !logged.contains(" ERROR "),
        "refusing unsigned posts is not worth a warning: {}",
        logged
            .lines()
            .find(|l| l.contains(" WARN ") || l.contains(" ERROR "))
            .unwrap_or_default()
    );
    drop(herald);
}
