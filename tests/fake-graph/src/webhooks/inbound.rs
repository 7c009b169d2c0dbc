//! Inbound messages a test makes a user send (§7 item 16), shaped like the
//! OAS `/whatsapp/webhooks` examples.

use serde_json::{json, Value};

/// Kinds of media message a user can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Image,
    Document,
    Audio,
    Video,
    Sticker,
}

impl MediaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Document => "document",
            MediaKind::Audio => "audio",
            MediaKind::Video => "video",
            MediaKind::Sticker => "sticker",
        }
    }

    /// Used when the media id is not in the fake's store.
    pub fn default_mime(self) -> &'static str {
        match self {
            MediaKind::Image => "image/jpeg",
            MediaKind::Document => "application/pdf",
            MediaKind::Audio => "audio/ogg",
            MediaKind::Video => "video/mp4",
            MediaKind::Sticker => "image/webp",
        }
    }
}

/// What the user sent.
#[derive(Debug, Clone, PartialEq)]
pub enum InboundContent {
    Text {
        body: String,
    },
    ButtonReply {
        id: String,
        title: String,
    },
    ListReply {
        id: String,
        title: String,
        description: Option<String>,
    },
    /// A tap on a template's quick-reply button (`type: "button"`).
    TemplateButton {
        payload: String,
        text: String,
    },
    /// `media_id` should come from [`crate::FakeGraph::add_media`] so it can be downloaded.
    Media {
        kind: MediaKind,
        media_id: String,
        caption: Option<String>,
        filename: Option<String>,
    },
    Location {
        latitude: f64,
        longitude: f64,
        name: Option<String>,
        address: Option<String>,
    },
    /// The `contacts` array as the user shared it.
    Contacts(Value),
    Reaction {
        message_id: String,
        emoji: String,
    },
    /// `user_changed_number`; the webhook has no `contacts` block.
    System {
        body: String,
        new_wa_id: String,
    },
    /// Carries `errors[{code:131051}]`.
    Unsupported,
}

/// One inbound message from `from` (digits, the user's `wa_id`).
#[derive(Debug, Clone, PartialEq)]
pub struct InboundMessage {
    pub from: String,
    pub profile_name: String,
    /// The wamid to use; a fresh one when `None`. Reuse one to post a duplicate.
    pub id: Option<String>,
    /// `context.id`: the business message this one replies to.
    pub context: Option<String>,
    pub content: InboundContent,
}

impl InboundMessage {
    pub fn new(from: impl Into<String>, content: InboundContent) -> Self {
        Self {
            from: from.into(),
            profile_name: "Sheena Nelson".to_owned(),
            id: None,
            context: None,
            content,
        }
    }

    pub fn text(from: impl Into<String>, body: impl Into<String>) -> Self {
        Self::new(from, InboundContent::Text { body: body.into() })
    }

    pub fn button_reply(
        from: impl Into<String>,
        id: impl Into<String>,
        title: impl Into<String>,
    ) -> Self {
        Self::new(
            from,
            InboundContent::ButtonReply {
                id: id.into(),
                title: title.into(),
            },
        )
    }

    pub fn list_reply(
        from: impl Into<String>,
        id: impl Into<String>,
        title: impl Into<String>,
    ) -> Self {
        Self::new(
            from,
            InboundContent::ListReply {
                id: id.into(),
                title: title.into(),
                description: None,
            },
        )
    }

    pub fn template_button(from: impl Into<String>, payload: impl Into<String>) -> Self {
        let payload = payload.into();
        Self::new(
            from,
            InboundContent::TemplateButton {
                text: payload.clone(),
                payload,
            },
        )
    }

    pub fn media(from: impl Into<String>, kind: MediaKind, media_id: impl Into<String>) -> Self {
        let content = InboundContent::Media {
            kind,
            media_id: media_id.into(),
            caption: None,
            filename: None,
        };
        Self::new(from, content)
    }

    pub fn location(from: impl Into<String>, latitude: f64, longitude: f64) -> Self {
        Self::new(
            from,
            InboundContent::Location {
                latitude,
                longitude,
                name: None,
                address: None,
            },
        )
    }

    pub fn contacts(from: impl Into<String>, contacts: Value) -> Self {
        Self::new(from, InboundContent::Contacts(contacts))
    }

    pub fn reaction(
        from: impl Into<String>,
        message_id: impl Into<String>,
        emoji: impl Into<String>,
    ) -> Self {
        Self::new(
            from,
            InboundContent::Reaction {
                message_id: message_id.into(),
                emoji: emoji.into(),
            },
        )
    }

