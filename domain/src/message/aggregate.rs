//! The Message aggregate: one outbound message, from queued to read.

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use super::commands::{CampaignLink, MessageCommand, NewMessage, SendError, StatusReport};
use super::content::MessageContent;
use super::error::MessageError;
use super::events::MessageEvent;
use super::status::{DeliveryStatus, MessageStatus};
use crate::campaign::RecipientStatus;
use crate::clock::Clock;
use crate::ids::SessionId;
use crate::phone::PhoneNumber;

#[derive(Clone)]
pub struct MessageServices {
    clock: Arc<dyn Clock>,
}

impl MessageServices {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self { clock }
    }
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Message {
    state: Option<MessageState>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct MessageState {
    session_id: SessionId,
    from: PhoneNumber,
    to: PhoneNumber,
    content: MessageContent,
    reply_to: Option<String>,
    status: MessageStatus,
    wamid: Option<String>,
    /// The statuses webhooks have reported, each recorded once.
    reported: BTreeSet<DeliveryStatus>,
    #[serde(default)]
    campaign: Option<CampaignLink>,
    /// How many of its sends Meta refused for a while (or that never got
    /// through), each followed by a wait.
    #[serde(default, alias = "throttled")]
    attempted: u32,
    /// Not to be sent before then, after a refused attempt.
    #[serde(default)]
    not_before: Option<DateTime<Utc>>,
    /// When its last send was claimed.
    #[serde(default)]
    sending_since: Option<DateTime<Utc>>,
    /// The business asked for it to be sent again after an unknown outcome.
    #[serde(default)]
    resend_requested: bool,
}

impl Aggregate for Message {
    const TYPE: &'static str = "message";
    type Command = MessageCommand;
    type Event = MessageEvent;
    type Error = MessageError;
    type Services = MessageServices;

    async fn handle(
        &mut self,
        command: MessageCommand,
        services: &MessageServices,
        sink: &EventSink<Self>,
    ) -> Result<(), MessageError> {
        for event in self.decide(command, services.clock.now())? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: MessageEvent) {
        match (&mut self.state, event) {
            (
                None,
                MessageEvent::Queued {
                    session_id,
                    from,
                    to,
                    content,
                    reply_to,
                    campaign_id,
                    campaign_run,
                    ..
                },
            ) => {
                let campaign = campaign_id.map(|campaign_id| CampaignLink {
                    campaign_id,
                    run: campaign_run.unwrap_or(1),
                });
                self.state = Some(MessageState {
                    campaign,
                    attempted: 0,
                    not_before: None,
                    sending_since: None,
                    resend_requested: false,
                    session_id,
                    from,
                    to,
                    content,
                    reply_to,
                    status: MessageStatus::Queued,
                    wamid: None,
                    reported: BTreeSet::new(),
                });
            }
            (Some(state), event) => state.apply(event),
            (None, _) => {}
        }
    }
}

impl Message {
    pub fn status(&self) -> Option<MessageStatus> {
        self.state.as_ref().map(|s| s.status)
    }

    pub fn wamid(&self) -> Option<&str> {
        self.state.as_ref().and_then(|s| s.wamid.as_deref())
    }

    pub fn session_id(&self) -> Option<&SessionId> {
        self.state.as_ref().map(|s| &s.session_id)
    }

    pub fn from(&self) -> Option<&PhoneNumber> {
        self.state.as_ref().map(|s| &s.from)
    }

    pub fn to(&self) -> Option<&PhoneNumber> {
        self.state.as_ref().map(|s| &s.to)
    }

    pub fn content(&self) -> Option<&MessageContent> {
        self.state.as_ref().map(|s| &s.content)
    }

    /// When its last send was claimed, if it ever was.
    pub fn sending_since(&self) -> Option<DateTime<Utc>> {
        self.state.as_ref().and_then(|s| s.sending_since)
    }

    /// Which attempt the next send is: 1, plus one for each send Meta
    /// refused for a while.
    pub fn send_attempt(&self) -> u32 {
        self.state.as_ref().map_or(1, |s| s.attempted + 1)
    }

    /// When a queued message may be sent again, after a refused attempt.
    pub fn not_before(&self) -> Option<DateTime<Utc>> {
        self.state.as_ref().and_then(|s| s.not_before)
    }

    /// Whether the business asked for it to be sent again after its first
    /// send ended unknown: it then goes even if its campaign run has ended.
    pub fn resend_requested(&self) -> bool {
        self.state.as_ref().is_some_and(|s| s.resend_requested)
    }

    /// The campaign run the message was sent for, if any.
    pub fn campaign(&self) -> Option<&CampaignLink> {
        self.state.as_ref().and_then(|s| s.campaign.as_ref())
    }

    pub fn reply_to(&self) -> Option<&str> {
        self.state.as_ref().and_then(|s| s.reply_to.as_deref())
    }

    /// The command's events, followed, for a campaign's message whose
    /// recipient they move, by the [`MessageEvent::RecipientProgressed`]
    /// that says so.
    pub(super) fn decide(
        &self,
        command: MessageCommand,
        now: DateTime<Utc>,
    ) -> Result<Vec<MessageEvent>, MessageError> {
        let mut events = self.decide_alone(command, now)?;
        if let Some(progress) = self.progress_after(&events, now) {
            events.push(progress);
        }
        Ok(events)
    }

    fn progress_after(&self, events: &[MessageEvent], now: DateTime<Utc>) -> Option<MessageEvent> {
        let before = self.state.as_ref();
        let mut after = self.clone();
        for event in events {
            after.apply(event.clone());
        }
        let state = after.state.as_ref()?;
        let campaign = state.campaign.as_ref()?;
        let from = before.map_or(RecipientStatus::Pending, |s| s.status.recipient_status());
        let to = state.status.recipient_status();
        (from != to).then(|| MessageEvent::RecipientProgressed {
            campaign_id: campaign.campaign_id.clone(),
            run: campaign.run,
            recipient: state.to.clone(),
            from,
            to,
            error: events.iter().rev().find_map(MessageEvent::problem),
            at: now,
        })
    }

    fn decide_alone(
        &self,
        command: MessageCommand,
        now: DateTime<Utc>,
    ) -> Result<Vec<MessageEvent>, MessageError> {
        let Some(state) = &self.state else {
            return match command {
                MessageCommand::Queue(new) => Ok(vec![queued(new, now)]),
                _ => Err(MessageError::NotFound),
            };
        };
        match command {
            // Queuing again under the same id is a client's retry: the
            // message exists, and nothing more happens, if it is the same.
            MessageCommand::Queue(new) => state.queued_again(&new).map(|()| vec![]),
            MessageCommand::BeginSend => state.begin_send(now),
            MessageCommand::RecordSent { wamid, wa_id } => Ok(state.sent(wamid, wa_id, now)),
            MessageCommand::RecordSendFailure(error) => Ok(state.send_failed(error, now)),
            MessageCommand::RecordOutcomeUnknown { reason } => {
                Ok(state.outcome_unknown(reason, now))
            }
            MessageCommand::ApplyStatus(report) => state.report(report),
            MessageCommand::Cancel { reason } => Ok(state.cancel(reason, now)),
            MessageCommand::Resend { reason } => state.resend(reason, now),
            MessageCommand::Defer {
                reason,
                attempted,
                retry_after,
            } => Ok(state.defer(reason, attempted, retry_after, now)),
        }
    }
}

fn queued(new: NewMessage, now: DateTime<Utc>) -> MessageEvent {
    MessageEvent::Queued {
        session_id: new.session_id,
        from: new.from,
        to: new.to,
        content: new.content,
        reply_to: new.reply_to,
        campaign_run: new.campaign.as_ref().map(|c| c.run),
        campaign_id: new.campaign.map(|c| c.campaign_id),
        at: now,
    }
}

impl MessageState {
    fn queued_again(&self, new: &NewMessage) -> Result<(), MessageError> {
        let differs = [
            ("campaign", self.campaign != new.campaign),
            ("session", self.session_id != new.session_id),
            ("to", self.to != new.to),
            ("content", self.content != new.content),
            ("reply", self.reply_to != new.reply_to),
        ];
        match differs.iter().find(|(_, differs)| *differs) {
            Some((what, _)) => Err(MessageError::KeyReused(format!("another {what}"))),
            None => Ok(()),
        }
    }

    fn begin_send(&self, now: DateTime<Utc>) -> Result<Vec<MessageEvent>, MessageError> {
        if self.status != MessageStatus::Queued {
            return Err(MessageError::NotAllowed(format!(
                "the message is {}, and only a queued message is sent",
                self.status
            )));
        }
        Ok(vec![MessageEvent::SendStarted { at: now }])
    }

    /// The send's answer may arrive after a webhook already reported the
    /// message (Meta does not wait for the answer to reach us); then it
    /// adds nothing.
    fn sent(&self, wamid: String, wa_id: Option<String>, now: DateTime<Utc>) -> Vec<MessageEvent> {
        if self.wamid.is_some() || self.status.reached_whatsapp() {
            return vec![];
        }
        vec![MessageEvent::Sent {
            wamid,
            wa_id,
            at: now,
        }]
    }

    fn send_failed(&self, error: SendError, now: DateTime<Utc>) -> Vec<MessageEvent> {
        if self.status.reached_whatsapp() {
            return vec![];
        }
        vec![MessageEvent::SendFailed { error, at: now }]
    }

    fn outcome_unknown(&self, reason: String, now: DateTime<Utc>) -> Vec<MessageEvent> {
        if self.status != MessageStatus::Sending {
            return vec![];
        }
        vec![MessageEvent::SendOutcomeUnknown { reason, at: now }]
    }

    fn defer(
        &self,
        reason: String,
        attempted: bool,
        retry_after: Option<Duration>,
        now: DateTime<Utc>,
    ) -> Vec<MessageEvent> {
        if self.status != MessageStatus::Sending {
            return vec![];
        }
        let not_before = retry_after
            .and_then(|wait| chrono::Duration::from_std(wait).ok())
            .and_then(|wait| now.checked_add_signed(wait));
        vec![MessageEvent::SendDeferred {
            reason,
            attempted,
            not_before,
            at: now,
        }]
    }

    fn cancel(&self, reason: String, now: DateTime<Utc>) -> Vec<MessageEvent> {
        if self.status != MessageStatus::Queued {
            return vec![];
        }
        vec![MessageEvent::Cancelled { reason, at: now }]
    }

    fn resend(
        &self,
        reason: String,
        now: DateTime<Utc>,
    ) -> Result<Vec<MessageEvent>, MessageError> {
        if self.status != MessageStatus::Unknown {
            return Err(MessageError::NotAllowed(format!(
                "the message is {}, and only a message whose outcome is unknown is sent again",
                self.status
            )));
        }
        Ok(vec![MessageEvent::ResendRequested { reason, at: now }])
    }

    /// Each (message, status) pair is recorded once; the message keeps the
    /// highest-ranked status of all reported.
    fn report(&self, report: StatusReport) -> Result<Vec<MessageEvent>, MessageError> {
        if let Some(wamid) = self.wamid.as_ref().filter(|w| **w != report.wamid) {
            return Err(MessageError::NotAllowed(format!(
                "the status is about {}, and Meta accepted this message as {wamid}",
                report.wamid
            )));
        }
        if self.reported.contains(&report.status) {
            return Ok(vec![]);
        }
        let status = self.status.max(report.status.as_status());
        Ok(vec![MessageEvent::StatusReported { report, status }])
    }

    fn apply(&mut self, event: MessageEvent) {
        match event {
            MessageEvent::Queued { .. } => {}
            MessageEvent::SendStarted { at } => {
                self.status = MessageStatus::Sending;
                self.sending_since = Some(at);
            }
            MessageEvent::Sent { wamid, .. } => {
                self.wamid = Some(wamid);
                self.status = self.status.max(MessageStatus::Sent);
            }
            MessageEvent::SendFailed { .. } => self.status = MessageStatus::Failed,
            MessageEvent::SendOutcomeUnknown { .. } => self.status = MessageStatus::Unknown,
            MessageEvent::StatusReported { report, status } => {
                self.wamid.get_or_insert(report.wamid);
                self.reported.insert(report.status);
                self.status = status;
            }
            MessageEvent::Cancelled { .. } => self.status = MessageStatus::Cancelled,
            MessageEvent::ResendRequested { .. } => {
                self.status = MessageStatus::Queued;
                self.resend_requested = true;
                self.sending_since = None;
                self.not_before = None;
            }
            MessageEvent::SendDeferred {
                attempted,
                not_before,
                ..
            } => {
                self.status = MessageStatus::Queued;
                self.attempted += u32::from(attempted);
                self.not_before = not_before;
            }
            MessageEvent::RecipientProgressed { .. } => {}
        }
    }
}
