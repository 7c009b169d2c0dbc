//! Message handlers: each reads its input, calls one service or query, and
//! answers.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use herald_application::messages::{Direction, MessageFilter};
use herald_domain::message::MessageStatus;
use herald_domain::SessionId;
use serde_json::{json, Map, Value};

use super::bodies::send_request;
use crate::http::error::ApiError;
use crate::http::extract::{Caller, QueryParams, Tenant};
use crate::http::json::JsonBody;
use crate::http::pages::{listed, page_request};
use crate::http::AppState;

pub async fn send(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(session): Path<String>,
    JsonBody(body): JsonBody<Map<String, Value>>,
) -> Result<Response, ApiError> {
    let session = SessionId::parse(&session)
        .map_err(|_| ApiError::NotFound(format!("no session {session:?}")))?;
    let request = send_request(body)?;
    let keyed = caller.idempotency_key.is_some();
    let receipt = app.messaging.send(&session, request, &caller).await?;
    let body = json!({
        "id": receipt.aggregate_id,
        "position": receipt.position,
        "status": MessageStatus::Queued.as_str(),
    });
    let mut response = (StatusCode::ACCEPTED, Json(body)).into_response();
    if keyed && receipt.events == 0 {
        // The key named a message that already existed: this answer
        // repeats the first one (the position is one at which it exists).
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// Sends again a message whose outcome is unknown: 202 with the message
/// queued again, 409 when its outcome is known (or it is still on its way).
pub async fn resend(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = uuid::Uuid::parse_str(&id)
        .map_err(|_| ApiError::NotFound(format!("no message {id:?}: message ids are UUIDs")))?
        .to_string();
    let receipt = app.messaging.resend(&id, &caller).await?;
    let body = json!({
        "id": receipt.aggregate_id,
        "position": receipt.position,
        "status": MessageStatus::Queued.as_str(),
    });
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

pub async fn list(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    params: QueryParams,
) -> Result<Response, ApiError> {
    params.only(&[
        "sessionId",
        "direction",
        "status",
        "since",
        "until",
        "page",
        "limit",
        "cursor",
        "minPosition",
    ])?;
    let filter = MessageFilter {
        session_id: params.parsed("sessionId", SessionId::parse)?,
        direction: params.choice("direction", &Direction::ALL, Direction::as_str)?,
        status: params.choice("status", &MessageStatus::ALL, MessageStatus::as_str)?,
        since: params.time("since")?,
        until: params.time("until")?,
    };
    let page = page_request(&params)?;
    let found = app
        .message_queries
        .list(&tenant, &filter, &page, params.number("minPosition")?)
        .await?;
    Ok(listed(found, &page))
}

pub async fn get(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
    params: QueryParams,
) -> Result<Response, ApiError> {
    params.only(&["minPosition"])?;
    let found = app
        .message_queries
        .get(&tenant, &id, params.number("minPosition")?)
        .await?;
    found
        .map(|document| Json(document).into_response())
        .ok_or_else(|| ApiError::NotFound(format!("no message {id:?}")))
}

pub async fn replies(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    params: QueryParams,
) -> Result<Response, ApiError> {
    params.only(&[
        "sessionId",
        "since",
        "until",
        "page",
        "limit",
        "cursor",
        "minPosition",
    ])?;
    let page = page_request(&params)?;
    let found = app
        .message_queries
        .replies(
            &tenant,
            params.parsed("sessionId", SessionId::parse)?.as_ref(),
            params.time("since")?,
            params.time("until")?,
            &page,
            params.number("minPosition")?,
        )
        .await?;
    Ok(listed(found, &page))
}
