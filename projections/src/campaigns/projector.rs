//! Which changes each campaign event makes to the read models.

use cqrs_es::Aggregate;
use herald_application::campaigns::read_model::{
    CAMPAIGNS, CAMPAIGN_RECIPIENTS, COLLECTIONS, PROJECTION,
};
use herald_application::ports::event_feed::RecordedCommit;
use herald_application::ports::read_store::{
    date_value, Change, CollectionSpec, Condition, Document,
};
use herald_domain::campaign::{
    Campaign, CampaignEvent, CampaignStatus, DefinitionChanges, Recipient, RecipientStatus,
};
use herald_domain::message::Message;
use serde_json::{json, Value};

use super::documents::{self as doc, CommitFacts};
use super::outcomes;
use crate::changes::{self, decode, object, put};
use crate::projector::{ProjectionError, Projector};

#[derive(Debug, Default, Clone, Copy)]
pub struct CampaignProjector;

impl Projector for CampaignProjector {
    fn name(&self) -> &'static str {
        PROJECTION
    }

    fn collections(&self) -> &'static [&'static CollectionSpec] {
        &COLLECTIONS
    }

    fn follows(&self) -> &'static [&'static str] {
        &[Campaign::TYPE, Message::TYPE]
    }

    fn project(&self, commit: &RecordedCommit) -> Result<Vec<Change>, ProjectionError> {
        if commit.aggregate_type == Message::TYPE {
            return outcomes::changes(commit);
        }
        if commit.aggregate_type != Campaign::TYPE {
            return Ok(Vec::new());
        }
        let facts = CommitFacts {
            campaign_id: &commit.aggregate_id,
            tenant: &commit.tenant,
            actor: commit.actor(),
            position: commit.position,
            recorded_at: commit.recorded_at,
        };
        let mut changes = Vec::new();
        for event in &commit.events {
            changes.extend(changes_of(&facts, decode(PROJECTION, commit, event)?));
        }
        Ok(changes)
    }
}

fn changes_of(facts: &CommitFacts<'_>, event: CampaignEvent) -> Vec<Change> {
    match event {
        CampaignEvent::Created {
            definition,
            schedule,
            recipients,
        } => {
            let mut changes = vec![put(
                &CAMPAIGNS,
                facts.campaign_id,
                doc::campaign(facts, &definition, &schedule, recipients.len()),
            )];
            changes.extend(put_recipients(facts, &recipients));
            changes
        }
        CampaignEvent::Edited(edits) => vec![update(facts, edited_fields(&edits), vec![])],
        CampaignEvent::RecipientsReplaced { recipients } => replaced_recipients(facts, &recipients),
        CampaignEvent::RecipientsAdded { recipients } => {
            let added = recipients.len() as i64;
            let mut changes = put_recipients(facts, &recipients);
            changes.push(update(
                facts,
                Document::new(),
                vec![("totalRecipients", added), ("pendingCount", added)],
            ));
            changes
        }
        CampaignEvent::Scheduled {
            schedule,
            next_run_at,
        } => {
            let mut fields = status(CampaignStatus::Scheduled);
            fields.extend(doc::schedule_fields(&schedule, Some(next_run_at)));
            vec![update(facts, fields, vec![])]
        }
        CampaignEvent::Started { run, recipients } => started(facts, run, recipients),
        CampaignEvent::BatchReserved { .. } | CampaignEvent::BatchQueued { .. } => Vec::new(),
        CampaignEvent::Paused => vec![update(facts, paused(None), vec![])],
        CampaignEvent::PausedAutomatically { reason } => {
            vec![update(facts, paused(Some(&reason)), vec![])]
        }
        CampaignEvent::Resumed => vec![update(
            facts,
            with(
                status(CampaignStatus::Running),
                json!({ "pauseReason": null }),
            ),
            vec![],
        )],
        CampaignEvent::RecipientsNotSent {
            run, count, reason, ..
        } => not_sent(facts, run, count, &reason),
        CampaignEvent::RunCompleted { next_run_at } => vec![update(
            facts,
            with(
                status(CampaignStatus::Scheduled),
                json!({ "scheduleTime": date_value(next_run_at) }),
            ),
            vec![],
        )],
        CampaignEvent::Completed => vec![update(
            facts,
            with(
                status(CampaignStatus::Completed),
                json!({ "completedAt": date_value(facts.recorded_at) }),
            ),
            vec![],
        )],
        CampaignEvent::ResendUnknownRequested { .. } => vec![update(
            facts,
            object(json!({ "resendRequestedAt": date_value(facts.recorded_at) })),
            vec![],
        )],
        CampaignEvent::Failed { reason } => vec![update(
            facts,
            with(
                status(CampaignStatus::Failed),
                json!({ "completedAt": date_value(facts.recorded_at), "failureReason": reason }),
            ),
            vec![],
        )],
        CampaignEvent::Stopped => vec![update(
            facts,
            with(
                status(CampaignStatus::Stopped),
                json!({ "stoppedAt": date_value(facts.recorded_at) }),
            ),
            vec![],
        )],
    }
}

