//! The `messages` read model (seed 000 `messages`, with seed 001's
//! `sentAt`, `deliveredAt`, `readAt`) and the `replies` read model (seed
//! 001: inbound messages).

use crate::ports::read_store::{
    CollectionSpec, IndexSpec, SortOrder::Ascending as Asc, SortOrder::Descending as Desc,
};

pub const PROJECTION: &str = "messages";

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
