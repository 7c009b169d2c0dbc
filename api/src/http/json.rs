//! JSON request bodies: a syntax error answers 400; a missing, unknown or
//! mistyped field answers 422 and names it by its path.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap};
use serde::de::DeserializeOwned;

use super::body::RawBody;
use super::error::ApiError;

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
    let RawBody(bytes) = RawBody::from_request(request, state).await?;
    Ok(bytes)
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

/// Parses JSON, naming the field of a data error by its path. The body
/// must hold one value and nothing after it but white space: a second
/// object or trailing bytes mean the client sent something other than it
/// thinks, and acting on the first part would record a guess.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(json_error)?;
    deserializer.end().map_err(|error| {
        ApiError::bad_request(
            "invalid_json",
            format!("the body is not valid JSON: {error}"),
            None,
        )
    })?;
    Ok(value)
}

/// Reads a part of a body already parsed, naming the field of an error by
/// its path inside that part.
pub fn parse_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(json_error)
}

fn json_error(error: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
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
    fn anything_after_the_value_is_a_bad_request() {
        for body in [
            r#"{"campaignName":"a"} trailing garbage"#,
            r#"{"campaignName":"a"}{"campaignName":"b"}"#,
            r#"{"campaignName":"a"},"#,
        ] {
            assert!(
                matches!(
                    parse_json::<Body>(body.as_bytes()),
                    Err(ApiError::BadRequest {
                        code: "invalid_json",
                        ..
                    })
                ),
                "{body}"
            );
        }
        assert!(parse_json::<Body>(b"{\"campaignName\":\"a\"}\r\n \t").is_ok());
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
