//! Receiving Meta's webhooks: check the subscription handshake, check each
//! POST's signature against the app secret of every number it names, and
//! record what passes before the 200 goes back.

use async_trait::async_trait;
use herald_domain::session::{SealedSecret, SecretField};
use herald_domain::webhook::{Webhook, WebhookCommand, WebhookRoute, WebhookServices};
use herald_domain::{Clock, SessionId, TenantId};
use std::collections::BTreeMap;
use std::sync::Arc;
use tracing::{instrument, warn};
use uuid::Uuid;

use super::payload::{part_for, phone_number_ids, PayloadError};
use crate::commands::{CommandError, CommandExecutor, CommandReceipt};
use crate::metadata::CommandMetadata;
use crate::ports::event_store::TenantEventStores;
use crate::ports::vault::{SecretBinding, Vault};

/// Who posts webhooks, as recorded with them.
pub const WEBHOOK_ACTOR: &str = "whatsapp-webhook";

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("the request has no X-Hub-Signature-256 header")]
    MissingSignature,
    #[error("the X-Hub-Signature-256 header does not match the body")]
    BadSignature,
    #[error(transparent)]
    NotAWebhook(#[from] PayloadError),
    /// No active session has this phone number id.
    #[error("no session has the phone number id {0}")]
    UnknownNumber(String),
    #[error("the verify token matches no session")]
    UnknownVerifyToken,
    #[error("hub.mode must be \"subscribe\"")]
    NotSubscribe,
    /// Recording failed: Meta should try again.
    #[error("{0}")]
    Unavailable(String),
}

/// A session a webhook can be for: where it lives and its sealed app secret.
#[derive(Debug, Clone)]
pub struct RoutedSession {
    pub tenant: TenantId,
    pub session_id: SessionId,
    pub app_secret: SealedSecret,
}

/// Finds the session behind a phone number id.
#[async_trait]
pub trait SessionDirectory: Send + Sync {
    /// # Errors
    /// [`IntakeError::Unavailable`] when the lookup itself fails.
    async fn route(&self, phone_number_id: &str) -> Result<Option<RoutedSession>, IntakeError>;

    /// Whether an active session has a webhook verify token with one of
    /// these fingerprints.
    ///
    /// # Errors
    /// As [`SessionDirectory::route`].
    async fn verify_token_known(&self, fingerprints: Vec<String>) -> Result<bool, IntakeError>;
}

/// The part of a verified body that belongs to one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantPayload {
    pub tenant: TenantId,
    pub routes: Vec<WebhookRoute>,
    pub payload: String,
}

pub struct WebhookIntake<S> {
    executor: CommandExecutor<Webhook, S>,
    directory: Arc<dyn SessionDirectory>,
    vault: Arc<dyn Vault>,
}

impl<S: TenantEventStores<Webhook>> WebhookIntake<S> {
    pub fn new(
        stores: S,
        clock: Arc<dyn Clock>,
        directory: Arc<dyn SessionDirectory>,
        vault: Arc<dyn Vault>,
    ) -> Self {
        Self {
            executor: CommandExecutor::new(stores, WebhookServices::new(clock)),
            directory,
            vault,
        }
    }

    /// Meta's subscription handshake: the challenge, echoed, when the token
    /// is some session's verify token.
    ///
    /// # Errors
    /// When the mode is not `subscribe` or the token is unknown.
    #[instrument(skip_all)]
    pub async fn verify_subscription(
        &self,
        mode: &str,
        verify_token: &str,
        challenge: &str,
    ) -> Result<String, IntakeError> {
        if mode != "subscribe" {
            return Err(IntakeError::NotSubscribe);
        }
        let fingerprints = self.vault.fingerprints(verify_token);
        if !self.directory.verify_token_known(fingerprints).await? {
            return Err(IntakeError::UnknownVerifyToken);
        }
        Ok(challenge.to_owned())
    }

