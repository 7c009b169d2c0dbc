//! Approved templates: a name, a language and the values of the template's
//! variables, component by component (OAS `TemplateObject`).

mod location;
mod parameter;

use serde::{Deserialize, Serialize};

use super::media::MediaObject;
use crate::value::FieldError;

pub use location::LocationObject;
pub use parameter::{ButtonParameter, CurrencyObject, DateTimeObject, TemplateParameter};

/// Meta's `template` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateObject {
    pub name: String,
    pub language: LanguageObject,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<TemplateComponent>,
}

/// Meta's `language` object: a code such as `en_US`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LanguageObject {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<LanguagePolicy>,
    pub code: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LanguagePolicy {
    Deterministic,
}

/// The values for one part of the template. A template has at most one
/// header and one body, and one entry per button that has a variable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum TemplateComponent {
    Header {
        #[serde(default)]
        parameters: Vec<TemplateParameter>,
    },
    Body {
        #[serde(default)]
        parameters: Vec<TemplateParameter>,
    },
    Button {
        sub_type: ButtonSubType,
        /// The button's position in the template, `"0"` to `"9"`.
        index: String,
        parameters: Vec<ButtonParameter>,
    },
}

/// The kinds of template button that take a value when sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ButtonSubType {
    /// Takes a `payload`, returned in the webhook when the button is tapped.
    QuickReply,
    /// Takes a `text`: the suffix of the URL the template defines.
    Url,
}

const MAX_TEMPLATE_NAME: usize = 512;

impl TemplateObject {
    pub(super) fn check(&self) -> Result<(), FieldError> {
        check_name(&self.name)?;
        check_language_code(&self.language.code)?;
        for (i, component) in self.components.iter().enumerate() {
            component.check(&format!("template.components[{i}]"))?;
        }
        self.check_no_repeats()
    }

    /// The media of the template's header, if it has one.
    pub(super) fn header_media(&self) -> Option<&MediaObject> {
        self.components
            .iter()
            .find_map(|component| match component {
                TemplateComponent::Header { parameters } => {
                    parameters.iter().find_map(TemplateParameter::media)
                }
                _ => None,
            })
    }

    /// Refuses a second header, a second body, or two values for the same
    /// button: Meta would refuse them with a less helpful error.
    fn check_no_repeats(&self) -> Result<(), FieldError> {
        let mut seen: Vec<String> = Vec::new();
        for (i, component) in self.components.iter().enumerate() {
            let key = match component {
                TemplateComponent::Header { .. } => "the header".to_owned(),
                TemplateComponent::Body { .. } => "the body".to_owned(),
                TemplateComponent::Button { index, .. } => format!("button {index}"),
            };
            if seen.contains(&key) {
                return Err(FieldError::new(
                    format!("template.components[{i}]"),
                    format!("repeats {key}: give each component once"),
                ));
            }
            seen.push(key);
        }
        Ok(())
    }
}

impl TemplateComponent {
    fn check(&self, path: &str) -> Result<(), FieldError> {
        match self {
            Self::Header { parameters } => {
                the_only(path, parameters, "a header")?;
                parameter::check_all(path, parameters, parameter::Place::Header)
            }
            Self::Body { parameters } => {
                parameter::check_all(path, parameters, parameter::Place::Body)
            }
            Self::Button {
                sub_type,
                index,
                parameters,
            } => {
                check_button_index(path, index)?;
                let value = the_only(path, parameters, "a button")?;
                parameter::check_button(&format!("{path}.parameters[0]"), *sub_type, value)
            }
        }
    }
}

fn the_only<'a, T>(path: &str, parameters: &'a [T], what: &str) -> Result<&'a T, FieldError> {
    match parameters {
        [only] => Ok(only),
        _ => Err(FieldError::new(
            format!("{path}.parameters"),
            format!(
                "{what} takes exactly one parameter (has {})",
                parameters.len()
            ),
        )),
    }
}

