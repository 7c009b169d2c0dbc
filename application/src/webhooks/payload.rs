//! Reading Meta's webhook notifications. Nothing here trusts the input: a
//! body of any shape gives an error or fewer items, never a panic, and
//! fields Meta adds later are ignored.

use chrono::{DateTime, TimeZone, Utc};
use herald_domain::conversation::{ContactId, InboundKind, InboundMedia, InboundMessage};
use herald_domain::message::{DeliveryStatus, SendError, StatusReport};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::numbers::phone_number_ids;

/// Why a body is not a WhatsApp notification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a WhatsApp webhook: {0}")]
pub struct PayloadError(pub String);

#[derive(Deserialize)]
struct Notification {
    #[serde(default)]
    object: Option<String>,
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    changes: Vec<Change>,
}

#[derive(Deserialize)]
struct Change {
    #[serde(default)]
    field: Option<String>,
    #[serde(default)]
    value: Value,
}

/// Meta's word on one number's quality (`phone_number_quality_update`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualityUpdate {
    /// Digits only, as Meta writes the number here.
    pub display_phone_number: String,
    /// `FLAGGED`, `UNFLAGGED`, `DOWNGRADE`, `UPGRADE`, …
    pub event: String,
}

/// The quality updates an account-level payload holds.
///
/// # Errors
/// When the payload is not a notification.
pub fn quality_updates(payload: &str) -> Result<Vec<QualityUpdate>, PayloadError> {
    let notification = parse(payload.as_bytes())?;
    Ok(notification
        .entry
        .iter()
        .flat_map(|e| &e.changes)
        .filter(|c| c.field.as_deref() == Some("phone_number_quality_update"))
        .filter_map(|c| {
            Some(QualityUpdate {
                display_phone_number: text(&c.value, "display_phone_number")?
                    .chars()
                    .filter(char::is_ascii_digit)
                    .collect(),
                event: text(&c.value, "event")?.to_owned(),
            })
        })
        .collect())
}

/// What one `changes[].value` told about one business number.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NumberUpdate {
    pub phone_number_id: String,
    pub messages: Vec<InboundMessage>,
    pub statuses: Vec<StatusUpdate>,
}

/// A status webhook, and how to find the message it is about.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusUpdate {
    pub report: StatusReport,
    /// `biz_opaque_callback_data`: Herald's message id, when Herald sent it.
    pub callback_data: Option<String>,
    pub recipient_id: Option<String>,
}

fn parse(body: &[u8]) -> Result<Notification, PayloadError> {
    let notification: Notification = serde_json::from_slice(body)
        .map_err(|e| PayloadError(format!("the body is not JSON of the expected shape ({e})")))?;
    whatsapp_object(notification.object.as_deref())?;
    Ok(notification)
}

fn phone_number_id(value: &Value) -> Option<&str> {
    value.get("metadata")?.get("phone_number_id")?.as_str()
}

/// Only a notification's `object`; the rest is skipped as it is read.
#[derive(Deserialize)]
struct ObjectOnly {
    #[serde(default)]
    object: Option<String>,
}

/// Checks that an authenticated body is a WhatsApp notification.
///
/// # Errors
/// When its `object` is not `whatsapp_business_account`.
pub fn check_object(body: &[u8]) -> Result<(), PayloadError> {
    let read: ObjectOnly = serde_json::from_slice(body)
        .map_err(|e| PayloadError(format!("the body is not JSON of the expected shape ({e})")))?;
    whatsapp_object(read.object.as_deref())
}

fn whatsapp_object(object: Option<&str>) -> Result<(), PayloadError> {
    match object {
        Some("whatsapp_business_account") => Ok(()),
        Some(other) => Err(PayloadError(format!(
            "object is {other:?}, not \"whatsapp_business_account\""
        ))),
        None => Err(PayloadError("the body has no \"object\"".into())),
    }
}

