//! Extractors that turn a request into checked values, answering bad input
//! with an [`ApiError`] that names the problem.

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use herald_application::CommandMetadata;
use herald_domain::TenantId;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::net::SocketAddr;

use super::error::ApiError;

pub const TENANT_HEADER: &str = "x-tenant-id";
pub const ACTOR_HEADER: &str = "x-actor-id";
pub const CORRELATION_HEADER: &str = "x-correlation-id";

/// The tenant a request acts for. Until accounts exist it comes from the
/// `X-Tenant-Id` header; every read and write is scoped to it.
pub struct Tenant(pub TenantId);

impl<S: Send + Sync> FromRequestParts<S> for Tenant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let value = parts.headers.get(TENANT_HEADER).ok_or_else(|| {
            ApiError::Unauthenticated("the X-Tenant-Id header is required".into())
        })?;
        let text = value.to_str().map_err(|_| {
            ApiError::bad_request(
                "invalid_header",
                "X-Tenant-Id must be plain text",
                Some("X-Tenant-Id"),
            )
        })?;
        TenantId::parse(text).map(Self).map_err(|e| {
            ApiError::bad_request(
                "invalid_header",
                format!("X-Tenant-Id {e}"),
                Some("X-Tenant-Id"),
            )
        })
    }
}

/// Who sends a command and from where, recorded with its events.
pub struct Caller(pub CommandMetadata);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Tenant(tenant) = Tenant::from_request_parts(parts, state).await?;
        let actor = header_text(&parts.headers, ACTOR_HEADER, 128)
            .unwrap_or_else(|| format!("tenant:{tenant}"));
        let mut metadata = CommandMetadata::new(tenant, actor);
        if let Some(correlation) = header_text(&parts.headers, CORRELATION_HEADER, 128) {
            metadata.correlation_id = correlation;
        }
        metadata.user_agent = header_text(&parts.headers, header::USER_AGENT.as_str(), 512);
        metadata.ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip().to_string());
        Ok(Self(metadata))
    }
}

/// A header's value if it is printable text of at most `max` characters.
fn header_text(headers: &HeaderMap, name: &str, max: usize) -> Option<String> {
    let text = headers.get(name)?.to_str().ok()?.trim();
    (!text.is_empty() && text.len() <= max).then(|| text.to_owned())
}

/// A JSON body. Syntax errors answer 400; a missing, unknown or mistyped
/// field answers 422 naming it (`schedule.startTime`).
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = body_bytes(request, state).await?;
        if bytes.is_empty() {
            return Err(ApiError::bad_request(
                "invalid_json",
                "the request needs a JSON body",
                None,
            ));
        }
        parse_json(&bytes).map(Self)
    }
}

/// A JSON body that may be left out entirely.
pub struct OptionalJsonBody<T>(pub Option<T>);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for OptionalJsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = body_bytes(request, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(None));
        }
        parse_json(&bytes).map(|value| Self(Some(value)))
    }
}

async fn body_bytes<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, ApiError> {
    let has_body = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .is_some_and(|l| l != "0")
        || request.headers().contains_key(header::TRANSFER_ENCODING);
    if has_body && !is_json(request.headers()) {
        return Err(ApiError::UnsupportedMediaType(
            "send the body as JSON with Content-Type: application/json".into(),
        ));
    }
    Bytes::from_request(request, state)
        .await
        .map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge(format!(
                    "the body is larger than {} MiB",
                    super::MAX_BODY_BYTES >> 20
                ))
            } else {
                ApiError::bad_request("invalid_body", rejection.body_text(), None)
            }
        })
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
}

/// Parses JSON, naming the field of a data error by its path.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let message = without_position(&inner.to_string());
                ApiError::Invalid {
                    field: field_of(&path, &message),
                    message,
                }
            }
            _ => ApiError::bad_request(
                "invalid_json",
                format!("the body is not valid JSON: {inner}"),
                None,
            ),
        }
    })
}

/// serde names a missing or unknown field in its message, at the path of
/// the object that holds it: join the two.
fn field_of(path: &str, message: &str) -> String {
    let named = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next());
    match (path, named) {
        (".", Some(name)) => name.to_owned(),
        (path, Some(name)) if path == name || path.ends_with(&format!(".{name}")) => {
            path.to_owned()
        }
        (parent, Some(name)) => format!("{parent}.{name}"),
        (path, None) => path.to_owned(),
    }
}

fn without_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// Query parameters, each read by name so errors name it, and unknown
/// names refused so a typo does not silently mean "no filter".
pub struct QueryParams(HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Query(params) =
            axum::extract::Query::<HashMap<String, String>>::from_request_parts(parts, state)
                .await
                .map_err(|e| ApiError::bad_request("invalid_query", e.body_text(), None))?;
        Ok(Self(params))
    }
}

impl QueryParams {
    /// # Errors
    /// When a parameter is not one of `known`.
    pub fn only(&self, known: &[&str]) -> Result<&Self, ApiError> {
        match self.0.keys().find(|k| !known.contains(&k.as_str())) {
            Some(unknown) => Err(ApiError::bad_request(
                "invalid_query",
                format!(
                    "unknown query parameter {unknown:?}; this endpoint takes {}",
                    known.join(", ")
                ),
                Some(unknown),
            )),
            None => Ok(self),
        }
    }

    pub fn text(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// # Errors
    /// When the parameter is present but not a whole number.
    pub fn number(&self, name: &str) -> Result<Option<u64>, ApiError> {
        self.text(name)
            .map(|text| {
                text.parse().map_err(|_| {
                    ApiError::bad_request(
                        "invalid_query",
                        format!("{name} must be a whole number, not {text:?}"),
                        Some(name),
                    )
                })
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        campaign_name: String,
        schedule: Option<Schedule>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    #[allow(dead_code)]
    struct Schedule {
        start_time: u32,
    }

    fn field_error(json: &str) -> (String, String) {
        match parse_json::<Body>(json.as_bytes()) {
            Err(ApiError::Invalid { field, message }) => (field, message),
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn a_missing_field_is_named() {
        assert_eq!(field_error("{}").0, "campaignName");
    }

    #[test]
    fn an_unknown_top_level_field_is_named_once() {
        assert_eq!(
            field_error(r#"{"campaignName":"a","colour":1}"#).0,
            "colour"
        );
    }

    #[test]
    fn an_unknown_field_is_named_with_its_path() {
        assert_eq!(
            field_error(r#"{"campaignName":"a","schedule":{"startTime":1,"when":2}}"#).0,
            "schedule.when"
        );
    }

    #[test]
    fn a_mistyped_field_is_named_without_a_line_number() {
        let (field, message) =
            field_error(r#"{"campaignName":"a","schedule":{"startTime":"soon"}}"#);
        assert_eq!(field, "schedule.startTime");
        assert!(!message.contains("line"), "{message}");
    }

    #[test]
    fn broken_json_is_a_bad_request() {
        assert!(matches!(
            parse_json::<Body>(b"{\"campaignName\":"),
            Err(ApiError::BadRequest {
                code: "invalid_json",
                ..
            })
        ));
    }
}
