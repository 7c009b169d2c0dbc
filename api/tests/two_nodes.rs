//! Two `herald serve` nodes on one NATS server and one MongoDB-wire server,
//! under a steady load of commands sent to both. The node that projects is
//! killed with SIGKILL: its projection leases move to the other node within
//! seconds, no command answered 2xx is lost from the read models, and the
//! read models equal a rebuild from position 0.

mod support;

use herald_infrastructure::nats_server::{Durability, NatsServer, NatsServerConfig};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{
    create_session, herald, mongodb_uri, nats_server_binary, ServeOptions, Serving, PATIENCE,
};

const TENANT: &str = "acme";
const PROJECTIONS: [&str; 6] = [
    "campaigns",
    "sessions",
    "messages",
    "audit_logs",
    "accounts",
    "subscriptions",
];
/// A lease lasts 6 s; it moves within that and a try or two more.
const TAKEOVER_LIMIT: Duration = Duration::from_secs(15);

fn node_env(nats: &NatsServer, mongodb: &str, database: &str) -> Vec<(&'static str, String)> {
    vec![
        ("HERALD_NATS_URL", nats.url().to_owned()),
        ("HERALD_MONGODB_URI", mongodb.to_owned()),
        ("HERALD_MONGODB_DATABASE", database.to_owned()),
        ("HERALD_SECRET_KEY", "5e".repeat(32)),
    ]
}

/// Which projections a node says it projects, from `/readyz`.
async fn projecting(client: &reqwest::Client, node: &Serving) -> Vec<String> {
    let Ok(answer) = client.get(node.url("/readyz")).send().await else {
        return Vec::new();
    };
    let ready: Value = answer.json().await.unwrap_or_default();
    ready["projections"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["projecting"] == json!(true))
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect()
}

/// A steady pace, kept low: SecantusDB, which stands in for MongoDB here,
/// slows down as its collections grow.
const LOAD_PAUSE: Duration = Duration::from_millis(25);

/// Creates campaigns on the nodes in turn until `running` turns false;
/// gives the ids of those answered 201. A node that is down is skipped.
async fn load(
    urls: Vec<String>,
    key: String,
    session: String,
    running: Arc<AtomicBool>,
) -> Vec<String> {
    let client = reqwest::Client::new();
    let mut created = Vec::new();
    let mut turn = 0;
    while running.load(Ordering::Relaxed) {
        tokio::time::sleep(LOAD_PAUSE).await;
        turn += 1;
        let url = &urls[turn % urls.len()];
        let body = json!({ "campaignName": format!("Load {turn}"), "sessionId": session,
            "messageType": "text", "messageContent": "Hi", "recipients": ["+14155550100"] });
        let answer = client
            .post(format!("{url}/v1/campaigns"))
            .bearer_auth(&key)
            .timeout(Duration::from_secs(5))
            .json(&body)
            .send()
            .await;
        match answer {
            Ok(answer) if answer.status() == 201 => {
                let body: Value = answer.json().await.unwrap_or_default();
                created.push(body["id"].as_str().unwrap_or_default().to_owned());
            }
            Ok(answer) => assert!(
                answer.status().is_server_error(),
                "a command answered {}",
                answer.status()
            ),
            Err(_) => {}
        }
    }
    created
}

/// Every campaign of the tenant, as the read models show it on `node`.
async fn campaigns(client: &reqwest::Client, node: &Serving, key: &str) -> Vec<Value> {
    let mut all = Vec::new();
    for page in 1.. {
        let url = node.url(&format!("/v1/campaigns?limit=100&page={page}"));
        let answer = client.get(url).bearer_auth(key).send().await;
        let body: Value = answer.expect("an answer").json().await.expect("JSON");
        let data = body["data"].as_array().cloned().unwrap_or_default();
        if data.is_empty() {
            break;
        }
        all.extend(data);
    }
    all
}

/// Waits until `node`'s projections have caught up with the log's head.
async fn caught_up(client: &reqwest::Client, node: &Serving) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let ready: Value = client
            .get(node.url("/readyz"))
            .send()
            .await
            .expect("an answer")
            .json()
            .await
            .unwrap_or_default();
        let lags: Vec<u64> = ready["projections"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["lag"].as_u64())
            .collect();
        if lags.len() == PROJECTIONS.len() && lags.iter().all(|lag| *lag == 0) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the projections never caught up: {ready}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_projecting_node_moves_its_leases_and_loses_nothing() {
    let Some(mongodb) = mongodb_uri() else {
        return;
    };
    herald_infrastructure::tls::install_crypto_provider();
    let client = reqwest::Client::new();
    let dirs = [(); 3].map(|()| tempfile::tempdir().expect("a temporary folder"));
    let nats = NatsServer::start(&NatsServerConfig {
        binary: nats_server_binary(),
        data_dir: dirs[0].path().join("nats"),
        durability: Durability::Always,
        cluster: None,
        port: None,
    })
    .await
    .expect("nats-server starts");
    let database = format!("herald_two_nodes_{}", uuid::Uuid::new_v4().simple());
    let env = node_env(&nats, &mongodb, &database);
    let options = || ServeOptions {
        env: env.clone(),
        ..ServeOptions::default()
    };
    let first = Serving::start_with(dirs[1].path(), options()).await;
    let mut second = Some(Serving::start_with(dirs[2].path(), options()).await);
    let deadline = Instant::now() + PATIENCE;
    while projecting(&client, &first).await.len() < PROJECTIONS.len() {
        assert!(
            Instant::now() < deadline,
            "the first node never took the leases"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let survivor = second.take().expect("the second node");
    assert!(
        projecting(&client, &survivor).await.is_empty(),
        "one node projects"
    );

    let running = Arc::new(AtomicBool::new(true));
    let urls = vec![first.url(""), survivor.url("")];
    let key = first.api_key(TENANT);
    let session = create_session(&client, &first.url(""), &key).await;
    let loading = tokio::spawn(load(urls, key.clone(), session, Arc::clone(&running)));
    tokio::time::sleep(Duration::from_secs(2)).await;
    first.signal("KILL");
    let killed_at = Instant::now();
    while projecting(&client, &survivor).await.len() < PROJECTIONS.len() {
        assert!(
            killed_at.elapsed() < TAKEOVER_LIMIT,
            "the leases did not move"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let taken_over = killed_at.elapsed();
    tokio::time::sleep(Duration::from_secs(1)).await;
    running.store(false, Ordering::Relaxed);
    let created = loading.await.expect("the load ends");
    caught_up(&client, &survivor).await;
    let projected = campaigns(&client, &survivor, &key).await;

    let rebuilt = herald(dirs[2].path(), "127.0.0.1:0")
        .envs(env.clone())
        .args(["projections", "rebuild", "campaigns"])
        .output()
        .expect("herald runs");
    assert!(
        rebuilt.status.success(),
        "{}",
        String::from_utf8_lossy(&rebuilt.stderr)
    );
    let after_rebuild = campaigns(&client, &survivor, &key).await;

    eprintln!(
        "{} campaigns created; the leases moved {taken_over:?} after the kill",
        created.len()
    );
    let ids: Vec<&str> = projected.iter().filter_map(|c| c["_id"].as_str()).collect();
    for id in &created {
        assert!(
            ids.contains(&id.as_str()),
            "campaign {id} was answered 201 but is not projected"
        );
    }
    assert!(created.len() > 10, "too little load: {}", created.len());
    assert_eq!(
        projected, after_rebuild,
        "the read models differ from a rebuild"
    );
    drop(survivor);
    nats.stop().await;
}
