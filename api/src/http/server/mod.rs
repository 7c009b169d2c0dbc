//! Serving the API over TCP so that slow or hostile clients cannot use up
//! the process: a request's head must arrive within a time limit, a
//! request must be answered within another, and the open connections are
//! capped below the process's file limit, the oldest idle ones giving way
//! to new ones at the cap (see [`connections`]). Requests past what Herald
//! can work on at once, and the few that may wait, are refused with a 503
//! at once (see [`admission`]).
//!
//! HTTP/1.1 only: Herald's clients are API clients and load balancers, and
//! HTTP/1.1's head-read timeout is what keeps a connection that never
//! finishes its request from staying open.

mod admission;
pub mod connections;
mod limits;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt;
use tracing::{debug, warn};

pub use admission::{admit, Admission, AdmissionLimits, LaneLimits, Refusals};
use connections::{Admitted, Connections};
pub use limits::{request_timeout, ServerLimits};

/// Connections the kernel queues before Herald accepts them. A burst of
/// connections beyond the queue has its SYNs dropped, and each dropped
/// client waits a second before trying again: the queue is as deep as the
/// system allows (Linux caps it at `net.core.somaxconn`).
const ACCEPT_QUEUE: u32 = 4_096;

/// A listener on `address` with a deep accept queue.
///
/// # Errors
/// When the address cannot be bound.
pub fn listen(address: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if address.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(ACCEPT_QUEUE)
}

/// Accepts connections on `listener` and serves `router` on each until
/// `shutdown` resolves; then stops accepting, lets requests in flight
/// finish (for at most the request timeout), and returns.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()>,
) {
    let connections = Connections::new(limits.max_connections);
    let (closing, closed) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        // Room first: until there is some, new connections wait in the
        // accept queue rather than being taken and dropped.
        let accepted = tokio::select! {
            accepted = async {
                connections.room().await;
                listener.accept().await
            } => accepted,
            () = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                after_accept_error(&error).await;
                continue;
            }
        };
        let admitted = connections.admission().await;
        let connection = Connection {
            peer,
            admitted,
            closed: closed.clone(),
        };
        tokio::spawn(connection.serve(stream, router.clone(), limits.clone()));
    }
    let _ = closing.send(true);
    let _ = tokio::time::timeout(limits.request_timeout, connections.all_closed()).await;
}

/// Accept fails when the process or the system is out of file descriptors,
/// or a connection was reset before it was taken: wait a moment, since
/// retrying at once would spin.
async fn after_accept_error(error: &std::io::Error) {
    warn!(%error, "accepting a connection failed");
    tokio::time::sleep(Duration::from_millis(50)).await;
}

/// One accepted connection: who it is from, its place among the open
/// connections, and the signal that the server is stopping.
struct Connection {
    peer: SocketAddr,
    admitted: Admitted,
    closed: watch::Receiver<bool>,
}

impl Connection {
    /// Serves requests until the client closes, the connection is evicted
    /// while idle, or the server stops (then the request in flight, if
    /// any, is finished, for at most the request timeout).
    async fn serve(mut self, stream: TcpStream, router: Router, limits: ServerLimits) {
        let peer = self.peer;
        // An answer is written whole, once: holding its last segment back
        // for the client's acknowledgement (Nagle) only delays it.
        if let Err(error) = stream.set_nodelay(true) {
            debug!(%peer, %error, "TCP_NODELAY could not be set");
        }
        let state = Arc::clone(&self.admitted.connection);
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            let serving = state.serving();
            request.extensions_mut().insert(ConnectInfo(peer));
            let router = router.clone();
            async move {
                let response = router.oneshot(request).await;
                drop(serving);
                response
            }
        });
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .keep_alive(true)
            .serve_connection(TokioIo::new(stream), service);
        tokio::pin!(connection);
        let state = &self.admitted.connection;
        tokio::select! {
            served = connection.as_mut() => {
                if let Err(error) = served {
                    debug!(%peer, %error, "connection ended with an error");
                }
                return;
            }
            () = state.evicted() => {
                debug!(%peer, "idle connection closed to make room");
                // This task is the only one polling the connection, so no
                // request can have begun unseen: an idle one is dropped.
                if !state.is_serving() {
                    return;
                }
            }
            _ = self.closed.wait_for(|closed| *closed) => {}
        }
        connection.as_mut().graceful_shutdown();
        let _ = tokio::time::timeout(limits.request_timeout, connection).await;
    }
}
