//! What a campaign sends: a text, a media file by link, or an approved
//! template with its variables. Limits are the Cloud API's.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::value::{string_value, FieldError, ValueError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageType {
    Text,
    Image,
    Video,
    Document,
    Template,
}

impl MessageType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Image => "image",
            Self::Video => "video",
            Self::Document => "document",
            Self::Template => "template",
        }
    }

    fn is_media(self) -> bool {
        matches!(self, Self::Image | Self::Video | Self::Document)
    }
}

const MAX_TEXT: usize = 4096;
const MAX_CAPTION: usize = 1024;
const MAX_URL: usize = 2048;

/// A link to a media file the Cloud API can fetch: `http(s)://host/...`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MediaUrl(String);

impl MediaUrl {
    /// # Errors
    /// When the text is not an absolute http(s) URL with a host, has
    /// whitespace, or is longer than 2,048 characters.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let rest = text
            .strip_prefix("https://")
            .or_else(|| text.strip_prefix("http://"))
            .ok_or_else(|| ValueError::new("must be an http:// or https:// URL"))?;
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if host.is_empty() || text.chars().any(char::is_whitespace) {
            return Err(ValueError::new("must be a URL with a host and no spaces"));
        }
        if text.len() > MAX_URL {
            return Err(ValueError::new(format!(
                "must have at most {MAX_URL} characters"
            )));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_value!(MediaUrl);

/// An approved WhatsApp template: its name, language and the values of its
/// variables, which may hold personalisation placeholders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateMessage {
    pub name: String,
    pub language: String,
    pub variables: TemplateVariables,
}

/// `{{1}}`-style templates take a list; `{{first_name}}`-style ones a map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TemplateVariables {
    Positional(Vec<String>),
    Named(BTreeMap<String, String>),
}

impl Default for TemplateVariables {
    fn default() -> Self {
        Self::Positional(Vec::new())
    }
}

impl TemplateVariables {
    pub fn values(&self) -> Vec<&str> {
        match self {
            Self::Positional(values) => values.iter().map(String::as_str).collect(),
            Self::Named(values) => values.values().map(String::as_str).collect(),
        }
    }
}

impl TemplateMessage {
    /// # Errors
    /// When the name is not lowercase letters, digits and `_` (at most 512),
    /// the language is not a code like `en` or `en_US`, or a variable is
    /// empty or badly named. Each error names its field under `template`.
    pub fn parse(
        name: &str,
        language: &str,
        variables: TemplateVariables,
    ) -> Result<Self, FieldError> {
        check_template_name(name).map_err(|e| e.at("template.name"))?;
        check_language(language).map_err(|e| e.at("template.language"))?;
        check_variables(&variables)?;
        Ok(Self {
            name: name.to_owned(),
            language: language.to_owned(),
            variables,
        })
    }
}

fn check_template_name(name: &str) -> Result<(), ValueError> {
    let valid = !name.is_empty()
        && name.len() <= 512
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(ValueError::new(
            "must be 1 to 512 lowercase letters, digits and '_', as Meta names templates",
        ))
    }
}

fn check_language(code: &str) -> Result<(), ValueError> {
    let (language, region) = code.split_once('_').unwrap_or((code, ""));
    let language_ok =
        (2..=3).contains(&language.len()) && language.chars().all(|c| c.is_ascii_lowercase());
    let region_ok = region.is_empty()
        || ((2..=4).contains(&region.len())
            && region
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
    if language_ok && region_ok && !code.ends_with('_') {
        Ok(())
    } else {
        Err(ValueError::new(
            "must be a language code such as en, en_US or pt_BR",
        ))
    }
}

fn check_variables(variables: &TemplateVariables) -> Result<(), FieldError> {
    let entries: Vec<(String, &str)> = match variables {
        TemplateVariables::Positional(values) => values
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("template.variables[{i}]"), v.as_str()))
            .collect(),
        TemplateVariables::Named(values) => values
            .iter()
            .map(|(k, v)| (format!("template.variables.{k}"), v.as_str()))
            .collect(),
    };
    if entries.len() > 100 {
        return Err(FieldError::new(
            "template.variables",
            "at most 100 variables",
        ));
    }
    if let TemplateVariables::Named(values) = variables {
        if let Some(bad) = values.keys().find(|k| !is_parameter_name(k)) {
            return Err(FieldError::new(
                format!("template.variables.{bad}"),
                "a named parameter is lowercase letters, digits and '_', starting with a letter",
            ));
        }
    }
    for (field, value) in entries {
        if value.trim().is_empty() {
            return Err(FieldError::new(
                field,
                "must not be empty: Meta refuses empty parameters",
            ));
        }
        if value.chars().count() > MAX_CAPTION {
            return Err(FieldError::new(
                field,
                format!("must have at most {MAX_CAPTION} characters"),
            ));
        }
    }
    Ok(())
}

