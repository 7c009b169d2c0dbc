//! The content of one outbound WhatsApp message: a text, a media file, an
//! approved template or an interactive message, valid by construction.
//!
//! [`RawMessageContent`] mirrors Meta's message object without its envelope
//! (`messaging_product`, `recipient_type`, `to`, `context` and
//! `biz_opaque_callback_data` belong to the send, not to the content). Its
//! field names are exactly Meta's, so users can paste Meta's examples, and
//! unknown fields are refused instead of being silently dropped.
//!
//! [`MessageContent`] is the same object once every limit of the Cloud API
//! has been checked. It serializes in Meta's shape and is checked again
//! whenever it is read back, so an event holding it can be sent as it is.
//!
//! - `media`: images, videos, audio, documents and stickers, by id or link.
//! - `template`: approved templates and their parameters.
//! - `interactive`: reply buttons and lists.

mod interactive;
mod media;
mod template;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::value::FieldError;

pub use interactive::{
    ActionObject, BodyObject, FooterObject, HeaderKind, HeaderObject, InteractiveKind,
    InteractiveObject, ReplyButton, ReplyButtonKind, ReplyObject, RowObject, SectionObject,
};
pub use media::MediaObject;
pub use template::{
    ButtonParameter, ButtonSubType, CurrencyObject, DateTimeObject, LanguageObject, LanguagePolicy,
    LocationObject, TemplateComponent, TemplateObject, TemplateParameter,
};

/// What kind of message a content is: Meta's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    Text,
    Image,
    Video,
    Audio,
    Document,
    Sticker,
    Template,
    Interactive,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Image => "image",
            Self::Video => "video",
            Self::Audio => "audio",
            Self::Document => "document",
            Self::Sticker => "sticker",
            Self::Template => "template",
            Self::Interactive => "interactive",
        }
    }
}

/// Meta's message object without the envelope, as a client wrote it:
/// `{"type":"text","text":{"body":"Hello"}}`. Nothing is checked yet beyond
/// the JSON shape; [`MessageContent::try_from`] checks the rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMessageContent {
    #[serde(rename = "type")]
    pub kind: MessageKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<TextObject>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<MediaObject>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video: Option<MediaObject>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<MediaObject>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<MediaObject>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sticker: Option<MediaObject>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<TemplateObject>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interactive: Option<InteractiveObject>,
}

/// Meta's `text` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextObject {
    pub body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview_url: Option<bool>,
}

const MAX_TEXT_BODY: usize = 4096;

/// One outbound message's content, within every limit of the Cloud API.
///
/// It holds the checked [`RawMessageContent`], whose one object matching
/// `type` is present and every other absent. The content is boxed: it is
/// large, and commands and events carry it beside small variants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawMessageContent", into = "RawMessageContent")]
pub struct MessageContent(Box<RawMessageContent>);

impl MessageContent {
    /// A plain text message, without a link preview.
    ///
    /// # Errors
    /// When the body is blank or longer than 4,096 characters.
    pub fn text(body: impl Into<String>) -> Result<Self, FieldError> {
        Self::try_from(RawMessageContent {
            text: Some(TextObject {
                body: body.into(),
                preview_url: None,
            }),
            ..RawMessageContent::empty(MessageKind::Text)
        })
    }

    pub fn kind(&self) -> MessageKind {
        self.0.kind
    }

    pub fn is_template(&self) -> bool {
        self.0.kind == MessageKind::Template
    }

    /// A line that stands for the message in lists: the text body, the
    /// media caption, the interactive body or the template's name.
    pub fn summary(&self) -> Option<String> {
        let raw = &self.0;
        let text = match raw.kind {
            MessageKind::Text => raw.text.as_ref().map(|t| t.body.as_str()),
            MessageKind::Template => raw.template.as_ref().map(|t| t.name.as_str()),
            MessageKind::Interactive => raw
                .interactive
                .as_ref()
                .and_then(|i| i.body.as_ref())
                .map(|b| b.text.as_str()),
            _ => raw.media().and_then(|m| m.caption.as_deref()),
        };
        text.map(str::to_owned)
    }

