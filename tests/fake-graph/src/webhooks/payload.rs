//! Webhook bodies: the §3.2 envelope, status objects (WS) and the template
//! status update (WTS).

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::schedule::{Layout, StatusKind};
use crate::config::WebhookVersion;
use crate::errors::webhook_error;
use crate::number::FakeNumber;
use crate::state::SentMessage;

/// `{"object":"whatsapp_business_account","entry":[..]}`.
pub fn envelope(entries: Vec<Value>) -> Value {
    json!({ "object": "whatsapp_business_account", "entry": entries })
}

/// One `entry` holding `changes` for the number's WABA.
pub fn entry(number: &FakeNumber, changes: Vec<Value>) -> Value {
    json!({ "id": number.waba_id, "changes": changes })
}

/// A `messages` change whose value carries `extra` (`statuses`, or `contacts` + `messages`).
pub fn messages_change(number: &FakeNumber, extra: Value) -> Value {
    let mut value = json!({
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": number.display_phone_number,
            "phone_number_id": number.phone_number_id,
        },
    });
    if let (Some(value), Value::Object(extra)) = (value.as_object_mut(), extra) {
        value.extend(extra);
    }
    json!({ "field": "messages", "value": value })
}

/// A whole status POST, statuses spread over entries/changes per `layout`.
pub fn statuses_body(number: &FakeNumber, statuses: Vec<Value>, layout: Layout) -> Value {
    let change = |statuses: Vec<Value>| messages_change(number, json!({ "statuses": statuses }));
    let entries = match layout {
        Layout::OneChange => vec![entry(number, vec![change(statuses)])],
        Layout::ChangePerStatus => {
            vec![entry(
                number,
                statuses.into_iter().map(|s| change(vec![s])).collect(),
            )]
        }
        Layout::EntryPerStatus => statuses
            .into_iter()
            .map(|s| entry(number, vec![change(vec![s])]))
            .collect(),
    };
    envelope(entries)
}

/// One `statuses[]` object for `message` (WS).
pub fn status_object(
    message: &SentMessage,
    kind: StatusKind,
    unix_secs: u64,
    version: WebhookVersion,
) -> Value {
    let mut status = json!({
        "id": message.wamid,
        "status": status_name(kind),
        "timestamp": unix_secs.to_string(),
        "recipient_id": message.wa_id,
    });
    if let Some(data) = &message.biz_opaque_callback_data {
        status["biz_opaque_callback_data"] = json!(data);
    }
    match kind {
        StatusKind::Sent | StatusKind::Delivered => {
            if version == WebhookVersion::V23 {
                status["conversation"] = conversation(message, unix_secs);
            }
            status["pricing"] = pricing(message);
        }
        StatusKind::Failed(code) => status["errors"] = json!([webhook_error(code)]),
        StatusKind::Read | StatusKind::Played => {}
    }
    status
}

fn status_name(kind: StatusKind) -> &'static str {
    match kind {
        StatusKind::Sent => "sent",
        StatusKind::Delivered => "delivered",
        StatusKind::Read => "read",
        StatusKind::Played => "played",
        StatusKind::Failed(_) => "failed",
    }
}

fn pricing(message: &SentMessage) -> Value {
    match &message.template_category {
        Some(category) => json!({
            "billable": true, "pricing_model": "PMP", "type": "regular", "category": category,
        }),
        None => json!({
            "billable": false, "pricing_model": "PMP", "type": "free_customer_service", "category": "service",
        }),
    }
}

/// On v23 the conversation id is per message (WS), so derive it from the wamid.
fn conversation(message: &SentMessage, unix_secs: u64) -> Value {
    let id = hex::encode(&Sha256::digest(message.wamid.as_bytes())[..16]);
    let origin = message.template_category.as_deref().unwrap_or("service");
    json!({
        "id": id,
        "expiration_timestamp": (unix_secs + 24 * 3600).to_string(),
        "origin": { "type": origin },
    })
}

/// The `message_template_status_update` webhook (WTS, cloud-api.md §5).
pub fn template_status_body(waba_id: &str, unix_secs: u64, event: Value) -> Value {
    envelope(vec![json!({
        "id": waba_id,
        "time": unix_secs,
        "changes": [{ "field": "message_template_status_update", "value": event }],
    })])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(category: Option<&str>) -> SentMessage {
        SentMessage {
            wamid: "wamid.X".to_owned(),
            phone_number_id: "1".to_owned(),
            to: "+16505551234".to_owned(),
            wa_id: "16505551234".to_owned(),
            body: json!({}),
            biz_opaque_callback_data: Some("cb".to_owned()),
            template_category: category.map(str::to_owned),
        }
    }

    #[test]
    fn sent_carries_pricing_and_conversation_on_v23_only() {
        let v23 = status_object(
            &message(Some("marketing")),
            StatusKind::Sent,
            10,
            WebhookVersion::V23,
        );
        assert_eq!(v23["pricing"]["category"], "marketing");
        assert_eq!(v23["conversation"]["origin"]["type"], "marketing");
        assert_eq!(v23["biz_opaque_callback_data"], "cb");
        assert_eq!(v23["timestamp"], "10");
        let v24 = status_object(
            &message(None),
            StatusKind::Sent,
            10,
            WebhookVersion::V24Plus,
        );
        assert!(v24.get("conversation").is_none());
        assert_eq!(v24["pricing"]["type"], "free_customer_service");
    }

    #[test]
    fn failed_carries_errors_and_read_carries_no_pricing() {
        let failed = status_object(
            &message(None),
            StatusKind::Failed(131026),
            1,
            WebhookVersion::V23,
        );
        assert_eq!(failed["errors"][0]["code"], 131026);
        let read = status_object(&message(None), StatusKind::Read, 1, WebhookVersion::V23);
        assert!(read.get("pricing").is_none() && read.get("errors").is_none());
    }

    #[test]
    fn layouts_spread_statuses_over_entries_and_changes() {
        let number = FakeNumber::default();
        let statuses = vec![json!({"a":1}), json!({"b":2})];
        let one = statuses_body(&number, statuses.clone(), Layout::OneChange);
        assert_eq!(
            one["entry"][0]["changes"][0]["value"]["statuses"]
                .as_array()
                .map(Vec::len),
            Some(2)
        );
        let per_change = statuses_body(&number, statuses.clone(), Layout::ChangePerStatus);
        assert_eq!(
            per_change["entry"][0]["changes"].as_array().map(Vec::len),
            Some(2)
        );
        let per_entry = statuses_body(&number, statuses, Layout::EntryPerStatus);
        assert_eq!(per_entry["entry"].as_array().map(Vec::len), Some(2));
    }
}
