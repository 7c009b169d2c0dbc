//! Keywords about a value on its own: `type` (with OpenAPI's `nullable`),
//! `enum`, `const`, `minLength`/`maxLength`, `minimum`/`maximum`.

use serde_json::Value as Json;

use super::{type_name, Keywords};
use crate::violation::Violation;

/// How many allowed values a message lists before it stops.
const LISTED_VALUES: usize = 12;

pub(super) fn check(keywords: &Keywords, value: &Json, pointer: &str, found: &mut Vec<Violation>) {
    let nullable = keywords.get("nullable").and_then(Json::as_bool) == Some(true);
    if nullable && value.is_null() {
        return;
    }
    if let Some(message) = type_mismatch(keywords.get("type"), value) {
        found.push(Violation::new(pointer, message));
        // The other keywords of this family say nothing useful about a value
        // of the wrong type.
        return;
    }
    let checks = [
        enum_mismatch(keywords, value),
        const_mismatch(keywords, value),
        length_out_of_bounds(keywords, value),
        number_out_of_bounds(keywords, value),
    ];
    found.extend(
        checks
            .into_iter()
            .flatten()
            .map(|message| Violation::new(pointer, message)),
    );
}

fn type_mismatch(expected: Option<&Json>, value: &Json) -> Option<String> {
    let allowed: Vec<&str> = match expected? {
        Json::String(one) => vec![one.as_str()],
        Json::Array(many) => many.iter().filter_map(Json::as_str).collect(),
        _ => return None,
    };
    if allowed.iter().any(|name| has_type(value, name)) {
        return None;
    }
    Some(format!(
        "expected {}, got {}",
        allowed.join(" or "),
        type_name(value)
    ))
}

fn has_type(value: &Json, name: &str) -> bool {
    match name {
        "integer" => is_integer(value),
        // An integer is a number too.
        "number" => value.is_number(),
        other => type_name(value) == other,
    }
}

/// JSON Schema counts `3.0` as an integer: the value matters, not its spelling.
fn is_integer(value: &Json) -> bool {
    match value {
        Json::Number(n) => n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0),
        _ => false,
    }
}

fn enum_mismatch(keywords: &Keywords, value: &Json) -> Option<String> {
    let allowed = keywords.get("enum")?.as_array()?;
    if allowed.contains(value) {
        return None;
    }
    Some(format!(
        "expected one of {}, got {value}",
        list_values(allowed)
    ))
}

fn const_mismatch(keywords: &Keywords, value: &Json) -> Option<String> {
    let expected = keywords.get("const")?;
    (expected != value).then(|| format!("expected {expected}, got {value}"))
}

/// Lengths count characters (Unicode scalar values), not bytes.
fn length_out_of_bounds(keywords: &Keywords, value: &Json) -> Option<String> {
    let length = value.as_str()?.chars().count() as u64;
    let min = keywords.get("minLength").and_then(Json::as_u64);
    let max = keywords.get("maxLength").and_then(Json::as_u64);
    match (min, max) {
        (Some(min), _) if length < min => Some(format!(
            "string of {length} characters is shorter than minLength {min}"
        )),
        (_, Some(max)) if length > max => Some(format!(
            "string of {length} characters is longer than maxLength {max}"
        )),
        _ => None,
    }
}

fn number_out_of_bounds(keywords: &Keywords, value: &Json) -> Option<String> {
    let number = value.as_f64()?;
    let min = keywords.get("minimum").and_then(Json::as_f64);
    let max = keywords.get("maximum").and_then(Json::as_f64);
    match (min, max) {
        (Some(min), _) if number < min => Some(format!("{value} is less than minimum {min}")),
        (_, Some(max)) if number > max => Some(format!("{value} is greater than maximum {max}")),
        _ => None,
    }
}

/// `["a", "b", ...]`, cut short so a long enum does not flood the message.
pub(super) fn list_values(values: &[Json]) -> String {
    let shown: Vec<String> = values
        .iter()
        .take(LISTED_VALUES)
        .map(Json::to_string)
        .collect();
    let more = if values.len() > LISTED_VALUES {
        ", ..."
    } else {
        ""
    };
    format!("[{}{more}]", shown.join(", "))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn messages(schema: Json, value: Json) -> Vec<String> {
        let mut found = Vec::new();
        if let Json::Object(keywords) = schema {
            check(&keywords, &value, "/x", &mut found);
        }
        found.into_iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn a_number_where_a_string_is_expected_names_both_types() {
        assert_eq!(
            messages(json!({"type": "string"}), json!(5)),
            ["/x: expected string, got number"]
        );
    }

    #[test]
    fn integer_accepts_whole_numbers_only() {
        assert!(messages(json!({"type": "integer"}), json!(3.0)).is_empty());
        assert_eq!(messages(json!({"type": "integer"}), json!(3.5)).len(), 1);
    }

    #[test]
    fn nullable_admits_null() {
        assert!(messages(json!({"type": "string", "nullable": true}), json!(null)).is_empty());
        assert_eq!(messages(json!({"type": "string"}), json!(null)).len(), 1);
    }

    #[test]
    fn type_lists_accept_any_listed_type() {
        assert!(messages(json!({"type": ["string", "null"]}), json!(null)).is_empty());
    }

    #[test]
    fn enum_lists_the_allowed_values() {
        let found = messages(json!({"enum": ["text", "image"]}), json!("txt"));
        assert_eq!(
            found,
            [r#"/x: expected one of ["text", "image"], got "txt""#]
        );
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        assert!(messages(json!({"maxLength": 2}), json!("éé")).is_empty());
        assert_eq!(messages(json!({"minLength": 3}), json!("éé")).len(), 1);
    }

    #[test]
    fn bounds_apply_to_numbers() {
        assert_eq!(messages(json!({"minimum": 1}), json!(0)).len(), 1);
        assert_eq!(messages(json!({"maximum": 1}), json!(2.5)).len(), 1);
        assert!(messages(json!({"minimum": 1, "maximum": 2}), json!(2)).is_empty());
    }
}
