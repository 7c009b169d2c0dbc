//! The HTTP API: routes under `/v1`, health and metrics.
//!
//! - [`campaigns`]: the campaign endpoints.
//! - [`health`]: `/healthz`, `/readyz`, `/metrics`.
//! - [`error`]: [`ApiError`], the one error type and its statuses.
//! - [`extract`]: tenant, caller and query parameters; [`json`]: bodies.
//! - [`observe`]: request logs and correlation ids.

pub mod campaigns;
pub mod error;
pub mod extract;
pub mod health;
pub mod json;
pub mod observe;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use herald_application::campaigns::{CampaignQueries, CampaignService};
use herald_domain::campaign::Campaign;
use herald_infrastructure::jetstream::JetStreamEventStore;
use herald_projections::ProjectionRunner;
use std::sync::Arc;

pub use error::ApiError;

/// The largest request body accepted: 5,000 recipients with their data fit.
pub const MAX_BODY_BYTES: usize = 4 << 20;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub campaigns: Arc<CampaignService<JetStreamEventStore<Campaign>>>,
    pub campaign_queries: Arc<CampaignQueries>,
    pub projections: Arc<Vec<Arc<ProjectionRunner>>>,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(campaigns::routes())
        .merge(health::routes())
        .fallback(|| async { ApiError::NotFound("no such endpoint".into()) })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(observe::observe))
        .with_state(state)
}
