//! The campaign read models: the `campaigns` and `campaign_recipients`
//! collections of the customer's seeds, with their fields and indexes.

use chrono::{DateTime, Utc};
use herald_domain::campaign::{CampaignStatus, RecipientStatus, TemplateVariables};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::ports::read_store::{
    document_of, stored_date, CollectionSpec, Document, IndexSpec, SortOrder::Ascending as Asc,
    SortOrder::Descending as Desc,
};

/// The projection that keeps both collections.
pub const PROJECTION: &str = "campaigns";

/// A document of the `campaigns` collection. Both seeds describe
/// campaigns; a document carries the fields of each (`campaignName` and
/// `name`, `scheduleTime` and `schedule`), so dashboards written against
/// either keep working. The parts an edit changes are types of their own,
/// so an edit writes the same fields a new campaign has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CampaignDocument {
    #[serde(rename = "_id")]
    pub id: String,
    pub user_id: String,
    pub created_by: Option<String>,
    pub status: CampaignStatus,
    pub pause_reason: Option<String>,
    #[serde(with = "stored_date::optional")]
    pub last_progress_at: Option<DateTime<Utc>>,
    #[serde(with = "stored_date::optional")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(with = "stored_date::optional")]
    pub completed_at: Option<DateTime<Utc>>,
    #[serde(with = "stored_date::optional")]
    pub stopped_at: Option<DateTime<Utc>>,
    #[serde(
        default,
        with = "stored_date::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub resend_requested_at: Option<DateTime<Utc>>,
    pub run: u32,
    pub failure_reason: Option<String>,
    pub template_id: Option<String>,
    pub contacts: Vec<Value>,
    pub metadata: Map<String, Value>,
    #[serde(with = "stored_date")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "stored_date")]
    pub updated_at: DateTime<Utc>,
    #[serde(flatten)]
    pub counters: RecipientCounters,
    #[serde(flatten)]
    pub definition: DefinitionFields,
    #[serde(flatten)]
    pub schedule: ScheduleFields,
}

impl CampaignDocument {
    /// The document as the read store keeps it.
    pub fn into_document(self) -> Document {
        document_of(&self)
    }
}

/// `totalRecipients` and a count per recipient status, under the names
/// [`RecipientStatus::counter`] gives.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecipientCounters {
    pub total_recipients: u64,
    pub pending_count: u64,
    pub sent_count: u64,
    pub delivered_count: u64,
    pub read_count: u64,
    pub failed_count: u64,
    pub unknown_count: u64,
    pub not_sent_count: u64,
}

impl RecipientCounters {
    /// Every one of `total` recipients pending: a new campaign, run or list.
    pub fn all_pending(total: u64) -> Self {
        Self {
            total_recipients: total,
            pending_count: total,
            ..Self::default()
        }
    }
}

/// What the campaign sends and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DefinitionFields {
    pub session_id: String,
    pub description: String,
    pub personalize: bool,
    #[serde(flatten)]
    pub pace: PaceFields,
    #[serde(flatten)]
    pub names: NameFields,
    #[serde(flatten)]
    pub message: MessageFields,
}

/// How the campaign is paced: a `delay` between its own sends (seed 000's
/// `delayBetweenMessages`, in milliseconds), or `throughput`, as fast as
/// its number's budget allows (`delayBetweenMessages` is then null).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaceFields {
    pub delay_between_messages: Option<u32>,
    pub pace: Pace,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pace {
    Delay,
    Throughput,
}

/// The campaign's name, under both seeds' field names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NameFields {
    pub campaign_name: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageFields {
    pub message_type: String,
    pub message_content: Option<String>,
    pub media_url: Option<String>,
    pub template: Option<TemplateFields>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateFields {
    pub name: String,
    pub language: String,
    pub variables: TemplateVariables,
}

/// `schedule` as seed 001 writes it, and `scheduleTime` (seed 000): when
/// the campaign next runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleFields {
    pub schedule: ScheduleDocument,
    #[serde(with = "stored_date::optional")]
    pub schedule_time: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleDocument {
    /// `immediate`, `scheduled` or `recurring`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(with = "stored_date::optional")]
    pub start_time: Option<DateTime<Utc>>,
    /// `none` for a campaign that does not recur.
    pub recurrence: String,
    pub timezone: Option<String>,
}

/// A document of the `campaign_recipients` collection: one per (campaign,
/// number).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecipientDocument {
    #[serde(rename = "_id")]
    pub id: String,
    pub campaign_id: String,
    pub user_id: String,
    pub phone_number: String,
    pub name: Option<String>,
    pub custom_data: Map<String, Value>,
    #[serde(flatten)]
    pub outcome: RecipientOutcome,
    /// Orders recipients by the commit that added them, then by place in it.
    pub order: u64,
    #[serde(with = "stored_date")]
    pub created_at: DateTime<Utc>,
}

