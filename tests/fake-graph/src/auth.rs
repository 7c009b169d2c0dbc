//! Who may call what: Bearer tokens are per number (§7 item 2), plus the
//! `vNN.N` path check every route shares.

use axum::http::HeaderMap;

use crate::errors::GraphError;
use crate::number::FakeNumber;
use crate::state::State;

/// The token of `Authorization: Bearer <token>`.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
        .filter(|t| !t.is_empty())
}

/// The caller's token if some number has it; else 401 (190, or 0 when configured).
pub fn known_token(state: &State, headers: &HeaderMap) -> Result<String, GraphError> {
    let token =
        bearer(headers).filter(|token| state.numbers.values().any(|n| n.access_token == *token));
    token
        .map(str::to_owned)
        .ok_or_else(|| GraphError::auth(state.config.auth_failure_code))
}

/// The number `phone_number_id`, if the caller's token is that number's.
pub fn number_for(
    state: &State,
    headers: &HeaderMap,
    phone_number_id: &str,
) -> Result<FakeNumber, GraphError> {
    let token = known_token(state, headers)?;
    match state.number(phone_number_id) {
        Some(number) if number.access_token == token => Ok(number.clone()),
        _ => Err(unknown_object(phone_number_id)),
    }
}

/// A number of WABA `waba_id` whose token the caller holds.
pub fn waba_for(
    state: &State,
    headers: &HeaderMap,
    waba_id: &str,
) -> Result<FakeNumber, GraphError> {
    let token = known_token(state, headers)?;
    let number = state
        .numbers
        .values()
        .find(|n| n.waba_id == waba_id && n.access_token == token);
    number.cloned().ok_or_else(|| unknown_object(waba_id))
}

/// Meta's answer for an id that does not exist or is not the caller's.
pub fn unknown_object(id: &str) -> GraphError {
    GraphError::with_details(
        100,
        format!("Unsupported request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation."),
    )
}

/// Any `vNN.N` is accepted (§7 item 1).
pub fn check_version(version: &str) -> Result<(), GraphError> {
    let valid = version
        .strip_prefix('v')
        .and_then(|rest| rest.split_once('.'))
        .is_some_and(|(major, minor)| is_digits(major) && is_digits(minor));
    if valid {
        Ok(())
    } else {
        Err(GraphError::with_details(
            100,
            "Invalid version format. Use format like 'v23.0'",
        ))
    }
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_checked_loosely() {
        assert!(check_version("v23.0").is_ok());
        assert!(check_version("v100.12").is_ok());
        assert!(check_version("23.0").is_err());
        assert!(check_version("v23").is_err());
    }

    #[test]
    fn bearer_needs_the_scheme_and_a_token() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            "Bearer abc".parse().unwrap_or_else(|_| unreachable!()),
        );
        assert_eq!(bearer(&headers), Some("abc"));
        headers.insert(
            "authorization",
            "Basic abc".parse().unwrap_or_else(|_| unreachable!()),
        );
        assert_eq!(bearer(&headers), None);
    }
}