/// The part of `body` about `keep`: the body itself when it is about
/// nothing else, else its entries with only those numbers' changes.
///
/// # Errors
/// As [`phone_number_ids`].
pub fn part_for(body: &[u8], keep: &[String]) -> Result<String, PayloadError> {
    // An account-level body (no number named) goes whole to every tenant
    // with a number of the account.
    let all = phone_number_ids(body).unwrap_or_default();
    if all.iter().all(|id| keep.contains(id)) {
        return String::from_utf8(body.to_vec())
            .map_err(|_| PayloadError("the body is not UTF-8".into()));
    }
    let mut value: Value = serde_json::from_slice(body).map_err(|e| PayloadError(e.to_string()))?;
    if let Some(entries) = value.get_mut("entry").and_then(Value::as_array_mut) {
        for entry in entries.iter_mut() {
            if let Some(changes) = entry.get_mut("changes").and_then(Value::as_array_mut) {
                changes.retain(|c| {
                    c.get("value")
                        .and_then(phone_number_id)
                        .is_some_and(|id| keep.iter().any(|k| k == id))
                });
            }
        }
        entries.retain(|e| {
            e.get("changes")
                .and_then(Value::as_array)
                .is_some_and(|c| !c.is_empty())
        });
    }
    Ok(value.to_string())
}

/// Every message and status a recorded payload holds, by number.
/// `received_at` stands in for a timestamp Meta left out or garbled.
///
/// # Errors
/// As [`phone_number_ids`].
pub fn updates(
    payload: &str,
    received_at: DateTime<Utc>,
) -> Result<Vec<NumberUpdate>, PayloadError> {
    let notification = parse(payload.as_bytes())?;
    Ok(notification
        .entry
        .iter()
        .flat_map(|e| &e.changes)
        .filter_map(|change| number_update(&change.value, received_at))
        .collect())
}

fn number_update(value: &Value, received_at: DateTime<Utc>) -> Option<NumberUpdate> {
    let phone_number_id = phone_number_id(value)?.to_owned();
    let business_number = at_path(value, &["metadata", "display_phone_number"]);
    let profiles = profile_names(value);
    let items = |field: &str| {
        value
            .get(field)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
    };
    Some(NumberUpdate {
        phone_number_id,
        messages: items("messages")
            .filter_map(|m| inbound(m, business_number, &profiles, received_at))
            .collect(),
        statuses: items("statuses")
            .filter_map(|s| status(s, received_at))
            .collect(),
    })
}

/// `contacts[].profile.name` by `wa_id` (or business-scoped `user_id`).
fn profile_names(value: &Value) -> Vec<(String, String)> {
    let contacts = value
        .get("contacts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    contacts
        .filter_map(|c| {
            let id = text(c, "wa_id").or_else(|| text(c, "user_id"))?;
            let name = c.get("profile")?.get("name")?.as_str()?;
            Some((id.to_owned(), name.to_owned()))
        })
        .collect()
}

fn text<'a>(value: &'a Value, field: &str) -> Option<&'a str> {
    value.get(field)?.as_str()
}

fn at_path<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(value, |v, key| v.get(key))?.as_str()
}

/// Meta's timestamps are Unix seconds written as a string.
fn timestamp(value: &Value, fallback: DateTime<Utc>) -> DateTime<Utc> {
    let seconds = match value.get("timestamp") {
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        Some(Value::Number(n)) => n.as_i64(),
        _ => None,
    };
    seconds
        .and_then(|s| Utc.timestamp_opt(s, 0).single())
        .unwrap_or(fallback)
}

fn inbound(
    m: &Value,
    business_number: Option<&str>,
    profiles: &[(String, String)],
    received_at: DateTime<Utc>,
) -> Option<InboundMessage> {
    let wamid = text(m, "id")?.to_owned();
    let from_text = text(m, "from").or_else(|| text(m, "from_user_id"))?;
    let from = ContactId::parse(from_text).ok()?;
    let kind = InboundKind::parse(text(m, "type").unwrap_or("unsupported"));
    let profile_name = profiles
        .iter()
        .find(|(id, _)| id == from_text)
        .map(|(_, name)| name.clone());
    Some(InboundMessage {
        text: readable_text(m, &kind),
        media: media(m, &kind),
        context_wamid: at_path(m, &["context", "id"]).map(str::to_owned),
        sent_at: timestamp(m, received_at),
        payload: m.to_string(),
        wamid,
        from,
        to: business_number.map(str::to_owned),
        profile_name,
        kind,
    })
}

