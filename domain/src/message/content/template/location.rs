//! A place, for a template's location header.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;

use super::super::optional_text;
use crate::value::FieldError;

/// A place for a location header. Coordinates are kept as the decimal text
/// Meta's template examples use; a JSON number is accepted too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocationObject {
    #[serde(deserialize_with = "number_or_string")]
    pub latitude: String,
    #[serde(deserialize_with = "number_or_string")]
    pub longitude: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

impl LocationObject {
    pub(super) fn check(&self, path: &str) -> Result<(), FieldError> {
        check_coordinate(&format!("{path}.latitude"), &self.latitude, 90.0)?;
        check_coordinate(&format!("{path}.longitude"), &self.longitude, 180.0)?;
        optional_text(&format!("{path}.name"), self.name.as_deref(), 1024)?;
        optional_text(&format!("{path}.address"), self.address.as_deref(), 1024)
    }
}

fn check_coordinate(path: &str, text: &str, limit: f64) -> Result<(), FieldError> {
    match text.trim().parse::<f64>() {
        Ok(value) if value.is_finite() && value.abs() <= limit => Ok(()),
        _ => Err(FieldError::new(
            path,
            format!("must be a number of degrees from -{limit} to {limit}"),
        )),
    }
}

/// Reads a coordinate written as a JSON number or as a string.
fn number_or_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    struct Coordinate;

    impl Visitor<'_> for Coordinate {
        type Value = String;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a number of degrees, as a number or a string")
        }

        fn visit_str<E: de::Error>(self, value: &str) -> Result<String, E> {
            Ok(value.to_owned())
        }

        fn visit_f64<E: de::Error>(self, value: f64) -> Result<String, E> {
            Ok(value.to_string())
        }

        fn visit_i64<E: de::Error>(self, value: i64) -> Result<String, E> {
            Ok(value.to_string())
        }

        fn visit_u64<E: de::Error>(self, value: u64) -> Result<String, E> {
            Ok(value.to_string())
        }
    }

    deserializer.deserialize_any(Coordinate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_are_degrees_in_range() {
        let location = |latitude: &str| LocationObject {
            latitude: latitude.into(),
            longitude: "-122.14".into(),
            name: None,
            address: None,
        };
        assert!(location("37.48").check("l").is_ok());
        assert_eq!(location("91").check("l").unwrap_err().field, "l.latitude");
        assert_eq!(
            location("north").check("l").unwrap_err().field,
            "l.latitude"
        );
    }
}
