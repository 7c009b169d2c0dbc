//! The value of one template variable (OAS `ParameterObject`,
//! `ButtonParameterObject`).

use serde::{Deserialize, Serialize};

use super::super::media::{MediaObject, MediaRules};
use super::super::required_text;
use super::{ButtonSubType, LocationObject};
use crate::value::FieldError;

/// A value for a `{{1}}` or, with `parameter_name`, a `{{first_name}}`
/// variable of a template's header or body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum TemplateParameter {
    Text {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parameter_name: Option<String>,
    },
    Currency {
        currency: CurrencyObject,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parameter_name: Option<String>,
    },
    DateTime {
        date_time: DateTimeObject,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parameter_name: Option<String>,
    },
    Image {
        image: MediaObject,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parameter_name: Option<String>,
    },
    Video {
        video: MediaObject,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parameter_name: Option<String>,
    },
    Document {
        document: MediaObject,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parameter_name: Option<String>,
    },
    Location {
        location: LocationObject,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parameter_name: Option<String>,
    },
}

/// The value for a button's variable: a quick reply's payload, or the
/// suffix of a URL button's link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ButtonParameter {
    Payload { payload: String },
    Text { text: String },
}

/// An amount of money; `amount_1000` is the amount times 1,000.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CurrencyObject {
    pub fallback_value: String,
    pub code: String,
    pub amount_1000: i64,
}

/// A date. The Cloud API always shows `fallback_value`; the other fields
/// are accepted because Meta's examples still carry them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DateTimeObject {
    pub fallback_value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub month: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_of_month: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_of_week: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hour: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minute: Option<i64>,
}

/// Where a parameter stands, which decides the types it may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    Header,
    Body,
}

/// Meta's limit on a text parameter (OAS `TextParameter`).
const MAX_TEXT: usize = 32_768;
const MAX_HEADER_TEXT: usize = 60;

impl TemplateParameter {
    pub(super) fn media(&self) -> Option<&MediaObject> {
        match self {
            Self::Image { image: media, .. }
            | Self::Video { video: media, .. }
            | Self::Document {
                document: media, ..
            } => Some(media),
            _ => None,
        }
    }

    fn parameter_name(&self) -> Option<&str> {
        match self {
            Self::Text { parameter_name, .. }
            | Self::Currency { parameter_name, .. }
            | Self::DateTime { parameter_name, .. }
            | Self::Image { parameter_name, .. }
            | Self::Video { parameter_name, .. }
            | Self::Document { parameter_name, .. }
            | Self::Location { parameter_name, .. } => parameter_name.as_deref(),
        }
    }

    fn check(&self, path: &str, place: Place) -> Result<(), FieldError> {
        let fits = match self {
            Self::Currency { .. } | Self::DateTime { .. } => place == Place::Body,
            Self::Text { .. } => true,
            _ => place == Place::Header,
        };
        if !fits {
            return Err(FieldError::new(
                path,
                match place {
                    Place::Header => {
                        "a header parameter is text, image, video, document or location"
                    }
                    Place::Body => "a body parameter is text, currency or date_time",
                },
            ));
        }
        self.check_value(path, place)
    }

    fn check_value(&self, path: &str, place: Place) -> Result<(), FieldError> {
        match self {
            Self::Text { text, .. } => {
                let max = if place == Place::Header {
                    MAX_HEADER_TEXT
                } else {
                    MAX_TEXT
                };
                required_text(&format!("{path}.text"), text, max)
            }
            Self::Currency { currency, .. } => currency.check(&format!("{path}.currency")),
            Self::DateTime { date_time, .. } => required_text(
                &format!("{path}.date_time.fallback_value"),
                &date_time.fallback_value,
                MAX_TEXT,
            ),
            Self::Image { image, .. } => {
                image.check(&format!("{path}.image"), MediaRules::header(false))
            }
            Self::Video { video, .. } => {
                video.check(&format!("{path}.video"), MediaRules::header(false))
            }
            Self::Document { document, .. } => {
                document.check(&format!("{path}.document"), MediaRules::header(true))
            }
            Self::Location { location, .. } => location.check(&format!("{path}.location")),
        }
    }
}

/// Checks a header's or body's parameters, and that they are either all
/// named or all positional.
pub(super) fn check_all(
    path: &str,
    parameters: &[TemplateParameter],
    place: Place,
) -> Result<(), FieldError> {
    let named = parameters
        .first()
        .and_then(TemplateParameter::parameter_name)
        .is_some();
    for (i, parameter) in parameters.iter().enumerate() {
        let parameter_path = format!("{path}.parameters[{i}]");
        parameter.check(&parameter_path, place)?;
        check_parameter_name(&parameter_path, parameter.parameter_name(), named)?;
    }
    Ok(())
}

