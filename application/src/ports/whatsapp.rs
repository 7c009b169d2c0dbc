//! How the application talks to WhatsApp: checking a number's credentials,
//! sending a message, marking a received message as read.
//!
//! The types are the channel's words, not the transport's: the Cloud API
//! client implements [`WhatsAppGateway`] today, and a linked-device channel
//! may implement it later. Failures say what the caller may do next, above
//! all whether a send may be tried again without risking a duplicate.

use async_trait::async_trait;
use herald_domain::message::MessageContent;
use herald_domain::PhoneNumber;
use std::fmt;
use std::time::Duration;
use tokio::time::Instant;

/// A Cloud API access token (a system-user or business token). It never
/// shows in logs: `Debug` and `Display` print `AccessToken(***)`.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The token itself, for the `Authorization` header and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(***)")
    }
}

impl fmt::Display for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// What it takes to act as one business number on the Cloud API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudApiAccess {
    pub phone_number_id: String,
    pub access_token: AccessToken,
}

/// One message to send, with what the envelope carries besides the content.
#[derive(Debug, Clone, Copy)]
pub struct OutboundMessage<'a> {
    pub to: &'a PhoneNumber,
    pub content: &'a MessageContent,
    /// The wamid of the message this one quotes, if it is a reply.
    pub reply_to: Option<&'a str>,
    /// Herald's message id. Meta hands it back in every status webhook
    /// (`biz_opaque_callback_data`), so a send whose answer was lost can be
    /// reconciled from its webhook instead of being sent again.
    pub callback_data: Option<&'a str>,
    /// Which attempt this is, from 1: sends Meta refused to slow the
    /// number down count, so the waits they are given grow.
    pub attempt: u32,
}

/// Meta accepted the message. Delivery is reported later, by webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendAccepted {
    pub wamid: String,
    /// The recipient's WhatsApp id, which may differ from the number sent.
    pub wa_id: Option<String>,
    /// `accepted`, `held_for_quality_assessment` or `paused`; only given
    /// for paced templates.
    pub message_status: Option<String>,
}

/// An error answered by the Graph API. Decisions go by `code` (and
/// `details`), never by `message`, whose wording Meta may change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("(#{code}) {}", self.details.as_deref().unwrap_or(&self.message))]
pub struct GraphError {
    pub http_status: u16,
    pub code: i64,
    pub subcode: Option<i64>,
    /// `OAuthException` and the like.
    pub error_type: Option<String>,
    pub message: String,
    /// `error_data.details`, Meta's explanation for this case.
    pub details: Option<String>,
    pub fbtrace_id: Option<String>,
}

impl GraphError {
    /// The token was refused (0) or has expired (190): the number's
    /// credentials need renewing before anything else can be sent.
    pub fn is_auth_failure(&self) -> bool {
        matches!(self.code, 0 | 190)
    }
}

/// Why a send or a mark-as-read did not succeed, by what may be done next.
///
/// Meta's error is boxed to keep the `Result`s small.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendFailure {
    /// Meta refused the request for good: retrying cannot help.
    #[error("refused by WhatsApp: {0}")]
    Rejected(Box<GraphError>),
    /// Meta kept answering with a temporary error until the attempts ran
    /// out. Nothing was sent; the caller may try again much later.
    #[error("WhatsApp still refused after {attempts} attempts: {last}")]
    GaveUp {
        last: Box<GraphError>,
        attempts: u32,
    },
    /// The request may have reached Meta (a timeout, or a connection lost
    /// after sending). It must not be resent blindly: the status webhook,
    /// which carries the callback data, tells whether it was sent.
    #[error("unknown whether WhatsApp received the message: {reason}")]
    OutcomeUnknown { reason: String },
    /// Meta asked to slow down (the number's throughput, 130429; the
    /// business's call rate, 4 and 80007; or this recipient's pair limit,
    /// 131056). Nothing was sent: the send is to be tried again after
    /// `wait`, and everything else from the number (or to the recipient)
    /// held back as long.
    #[error("WhatsApp asked to slow down: {error}")]
    Throttled {
        error: Box<GraphError>,
        wait: std::time::Duration,
        /// Whether the whole number is to slow down, or only the pair.
        whole_number: bool,
    },
    /// The request certainly did not reach Meta (no connection could be
    /// made), and the attempts ran out.
    #[error("WhatsApp could not be reached: {reason}")]
    Unreachable { reason: String },
    /// Nothing was sent this time: Meta refused with a temporary error
    /// (`error`), or could not be reached. The send is to be tried again,
    /// as the next attempt, after `wait`. A send's attempts are made one
    /// claim at a time, so that no claim is held through a wait.
    #[error("not sent this time, tried again in {wait:?}: {reason}")]
    TryAgain {
        reason: String,
        error: Option<Box<GraphError>>,
        wait: std::time::Duration,
    },
}

