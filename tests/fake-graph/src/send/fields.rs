//! Small checks over request JSON, each failing with the Graph code Meta uses:
//! unknown key or wrong type → 100, missing → 131008, bad value → 131009.

use serde_json::{Map, Value};

use crate::errors::GraphError;

pub type Fields = Map<String, Value>;

/// `value` as an object, or 100.
pub fn object<'a>(value: &'a Value, path: &str) -> Result<&'a Fields, GraphError> {
    value
        .as_object()
        .ok_or_else(|| wrong_type(path, "an object"))
}

/// 100 for the first key not in `allowed`.
pub fn only_keys(fields: &Fields, allowed: &[&str], path: &str) -> Result<(), GraphError> {
    match fields.keys().find(|key| !allowed.contains(&key.as_str())) {
        Some(key) => Err(GraphError::with_details(
            100,
            format!("Unexpected key \"{key}\" on param \"{path}\"."),
        )),
        None => Ok(()),
    }
}

/// A required member, or 131008.
pub fn required<'a>(fields: &'a Fields, key: &str, path: &str) -> Result<&'a Value, GraphError> {
    match fields.get(key) {
        Some(Value::Null) | None => Err(missing(&format!("{path}['{key}']"))),
        Some(value) => Ok(value),
    }
}

pub fn required_str<'a>(fields: &'a Fields, key: &str, path: &str) -> Result<&'a str, GraphError> {
    let value = required(fields, key, path)?;
    value
        .as_str()
        .ok_or_else(|| wrong_type(&format!("{path}['{key}']"), "a string"))
}

pub fn optional_str<'a>(
    fields: &'a Fields,
    key: &str,
    path: &str,
) -> Result<Option<&'a str>, GraphError> {
    match fields.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_str()
            .map(Some)
            .ok_or_else(|| wrong_type(&format!("{path}['{key}']"), "a string")),
    }
}

pub fn required_array<'a>(
    fields: &'a Fields,
    key: &str,
    path: &str,
) -> Result<&'a Vec<Value>, GraphError> {
    let value = required(fields, key, path)?;
    value
        .as_array()
        .ok_or_else(|| wrong_type(&format!("{path}['{key}']"), "an array"))
}

/// Characters of `text` within `min..=max`, else `code` (100 for message text, 131009 for interactive parts).
pub fn length(text: &str, min: usize, max: usize, what: &str, code: u32) -> Result<(), GraphError> {
    let count = text.chars().count();
    if count < min || count > max {
        let details = format!("{what} length invalid. Min length: {min}, Max length: {max}");
        return Err(GraphError::with_details(code, details));
    }
    Ok(())
}

pub fn missing(path: &str) -> GraphError {
    GraphError::with_details(131008, format!("The parameter {path} is required."))
}

pub fn wrong_type(path: &str, expected: &str) -> GraphError {
    GraphError::with_details(100, format!("Param {path} must be {expected}."))
}

pub fn invalid(details: impl Into<String>) -> GraphError {
    GraphError::with_details(131009, details)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_key_is_100_and_missing_is_131008() {
        let value = json!({"a": 1, "zz": 2});
        let fields = object(&value, "x").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(only_keys(fields, &["a"], "x").map_err(|e| e.code), Err(100));
        assert_eq!(required(fields, "b", "x").map_err(|e| e.code), Err(131008));
        assert_eq!(required_str(fields, "a", "x").map_err(|e| e.code), Err(100));
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert!(length("ééé", 1, 3, "Title", 131009).is_ok());
        assert_eq!(
            length("abcd", 1, 3, "Title", 131009).map_err(|e| e.code),
            Err(131009)
        );
    }
}