fn check_parameter_name(path: &str, name: Option<&str>, named: bool) -> Result<(), FieldError> {
    let path = format!("{path}.parameter_name");
    match name {
        None if !named => Ok(()),
        Some(name) if named && is_parameter_name(name) => Ok(()),
        Some(_) if named => Err(FieldError::new(
            path,
            "is lowercase letters, digits and '_', starting with a letter, as in the template",
        )),
        _ => Err(FieldError::new(
            path,
            "give every parameter of a component a parameter_name, or none",
        )),
    }
}

fn is_parameter_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Checks a button's value against the kind of button.
pub(super) fn check_button(
    path: &str,
    sub_type: ButtonSubType,
    parameter: &ButtonParameter,
) -> Result<(), FieldError> {
    match (sub_type, parameter) {
        (ButtonSubType::QuickReply, ButtonParameter::Payload { payload }) => {
            required_text(&format!("{path}.payload"), payload, MAX_TEXT)
        }
        (ButtonSubType::Url, ButtonParameter::Text { text }) => {
            required_text(&format!("{path}.text"), text, MAX_TEXT)
        }
        (ButtonSubType::QuickReply, _) => Err(FieldError::new(
            path,
            "a quick_reply button takes a payload parameter",
        )),
        (ButtonSubType::Url, _) => {
            Err(FieldError::new(path, "a url button takes a text parameter"))
        }
    }
}

impl CurrencyObject {
    fn check(&self, path: &str) -> Result<(), FieldError> {
        required_text(
            &format!("{path}.fallback_value"),
            &self.fallback_value,
            MAX_TEXT,
        )?;
        let iso_4217 = self.code.len() == 3 && self.code.chars().all(|c| c.is_ascii_uppercase());
        if iso_4217 {
            Ok(())
        } else {
            Err(FieldError::new(
                format!("{path}.code"),
                "must be an ISO 4217 currency code such as USD",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(value: &str, name: Option<&str>) -> TemplateParameter {
        TemplateParameter::Text {
            text: value.into(),
            parameter_name: name.map(str::to_owned),
        }
    }

    fn field_of(parameters: &[TemplateParameter], place: Place) -> String {
        check_all("p", parameters, place).unwrap_err().field
    }

    #[test]
    fn empty_text_is_refused() {
        assert_eq!(
            field_of(&[text("a", None), text(" ", None)], Place::Body),
            "p.parameters[1].text"
        );
    }

    #[test]
    fn header_text_is_at_most_60_characters() {
        assert_eq!(
            field_of(&[text(&"h".repeat(61), None)], Place::Header),
            "p.parameters[0].text"
        );
        assert!(check_all("p", &[text(&"h".repeat(61), None)], Place::Body).is_ok());
    }

    #[test]
    fn media_is_refused_in_a_body() {
        let image = TemplateParameter::Image {
            image: MediaObject {
                id: Some("1".into()),
                link: None,
                caption: None,
                filename: None,
            },
            parameter_name: None,
        };
        assert_eq!(field_of(&[image], Place::Body), "p.parameters[0]");
    }

    #[test]
    fn currency_needs_an_iso_code() {
        let currency = TemplateParameter::Currency {
            currency: CurrencyObject {
                fallback_value: "$1".into(),
                code: "usd".into(),
                amount_1000: 1000,
            },
            parameter_name: None,
        };
        assert_eq!(
            field_of(&[currency], Place::Body),
            "p.parameters[0].currency.code"
        );
    }

    #[test]
    fn named_and_positional_parameters_do_not_mix() {
        let mixed = [text("Ana", Some("first_name")), text("10", None)];
        assert_eq!(
            field_of(&mixed, Place::Body),
            "p.parameters[1].parameter_name"
        );
        let badly_named = [text("Ana", Some("First Name"))];
        assert_eq!(
            field_of(&badly_named, Place::Body),
            "p.parameters[0].parameter_name"
        );
    }

    #[test]
    fn a_quick_reply_takes_a_payload() {
        let wrong = ButtonParameter::Text { text: "x".into() };
        let error = check_button("b", ButtonSubType::QuickReply, &wrong).unwrap_err();
        assert_eq!(error.field, "b");
    }
}
