//! Account handlers: sign-up and sign-in, tokens, links, users and API
//! keys. Each reads its input, calls the accounts service, and answers.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use herald_application::accounts::{Actor, ApiKeyFilter, Tokens, UserFilter};
use herald_domain::account::{ApiKey, Role, User, UserCommand};
use herald_domain::subscription::{SubscriptionCommand, SubscriptionStatus, Tier};
use serde_json::{json, Value};
use uuid::Uuid;

use super::bodies::{
    CreateKeyBody, ForgotPasswordBody, InviteBody, KeyRequest, LoginBody, RefreshBody,
    RegisterBody, ResetPasswordBody, TokenBody, UserChangeBody,
};
use crate::http::error::ApiError;
use crate::http::extract::{Caller, Origin, QueryParams, Signed, Tenant};
use crate::http::json::JsonBody;
use crate::http::pages::{listed, page_request};
use crate::http::AppState;

pub async fn register(
    State(app): State<AppState>,
    Origin(origin): Origin,
    JsonBody(body): JsonBody<RegisterBody>,
) -> Result<Response, ApiError> {
    let sign_up = body.into_sign_up()?;
    let signed_up = app.accounts.sign_up(sign_up, None, &origin).await?;
    // The new tenant starts on the free plan (a subscription never started
    // is the free plan too, so a failure here loses nothing).
    let start = SubscriptionCommand::Start {
        tier: Tier::Free,
        status: SubscriptionStatus::Active,
        ends_at: None,
    };
    if let Err(error) = app
        .subscriptions
        .execute(&signed_up.tenant, start, &origin)
        .await
    {
        tracing::warn!(%error, tenant = %signed_up.tenant, "the new tenant's plan was not started");
    }
    let answer = json!({
        "tenantId": signed_up.tenant,
        "userId": signed_up.user,
        "role": Role::Admin,
        "position": signed_up.receipt.position,
    });
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

pub async fn login(
    State(app): State<AppState>,
    Origin(origin): Origin,
    JsonBody(body): JsonBody<LoginBody>,
) -> Result<Response, ApiError> {
    // A malformed password cannot be a right one: refused as a wrong one.
    let Ok((identifier, password)) = body.into_parts().map_err(|e| e.field) else {
        return Err(herald_application::accounts::AccountsError::BadCredentials.into());
    };
    let tokens = app
        .accounts
        .sign_in(&identifier, &password, &origin)
        .await?;
    Ok(Json(tokens_answer(&tokens)).into_response())
}

pub async fn refresh(
    State(app): State<AppState>,
    Origin(origin): Origin,
    JsonBody(body): JsonBody<RefreshBody>,
) -> Result<Response, ApiError> {
    let tokens = app.accounts.refresh(&body.refresh_token, &origin).await?;
    Ok(Json(tokens_answer(&tokens)).into_response())
}

fn tokens_answer(tokens: &Tokens) -> Value {
    json!({
        "accessToken": tokens.access_token,
        "refreshToken": tokens.refresh_token,
        "tokenType": "Bearer",
        "expiresIn": tokens.expires_in.as_secs(),
        "tenantId": tokens.tenant,
        "userId": tokens.user,
        "role": tokens.role,
    })
}

pub async fn logout(
    State(app): State<AppState>,
    Signed(principal): Signed,
    Caller(caller): Caller,
) -> Result<Response, ApiError> {
    app.accounts.sign_out(&principal, &caller).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The caller: its account, or the API key it uses.
pub async fn me(
    State(app): State<AppState>,
    Signed(principal): Signed,
) -> Result<Response, ApiError> {
    let answer = match &principal.actor {
        Actor::User { id, .. } => {
            let user = app.accounts.user(&principal.tenant, *id).await?;
            user_document(&principal.tenant.to_string(), *id, &user)
        }
        Actor::ApiKey { id, .. } => {
            let key = app.api_keys.key(&principal.tenant, *id).await?;
            key_document(*id, &key)
        }
    };
    Ok(Json(answer).into_response())
}

pub async fn resend_verification(
    State(app): State<AppState>,
    Signed(principal): Signed,
    Caller(caller): Caller,
) -> Result<Response, ApiError> {
    app.accounts
        .request_verification(&principal, &caller)
        .await?;
    Ok(accepted("a new verification link is on its way"))
}

pub async fn verify_email(
    State(app): State<AppState>,
    Origin(origin): Origin,
    JsonBody(body): JsonBody<TokenBody>,
) -> Result<Response, ApiError> {
    app.accounts.verify_email(&body.token, &origin).await?;
    Ok(Json(json!({ "isEmailVerified": true })).into_response())
}

/// The link in the e-mail: `GET /v1/auth/verify-email?token=…`.
pub async fn verify_email_link(
    State(app): State<AppState>,
    Origin(origin): Origin,
    query: QueryParams,
) -> Result<Response, ApiError> {
    let token = query
        .only(&["token"])?
        .text("token")
        .ok_or_else(|| ApiError::bad_request("invalid_query", "token is required", Some("token")))?
        .to_owned();
    app.accounts.verify_email(&token, &origin).await?;
    Ok(Json(json!({ "isEmailVerified": true })).into_response())
}

/// Always the same answer, whether or not an account has the address.
pub async fn forgot_password(
    State(app): State<AppState>,
    Origin(origin): Origin,
    JsonBody(body): JsonBody<ForgotPasswordBody>,
) -> Result<Response, ApiError> {
    let email = body.into_email()?;
    app.accounts.request_reset(&email, &origin).await?;
    Ok(accepted(
        "if an account has this address, a link to set a new password is on its way",
    ))
}

pub async fn reset_password(
    State(app): State<AppState>,
    Origin(origin): Origin,
    JsonBody(body): JsonBody<ResetPasswordBody>,
) -> Result<Response, ApiError> {
    let password = body.password()?;
    app.accounts
        .reset_password(&body.token, &password, &origin)
        .await?;
    Ok(Json(json!({ "passwordReset": true })).into_response())
}

pub async fn invite(
    State(app): State<AppState>,
    Signed(principal): Signed,
    Caller(caller): Caller,
    JsonBody(body): JsonBody<InviteBody>,
) -> Result<Response, ApiError> {
    let invite = body.into_invite()?;
    let (id, receipt) = app.accounts.invite(&principal, invite, &caller).await?;
    let answer = json!({ "id": id, "position": receipt.position });
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// `GET /v1/users`: the tenant's users, newest first, by role and
/// whether they are active.
pub async fn users(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    params: QueryParams,
) -> Result<Response, ApiError> {
    params.only(&["role", "isActive", "page", "limit", "cursor", "minPosition"])?;
    let filter = UserFilter {
        role: params.choice("role", &Role::ALL, Role::as_str)?,
        is_active: active_filter(&params)?,
    };
    let page = page_request(&params)?;
    let found = app
        .account_queries
        .users(&tenant, &filter, &page, params.number("minPosition")?)
        .await?;
    Ok(listed(found, &page))
}

pub async fn user(
    State(app): State<AppState>,
    Signed(principal): Signed,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = account_id(&id, "user")?;
    let user = app.accounts.user(&principal.tenant, id).await?;
    if !user.exists() {
        return Err(ApiError::NotFound("user not found".into()));
    }
    Ok(Json(user_document(principal.tenant.as_str(), id, &user)).into_response())
}

pub async fn change_user(
    State(app): State<AppState>,
    Signed(principal): Signed,
    Caller(caller): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<UserChangeBody>,
) -> Result<Response, ApiError> {
    let id = account_id(&id, "user")?;
    let mut commands = Vec::new();
    if let Some(role) = &body.role {
        let role = Role::parse(role).map_err(|e| ApiError::invalid(e.at("role")))?;
        commands.push(UserCommand::ChangeRole(role));
    }
    match body.is_active {
        Some(true) => commands.push(UserCommand::Reactivate),
        Some(false) => commands.push(UserCommand::Deactivate),
        None => {}
    }
    if commands.is_empty() {
        return Err(ApiError::invalid(herald_domain::FieldError::new(
            "role",
            "give role or isActive",
        )));
    }
    let mut position = 0;
    for command in commands {
        let receipt = app
            .accounts
            .administer(&principal, id, command, &caller)
            .await
            .map_err(|e| not_found_as(e, "user"))?;
        position = receipt.position;
    }
    Ok(Json(json!({ "id": id, "position": position })).into_response())
}

pub async fn create_key(
    State(app): State<AppState>,
    Signed(principal): Signed,
    Caller(caller): Caller,
    JsonBody(body): JsonBody<CreateKeyBody>,
) -> Result<Response, ApiError> {
    let KeyRequest {
        name,
        permissions,
        expires_at,
    } = body.into_request(chrono::Utc::now())?;
    let created = app
        .api_keys
        .create(
            &principal.tenant,
            name.clone(),
            permissions.clone(),
            expires_at,
            principal.user_id(),
            &caller,
        )
        .await?;
    let answer = json!({
        "id": created.id,
        "apiKey": created.secret,
        "prefix": created.prefix,
        "keyName": name.as_str(),
        "permissions": permissions,
        "expiresAt": expires_at,
        "position": created.receipt.position,
        "note": "the key is shown this once; Herald keeps only a hash of it",
    });
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

pub async fn key(
    State(app): State<AppState>,
    Signed(principal): Signed,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = account_id(&id, "API key")?;
    let key = app.api_keys.key(&principal.tenant, id).await?;
    if !key.exists() {
        return Err(ApiError::NotFound("API key not found".into()));
    }
    Ok(Json(key_document(id, &key)).into_response())
}

/// `GET /v1/api-keys`: the tenant's keys, newest first, each by its
/// prefix, never its secret.
pub async fn keys(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    params: QueryParams,
) -> Result<Response, ApiError> {
    params.only(&["isActive", "page", "limit", "cursor", "minPosition"])?;
    let filter = ApiKeyFilter {
        is_active: active_filter(&params)?,
    };
    let page = page_request(&params)?;
    let found = app
        .account_queries
        .api_keys(&tenant, &filter, &page, params.number("minPosition")?)
        .await?;
    Ok(listed(found, &page))
}

/// `isActive=true` or `false`.
fn active_filter(params: &QueryParams) -> Result<Option<bool>, ApiError> {
    params.choice("isActive", &[true, false], |active| {
        if active {
            "true"
        } else {
            "false"
        }
    })
}

pub async fn revoke_key(
    State(app): State<AppState>,
    Signed(principal): Signed,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = account_id(&id, "API key")?;
    let receipt = app
        .api_keys
        .revoke(&principal.tenant, id, &caller)
        .await
        .map_err(|e| not_found_as(e, "API key"))?;
    Ok(Json(json!({ "id": id, "isActive": false, "position": receipt.position })).into_response())
}

/// An account id from a path: anything but a UUID names nothing.
fn account_id(text: &str, what: &str) -> Result<Uuid, ApiError> {
    Uuid::try_parse(text).map_err(|_| ApiError::NotFound(format!("{what} not found")))
}

fn not_found_as(error: herald_application::accounts::AccountsError, what: &str) -> ApiError {
    match error {
        herald_application::accounts::AccountsError::NotFound => {
            ApiError::NotFound(format!("{what} not found"))
        }
        other => other.into(),
    }
}

fn accepted(message: &str) -> Response {
    (StatusCode::ACCEPTED, Json(json!({ "message": message }))).into_response()
}

/// A user as seed 000's `users` shows one, without anything secret.
fn user_document(tenant: &str, id: Uuid, user: &User) -> Value {
    let profile = user.profile().cloned().unwrap_or_default();
    json!({
        "id": id,
        "tenantId": tenant,
        "email": user.email(),
        "username": user.username(),
        "fullName": profile.full_name,
        "phone": profile.phone,
        "avatarUrl": profile.avatar_url,
        "role": user.role(),
        "isEmailVerified": user.email_verified(),
        "isActive": user.is_active(),
        "lastLogin": user.last_login(),
        "createdAt": user.registered_at(),
    })
}

/// A key as seed 000's `api_keys` shows one: its prefix, never its secret.
fn key_document(id: Uuid, key: &ApiKey) -> Value {
    let details = key.details();
    json!({
        "id": id,
        "keyName": details.map(|d| d.name.as_str()),
        "prefix": details.map(|d| d.prefix.as_str()),
        "permissions": details.map(|d| d.permissions.clone()),
        "expiresAt": details.and_then(|d| d.expires_at),
        "createdBy": details.and_then(|d| d.created_by.clone()),
        "isActive": key.exists() && !key.is_revoked(),
        "lastUsed": key.last_used(),
    })
}
