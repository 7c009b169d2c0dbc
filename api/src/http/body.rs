//! A request's body as bytes, whatever its type, with the API's error
//! shape for a body that is too large or did not arrive.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;

use super::error::ApiError;

/// The whole body. Too large answers 413, and a body that stopped
/// arriving answers 408, both as `{"error": {...}}` like every other error.
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        Bytes::from_request(request, state)
            .await
            .map(Self)
            .map_err(|rejection| match rejection.status() {
                StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge(format!(
                    "the body is larger than {} MiB",
                    super::MAX_BODY_BYTES >> 20
                )),
                _ => ApiError::bad_request("invalid_body", rejection.body_text(), None),
            })
    }
}
