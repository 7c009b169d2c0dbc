//! The limits the server holds every connection and request to.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Duration;

use crate::http::ApiError;

#[derive(Debug, Clone)]
pub struct ServerLimits {
    /// Longest wait for a request's head: from the connection's start, and
    /// again after each answer on a kept-alive connection.
    pub header_read_timeout: Duration,
    /// Longest a request may take, reading its body included.
    pub request_timeout: Duration,
    /// Most connections open at once.
    pub max_connections: usize,
    /// Requests worked on at once, and waiting, per kind.
    pub admission: super::AdmissionLimits,
}

/// File descriptors kept for everything but client connections: the
/// event log, the read store, the Graph API client's connections, logs.
const RESERVED_DESCRIPTORS: u64 = 256;
/// The cap when the file limit allows more.
const DEFAULT_MAX_CONNECTIONS: u64 = 10_000;

impl ServerLimits {
    /// The most connections this process can hold without running out of
    /// file descriptors: its file limit less a reserve, and at most
    /// 10,000. Raises the soft file limit to the hard one first, as a
    /// server expecting many connections should.
    pub fn connections_within_file_limit() -> usize {
        let limit = raise_file_limit().unwrap_or(1_024);
        let room = limit.saturating_sub(RESERVED_DESCRIPTORS).max(16);
        usize::try_from(room.min(DEFAULT_MAX_CONNECTIONS)).unwrap_or(16)
    }
}

/// The soft `RLIMIT_NOFILE`, after raising it to the hard limit.
#[cfg(unix)]
fn raise_file_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct given.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return None;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
    }
    Some(limit.rlim_cur)
}

#[cfg(not(unix))]
fn raise_file_limit() -> Option<u64> {
    None
}

/// Answers 503 when a request takes longer than the limit. Every wait
/// inside Herald is shorter (a read's `minPosition` wait, the event log's
/// timeouts), so this is the backstop for a body that trickles in or a
/// dependency that hangs. A command cut short this way may or may not
/// have been recorded, and the answer says so.
pub async fn request_timeout(
    State(limit): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Unavailable {
            code: "request_timeout",
            message: format!(
                "the request was not complete within {} s; if it was a command, read back whether it was recorded before sending it again",
                limit.as_secs()
            ),
        }
        .into_response(),
    }
}
