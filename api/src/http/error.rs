//! The one error type of the API, and the status each case answers with.
//!
//! Bodies are `{"error": {"code", "message", "field"}}`. A 500 is logged
//! with its cause and answered with no detail.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use herald_application::accounts::AccountsError;
use herald_application::campaigns::QueryError;
use herald_application::commands::CommandError;
use herald_application::messages::SendRefusal;
use herald_application::ports::event_store::StoreFailureKind;
use herald_application::progress::NotCaughtUp;
use herald_application::subscriptions::OverLimit;
use herald_domain::campaign::CampaignError;
use herald_domain::message::MessageError;
use herald_domain::session::SessionError;
use herald_domain::FieldError;
use serde_json::json;

use super::extract::IDEMPOTENCY_HEADER_NAME;

#[derive(Debug)]
pub enum ApiError {
    /// 400: the request cannot be read (bad JSON, bad header, bad query).
    BadRequest {
        code: &'static str,
        message: String,
        field: Option<String>,
    },
    /// 401: no credentials, or none that check.
    Unauthenticated(String),
    /// 401: credentials refused for a reason the client can act on
    /// (`bad_credentials`, `token_expired`, `token_reused`).
    Refused { code: &'static str, message: String },
    /// 403: the credentials are known to be wrong for this request.
    Forbidden(String),
    /// 404: nothing of this tenant under this id.
    NotFound(String),
    /// 409: the current state forbids the command.
    Conflict { code: &'static str, message: String },
    /// 413: the body or the command is too large.
    TooLarge(String),
    /// 415: the body is not JSON.
    UnsupportedMediaType(String),
    /// 422: a value breaks a rule; names the field.
    Invalid { field: String, message: String },
    /// 422: the `Idempotency-Key` named an earlier, different request.
    KeyReused(String),
    /// 402 (sessions, chatbots: only deleting one or a larger plan helps)
    /// or 429 with `Retry-After` (messages a day, campaigns a month: the
    /// count starts again): the tenant's plan allows no more.
    OverLimit(OverLimit),
    /// 429 with `Retry-After`: the caller's address or tenant is over its
    /// rate (`HERALD_RATE_*`).
    RateLimited(std::time::Duration),
    /// 503: a dependency is down or behind; worth retrying.
    Unavailable { code: &'static str, message: String },
    /// 500: Herald's fault. The detail is logged, never sent.
    Internal(String),
}

impl ApiError {
    pub fn invalid(error: FieldError) -> Self {
        Self::Invalid {
            field: error.field,
            message: error.message,
        }
    }

    pub fn bad_request(
        code: &'static str,
        message: impl Into<String>,
        field: Option<&str>,
    ) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
            field: field.map(str::to_owned),
        }
    }

    fn parts(&self) -> (StatusCode, &'static str, String, Option<&str>) {
        match self {
            Self::BadRequest {
                code,
                message,
                field,
            } => (
                StatusCode::BAD_REQUEST,
                code,
                message.clone(),
                field.as_deref(),
            ),
            Self::Unauthenticated(message) => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                message.clone(),
                None,
            ),
            Self::Refused { code, message } => {
                (StatusCode::UNAUTHORIZED, code, message.clone(), None)
            }
            Self::Forbidden(message) => (StatusCode::FORBIDDEN, "forbidden", message.clone(), None),
            Self::NotFound(message) => (StatusCode::NOT_FOUND, "not_found", message.clone(), None),
            Self::Conflict { code, message } => (StatusCode::CONFLICT, code, message.clone(), None),
            Self::TooLarge(message) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                message.clone(),
                None,
            ),
            Self::UnsupportedMediaType(message) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                message.clone(),
                None,
            ),
            Self::Invalid { field, message } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                message.clone(),
                Some(field.as_str()),
            ),
            Self::KeyReused(message) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                message.clone(),
                Some(IDEMPOTENCY_HEADER_NAME),
            ),
            Self::Unavailable { code, message } => {
                (StatusCode::SERVICE_UNAVAILABLE, code, message.clone(), None)
            }
            Self::RateLimited(wait) => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!(
                    "too many requests; try again in {} ms",
                    wait.as_millis().max(1)
                ),
                None,
            ),
            Self::OverLimit(over) => (
                StatusCode::TOO_MANY_REQUESTS,
                "plan_limit",
                over.to_string(),
                None,
            ),
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "something went wrong on our side; it has been logged".into(),
                None,
            ),
        }
    }
}

