//! The `audit_logs` read model (seed 000 `audit_logs`): one document per
//! command a person or a key gave, and per attempt refused, built from the
//! metadata every commit carries. As in every read model, `userId` holds
//! the tenant; who acted is `actorId` (a user's or key's id) with
//! `actorType` and `role`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::ports::read_store::{
    document_of, stored_date, CollectionSpec, Document, IndexSpec, SortOrder::Ascending as Asc,
    SortOrder::Descending as Desc,
};

pub const PROJECTION: &str = "audit_logs";

/// What became of what was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Recorded in the log.
    Succeeded,
    /// Refused before anything was recorded: the role or key may not, or
    /// the plan allows no more.
    Denied,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditDocument {
    /// The commit's position, zero-padded, so ids sort as the log does.
    #[serde(rename = "_id")]
    pub id: String,
    /// The tenant.
    pub user_id: String,
    /// The user or key that acted; null for the operator.
    pub actor_id: Option<String>,
    /// `user`, `api_key` or `operator`.
    pub actor_type: String,
    pub role: Option<String>,
    /// The first event's type (`CampaignCreated`), or `AccessDenied`.
    pub action: String,
    /// Every event the command recorded.
    pub actions: Vec<String>,
    /// Seed 000's `entityType` (`session`, `campaign`, `message`, `user`,
    /// `payment`), or the aggregate type where the seed has none.
    pub entity_type: String,
    pub entity_id: String,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub outcome: Outcome,
    /// Why an attempt was refused.
    pub reason: Option<String>,
    pub metadata: Map<String, Value>,
    #[serde(with = "stored_date")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "stored_date")]
    pub updated_at: DateTime<Utc>,
}

impl AuditDocument {
    pub fn into_document(self) -> Document {
        document_of(&self)
    }
}

/// Seed 000's indexes (`userId` + `createdAt`, `action` + `createdAt`,
/// `createdAt`), and one for each filter the API offers, each within a
/// tenant and newest first.
pub static AUDIT_LOGS: CollectionSpec = CollectionSpec {
    name: "audit_logs",
    date_fields: &["createdAt", "updatedAt"],
    indexes: &[
        IndexSpec::on(&[("userId", Asc), ("createdAt", Desc), ("_id", Desc)]),
        IndexSpec::on(&[("action", Asc), ("createdAt", Desc)]),
        IndexSpec::on(&[("createdAt", Desc)]),
        IndexSpec::on(&[
            ("userId", Asc),
            ("action", Asc),
            ("createdAt", Desc),
            ("_id", Desc),
        ]),
        IndexSpec::on(&[
            ("userId", Asc),
            ("actorId", Asc),
            ("createdAt", Desc),
            ("_id", Desc),
        ]),
        IndexSpec::on(&[
            ("userId", Asc),
            ("entityType", Asc),
            ("entityId", Asc),
            ("createdAt", Desc),
            ("_id", Desc),
        ]),
    ],
};

pub static COLLECTIONS: [&CollectionSpec; 1] = [&AUDIT_LOGS];
