//! Campaign and recipient documents, with the seeds' field names.
//!
//! Both seeds describe `campaigns`; a document carries the fields of each
//! (`campaignName` and `name`, `scheduleTime` and `schedule`), so dashboards
//! written against either keep working. Counters start with every recipient
//! pending; sending moves them.

use chrono::{DateTime, Utc};
use herald_application::campaigns::read_model::{
    CampaignDocument, DefinitionFields, MessageFields, NameFields, Pace, PaceFields,
    RecipientCounters, RecipientDocument, RecipientOutcome, ScheduleDocument, ScheduleFields,
    TemplateFields,
};
use herald_application::ports::read_store::{document_of, Document};
use herald_domain::campaign::{
    CampaignDefinition, CampaignMessage, CampaignStatus, Delay, Recipient, Schedule,
};
use serde_json::{Map, Value};

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
    CampaignDocument {
        id: facts.campaign_id.to_owned(),
        user_id: facts.tenant.to_owned(),
        created_by: facts.actor.map(str::to_owned),
        status: CampaignStatus::Draft,
        pause_reason: None,
        last_progress_at: None,
        started_at: None,
        completed_at: None,
        stopped_at: None,
        resend_requested_at: None,
        run: 0,
        failure_reason: None,
        template_id: None,
        contacts: Vec::new(),
        metadata: Map::new(),
        created_at: facts.recorded_at,
        updated_at: facts.recorded_at,
        counters: RecipientCounters::all_pending(recipients as u64),
        definition: definition_of(definition),
        schedule: schedule_of(schedule, schedule.start_time()),
    }
    .into_document()
}

/// `totalRecipients` and a counter per recipient status, every recipient
/// pending: a new campaign, a new run, a new list.
pub fn counters(total: u64) -> Document {
    document_of(&RecipientCounters::all_pending(total))
}

fn definition_of(definition: &CampaignDefinition) -> DefinitionFields {
    DefinitionFields {
        session_id: definition.session_id.as_str().to_owned(),
        description: definition.description.as_str().to_owned(),
        personalize: definition.personalize,
        pace: pace_of(definition.delay),
        names: names_of(definition.name.as_str()),
        message: message_of(&definition.message),
    }
}

fn pace_of(delay: Option<Delay>) -> PaceFields {
    PaceFields {
        delay_between_messages: delay.map(Delay::millis),
        pace: if delay.is_some() {
            Pace::Delay
        } else {
            Pace::Throughput
        },
    }
}

fn names_of(name: &str) -> NameFields {
    NameFields {
        campaign_name: name.to_owned(),
        name: name.to_owned(),
    }
}

fn message_of(message: &CampaignMessage) -> MessageFields {
    MessageFields {
        message_type: message.message_type().as_str().to_owned(),
        message_content: message.content().map(str::to_owned),
        media_url: message.media_url().map(|url| url.as_str().to_owned()),
        template: message.template().map(|t| TemplateFields {
            name: t.name.clone(),
            language: t.language.clone(),
            variables: t.variables.clone(),
        }),
    }
}

fn schedule_of(schedule: &Schedule, next_run: Option<DateTime<Utc>>) -> ScheduleFields {
    ScheduleFields {
        schedule: ScheduleDocument {
            kind: schedule.kind().to_owned(),
            start_time: schedule.start_time(),
            recurrence: schedule
                .recurrence()
                .map_or("none", |r| r.as_str())
                .to_owned(),
            timezone: schedule.timezone().map(|z| z.name().to_owned()),
        },
        schedule_time: next_run,
    }
}

/// The fields that say what the campaign sends and how.
pub fn definition_fields(definition: &CampaignDefinition) -> Document {
    document_of(&definition_of(definition))
}

/// `delayBetweenMessages` and `pace`.
pub fn pace_fields(delay: Option<Delay>) -> Document {
    document_of(&pace_of(delay))
}

pub fn name_fields(name: &str) -> Document {
    document_of(&names_of(name))
}

pub fn message_fields(message: &CampaignMessage) -> Document {
    document_of(&message_of(message))
}

/// `schedule` and `scheduleTime`, when the campaign next runs.
pub fn schedule_fields(schedule: &Schedule, next_run: Option<DateTime<Utc>>) -> Document {
    document_of(&schedule_of(schedule, next_run))
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
    RecipientDocument {
        id: recipient_id(facts.campaign_id, recipient),
        campaign_id: facts.campaign_id.to_owned(),
        user_id: facts.tenant.to_owned(),
        phone_number: recipient.phone_number.as_str().to_owned(),
        name: recipient.name.clone(),
        custom_data: recipient
            .custom_data
            .iter()
            .map(|(key, value)| (key.clone(), Value::from(value.as_str())))
            .collect(),
        outcome: RecipientOutcome::pending(0, facts.recorded_at),
        order: order(facts.position, index),
        created_at: facts.recorded_at,
    }
    .into_document()
}

/// The fields of every recipient when run `run` starts: pending, with
/// nothing of an earlier run.
pub fn recipient_reset(run: u32, at: DateTime<Utc>) -> Document {
    document_of(&RecipientOutcome::pending(run, at))
}

/// Orders recipients by the commit that added them, then by place in it.
/// One request carries at most 5,000 recipients, well under the 10,000
/// places per commit this leaves.
fn order(position: u64, index: usize) -> u64 {
    position.saturating_mul(10_000).saturating_add(index as u64)
}