/// The answer to a command over the tenant's plan: the limit, the usage
/// and, for what starts again, when.
fn over_limit(over: &OverLimit) -> Response {
    let status = match over.resets_at {
        Some(_) => StatusCode::TOO_MANY_REQUESTS,
        None => StatusCode::PAYMENT_REQUIRED,
    };
    let body = json!({ "error": {
        "code": "plan_limit",
        "message": over.to_string(),
        "field": null,
        "limit": over.resource.limit_name(),
        "allowed": over.limit.as_number(),
        "used": over.used,
        "resetsAt": over.resets_at,
    }});
    let mut response = (status, Json(body)).into_response();
    if let Some(at) = over.resets_at {
        let seconds = (at - chrono::Utc::now()).num_seconds().max(1);
        if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
    }
    response
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::OverLimit(over) = &self {
            return over_limit(over);
        }
        if let Self::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        let (status, code, message, field) = self.parts();
        let mut response = (
            status,
            Json(json!({ "error": { "code": code, "message": message, "field": field } })),
        )
            .into_response();
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Self::RateLimited(wait) = &self {
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            if let Ok(value) = HeaderValue::from_str(&seconds.max(1).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

impl From<AccountsError> for ApiError {
    fn from(error: AccountsError) -> Self {
        let message = error.to_string();
        match error {
            AccountsError::Invalid(field) => Self::invalid(field),
            AccountsError::Taken(_) => Self::Conflict {
                code: "taken",
                message,
            },
            AccountsError::BadCredentials => Self::Refused {
                code: "bad_credentials",
                message,
            },
            AccountsError::Unauthenticated(reason) => Self::Unauthenticated(reason.to_owned()),
            AccountsError::TokenExpired => Self::Refused {
                code: "token_expired",
                message,
            },
            AccountsError::TokenReused => Self::Refused {
                code: "token_reused",
                message,
            },
            AccountsError::Deactivated => Self::Forbidden(message),
            AccountsError::Forbidden(reason) => Self::Forbidden(reason),
            AccountsError::NotFound => Self::NotFound("not found".into()),
            AccountsError::Conflict(reason) => Self::Conflict {
                code: "not_allowed",
                message: reason,
            },
            AccountsError::Unavailable(detail) => {
                tracing::warn!(%detail, "an account store is unavailable");
                Self::Unavailable {
                    code: "unavailable",
                    message: "a store Herald needs cannot be reached; try again".into(),
                }
            }
            AccountsError::Internal(detail) => Self::Internal(detail),
        }
    }
}

impl From<FieldError> for ApiError {
    fn from(error: FieldError) -> Self {
        Self::invalid(error)
    }
}

/// How an aggregate's refusal answers. Each domain error says it once, and
/// every command error of that aggregate converts through it.
pub trait Refusal: std::error::Error {
    fn into_api_error(self) -> ApiError;
}

impl Refusal for CampaignError {
    fn into_api_error(self) -> ApiError {
        match self {
            Self::NotFound => ApiError::NotFound("campaign not found".into()),
            Self::AlreadyExists => ApiError::Conflict {
                code: "already_exists",
                message: "the campaign already exists".into(),
            },
            Self::Invalid(field) => ApiError::invalid(field),
            Self::NotAllowed(message) => ApiError::Conflict {
                code: "not_allowed",
                message,
            },
        }
    }
}

impl Refusal for SessionError {
    fn into_api_error(self) -> ApiError {
        match self {
            Self::NotFound => ApiError::NotFound("session not found".into()),
            Self::AlreadyExists => ApiError::Conflict {
                code: "already_exists",
                message: self.to_string(),
            },
            Self::Invalid(field) => ApiError::invalid(field),
            Self::NotAllowed(message) => ApiError::Conflict {
                code: "not_allowed",
                message,
            },
        }
    }
}

impl Refusal for SendRefusal {
    fn into_api_error(self) -> ApiError {
        let message = self.to_string();
        match self {
            Self::SessionNotFound => ApiError::NotFound(message),
            Self::SessionNotConnected(_) => ApiError::Conflict {
                code: "session_not_connected",
                message,
            },
            Self::OutsideServiceWindow { .. } => ApiError::Conflict {
                code: "outside_service_window",
                message,
            },
            Self::Message(MessageError::NotFound) => ApiError::NotFound(message),
            Self::Message(MessageError::NotAllowed(message)) => ApiError::Conflict {
                code: "not_allowed",
                message,
            },
            Self::Message(MessageError::KeyReused(_)) => ApiError::KeyReused(message),
        }
    }
}

impl<E: Refusal> From<CommandError<E>> for ApiError {
    fn from(error: CommandError<E>) -> Self {
        match error {
            CommandError::Rejected(refusal) => refusal.into_api_error(),
            CommandError::OverLimit(over) => Self::OverLimit(over),
            CommandError::Conflict(_) => Self::Conflict {
                code: "concurrent_modification",
                message: error.to_string(),
            },
            CommandError::Store(failure) => match failure.kind {
                StoreFailureKind::Unavailable => Self::Unavailable {
                    code: "event_log_unavailable",
                    message: "the event log cannot be reached; nothing was recorded".into(),
                },
                StoreFailureKind::OutcomeUnknown => Self::Unavailable {
                    code: "outcome_unknown",
                    message: failure.message,
                },
                StoreFailureKind::TooLarge => Self::TooLarge(failure.message),
                StoreFailureKind::DuplicateCommand => Self::Conflict {
                    code: "duplicate_command",
                    message: failure.message,
                },
            },
            CommandError::Internal(detail) => Self::Internal(detail),
        }
    }
}

impl From<QueryError> for ApiError {
    fn from(error: QueryError) -> Self {
        match error {
            QueryError::NotCaughtUp(beyond @ NotCaughtUp::BeyondLog { .. }) => {
                Self::bad_request("invalid_query", beyond.to_string(), Some("minPosition"))
            }
            QueryError::NotCaughtUp(behind @ NotCaughtUp::Behind { .. }) => Self::Unavailable {
                code: "not_caught_up",
                message: behind.to_string(),
            },
            QueryError::Store(error) => {
                tracing::error!(%error, "read store failed");
                Self::Unavailable {
                    code: "read_store_unavailable",
                    message: "the read store cannot be reached; try again shortly".into(),
                }
            }
        }
    }
}
