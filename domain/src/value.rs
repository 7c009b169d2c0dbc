//! Errors of value objects, in words a user can act on.

use std::fmt;

/// Why a value was refused, without saying which field it was in: the caller
/// knows that and adds it with [`ValueError::at`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ValueError(String);

impl ValueError {
    pub fn new(reason: impl Into<String>) -> Self {
        Self(reason.into())
    }

    /// Names the field the refused value came from.
    pub fn at(self, field: impl Into<String>) -> FieldError {
        FieldError::new(field, self.0)
    }

    pub fn reason(&self) -> &str {
        &self.0
    }
}

/// A refused value and the field it came from, named as clients name it
/// (`campaignName`, `schedule.startTime`, `recipients[2].phoneNumber`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Makes a validated string type convert from `String` through its
/// `parse`, and back, so that it (de)serializes as a plain string and is
/// checked again whenever it is read back.
macro_rules! string_value {
    ($name:ident) => {
        impl TryFrom<String> for $name {
            type Error = $crate::value::ValueError;
            fn try_from(text: String) -> Result<Self, Self::Error> {
                Self::parse(&text)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }
    };
}
pub(crate) use string_value;

/// Checks that `text`, once trimmed, has between `min` and `max` characters.
pub(crate) fn trimmed_text(text: &str, min: usize, max: usize) -> Result<String, ValueError> {
    let trimmed = text.trim();
    let length = trimmed.chars().count();
    if length < min {
        return Err(ValueError::new(if min == 1 {
            "must not be empty".to_owned()
        } else {
            format!("must have at least {min} characters")
        }));
    }
    if length > max {
        return Err(ValueError::new(format!(
            "must have at most {max} characters (has {length})"
        )));
    }
    Ok(trimmed.to_owned())
}

/// Reads a field that may be absent (the `Option` stays `None`, through
/// `#[serde(default)]`), null (`Some(None)`) or a value (`Some(Some(v))`):
/// a PATCH or an edit event tells "leave it" from "clear it" this way.
///
/// # Errors
/// When the value does not read as a `T`.
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}
