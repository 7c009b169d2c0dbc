//! The Subscription aggregate: decides what a command does to a tenant's
//! plan, its payments and what it holds against its limits.
//!
//! One per tenant, so every reservation of a tenant goes through one
//! aggregate, and optimistic concurrency makes concurrent reservations
//! take turns: no two can both take the last of a limit.

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use super::commands::{Reservation, SubscriptionCommand};
use super::error::SubscriptionError;
use super::events::SubscriptionEvent;
use super::payment::{Payment, TransactionId};
use super::plan::{Limits, Resource, Tier};
use super::status::SubscriptionStatus;
use super::usage::Usage;
use crate::clock::Clock;

/// What the Subscription aggregate may ask of the world: only the time.
#[derive(Clone)]
pub struct SubscriptionServices {
    clock: Arc<dyn Clock>,
}

impl SubscriptionServices {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self { clock }
    }
}

/// A tenant's plan. Before anything starts it, it is the free plan,
/// active: the first command it gets records that start.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Subscription {
    state: Option<SubscriptionState>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SubscriptionState {
    tier: Tier,
    status: SubscriptionStatus,
    starts_at: DateTime<Utc>,
    ends_at: Option<DateTime<Utc>>,
    custom_limits: Option<Limits>,
    usage: Usage,
    payments: BTreeMap<TransactionId, Payment>,
}

impl Aggregate for Subscription {
    const TYPE: &'static str = "subscription";
    type Command = SubscriptionCommand;
    type Event = SubscriptionEvent;
    type Error = SubscriptionError;
    type Services = SubscriptionServices;

    async fn handle(
        &mut self,
        command: SubscriptionCommand,
        services: &SubscriptionServices,
        sink: &EventSink<Self>,
    ) -> Result<(), SubscriptionError> {
        for event in self.decide(command, services.clock.now())? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: SubscriptionEvent) {
        match (&mut self.state, event) {
            (
                _,
                SubscriptionEvent::Started {
                    tier,
                    status,
                    ends_at,
                    at,
                },
            ) => self.state = Some(SubscriptionState::started(tier, status, ends_at, at)),
            (Some(state), event) => state.apply(event),
            (None, _) => {}
        }
    }
}

impl Subscription {
    pub fn has_started(&self) -> bool {
        self.state.is_some()
    }

    pub fn tier(&self) -> Tier {
        self.state.as_ref().map_or(Tier::Free, |s| s.tier)
    }

    pub fn starts_at(&self) -> Option<DateTime<Utc>> {
        self.state.as_ref().map(|s| s.starts_at)
    }

    pub fn ends_at(&self) -> Option<DateTime<Utc>> {
        self.state.as_ref().and_then(|s| s.ends_at)
    }

    /// The status at `now`: a plan past its end date is expired, whether
    /// or not the expiry has been recorded yet.
    pub fn status_at(&self, now: DateTime<Utc>) -> SubscriptionStatus {
        self.state
            .as_ref()
            .map_or(SubscriptionStatus::Active, |s| s.status_at(now))
    }

    /// What the tenant may have and do at `now`: its tier's limits (or the
    /// custom ones) while the plan is in force, the free plan's after.
    pub fn limits_at(&self, now: DateTime<Utc>) -> Limits {
        self.state
            .as_ref()
            .map_or_else(|| Tier::Free.limits(), |s| s.limits_at(now))
    }

    pub fn custom_limits(&self) -> Option<Limits> {
        self.state.as_ref().and_then(|s| s.custom_limits)
    }

    /// How much of `resource` is held in the period `now` falls in.
    pub fn used(&self, resource: Resource, now: DateTime<Utc>) -> u32 {
        self.state
            .as_ref()
            .map_or(0, |s| s.usage.used(resource, now))
    }

    /// What `key` holds of `resource` in the period `now` falls in.
    pub fn held_by(&self, resource: Resource, key: &str, now: DateTime<Utc>) -> Option<u32> {
        self.state
            .as_ref()
            .and_then(|s| s.usage.held_by(resource, key, now))
    }

    /// Every payment recorded, by transaction id.
    pub fn payments(&self) -> impl Iterator<Item = &Payment> {
        self.state.iter().flat_map(|s| s.payments.values())
    }

    pub fn payment(&self, transaction_id: &TransactionId) -> Option<&Payment> {
        self.state
            .as_ref()
            .and_then(|s| s.payments.get(transaction_id))
    }

