//! A created campaign, and the rules each command must keep on it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

use super::commands::CampaignEdit;
use super::definition::CampaignDefinition;
use super::error::CampaignError;
use super::events::{CampaignEvent, DefinitionChanges};
use super::personalization::check_every_placeholder_resolves;
use super::recipients::{check_campaign_size, check_request_size, new_recipients, Recipient};
use super::render::message_for;
use super::schedule::Schedule;
use super::status::{Action, CampaignStatus};
use crate::value::FieldError;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct CampaignState {
    pub(super) definition: CampaignDefinition,
    pub(super) schedule: Schedule,
    /// Shared so that cloning a campaign (the store's cache does) is cheap.
    pub(super) recipients: Arc<Vec<Recipient>>,
    pub(super) status: CampaignStatus,
    pub(super) runs: u32,
    /// The run's recipients before this place are taken by the sender.
    #[serde(default)]
    pub(super) cursor: u32,
    /// The messages of the run's recipients before this place are queued.
    #[serde(default)]
    pub(super) queued: u32,
    /// Where the last batch taken began.
    #[serde(default)]
    pub(super) batch_from: u32,
    /// When the scheduler starts the next run, while scheduled.
    #[serde(default)]
    pub(super) next_run_at: Option<DateTime<Utc>>,
}

impl CampaignState {
    pub(super) fn edit(
        &self,
        mut edit: CampaignEdit,
        now: DateTime<Utc>,
    ) -> Result<Vec<CampaignEvent>, CampaignError> {
        Action::Edit.check(self.status)?;
        if self.status == CampaignStatus::Paused {
            check_paused_edit(&edit)?;
        }
        let recipients = edit.recipients.take();
        let mut events = Vec::new();
        let (changes, new_schedule) = self.changes(edit)?;
        if !changes.is_empty() {
            events.push(CampaignEvent::Edited(changes));
        }
        if let Some(recipients) = self.replaced_recipients(recipients)? {
            events.push(CampaignEvent::RecipientsReplaced { recipients });
        }
        if let Some(schedule) = new_schedule {
            events.push(scheduled(schedule, now)?);
        }
        if self.status == CampaignStatus::Scheduled {
            self.after(&events).check_ready()?;
        }
        Ok(events)
    }

    /// The fields that differ from the campaign's, and a new schedule for a
    /// scheduled campaign (which must be rescheduled rather than edited).
    fn changes(
        &self,
        edit: CampaignEdit,
    ) -> Result<(DefinitionChanges, Option<Schedule>), CampaignError> {
        let current = &self.definition;
        let message = match edit.message.is_empty() {
            true => None,
            false => Some(current.message.patched(edit.message)?),
        };
        let schedule = edit.schedule.filter(|s| *s != self.schedule);
        let reschedule = self.status == CampaignStatus::Scheduled;
        let changes = DefinitionChanges {
            name: edit.name.filter(|n| *n != current.name),
            description: edit.description.filter(|d| *d != current.description),
            session_id: edit.session_id.filter(|s| *s != current.session_id),
            message: message.filter(|m| *m != current.message),
            delay: edit.delay.filter(|d| *d != current.delay),
            personalize: edit.personalize.filter(|p| *p != current.personalize),
            schedule: schedule.filter(|_| !reschedule),
        };
        Ok((changes, schedule.filter(|_| reschedule)))
    }

    fn replaced_recipients(
        &self,
        recipients: Option<Vec<Recipient>>,
    ) -> Result<Option<Vec<Recipient>>, CampaignError> {
        let Some(recipients) = recipients else {
            return Ok(None);
        };
        check_request_size(&recipients)?;
        let unique = new_recipients(&[], recipients);
        Ok((unique != *self.recipients).then_some(unique))
    }

    pub(super) fn add_recipients(
        &self,
        recipients: Vec<Recipient>,
    ) -> Result<Vec<CampaignEvent>, CampaignError> {
        Action::AddRecipients.check(self.status)?;
        check_request_size(&recipients)?;
        let added = new_recipients(&self.recipients, recipients);
        if added.is_empty() {
            return Ok(Vec::new());
        }
        check_campaign_size(self.recipients.len() + added.len())?;
        let events = vec![CampaignEvent::RecipientsAdded { recipients: added }];
        if self.status == CampaignStatus::Scheduled {
            self.after(&events).check_ready()?;
        }
        Ok(events)
    }

    pub(super) fn schedule(
        &self,
        schedule: Option<Schedule>,
        now: DateTime<Utc>,
    ) -> Result<Vec<CampaignEvent>, CampaignError> {
        Action::Schedule.check(self.status)?;
        let schedule = schedule.unwrap_or(self.schedule);
        if self.status == CampaignStatus::Scheduled && schedule == self.schedule {
            return Ok(Vec::new());
        }
        self.check_ready()?;
        Ok(vec![scheduled(schedule, now)?])
    }

    pub(super) fn start(&self) -> Result<Vec<CampaignEvent>, CampaignError> {
        Action::Start.check(self.status)?;
        self.check_ready()?;
        Ok(vec![CampaignEvent::Started {
            run: self.runs + 1,
            recipients: Some(self.recipient_count()),
        }])
    }

