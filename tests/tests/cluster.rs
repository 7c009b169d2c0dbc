//! Herald on a three-node JetStream cluster with three replicas, 64 clients
//! sending commands, while the event stream's leader is killed with
//! SIGKILL and later started again. Every command answered 2xx is in the
//! log exactly once afterwards; during the election commands either wait
//! and succeed or fail with a clear 503, never a 500. The time without a
//! leader and the command rate before, during and after are printed (and
//! recorded in docs/benchmarks.md).

use async_nats::jetstream;
use futures::TryStreamExt;
use herald_api::Herald;
use herald_tests::app::{create_session, settings_on_nats};
use herald_tests::campaign_body;
use herald_tests::cluster::TestNatsCluster;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CLIENTS: usize = 64;
const TENANT: &str = "acme";
const BEFORE: Duration = Duration::from_secs(3);
/// How long the killed node stays down.
const DOWN: Duration = Duration::from_secs(5);
const AFTER: Duration = Duration::from_secs(3);
/// The phases above are spans of load to measure, not waits for a result.
/// An election taking longer than this is a failure.
const ELECTION_LIMIT: Duration = Duration::from_secs(60);

/// One answered command: when it was sent and answered, its status, and
/// the campaign it created when it did.
struct Answer {
    sent: Instant,
    at: Instant,
    status: u16,
    id: Option<String>,
}

async fn client_loop(
    url: String,
    key: String,
    body: Value,
    running: Arc<AtomicBool>,
    answers: Arc<Mutex<Vec<Answer>>>,
) {
    let client = reqwest::Client::new();
    while running.load(Ordering::Relaxed) {
        let sent = Instant::now();
        let answer = client
            .post(format!("{url}/v1/campaigns"))
            .bearer_auth(&key)
            .timeout(Duration::from_secs(30))
            .json(&body)
            .send()
            .await;
        let (status, id) = match answer {
            Ok(answer) => {
                let status = answer.status().as_u16();
                let body: Value = answer.json().await.unwrap_or_default();
                (status, body["id"].as_str().map(str::to_owned))
            }
            Err(_) => (0, None),
        };
        answers.lock().unwrap().push(Answer {
            sent,
            at: Instant::now(),
            status,
            id,
        });
    }
}

async fn stream_leader(jetstream: &jetstream::Context) -> Option<String> {
    let mut stream = jetstream.get_stream("HERALD_EVENTS").await.ok()?;
    let info = stream.info().await.ok()?;
    info.cluster.as_ref()?.leader.clone()
}

/// Commits per campaign subject of the tenant.
async fn commits_per_campaign(jetstream: &jetstream::Context) -> HashMap<String, usize> {
    let stream = jetstream.get_stream("HERALD_EVENTS").await.unwrap();
    let subjects = stream
        .info_with_subjects(format!("herald.evt.{TENANT}.campaign.>"))
        .await
        .unwrap();
    subjects.try_collect().await.unwrap()
}

fn rate(answers: &[Answer], from: Instant, to: Instant) -> f64 {
    let done = answers
        .iter()
        .filter(|a| (200..300).contains(&a.status) && a.at >= from && a.at < to)
        .count();
    done as f64 / to.duration_since(from).as_secs_f64()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_survive_the_stream_leader_killed_and_started_again() {
    let mut cluster = TestNatsCluster::start(3).await;
    let data = tempfile::tempdir().unwrap();
    let mut settings = settings_on_nats(&cluster.urls(), &data);
    settings.nats_replicas = 3;
    let herald = Herald::start(&settings)
        .await
        .expect("Herald starts on the cluster");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(herald.serve(listener, std::future::pending()));
    let servers: Vec<async_nats::ServerAddr> = cluster
        .urls()
        .split(',')
        .map(|url| url.parse().unwrap())
        .collect();
    let inspector = async_nats::connect(servers).await.unwrap();
    // A short timeout, so that asking for the leader does not hide the
    // election behind the client's own five-second wait.
    let inspect = jetstream::ContextBuilder::new()
        .timeout(Duration::from_millis(250))
        .build(inspector);

    let key = herald_tests::app::issue_key(&herald, TENANT).await;
    let session = create_session(&herald_tests::app::http_client(), &url, &key).await;
    let mut body = campaign_body();
    body["sessionId"] = Value::from(session);
    let running = Arc::new(AtomicBool::new(true));
    let answers = Arc::new(Mutex::new(Vec::new()));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let run = client_loop(
                url.clone(),
                key.clone(),
                body.clone(),
                running.clone(),
                answers.clone(),
            );
            tokio::spawn(run)
        })
        .collect();
    let started = Instant::now();
    tokio::time::sleep(BEFORE).await;
    let leader = stream_leader(&inspect)
        .await
        .expect("the stream has a leader");
    let killed = Instant::now();
    cluster.kill(&leader).await;
    let elected = loop {
        match stream_leader(&inspect).await {
            Some(new) if new != leader => break Instant::now(),
            _ => {
                assert!(
                    killed.elapsed() < ELECTION_LIMIT,
                    "no new leader was elected"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    tokio::time::sleep(DOWN.saturating_sub(killed.elapsed())).await;
    cluster.restart(&leader).await;
    let restarted = Instant::now();
    tokio::time::sleep(AFTER).await;
    running.store(false, Ordering::Relaxed);
    for client in clients {
        client.await.unwrap();
    }
    let ended = Instant::now();

    let answers = std::mem::take(&mut *answers.lock().unwrap());
    let statuses = answers
        .iter()
        .fold(HashMap::<u16, usize>::new(), |mut m, a| {
            *m.entry(a.status).or_default() += 1;
            m
        });
    let writes_back = answers
        .iter()
        .filter(|a| a.sent > killed && (200..300).contains(&a.status))
        .map(|a| a.at)
        .min()
        .unwrap_or(ended);
    eprintln!(
        "stream without a leader {:?}; first command sent after the kill answered 2xx {:?} after it; commands/s before {:.0}, during {:.0}, after {:.0}; statuses {statuses:?}",
        elected.duration_since(killed),
        writes_back.duration_since(killed),
        rate(&answers, started, killed),
        rate(&answers, killed, restarted),
        rate(&answers, restarted, ended),
    );
    for answer in answers.iter() {
        assert!(
            matches!(answer.status, 200..=299 | 503),
            "a command answered {}",
            answer.status
        );
    }
    let recorded = commits_per_campaign(&inspect).await;
    let mut acknowledged = 0;
    for id in answers
        .iter()
        .filter(|a| (200..300).contains(&a.status))
        .filter_map(|a| a.id.as_deref())
    {
        let subject = format!("herald.evt.{TENANT}.campaign.{id}");
        assert_eq!(
            recorded.get(&subject),
            Some(&1),
            "{subject} is not in the log once"
        );
        acknowledged += 1;
    }
    assert!(
        acknowledged > 100,
        "too few commands got through: {acknowledged}"
    );
    server.abort();
    herald.stop().await;
}