impl SendFailure {
    /// Meta's error, when Meta answered one.
    pub fn graph_error(&self) -> Option<&GraphError> {
        match self {
            Self::Rejected(error)
            | Self::GaveUp { last: error, .. }
            | Self::Throttled { error, .. } => Some(error.as_ref()),
            Self::TryAgain { error, .. } => error.as_deref(),
            _ => None,
        }
    }
}

/// What Meta knows of a business number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumberInfo {
    pub id: String,
    /// As Meta writes it, e.g. `+1 631-555-5555`.
    pub display_phone_number: String,
    pub verified_name: Option<String>,
    /// `GREEN`, `YELLOW`, `RED` or `NA`.
    pub quality_rating: Option<String>,
}

/// Why a number's credentials could not be confirmed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyFailure {
    /// Meta refused: a wrong phone number id, a bad or expired token, or
    /// missing permissions.
    #[error("refused by WhatsApp: {0}")]
    Rejected(Box<GraphError>),
    /// Meta could not be reached, or gave no usable answer.
    #[error("WhatsApp could not be reached: {reason}")]
    Unreachable { reason: String },
}

/// A WhatsApp channel as the application uses it.
#[async_trait]
pub trait WhatsAppGateway: Send + Sync {
    /// Confirms that the credentials work for the number, and reads what
    /// Meta knows of it.
    ///
    /// # Errors
    /// [`VerifyFailure::Rejected`] when Meta refuses the number id or the
    /// token; [`VerifyFailure::Unreachable`] when Meta cannot be reached.
    async fn verify(&self, access: &CloudApiAccess) -> Result<PhoneNumberInfo, VerifyFailure>;

    /// Reserves the moment a message from the number to `to` may go within
    /// Meta's limit per (number, recipient) pair, if that moment comes
    /// within `horizon`. (The number's own rate is a [`NumberBudget`]'s,
    /// shared by every node.)
    ///
    /// [`NumberBudget`]: crate::ports::budget::NumberBudget The caller must then send at that moment: the slot
    /// is taken. When no slot comes that soon, nothing is reserved and the
    /// answer is how long to wait before asking again, so that the caller
    /// need not hold anything (a claimed message, a worker) meanwhile.
    ///
    /// # Errors
    /// The wait, when the next slot is further than `horizon`.
    fn reserve_send(
        &self,
        access: &CloudApiAccess,
        to: &PhoneNumber,
        horizon: Duration,
    ) -> Result<Instant, Duration>;

    /// Holds back the pair's next messages for `wait`: Meta refused one for
    /// the pair limit.
    fn slow_pair(&self, access: &CloudApiAccess, to: &PhoneNumber, wait: Duration);

    /// Makes one attempt of a send at once (the caller reserved the moment
    /// with the number's budget and [`WhatsAppGateway::reserve_send`]).
    /// `message.attempt` says which attempt it is; the caller makes the
    /// next one, after the wait a [`SendFailure::TryAgain`] or
    /// [`SendFailure::Throttled`] names.
    ///
    /// # Errors
    /// A [`SendFailure`]: refused for good, refused for a while (try again),
    /// the last attempt refused, perhaps sent (never resent), or certainly
    /// not sent after the last attempt.
    async fn send(
        &self,
        access: &CloudApiAccess,
        message: OutboundMessage<'_>,
    ) -> Result<SendAccepted, SendFailure>;

    /// Marks a received message (and those before it) as read.
    ///
    /// # Errors
    /// As [`WhatsAppGateway::send`]; marking twice is harmless, so callers
    /// may simply try again after [`SendFailure::OutcomeUnknown`].
    async fn mark_read(&self, access: &CloudApiAccess, wamid: &str) -> Result<(), SendFailure>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_access_token_never_shows() {
        let access = CloudApiAccess {
            phone_number_id: "106540352242922".into(),
            access_token: AccessToken::new("EAAG-secret"),
        };
        assert!(!format!("{access:?}").contains("secret"));
        assert_eq!(access.access_token.to_string(), "AccessToken(***)");
        assert_eq!(access.access_token.expose(), "EAAG-secret");
    }

    #[test]
    fn a_graph_error_shows_its_code_and_details() {
        let error = GraphError {
            http_status: 400,
            code: 131056,
            subcode: None,
            error_type: Some("OAuthException".into()),
            message: "(#131056) (Business Account, Consumer Account) pair rate limit hit".into(),
            details: Some("Too many messages to this user".into()),
            fbtrace_id: None,
        };
        assert_eq!(
            error.to_string(),
            "(#131056) Too many messages to this user"
        );
        let without_details = GraphError {
            details: None,
            message: "Rate limit".into(),
            ..error
        };
        assert_eq!(without_details.to_string(), "(#131056) Rate limit");
    }
}