    /// Checks a POST and records it, one record per tenant it concerns.
    ///
    /// # Errors
    /// As [`WebhookIntake::authenticate`]; `Unavailable` when recording fails.
    #[instrument(skip_all, fields(bytes = body.len()))]
    pub async fn receive(
        &self,
        body: &[u8],
        signature: Option<&str>,
    ) -> Result<Vec<CommandReceipt>, IntakeError> {
        let parts = self.authenticate(body, signature).await?;
        let mut receipts = Vec::with_capacity(parts.len());
        for part in parts {
            receipts.push(self.record(body, part).await?);
        }
        Ok(receipts)
    }

    /// Splits a POST by tenant once its signature checks out for every
    /// number it names. One number whose app secret does not sign the body
    /// refuses the whole body: otherwise anyone with an app of their own
    /// could slip another tenant's number into a body they signed.
    ///
    /// # Errors
    /// `MissingSignature`, `BadSignature`, `NotAWebhook`, and
    /// `UnknownNumber` when no number of the body has a session.
    pub async fn authenticate(
        &self,
        body: &[u8],
        signature: Option<&str>,
    ) -> Result<Vec<TenantPayload>, IntakeError> {
        let signature = signature.ok_or(IntakeError::MissingSignature)?;
        let ids = phone_number_ids(body)?;
        let mut by_tenant: BTreeMap<TenantId, Vec<WebhookRoute>> = BTreeMap::new();
        for id in &ids {
            let Some(session) = self.directory.route(id).await? else {
                warn!(phone_number_id = %id, "webhook for a number no session has; dropped");
                continue;
            };
            self.check_signature(&session, body, signature)?;
            by_tenant
                .entry(session.tenant)
                .or_default()
                .push(WebhookRoute {
                    phone_number_id: id.clone(),
                    session_id: session.session_id,
                });
        }
        if by_tenant.is_empty() {
            return Err(IntakeError::UnknownNumber(ids.join(", ")));
        }
        by_tenant
            .into_iter()
            .map(|(tenant, routes)| {
                let ids: Vec<String> = routes.iter().map(|r| r.phone_number_id.clone()).collect();
                let payload = part_for(body, &ids)?;
                Ok(TenantPayload {
                    tenant,
                    routes,
                    payload,
                })
            })
            .collect()
    }

    fn check_signature(
        &self,
        session: &RoutedSession,
        body: &[u8],
        signature: &str,
    ) -> Result<(), IntakeError> {
        let binding = SecretBinding {
            tenant: &session.tenant,
            session: &session.session_id,
            field: SecretField::AppSecret,
        };
        match self
            .vault
            .verify_signature(&session.app_secret, binding, body, signature)
        {
            Ok(true) => Ok(()),
            Ok(false) => Err(IntakeError::BadSignature),
            Err(error) => {
                warn!(%error, session = %session.session_id, "app secret cannot be opened");
                Err(IntakeError::BadSignature)
            }
        }
    }

    /// The record's id comes from the body's bytes and the tenant, so an
    /// exact redelivery finds its earlier record and adds nothing.
    async fn record(
        &self,
        body: &[u8],
        part: TenantPayload,
    ) -> Result<CommandReceipt, IntakeError> {
        const NAMESPACE: Uuid = Uuid::from_u128(0x6a1c_2f0e_93b4_4d1e_a7c5_5e2b_8f40_0003);
        let mut name = part.tenant.as_str().as_bytes().to_vec();
        name.push(0);
        name.extend_from_slice(body);
        let id = Uuid::new_v5(&NAMESPACE, &name).to_string();
        let metadata = CommandMetadata::new(part.tenant, WEBHOOK_ACTOR);
        let command = WebhookCommand::Record {
            payload: part.payload,
            routes: part.routes,
        };
        self.executor
            .execute(&id, command, &metadata)
            .await
            .map_err(|error| match error {
                CommandError::Rejected(never) => match never {},
                other => IntakeError::Unavailable(other.to_string()),
            })
    }
}
