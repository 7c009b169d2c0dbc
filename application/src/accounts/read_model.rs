//! The `users` and `api_keys` read models (seed 000 `users` and
//! `api_keys`, with seed 001's `role`): what an admin lists.
//!
//! Nothing secret is projected, not even sealed or hashed: no password,
//! no verification or reset token, no refresh token, no key secret. A key
//! is shown by its prefix (`hk_…`), which names it but opens nothing.
//!
//! As in every read model, `userId` holds the tenant. In seed 000 a user
//! is the subscriber; in Herald the tenant subscribes and its users share
//! the plan, so the plan's fields are in the `subscriptions` read model,
//! one document per tenant.

use chrono::{DateTime, Utc};
use herald_domain::account::{Permission, Role};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::ports::read_store::{
    document_of, stored_date, CollectionSpec, Document, IndexSpec, SortOrder::Ascending as Asc,
    SortOrder::Descending as Desc,
};

pub const PROJECTION: &str = "accounts";

/// A `users` document, with seed 000's field names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserDocument {
    /// The user's id.
    #[serde(rename = "_id")]
    pub id: String,
    /// The tenant.
    pub user_id: String,
    pub email: String,
    pub username: String,
    pub full_name: Option<String>,
    pub phone: Option<String>,
    pub avatar_url: Option<String>,
    /// Seed 001's role: admin, manager or agent.
    pub role: Role,
    pub is_email_verified: bool,
    pub is_active: bool,
    #[serde(with = "stored_date::optional")]
    pub last_login: Option<DateTime<Utc>>,
    /// The user who invited this one; null for a tenant's first admin.
    pub invited_by: Option<String>,
    pub metadata: Map<String, Value>,
    #[serde(with = "stored_date")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "stored_date")]
    pub updated_at: DateTime<Utc>,
}

impl UserDocument {
    pub fn into_document(self) -> Document {
        document_of(&self)
    }
}

/// An `api_keys` document, with seed 000's field names. Seed 000's
/// `apiKey` held the key itself; here it is the key's prefix, the part
/// shown to recognise it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyDocument {
    /// The key's id.
    #[serde(rename = "_id")]
    pub id: String,
    /// The tenant.
    pub user_id: String,
    pub key_name: String,
    /// The key's prefix (`hk_<tenant>.<id>`), never its secret.
    pub api_key: String,
    pub permissions: Vec<Permission>,
    pub is_active: bool,
    /// When the key was last used, to the minute.
    #[serde(with = "stored_date::optional")]
    pub last_used: Option<DateTime<Utc>>,
    #[serde(with = "stored_date::optional")]
    pub expires_at: Option<DateTime<Utc>>,
    /// The user who made it; null when the operator did.
    pub created_by: Option<String>,
    #[serde(with = "stored_date")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "stored_date")]
    pub updated_at: DateTime<Utc>,
}

impl ApiKeyDocument {
    pub fn into_document(self) -> Document {
        document_of(&self)
    }
}

/// Seed 000's indexes (`email`, `username`, `isActive`, `createdAt`), and
/// one for each list the API offers, within a tenant and newest first.
///
/// `email` and `username` are not unique here: the name registry makes
/// them unique when an account is recorded, and a read model that refused
/// a document would stop its projection rather than protect anything.
pub static USERS: CollectionSpec = CollectionSpec {
    name: "users",
    date_fields: &["lastLogin", "createdAt", "updatedAt"],
    indexes: &[
        IndexSpec::on(&[("email", Asc)]),
        IndexSpec::on(&[("username", Asc)]),
        IndexSpec::on(&[("isActive", Asc)]),
        IndexSpec::on(&[("createdAt", Desc)]),
        IndexSpec::on(&[("userId", Asc), ("createdAt", Desc), ("_id", Desc)]),
        IndexSpec::on(&[
            ("userId", Asc),
            ("role", Asc),
            ("createdAt", Desc),
            ("_id", Desc),
        ]),
        IndexSpec::on(&[
            ("userId", Asc),
            ("isActive", Asc),
            ("createdAt", Desc),
            ("_id", Desc),
        ]),
    ],
};

/// Seed 000's indexes (`userId` + `isActive`, `apiKey`), and the tenant's
/// list, newest first.
pub static API_KEYS: CollectionSpec = CollectionSpec {
    name: "api_keys",
    date_fields: &["lastUsed", "expiresAt", "createdAt", "updatedAt"],
    indexes: &[
        IndexSpec::on(&[("userId", Asc), ("isActive", Asc)]),
        IndexSpec {
            fields: &[("apiKey", Asc)],
            unique: true,
            sparse: false,
        },
        IndexSpec::on(&[("userId", Asc), ("createdAt", Desc), ("_id", Desc)]),
        IndexSpec::on(&[
            ("userId", Asc),
            ("isActive", Asc),
            ("createdAt", Desc),
            ("_id", Desc),
        ]),
    ],
};

pub static COLLECTIONS: [&CollectionSpec; 2] = [&USERS, &API_KEYS];
