//! Receiving Meta's webhooks: check the subscription handshake, check each
//! POST's signature against the app secret of every number it names, and
//! record what passes before the 200 goes back.

use async_trait::async_trait;
use herald_domain::session::{SealedSecret, SecretField};
use herald_domain::webhook::{Webhook, WebhookCommand, WebhookRoute, WebhookServices};
use herald_domain::{Clock, SessionId, TenantId};
use std::collections::BTreeMap;
use std::sync::Arc;
use tracing::{debug, instrument, warn};
use uuid::Uuid;

use super::numbers::{account_ids, phone_number_ids};
use super::payload::{check_object, part_for, PayloadError};
use crate::commands::{CommandError, CommandExecutor, CommandReceipt};
use crate::metadata::CommandMetadata;
use crate::ports::event_store::TenantEventStores;
use crate::ports::vault::{SecretBinding, Vault};

/// A body this large is read on a blocking thread. Meta's notifications
/// are a few kilobytes; a body of a megabyte takes milliseconds to read
/// (tens of them unoptimised), and anyone can post one unsigned: read on
/// the request threads, a flood of them would hold up every other request
/// until each was read through.
const READ_ASIDE_FROM: usize = 64 * 1024;

/// `read(body)`, on a blocking thread when the body is large.
async fn read_aside<T: Send + 'static>(body: &[u8], read: fn(&[u8]) -> T) -> T {
    if body.len() < READ_ASIDE_FROM {
        return read(body);
    }
    let owned = body.to_vec();
    match tokio::task::spawn_blocking(move || read(&owned)).await {
        Ok(value) => value,
        // Only a runtime shutting down refuses the task: read it here.
        Err(_) => read(body),
    }
}

/// Who posts webhooks, as recorded with them.
pub const WEBHOOK_ACTOR: &str = "whatsapp-webhook";

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("the request has no X-Hub-Signature-256 header")]
    MissingSignature,
    /// The body is not signed by the app of every number it names. What
    /// exactly failed is logged, never answered: the answer must not tell
    /// an unsigned caller which numbers Herald serves.
    #[error("the X-Hub-Signature-256 header does not match the body")]
    BadSignature(Unverified),
    /// A signed body that is not a WhatsApp notification.
    #[error(transparent)]
    NotAWebhook(#[from] PayloadError),
    #[error("the verify token matches no session")]
    UnknownVerifyToken,
    #[error("hub.mode must be \"subscribe\"")]
    NotSubscribe,
    /// Recording failed: Meta should try again.
    #[error("{0}")]
    Unavailable(String),
}

/// Why a body's signature could not be accepted, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unverified {
    /// The header is not `sha256=` and 64 hex digits.
    MalformedHeader,
    /// The body names no number, too many, or cannot be read.
    Unreadable(PayloadError),
    /// No number the body names belongs to a connected session.
    NoConnectedSession,
    /// A connected number's app secret does not sign the body.
    Mismatch { phone_number_id: String },
}

/// The connected session a phone number id belongs to: where it lives and
/// its sealed app secret.
#[derive(Debug, Clone)]
pub struct RoutedSession {
    pub phone_number_id: String,
    pub tenant: TenantId,
    pub session_id: SessionId,
    pub app_secret: SealedSecret,
}

/// Finds the sessions behind phone number ids.
#[async_trait]
pub trait SessionDirectory: Send + Sync {
    /// The connected session of each of these phone number ids that has
    /// one; ids without one are left out.
    ///
    /// # Errors
    /// [`IntakeError::Unavailable`] when the lookup itself fails.
    async fn routes(&self, phone_number_ids: &[String]) -> Result<Vec<RoutedSession>, IntakeError>;

    /// Whether an active session has a webhook verify token with one of
    /// these fingerprints.
    ///
    /// # Errors
    /// As [`SessionDirectory::routes`].
    async fn verify_token_known(&self, fingerprints: Vec<String>) -> Result<bool, IntakeError>;

