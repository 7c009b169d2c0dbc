//! Campaign and recipient documents, with the seeds' field names.
//!
//! Both seeds describe `campaigns`; a document carries the fields of each
//! (`campaignName` and `name`, `scheduleTime` and `schedule`), so dashboards
//! written against either keep working. Counters start with every recipient
//! pending; sending moves them.

use chrono::{DateTime, Utc};
use herald_application::ports::read_store::{date_value, Document, TENANT_FIELD};
use herald_domain::campaign::{
    CampaignDefinition, CampaignMessage, Delay, Recipient, RecipientStatus, Schedule,
};
use serde_json::{json, Value};

use crate::changes::object;

/// Facts of the commit every document change needs.
pub struct CommitFacts<'a> {
    pub campaign_id: &'a str,
    pub tenant: &'a str,
    pub actor: Option<&'a str>,
    pub position: u64,
    pub recorded_at: DateTime<Utc>,
}

pub fn campaign(
    facts: &CommitFacts<'_>,
    definition: &CampaignDefinition,
    schedule: &Schedule,
    recipients: usize,
) -> Document {
    let now = date_value(facts.recorded_at);
    let mut document = object(json!({
        "_id": facts.campaign_id,
        TENANT_FIELD: facts.tenant,
        "createdBy": facts.actor,
        "status": "draft",
        "pauseReason": null,
        "lastProgressAt": null,
        "startedAt": null,
        "completedAt": null,
        "stoppedAt": null,
        "run": 0,
        "failureReason": null,
        "templateId": null,
        "contacts": [],
        "metadata": {},
        "createdAt": now,
        "updatedAt": now,
    }));
    document.extend(counters(recipients as u64));
    document.extend(definition_fields(definition));
    document.extend(schedule_fields(schedule, schedule.start_time()));
    document
}

/// `totalRecipients` and a counter per recipient status, every recipient
/// pending: a new campaign, a new run, a new list.
pub fn counters(total: u64) -> Document {
    let mut fields = object(json!({ "totalRecipients": total }));
    for status in RecipientStatus::ALL {
        let count = if status == RecipientStatus::Pending {
            total
        } else {
            0
        };
        fields.insert(status.counter().into(), Value::from(count));
    }
    fields
}

/// The fields that say what the campaign sends and how.
pub fn definition_fields(definition: &CampaignDefinition) -> Document {
    let mut fields = object(json!({
        "sessionId": definition.session_id.as_str(),
        "description": definition.description.as_str(),
        "personalize": definition.personalize,
    }));
    fields.extend(pace_fields(definition.delay));
    fields.extend(name_fields(definition.name.as_str()));
    fields.extend(message_fields(&definition.message));
    fields
}

/// `delayBetweenMessages` (seed 000) and `pace`, which says how the
/// campaign is paced: `delay` between its own sends, or `throughput`, as
/// fast as its number's budget allows (`delayBetweenMessages` is then null).
pub fn pace_fields(delay: Option<Delay>) -> Document {
    object(json!({
        "delayBetweenMessages": delay.map(Delay::millis),
        "pace": if delay.is_some() { "delay" } else { "throughput" },
    }))
}

pub fn name_fields(name: &str) -> Document {
    object(json!({ "campaignName": name, "name": name }))
}

pub fn message_fields(message: &CampaignMessage) -> Document {
    object(json!({
        "messageType": message.message_type().as_str(),
        "messageContent": message.content(),
        "mediaUrl": message.media_url().map(|url| url.as_str()),
        "template": message.template().map(|t| json!({
            "name": t.name,
            "language": t.language,
            "variables": t.variables,
        })),
    }))
}

/// `schedule` as seed 001 writes it, and `scheduleTime` (seed 000): when
/// the campaign next runs.
pub fn schedule_fields(schedule: &Schedule, next_run: Option<DateTime<Utc>>) -> Document {
    object(json!({
        "schedule": {
            "type": schedule.kind(),
            "startTime": schedule.start_time().map(date_value),
            "recurrence": schedule.recurrence().map_or("none", |r| r.as_str()),
            "timezone": schedule.timezone().map(|z| z.name()),
        },
        "scheduleTime": next_run.map(date_value),
    }))
}

/// A recipient's id: one document per (campaign, number).
pub fn recipient_id(campaign_id: &str, recipient: &Recipient) -> String {
    herald_application::campaigns::read_model::recipient_document_id(
        campaign_id,
        recipient.phone_number.as_str(),
    )
}

/// A recipient, pending. `index` is its place in the request that added it,
/// so recipients list in the order they were added.
pub fn recipient(facts: &CommitFacts<'_>, recipient: &Recipient, index: usize) -> Document {
    let now = date_value(facts.recorded_at);
    object(json!({
        "_id": recipient_id(facts.campaign_id, recipient),
        "campaignId": facts.campaign_id,
        TENANT_FIELD: facts.tenant,
        "phoneNumber": recipient.phone_number.as_str(),
        "name": recipient.name,
        "customData": recipient.custom_data,
        "status": RecipientStatus::Pending.as_str(),
        "run": 0,
        "sentAt": null,
        "deliveredAt": null,
        "readAt": null,
        "failedAt": null,
        "errorMessage": null,
        "messageId": null,
        "order": order(facts.position, index),
        "createdAt": now,
        "updatedAt": now,
    }))
}

/// The fields of every recipient when run `run` starts: pending, with
/// nothing of an earlier run.
pub fn recipient_reset(run: u32, at: DateTime<Utc>) -> Document {
    object(json!({
        "status": RecipientStatus::Pending.as_str(),
        "run": run,
        "sentAt": null,
        "deliveredAt": null,
        "readAt": null,
        "failedAt": null,
        "errorMessage": null,
        "messageId": null,
        "updatedAt": date_value(at),
    }))
}

/// Orders recipients by the commit that added them, then by place in it.
/// One request carries at most 5,000 recipients, well under the 10,000
/// places per commit this leaves.
fn order(position: u64, index: usize) -> u64 {
    position.saturating_mul(10_000).saturating_add(index as u64)
}
