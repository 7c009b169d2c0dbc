//! `/v1/sessions`: add a number with its Cloud API credentials, connect
//! (which checks them with the Graph API), disconnect, replace the
//! credentials, delete; list and read from the `sessions` read model.

mod bodies;
mod handlers;

use axum::routing::{get, post, put};
use axum::Router;

use super::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/sessions", post(handlers::create).get(handlers::list))
        .route(
            "/v1/sessions/{id}",
            get(handlers::get).delete(handlers::delete),
        )
        .route("/v1/sessions/{id}/connect", post(handlers::connect))
        .route("/v1/sessions/{id}/disconnect", post(handlers::disconnect))
        .route(
            "/v1/sessions/{id}/credentials",
            put(handlers::replace_credentials),
        )
        .route(
            "/v1/sessions/{id}/throughput",
            put(handlers::set_throughput),
        )
}
