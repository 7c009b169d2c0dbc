//! The ApiKey aggregate: a machine's credential (seed 000's `api_keys`).
//! It holds the keyed hash of the secret, never the secret, which its
//! creator sees once.

use chrono::{DateTime, Duration, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use super::error::AccountError;
use super::role::Permission;
use super::tokens::{Presented, TokenHash};
use super::user::AccountServices;
use crate::value::{string_value, trimmed_text, ValueError};

/// How often a key's use is recorded: `lastUsed` is to the minute, so a
/// busy key does not write an event per request.
pub const USE_RECORDED_EVERY: Duration = Duration::minutes(1);

/// A key's name as its creator gave it (seed 000's `keyName`): 1 to 100
/// characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KeyName(String);

impl KeyName {
    /// # Errors
    /// When `text`, trimmed, is empty or longer than 100 characters.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        trimmed_text(text, 1, 100).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_value!(KeyName);

#[derive(Debug, Clone, PartialEq)]
pub enum ApiKeyCommand {
    Create(NewApiKey),
    Revoke,
    /// Records that the key was used at the command's time, if the last
    /// use recorded is older than [`USE_RECORDED_EVERY`].
    RecordUse,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewApiKey {
    pub name: KeyName,
    /// The start of the key as shown to its owner (`hk_…`), to recognise it.
    pub prefix: String,
    pub secret: TokenHash,
    pub permissions: Vec<Permission>,
    /// The user who made it, or the operator.
    pub created_by: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ApiKeyEvent {
    Created { key: NewApiKey, at: DateTime<Utc> },
    Revoked { at: DateTime<Utc> },
    Used { at: DateTime<Utc> },
}

impl DomainEvent for ApiKeyEvent {
    fn event_type(&self) -> String {
        let name = match self {
            Self::Created { .. } => "ApiKeyCreated",
            Self::Revoked { .. } => "ApiKeyRevoked",
            Self::Used { .. } => "ApiKeyUsed",
        };
        name.to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct ApiKey {
    state: Option<ApiKeyState>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ApiKeyState {
    key: NewApiKey,
    revoked: bool,
    last_used: Option<DateTime<Utc>>,
}

impl Aggregate for ApiKey {
    const TYPE: &'static str = "api_key";
    type Command = ApiKeyCommand;
    type Event = ApiKeyEvent;
    type Error = AccountError;
    type Services = AccountServices;

    async fn handle(
        &mut self,
        command: ApiKeyCommand,
        services: &AccountServices,
        sink: &EventSink<Self>,
    ) -> Result<(), AccountError> {
        for event in self.decide(command, services.now())? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: ApiKeyEvent) {
        match event {
            ApiKeyEvent::Created { key, .. } => {
                self.state = Some(ApiKeyState {
                    key,
                    revoked: false,
                    last_used: None,
                });
            }
            ApiKeyEvent::Revoked { .. } => {
                if let Some(state) = &mut self.state {
                    state.revoked = true;
                }
            }
            ApiKeyEvent::Used { at } => {
                if let Some(state) = &mut self.state {
                    state.last_used = Some(at);
                }
            }
        }
    }
}

impl ApiKey {
    pub fn exists(&self) -> bool {
        self.state.is_some()
    }

    pub fn is_revoked(&self) -> bool {
        self.state.as_ref().is_some_and(|s| s.revoked)
    }

    /// What the key was made with (its secret only as a keyed hash).
    pub fn details(&self) -> Option<&NewApiKey> {
        self.state.as_ref().map(|s| &s.key)
    }

    pub fn last_used(&self) -> Option<DateTime<Utc>> {
        self.state.as_ref().and_then(|s| s.last_used)
    }

    /// The key's permissions if `presented` is its secret and it is
    /// neither revoked nor expired at `now`.
    ///
    /// # Errors
    /// [`AccountError::TokenRefused`] for another secret or a revoked key,
    /// [`AccountError::TokenExpired`] past its expiry.
    pub fn permissions_for(
        &self,
        presented: &Presented,
        now: DateTime<Utc>,
    ) -> Result<&[Permission], AccountError> {
        let state = self
            .state
            .as_ref()
            .filter(|s| !s.revoked && presented.matches(&s.key.secret))
            .ok_or(AccountError::TokenRefused)?;
        if state.key.expires_at.is_some_and(|end| now >= end) {
            return Err(AccountError::TokenExpired);
        }
        Ok(&state.key.permissions)
    }

    /// Whether a use at `now` should be recorded.
    pub fn use_is_due(&self, now: DateTime<Utc>) -> bool {
        self.state.as_ref().is_some_and(|s| {
            !s.revoked
                && s.last_used
                    .is_none_or(|last| now - last >= USE_RECORDED_EVERY)
        })
    }

    fn decide(
        &self,
        command: ApiKeyCommand,
        now: DateTime<Utc>,
    ) -> Result<Vec<ApiKeyEvent>, AccountError> {
        match (&self.state, command) {
            (None, ApiKeyCommand::Create(key)) => {
                if key.permissions.is_empty() {
                    return Err(AccountError::NotAllowed(
                        "a key needs at least one permission".into(),
                    ));
                }
                Ok(vec![ApiKeyEvent::Created { key, at: now }])
            }
            (None, _) => Err(AccountError::NotFound),
            (Some(_), ApiKeyCommand::Create(_)) => Err(AccountError::AlreadyExists),
            (Some(state), ApiKeyCommand::Revoke) => Ok((!state.revoked)
                .then_some(ApiKeyEvent::Revoked { at: now })
                .into_iter()
                .collect()),
            (Some(_), ApiKeyCommand::RecordUse) => Ok(self
                .use_is_due(now)
                .then_some(ApiKeyEvent::Used { at: now })
                .into_iter()
                .collect()),
        }
    }
}
