//! Session handlers: each reads its input, calls one service or query, and
//! answers.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use herald_application::sessions::SessionFilter;
use herald_application::{CommandMetadata, CommandReceipt};
use herald_domain::session::{SessionCommand, SessionStatus};
use herald_domain::SessionId;
use serde_json::json;

use super::bodies::{CreateSessionBody, ReplaceCredentialsBody, ThroughputBody};
use crate::http::error::ApiError;
use crate::http::extract::{Caller, QueryParams, Tenant};
use crate::http::json::JsonBody;
use crate::http::pages::{listed, page_request};
use crate::http::AppState;

pub async fn create(
    State(app): State<AppState>,
    Caller(caller): Caller,
    JsonBody(body): JsonBody<CreateSessionBody>,
) -> Result<Response, ApiError> {
    let registration = body.into_registration()?;
    let receipt = app.sessions.create(registration, &caller).await?;
    let mut response = answer(StatusCode::CREATED, &receipt, SessionStatus::Initializing);
    let location = format!("/v1/sessions/{}", receipt.aggregate_id);
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Checks the credentials with the Graph API before answering, so the
/// answer says whether the session is now connected or in error.
pub async fn connect(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = session_id(&id)?;
    let receipt = app
        .sessions
        .connect(&id, &caller)
        .await
        .map_err(not_found_as(&id))?;
    respond(&app, &caller, &id, &receipt).await
}

pub async fn disconnect(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    run(&app, &caller, &id, SessionCommand::Disconnect).await
}

pub async fn delete(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    run(&app, &caller, &id, SessionCommand::Delete).await
}

pub async fn replace_credentials(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ReplaceCredentialsBody>,
) -> Result<Response, ApiError> {
    let id = session_id(&id)?;
    let credentials = body.into_credentials()?;
    let receipt = app
        .sessions
        .replace_credentials(&id, &credentials, &caller)
        .await
        .map_err(not_found_as(&id))?;
    respond(&app, &caller, &id, &receipt).await
}

pub async fn set_throughput(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ThroughputBody>,
) -> Result<Response, ApiError> {
    let id = session_id(&id)?;
    let throughput = body.into_throughput()?;
    let receipt = app
        .sessions
        .execute(&id, SessionCommand::SetThroughput(throughput), &caller)
        .await
        .map_err(not_found_as(&id))?;
    respond(&app, &caller, &id, &receipt).await
}

pub async fn list(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    params: QueryParams,
) -> Result<Response, ApiError> {
    params.only(&["status", "page", "limit", "cursor", "minPosition"])?;
    let filter = SessionFilter {
        status: params.choice("status", &SessionStatus::ALL, SessionStatus::as_str)?,
    };
    let page = page_request(&params)?;
    let found = app
        .session_queries
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
    let id = session_id(&id)?;
    let found = app
        .session_queries
        .get(&tenant, &id, params.number("minPosition")?)
        .await?;
    found
        .map(|document| Json(document).into_response())
        .ok_or_else(|| not_found(&id))
}

async fn run(
    app: &AppState,
    caller: &CommandMetadata,
    id: &str,
    command: SessionCommand,
) -> Result<Response, ApiError> {
    let id = session_id(id)?;
    let receipt = app
        .sessions
        .execute(&id, command, caller)
        .await
        .map_err(not_found_as(&id))?;
    respond(app, caller, &id, &receipt).await
}

/// Answers with the receipt and the status the session has after it.
async fn respond(
    app: &AppState,
    caller: &CommandMetadata,
    id: &SessionId,
    receipt: &CommandReceipt,
) -> Result<Response, ApiError> {
    let session = app.sessions.load(&caller.tenant, id).await?;
    let status = session.status().unwrap_or(SessionStatus::Disconnected);
    Ok(answer(StatusCode::ACCEPTED, receipt, status))
}

fn answer(status: StatusCode, receipt: &CommandReceipt, session: SessionStatus) -> Response {
    let body = json!({
        "id": receipt.aggregate_id,
        "position": receipt.position,
        "status": session.as_str(),
    });
    (status, Json(body)).into_response()
}

fn session_id(text: &str) -> Result<SessionId, ApiError> {
    SessionId::parse(text).map_err(|_| ApiError::NotFound(format!("no session {text:?}")))
}

fn not_found(id: &SessionId) -> ApiError {
    ApiError::NotFound(format!("no session {id}"))
}

fn not_found_as<E>(id: &SessionId) -> impl FnOnce(E) -> ApiError + '_
where
    ApiError: From<E>,
{
    move |error| match ApiError::from(error) {
        ApiError::NotFound(_) => not_found(id),
        other => other,
    }
}
