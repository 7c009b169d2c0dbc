//! The AccessDenial aggregate: one refused attempt, recorded so that the
//! audit log shows what was tried as well as what was done. Each denial
//! is an aggregate of its own, so a burst of them contends for nothing.

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use super::error::AccountError;
use super::user::AccountServices;

/// What was refused, to whom, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Denial {
    /// The route's action (`manage_campaigns`), or what the plan refused.
    pub action: String,
    pub method: String,
    pub path: String,
    /// `forbidden` (the role or key may not) or `plan_limit`.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DenialCommand {
    Record(Denial),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DenialEvent {
    AccessDenied { denial: Denial, at: DateTime<Utc> },
}

impl DomainEvent for DenialEvent {
    fn event_type(&self) -> String {
        "AccessDenied".to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct AccessDenial {
    recorded: bool,
}

impl Aggregate for AccessDenial {
    const TYPE: &'static str = "access_denial";
    type Command = DenialCommand;
    type Event = DenialEvent;
    type Error = AccountError;
    type Services = AccountServices;

    async fn handle(
        &mut self,
        command: DenialCommand,
        services: &AccountServices,
        sink: &EventSink<Self>,
    ) -> Result<(), AccountError> {
        let DenialCommand::Record(denial) = command;
        if self.recorded {
            return Err(AccountError::AlreadyExists);
        }
        let event = DenialEvent::AccessDenied {
            denial,
            at: services.now(),
        };
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, _event: DenialEvent) {
        self.recorded = true;
    }
}