fn edited_fields(edits: &DefinitionChanges) -> Document {
    let mut fields = Document::new();
    if let Some(name) = &edits.name {
        fields.extend(doc::name_fields(name.as_str()));
    }
    if let Some(description) = &edits.description {
        fields.insert("description".into(), Value::from(description.as_str()));
    }
    if let Some(session) = &edits.session_id {
        fields.insert("sessionId".into(), Value::from(session.as_str()));
    }
    if let Some(message) = &edits.message {
        fields.extend(doc::message_fields(message));
    }
    if let Some(delay) = edits.delay {
        fields.extend(doc::pace_fields(delay));
    }
    if let Some(personalize) = edits.personalize {
        fields.insert("personalize".into(), Value::from(personalize));
    }
    if let Some(schedule) = &edits.schedule {
        fields.extend(doc::schedule_fields(schedule, schedule.start_time()));
    }
    fields
}

fn replaced_recipients(facts: &CommitFacts<'_>, recipients: &[Recipient]) -> Vec<Change> {
    let mut changes = vec![Change::DeleteWhere {
        collection: &CAMPAIGN_RECIPIENTS,
        conditions: vec![Condition::Equals(
            "campaignId",
            Value::from(facts.campaign_id),
        )],
    }];
    changes.extend(put_recipients(facts, recipients));
    let counters = doc::counters(recipients.len() as u64);
    changes.push(update(facts, counters, vec![]));
    changes
}

fn put_recipients(facts: &CommitFacts<'_>, recipients: &[Recipient]) -> Vec<Change> {
    recipients
        .iter()
        .enumerate()
        .map(|(index, r)| {
            put(
                &CAMPAIGN_RECIPIENTS,
                &doc::recipient_id(facts.campaign_id, r),
                doc::recipient(facts, r, index),
            )
        })
        .collect()
}

/// An update of the campaign document, which always moves `updatedAt`.
fn update(facts: &CommitFacts<'_>, set: Document, increment: Vec<(&'static str, i64)>) -> Change {
    changes::update(
        &CAMPAIGNS,
        facts.campaign_id,
        facts.recorded_at,
        set,
        increment,
    )
}

/// A new run: every recipient pending again, and the counters with them.
/// Commits from before `recipients` was recorded leave the counters as
/// they are.
fn started(facts: &CommitFacts<'_>, run: u32, recipients: Option<u32>) -> Vec<Change> {
    let mut fields = with(
        status(CampaignStatus::Running),
        json!({
            "run": run,
            "startedAt": date_value(facts.recorded_at),
            "completedAt": null,
            "pauseReason": null,
            "lastProgressAt": null,
        }),
    );
    if let Some(total) = recipients {
        fields.extend(doc::counters(u64::from(total)));
    }
    let reset = Change::UpdateWhere {
        collection: &CAMPAIGN_RECIPIENTS,
        conditions: vec![Condition::Equals(
            "campaignId",
            Value::from(facts.campaign_id),
        )],
        set: doc::recipient_reset(run, facts.recorded_at),
        increment: vec![],
    };
    vec![update(facts, fields, vec![]), reset]
}

/// The recipients the sender never took: only those still pending with no
/// message (a message queued for one settles it itself).
fn not_sent(facts: &CommitFacts<'_>, run: u32, count: u32, reason: &str) -> Vec<Change> {
    let recipients = Change::UpdateWhere {
        collection: &CAMPAIGN_RECIPIENTS,
        conditions: vec![
            Condition::Equals("campaignId", Value::from(facts.campaign_id)),
            Condition::Equals("status", Value::from(RecipientStatus::Pending.as_str())),
            Condition::Equals("messageId", Value::Null),
        ],
        set: object(json!({
            "status": RecipientStatus::NotSent.as_str(),
            "errorMessage": reason,
            "updatedAt": date_value(facts.recorded_at),
        })),
        increment: vec![],
    };
    let count = i64::from(count);
    let counters = outcomes::campaign_of_run(
        facts.campaign_id,
        run,
        object(json!({ "updatedAt": date_value(facts.recorded_at) })),
        vec![
            (RecipientStatus::Pending.counter(), -count),
            (RecipientStatus::NotSent.counter(), count),
        ],
    );
    vec![recipients, counters]
}

fn paused(reason: Option<&str>) -> Document {
    with(
        status(CampaignStatus::Paused),
        json!({ "pauseReason": reason }),
    )
}

fn status(status: CampaignStatus) -> Document {
    object(json!({ "status": status }))
}

fn with(mut fields: Document, more: Value) -> Document {
    fields.extend(object(more));
    fields
}