    /// The link of the message's media file, or of its header's for a
    /// template or an interactive message; `None` for media sent by id.
    pub fn media_link(&self) -> Option<&str> {
        let raw = &self.0;
        let media = match raw.kind {
            MessageKind::Template => raw.template.as_ref().and_then(TemplateObject::header_media),
            MessageKind::Interactive => raw
                .interactive
                .as_ref()
                .and_then(|i| i.header.as_ref())
                .and_then(HeaderObject::media),
            _ => raw.media(),
        };
        media.and_then(|m| m.link.as_deref())
    }

    /// The checked content, field by field as Meta names them.
    pub fn as_raw(&self) -> &RawMessageContent {
        &self.0
    }
}

impl TryFrom<RawMessageContent> for MessageContent {
    type Error = FieldError;

    fn try_from(raw: RawMessageContent) -> Result<Self, FieldError> {
        raw.check_only_its_object()?;
        let missing = || {
            FieldError::new(
                raw.kind.as_str(),
                format!("is required for a {} message", raw.kind.as_str()),
            )
        };
        match raw.kind {
            MessageKind::Text => check_text_object(raw.text.as_ref().ok_or_else(missing)?)?,
            MessageKind::Template => raw.template.as_ref().ok_or_else(missing)?.check()?,
            MessageKind::Interactive => raw.interactive.as_ref().ok_or_else(missing)?.check()?,
            kind => raw
                .media()
                .ok_or_else(missing)?
                .check(kind.as_str(), media::MediaRules::message(kind))?,
        }
        Ok(Self(Box::new(raw)))
    }
}

impl From<MessageContent> for RawMessageContent {
    fn from(content: MessageContent) -> Self {
        *content.0
    }
}

impl RawMessageContent {
    /// A content of this kind with no object yet.
    pub fn empty(kind: MessageKind) -> Self {
        Self {
            kind,
            text: None,
            image: None,
            video: None,
            audio: None,
            document: None,
            sticker: None,
            template: None,
            interactive: None,
        }
    }

    fn objects(&self) -> [(MessageKind, bool); 8] {
        [
            (MessageKind::Text, self.text.is_some()),
            (MessageKind::Image, self.image.is_some()),
            (MessageKind::Video, self.video.is_some()),
            (MessageKind::Audio, self.audio.is_some()),
            (MessageKind::Document, self.document.is_some()),
            (MessageKind::Sticker, self.sticker.is_some()),
            (MessageKind::Template, self.template.is_some()),
            (MessageKind::Interactive, self.interactive.is_some()),
        ]
    }

    /// Refuses an object that does not match `type`, which Meta would
    /// ignore or refuse depending on the object.
    fn check_only_its_object(&self) -> Result<(), FieldError> {
        let stray = self
            .objects()
            .into_iter()
            .find(|&(kind, present)| present && kind != self.kind);
        match stray {
            Some((kind, _)) => Err(FieldError::new(
                kind.as_str(),
                format!("does not belong to a {} message", self.kind.as_str()),
            )),
            None => Ok(()),
        }
    }

    fn media(&self) -> Option<&MediaObject> {
        match self.kind {
            MessageKind::Image => self.image.as_ref(),
            MessageKind::Video => self.video.as_ref(),
            MessageKind::Audio => self.audio.as_ref(),
            MessageKind::Document => self.document.as_ref(),
            MessageKind::Sticker => self.sticker.as_ref(),
            _ => None,
        }
    }
}

fn check_text_object(text: &TextObject) -> Result<(), FieldError> {
    required_text("text.body", &text.body, MAX_TEXT_BODY)
}

/// Refuses blank text and text over `max` characters, counted as Meta
/// counts them (Unicode scalar values, before any trimming).
fn required_text(field: &str, text: &str, max: usize) -> Result<(), FieldError> {
    if text.trim().is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    let length = text.chars().count();
    if length > max {
        return Err(FieldError::new(
            field,
            format!("must have at most {max} characters (has {length})"),
        ));
    }
    Ok(())
}

/// As [`required_text`], for a field that may be left out.
fn optional_text(field: &str, text: Option<&str>, max: usize) -> Result<(), FieldError> {
    text.map_or(Ok(()), |text| required_text(field, text, max))
}