    /// A run started by the scheduler, at the time it was due: a run that
    /// fell due while Herald was down starts once, late, and the next is
    /// then counted from now, so missed periods give one catch-up run.
    pub(super) fn start_due_run(
        &self,
        due: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<CampaignEvent>, CampaignError> {
        if self.status != CampaignStatus::Scheduled || self.next_run_at != Some(due) {
            return Ok(Vec::new());
        }
        if due > now {
            return Err(CampaignError::NotAllowed(format!(
                "the run is due at {}, not yet",
                due.to_rfc3339()
            )));
        }
        self.start()
    }

    pub(super) fn recipient_count(&self) -> u32 {
        u32::try_from(self.recipients.len()).unwrap_or(u32::MAX)
    }

    pub(super) fn reserve_batch(
        &self,
        run: u32,
        from: u32,
        size: u32,
    ) -> Result<Vec<CampaignEvent>, CampaignError> {
        if self.status != CampaignStatus::Running || run != self.runs {
            return Err(CampaignError::NotAllowed(format!(
                "run {run} of the campaign is not sending: the campaign is {} in run {}",
                self.status, self.runs
            )));
        }
        let total = self.recipient_count();
        if from != self.cursor || from >= total || size == 0 {
            return Ok(Vec::new());
        }
        Ok(vec![CampaignEvent::BatchReserved {
            run,
            from,
            to: from.saturating_add(size).min(total),
        }])
    }

    pub(super) fn record_batch_queued(&self, run: u32, to: u32) -> Vec<CampaignEvent> {
        if run != self.runs || to <= self.queued || to > self.cursor {
            return Vec::new();
        }
        vec![CampaignEvent::BatchQueued { run, to }]
    }

    pub(super) fn pause_for(&self, reason: String) -> Result<Vec<CampaignEvent>, CampaignError> {
        Action::Pause.check(self.status)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(FieldError::new("reason", "must say why the campaign is paused").into());
        }
        Ok(vec![CampaignEvent::PausedAutomatically {
            reason: reason.to_owned(),
        }])
    }

    /// Stopped, and the recipients no sender has taken are never sent to.
    /// Between two runs of a recurring campaign every recipient of the
    /// last run has its outcome already.
    pub(super) fn stop(&self) -> Result<Vec<CampaignEvent>, CampaignError> {
        Action::Stop.check(self.status)?;
        let between_runs = self.status == CampaignStatus::Scheduled && self.runs > 0;
        let count = self.recipient_count().saturating_sub(self.cursor);
        let mut events = vec![CampaignEvent::Stopped];
        if count > 0 && !between_runs {
            events.push(CampaignEvent::RecipientsNotSent {
                run: self.runs,
                from: self.cursor,
                count,
                reason: "the campaign was stopped before sending to them".to_owned(),
            });
        }
        Ok(events)
    }

    pub(super) fn transition(
        &self,
        action: Action,
        event: CampaignEvent,
    ) -> Result<Vec<CampaignEvent>, CampaignError> {
        action.check(self.status)?;
        Ok(vec![event])
    }

    pub(super) fn complete(&self, now: DateTime<Utc>) -> Result<Vec<CampaignEvent>, CampaignError> {
        Action::Complete.check(self.status)?;
        if self.cursor < self.recipient_count() {
            return Err(CampaignError::NotAllowed(format!(
                "{} of the run's recipients have not been sent to yet",
                self.recipient_count() - self.cursor
            )));
        }
        let next_run = match self.schedule {
            Schedule::Recurring { .. } => self.schedule.next_run_at_or_after(now),
            _ => None,
        };
        Ok(vec![match next_run {
            Some(next_run_at) => CampaignEvent::RunCompleted { next_run_at },
            None => CampaignEvent::Completed,
        }])
    }

    /// Only a campaign that has sent, and may still send: a stopped or
    /// failed campaign's messages are withdrawn, not sent.
    pub(super) fn resend_unknown(&self) -> Result<Vec<CampaignEvent>, CampaignError> {
        if self.runs == 0 {
            return Err(CampaignError::NotAllowed(
                "the campaign has not sent anything yet".to_owned(),
            ));
        }
        if matches!(
            self.status,
            CampaignStatus::Stopped | CampaignStatus::Failed
        ) {
            return Err(CampaignError::NotAllowed(format!(
                "the campaign is {}: it sends nothing more",
                self.status
            )));
        }
        Ok(vec![CampaignEvent::ResendUnknownRequested {
            run: self.runs,
        }])
    }