    fn decide(
        &self,
        command: SubscriptionCommand,
        now: DateTime<Utc>,
    ) -> Result<Vec<SubscriptionEvent>, SubscriptionError> {
        let (mut events, state) = match &self.state {
            Some(state) => (Vec::new(), Cow::Borrowed(state)),
            None => {
                if let SubscriptionCommand::Start {
                    tier,
                    status,
                    ends_at,
                } = command
                {
                    return Ok(vec![SubscriptionEvent::Started {
                        tier,
                        status,
                        ends_at,
                        at: now,
                    }]);
                }
                let started = SubscriptionEvent::Started {
                    tier: Tier::Free,
                    status: SubscriptionStatus::Active,
                    ends_at: None,
                    at: now,
                };
                let state =
                    SubscriptionState::started(Tier::Free, SubscriptionStatus::Active, None, now);
                (vec![started], Cow::Owned(state))
            }
        };
        events.extend(state.decide(command, now)?);
        Ok(events)
    }
}

impl SubscriptionState {
    fn started(
        tier: Tier,
        status: SubscriptionStatus,
        ends_at: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            tier,
            status,
            starts_at: at,
            ends_at,
            custom_limits: None,
            usage: Usage::default(),
            payments: BTreeMap::new(),
        }
    }

    fn has_ended(&self, now: DateTime<Utc>) -> bool {
        self.ends_at.is_some_and(|end| now >= end)
    }

    fn status_at(&self, now: DateTime<Utc>) -> SubscriptionStatus {
        if self.has_ended(now) {
            SubscriptionStatus::Expired
        } else {
            self.status
        }
    }

    /// Active and trial plans are in force until their end; a cancelled
    /// one until the end it had, if it had one.
    fn in_force(&self, now: DateTime<Utc>) -> bool {
        match self.status_at(now) {
            SubscriptionStatus::Active | SubscriptionStatus::Trial => true,
            SubscriptionStatus::Cancelled => self.ends_at.is_some(),
            SubscriptionStatus::Expired => false,
        }
    }

    fn limits_at(&self, now: DateTime<Utc>) -> Limits {
        if self.in_force(now) {
            self.custom_limits.unwrap_or_else(|| self.tier.limits())
        } else {
            Tier::Free.limits()
        }
    }

    fn decide(
        &self,
        command: SubscriptionCommand,
        now: DateTime<Utc>,
    ) -> Result<Vec<SubscriptionEvent>, SubscriptionError> {
        match command {
            SubscriptionCommand::Start { .. } => Err(SubscriptionError::AlreadyStarted),
            SubscriptionCommand::ChangePlan { tier, ends_at } => {
                Ok(self.change_plan(tier, ends_at, now).into_iter().collect())
            }
            SubscriptionCommand::SetCustomLimits(limits) => Ok((self.custom_limits != limits)
                .then_some(SubscriptionEvent::CustomLimitsSet { limits, at: now })
                .into_iter()
                .collect()),
            SubscriptionCommand::Cancel => self.cancel(now),
            SubscriptionCommand::Expire => self.expire(now),
            SubscriptionCommand::RecordPayment(payment) => self.record_payment(payment, now),
            SubscriptionCommand::Reserve(reservation) => self.reserve(reservation, now),
            SubscriptionCommand::Release {
                resource,
                key,
                count,
            } => Ok(self
                .usage
                .held_by(resource, &key, now)
                .map(|held| SubscriptionEvent::Released {
                    resource,
                    key,
                    count: count.min(held),
                    at: now,
                })
                .into_iter()
                .collect()),
        }
    }

    fn change_plan(
        &self,
        tier: Tier,
        ends_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Option<SubscriptionEvent> {
        let unchanged = self.tier == tier
            && self.ends_at == ends_at
            && self.status_at(now) == SubscriptionStatus::Active;
        (!unchanged).then_some(SubscriptionEvent::PlanChanged {
            from: self.tier,
            to: tier,
            ends_at,
            at: now,
        })
    }

    fn cancel(&self, now: DateTime<Utc>) -> Result<Vec<SubscriptionEvent>, SubscriptionError> {
        match self.status_at(now) {
            SubscriptionStatus::Cancelled => Ok(Vec::new()),
            SubscriptionStatus::Expired => Err(SubscriptionError::NotAllowed(
                "the subscription has already expired".into(),
            )),
            SubscriptionStatus::Active | SubscriptionStatus::Trial => {
                Ok(vec![SubscriptionEvent::Cancelled { at: now }])
            }
        }
    }

    fn expire(&self, now: DateTime<Utc>) -> Result<Vec<SubscriptionEvent>, SubscriptionError> {
        if self.status == SubscriptionStatus::Expired {
            return Ok(Vec::new());
        }
        match self.ends_at {
            Some(end) if now < end => Err(SubscriptionError::NotAllowed(format!(
                "the subscription runs until {}",
                end.to_rfc3339()
            ))),
            None if self.status != SubscriptionStatus::Cancelled => Err(
                SubscriptionError::NotAllowed("the subscription has no end date".into()),
            ),
            _ => Ok(vec![SubscriptionEvent::Expired { at: now }]),
        }
    }

    fn record_payment(
        &self,
        payment: Payment,
        now: DateTime<Utc>,
    ) -> Result<Vec<SubscriptionEvent>, SubscriptionError> {
        let mut events = match self.payments.get(&payment.transaction_id) {
            None => vec![SubscriptionEvent::PaymentRecorded {
                payment: payment.clone(),
                at: now,
            }],
            Some(recorded) if !recorded.is_same_transaction(&payment) => {
                return Err(SubscriptionError::PaymentMismatch(payment.transaction_id))
            }
            Some(recorded) if recorded.status == payment.status => return Ok(Vec::new()),
            Some(recorded) if recorded.status.may_become(payment.status) => {
                vec![SubscriptionEvent::PaymentStatusChanged {
                    transaction_id: payment.transaction_id.clone(),
                    status: payment.status,
                    at: now,
                }]
            }
            Some(recorded) => {
                return Err(SubscriptionError::NotAllowed(
                    format!(
                        "a {:?} payment cannot become {:?}",
                        recorded.status, payment.status
                    )
                    .to_lowercase(),
                ))
            }
        };
        events.extend(self.plan_paid_for(&payment, now));
        Ok(events)
    }

    /// A completed payment for a tier, for a period not yet over, puts the
    /// subscription on that tier until the period's end.
    fn plan_paid_for(&self, payment: &Payment, now: DateTime<Utc>) -> Option<SubscriptionEvent> {
        use super::payment::PaymentStatus;
        let tier = payment.tier?;
        let current = payment.billing_period_end.is_none_or(|end| now < end);
        (payment.status == PaymentStatus::Completed && current)
            .then(|| self.change_plan(tier, payment.billing_period_end, now))
            .flatten()
    }

    fn reserve(
        &self,
        reservation: Reservation,
        now: DateTime<Utc>,
    ) -> Result<Vec<SubscriptionEvent>, SubscriptionError> {
        let Reservation {
            resource,
            key,
            wanted,
            at_least,
        } = reservation;
        if at_least == 0 || wanted < at_least {
            return Err(SubscriptionError::NotAllowed(
                "a reservation wants at least one, and no less than its least".into(),
            ));
        }
        if self.usage.held_by(resource, &key, now).is_some() {
            return Ok(Vec::new());
        }
        let limit = self.limits_at(now).of(resource);
        let used = self.usage.used(resource, now);
        let granted = limit
            .room_beside(used)
            .map_or(wanted, |room| room.min(wanted));
        if granted < at_least {
            return Err(SubscriptionError::LimitReached {
                resource,
                limit,
                used,
                resets_at: resource.period().map(|period| period.next_start_after(now)),
            });
        }
        Ok(vec![SubscriptionEvent::Reserved {
            resource,
            key,
            count: granted,
            at: now,
        }])
    }

    fn apply(&mut self, event: SubscriptionEvent) {
        match event {
            SubscriptionEvent::Started { .. } => {}
            SubscriptionEvent::PlanChanged {
                to, ends_at, at, ..
            } => {
                self.tier = to;
                self.status = SubscriptionStatus::Active;
                self.starts_at = at;
                self.ends_at = ends_at;
            }
            SubscriptionEvent::CustomLimitsSet { limits, .. } => self.custom_limits = limits,
            SubscriptionEvent::Cancelled { .. } => self.status = SubscriptionStatus::Cancelled,
            SubscriptionEvent::Expired { .. } => self.status = SubscriptionStatus::Expired,
            SubscriptionEvent::PaymentRecorded { payment, .. } => {
                self.payments
                    .insert(payment.transaction_id.clone(), payment);
            }
            SubscriptionEvent::PaymentStatusChanged {
                transaction_id,
                status,
                ..
            } => {
                if let Some(payment) = self.payments.get_mut(&transaction_id) {
                    payment.status = status;
                }
            }
            SubscriptionEvent::Reserved {
                resource,
                key,
                count,
                at,
            } => self.usage.hold(resource, key, count, at),
            SubscriptionEvent::Released {
                resource,
                key,
                count,
                at,
            } => self.usage.release(resource, &key, count, at),
        }
    }
}
