//! Interactive messages: up to three reply buttons, or a list of rows
//! behind one button (OAS `InteractiveObject`).

mod action;

use serde::{Deserialize, Serialize};

use super::media::{MediaObject, MediaRules};
use super::{optional_text, required_text};
use crate::value::FieldError;

/// Meta's `interactive` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InteractiveObject {
    #[serde(rename = "type")]
    pub kind: InteractiveKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<HeaderObject>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<BodyObject>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub footer: Option<FooterObject>,
    pub action: ActionObject,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InteractiveKind {
    Button,
    List,
}

/// A header: a text, or a media file for reply buttons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderObject {
    #[serde(rename = "type")]
    pub kind: HeaderKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<MediaObject>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video: Option<MediaObject>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<MediaObject>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HeaderKind {
    Text,
    Image,
    Video,
    Document,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodyObject {
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FooterObject {
    pub text: String,
}

/// `buttons` for reply buttons; `button` and `sections` for a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionObject {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buttons: Option<Vec<ReplyButton>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub button: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sections: Option<Vec<SectionObject>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyButton {
    #[serde(rename = "type")]
    pub kind: ReplyButtonKind,
    pub reply: ReplyObject,
}

/// The one kind of button Meta offers here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReplyButtonKind {
    Reply,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyObject {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionObject {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub rows: Vec<RowObject>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowObject {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The limits of the Cloud API (BTN, LST).
mod limits {
    pub const HEADER_TEXT: usize = 60;
    pub const FOOTER: usize = 60;
    pub const BUTTON_BODY: usize = 1024;
    pub const BUTTONS: usize = 3;
    pub const BUTTON_ID: usize = 256;
    pub const BUTTON_TITLE: usize = 20;
    pub const LIST_BODY: usize = 4096;
    pub const LIST_BUTTON: usize = 20;
    pub const SECTIONS: usize = 10;
    pub const ROWS: usize = 10;
    pub const SECTION_TITLE: usize = 24;
    pub const ROW_ID: usize = 200;
    pub const ROW_TITLE: usize = 24;
    pub const ROW_DESCRIPTION: usize = 72;
}

impl InteractiveObject {
    pub(super) fn check(&self) -> Result<(), FieldError> {
        let body = self
            .body
            .as_ref()
            .ok_or_else(|| FieldError::new("interactive.body", "is required"))?;
        let max_body = match self.kind {
            InteractiveKind::Button => limits::BUTTON_BODY,
            InteractiveKind::List => limits::LIST_BODY,
        };
        required_text("interactive.body.text", &body.text, max_body)?;
        let footer = self.footer.as_ref().map(|f| f.text.as_str());
        optional_text("interactive.footer.text", footer, limits::FOOTER)?;
        if let Some(header) = &self.header {
            header.check(self.kind)?;
        }
        match self.kind {
            InteractiveKind::Button => self.action.check_buttons(),
            InteractiveKind::List => self.action.check_list(),
        }
    }
}

impl HeaderObject {
    /// The media the header shows, if it is not a text.
    pub(super) fn media(&self) -> Option<&MediaObject> {
        match self.kind {
            HeaderKind::Text => None,
            HeaderKind::Image => self.image.as_ref(),
            HeaderKind::Video => self.video.as_ref(),
            HeaderKind::Document => self.document.as_ref(),
        }
    }

    fn check(&self, message: InteractiveKind) -> Result<(), FieldError> {
        if message == InteractiveKind::List && self.kind != HeaderKind::Text {
            return Err(FieldError::new(
                "interactive.header.type",
                "a list message takes a text header only",
            ));
        }
        let present = [
            (HeaderKind::Text, "text", self.text.is_some()),
            (HeaderKind::Image, "image", self.image.is_some()),
            (HeaderKind::Video, "video", self.video.is_some()),
            (HeaderKind::Document, "document", self.document.is_some()),
        ];
        for (kind, name, is_present) in present {
            let field = format!("interactive.header.{name}");
            match (kind == self.kind, is_present) {
                (true, false) => {
                    return Err(FieldError::new(field, "is required for this header type"))
                }
                (false, true) => {
                    return Err(FieldError::new(field, "does not match the header type"))
                }
                _ => {}
            }
        }
        match (&self.text, self.media()) {
            (Some(text), _) => required_text("interactive.header.text", text, limits::HEADER_TEXT),
            (None, Some(media)) => media.check(
                &format!("interactive.header.{}", header_name(self.kind)),
                MediaRules::header(self.kind == HeaderKind::Document),
            ),
            (None, None) => Ok(()),
        }
    }
}

fn header_name(kind: HeaderKind) -> &'static str {
    match kind {
        HeaderKind::Text => "text",
        HeaderKind::Image => "image",
        HeaderKind::Video => "video",
        HeaderKind::Document => "document",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(id: &str, title: &str) -> ReplyButton {
        ReplyButton {
            kind: ReplyButtonKind::Reply,
            reply: ReplyObject {
                id: id.into(),
                title: title.into(),
            },
        }
    }

    fn buttons(buttons: Vec<ReplyButton>) -> InteractiveObject {
        InteractiveObject {
            kind: InteractiveKind::Button,
            header: None,
            body: Some(BodyObject {
                text: "Pick one".into(),
            }),
            footer: None,
            action: ActionObject {
                buttons: Some(buttons),
                button: None,
                sections: None,
            },
        }
    }

    fn row(id: &str) -> RowObject {
        RowObject {
            id: id.into(),
            title: "Row".into(),
            description: None,
        }
    }

    fn list(sections: Vec<SectionObject>) -> InteractiveObject {
        InteractiveObject {
            kind: InteractiveKind::List,
            action: ActionObject {
                buttons: None,
                button: Some("Options".into()),
                sections: Some(sections),
            },
            ..buttons(vec![])
        }
    }

    fn section(title: Option<&str>, rows: Vec<RowObject>) -> SectionObject {
        SectionObject {
            title: title.map(str::to_owned),
            rows,
        }
    }

    fn field_of(message: InteractiveObject) -> String {
        message.check().unwrap_err().field
    }

    #[test]
    fn one_to_three_buttons() {
        assert_eq!(field_of(buttons(vec![])), "interactive.action.buttons");
        let four = (0..4)
            .map(|i| reply(&format!("b{i}"), &format!("B{i}")))
            .collect();
        assert_eq!(field_of(buttons(four)), "interactive.action.buttons");
    }

    #[test]
    fn button_titles_are_at_most_20_characters_and_unique() {
        let long = vec![reply("a", "A"), reply("b", &"t".repeat(21))];
        assert_eq!(
            field_of(buttons(long)),
            "interactive.action.buttons[1].reply.title"
        );
        let twice = vec![reply("a", "Same"), reply("b", "Other"), reply("c", "Same")];
        assert_eq!(
            field_of(buttons(twice)),
            "interactive.action.buttons[2].reply.title"
        );
    }

    #[test]
    fn button_ids_are_at_most_256_characters_without_outer_spaces() {
        let long = vec![reply(&"i".repeat(257), "A")];
        assert_eq!(
            field_of(buttons(long)),
            "interactive.action.buttons[0].reply.id"
        );
        let spaced = vec![reply(" a", "A")];
        assert_eq!(
            field_of(buttons(spaced)),
            "interactive.action.buttons[0].reply.id"
        );
    }

    #[test]
    fn the_body_is_required_and_at_most_1024_characters_for_buttons() {
        let mut message = buttons(vec![reply("a", "A")]);
        message.body = Some(BodyObject {
            text: "b".repeat(1025),
        });
        assert_eq!(field_of(message.clone()), "interactive.body.text");
        message.body = None;
        assert_eq!(field_of(message), "interactive.body");
    }

    #[test]
    fn the_footer_is_at_most_60_characters() {
        let mut message = buttons(vec![reply("a", "A")]);
        message.footer = Some(FooterObject {
            text: "f".repeat(61),
        });
        assert_eq!(field_of(message), "interactive.footer.text");
    }

    #[test]
    fn a_header_must_match_its_type() {
        let mut message = buttons(vec![reply("a", "A")]);
        message.header = Some(HeaderObject {
            kind: HeaderKind::Image,
            text: Some("Hi".into()),
            image: None,
            video: None,
            document: None,
        });
        assert_eq!(field_of(message), "interactive.header.text");
    }

    #[test]
    fn a_list_header_is_text_only_and_at_most_60_characters() {
        let mut message = list(vec![section(None, vec![row("r")])]);
        message.header = Some(HeaderObject {
            kind: HeaderKind::Text,
            text: Some("h".repeat(61)),
            image: None,
            video: None,
            document: None,
        });
        assert_eq!(field_of(message.clone()), "interactive.header.text");
        message.header = Some(HeaderObject {
            kind: HeaderKind::Image,
            text: None,
            image: Some(MediaObject {
                id: Some("1".into()),
                link: None,
                caption: None,
                filename: None,
            }),
            video: None,
            document: None,
        });
        assert_eq!(field_of(message), "interactive.header.type");
    }

    #[test]
    fn a_list_holds_1_to_10_rows_in_all() {
        let rows = |prefix: &str| (0..6).map(|i| row(&format!("{prefix}{i}"))).collect();
        let eleven = vec![section(Some("A"), rows("a")), section(Some("B"), rows("b"))];
        assert_eq!(field_of(list(eleven)), "interactive.action.sections");
        assert_eq!(field_of(list(vec![])), "interactive.action.sections");
        assert_eq!(
            field_of(list(vec![section(None, vec![])])),
            "interactive.action.sections[0].rows"
        );
    }

    #[test]
    fn list_texts_have_their_limits() {
        let mut long_button = list(vec![section(None, vec![row("r")])]);
        long_button.action.button = Some("b".repeat(21));
        assert_eq!(field_of(long_button), "interactive.action.button");
        let long_section = list(vec![section(Some(&"s".repeat(25)), vec![row("r")])]);
        assert_eq!(
            field_of(long_section),
            "interactive.action.sections[0].title"
        );
        let mut long_row = row("r");
        long_row.title = "t".repeat(25);
        assert_eq!(
            field_of(list(vec![section(None, vec![long_row])])),
            "interactive.action.sections[0].rows[0].title"
        );
        let mut long_description = row("r");
        long_description.description = Some("d".repeat(73));
        assert_eq!(
            field_of(list(vec![section(None, vec![long_description])])),
            "interactive.action.sections[0].rows[0].description"
        );
        let long_id = row(&"i".repeat(201));
        assert_eq!(
            field_of(list(vec![section(None, vec![long_id])])),
            "interactive.action.sections[0].rows[0].id"
        );
    }

    #[test]
    fn several_sections_need_titles_and_distinct_row_ids() {
        let untitled = vec![
            section(Some("A"), vec![row("a")]),
            section(None, vec![row("b")]),
        ];
        assert_eq!(
            field_of(list(untitled)),
            "interactive.action.sections[1].title"
        );
        let repeated = vec![
            section(Some("A"), vec![row("a")]),
            section(Some("B"), vec![row("a")]),
        ];
        assert_eq!(
            field_of(list(repeated)),
            "interactive.action.sections[1].rows[0].id"
        );
    }

    #[test]
    fn a_list_body_may_have_4096_characters() {
        let mut message = list(vec![section(None, vec![row("r")])]);
        message.body = Some(BodyObject {
            text: "b".repeat(4096),
        });
        assert!(message.check().is_ok());
        message.body = Some(BodyObject {
            text: "b".repeat(4097),
        });
        assert_eq!(field_of(message), "interactive.body.text");
    }
}