    pub(super) fn fail(&self, reason: String) -> Result<Vec<CampaignEvent>, CampaignError> {
        Action::Fail.check(self.status)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(FieldError::new("reason", "must say why the campaign failed").into());
        }
        Ok(vec![CampaignEvent::Failed {
            reason: reason.to_owned(),
        }])
    }

    /// A campaign is ready to send when it has recipients and, if it is
    /// personalised, every placeholder has a value for every recipient.
    fn check_ready(&self) -> Result<(), CampaignError> {
        if self.recipients.is_empty() {
            return Err(FieldError::new(
                "recipients",
                "the campaign has no recipients: add some before scheduling or starting it",
            )
            .into());
        }
        if self.definition.personalize {
            check_every_placeholder_resolves(
                &self.definition.message.personalizable_texts(),
                &self.recipients,
            )?;
        }
        for (index, recipient) in self.recipients.iter().enumerate() {
            message_for(
                &self.definition.message,
                recipient,
                self.definition.personalize,
            )
            .map_err(|e| {
                FieldError::new(
                    format!("recipients[{index}]"),
                    format!(
                        "the message to {} breaks a limit of WhatsApp once filled in ({}: {})",
                        recipient.phone_number, e.field, e.message
                    ),
                )
            })?;
        }
        Ok(())
    }

    /// The state these events would leave, to check rules on the outcome.
    fn after(&self, events: &[CampaignEvent]) -> Self {
        let mut after = self.clone();
        for event in events {
            after.apply(event.clone());
        }
        after
    }

    pub(super) fn apply(&mut self, event: CampaignEvent) {
        match event {
            CampaignEvent::Created { .. } => {}
            CampaignEvent::Edited(changes) => self.apply_changes(changes),
            CampaignEvent::RecipientsReplaced { recipients } => {
                self.recipients = Arc::new(recipients)
            }
            CampaignEvent::RecipientsAdded { recipients } => {
                Arc::make_mut(&mut self.recipients).extend(recipients)
            }
            CampaignEvent::Scheduled {
                schedule,
                next_run_at,
            } => {
                self.schedule = schedule;
                self.status = CampaignStatus::Scheduled;
                self.next_run_at = Some(next_run_at);
            }
            CampaignEvent::Started { run, .. } => {
                self.next_run_at = None;
                self.runs = run;
                self.status = CampaignStatus::Running;
                self.cursor = 0;
                self.queued = 0;
                self.batch_from = 0;
            }
            CampaignEvent::BatchReserved { from, to, .. } => {
                self.batch_from = from;
                self.cursor = to;
            }
            CampaignEvent::BatchQueued { to, .. } => self.queued = to,
            CampaignEvent::Paused | CampaignEvent::PausedAutomatically { .. } => {
                self.status = CampaignStatus::Paused
            }
            CampaignEvent::RecipientsNotSent { .. }
            | CampaignEvent::ResendUnknownRequested { .. } => {}
            CampaignEvent::Resumed => self.status = CampaignStatus::Running,
            CampaignEvent::RunCompleted { next_run_at } => {
                self.status = CampaignStatus::Scheduled;
                self.next_run_at = Some(next_run_at);
            }
            CampaignEvent::Completed => self.status = CampaignStatus::Completed,
            CampaignEvent::Failed { .. } => self.status = CampaignStatus::Failed,
            CampaignEvent::Stopped => {
                self.status = CampaignStatus::Stopped;
                self.next_run_at = None;
            }
        }
    }

    fn apply_changes(&mut self, changes: DefinitionChanges) {
        let definition = &mut self.definition;
        definition.name = changes.name.unwrap_or_else(|| definition.name.clone());
        definition.description = changes
            .description
            .unwrap_or_else(|| definition.description.clone());
        definition.session_id = changes
            .session_id
            .unwrap_or_else(|| definition.session_id.clone());
        definition.message = changes
            .message
            .unwrap_or_else(|| definition.message.clone());
        definition.delay = changes.delay.unwrap_or(definition.delay);
        definition.personalize = changes.personalize.unwrap_or(definition.personalize);
        self.schedule = changes.schedule.unwrap_or(self.schedule);
    }
}

/// A paused campaign has sent to part of its audience: what it says and
/// how fast may change, not where it sends from, to whom or when.
fn check_paused_edit(edit: &CampaignEdit) -> Result<(), CampaignError> {
    let fixed = [
        ("sessionId", edit.session_id.is_some()),
        ("schedule", edit.schedule.is_some()),
        ("recipients", edit.recipients.is_some()),
    ];
    match fixed.iter().find(|(_, given)| *given) {
        Some((field, _)) => Err(CampaignError::NotAllowed(format!(
            "cannot change {field} of a paused campaign: it has already sent to part of its audience"
        ))),
        None => Ok(()),
    }
}

fn scheduled(schedule: Schedule, now: DateTime<Utc>) -> Result<CampaignEvent, CampaignError> {
    let Some(start_time) = schedule.start_time() else {
        return Err(FieldError::new(
            "schedule",
            "an immediate campaign is started, not scheduled: give a schedule of type scheduled or recurring with a startTime",
        )
        .into());
    };
    let next_run_at = schedule.next_run_at_or_after(now).ok_or_else(|| {
        FieldError::new(
            "schedule.startTime",
            format!(
                "{} has passed: choose a later time",
                start_time.to_rfc3339()
            ),
        )
    })?;
    Ok(CampaignEvent::Scheduled {
        schedule,
        next_run_at,
    })
}
