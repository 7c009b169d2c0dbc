//! The `messages` read model (seed 000 `messages`, with seed 001's
//! `sentAt`, `deliveredAt`, `readAt`) and the `replies` read model (seed
//! 001: inbound messages).

use chrono::{DateTime, Utc};
use herald_domain::message::MessageStatus;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::ports::read_store::{
    document_of, stored_date, CollectionSpec, Document, IndexSpec, SortOrder::Ascending as Asc,
    SortOrder::Descending as Desc,
};

pub const PROJECTION: &str = "messages";

/// A document of the `messages` collection: seed 000's fields, with the
/// status as the domain's [`MessageStatus`] and dates as stored dates.
/// Outbound and inbound messages share it; what does not apply to one is
/// null (an inbound message has no `campaignId`, an outbound one no
/// `profileName`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageDocument {
    #[serde(rename = "_id")]
    pub id: String,
    pub message_id: String,
    pub user_id: String,
    pub session_id: String,
    pub wa_message_id: Option<String>,
    pub from_number: String,
    pub to_number: Option<String>,
    /// Seed 000's types, and WhatsApp's beyond them (`template`, …).
    pub message_type: String,
    pub content: Option<String>,
    pub media_url: Option<String>,
    /// The media id Meta gave an inbound message's attachment.
    pub media_id: Option<String>,
    pub media_mime_type: Option<String>,
    pub media_size: Option<u64>,
    pub is_incoming: bool,
    pub is_from_me: bool,
    pub is_group: bool,
    pub group_id: Option<String>,
    pub quoted_message_id: Option<String>,
    pub status: MessageStatus,
    pub error_message: Option<String>,
    pub error_code: Option<i64>,
    /// The contact's WhatsApp profile name, on inbound messages.
    pub profile_name: Option<String>,
    pub metadata: Map<String, Value>,
    /// The message as sent (outbound) or as Meta delivered it (inbound).
    pub message: Value,
    pub campaign_id: Option<String>,
    #[serde(with = "stored_date")]
    pub timestamp: DateTime<Utc>,
    #[serde(flatten)]
    pub delivery: DeliveryTimes,
    #[serde(
        default,
        with = "stored_date::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub resend_requested_at: Option<DateTime<Utc>>,
    pub created_by: Option<String>,
    #[serde(with = "stored_date")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "stored_date")]
    pub updated_at: DateTime<Utc>,
}

/// A document of the `replies` collection (seed 001): an inbound message
/// as the inbox shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplyDocument {
    #[serde(rename = "_id")]
    pub id: String,
    pub user_id: String,
    pub session_id: String,
    /// Who wrote: their WhatsApp id.
    pub contact_id: String,
    pub from_number: String,
    pub profile_name: Option<String>,
    /// Meta's id of the message (its wamid).
    pub message_id: String,
    pub text: Option<String>,
    pub media_url: Option<String>,
    pub media_id: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    pub quoted_message_id: Option<String>,
    pub campaign_id: Option<String>,
    #[serde(with = "stored_date")]
    pub sent_at: DateTime<Utc>,
    #[serde(with = "stored_date")]
    pub received_at: DateTime<Utc>,
    #[serde(with = "stored_date")]
    pub created_at: DateTime<Utc>,
}

impl ReplyDocument {
    /// The document as the read store keeps it.
    pub fn into_document(self) -> Document {
        document_of(&self)
    }
}

/// When Meta reported each status of an outbound message; none of them
/// for a new message, nor for an inbound one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryTimes {
    #[serde(with = "stored_date::optional")]
    pub sent_at: Option<DateTime<Utc>>,
    #[serde(with = "stored_date::optional")]
    pub delivered_at: Option<DateTime<Utc>>,
    #[serde(with = "stored_date::optional")]
    pub read_at: Option<DateTime<Utc>>,
    #[serde(with = "stored_date::optional")]
    pub failed_at: Option<DateTime<Utc>>,
    /// A voice or video message was played.
    #[serde(
        default,
        with = "stored_date::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub played_at: Option<DateTime<Utc>>,
}

impl MessageDocument {
    /// The document as the read store keeps it.
    pub fn into_document(self) -> Document {
        document_of(&self)
    }
}

