//! The Webhook aggregate: one notification POST from Meta, as received.
//!
//! Meta keeps no history of what it posted, so Herald records each verified
//! payload before answering 200; processing it into conversations and
//! message statuses happens afterwards, from this record. The aggregate's id
//! is derived from the payload's bytes, so an exact redelivery lands on the
//! same aggregate and is recorded once.

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};
use std::convert::Infallible;
use std::sync::Arc;

use crate::clock::Clock;
use crate::ids::SessionId;

/// A business number a payload is about, and the session it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookRoute {
    pub phone_number_id: String,
    pub session_id: SessionId,
}

#[derive(Debug, Clone, PartialEq)]
pub enum WebhookCommand {
    /// `payload` is the JSON body (or the tenant's part of it), already
    /// checked against the app secret of each route's session.
    Record {
        payload: String,
        routes: Vec<WebhookRoute>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum WebhookEvent {
    Received {
        payload: String,
        routes: Vec<WebhookRoute>,
        received_at: DateTime<Utc>,
    },
}

impl DomainEvent for WebhookEvent {
    fn event_type(&self) -> String {
        "WebhookReceived".to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

#[derive(Clone)]
pub struct WebhookServices {
    clock: Arc<dyn Clock>,
}

impl WebhookServices {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self { clock }
    }
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Webhook {
    received: bool,
}

impl Aggregate for Webhook {
    const TYPE: &'static str = "webhook";
    type Command = WebhookCommand;
    type Event = WebhookEvent;
    type Error = Infallible;
    type Services = WebhookServices;

    async fn handle(
        &mut self,
        command: WebhookCommand,
        services: &WebhookServices,
        sink: &EventSink<Self>,
    ) -> Result<(), Infallible> {
        let WebhookCommand::Record { payload, routes } = command;
        if !self.received {
            let event = WebhookEvent::Received {
                payload,
                routes,
                received_at: services.clock.now(),
            };
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: WebhookEvent) {
        let WebhookEvent::Received { .. } = event;
        self.received = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use cqrs_es::test::TestFramework;

    fn at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-21T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn routes() -> Vec<WebhookRoute> {
        vec![WebhookRoute {
            phone_number_id: "1".into(),
            session_id: SessionId::parse("s1").unwrap(),
        }]
    }

    fn record() -> WebhookCommand {
        WebhookCommand::Record {
            payload: "{}".into(),
            routes: routes(),
        }
    }

    fn received() -> WebhookEvent {
        WebhookEvent::Received {
            payload: "{}".into(),
            routes: routes(),
            received_at: at(),
        }
    }

    fn test() -> TestFramework<Webhook> {
        TestFramework::with(WebhookServices::new(Arc::new(FixedClock(at()))))
    }

    #[test]
    fn a_payload_is_recorded() {
        test()
            .given_no_previous_events()
            .when(record())
            .then_expect_events(vec![received()]);
    }

    #[test]
    fn the_same_payload_again_is_recorded_once() {
        test()
            .given(vec![received()])
            .when(record())
            .then_expect_events(vec![]);
    }
}
