//! Media files, by the id of an uploaded file or by a link Meta fetches.

use serde::{Deserialize, Serialize};

use super::{optional_text, MessageKind};
use crate::campaign::MediaUrl;
use crate::value::FieldError;

/// Meta's media object (OAS `MediaObject`): exactly one of `id` and `link`,
/// with a caption where the message type takes one and a file name for
/// documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaObject {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
}

const MAX_CAPTION: usize = 1024;
const MAX_MEDIA_ID: usize = 256;
const MAX_FILENAME: usize = 240;

/// Which optional fields a media object takes where it stands.
#[derive(Debug, Clone, Copy)]
pub(super) struct MediaRules {
    caption: bool,
    filename: bool,
}

impl MediaRules {
    /// A message's own media: audio and stickers take no caption, and only
    /// documents have a file name.
    pub(super) fn message(kind: MessageKind) -> Self {
        Self {
            caption: !matches!(kind, MessageKind::Audio | MessageKind::Sticker),
            filename: kind == MessageKind::Document,
        }
    }

    /// Media in a template parameter or an interactive header, which take no
    /// caption (OAS `ImageParameter`); a document keeps its file name.
    pub(super) fn header(is_document: bool) -> Self {
        Self {
            caption: false,
            filename: is_document,
        }
    }
}

impl MediaObject {
    /// Checks the object found at `field` (`image`,
    /// `template.components[0].parameters[0].image`, ...).
    pub(super) fn check(&self, field: &str, rules: MediaRules) -> Result<(), FieldError> {
        match (&self.id, &self.link) {
            (Some(_), Some(_)) => {
                return Err(FieldError::new(field, "give either id or link, not both"))
            }
            (None, None) => return Err(FieldError::new(field, "needs an id or a link")),
            (Some(id), None) => check_id(&format!("{field}.id"), id)?,
            (None, Some(link)) => {
                MediaUrl::parse(link).map_err(|e| e.at(format!("{field}.link")))?;
            }
        }
        check_extra(
            field,
            "caption",
            self.caption.as_deref(),
            rules.caption,
            MAX_CAPTION,
        )?;
        check_extra(
            field,
            "filename",
            self.filename.as_deref(),
            rules.filename,
            MAX_FILENAME,
        )
    }
}

fn check_id(field: &str, id: &str) -> Result<(), FieldError> {
    if id.is_empty() || id.len() > MAX_MEDIA_ID || id.chars().any(char::is_whitespace) {
        return Err(FieldError::new(
            field,
            format!("must be the id of an uploaded media file (1 to {MAX_MEDIA_ID} characters, no spaces)"),
        ));
    }
    Ok(())
}

fn check_extra(
    field: &str,
    name: &str,
    value: Option<&str>,
    allowed: bool,
    max: usize,
) -> Result<(), FieldError> {
    let path = format!("{field}.{name}");
    if value.is_some() && !allowed {
        return Err(FieldError::new(path, "is not taken here"));
    }
    optional_text(&path, value, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn media(id: Option<&str>, link: Option<&str>) -> MediaObject {
        MediaObject {
            id: id.map(str::to_owned),
            link: link.map(str::to_owned),
            caption: None,
            filename: None,
        }
    }

    fn image_rules() -> MediaRules {
        MediaRules::message(MessageKind::Image)
    }

    #[test]
    fn media_needs_exactly_one_of_id_and_link() {
        let both = media(Some("123"), Some("https://x/y.jpg"));
        assert_eq!(
            both.check("image", image_rules()).unwrap_err().field,
            "image"
        );
        let neither = media(None, None);
        assert_eq!(
            neither.check("image", image_rules()).unwrap_err().field,
            "image"
        );
    }

    #[test]
    fn a_link_must_be_an_http_url() {
        let ftp = media(None, Some("ftp://x/y.jpg"));
        assert_eq!(
            ftp.check("image", image_rules()).unwrap_err().field,
            "image.link"
        );
    }

    #[test]
    fn an_id_has_no_spaces() {
        let spaced = media(Some("12 3"), None);
        assert_eq!(
            spaced.check("image", image_rules()).unwrap_err().field,
            "image.id"
        );
    }

    #[test]
    fn a_caption_over_1024_characters_is_refused() {
        let long = MediaObject {
            caption: Some("c".repeat(1025)),
            ..media(Some("123"), None)
        };
        assert_eq!(
            long.check("image", image_rules()).unwrap_err().field,
            "image.caption"
        );
    }

    #[test]
    fn audio_and_stickers_take_no_caption() {
        let captioned = MediaObject {
            caption: Some("hi".into()),
            ..media(Some("123"), None)
        };
        let rules = MediaRules::message(MessageKind::Audio);
        assert_eq!(
            captioned.check("audio", rules).unwrap_err().field,
            "audio.caption"
        );
    }

    #[test]
    fn only_documents_take_a_file_name() {
        let named = MediaObject {
            filename: Some("a.pdf".into()),
            ..media(Some("123"), None)
        };
        assert_eq!(
            named.check("image", image_rules()).unwrap_err().field,
            "image.filename"
        );
        assert!(named
            .check("document", MediaRules::message(MessageKind::Document))
            .is_ok());
    }
}
