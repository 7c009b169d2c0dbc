//! A TCP proxy between a NATS client and its server that, when armed, lets
//! the next JetStream publish of a commit through and then cuts the client
//! off before the acknowledgement comes back: the server has the commit,
//! the client does not know.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What a publish of a commit starts with on the wire.
const COMMIT_PUBLISH: &[u8] = b"HPUB herald.evt.";

#[derive(Default)]
struct Shared {
    armed: AtomicBool,
    publishes: AtomicUsize,
    cuts: AtomicUsize,
}

pub struct AckDroppingProxy {
    address: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl AckDroppingProxy {
    /// Listens on a free port and forwards to `server` (`host:port`).
    ///
    /// # Panics
    /// When no port can be bound.
    pub async fn start(server: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let address = listener.local_addr().expect("a bound address").to_string();
        let shared = Arc::new(Shared::default());
        let (server, state) = (server.to_owned(), Arc::clone(&shared));
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if let Ok(upstream) = TcpStream::connect(&server).await {
                    tokio::spawn(relay(client, upstream, Arc::clone(&state)));
                }
            }
        });
        Self {
            address,
            shared,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("nats://{}", self.address)
    }

    /// The next commit publish reaches the server; its answer does not.
    pub fn drop_next_acknowledgement(&self) {
        self.shared.armed.store(true, Ordering::SeqCst);
    }

    /// How many commit publishes went through the proxy.
    pub fn commit_publishes(&self) -> usize {
        self.shared.publishes.load(Ordering::SeqCst)
    }

    /// How many connections were cut.
    pub fn cuts(&self) -> usize {
        self.shared.cuts.load(Ordering::SeqCst)
    }
}

impl Drop for AckDroppingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn relay(client: TcpStream, upstream: TcpStream, shared: Arc<Shared>) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut upstream_read, mut upstream_write) = upstream.into_split();
    let cut = Arc::new(AtomicBool::new(false));
    let downstream_cut = Arc::clone(&cut);
    let downstream = tokio::spawn(async move {
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let read = match upstream_read.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(read) => read,
            };
            if downstream_cut.load(Ordering::SeqCst)
                || client_write.write_all(&buffer[..read]).await.is_err()
            {
                break;
            }
        }
        let _ = client_write.shutdown().await;
        // Keep the server's side open a moment, so it finishes the publish
        // it received and sends its acknowledgement into the void.
        let _ = tokio::time::timeout(Duration::from_millis(500), drain(&mut upstream_read)).await;
    });
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = match client_read.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        let chunk = &buffer[..read];
        let publishes = count(chunk, COMMIT_PUBLISH);
        shared.publishes.fetch_add(publishes, Ordering::SeqCst);
        // Cut before forwarding, not after: the server answers within
        // microseconds, and an acknowledgement relayed in between would
        // reach the client and leave nothing to retry.
        let cutting = publishes > 0 && shared.armed.swap(false, Ordering::SeqCst);
        if cutting {
            cut.store(true, Ordering::SeqCst);
            shared.cuts.fetch_add(1, Ordering::SeqCst);
        }
        if upstream_write.write_all(chunk).await.is_err() || cutting {
            break;
        }
    }
    drop(client_read);
    let _ = downstream.await;
}

async fn drain(reader: &mut tokio::net::tcp::OwnedReadHalf) {
    let mut buffer = vec![0u8; 64 * 1024];
    while matches!(reader.read(&mut buffer).await, Ok(n) if n > 0) {}
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}
