//! A running `herald serve` under a slow-connection attack: thousands of
//! connections that send half a request head and stall, reopened as Herald
//! closes them, from a process whose file limit is a third of the attack.
//! Health checks and list requests keep being answered within a second
//! throughout, and Herald serves normally after. Sized to prove the point
//! in seconds.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{probe, ServeOptions, Serving};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Connections the attack keeps open: about three times what Herald can
/// hold under its file limit.
const SLOW_CONNECTIONS: usize = 2_000;
/// Herald's file limit in that attack: without a cap it would run out.
const HERALD_FILE_LIMIT: u64 = 1_024;
const SLOW_ATTACK: Duration = Duration::from_secs(8);

/// Lets this test process hold the attack's connections.
fn raise_own_file_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct given.
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        limit.rlim_cur = limit.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
    }
    limit.rlim_cur
}

/// Where the attack comes from: another address than the probes', as it
/// would. From one address, the thousands of connections Herald closes
/// leave their port pairs in TIME_WAIT, and a probe that draws one of
/// those ports has its first SYN answered wrongly and retried a second
/// later, by the kernel, whatever Herald does.
const ATTACKER: &str = "127.0.0.2:0";

async fn connect_from(source: &str, address: &str) -> std::io::Result<TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(source.parse().expect("an address"))?;
    let address = address.parse().expect("an address");
    socket.connect(address).await
}

/// One attacker: opens a connection, sends half a request head, and holds
/// it until Herald closes it; then opens another a second later.
async fn slow_client(address: String, until: Instant, opened: Arc<AtomicUsize>) {
    while Instant::now() < until {
        if let Ok(mut stream) = connect_from(ATTACKER, &address).await {
            opened.fetch_add(1, Ordering::Relaxed);
            let _ = stream
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: herald\r\nX-Slow: ")
                .await;
            let mut byte = [0u8; 1];
            let left = until.saturating_duration_since(Instant::now());
            let _ = tokio::time::timeout(left, stream.read(&mut byte)).await;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_connections_never_stop_herald_from_answering() {
    assert!(
        raise_own_file_limit() > SLOW_CONNECTIONS as u64 + 256,
        "this test needs a file limit above {SLOW_CONNECTIONS}"
    );
    let data = tempfile::tempdir().expect("a temporary folder");
    let herald = Serving::start_with(
        data.path(),
        ServeOptions {
            env: vec![("HERALD_HTTP_HEADER_TIMEOUT_MS", "3000".into())],
            file_limit: Some(HERALD_FILE_LIMIT),
            ..ServeOptions::default()
        },
    )
    .await;
    let until = Instant::now() + SLOW_ATTACK;
    let opened = Arc::new(AtomicUsize::new(0));
    let attackers: Vec<_> = (0..SLOW_CONNECTIONS)
        .map(|_| tokio::spawn(slow_client(herald.address.clone(), until, opened.clone())))
        .collect();

    let probed = probe(
        herald.url(""),
        herald.api_key("acme"),
        &["/healthz", "/v1/campaigns"],
        Duration::from_millis(100),
        || Instant::now() < until,
    )
    .await;
    for attacker in attackers {
        attacker.await.expect("an attacker ends");
    }

    let opened = opened.load(Ordering::Relaxed);
    eprintln!(
        "{opened} slow connections opened; {} probes, p99 {:?}, worst {:?}",
        probed.latencies.len(),
        probed.p99(),
        probed.worst()
    );
    assert!(
        opened >= SLOW_CONNECTIONS,
        "the attack opened only {opened} connections"
    );
    assert!(probed.failures.is_empty(), "{:?}", probed.failures);
    assert!(probed.latencies.len() > 20, "too few probes got through");
    assert!(
        probed.worst() < Duration::from_secs(1),
        "a request took {:?} during the attack",
        probed.worst()
    );
    let after = reqwest::get(herald.url("/healthz"))
        .await
        .expect("an answer");
    assert_eq!(after.status(), 200, "Herald serves after the attack");
}
