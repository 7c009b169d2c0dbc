//! The body of `POST /v1/sessions/{id}/messages`: Meta's message object, so
//! that Meta's own examples can be pasted as they are.

use herald_application::messages::SendRequest;
use herald_domain::message::{MessageContent, RawMessageContent};
use herald_domain::PhoneNumber;
use serde_json::{Map, Value};

use crate::http::error::ApiError;
use crate::http::json::parse_value;

/// Takes the envelope fields (`to`, `messaging_product`, `recipient_type`,
/// `context`) off the body and reads the rest as the message's content.
///
/// # Errors
/// A 422 naming the first field that breaks a rule.
pub fn send_request(mut body: Map<String, Value>) -> Result<SendRequest, ApiError> {
    expect_if_present(&mut body, "messaging_product", "whatsapp")?;
    expect_if_present(&mut body, "recipient_type", "individual")?;
    if body.contains_key("biz_opaque_callback_data") {
        return Err(invalid(
            "biz_opaque_callback_data",
            "Herald sets it to the message's id, which its status webhooks then carry",
        ));
    }
    let to = match body.remove("to") {
        Some(Value::String(to)) => {
            PhoneNumber::parse(&to).map_err(|e| invalid("to", e.reason()))?
        }
        Some(_) => return Err(invalid("to", "must be a phone number as text")),
        None => return Err(invalid("to", "is required")),
    };
    let reply_to = reply_to(body.remove("context"))?;
    let raw: RawMessageContent = parse_value(Value::Object(body))?;
    let content = MessageContent::try_from(raw).map_err(ApiError::invalid)?;
    Ok(SendRequest {
        to,
        content,
        reply_to,
    })
}

fn expect_if_present(
    body: &mut Map<String, Value>,
    field: &str,
    expected: &str,
) -> Result<(), ApiError> {
    match body.remove(field) {
        None => Ok(()),
        Some(Value::String(value)) if value == expected => Ok(()),
        Some(_) => Err(invalid(
            field,
            &format!("must be \"{expected}\" (or left out)"),
        )),
    }
}

/// `context.message_id`: the wamid of the message this one quotes.
fn reply_to(context: Option<Value>) -> Result<Option<String>, ApiError> {
    let Some(context) = context else {
        return Ok(None);
    };
    let Some(object) = context.as_object() else {
        return Err(invalid("context", "must be an object with message_id"));
    };
    if let Some(unknown) = object.keys().find(|k| *k != "message_id") {
        return Err(invalid(
            &format!("context.{unknown}"),
            "is not a field of context",
        ));
    }
    match object.get("message_id") {
        Some(Value::String(id)) if !id.trim().is_empty() && id.len() <= 256 => Ok(Some(id.clone())),
        _ => Err(invalid(
            "context.message_id",
            "must be the wamid of a message, as text",
        )),
    }
}

fn invalid(field: &str, message: &str) -> ApiError {
    ApiError::Invalid {
        field: field.to_owned(),
        message: message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(body: Value) -> Result<SendRequest, ApiError> {
        match body {
            Value::Object(map) => send_request(map),
            _ => unreachable!(),
        }
    }

    fn field_of(body: Value) -> String {
        match request(body) {
            Err(ApiError::Invalid { field, .. }) => field,
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn metas_text_example_is_accepted_as_pasted() {
        let sent = request(json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "+16505551234",
            "type": "text",
            "text": {"preview_url": false, "body": "Hello"}
        }))
        .unwrap();
        assert_eq!(sent.to.as_str(), "+16505551234");
        assert_eq!(sent.content.summary().as_deref(), Some("Hello"));
    }

    #[test]
    fn a_reply_keeps_the_quoted_wamid() {
        let sent = request(json!({
            "to": "+16505551234", "type": "text", "text": {"body": "Yes"},
            "context": {"message_id": "wamid.ABC"}
        }))
        .unwrap();
        assert_eq!(sent.reply_to.as_deref(), Some("wamid.ABC"));
    }

    #[test]
    fn each_broken_field_is_named() {
        let text = json!({"body": "Hi"});
        let cases = [
            (json!({"type": "text", "text": text}), "to"),
            (
                json!({"to": "6505551234", "type": "text", "text": text}),
                "to",
            ),
            (
                json!({"to": "+16505551234", "type": "text", "text": {"body": ""}}),
                "text.body",
            ),
            (
                json!({"to": "+16505551234", "type": "text", "text": text, "colour": 1}),
                "colour",
            ),
            (
                json!({"to": "+16505551234", "type": "text", "text": text, "recipient_type": "group"}),
                "recipient_type",
            ),
            (
                json!({"to": "+16505551234", "type": "text", "text": text, "biz_opaque_callback_data": "x"}),
                "biz_opaque_callback_data",
            ),
            (
                json!({"to": "+16505551234", "type": "text", "text": text, "context": {"id": "x"}}),
                "context.id",
            ),
        ];
        for (body, field) in cases {
            assert_eq!(field_of(body.clone()), field, "{body}");
        }
    }
}