/// What a person would read of the message.
fn readable_text(m: &Value, kind: &InboundKind) -> Option<String> {
    let found = match kind {
        InboundKind::Text => at_path(m, &["text", "body"]),
        InboundKind::Image | InboundKind::Video | InboundKind::Document => {
            at_path(m, &[kind.as_str(), "caption"])
        }
        InboundKind::Interactive => at_path(m, &["interactive", "button_reply", "title"])
            .or_else(|| at_path(m, &["interactive", "list_reply", "title"])),
        InboundKind::Button => at_path(m, &["button", "text"]),
        InboundKind::Reaction => at_path(m, &["reaction", "emoji"]),
        InboundKind::Location => {
            at_path(m, &["location", "name"]).or_else(|| at_path(m, &["location", "address"]))
        }
        InboundKind::System => at_path(m, &["system", "body"]),
        _ => None,
    };
    found.map(str::to_owned)
}

fn media(m: &Value, kind: &InboundKind) -> Option<InboundMedia> {
    let field = match kind {
        InboundKind::Image
        | InboundKind::Video
        | InboundKind::Audio
        | InboundKind::Document
        | InboundKind::Sticker => kind.as_str(),
        _ => return None,
    };
    let object = m.get(field)?;
    Some(InboundMedia {
        id: text(object, "id")?.to_owned(),
        mime_type: text(object, "mime_type").map(str::to_owned),
        sha256: text(object, "sha256").map(str::to_owned),
        filename: text(object, "filename").map(str::to_owned),
    })
}

fn status(s: &Value, received_at: DateTime<Utc>) -> Option<StatusUpdate> {
    let status = DeliveryStatus::parse(text(s, "status")?)?;
    let errors = s
        .get("errors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    Some(StatusUpdate {
        report: StatusReport {
            wamid: text(s, "id")?.to_owned(),
            status,
            at: timestamp(s, received_at),
            errors: errors.filter_map(graph_error).collect(),
        },
        callback_data: text(s, "biz_opaque_callback_data").map(str::to_owned),
        recipient_id: text(s, "recipient_id").map(str::to_owned),
    })
}