pub static MESSAGES: CollectionSpec = CollectionSpec {
    name: "messages",
    date_fields: &[
        "timestamp",
        "sentAt",
        "deliveredAt",
        "readAt",
        "failedAt",
        "createdAt",
        "updatedAt",
    ],
    indexes: &[
        // Seed 000: single-field indexes, then the compound ones.
        IndexSpec {
            fields: &[("sessionId", Asc)],
            unique: false,
            sparse: false,
        },
        IndexSpec {
            fields: &[("waMessageId", Asc)],
            unique: false,
            sparse: true,
        },
        IndexSpec {
            fields: &[("fromNumber", Asc)],
            unique: false,
            sparse: false,
        },
        IndexSpec {
            fields: &[("toNumber", Asc)],
            unique: false,
            sparse: false,
        },
        IndexSpec {
            fields: &[("isIncoming", Asc)],
            unique: false,
            sparse: false,
        },
        IndexSpec {
            fields: &[("status", Asc)],
            unique: false,
            sparse: false,
        },
        IndexSpec {
            fields: &[("timestamp", Asc)],
            unique: false,
            sparse: false,
        },
        IndexSpec {
            fields: &[("sessionId", Asc), ("timestamp", Desc)],
            unique: false,
            sparse: false,
        },
        IndexSpec {
            fields: &[("fromNumber", Asc), ("timestamp", Desc)],
            unique: false,
            sparse: false,
        },
        IndexSpec {
            fields: &[("toNumber", Asc), ("timestamp", Desc)],
            unique: false,
            sparse: false,
        },
        IndexSpec {
            fields: &[("status", Asc), ("createdAt", Desc)],
            unique: false,
            sparse: false,
        },
        IndexSpec {
            fields: &[("timestamp", Desc)],
            unique: false,
            sparse: false,
        },
        // Herald: a tenant's messages, newest first, all or by session or
        // status (a direction is half of them: read in order and filtered).
        IndexSpec {
            fields: &[("userId", Asc), ("timestamp", Desc), ("_id", Desc)],
            unique: false,
            sparse: false,
        },
        IndexSpec {
            fields: &[
                ("userId", Asc),
                ("sessionId", Asc),
                ("timestamp", Desc),
                ("_id", Desc),
            ],
            unique: false,
            sparse: false,
        },
        IndexSpec {
            fields: &[
                ("userId", Asc),
                ("status", Asc),
                ("timestamp", Desc),
                ("_id", Desc),
            ],
            unique: false,
            sparse: false,
        },
    ],
};

pub static REPLIES: CollectionSpec = CollectionSpec {
    name: "replies",
    date_fields: &["receivedAt", "createdAt"],
    indexes: &[
        IndexSpec {
            fields: &[("messageId", Asc)],
            unique: false,
            sparse: false,
        },
        IndexSpec {
            fields: &[("contactId", Asc), ("receivedAt", Desc)],
            unique: false,
            sparse: false,
        },
        IndexSpec {
            fields: &[("userId", Asc), ("receivedAt", Desc)],
            unique: false,
            sparse: false,
        },
        IndexSpec {
            fields: &[("sessionId", Asc), ("receivedAt", Desc)],
            unique: false,
            sparse: false,
        },
        // Herald: a tenant's replies newest first, all or by session.
        IndexSpec {
            fields: &[("userId", Asc), ("receivedAt", Desc), ("_id", Desc)],
            unique: false,
            sparse: false,
        },
        IndexSpec {
            fields: &[
                ("userId", Asc),
                ("sessionId", Asc),
                ("receivedAt", Desc),
                ("_id", Desc),
            ],
            unique: false,
            sparse: false,
        },
    ],
};

pub static COLLECTIONS: [&CollectionSpec; 2] = [&MESSAGES, &REPLIES];

/// An inbound message's document id: derived from its tenant and wamid, so a
/// message projected twice lands on one document, and ids look like the
/// UUIDs of outbound messages.
pub fn inbound_document_id(tenant: &str, wamid: &str) -> String {
    const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6a1c_2f0e_93b4_4d1e_a7c5_5e2b_8f40_0004);
    uuid::Uuid::new_v5(&NAMESPACE, format!("{tenant}/{wamid}").as_bytes()).to_string()
}
