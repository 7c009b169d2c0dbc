//! What a campaign's messages do to its read models: each recipient's
//! status, times and error in `campaign_recipients`, and the counters of
//! the `campaigns` document.
//!
//! A message records the move of its recipient (`RecipientProgressed`,
//! from one status to another), so the counters move by exactly what the
//! documents do and always equal a recount. Every change is guarded by the
//! run: a late status of an earlier run of a recurring campaign touches
//! neither the new run's recipients nor its counters.

use cqrs_es::Aggregate;
use herald_application::campaigns::read_model::{
    recipient_document_id, CAMPAIGNS, CAMPAIGN_RECIPIENTS, PROJECTION,
};
use herald_application::ports::event_feed::RecordedCommit;
use herald_application::ports::read_store::{date_value, Change, Condition, Document};
use herald_domain::campaign::RecipientStatus;
use herald_domain::message::{Message, MessageEvent};
use serde_json::{json, Value};

use crate::changes::{decode, object};
use crate::projector::ProjectionError;

/// The changes a message commit makes to the campaign read models.
///
/// # Errors
/// When an event does not read back.
pub fn changes(commit: &RecordedCommit) -> Result<Vec<Change>, ProjectionError> {
    debug_assert_eq!(commit.aggregate_type, Message::TYPE);
    let mut changes = Vec::new();
    for event in &commit.events {
        // Only two event types concern campaigns; the rest are not read.
        if !matches!(
            event.event_type.as_str(),
            MessageEvent::QUEUED | "MessageRecipientProgressed"
        ) {
            continue;
        }
        match decode(PROJECTION, commit, event)? {
            MessageEvent::Queued {
                campaign_id: Some(campaign_id),
                campaign_run,
                to,
                at,
                ..
            } => changes.push(recipient_of_run(
                &campaign_id,
                to.as_str(),
                campaign_run.unwrap_or(1),
                object(json!({
                    "messageId": commit.aggregate_id,
                    "updatedAt": date_value(at),
                })),
            )),
            MessageEvent::RecipientProgressed {
                campaign_id,
                run,
                recipient,
                from,
                to,
                error,
                at,
            } => {
                let mut fields = object(json!({
                    "status": to,
                    "messageId": commit.aggregate_id,
                    "errorMessage": error,
                    "updatedAt": date_value(at),
                }));
                if let Some(field) = time_field(to) {
                    fields.insert(field.into(), date_value(at));
                }
                changes.push(recipient_of_run(
                    &campaign_id,
                    recipient.as_str(),
                    run,
                    fields,
                ));
                changes.push(campaign_of_run(
                    &campaign_id,
                    run,
                    object(
                        json!({ "lastProgressAt": date_value(at), "updatedAt": date_value(at) }),
                    ),
                    vec![(from.counter(), -1), (to.counter(), 1)],
                ));
            }
            _ => {}
        }
    }
    Ok(changes)
}

/// When a recipient reached a status, as seed 000 names the times.
fn time_field(status: RecipientStatus) -> Option<&'static str> {
    match status {
        RecipientStatus::Sent => Some("sentAt"),
        RecipientStatus::Delivered => Some("deliveredAt"),
        RecipientStatus::Read => Some("readAt"),
        RecipientStatus::Failed => Some("failedAt"),
        _ => None,
    }
}

fn recipient_of_run(campaign_id: &str, phone_number: &str, run: u32, set: Document) -> Change {
    Change::UpdateWhere {
        collection: &CAMPAIGN_RECIPIENTS,
        conditions: vec![
            Condition::Equals(
                "_id",
                Value::from(recipient_document_id(campaign_id, phone_number)),
            ),
            Condition::Equals("run", Value::from(run)),
        ],
        set,
        increment: vec![],
    }
}

/// An update of the campaign's document while it is in run `run`.
pub fn campaign_of_run(
    campaign_id: &str,
    run: u32,
    set: Document,
    increment: Vec<(&'static str, i64)>,
) -> Change {
    Change::UpdateWhere {
        collection: &CAMPAIGNS,
        conditions: vec![
            Condition::Equals("_id", Value::from(campaign_id)),
            Condition::Equals("run", Value::from(run)),
        ],
        set,
        increment,
    }
}
