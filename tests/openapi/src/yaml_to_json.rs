//! Turns the YAML document into a `serde_json::Value`, the form the checker
//! walks.
//!
//! Going through `serde_norway::Value` rather than deserialising straight into
//! JSON does two jobs: mapping keys that YAML reads as numbers or booleans
//! (`200:` under `responses`) become strings, and the caller can read the
//! order of `components.schemas`, which [`crate::merged_schemas`] needs and a
//! `serde_json::Map` would lose.

use serde_json::{Map, Value as Json};
use serde_norway::Value as Yaml;

use crate::error::ContractError;
use crate::violation::child_pointer;

/// Converts `yaml`, found at JSON pointer `at`, into JSON.
pub(crate) fn yaml_to_json(yaml: &Yaml, at: &str) -> Result<Json, ContractError> {
    Ok(match yaml {
        Yaml::Null => Json::Null,
        Yaml::Bool(b) => Json::Bool(*b),
        Yaml::Number(n) => number_to_json(n, at)?,
        Yaml::String(s) => Json::String(s.clone()),
        Yaml::Sequence(items) => Json::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| yaml_to_json(item, &child_pointer(at, &i.to_string())))
                .collect::<Result<_, _>>()?,
        ),
        Yaml::Mapping(mapping) => mapping_to_json(mapping, at)?,
        // A tag such as `!!binary` names how to read the value; the value
        // itself is all a schema check needs.
        Yaml::Tagged(tagged) => yaml_to_json(&tagged.value, at)?,
    })
}

fn mapping_to_json(mapping: &serde_norway::Mapping, at: &str) -> Result<Json, ContractError> {
    let mut object = Map::with_capacity(mapping.len());
    for (key, value) in mapping {
        let key = key_to_string(key, at)?;
        let converted = yaml_to_json(value, &child_pointer(at, &key))?;
        object.insert(key, converted);
    }
    Ok(Json::Object(object))
}

/// The text of a scalar mapping key, as OpenAPI means it (`200` is the
/// status code "200").
pub(crate) fn key_to_string(key: &Yaml, at: &str) -> Result<String, ContractError> {
    match key {
        Yaml::String(s) => Ok(s.clone()),
        Yaml::Number(n) => Ok(n.to_string()),
        Yaml::Bool(b) => Ok(b.to_string()),
        Yaml::Null => Ok("null".to_owned()),
        Yaml::Tagged(tagged) => key_to_string(&tagged.value, at),
        Yaml::Sequence(_) | Yaml::Mapping(_) => Err(ContractError::NotJson {
            at: at.to_owned(),
            what: "a mapping key that is not a scalar".to_owned(),
        }),
    }
}

fn number_to_json(n: &serde_norway::Number, at: &str) -> Result<Json, ContractError> {
    if let Some(i) = n.as_i64() {
        return Ok(Json::from(i));
    }
    if let Some(u) = n.as_u64() {
        return Ok(Json::from(u));
    }
    n.as_f64()
        .and_then(serde_json::Number::from_f64)
        .map(Json::Number)
        .ok_or_else(|| ContractError::NotJson {
            at: at.to_owned(),
            what: format!("the number {n}"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(text: &str) -> Result<Json, ContractError> {
        let yaml: Yaml = serde_norway::from_str(text).map_err(|source| ContractError::Yaml {
            path: "test".into(),
            source,
        })?;
        yaml_to_json(&yaml, "")
    }

    #[test]
    fn numeric_and_boolean_keys_become_strings() -> Result<(), ContractError> {
        let json = convert("responses:\n  200: ok\n  true: yes\n")?;
        assert_eq!(
            json,
            serde_json::json!({"responses": {"200": "ok", "true": "yes"}})
        );
        Ok(())
    }

    #[test]
    fn integers_stay_integers_and_floats_stay_floats() -> Result<(), ContractError> {
        let json = convert("a: 3\nb: -2\nc: 1.5\n")?;
        assert_eq!(json, serde_json::json!({"a": 3, "b": -2, "c": 1.5}));
        Ok(())
    }

    #[test]
    fn nan_is_refused_with_its_location() {
        let result = convert("a:\n  b: .nan\n");
        assert!(matches!(result, Err(ContractError::NotJson { ref at, .. }) if at == "/a/b"));
    }
}
