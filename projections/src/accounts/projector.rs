//! Which changes each user and API-key event makes to the `users` and
//! `api_keys` collections. Events that only move secrets (passwords,
//! links, refresh tokens) change nothing here but `updatedAt`, and some
//! not even that: a refresh every quarter hour is not an account change.

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use herald_application::accounts::read_model::{
    ApiKeyDocument, UserDocument, API_KEYS, COLLECTIONS, PROJECTION, USERS,
};
use herald_application::ports::event_feed::RecordedCommit;
use herald_application::ports::read_store::{date_value, Change, CollectionSpec};
use herald_domain::account::{ApiKey, ApiKeyEvent, NewApiKey, Profile, User, UserEvent};
use serde_json::{json, Map, Value};

use crate::changes::{decode, object, put, update};
use crate::projector::{ProjectionError, Projector};

#[derive(Debug, Default, Clone, Copy)]
pub struct AccountProjector;

impl Projector for AccountProjector {
    fn name(&self) -> &'static str {
        PROJECTION
    }

    fn collections(&self) -> &'static [&'static CollectionSpec] {
        &COLLECTIONS
    }

    fn follows(&self) -> &'static [&'static str] {
        &[User::TYPE, ApiKey::TYPE]
    }

    fn project(&self, commit: &RecordedCommit) -> Result<Vec<Change>, ProjectionError> {
        let mut changes = Vec::new();
        for event in &commit.events {
            let change = if commit.aggregate_type == User::TYPE {
                user_change(commit, decode(PROJECTION, commit, event)?)
            } else if commit.aggregate_type == ApiKey::TYPE {
                Some(key_change(commit, decode(PROJECTION, commit, event)?))
            } else {
                None
            };
            changes.extend(change);
        }
        Ok(changes)
    }
}

fn user_change(commit: &RecordedCommit, event: UserEvent) -> Option<Change> {
    let id = commit.aggregate_id.as_str();
    let set = |fields: Value| {
        Some(update(
            &USERS,
            id,
            commit.recorded_at,
            object(fields),
            vec![],
        ))
    };
    match event {
        UserEvent::Registered {
            email,
            username,
            role,
            profile,
            invited_by,
            at,
            ..
        } => {
            let document = UserDocument {
                id: id.to_owned(),
                user_id: commit.tenant.clone(),
                email: email.as_str().to_owned(),
                username: username.as_str().to_owned(),
                full_name: profile.full_name.as_ref().map(|n| n.as_str().to_owned()),
                phone: profile.phone.as_ref().map(|p| p.as_str().to_owned()),
                avatar_url: profile.avatar_url.as_ref().map(|a| a.as_str().to_owned()),
                role,
                is_email_verified: false,
                is_active: true,
                last_login: None,
                invited_by,
                metadata: Map::new(),
                created_at: at,
                updated_at: at,
            };
            Some(put(&USERS, id, document.into_document()))
        }
        UserEvent::ProfileUpdated { profile, .. } => set(profile_fields(&profile)),
        UserEvent::RoleChanged { role, .. } => set(json!({ "role": role })),
        UserEvent::Deactivated { .. } => set(json!({ "isActive": false })),
        UserEvent::Reactivated { .. } => set(json!({ "isActive": true })),
        UserEvent::EmailVerified { .. } => set(json!({ "isEmailVerified": true })),
        UserEvent::SignedIn { at, .. } => set(json!({ "lastLogin": date_value(at) })),
        UserEvent::PasswordReset { .. } | UserEvent::PasswordRehashed { .. } => set(json!({})),
        UserEvent::EmailVerificationIssued { .. }
        | UserEvent::PasswordResetIssued { .. }
        | UserEvent::RefreshRotated { .. }
        | UserEvent::RefreshReused { .. }
        | UserEvent::SignedOut { .. } => None,
    }
}

/// The profile's fields as the document has them; a field the profile
/// lacks is null.
fn profile_fields(profile: &Profile) -> Value {
    json!({
        "fullName": profile.full_name.as_ref().map(|n| n.as_str()),
        "phone": profile.phone.as_ref().map(|p| p.as_str()),
        "avatarUrl": profile.avatar_url.as_ref().map(|a| a.as_str()),
    })
}

fn key_change(commit: &RecordedCommit, event: ApiKeyEvent) -> Change {
    let id = commit.aggregate_id.as_str();
    let set = |fields: Value| update(&API_KEYS, id, commit.recorded_at, object(fields), vec![]);
    match event {
        ApiKeyEvent::Created { key, at } => {
            put(&API_KEYS, id, created_key(commit, key, at).into_document())
        }
        ApiKeyEvent::Revoked { .. } => set(json!({ "isActive": false })),
        ApiKeyEvent::Used { at } => set(json!({ "lastUsed": date_value(at) })),
    }
}

fn created_key(commit: &RecordedCommit, key: NewApiKey, at: DateTime<Utc>) -> ApiKeyDocument {
    ApiKeyDocument {
        id: commit.aggregate_id.clone(),
        user_id: commit.tenant.clone(),
        key_name: key.name.as_str().to_owned(),
        api_key: key.prefix,
        permissions: key.permissions,
        is_active: true,
        last_used: None,
        expires_at: key.expires_at,
        created_by: key.created_by,
        created_at: at,
        updated_at: at,
    }
}
