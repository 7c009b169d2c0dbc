//! Recipients as requests give them: phone numbers, or objects with
//! `phoneNumber`, `name` and `customData`, each error named by its place.

use herald_domain::campaign::Recipient;
use herald_domain::{FieldError, PhoneNumber};
use serde_json::Value;
use std::collections::BTreeMap;

/// Recipients as a list of phone numbers, or of objects with
/// `phoneNumber`, `name` and `customData`.
pub(super) fn recipients(items: Vec<Value>) -> Result<Vec<Recipient>, FieldError> {
    items
        .iter()
        .enumerate()
        .map(|(index, item)| recipient(&format!("recipients[{index}]"), item))
        .collect()
}

fn recipient(field: &str, item: &Value) -> Result<Recipient, FieldError> {
    let phone = |text: &str, at: &str| {
        PhoneNumber::parse(text)
            .map(Recipient::new)
            .map_err(|e| e.at(at))
    };
    match item {
        Value::String(text) => phone(text, field),
        Value::Object(map) => {
            if let Some(unknown) = map
                .keys()
                .find(|k| !["phoneNumber", "name", "customData"].contains(&k.as_str()))
            {
                return Err(FieldError::new(
                    format!("{field}.{unknown}"),
                    "unknown field: a recipient has phoneNumber, name and customData",
                ));
            }
            let number_field = format!("{field}.phoneNumber");
            let number = map
                .get("phoneNumber")
                .and_then(Value::as_str)
                .ok_or_else(|| FieldError::new(&number_field, "is required, as text"))?;
            let name = match map.get("name") {
                None | Some(Value::Null) => None,
                Some(Value::String(name)) => Some(name.as_str()),
                Some(_) => return Err(FieldError::new(format!("{field}.name"), "must be text")),
            };
            phone(number, &number_field)?.with_details(
                field,
                name,
                custom_data(field, map.get("customData"))?,
            )
        }
        _ => Err(FieldError::new(
            field,
            "must be a phone number, or an object with phoneNumber, name and customData",
        )),
    }
}

fn custom_data(field: &str, value: Option<&Value>) -> Result<BTreeMap<String, String>, FieldError> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(BTreeMap::new());
    };
    let map = value
        .as_object()
        .ok_or_else(|| FieldError::new(format!("{field}.customData"), "must be an object"))?;
    map.iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| {
            let text = scalar_text(v).ok_or_else(|| {
                FieldError::new(
                    format!("{field}.customData.{k}"),
                    "must be text, a number or true/false",
                )
            })?;
            Ok((k.clone(), text))
        })
        .collect()
}

pub(super) fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}
