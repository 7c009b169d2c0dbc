//! Liveness, readiness and Prometheus metrics.

use axum::extract::State;
use axum::http::Method;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use herald_projections::ProjectionStatus;
use serde_json::json;
use std::fmt::Write;

use super::access::{Access, Routes};
use super::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .add(Method::GET, "/healthz", Access::Public, healthz)
        .add(Method::GET, "/readyz", Access::Public, readyz)
        .add(Method::GET, "/metrics", Access::Public, metrics)
}

/// The process is up.
async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// The event log and the read store answer.
async fn readyz(State(app): State<AppState>) -> Response {
    match statuses(&app).await {
        Ok(statuses) => {
            let projections: Vec<_> = statuses
                .iter()
                .map(|s| json!({ "name": s.name, "checkpoint": s.checkpoint, "head": s.head, "lag": s.lag, "projecting": s.projecting }))
                .collect();
            Json(json!({ "status": "ready", "projections": projections })).into_response()
        }
        Err(message) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "reason": message })),
        )
            .into_response(),
    }
}

async fn metrics(State(app): State<AppState>) -> Response {
    let statuses = statuses(&app).await.unwrap_or_default();
    let up = u64::from(!statuses.is_empty() || app.projections.is_empty());
    let mut text = String::new();
    gauge(
        &mut text,
        "herald_up",
        "Whether the event log and read store answered this scrape.",
        [(None, up)],
    );
    let head = statuses.first().map(|s| (None, s.head));
    gauge(
        &mut text,
        "herald_event_log_head",
        "Position of the last commit in the event log.",
        head,
    );
    let checkpoints = statuses.iter().map(|s| (Some(s.name), s.checkpoint));
    gauge(
        &mut text,
        "herald_projection_checkpoint",
        "Position up to which a projection has applied commits.",
        checkpoints,
    );
    let lags = statuses.iter().map(|s| (Some(s.name), s.lag));
    gauge(
        &mut text,
        "herald_projection_lag",
        "Commits recorded but not yet applied by a projection.",
        lags,
    );
    let projecting = statuses
        .iter()
        .map(|s| (Some(s.name), u64::from(s.projecting)));
    gauge(
        &mut text,
        "herald_projection_projecting",
        "1 on the node that holds the projection's lease and projects it.",
        projecting,
    );
    let refused = app.admission.refusals();
    let _ = writeln!(
        text,
        "# HELP herald_http_refused_total Requests answered 503 at once because Herald was at capacity.\n# TYPE herald_http_refused_total counter"
    );
    for (lane, count) in [
        ("reads", refused.reads),
        ("commands", refused.commands),
        ("webhooks", refused.webhooks),
    ] {
        let _ = writeln!(text, "herald_http_refused_total{{lane=\"{lane}\"}} {count}");
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

/// One gauge in Prometheus' text format; a sample may name its projection.
fn gauge<'a>(
    text: &mut String,
    name: &str,
    help: &str,
    samples: impl IntoIterator<Item = (Option<&'a str>, u64)>,
) {
    let _ = writeln!(text, "# HELP {name} {help}\n# TYPE {name} gauge");
    for (projection, value) in samples {
        let _ = match projection {
            Some(projection) => writeln!(text, "{name}{{projection=\"{projection}\"}} {value}"),
            None => writeln!(text, "{name} {value}"),
        };
    }
}

async fn statuses(app: &AppState) -> Result<Vec<ProjectionStatus>, String> {
    let mut statuses = Vec::new();
    for runner in app.projections.iter() {
        statuses.push(runner.status().await.map_err(|e| e.to_string())?);
    }
    Ok(statuses)
}
