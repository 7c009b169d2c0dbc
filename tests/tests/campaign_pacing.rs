//! Pacing, measured where it matters: at the fake Graph API, which
//! enforces Meta's 80 messages a second per number (130429 beyond).

use herald_fake_graph::{FakeGraphConfig, RecordedRequest, StatusSchedule};
use herald_tests::campaigns::{add_template, template_campaign};
use herald_tests::spawn_app_with;
use herald_tests::whatsapp::PATIENCE;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// One test at a time: each measures rates on a machine it must not share
/// with another sending at full speed.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Sends only: the statuses are not what is measured here.
fn quiet_fake() -> FakeGraphConfig {
    FakeGraphConfig {
        status_schedule: StatusSchedule::none(),
        ..FakeGraphConfig::default()
    }
}

fn audience(prefix: &str, n: usize) -> Vec<Value> {
    (0..n)
        .map(
            |i| json!({ "phoneNumber": format!("+1{prefix}{i:06}"), "name": format!("Guest {i}") }),
        )
        .collect()
}

fn is_accepted_send(request: &RecordedRequest) -> bool {
    request.method == "POST"
        && request.path.ends_with("/messages")
        && request.response_status == Some(200)
}

/// When each send reached the fake, and to whom; and whether any was
/// refused for the number's throughput.
fn sends(app: &herald_tests::TestApp) -> (Vec<(Instant, String)>, usize) {
    let requests = app.graph.requests();
    let sends: Vec<(Instant, String)> = requests
        .iter()
        .filter(|r| is_accepted_send(r))
        .map(|r| {
            let to = r
                .json
                .as_ref()
                .and_then(|j| j["to"].as_str())
                .unwrap_or_default();
            (r.received_at, to.to_owned())
        })
        .collect();
    let throttled = requests
        .iter()
        .filter(|r| r.json.is_some() && r.response_status.is_some_and(|s| s >= 400))
        .count();
    (sends, throttled)
}

async fn wait_for_sends(app: &herald_tests::TestApp, n: usize, limit: Duration) {
    herald_tests::eventually(&format!("{n} sends"), limit, || async {
        (app.graph.count_requests(is_accepted_send) >= n).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_number_sends_at_80_a_second_for_a_minute() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let app = spawn_app_with(quiet_fake()).await;
    add_template(&app);
    let session = app.connected_session().await;
    let body = template_campaign(&session, &audience("650", 5_000), None);
    app.start_campaign(&body).await;

    wait_for_sends(&app, 4_900, Duration::from_secs(120)).await;

    let (sends, throttled) = sends(&app);
    assert_eq!(
        throttled, 0,
        "the fake refused sends for the number's throughput"
    );
    let start = sends[0].0;
    let mut windows = Vec::new();
    for window in 0..6 {
        let from = start + Duration::from_secs(10 * window);
        let to = from + Duration::from_secs(10);
        windows.push(
            sends
                .iter()
                .filter(|(at, _)| *at >= from && *at < to)
                .count(),
        );
    }
    println!("sends per 10-second window: {windows:?}");
    for (window, count) in windows.iter().enumerate() {
        assert!(
            (760..=840).contains(count),
            "window {window}: {count} sends, not 800 ± 5 %: {windows:?}"
        );
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delay_of_one_second_spaces_the_sends() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let app = spawn_app_with(quiet_fake()).await;
    add_template(&app);
    let session = app.connected_session().await;
    let body = template_campaign(&session, &audience("650", 6), Some(1_000));
    app.start_campaign(&body).await;

    wait_for_sends(&app, 6, PATIENCE).await;

    let (sends, _) = sends(&app);
    let gaps: Vec<Duration> = sends.windows(2).map(|pair| pair[1].0 - pair[0].0).collect();
    println!("gaps between sends: {gaps:?}");
    for gap in &gaps {
        // 1,000 ms ± 20 % jitter, and the moment a send takes.
        assert!(
            (Duration::from_millis(780)..Duration::from_millis(1_350)).contains(gap),
            "{gap:?} between two sends: {gaps:?}"
        );
    }
    let mean = gaps.iter().sum::<Duration>() / gaps.len() as u32;
    assert!(
        (Duration::from_millis(850)..Duration::from_millis(1_200)).contains(&mean),
        "{mean:?} on average"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_campaigns_on_one_number_share_its_rate() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let app = spawn_app_with(quiet_fake()).await;
    add_template(&app);
    let session = app.connected_session().await;
    let first = template_campaign(&session, &audience("650", 800), None);
    let second = template_campaign(&session, &audience("651", 800), None);
    app.start_campaign(&first).await;
    app.start_campaign(&second).await;

    wait_for_sends(&app, 800, Duration::from_secs(60)).await;

    let (sends, throttled) = sends(&app);
    assert_eq!(throttled, 0);
    // While both run: the first 800 sends, ten seconds at 80 a second.
    let of_first = sends[..800]
        .iter()
        .filter(|(_, to)| to.starts_with("+1650"))
        .count();
    println!("of the first 800 sends, {of_first} were the first campaign's");
    assert!((320..=480).contains(&of_first), "{of_first} of 800");
    let span = sends[799].0 - sends[0].0;
    assert!(
        span >= Duration::from_millis(9_500),
        "800 sends in {span:?}: faster than the number's rate"
    );
    app.stop().await;
}

/// A number Meta upgraded sends at the throughput its session is given.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgraded_number_sends_at_its_sessions_throughput() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let app = spawn_app_with(FakeGraphConfig {
        throughput_per_second: 300,
        ..quiet_fake()
    })
    .await;
    add_template(&app);
    let session = app.connected_session().await;
    let path = format!("/v1/sessions/{}/throughput", session.id);
    for refused in [0, 1_001] {
        let answer = app
            .request(reqwest::Method::PUT, &path)
            .json(&json!({ "throughput": refused }))
            .send()
            .await
            .unwrap();
        let (status, _, field) = herald_tests::app::error_of(answer).await;
        assert_eq!((status, field.as_deref()), (422, Some("throughput")));
    }
    let set = app
        .request(reqwest::Method::PUT, &path)
        .json(&json!({ "throughput": 300 }))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 202);

    let body = template_campaign(&session, &audience("650", 900), None);
    app.start_campaign(&body).await;
    wait_for_sends(&app, 900, Duration::from_secs(60)).await;

    let (sends, throttled) = sends(&app);
    assert_eq!(
        throttled, 0,
        "the fake refused sends for the number's throughput"
    );
    let (first, last) = (sends[100].0, sends[800].0);
    let rate = 700.0 / (last - first).as_secs_f64();
    println!("{rate:.0} sends a second at a throughput of 300");
    // Well past the default 80 a second, and never refused by a fake that
    // enforces 300 (above). How close it comes to 300 is the machine's: a
    // debug build on two shared cores makes about nine commits a send and
    // has reached 200 to 265 (the accuracy of the pace is the 80-a-second
    // test's). Over these 700 sends (2.3 s at 300) a sender that was behind
    // may make up a quarter second, which measures up to 336 a second.
    assert!((160.0..=340.0).contains(&rate), "{rate:.0} a second");
    let document = app.list("/v1/sessions").await["data"][0].clone();
    assert_eq!(document["throughput"], 300, "{document}");
    app.stop().await;
}
