//! The campaign read models: the `campaigns` and `campaign_recipients`
//! collections of the customer's seeds, with their fields and indexes.

use crate::ports::read_store::{
    CollectionSpec, IndexSpec, SortOrder::Ascending as Asc, SortOrder::Descending as Desc,
};

/// The projection that keeps both collections.
pub const PROJECTION: &str = "campaigns";

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
