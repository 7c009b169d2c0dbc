//! The `sessions` read model (seed 000 `sessions`, with seed 001
//! `Settings`' `phoneNumberId` and `wabaId`). Secrets are not projected at
//! all, not even sealed; the webhook verify token only as a keyed hash,
//! which is how Meta's verification request finds its session.

use chrono::{DateTime, Utc};
use herald_domain::session::SessionStatus;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::ports::read_store::{
    document_of, stored_date, CollectionSpec, Document, IndexSpec, SortOrder::Ascending as Asc,
    SortOrder::Descending as Desc,
};

pub const PROJECTION: &str = "sessions";

/// A `sessions` document, with seed 000's field names (and seed 001
/// `Settings`' channel ids): what the projection writes when a session is
/// created, and what reads of whole sessions get back. Later events set
/// some of its fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionDocument {
    #[serde(rename = "_id")]
    pub id: String,
    pub session_id: String,
    /// The tenant, as seed 000 names its owner.
    pub user_id: String,
    pub phone_number: String,
    pub session_name: Option<String>,
    /// Always null: Cloud API numbers connect without a QR code.
    pub qr_code: Option<String>,
    pub status: SessionStatus,
    pub is_active: bool,
    #[serde(with = "stored_date::optional")]
    pub last_seen: Option<DateTime<Utc>>,
    #[serde(with = "stored_date::optional")]
    pub connected_at: Option<DateTime<Utc>>,
    #[serde(with = "stored_date::optional")]
    pub disconnected_at: Option<DateTime<Utc>>,
    pub retry_count: u32,
    pub metadata: Map<String, Value>,
    /// `cloud_api`: the one channel Herald connects through.
    pub channel: String,
    pub phone_number_id: String,
    pub waba_id: String,
    /// A keyed hash of the webhook verify token; the token itself is
    /// never projected.
    pub verify_token_fingerprint: String,
    /// Sends a second; null for Herald's default rate.
    pub throughput: Option<u32>,
    pub verified_name: Option<String>,
    pub quality_rating: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality_event: Option<String>,
    #[serde(
        default,
        with = "stored_date::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub quality_reported_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_error_code: Option<i64>,
    pub created_by: Option<String>,
    #[serde(with = "stored_date")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "stored_date")]
    pub updated_at: DateTime<Utc>,
}

impl SessionDocument {
    /// The document as the read store keeps it.
    pub fn into_document(self) -> Document {
        document_of(&self)
    }
}

pub static SESSIONS: CollectionSpec = CollectionSpec {
    name: "sessions",
    date_fields: &[
        "lastSeen",
        "connectedAt",
        "disconnectedAt",
        "createdAt",
        "updatedAt",
    ],
    indexes: &[
        // Seed 000.
        IndexSpec {
            fields: &[("sessionId", Asc)],
            unique: true,
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
            fields: &[("isActive", Asc)],
            unique: false,
            sparse: false,
        },
        IndexSpec {
            fields: &[("userId", Asc), ("phoneNumber", Asc)],
            unique: true,
            sparse: false,
        },
        IndexSpec {
            fields: &[("status", Asc), ("userId", Asc)],
            unique: false,
            sparse: false,
        },
        // Herald: webhooks are routed by the Cloud API's phone number id.
        IndexSpec {
            fields: &[("phoneNumberId", Asc)],
            unique: false,
            sparse: false,
        },
        // Account-level webhooks (a number's quality) name the account.
        IndexSpec {
            fields: &[("wabaId", Asc)],
            unique: false,
            sparse: false,
        },
        // Meta's webhook verification names only the verify token.
        IndexSpec {
            fields: &[("verifyTokenFingerprint", Asc)],
            unique: false,
            sparse: false,
        },
        IndexSpec {
            fields: &[("userId", Asc), ("createdAt", Desc), ("_id", Desc)],
            unique: false,
            sparse: false,
        },
    ],
};

pub static COLLECTIONS: [&CollectionSpec; 1] = [&SESSIONS];