/// `{"code", "title", "message", "error_data": {"details"}}`, in words.
fn graph_error(e: &Value) -> Option<SendError> {
    let object: &Map<String, Value> = e.as_object()?;
    let code = object.get("code").and_then(Value::as_i64);
    let title = text(e, "title")
        .or_else(|| text(e, "message"))
        .unwrap_or("failed");
    let message = match at_path(e, &["error_data", "details"]) {
        Some(details) => format!("{title}: {details}"),
        None => title.to_owned(),
    };
    Some(SendError { code, message })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        Utc.timestamp_opt(1_750_000_000, 0).single().unwrap()
    }

    fn body(changes: Vec<Value>) -> String {
        json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": changes}]})
            .to_string()
    }

    fn change(number: &str, value: Value) -> Value {
        let mut value = value;
        value["messaging_product"] = json!("whatsapp");
        value["metadata"] =
            json!({"display_phone_number": "15550783881", "phone_number_id": number});
        json!({"field": "messages", "value": value})
    }

    #[test]
    fn an_inbound_text_is_read_with_its_profile_and_time() {
        let payload = body(vec![change(
            "10",
            json!({
                "contacts": [{"profile": {"name": "Sheena"}, "wa_id": "16505551234"}],
                "messages": [{"from": "16505551234", "id": "wamid.1", "timestamp": "1749416383",
                              "type": "text", "text": {"body": "Hi"}, "context": {"from": "x", "id": "wamid.0"}}]
            }),
        )]);
        let update = &updates(&payload, now()).unwrap()[0];
        let message = &update.messages[0];
        assert_eq!(update.phone_number_id, "10");
        assert_eq!(message.text.as_deref(), Some("Hi"));
        assert_eq!(message.profile_name.as_deref(), Some("Sheena"));
        assert_eq!(message.context_wamid.as_deref(), Some("wamid.0"));
        assert_eq!(message.to.as_deref(), Some("15550783881"));
        assert_eq!(message.sent_at.timestamp(), 1_749_416_383);
    }

    #[test]
    fn each_inbound_type_gives_what_a_person_would_read() {
        let cases = [
            (
                json!({"type": "interactive", "interactive": {"type": "button_reply", "button_reply": {"id": "b", "title": "Cancel"}}}),
                Some("Cancel"),
            ),
            (
                json!({"type": "interactive", "interactive": {"type": "list_reply", "list_reply": {"id": "r", "title": "Express"}}}),
                Some("Express"),
            ),
            (
                json!({"type": "button", "button": {"payload": "STOP", "text": "Unsubscribe"}}),
                Some("Unsubscribe"),
            ),
            (
                json!({"type": "reaction", "reaction": {"message_id": "wamid.0", "emoji": "👍"}}),
                Some("👍"),
            ),
            (
                json!({"type": "image", "image": {"id": "m1", "mime_type": "image/jpeg", "caption": "Receipt"}}),
                Some("Receipt"),
            ),
            (
                json!({"type": "unsupported", "errors": [{"code": 131051}]}),
                None,
            ),
        ];
        for (mut message, text) in cases {
            message["from"] = json!("16505551234");
            message["id"] = json!("wamid.1");
            let payload = body(vec![change("10", json!({"messages": [message.clone()]}))]);
            let read = &updates(&payload, now()).unwrap()[0].messages[0];
            assert_eq!(read.text.as_deref(), text, "{message}");
        }
    }

    #[test]
    fn media_keeps_its_id_and_mime_type() {
        let payload = body(vec![change(
            "10",
            json!({"messages": [{"from": "1", "id": "w", "type": "document",
            "document": {"id": "m9", "mime_type": "application/pdf", "filename": "inv.pdf"}}]}),
        )]);
        let media = updates(&payload, now()).unwrap()[0].messages[0]
            .media
            .clone()
            .unwrap();
        assert_eq!(
            (media.id.as_str(), media.filename.as_deref()),
            ("m9", Some("inv.pdf"))
        );
    }

    #[test]
    fn a_failed_status_carries_its_errors_and_callback_data() {
        let payload = body(vec![change(
            "10",
            json!({"statuses": [{"id": "wamid.1", "status": "failed",
            "timestamp": "1750030073", "recipient_id": "16505551234", "biz_opaque_callback_data": "m-1",
            "errors": [{"code": 131026, "title": "Message undeliverable", "error_data": {"details": "not on WhatsApp"}}]}]}),
        )]);
        let status = &updates(&payload, now()).unwrap()[0].statuses[0];
        assert_eq!(status.report.status, DeliveryStatus::Failed);
        assert_eq!(status.callback_data.as_deref(), Some("m-1"));
        assert_eq!(status.report.errors[0].code, Some(131026));
        assert_eq!(
            status.report.errors[0].message,
            "Message undeliverable: not on WhatsApp"
        );
    }

    #[test]
    fn unknown_statuses_and_messages_without_ids_are_left_out() {
        let payload = body(vec![change(
            "10",
            json!({
                "statuses": [{"id": "w", "status": "deleted"}, {"status": "read"}],
                "messages": [{"from": "1", "type": "text", "text": {"body": "no id"}}]
            }),
        )]);
        let update = &updates(&payload, now()).unwrap()[0];
        assert!(update.statuses.is_empty() && update.messages.is_empty());
    }

    #[test]
    fn a_missing_or_garbled_timestamp_falls_back_to_the_receipt_time() {
        let payload = body(vec![change(
            "10",
            json!({"statuses": [{"id": "w", "status": "read", "timestamp": "soon"}]}),
        )]);
        assert_eq!(
            updates(&payload, now()).unwrap()[0].statuses[0].report.at,
            now()
        );
    }

    #[test]
    fn other_objects_are_not_whatsapp_notifications() {
        let page = r#"{"object":"page","entry":[{"changes":[{"value":{"metadata":{"phone_number_id":"1"}}}]}]}"#;
        assert_eq!(phone_number_ids(page.as_bytes()).unwrap(), ["1"]);
        assert!(check_object(page.as_bytes()).is_err());
        assert!(check_object(body(vec![change("1", json!({}))]).as_bytes()).is_ok());
    }

    #[test]
    fn a_body_about_two_numbers_splits_into_each_ones_part() {
        let payload = body(vec![
            change("10", json!({"statuses": []})),
            change("20", json!({"statuses": []})),
        ]);
        let part = part_for(payload.as_bytes(), &["20".to_owned()]).unwrap();
        assert_eq!(phone_number_ids(part.as_bytes()).unwrap(), ["20"]);
        let whole = part_for(payload.as_bytes(), &["10".to_owned(), "20".to_owned()]).unwrap();
        assert_eq!(
            whole, payload,
            "a body about the kept numbers only is kept byte for byte"
        );
    }
}
