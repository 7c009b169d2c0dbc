//! Reading Meta's webhook notifications. Nothing here trusts the input: a
//! body of any shape gives an error or fewer items, never a panic, and
//! fields Meta adds later are ignored.

use chrono::{DateTime, TimeZone, Utc};
use herald_domain::conversation::{ContactId, InboundKind, InboundMedia, InboundMessage};
use herald_domain::message::{DeliveryStatus, SendError, StatusReport};
use serde::Deserialize;
use serde_json::{Map, Value};

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
    value: Value,
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
    match notification.object.as_deref() {
        Some("whatsapp_business_account") => Ok(notification),
        Some(other) => Err(PayloadError(format!(
            "object is {other:?}, not \"whatsapp_business_account\""
        ))),
        None => Err(PayloadError("the body has no \"object\"".into())),
    }
}

fn phone_number_id(value: &Value) -> Option<&str> {
    value.get("metadata")?.get("phone_number_id")?.as_str()
}

/// The business numbers a body is about, each once, in order of appearance.
///
/// # Errors
/// When the body is not a WhatsApp notification or names no number.
pub fn phone_number_ids(body: &[u8]) -> Result<Vec<String>, PayloadError> {
    let notification = parse(body)?;
    let mut ids: Vec<String> = Vec::new();
    for change in notification.entry.iter().flat_map(|e| &e.changes) {
        if let Some(id) = phone_number_id(&change.value) {
            if !ids.iter().any(|known| known == id) {
                ids.push(id.to_owned());
            }
        }
    }
    if ids.is_empty() {
        return Err(PayloadError(
            "no change names a metadata.phone_number_id".into(),
        ));
    }
    Ok(ids)
}

/// The part of `body` about `keep`: the body itself when it is about
/// nothing else, else its entries with only those numbers' changes.
///
/// # Errors
/// As [`phone_number_ids`].
pub fn part_for(body: &[u8], keep: &[String]) -> Result<String, PayloadError> {
    let all = phone_number_ids(body)?;
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
