//! `/v1/webhooks/whatsapp`: Meta's subscription handshake (GET) and its
//! notifications (POST), verified by signature and recorded before the 200.

use axum::extract::State;
use axum::http::Method;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use herald_application::webhooks::IntakeError;

use super::access::{Access, Routes};
use super::body::RawBody;
use super::error::ApiError;
use super::extract::QueryParams;
use super::AppState;

pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";

/// Meta's challenge is a number; anything longer than this is not one.
const MAX_CHALLENGE: usize = 256;

/// Public: Meta signs what it sends, and the signature is checked.
pub fn routes() -> Routes {
    Routes::new()
        .add(Method::GET, "/v1/webhooks/whatsapp", Access::Public, verify)
        .add(
            Method::POST,
            "/v1/webhooks/whatsapp",
            Access::Public,
            receive,
        )
}

async fn verify(State(app): State<AppState>, params: QueryParams) -> Result<Response, ApiError> {
    let required = |name: &'static str| {
        params.text(name).ok_or_else(|| {
            ApiError::bad_request("invalid_query", format!("{name} is required"), Some(name))
        })
    };
    let (mode, token, challenge) = (
        required("hub.mode")?,
        required("hub.verify_token")?,
        required("hub.challenge")?,
    );
    if challenge.len() > MAX_CHALLENGE || challenge.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "invalid_query",
            "hub.challenge is not a challenge Meta would send",
            Some("hub.challenge"),
        ));
    }
    let echoed = app
        .webhooks
        .verify_subscription(mode, token, challenge)
        .await?;
    Ok((StatusCode::OK, echoed).into_response())
}

async fn receive(
    State(app): State<AppState>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let signature = headers
        .get(SIGNATURE_HEADER)
        .and_then(|value| value.to_str().ok());
    app.webhooks.receive(&body, signature).await?;
    Ok(StatusCode::OK.into_response())
}

impl From<IntakeError> for ApiError {
    fn from(error: IntakeError) -> Self {
        let message = error.to_string();
        match error {
            IntakeError::MissingSignature | IntakeError::BadSignature(_) => {
                Self::Unauthenticated(message)
            }
            IntakeError::UnknownVerifyToken => Self::Forbidden(message),
            IntakeError::NotSubscribe => {
                Self::bad_request("invalid_query", message, Some("hub.mode"))
            }
            IntakeError::NotAWebhook(_) => Self::bad_request("not_a_webhook", message, None),
            IntakeError::Unavailable(_) => Self::Unavailable {
                code: "event_log_unavailable",
                message: "the webhook could not be recorded; send it again".into(),
            },
        }
    }
}
