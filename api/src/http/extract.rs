//! Extractors that turn a request's headers and query into checked values,
//! answering bad input with an [`ApiError`] that names the problem. JSON
//! bodies are in [`super::json`].

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use chrono::{DateTime, Utc};
use herald_application::accounts::Principal;
use herald_application::CommandMetadata;
use herald_domain::TenantId;
use std::collections::HashMap;
use std::net::SocketAddr;

use super::error::ApiError;

pub const CORRELATION_HEADER: &str = "x-correlation-id";
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";
/// As clients write it, for error messages.
pub const IDEMPOTENCY_HEADER_NAME: &str = "Idempotency-Key";
/// Longest idempotency key taken, as most APIs that take one.
const MAX_IDEMPOTENCY_KEY: usize = 255;

/// The caller, as its credentials were checked by the route's access
/// (see [`super::access`]).
pub struct Signed(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Signed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .map(Self)
            .ok_or_else(|| ApiError::Unauthenticated("sign in first".into()))
    }
}

/// The tenant a request acts for: the caller's, from its credentials.
/// Every read and write is scoped to it.
pub struct Tenant(pub TenantId);

impl<S: Send + Sync> FromRequestParts<S> for Tenant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Signed(principal) = Signed::from_request_parts(parts, state).await?;
        Ok(Self(principal.tenant))
    }
}

/// Who sends a command and from where, recorded with its events.
pub struct Caller(pub CommandMetadata);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Signed(principal) = Signed::from_request_parts(parts, state).await?;
        let mut metadata = request_metadata(parts, principal.tenant.clone(), "anonymous")?;
        metadata.actor = principal.actor_label();
        metadata.role = Some(principal.role_label().to_owned());
        Ok(Self(metadata))
    }
}

/// Where a request came from, for a request that has no signed-in caller
/// yet (signing up or in): the command's actor is set once it is known.
pub struct Origin(pub CommandMetadata);

impl<S: Send + Sync> FromRequestParts<S> for Origin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        #[allow(clippy::expect_used)]
        let nobody = TenantId::parse("unknown").expect("a valid tenant id");
        request_metadata(parts, nobody, "anonymous").map(Self)
    }
}

fn request_metadata(
    parts: &Parts,
    tenant: TenantId,
    actor: &str,
) -> Result<CommandMetadata, ApiError> {
    let mut metadata = CommandMetadata::new(tenant, actor);
    if let Some(correlation) = header_text(&parts.headers, CORRELATION_HEADER, 128) {
        metadata.correlation_id = correlation;
    }
    metadata.user_agent = header_text(&parts.headers, header::USER_AGENT.as_str(), 512);
    metadata.idempotency_key = idempotency_key(&parts.headers)?;
    metadata.ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip().to_string());
    Ok(metadata)
}

/// The `Idempotency-Key`, if given: 1 to 255 visible ASCII characters.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(IDEMPOTENCY_HEADER) else {
        return Ok(None);
    };
    let key = value.to_str().ok().filter(|key| {
        (1..=MAX_IDEMPOTENCY_KEY).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
    });
    key.map(|key| Some(key.to_owned())).ok_or_else(|| {
        ApiError::bad_request(
            "invalid_header",
            format!("{IDEMPOTENCY_HEADER_NAME} must be 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters, as a UUID is"),
            Some(IDEMPOTENCY_HEADER_NAME),
        )
    })
}

/// A header's value if it is printable text of at most `max` characters.
fn header_text(headers: &HeaderMap, name: &str, max: usize) -> Option<String> {
    let text = headers.get(name)?.to_str().ok()?.trim();
    (!text.is_empty() && text.len() <= max).then(|| text.to_owned())
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

    /// A time in RFC 3339, with its offset (`2026-11-21T12:00:00Z`,
    /// `2026-11-21T13:00:00+01:00`), as UTC.
    ///
    /// # Errors
    /// When the parameter is present but not an RFC 3339 time.
    pub fn time(&self, name: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
        self.text(name)
            .map(|text| {
                DateTime::parse_from_rfc3339(text)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| {
                        ApiError::bad_request(
                            "invalid_query",
                            format!(
                                "{name} {text:?} is not an RFC 3339 time such as 2026-11-21T12:00:00Z"
                            ),
                            Some(name),
                        )
                    })
            })
            .transpose()
    }

    /// A parameter that must be one of `choices`, as `name_of` names them.
    ///
    /// # Errors
    /// When the parameter is present and names none of them; the message
    /// lists them all.
    pub fn choice<T: Copy>(
        &self,
        name: &str,
        choices: &[T],
        name_of: impl Fn(T) -> &'static str,
    ) -> Result<Option<T>, ApiError> {
        let Some(text) = self.text(name) else {
            return Ok(None);
        };
        match choices.iter().copied().find(|c| name_of(*c) == text) {
            Some(choice) => Ok(Some(choice)),
            None => {
                let known: Vec<&str> = choices.iter().map(|c| name_of(*c)).collect();
                Err(ApiError::bad_request(
                    "invalid_query",
                    format!("{name} {text:?} is not one of {}", known.join(", ")),
                    Some(name),
                ))
            }
        }
    }

    /// A parameter read by a value object's `parse`.
    ///
    /// # Errors
    /// When the parameter is present and `parse` refuses it.
    pub fn parsed<T>(
        &self,
        name: &str,
        parse: impl Fn(&str) -> Result<T, herald_domain::ValueError>,
    ) -> Result<Option<T>, ApiError> {
        self.text(name)
            .map(|text| {
                parse(text).map_err(|e| {
                    ApiError::bad_request("invalid_query", format!("{name} {e}"), Some(name))
                })
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> QueryParams {
        let pairs = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
        QueryParams(pairs.collect())
    }

    #[test]
    fn a_time_reads_as_utc_and_one_not_in_rfc_3339_is_refused_by_name() {
        let params = params(&[("since", "2026-11-21T13:00:00+01:00"), ("until", "today")]);
        let noon = DateTime::parse_from_rfc3339("2026-11-21T12:00:00Z").unwrap();
        assert_eq!(params.time("since").unwrap(), Some(noon.to_utc()));
        assert_eq!(params.time("page").unwrap(), None);
        match params.time("until") {
            Err(ApiError::BadRequest { code, field, .. }) => {
                assert_eq!((code, field.as_deref()), ("invalid_query", Some("until")));
            }
            other => panic!("{other:?}"),
        }
    }
}
