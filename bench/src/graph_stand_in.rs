//! A stand-in for the Graph API that `herald bench --suite campaigns` runs
//! as a process of its own (`herald bench-graph`), so that its CPU is
//! counted apart from Herald's. It has no limits: it answers every number's
//! lookup and accepts every send, and for each send posts the `sent`,
//! `delivered` and `read` status webhooks Meta would, signed, one POST
//! each, with the send's `biz_opaque_callback_data`. It is not the tests'
//! fake (`tests/fake-graph`), which reproduces Meta's errors and limits;
//! this one only has to be cheap.
//!
//! `GET /stats` gives how many sends it took and when each arrived.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc;

use herald_infrastructure::crypto::signature::sign;

/// Webhook posts in flight at once.
const POSTERS: usize = 64;

struct StandIn {
    sends: AtomicU64,
    /// When each send arrived, in milliseconds since the epoch.
    arrivals: Mutex<Vec<u64>>,
    webhooks: mpsc::Sender<Vec<u8>>,
}

/// The number behind a phone number id of the bench: `+1650555` and the
/// id's last four digits.
pub fn display_number(phone_number_id: &str) -> String {
    let digits: String = phone_number_id
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("+1 650-555-{digits}")
}

/// Serves the stand-in on `listener` until the process ends.
///
/// # Errors
/// When the server stops with an error.
pub async fn serve(
    listener: tokio::net::TcpListener,
    webhook_url: String,
    app_secret: String,
) -> anyhow::Result<()> {
    let (sender, receiver) = mpsc::channel::<Vec<u8>>(100_000);
    let receiver = Arc::new(tokio::sync::Mutex::new(receiver));
    let http = reqwest::Client::new();
    for _ in 0..POSTERS {
        let (receiver, http, url, secret) = (
            Arc::clone(&receiver),
            http.clone(),
            webhook_url.clone(),
            app_secret.clone(),
        );
        tokio::spawn(async move {
            loop {
                let Some(body) = receiver.lock().await.recv().await else {
                    return;
                };
                let signature = sign(secret.as_bytes(), &body);
                // Meta retries a refused post; so does the stand-in.
                for _ in 0..20 {
                    let posted = http
                        .post(&url)
                        .header("content-type", "application/json")
                        .header("x-hub-signature-256", &signature)
                        .body(body.clone())
                        .send()
                        .await;
                    if posted.is_ok_and(|r| r.status().is_success()) {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
            }
        });
    }
    let state = Arc::new(StandIn {
        sends: AtomicU64::new(0),
        arrivals: Mutex::default(),
        webhooks: sender,
    });
    let app = Router::new()
        .route("/stats", get(stats))
        .route("/{version}/{id}", get(number))
        .route("/{version}/{id}/messages", post(send))
        .with_state(state);
    axum::serve(listener, app).await?;
    Ok(())
}

async fn number(Path((_, id)): Path<(String, String)>) -> Json<Value> {
    Json(json!({
        "id": id,
        "display_phone_number": display_number(&id),
        "verified_name": "Herald bench",
        "quality_rating": "GREEN",
    }))
}

async fn stats(State(state): State<Arc<StandIn>>) -> Json<Value> {
    let arrivals = state
        .arrivals
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    Json(json!({ "sends": state.sends.load(Ordering::Relaxed), "arrivals": arrivals }))
}

async fn send(
    State(state): State<Arc<StandIn>>,
    Path((_, id)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Json<Value> {
    let n = state.sends.fetch_add(1, Ordering::Relaxed);
    state
        .arrivals
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(now_millis());
    let to = body["to"].as_str().unwrap_or_default().to_owned();
    let wa_id = to.trim_start_matches('+').to_owned();
    let wamid = format!("wamid.bench{n:020}");
    let callback = body["biz_opaque_callback_data"].clone();
    for status in ["sent", "delivered", "read"] {
        let status = json!({
            "id": wamid, "status": status, "timestamp": (now_millis() / 1000).to_string(),
            "recipient_id": wa_id, "biz_opaque_callback_data": callback,
        });
        let notification = json!({"object": "whatsapp_business_account", "entry": [{
            "id": "102290129340398", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": display_number(&id).replace(['+', ' ', '-'], ""), "phone_number_id": id},
                "statuses": [status]}}]}]});
        let _ = state
            .webhooks
            .try_send(notification.to_string().into_bytes());
    }
    Json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{"input": to, "wa_id": wa_id}],
        "messages": [{"id": wamid}],
    }))
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
