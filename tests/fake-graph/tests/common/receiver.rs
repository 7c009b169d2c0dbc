//! A tiny webhook receiver: checks Meta's signature itself, records every
//! POST, can fail the first N, and answers the GET handshake.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::Router;
use serde_json::Value;

#[derive(Debug, Clone)]
pub struct ReceivedPost {
    pub signature: Option<String>,
    pub content_type: Option<String>,
    pub raw: Bytes,
    pub json: Value,
    /// Whether the signature matched HMAC-SHA256(app secret, raw body).
    pub signature_valid: bool,
    pub answered: u16,
}

struct Inner {
    app_secret: String,
    verify_token: String,
    fail_first: AtomicU32,
    slow_first: AtomicU32,
    posts: Mutex<Vec<ReceivedPost>>,
}

/// How long a slowed answer takes.
pub const SLOW_ANSWER: std::time::Duration = std::time::Duration::from_millis(400);

pub struct Receiver {
    pub url: String,
    inner: Arc<Inner>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    pub async fn start(app_secret: &str, verify_token: &str) -> Self {
        let inner = Arc::new(Inner {
            app_secret: app_secret.to_owned(),
            verify_token: verify_token.to_owned(),
            fail_first: AtomicU32::new(0),
            slow_first: AtomicU32::new(0),
            posts: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/webhook", get(handshake).post(receive))
            .with_state(Arc::clone(&inner));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/webhook", listener.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("receiver serves");
        });
        Self { url, inner, task }
    }

    /// Answer 500 to the next `n` POSTs.
    pub fn fail_next(&self, n: u32) {
        self.inner.fail_first.store(n, Ordering::SeqCst);
    }

    /// Answer the next `n` POSTs only after [`SLOW_ANSWER`].
    pub fn slow_next(&self, n: u32) {
        self.inner.slow_first.store(n, Ordering::SeqCst);
    }

    pub fn posts(&self) -> Vec<ReceivedPost> {
        self.inner.posts.lock().expect("lock").clone()
    }

    /// Posts answered 200.
    pub fn accepted(&self) -> Vec<ReceivedPost> {
        self.posts()
            .into_iter()
            .filter(|p| p.answered == 200)
            .collect()
    }
}

async fn receive(State(inner): State<Arc<Inner>>, headers: HeaderMap, raw: Bytes) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let signature = header("x-hub-signature-256");
    let expected = herald_fake_graph::signature(&inner.app_secret, &raw);
    let signature_valid = verify(&inner.app_secret, &raw, signature.as_deref())
        && signature.as_deref() == Some(expected.as_str());
    if inner
        .slow_first
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        tokio::time::sleep(SLOW_ANSWER).await;
    }
    let failing = inner
        .fail_first
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    let status = if !signature_valid {
        StatusCode::UNAUTHORIZED
    } else if failing {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    };
    let post = ReceivedPost {
        signature,
        content_type: header("content-type"),
        json: serde_json::from_slice(&raw).unwrap_or(Value::Null),
        raw,
        signature_valid,
        answered: status.as_u16(),
    };
    inner.posts.lock().expect("lock").push(post);
    status
}

/// Checks the signature independently of the fake's own signing code.
fn verify(secret: &str, raw: &[u8], signature: Option<&str>) -> bool {
    use hmac::{Hmac, KeyInit, Mac};
    let Some(hex_part) = signature.and_then(|s| s.strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_part) else {
        return false;
    };
    let Ok(mut mac) = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(raw);
    mac.verify_slice(&expected).is_ok() && hex_part.chars().all(|c| !c.is_ascii_uppercase())
}

async fn handshake(
    State(inner): State<Arc<Inner>>,
    Query(query): Query<HashMap<String, String>>,
) -> (StatusCode, String) {
    let subscribe = query.get("hub.mode").is_some_and(|m| m == "subscribe");
    let token_ok = query
        .get("hub.verify_token")
        .is_some_and(|t| *t == inner.verify_token);
    match (subscribe && token_ok, query.get("hub.challenge")) {
        (true, Some(challenge)) => (StatusCode::OK, challenge.clone()),
        _ => (StatusCode::FORBIDDEN, String::new()),
    }
}