    pub fn system_changed_number(from: impl Into<String>, new_wa_id: impl Into<String>) -> Self {
        let from = from.into();
        let new_wa_id = new_wa_id.into();
        let body = format!("User changed from {from} to {new_wa_id}");
        Self::new(from, InboundContent::System { body, new_wa_id })
    }

    pub fn unsupported(from: impl Into<String>) -> Self {
        Self::new(from, InboundContent::Unsupported)
    }

    /// Makes this a reply to the business message `wamid`.
    pub fn replying_to(mut self, wamid: impl Into<String>) -> Self {
        self.context = Some(wamid.into());
        self
    }

    pub fn with_id(mut self, wamid: impl Into<String>) -> Self {
        self.id = Some(wamid.into());
        self
    }

    /// `system` messages come without the `contacts` block (OAS example).
    pub fn has_contacts_block(&self) -> bool {
        !matches!(self.content, InboundContent::System { .. })
    }

    /// The `messages[]` item. `media` gives the stored mime type and sha256.
    pub fn to_json(
        &self,
        wamid: &str,
        unix_secs: u64,
        business_number: &str,
        media: Option<(String, String)>,
    ) -> Value {
        let (kind, payload) = self.content_json(media);
        let mut message = json!({ "from": self.from, "id": wamid, "timestamp": unix_secs.to_string(), "type": kind });
        if let InboundContent::Unsupported = self.content {
            message["errors"] = json!([crate::errors::webhook_error(131051)]);
        } else {
            message[kind] = payload;
        }
        if let Some(context) = &self.context {
            message["context"] = json!({ "from": business_number, "id": context });
        }
        message
    }

    fn content_json(&self, media: Option<(String, String)>) -> (&'static str, Value) {
        match &self.content {
            InboundContent::Text { body } => ("text", json!({ "body": body })),
            InboundContent::ButtonReply { id, title } => (
                "interactive",
                json!({ "type": "button_reply", "button_reply": { "id": id, "title": title } }),
            ),
            InboundContent::ListReply {
                id,
                title,
                description,
            } => {
                let mut reply = json!({ "id": id, "title": title });
                if let Some(description) = description {
                    reply["description"] = json!(description);
                }
                (
                    "interactive",
                    json!({ "type": "list_reply", "list_reply": reply }),
                )
            }
            InboundContent::TemplateButton { payload, text } => {
                ("button", json!({ "payload": payload, "text": text }))
            }
            InboundContent::Media {
                kind,
                media_id,
                caption,
                filename,
            } => (
                kind.as_str(),
                media_json(*kind, media_id, caption, filename, media),
            ),
            InboundContent::Location {
                latitude,
                longitude,
                name,
                address,
            } => (
                "location",
                json!({ "latitude": latitude, "longitude": longitude, "name": name, "address": address }),
            ),
            InboundContent::Contacts(contacts) => ("contacts", contacts.clone()),
            InboundContent::Reaction { message_id, emoji } => (
                "reaction",
                json!({ "message_id": message_id, "emoji": emoji }),
            ),
            InboundContent::System { body, new_wa_id } => (
                "system",
                json!({ "body": body, "wa_id": new_wa_id, "type": "user_changed_number" }),
            ),
            InboundContent::Unsupported => ("unsupported", Value::Null),
        }
    }
}

fn media_json(
    kind: MediaKind,
    media_id: &str,
    caption: &Option<String>,
    filename: &Option<String>,
    media: Option<(String, String)>,
) -> Value {
    let (mime, sha256) = media.unwrap_or_else(|| (kind.default_mime().to_owned(), String::new()));
    let mut value = json!({ "id": media_id, "mime_type": mime, "sha256": sha256 });
    if let Some(caption) = caption {
        value["caption"] = json!(caption);
    }
    if kind == MediaKind::Document {
        value["filename"] = json!(filename.as_deref().unwrap_or("file.pdf"));
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_reply_has_context_from_the_business_number() {
        let message = InboundMessage::text("16505551234", "Hi").replying_to("wamid.A");
        let json = message.to_json("wamid.B", 7, "15550783881", None);
        assert_eq!(json["text"]["body"], "Hi");
        assert_eq!(
            json["context"],
            json!({"from": "15550783881", "id": "wamid.A"})
        );
        assert_eq!(json["timestamp"], "7");
    }

    #[test]
    fn unsupported_carries_131051_and_no_payload() {
        let json = InboundMessage::unsupported("1").to_json("wamid.B", 7, "2", None);
        assert_eq!(json["errors"][0]["code"], 131051);
        assert!(json.get("unsupported").is_none());
    }

    #[test]
    fn system_messages_have_no_contacts_block() {
        assert!(!InboundMessage::system_changed_number("1", "2").has_contacts_block());
        assert!(InboundMessage::text("1", "x").has_contacts_block());
    }
}
