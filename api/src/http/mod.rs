//! The HTTP API: routes under `/v1`, health and metrics.
//!
//! - [`access`]: every route with the access it needs, and the check of
//!   the caller's credentials against it.
//! - [`accounts`]: signing up and in, tokens, users and API keys.
//! - [`audit`]: the audit log.
//! - [`subscription`]: the tenant's plan, limits, usage and payments.
//! - [`campaigns`]: the campaign endpoints; [`sessions`]: the session
//!   endpoints.
//! - [`messages`]: sending a message, and the message and reply lists.
//! - [`webhooks`]: Meta's webhook handshake and notifications.
//! - [`health`]: `/healthz`, `/readyz`, `/metrics`.
//! - [`error`]: [`ApiError`], the one error type and its statuses.
//! - [`extract`]: tenant, caller and query parameters; [`body`]: raw
//!   bodies; [`json`]: JSON bodies; [`pages`]: paged lists.
//! - [`rates`]: rate limits per address and tenant, and on signing in.
//! - [`observe`]: request logs and correlation ids.
//! - [`server`]: connections and their limits: head and request timeouts,
//!   and a cap that slow clients cannot exhaust.

pub mod access;
pub mod accounts;
pub mod audit;
pub mod body;
pub mod campaigns;
pub mod error;
pub mod extract;
pub mod health;
pub mod json;
pub mod messages;
pub mod observe;
pub mod pages;
pub mod rates;
pub mod server;
pub mod sessions;
pub mod subscription;
pub mod webhooks;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use herald_application::accounts::AccountQueries;
use herald_application::accounts::{Accounts, ApiKeys};
use herald_application::audit::{AuditQueries, Denials};
use herald_application::campaigns::CampaignQueries;
use herald_application::messages::MessageQueries;
use herald_application::sessions::SessionQueries;
use herald_application::subscriptions::PaymentQueries;
use herald_application::subscriptions::Subscriptions;
use herald_application::use_cases::{
    CampaignCommands, MessageCommands, SessionCommands, WebhookReceiver,
};
use herald_projections::ProjectionMonitor;
use std::sync::Arc;
use std::time::Duration;

pub use error::ApiError;

/// The largest request body accepted: 5,000 recipients with their data fit.
pub const MAX_BODY_BYTES: usize = 4 << 20;

/// What every handler can reach, shared: each request takes a copy of the
/// state, which is one reference count.
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    pub fn new(services: Services) -> Self {
        Self(Arc::new(services))
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

/// The services behind the routes, as ports: which event store and which
/// projection runners serve them is start-up's business (`system.rs`).
pub struct Services {
    pub accounts: Arc<dyn Accounts>,
    pub api_keys: Arc<dyn ApiKeys>,
    pub subscriptions: Arc<dyn Subscriptions>,
    pub audit_queries: Arc<AuditQueries>,
    /// The `users` and `api_keys` lists.
    pub account_queries: Arc<AccountQueries>,
    /// The `subscription_payments` list.
    pub payment_queries: Arc<PaymentQueries>,
    /// The rates each address and tenant may send at.
    pub rates: Arc<rates::RateLimits>,
    /// Where refused attempts are recorded, for the audit log.
    pub denials: Arc<dyn Denials>,
    pub campaigns: Arc<dyn CampaignCommands>,
    pub campaign_queries: Arc<CampaignQueries>,
    pub sessions: Arc<dyn SessionCommands>,
    pub session_queries: Arc<SessionQueries>,
    pub webhooks: Arc<dyn WebhookReceiver>,
    pub messaging: Arc<dyn MessageCommands>,
    pub message_queries: Arc<MessageQueries>,
    pub projections: Arc<Vec<Arc<dyn ProjectionMonitor>>>,
    /// The turns requests take; its refusals are in the metrics.
    pub admission: server::Admission,
}

/// Every route but the long-lived ones, as declared with its access.
fn bounded_routes() -> access::Routes {
    accounts::routes()
        .merge(campaigns::routes())
        .merge(sessions::routes())
        .merge(subscription::routes())
        .merge(audit::routes())
        .merge(messages::routes())
        .merge(webhooks::routes())
        .merge(health::routes())
}

/// Every route of the API with the access it needs: what the isolation
/// tests go through, so a route added without them fails them.
pub fn endpoints() -> Vec<access::Endpoint> {
    bounded_routes().merge(campaigns::streams()).endpoints()
}

/// Every route, with the body limit, the request timeout, admission and
/// the request log around them.
pub fn router(state: AppState, request_timeout: Duration) -> Router {
    bounded_routes()
        .into_router(&state)
        .fallback(|| async { ApiError::NotFound("no such endpoint".into()) })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            request_timeout,
            server::request_timeout,
        ))
        .merge(campaigns::streams().into_router(&state))
        .layer(axum::middleware::from_fn_with_state(
            state.admission.clone(),
            server::admit,
        ))
        .layer(axum::middleware::from_fn(observe::observe))
        .with_state(state)
}
