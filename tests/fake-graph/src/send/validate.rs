//! Structural validation of a send request (§7 item 4): the envelope and
//! every message type but interactive (see `interactive.rs`) and the template
//! parameters (see `templates/check.rs`).

use serde_json::Value;

use super::fields::{
    self, length, missing, object, only_keys, optional_str, required, required_str, Fields,
};
use super::interactive;
use crate::errors::GraphError;

/// What a valid request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// `{"status":"read","message_id":..}`: mark as read / typing indicator.
    MarkRead,
    /// A message of this `type`.
    Message(MessageType),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    Template,
    /// Any other type; these need an open 24-hour window.
    Free,
}

const TYPES: &[&str] = &[
    "text",
    "image",
    "audio",
    "video",
    "document",
    "sticker",
    "location",
    "contacts",
    "interactive",
    "template",
    "reaction",
];
const ENVELOPE: &[&str] = &[
    "messaging_product",
    "recipient_type",
    "to",
    "type",
    "context",
    "biz_opaque_callback_data",
];

/// Validates the whole body.
///
/// # Errors
/// The Graph error Meta would answer for the first problem found.
pub fn request(body: &Value) -> Result<Request, GraphError> {
    let fields = object(body, "message")?;
    let product = required_str(fields, "messaging_product", "message")?;
    if product != "whatsapp" {
        return Err(GraphError::with_details(
            100,
            "Param messaging_product must be 'whatsapp'.",
        ));
    }
    if fields.contains_key("status") {
        return mark_read(fields);
    }
    message(fields)
}

fn mark_read(fields: &Fields) -> Result<Request, GraphError> {
    only_keys(
        fields,
        &[
            "messaging_product",
            "status",
            "message_id",
            "typing_indicator",
        ],
        "message",
    )?;
    if required_str(fields, "status", "message")? != "read" {
        return Err(fields::invalid("Param status must be 'read'."));
    }
    required_str(fields, "message_id", "message")?;
    if let Some(indicator) = fields.get("typing_indicator") {
        let indicator = object(indicator, "typing_indicator")?;
        only_keys(indicator, &["type"], "typing_indicator")?;
        if required_str(indicator, "type", "typing_indicator")? != "text" {
            return Err(fields::invalid(
                "Param typing_indicator['type'] must be 'text'.",
            ));
        }
    }
    Ok(Request::MarkRead)
}

fn message(fields: &Fields) -> Result<Request, GraphError> {
    required_str(fields, "to", "message")?;
    let kind = optional_str(fields, "type", "message")?.unwrap_or("text");
    if !TYPES.contains(&kind) {
        return Err(GraphError::with_details(
            100,
            format!("Param type must be one of {{{}}}.", TYPES.join(", ")),
        ));
    }
    let allowed: Vec<&str> = ENVELOPE.iter().copied().chain([kind]).collect();
    only_keys(fields, &allowed, "message")?;
    if let Some(recipient_type) = optional_str(fields, "recipient_type", "message")? {
        if recipient_type != "individual" && recipient_type != "group" {
            return Err(fields::invalid(
                "Param recipient_type must be 'individual' or 'group'.",
            ));
        }
    }
    if let Some(data) = optional_str(fields, "biz_opaque_callback_data", "message")? {
        length(data, 0, 512, "biz_opaque_callback_data", 100)?;
    }
    if let Some(context) = fields.get("context") {
        context_object(context)?;
    }
    payload(kind, required(fields, kind, "message")?)?;
    Ok(Request::Message(if kind == "template" {
        MessageType::Template
    } else {
        MessageType::Free
    }))
}

fn context_object(context: &Value) -> Result<(), GraphError> {
    let context = object(context, "context")?;
    only_keys(context, &["message_id"], "context")?;
    required_str(context, "message_id", "context").map(drop)
}

fn payload(kind: &str, value: &Value) -> Result<(), GraphError> {
    match kind {
        "text" => text(object(value, "text")?),
        "image" | "video" => media(object(value, kind)?, kind, &["id", "link", "caption"]),
        "document" => media(
            object(value, kind)?,
            kind,
            &["id", "link", "caption", "filename"],
        ),
        "audio" | "sticker" => media(object(value, kind)?, kind, &["id", "link"]),
        "location" => location(object(value, "location")?),
        "reaction" => reaction(object(value, "reaction")?),
        "contacts" => contacts(value),
        "interactive" => interactive::check(object(value, "interactive")?),
        _ => template(object(value, "template")?),
    }
}

fn text(fields: &Fields) -> Result<(), GraphError> {
    only_keys(fields, &["body", "preview_url"], "text")?;
    let body = required_str(fields, "body", "text")?;
    length(body, 1, 4096, "Param text['body']", 100)?;
    match fields.get("preview_url") {
        None | Some(Value::Bool(_)) => Ok(()),
        Some(_) => Err(fields::wrong_type("text['preview_url']", "a boolean")),
    }
}

