//! The `herald` binary as an operator runs it: embedded mode (its own
//! nats-server and SQLite under the data folder), killed without warning,
//! restarted, inspected with the operator's verbs, and stopped cleanly.

mod support;

use std::path::Path;
use std::process::Output;
use support::{free_address, herald, nats_servers_running_on, Serving};

fn run_verb(data: &Path, args: &[&str]) -> Output {
    herald(data, &free_address())
        .args(args)
        .output()
        .expect("herald runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_herald_survives_a_kill_and_stops_cleanly() {
    let data = tempfile::tempdir().expect("a temporary folder");
    herald_infrastructure::tls::install_crypto_provider();
    let client = reqwest::Client::new();
    let mut first = Serving::start(data.path()).await;
    let key = first.api_key("acme");
    let session = support::create_session(&client, &first.url(""), &key).await;
    let body = serde_json::json!({ "campaignName": "Survivor", "sessionId": session, "messageType": "text", "messageContent": "Hi", "recipients": ["+14155550100"] });
    let created: serde_json::Value = client
        .post(first.url("/v1/campaigns"))
        .bearer_auth(&key)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().expect("an id").to_owned();
    let started = client
        .post(first.url(&format!("/v1/campaigns/{id}/start")))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 202);
    let position = started.json::<serde_json::Value>().await.unwrap()["position"]
        .as_u64()
        .unwrap();
    first.signal("KILL");
    first.wait_for_exit().await;

    let mut second = Serving::start(data.path()).await;
    // The dead node's projection lease lapses first (6 s), so the read may
    // answer 503 not_caught_up for a while, as it tells clients.
    let deadline = std::time::Instant::now() + support::PATIENCE;
    let read: serde_json::Value = loop {
        let answer = client
            .get(second.url(&format!("/v1/campaigns/{id}?minPosition={position}")))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        let status = answer.status();
        let body: serde_json::Value = answer.json().await.unwrap();
        if status == 200 {
            break body;
        }
        assert!(
            status == 503 && std::time::Instant::now() < deadline,
            "{status} {body}"
        );
    };
    // Started before the kill. (Its session was never connected, so the
    // sender may have paused it since, saying so.)
    assert_eq!(read["run"], 1, "{read}");
    assert!(read["startedAt"].is_string(), "{read}");

    let history = run_verb(data.path(), &["history", "campaign", &id]);
    let printed = String::from_utf8_lossy(&history.stdout);
    assert!(
        history.status.success(),
        "{}",
        String::from_utf8_lossy(&history.stderr)
    );
    assert!(
        printed.contains("CampaignCreated") && printed.contains("CampaignStarted"),
        "{printed}"
    );
    // The campaign's sender keeps writing (its session was never
    // connected, so it pauses the campaign): the lag reaches 0 once it is
    // done.
    let deadline = std::time::Instant::now() + support::PATIENCE;
    loop {
        let status = run_verb(data.path(), &["projections", "status"]);
        let table = String::from_utf8_lossy(&status.stdout).into_owned();
        let caught_up = table
            .lines()
            .any(|l| l.starts_with("campaigns") && l.trim_end().ends_with(" 0"));
        if caught_up {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{table}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }

    second.signal("TERM");
    assert!(second.wait_for_exit().await.success());
    assert_eq!(
        nats_servers_running_on(data.path()),
        0,
        "a nats-server was left running"
    );
}

#[tokio::test]
async fn history_of_an_unknown_aggregate_says_so_and_fails() {
    let data = tempfile::tempdir().expect("a temporary folder");

    let output = run_verb(
        data.path(),
        &[
            "history",
            "campaign",
            "01a1fe22-a378-742b-9e85-8617af410eb7",
        ],
    );

    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no events recorded"));
    assert_eq!(
        nats_servers_running_on(data.path()),
        0,
        "the verb stopped the nats-server it started"
    );
}