impl RecipientDocument {
    /// The document as the read store keeps it.
    pub fn into_document(self) -> Document {
        document_of(&self)
    }
}

/// Where a recipient stands in the campaign's current run: what a new run
/// resets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecipientOutcome {
    pub status: RecipientStatus,
    pub run: u32,
    #[serde(with = "stored_date::optional")]
    pub sent_at: Option<DateTime<Utc>>,
    #[serde(with = "stored_date::optional")]
    pub delivered_at: Option<DateTime<Utc>>,
    #[serde(with = "stored_date::optional")]
    pub read_at: Option<DateTime<Utc>>,
    #[serde(with = "stored_date::optional")]
    pub failed_at: Option<DateTime<Utc>>,
    pub error_message: Option<String>,
    pub message_id: Option<String>,
    #[serde(with = "stored_date")]
    pub updated_at: DateTime<Utc>,
}

impl RecipientOutcome {
    /// Pending in run `run`, with nothing of an earlier run.
    pub fn pending(run: u32, at: DateTime<Utc>) -> Self {
        Self {
            status: RecipientStatus::Pending,
            run,
            sent_at: None,
            delivered_at: None,
            read_at: None,
            failed_at: None,
            error_message: None,
            message_id: None,
            updated_at: at,
        }
    }
}

pub static CAMPAIGNS: CollectionSpec = CollectionSpec {
    name: "campaigns",
    date_fields: &[
        "scheduleTime",
        "startedAt",
        "completedAt",
        "stoppedAt",
        "createdAt",
        "updatedAt",
        "schedule.startTime",
    ],
    indexes: &[
        // Seed 000: single-field indexes, then the compound ones.
        IndexSpec {
            fields: &[("sessionId", Asc)],
            unique: false,
            sparse: false,
        },
        IndexSpec {
            fields: &[("userId", Asc)],
            unique: false,
            sparse: false,
        },
        IndexSpec {
            fields: &[("status", Asc)],
            unique: false,
            sparse: false,
        },
        IndexSpec {
            fields: &[("userId", Asc), ("status", Asc)],
            unique: false,
            sparse: false,
        },
        IndexSpec {
            fields: &[("sessionId", Asc), ("status", Asc)],
            unique: false,
            sparse: false,
        },
        IndexSpec {
            fields: &[("status", Asc), ("scheduleTime", Asc)],
            unique: false,
            sparse: false,
        },
        // Herald: a tenant's campaigns, newest first, alone or by status or
        // session; the id orders campaigns created in the same millisecond,
        // so that pages (and cursors) need no sort.
        IndexSpec {
            fields: &[("userId", Asc), ("createdAt", Desc), ("_id", Desc)],
            unique: false,
            sparse: false,
        },
        IndexSpec {
            fields: &[
                ("userId", Asc),
                ("status", Asc),
                ("createdAt", Desc),
                ("_id", Desc),
            ],
            unique: false,
            sparse: false,
        },
        IndexSpec {
            fields: &[
                ("userId", Asc),
                ("sessionId", Asc),
                ("createdAt", Desc),
                ("_id", Desc),
            ],
            unique: false,
            sparse: false,
        },
    ],
};

pub static CAMPAIGN_RECIPIENTS: CollectionSpec = CollectionSpec {
    name: "campaign_recipients",
    date_fields: &["sentAt", "deliveredAt", "createdAt", "updatedAt"],
    indexes: &[
        IndexSpec {
            fields: &[("campaignId", Asc)],
            unique: false,
            sparse: false,
        },
        IndexSpec {
            fields: &[("status", Asc)],
            unique: false,
            sparse: false,
        },
        IndexSpec {
            fields: &[("campaignId", Asc), ("status", Asc)],
            unique: false,
            sparse: false,
        },
        // Herald: a campaign's recipients in the order they were added, all
        // or by outcome.
        IndexSpec {
            fields: &[("campaignId", Asc), ("order", Asc), ("_id", Asc)],
            unique: false,
            sparse: false,
        },
        IndexSpec {
            fields: &[
                ("campaignId", Asc),
                ("status", Asc),
                ("order", Asc),
                ("_id", Asc),
            ],
            unique: false,
            sparse: false,
        },
    ],
};

pub static COLLECTIONS: [&CollectionSpec; 2] = [&CAMPAIGNS, &CAMPAIGN_RECIPIENTS];

/// A recipient document's id: one per (campaign, number), so projecting the
/// same recipient twice lands on one document.
pub fn recipient_document_id(campaign_id: &str, phone_number: &str) -> String {
    format!("{campaign_id}:{phone_number}")
}
