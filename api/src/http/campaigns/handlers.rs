//! Campaign handlers: each reads its input, calls one service or query,
//! and answers.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use herald_application::campaigns::CampaignFilter;
use herald_application::CommandReceipt;
use herald_domain::campaign::{CampaignCommand, CampaignStatus, RecipientStatus};
use herald_domain::SessionId;
use serde_json::json;
use uuid::Uuid;

use super::bodies::{
    AddRecipientsBody, CreateCampaignBody, EditCampaignBody, ScheduleCampaignBody,
};
use crate::http::error::ApiError;
use crate::http::extract::{Caller, QueryParams, Tenant};
use crate::http::json::{JsonBody, OptionalJsonBody};
use crate::http::pages::{listed, page_request};
use crate::http::AppState;

pub async fn create(
    State(app): State<AppState>,
    Caller(caller): Caller,
    JsonBody(body): JsonBody<CreateCampaignBody>,
) -> Result<Response, ApiError> {
    let receipt = app.campaigns.create(body.into_command()?, &caller).await?;
    let location = format!("/v1/campaigns/{}", receipt.aggregate_id);
    let mut response = answer(StatusCode::CREATED, &receipt);
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

pub async fn edit(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<EditCampaignBody>,
) -> Result<Response, ApiError> {
    let command = CampaignCommand::Edit(body.into_command()?);
    run(&app, &caller, &id, command).await
}

pub async fn add_recipients(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<AddRecipientsBody>,
) -> Result<Response, ApiError> {
    let command = CampaignCommand::AddRecipients(body.into_recipients()?);
    run(&app, &caller, &id, command).await
}

pub async fn schedule(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    OptionalJsonBody(body): OptionalJsonBody<ScheduleCampaignBody>,
) -> Result<Response, ApiError> {
    let schedule = body.map(ScheduleCampaignBody::into_schedule).transpose()?;
    run(&app, &caller, &id, CampaignCommand::Schedule(schedule)).await
}

pub async fn start(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    run(&app, &caller, &id, CampaignCommand::Start).await
}

pub async fn pause(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    run(&app, &caller, &id, CampaignCommand::Pause).await
}

pub async fn resume(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    run(&app, &caller, &id, CampaignCommand::Resume).await
}

pub async fn stop(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    run(&app, &caller, &id, CampaignCommand::Stop).await
}

/// Sends again the latest run's recipients whose outcome is unknown. The
/// campaign sender queues them; their progress shows in the recipients.
pub async fn resend_unknown(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    run(&app, &caller, &id, CampaignCommand::ResendUnknown).await
}

pub async fn list(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    params: QueryParams,
) -> Result<Response, ApiError> {
    params.only(&[
        "status",
        "sessionId",
        "page",
        "limit",
        "cursor",
        "minPosition",
    ])?;
    let filter = CampaignFilter {
        status: params.choice("status", &CampaignStatus::ALL, CampaignStatus::as_str)?,
        session_id: params.parsed("sessionId", SessionId::parse)?,
    };
    let page = page_request(&params)?;
    let found = app
        .campaign_queries
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
    let id = campaign_id(&id)?;
    let found = app
        .campaign_queries
        .get(&tenant, &id.to_string(), params.number("minPosition")?)
        .await?;
    found
        .map(|document| Json(document).into_response())
        .ok_or_else(|| not_found(id))
}

pub async fn recipients(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
    params: QueryParams,
) -> Result<Response, ApiError> {
    params.only(&["status", "page", "limit", "cursor", "minPosition"])?;
    let (id, status, page, min_position) = (
        campaign_id(&id)?.to_string(),
        params.choice("status", &RecipientStatus::ALL, RecipientStatus::as_str)?,
        page_request(&params)?,
        params.number("minPosition")?,
    );
    let queries = &app.campaign_queries;
    if queries.get(&tenant, &id, min_position).await?.is_none() {
        return Err(ApiError::NotFound(format!("no campaign {id}")));
    }
    let found = queries
        .recipients(&tenant, &id, status, &page, None)
        .await?;
    Ok(listed(found, &page))
}

async fn run(
    app: &AppState,
    caller: &herald_application::CommandMetadata,
    id: &str,
    command: CampaignCommand,
) -> Result<Response, ApiError> {
    let id = campaign_id(id)?;
    let receipt =
        app.campaigns
            .execute(id, command, caller)
            .await
            .map_err(|e| match ApiError::from(e) {
                ApiError::NotFound(_) => not_found(id),
                other => other,
            })?;
    Ok(answer(StatusCode::ACCEPTED, &receipt))
}

fn answer(status: StatusCode, receipt: &CommandReceipt) -> Response {
    (
        status,
        Json(json!({ "id": receipt.aggregate_id, "position": receipt.position })),
    )
        .into_response()
}

/// Campaign ids are UUIDs, written as Herald writes them: lower-case
/// hex in dashed groups. Other spellings of the same UUID (upper case, no
/// dashes, braces, `urn:uuid:`) are refused, so that one campaign has one
/// address, as caches, logs and audits expect.
pub(super) fn campaign_id(text: &str) -> Result<Uuid, ApiError> {
    Uuid::try_parse(text)
        .ok()
        .filter(|id| id.hyphenated().to_string() == text)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "no campaign {text:?}: campaign ids are lower-case UUIDs such as 0194c7e2-8f4b-7c3a-9d2e-5b1f0a6c4e8d"
            ))
        })
}

pub(super) fn not_found(id: Uuid) -> ApiError {
    ApiError::NotFound(format!("no campaign {id}"))
}