/// A media object: exactly one of `id`/`link`, caption ≤ 1024.
pub fn media(fields: &Fields, path: &str, allowed: &[&str]) -> Result<(), GraphError> {
    only_keys(fields, allowed, path)?;
    let id = optional_str(fields, "id", path)?;
    let link = optional_str(fields, "link", path)?;
    match (id, link) {
        (None, None) => return Err(missing(&format!("{path}['id'] or {path}['link']"))),
        (Some(_), Some(_)) => {
            return Err(fields::invalid(format!(
                "Param {path} must have exactly one of 'id' or 'link'."
            )))
        }
        (None, Some(link)) if !(link.starts_with("https://") || link.starts_with("http://")) => {
            return Err(fields::invalid(format!(
                "Param {path}['link'] must be an http(s) URL."
            )));
        }
        _ => {}
    }
    if let Some(caption) = optional_str(fields, "caption", path)? {
        length(caption, 0, 1024, &format!("Param {path}['caption']"), 100)?;
    }
    optional_str(fields, "filename", path).map(drop)
}

fn location(fields: &Fields) -> Result<(), GraphError> {
    only_keys(
        fields,
        &["latitude", "longitude", "name", "address"],
        "location",
    )?;
    for key in ["latitude", "longitude"] {
        let value = required(fields, key, "location")?;
        let numeric = value.is_number() || value.as_str().is_some_and(|s| s.parse::<f64>().is_ok());
        if !numeric {
            return Err(fields::wrong_type(
                &format!("location['{key}']"),
                "a number",
            ));
        }
    }
    optional_str(fields, "name", "location")?;
    optional_str(fields, "address", "location").map(drop)
}

fn reaction(fields: &Fields) -> Result<(), GraphError> {
    only_keys(fields, &["message_id", "emoji"], "reaction")?;
    required_str(fields, "message_id", "reaction")?;
    // An empty emoji removes a reaction, so only presence is required.
    fields
        .get("emoji")
        .and_then(Value::as_str)
        .map(drop)
        .ok_or_else(|| missing("reaction['emoji']"))
}

fn contacts(value: &Value) -> Result<(), GraphError> {
    let contacts = value
        .as_array()
        .ok_or_else(|| fields::wrong_type("contacts", "an array"))?;
    if contacts.is_empty() {
        return Err(missing("contacts[0]"));
    }
    for (index, contact) in contacts.iter().enumerate() {
        let path = format!("contacts[{index}]");
        let name = object(
            required(object(contact, &path)?, "name", &path)?,
            &format!("{path}['name']"),
        )?;
        required_str(name, "formatted_name", &format!("{path}['name']"))?;
    }
    Ok(())
}

fn template(fields: &Fields) -> Result<(), GraphError> {
    only_keys(
        fields,
        &["name", "language", "components", "namespace"],
        "template",
    )?;
    required_str(fields, "name", "template")?;
    let language = object(
        required(fields, "language", "template")?,
        "template['language']",
    )?;
    only_keys(language, &["code", "policy"], "template['language']")?;
    required_str(language, "code", "template['language']")?;
    if let Some(components) = fields.get("components") {
        let components = components
            .as_array()
            .ok_or_else(|| fields::wrong_type("template['components']", "an array"))?;
        components
            .iter()
            .try_for_each(|c| object(c, "template['components']").map(drop))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn code(body: Value) -> Option<u32> {
        request(&body).err().map(|e| e.code)
    }

    fn text_message(body: &str) -> Value {
        json!({"messaging_product":"whatsapp","to":"+16505551234","type":"text","text":{"body":body}})
    }

    #[test]
    fn a_plain_text_message_is_valid() {
        assert_eq!(
            request(&text_message("Hi")).ok(),
            Some(Request::Message(MessageType::Free))
        );
    }

    #[test]
    fn text_over_4096_characters_is_100() {
        assert_eq!(code(text_message(&"x".repeat(4097))), Some(100));
        assert_eq!(code(text_message(&"x".repeat(4096))), None);
    }

    #[test]
    fn unknown_top_level_field_is_100_and_missing_to_is_131008() {
        let mut body = text_message("Hi");
        body["surprise"] = json!(1);
        assert_eq!(code(body), Some(100));
        assert_eq!(
            code(json!({"messaging_product":"whatsapp","type":"text","text":{"body":"x"}})),
            Some(131008)
        );
    }

    #[test]
    fn messaging_product_must_be_whatsapp() {
        let mut body = text_message("Hi");
        body["messaging_product"] = json!("sms");
        assert_eq!(code(body), Some(100));
    }

    #[test]
    fn media_needs_exactly_one_of_id_and_link() {
        let both = json!({"messaging_product":"whatsapp","to":"1","type":"image","image":{"id":"1","link":"https://x/y"}});
        let neither =
            json!({"messaging_product":"whatsapp","to":"1","type":"image","image":{"caption":"c"}});
        assert_eq!(code(both), Some(131009));
        assert_eq!(code(neither), Some(131008));
    }

    #[test]
    fn caption_over_1024_is_rejected() {
        let caption = "c".repeat(1025);
        let body = json!({"messaging_product":"whatsapp","to":"1","type":"image","image":{"id":"1","caption":caption}});
        assert_eq!(code(body), Some(100));
    }

    #[test]
    fn mark_as_read_is_recognised() {
        let body = json!({"messaging_product":"whatsapp","status":"read","message_id":"wamid.X","typing_indicator":{"type":"text"}});
        assert_eq!(request(&body).ok(), Some(Request::MarkRead));
    }
}
