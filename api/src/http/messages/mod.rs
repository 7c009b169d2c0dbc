//! Messages: `POST /v1/sessions/{id}/messages` sends one; `GET /v1/messages`
//! and `GET /v1/messages/{id}` read the `messages` read model, and
//! `GET /v1/replies` the inbound view.

mod bodies;
mod handlers;

use axum::routing::{get, post};
use axum::Router;

use super::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/sessions/{id}/messages", post(handlers::send))
        .route("/v1/messages", get(handlers::list))
        .route("/v1/messages/{id}", get(handlers::get))
        .route("/v1/messages/{id}/resend", post(handlers::resend))
        .route("/v1/replies", get(handlers::replies))
}
