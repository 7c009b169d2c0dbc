//! The Campaign aggregate: decides what a command does to a campaign.

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

use super::commands::{CampaignCommand, NewCampaign};
use super::definition::CampaignDefinition;
use super::error::CampaignError;
use super::events::CampaignEvent;
use super::recipients::{check_request_size, new_recipients, Recipient};
use super::schedule::Schedule;
use super::state::CampaignState;
use super::status::{Action, CampaignStatus};
use crate::clock::Clock;

/// What the Campaign aggregate may ask of the world: only the time.
#[derive(Clone)]
pub struct CampaignServices {
    clock: Arc<dyn Clock>,
}

impl CampaignServices {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self { clock }
    }
}

/// Where the campaign sender stands in a run (see [`Campaign::progress`]).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SendProgress {
    pub run: u32,
    pub taken: u32,
    pub queued: u32,
    pub batch_from: u32,
    pub total: u32,
}

/// A bulk campaign: what it sends, to whom, when, and where it is in its
/// life. `None` until it is created.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Campaign {
    state: Option<CampaignState>,
}

impl Aggregate for Campaign {
    const TYPE: &'static str = "campaign";
    type Command = CampaignCommand;
    type Event = CampaignEvent;
    type Error = CampaignError;
    type Services = CampaignServices;

    async fn handle(
        &mut self,
        command: CampaignCommand,
        services: &CampaignServices,
        sink: &EventSink<Self>,
    ) -> Result<(), CampaignError> {
        let events = self.decide(command, services.clock.now())?;
        for event in events {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: CampaignEvent) {
        match (&mut self.state, event) {
            (
                None,
                CampaignEvent::Created {
                    definition,
                    schedule,
                    recipients,
                },
            ) => {
                self.state = Some(CampaignState {
                    definition,
                    schedule,
                    recipients: Arc::new(recipients),
                    status: CampaignStatus::Draft,
                    runs: 0,
                    cursor: 0,
                    queued: 0,
                    batch_from: 0,
                    next_run_at: None,
                });
            }
            (Some(state), event) => state.apply(event),
            (None, _) => {}
        }
    }
}

impl Campaign {
    pub fn status(&self) -> Option<CampaignStatus> {
        self.state.as_ref().map(|s| s.status)
    }

    pub fn definition(&self) -> Option<&CampaignDefinition> {
        self.state.as_ref().map(|s| &s.definition)
    }

    pub fn schedule(&self) -> Option<&Schedule> {
        self.state.as_ref().map(|s| &s.schedule)
    }

    pub fn recipients(&self) -> &[Recipient] {
        self.state.as_ref().map_or(&[], |s| s.recipients.as_slice())
    }

    /// How many runs have started; a one-off campaign has at most one.
    pub fn runs(&self) -> u32 {
        self.state.as_ref().map_or(0, |s| s.runs)
    }

    /// When the scheduler starts its next run, while it is scheduled.
    pub fn next_run_at(&self) -> Option<DateTime<Utc>> {
        self.state.as_ref().and_then(|s| s.next_run_at)
    }

    /// Where the campaign sender stands in the current run: the recipients
    /// before `taken` are taken, those before `queued` have their messages
    /// queued, and the last batch taken began at `batch_from`.
    pub fn progress(&self) -> SendProgress {
        self.state
            .as_ref()
            .map_or_else(SendProgress::default, |s| SendProgress {
                run: s.runs,
                taken: s.cursor,
                queued: s.queued,
                batch_from: s.batch_from,
                total: s.recipient_count(),
            })
    }

    fn decide(
        &self,
        command: CampaignCommand,
        now: DateTime<Utc>,
    ) -> Result<Vec<CampaignEvent>, CampaignError> {
        let Some(state) = &self.state else {
            return match command {
                CampaignCommand::Create(new) => create(new),
                _ => Err(CampaignError::NotFound),
            };
        };
        match command {
            CampaignCommand::Create(_) => Err(CampaignError::AlreadyExists),
            CampaignCommand::Edit(edit) => state.edit(edit, now),
            CampaignCommand::AddRecipients(recipients) => state.add_recipients(recipients),
            CampaignCommand::Schedule(schedule) => state.schedule(schedule, now),
            CampaignCommand::Start => state.start(),
            CampaignCommand::StartDueRun { due } => state.start_due_run(due, now),
            CampaignCommand::Pause => state.transition(Action::Pause, CampaignEvent::Paused),
            CampaignCommand::PauseFor { reason } => state.pause_for(reason),
            CampaignCommand::Resume => state.transition(Action::Resume, CampaignEvent::Resumed),
            CampaignCommand::Stop => state.stop(),
            CampaignCommand::ReserveBatch { run, from, size } => {
                state.reserve_batch(run, from, size)
            }
            CampaignCommand::RecordBatchQueued { run, to } => {
                Ok(state.record_batch_queued(run, to))
            }
            CampaignCommand::Complete => state.complete(now),
            CampaignCommand::ResendUnknown => state.resend_unknown(),
            CampaignCommand::Fail { reason } => state.fail(reason),
        }
    }
}

fn create(new: NewCampaign) -> Result<Vec<CampaignEvent>, CampaignError> {
    check_request_size(&new.recipients)?;
    Ok(vec![CampaignEvent::Created {
        definition: new.definition,
        schedule: new.schedule,
        recipients: new_recipients(&[], new.recipients),
    }])
}
