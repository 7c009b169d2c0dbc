//! `GET /v1/audit-logs`: who did what, from where, and what was refused,
//! newest first, filtered by actor, action, entity and time.

use axum::extract::State;
use axum::http::Method;
use axum::response::Response;
use herald_application::audit::AuditFilter;
use herald_domain::account::Action::ReadAuditLog;

use super::access::{Access::May, Routes};
use super::error::ApiError;
use super::extract::{QueryParams, Tenant};
use super::pages::{listed, page_request};
use super::AppState;

pub fn routes() -> Routes {
    Routes::new().add(Method::GET, "/v1/audit-logs", May(ReadAuditLog), list)
}

async fn list(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    params: QueryParams,
) -> Result<Response, ApiError> {
    params.only(&[
        "actorId",
        "action",
        "entityType",
        "entityId",
        "since",
        "until",
        "page",
        "limit",
        "cursor",
        "minPosition",
    ])?;
    let text = |name: &str| params.text(name).map(str::to_owned);
    let filter = AuditFilter {
        actor_id: text("actorId"),
        action: text("action"),
        entity_type: text("entityType"),
        entity_id: text("entityId"),
        since: params.time("since")?,
        until: params.time("until")?,
    };
    let page = page_request(&params)?;
    let found = app
        .audit_queries
        .list(&tenant, &filter, &page, params.number("minPosition")?)
        .await?;
    Ok(listed(found, &page))
}
