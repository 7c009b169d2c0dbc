//! `/v1/campaigns`: create, edit, schedule, start, pause, resume, stop;
//! list and read from the `campaigns` read model; follow a campaign's
//! progress as server-sent events.

mod bodies;
mod handlers;
mod progress;
mod recipients;

use axum::routing::{get, post};
use axum::Router;

use super::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/campaigns", post(handlers::create).get(handlers::list))
        .route(
            "/v1/campaigns/{id}",
            get(handlers::get).patch(handlers::edit),
        )
        .route(
            "/v1/campaigns/{id}/recipients",
            post(handlers::add_recipients).get(handlers::recipients),
        )
        .route("/v1/campaigns/{id}/schedule", post(handlers::schedule))
        .route("/v1/campaigns/{id}/start", post(handlers::start))
        .route("/v1/campaigns/{id}/pause", post(handlers::pause))
        .route("/v1/campaigns/{id}/resume", post(handlers::resume))
        .route("/v1/campaigns/{id}/stop", post(handlers::stop))
        .route(
            "/v1/campaigns/{id}/resend-unknown",
            post(handlers::resend_unknown),
        )
}

/// Routes whose answers stream for as long as the client stays: outside
/// the request timeout.
pub fn streams() -> Router<AppState> {
    Router::new().route("/v1/campaigns/{id}/progress", get(progress::progress))
}