fn is_parameter_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The message of a campaign, one shape per message type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum CampaignMessage {
    Text {
        body: String,
    },
    Image {
        url: MediaUrl,
        caption: Option<String>,
    },
    Video {
        url: MediaUrl,
        caption: Option<String>,
    },
    Document {
        url: MediaUrl,
        caption: Option<String>,
    },
    Template {
        template: TemplateMessage,
    },
}

/// The message fields of a request, before they are checked against each
/// other. Each is `None` when the request left it out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageFields {
    pub message_type: Option<MessageType>,
    pub content: Option<String>,
    pub media_url: Option<MediaUrl>,
    pub template: Option<TemplateMessage>,
}

impl MessageFields {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

impl CampaignMessage {
    /// Builds a message from request fields, checking that they fit the type.
    ///
    /// # Errors
    /// When the type is missing, a field the type needs is missing, a field
    /// does not belong to the type, or a text is over the Cloud API's limit.
    pub fn assemble(fields: MessageFields) -> Result<Self, FieldError> {
        let message_type = fields
            .message_type
            .ok_or_else(|| FieldError::new("messageType", "is required"))?;
        if message_type != MessageType::Template && fields.template.is_some() {
            return Err(FieldError::new(
                "template",
                "only applies when messageType is template",
            ));
        }
        if !message_type.is_media() && fields.media_url.is_some() {
            return Err(FieldError::new(
                "mediaUrl",
                "only applies to image, video and document messages",
            ));
        }
        match message_type {
            MessageType::Text => text_message(fields.content),
            MessageType::Template => template_message(fields.content, fields.template),
            media => media_message(media, fields.content, fields.media_url),
        }
    }

    /// Applies the fields a PATCH request gave. Fields of the same type merge
    /// with the current message; a new type starts from the given fields only.
    ///
    /// # Errors
    /// As [`CampaignMessage::assemble`] for the merged fields.
    pub fn patched(&self, patch: MessageFields) -> Result<Self, FieldError> {
        let current = self.fields();
        if patch.message_type.is_some() && patch.message_type != current.message_type {
            return Self::assemble(patch);
        }
        Self::assemble(MessageFields {
            message_type: current.message_type,
            content: patch.content.or(current.content),
            media_url: patch.media_url.or(current.media_url),
            template: patch.template.or(current.template),
        })
    }

    pub fn fields(&self) -> MessageFields {
        MessageFields {
            message_type: Some(self.message_type()),
            content: self.content().map(str::to_owned),
            media_url: self.media_url().cloned(),
            template: self.template().cloned(),
        }
    }

    pub fn message_type(&self) -> MessageType {
        match self {
            Self::Text { .. } => MessageType::Text,
            Self::Image { .. } => MessageType::Image,
            Self::Video { .. } => MessageType::Video,
            Self::Document { .. } => MessageType::Document,
            Self::Template { .. } => MessageType::Template,
        }
    }

    /// The text body, or a media file's caption.
    pub fn content(&self) -> Option<&str> {
        match self {
            Self::Text { body } => Some(body),
            Self::Image { caption, .. }
            | Self::Video { caption, .. }
            | Self::Document { caption, .. } => caption.as_deref(),
            Self::Template { .. } => None,
        }
    }

    pub fn media_url(&self) -> Option<&MediaUrl> {
        match self {
            Self::Image { url, .. } | Self::Video { url, .. } | Self::Document { url, .. } => {
                Some(url)
            }
            _ => None,
        }
    }

    pub fn template(&self) -> Option<&TemplateMessage> {
        match self {
            Self::Template { template } => Some(template),
            _ => None,
        }
    }