    /// The phone number ids of the connected sessions of these business
    /// accounts (WABA ids), at most a handful.
    ///
    /// # Errors
    /// As [`SessionDirectory::routes`].
    async fn numbers_of_accounts(&self, waba_ids: &[String]) -> Result<Vec<String>, IntakeError>;
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
    /// connected number it names. One number whose app secret does not sign
    /// the body refuses the whole body: otherwise anyone with an app of
    /// their own could slip another tenant's number into a body they
    /// signed. Numbers without a connected session are dropped from a body
    /// that is otherwise signed; a body with none is refused.
    ///
    /// Everything before the signature check is bounded whatever the body
    /// holds: one read of it, one lookup of at most
    /// [`MAX_NUMBERS_PER_NOTIFICATION`](super::numbers::MAX_NUMBERS_PER_NOTIFICATION)
    /// numbers, and no log line above debug.
    ///
    /// # Errors
    /// `MissingSignature`; `BadSignature` for any body not signed as above,
    /// whatever it names; `NotAWebhook` for a signed body that is not a
    /// WhatsApp notification.
    pub async fn authenticate(
        &self,
        body: &[u8],
        signature: Option<&str>,
    ) -> Result<Vec<TenantPayload>, IntakeError> {
        let signature = signature.ok_or(IntakeError::MissingSignature)?;
        let verified = self
            .verified_routes(body, signature)
            .await
            .inspect_err(|e| {
                if let IntakeError::BadSignature(why) = e {
                    debug!(?why, "webhook refused");
                }
            })?;
        check_object(body)?;
        let mut by_tenant: BTreeMap<TenantId, Vec<WebhookRoute>> = BTreeMap::new();
        for session in verified {
            by_tenant
                .entry(session.tenant)
                .or_default()
                .push(WebhookRoute {
                    phone_number_id: session.phone_number_id,
                    session_id: session.session_id,
                });
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

    /// The connected sessions of the numbers `body` names, once the body is
    /// known to be signed by each one's app secret.
    async fn verified_routes(
        &self,
        body: &[u8],
        signature: &str,
    ) -> Result<Vec<RoutedSession>, IntakeError> {
        let refuse = |why| IntakeError::BadSignature(why);
        if !is_signature_shaped(signature) {
            return Err(refuse(Unverified::MalformedHeader));
        }
        let ids = match read_aside(body, phone_number_ids).await {
            Ok(ids) => ids,
            // An account-level change (a number's quality, say) names the
            // account; its connected numbers sign it.
            Err(no_number) => {
                let accounts = read_aside(body, account_ids)
                    .await
                    .map_err(|_| refuse(Unverified::Unreadable(no_number)))?;
                self.directory.numbers_of_accounts(&accounts).await?
            }
        };
        let routes = self.directory.routes(&ids).await?;
        if routes.is_empty() {
            return Err(refuse(Unverified::NoConnectedSession));
        }
        for session in &routes {
            self.check_signature(session, body, signature)?;
        }
        if routes.len() < ids.len() {
            let unrouted = ids
                .iter()
                .filter(|id| !routes.iter().any(|r| &r.phone_number_id == *id));
            warn!(phone_number_ids = ?unrouted.collect::<Vec<_>>(), "signed webhook names numbers without a connected session; their part is dropped");
        }
        Ok(routes)
    }

    fn check_signature(
        &self,
        session: &RoutedSession,
        body: &[u8],
        signature: &str,
    ) -> Result<(), IntakeError> {
        let binding = SecretBinding {
            tenant: &session.tenant,
            owner: session.session_id.as_str(),
            field: SecretField::AppSecret,
        };
        let mismatch = || {
            IntakeError::BadSignature(Unverified::Mismatch {
                phone_number_id: session.phone_number_id.clone(),
            })
        };
        match self
            .vault
            .verify_signature(&session.app_secret, binding, body, signature)
        {
            Ok(true) => Ok(()),
            Ok(false) => Err(mismatch()),
            Err(error) => {
                warn!(%error, session = %session.session_id, "app secret cannot be opened");
                Err(mismatch())
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

/// Whether a header has the shape of Meta's: `sha256=` and the 64 hex
/// digits of an HMAC-SHA256. Anything else is refused before the body is
/// read at all.
fn is_signature_shaped(header: &str) -> bool {
    header
        .trim()
        .strip_prefix("sha256=")
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sha256_and_64_hex_digits_look_like_a_signature() {
        let digest = "aB".repeat(32);
        assert!(is_signature_shaped(&format!("sha256={digest}")));
        assert!(is_signature_shaped(&format!(" sha256={digest} ")));
        for bad in [
            String::new(),
            digest.clone(),
            format!("sha1={digest}"),
            format!("sha256={}", &digest[1..]),
            format!("sha256={digest}0"),
            format!("sha256={}zz", &digest[2..]),
        ] {
            assert!(!is_signature_shaped(&bad), "{bad:?}");
        }
    }
}
