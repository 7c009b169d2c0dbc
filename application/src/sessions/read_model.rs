//! The `sessions` read model (seed 000 `sessions`, with seed 001
//! `Settings`' `phoneNumberId` and `wabaId`). Secrets are not projected at
//! all, not even sealed; the webhook verify token only as a keyed hash,
//! which is how Meta's verification request finds its session.

use crate::ports::read_store::{
    CollectionSpec, IndexSpec, SortOrder::Ascending as Asc, SortOrder::Descending as Desc,
};

pub const PROJECTION: &str = "sessions";

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