    /// Every text a recipient will read, where placeholders may stand.
    pub fn personalizable_texts(&self) -> Vec<&str> {
        match self {
            Self::Template { template } => template.variables.values(),
            other => other.content().into_iter().collect(),
        }
    }
}

fn text_message(content: Option<String>) -> Result<CampaignMessage, FieldError> {
    let body = content.unwrap_or_default();
    if body.trim().is_empty() {
        return Err(FieldError::new(
            "messageContent",
            "is required for a text message",
        ));
    }
    check_length("messageContent", &body, MAX_TEXT)?;
    Ok(CampaignMessage::Text { body })
}

fn media_message(
    message_type: MessageType,
    content: Option<String>,
    media_url: Option<MediaUrl>,
) -> Result<CampaignMessage, FieldError> {
    let url = media_url.ok_or_else(|| {
        FieldError::new(
            "mediaUrl",
            format!("is required for a {} message", message_type.as_str()),
        )
    })?;
    let caption = content.filter(|c| !c.trim().is_empty());
    if let Some(caption) = &caption {
        check_length("messageContent", caption, MAX_CAPTION)?;
    }
    Ok(match message_type {
        MessageType::Image => CampaignMessage::Image { url, caption },
        MessageType::Video => CampaignMessage::Video { url, caption },
        _ => CampaignMessage::Document { url, caption },
    })
}

fn template_message(
    content: Option<String>,
    template: Option<TemplateMessage>,
) -> Result<CampaignMessage, FieldError> {
    if content.is_some() {
        return Err(FieldError::new(
            "messageContent",
            "a template carries its own text: leave messageContent out and give template.variables",
        ));
    }
    let template = template
        .ok_or_else(|| FieldError::new("template", "is required for a template message"))?;
    Ok(CampaignMessage::Template { template })
}

fn check_length(field: &str, text: &str, max: usize) -> Result<(), FieldError> {
    let length = text.chars().count();
    if length > max {
        return Err(FieldError::new(
            field,
            format!("must have at most {max} characters (has {length})"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> MediaUrl {
        MediaUrl::parse(text).unwrap()
    }

    fn fields(message_type: MessageType) -> MessageFields {
        MessageFields {
            message_type: Some(message_type),
            ..Default::default()
        }
    }

    #[test]
    fn a_text_message_needs_content() {
        let error = CampaignMessage::assemble(fields(MessageType::Text)).unwrap_err();
        assert_eq!(error.field, "messageContent");
    }

    #[test]
    fn a_text_over_4096_characters_is_refused() {
        let too_long = MessageFields {
            content: Some("a".repeat(4097)),
            ..fields(MessageType::Text)
        };
        assert_eq!(
            CampaignMessage::assemble(too_long).unwrap_err().field,
            "messageContent"
        );
    }

    #[test]
    fn a_media_message_needs_a_url_and_takes_a_caption() {
        assert_eq!(
            CampaignMessage::assemble(fields(MessageType::Image))
                .unwrap_err()
                .field,
            "mediaUrl"
        );
        let image = MessageFields {
            content: Some("Look".into()),
            media_url: Some(url("https://cdn.example.com/a.jpg")),
            ..fields(MessageType::Image)
        };
        let message = CampaignMessage::assemble(image).unwrap();
        assert_eq!(message.content(), Some("Look"));
    }

    #[test]
    fn a_caption_over_1024_characters_is_refused() {
        let image = MessageFields {
            content: Some("a".repeat(1025)),
            media_url: Some(url("https://cdn.example.com/a.jpg")),
            ..fields(MessageType::Image)
        };
        assert_eq!(
            CampaignMessage::assemble(image).unwrap_err().field,
            "messageContent"
        );
    }

    #[test]
    fn a_text_message_refuses_a_media_url() {
        let text = MessageFields {
            content: Some("Hi".into()),
            media_url: Some(url("https://cdn.example.com/a.jpg")),
            ..fields(MessageType::Text)
        };
        assert_eq!(
            CampaignMessage::assemble(text).unwrap_err().field,
            "mediaUrl"
        );
    }

    #[test]
    fn a_template_message_needs_a_template_and_no_content() {
        assert_eq!(
            CampaignMessage::assemble(fields(MessageType::Template))
                .unwrap_err()
                .field,
            "template"
        );
        let template =
            TemplateMessage::parse("sale", "en_US", TemplateVariables::default()).unwrap();
        let with_content = MessageFields {
            content: Some("Hi".into()),
            template: Some(template),
            ..fields(MessageType::Template)
        };
        assert_eq!(
            CampaignMessage::assemble(with_content).unwrap_err().field,
            "messageContent"
        );
    }

    #[test]
    fn template_names_and_languages_follow_meta() {
        let none = TemplateVariables::default;
        assert_eq!(
            TemplateMessage::parse("Sale!", "en", none())
                .unwrap_err()
                .field,
            "template.name"
        );
        assert_eq!(
            TemplateMessage::parse("sale", "english", none())
                .unwrap_err()
                .field,
            "template.language"
        );
        assert!(TemplateMessage::parse("sale_2", "pt_BR", none()).is_ok());
    }

    #[test]
    fn empty_template_variables_are_refused_by_position() {
        let variables = TemplateVariables::Positional(vec!["a".into(), " ".into()]);
        let error = TemplateMessage::parse("sale", "en", variables).unwrap_err();
        assert_eq!(error.field, "template.variables[1]");
    }

    #[test]
    fn media_urls_must_be_http_with_a_host() {
        assert!(MediaUrl::parse("ftp://x/y").is_err());
        assert!(MediaUrl::parse("https:///y").is_err());
        assert!(MediaUrl::parse("https://x/a b").is_err());
        assert!(MediaUrl::parse("http://x").is_ok());
    }

    #[test]
    fn patching_the_caption_keeps_the_media_url() {
        let image = CampaignMessage::Image {
            url: url("https://x/a.jpg"),
            caption: None,
        };
        let patched = image
            .patched(MessageFields {
                content: Some("New".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(patched.media_url(), Some(&url("https://x/a.jpg")));
        assert_eq!(patched.content(), Some("New"));
    }

    #[test]
    fn patching_to_another_type_starts_afresh() {
        let image = CampaignMessage::Image {
            url: url("https://x/a.jpg"),
            caption: Some("Old".into()),
        };
        let patched = image
            .patched(MessageFields {
                content: Some("Hello".into()),
                ..fields(MessageType::Text)
            })
            .unwrap();
        assert_eq!(
            patched,
            CampaignMessage::Text {
                body: "Hello".into()
            }
        );
    }
}
