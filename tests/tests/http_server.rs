//! The limits Herald's HTTP server holds every connection to, each seen
//! from a client: a request head that never ends, a body that trickles,
//! and idle connections at the connection cap.

use herald_api::http::server::connections::GRACE;
use herald_fake_graph::FakeGraphConfig;
use herald_tests::{spawn_app_with_settings, TestApp};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const HEADER_TIMEOUT: Duration = Duration::from_millis(300);
const REQUEST_TIMEOUT: Duration = Duration::from_millis(800);

/// How long a read waits for its position, unless a test says otherwise.
const READ_WAIT: Duration = Duration::from_millis(100);

async fn spawn_app_with_limits(max_connections: usize) -> TestApp {
    limited_app(max_connections, HEADER_TIMEOUT, READ_WAIT).await
}

async fn limited_app(max_connections: usize, header: Duration, read_wait: Duration) -> TestApp {
    spawn_app_with_settings(FakeGraphConfig::default(), |settings| {
        settings.http_header_timeout = header;
        settings.http_request_timeout = REQUEST_TIMEOUT;
        settings.read_wait = read_wait;
        settings.http_max_connections = Some(max_connections);
    })
    .await
}

/// Until connections made now are past their grace and may be evicted.
async fn past_the_grace() {
    tokio::time::sleep(GRACE + Duration::from_millis(50)).await;
}

async fn connect(app: &TestApp) -> TcpStream {
    let address = app.address.trim_start_matches("http://");
    TcpStream::connect(address).await.expect("a connection")
}

/// Reads until the server closes the connection; gives what it sent.
async fn until_closed(stream: &mut TcpStream, patience: Duration) -> Vec<u8> {
    let mut answer = Vec::new();
    let read = tokio::time::timeout(patience, stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the server kept the connection open");
    answer
}

#[tokio::test]
async fn a_request_head_that_never_ends_is_closed_after_the_header_timeout() {
    let app = spawn_app_with_limits(100).await;
    let mut stream = connect(&app).await;
    let started = Instant::now();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: herald\r\nX-Slow: ")
        .await
        .unwrap();

    until_closed(&mut stream, Duration::from_secs(5)).await;

    assert!(started.elapsed() >= HEADER_TIMEOUT);
    app.stop().await;
}

#[tokio::test]
async fn a_body_that_trickles_in_is_cut_off_by_the_request_timeout() {
    let app = spawn_app_with_limits(100).await;
    let mut stream = connect(&app).await;
    let head = format!(
        "POST /v1/campaigns HTTP/1.1\r\nHost: herald\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"campaignName\":",
        app.api_key
    );
    stream.write_all(head.as_bytes()).await.unwrap();

    let answer = until_closed(&mut stream, Duration::from_secs(5)).await;

    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("\"request_timeout\""), "{answer}");
    app.stop().await;
}

#[tokio::test]
async fn at_the_cap_the_oldest_idle_connection_makes_way_for_a_new_one() {
    // A head timeout far off: only eviction can close a connection here.
    let app = limited_app(2, Duration::from_secs(30), READ_WAIT).await;
    let mut idle = Vec::new();
    for _ in 0..2 {
        idle.push(connect(&app).await);
    }
    past_the_grace().await;

    let health = app
        .client
        .get(format!("{}/healthz", app.address))
        .timeout(Duration::from_secs(2))
        .send()
        .await
        .expect("a new connection is served");
    let campaigns = app.list_campaigns("").await;

    assert_eq!(health.status(), 200);
    assert_eq!(campaigns.status(), 200);
    until_closed(&mut idle[0], Duration::from_secs(1)).await;
    let mut byte = [0u8; 1];
    let newer = tokio::time::timeout(Duration::from_millis(300), idle[1].read(&mut byte)).await;
    assert!(
        newer.is_err(),
        "one eviction made room: the newer idle connection stays"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_slow_request_in_flight_is_not_evicted_for_a_new_connection() {
    // The busy request waits this long for a position it never sees: it
    // is still in flight well after its connection's grace has passed.
    let app = limited_app(1, HEADER_TIMEOUT, Duration::from_millis(600)).await;
    let mut busy = connect(&app).await;
    let head = format!(
        "GET /v1/campaigns?minPosition={} HTTP/1.1\r\nHost: herald\r\nAuthorization: Bearer {}\r\n\r\n",
        app.append_unreadable_commit().await,
        app.api_key
    );
    busy.write_all(head.as_bytes()).await.unwrap();
    past_the_grace().await;

    let waiting = tokio::spawn({
        let client = app.client.clone();
        let url = format!("{}/healthz", app.address);
        async move { client.get(url).send().await }
    });

    let mut answer = vec![0u8; 4096];
    let read = tokio::time::timeout(Duration::from_secs(5), busy.read(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer[..read.unwrap().unwrap()]).into_owned();
    assert!(
        answer.starts_with("HTTP/1.1 503"),
        "the wait ran its course: {answer}"
    );
    let health = waiting
        .await
        .unwrap()
        .expect("served once the slot was free");
    assert_eq!(health.status(), 200);
    app.stop().await;
}