fn check_button_index(path: &str, index: &str) -> Result<(), FieldError> {
    let valid = index.len() == 1 && index.chars().all(|c| c.is_ascii_digit());
    if valid {
        Ok(())
    } else {
        Err(FieldError::new(
            format!("{path}.index"),
            "must be the button's position in the template, \"0\" to \"9\"",
        ))
    }
}

/// Meta names templates with lowercase letters, digits and `_`.
fn check_name(name: &str) -> Result<(), FieldError> {
    let valid = !name.is_empty()
        && name.len() <= MAX_TEMPLATE_NAME
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(FieldError::new(
            "template.name",
            format!("must be 1 to {MAX_TEMPLATE_NAME} lowercase letters, digits and '_', as Meta names templates"),
        ))
    }
}

/// A language, with an optional region: `en`, `fil`, `en_US`, `es_419`.
fn check_language_code(code: &str) -> Result<(), FieldError> {
    let (language, region) = code.split_once('_').unwrap_or((code, ""));
    let language_ok =
        (2..=3).contains(&language.len()) && language.chars().all(|c| c.is_ascii_lowercase());
    let region_ok = (region.is_empty() && !code.ends_with('_'))
        || ((2..=4).contains(&region.len())
            && region
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
    if language_ok && region_ok {
        Ok(())
    } else {
        Err(FieldError::new(
            "template.language.code",
            "must be a language code such as en, en_US or pt_BR",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(name: &str, code: &str, components: Vec<TemplateComponent>) -> TemplateObject {
        TemplateObject {
            name: name.into(),
            language: LanguageObject {
                policy: None,
                code: code.into(),
            },
            components,
        }
    }

    fn text(value: &str) -> TemplateParameter {
        TemplateParameter::Text {
            text: value.into(),
            parameter_name: None,
        }
    }

    fn field_of(template: TemplateObject) -> String {
        template.check().unwrap_err().field
    }

    #[test]
    fn names_are_lowercase_letters_digits_and_underscores() {
        assert_eq!(
            field_of(template("Order-Confirmation", "en", vec![])),
            "template.name"
        );
        assert_eq!(field_of(template("", "en", vec![])), "template.name");
        assert_eq!(
            field_of(template(&"a".repeat(513), "en", vec![])),
            "template.name"
        );
        assert!(template("order_confirmation_2", "en", vec![])
            .check()
            .is_ok());
    }

    #[test]
    fn the_language_code_is_required_and_well_formed() {
        for bad in ["", "english", "en-US", "en_", "EN_us"] {
            assert_eq!(
                field_of(template("sale", bad, vec![])),
                "template.language.code",
                "{bad}"
            );
        }
        for good in ["en", "fil", "en_US", "pt_BR", "es_419"] {
            assert!(template("sale", good, vec![]).check().is_ok(), "{good}");
        }
    }

    #[test]
    fn a_header_takes_exactly_one_parameter() {
        let header = TemplateComponent::Header {
            parameters: vec![text("a"), text("b")],
        };
        assert_eq!(
            field_of(template("sale", "en", vec![header])),
            "template.components[0].parameters"
        );
    }

    #[test]
    fn a_second_body_is_refused() {
        let body = || TemplateComponent::Body {
            parameters: vec![text("a")],
        };
        assert_eq!(
            field_of(template("sale", "en", vec![body(), body()])),
            "template.components[1]"
        );
    }

    #[test]
    fn a_button_index_is_one_digit() {
        let button = TemplateComponent::Button {
            sub_type: ButtonSubType::QuickReply,
            index: "10".into(),
            parameters: vec![ButtonParameter::Payload {
                payload: "STOP".into(),
            }],
        };
        assert_eq!(
            field_of(template("sale", "en", vec![button])),
            "template.components[0].index"
        );
    }

    #[test]
    fn two_values_for_the_same_button_are_refused() {
        let button = || TemplateComponent::Button {
            sub_type: ButtonSubType::Url,
            index: "1".into(),
            parameters: vec![ButtonParameter::Text {
                text: "order/1".into(),
            }],
        };
        assert_eq!(
            field_of(template("sale", "en", vec![button(), button()])),
            "template.components[1]"
        );
    }
}
