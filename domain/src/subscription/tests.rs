//! Given / when / then tests of the Subscription aggregate: plan changes,
//! expiry, payments, and reservations against the limits.

use chrono::{DateTime, Duration, Utc};
use cqrs_es::test::TestFramework;
use cqrs_es::Aggregate;
use std::sync::Arc;

use super::*;
use crate::clock::FixedClock;

type SubscriptionTest = TestFramework<Subscription>;

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn now() -> DateTime<Utc> {
    at("2026-12-02T12:00:00Z")
}

fn test_at(now: DateTime<Utc>) -> SubscriptionTest {
    SubscriptionTest::with(SubscriptionServices::new(Arc::new(FixedClock(now))))
}

fn test() -> SubscriptionTest {
    test_at(now())
}

fn started(tier: Tier) -> SubscriptionEvent {
    SubscriptionEvent::Started {
        tier,
        status: SubscriptionStatus::Active,
        ends_at: None,
        at: at("2026-11-01T00:00:00Z"),
    }
}

fn reserved(resource: Resource, key: &str, count: u32, when: DateTime<Utc>) -> SubscriptionEvent {
    SubscriptionEvent::Reserved {
        resource,
        key: key.into(),
        count,
        at: when,
    }
}

/// The aggregate after `events`, to ask what it allows.
fn after(events: Vec<SubscriptionEvent>) -> Subscription {
    let mut subscription = Subscription::default();
    for event in events {
        subscription.apply(event);
    }
    subscription
}

fn payment(id: &str, status: PaymentStatus) -> Payment {
    Payment {
        transaction_id: TransactionId::parse(id).unwrap(),
        amount_minor: 2_900,
        currency: Currency::parse("usd").unwrap(),
        method: PaymentMethod::Stripe,
        status,
        tier: Some(Tier::Pro),
        billing_period_start: Some(at("2026-12-01T00:00:00Z")),
        billing_period_end: Some(at("2027-01-01T00:00:00Z")),
    }
}

#[test]
fn the_tiers_have_seed_000s_limits() {
    let rows = [
        (Tier::Free, [1, 50, 5, 1]),
        (Tier::Pro, [3, 250, 20, 5]),
        (Tier::Business, [10, 1_000, 999_999, 20]),
    ];
    for (tier, expected) in rows {
        let limits = tier.limits();
        let figures = [
            limits.max_sessions,
            limits.max_messages_per_day,
            limits.max_campaigns_per_month,
            limits.max_chatbots,
        ]
        .map(Limit::as_number);
        assert_eq!(figures, expected, "{tier}");
    }
    assert_eq!(
        Tier::Business.limits().max_campaigns_per_month,
        Limit::Unlimited
    );
}

#[test]
fn a_tenant_never_started_is_on_the_free_plan_and_its_first_command_starts_it() {
    let fresh = Subscription::default();
    assert_eq!(fresh.tier(), Tier::Free);
    assert_eq!(fresh.limits_at(now()), Tier::Free.limits());
    test()
        .given_no_previous_events()
        .when(SubscriptionCommand::Reserve(Reservation::one(
            Resource::Sessions,
            "s1",
        )))
        .then_expect_events(vec![
            SubscriptionEvent::Started {
                tier: Tier::Free,
                status: SubscriptionStatus::Active,
                ends_at: None,
                at: now(),
            },
            reserved(Resource::Sessions, "s1", 1, now()),
        ]);
}

#[test]
fn a_free_tenant_gets_one_session_and_the_second_is_refused_with_the_limit() {
    test()
        .given(vec![
            started(Tier::Free),
            reserved(Resource::Sessions, "s1", 1, now()),
        ])
        .when(SubscriptionCommand::Reserve(Reservation::one(
            Resource::Sessions,
            "s2",
        )))
        .then_expect_error(SubscriptionError::LimitReached {
            resource: Resource::Sessions,
            limit: Limit::At(1),
            used: 1,
            resets_at: None,
        });
}

#[test]
fn reserving_the_same_key_twice_holds_it_once() {
    test()
        .given(vec![
            started(Tier::Free),
            reserved(Resource::Sessions, "s1", 1, now()),
        ])
        .when(SubscriptionCommand::Reserve(Reservation::one(
            Resource::Sessions,
            "s1",
        )))
        .then_expect_events(vec![]);
}

#[test]
fn a_deleted_session_gives_its_place_back() {
    let events = vec![
        started(Tier::Free),
        reserved(Resource::Sessions, "s1", 1, now()),
        SubscriptionEvent::Released {
            resource: Resource::Sessions,
            key: "s1".into(),
            count: 1,
            at: now(),
        },
    ];
    assert_eq!(after(events.clone()).used(Resource::Sessions, now()), 0);
    test()
        .given(events)
        .when(SubscriptionCommand::Reserve(Reservation::one(
            Resource::Sessions,
            "s2",
        )))
        .then_expect_events(vec![reserved(Resource::Sessions, "s2", 1, now())]);
}

#[test]
fn the_days_messages_run_out_and_say_when_they_start_again() {
    test()
        .given(vec![
            started(Tier::Free),
            reserved(Resource::Messages, "c1:0", 50, now()),
        ])
        .when(SubscriptionCommand::Reserve(Reservation::one(
            Resource::Messages,
            "m1",
        )))
        .then_expect_error(SubscriptionError::LimitReached {
            resource: Resource::Messages,
            limit: Limit::At(50),
            used: 50,
            resets_at: Some(at("2026-12-03T00:00:00Z")),
        });
}

#[test]
fn yesterdays_messages_do_not_count_today() {
    let yesterday = now() - Duration::days(1);
    let subscription = after(vec![
        started(Tier::Free),
        reserved(Resource::Messages, "c1:0", 50, yesterday),
    ]);
    assert_eq!(subscription.used(Resource::Messages, yesterday), 50);
    assert_eq!(subscription.used(Resource::Messages, now()), 0);
}

#[test]
fn a_chunk_takes_what_is_left_of_the_day_down_to_its_least() {
    let given = vec![
        started(Tier::Free),
        reserved(Resource::Messages, "m", 20, now()),
    ];
    let chunk = |key: &str, least| Reservation {
        resource: Resource::Messages,
        key: key.into(),
        wanted: 50,
        at_least: least,
    };
    test()
        .given(given.clone())
        .when(SubscriptionCommand::Reserve(chunk("c1:0", 1)))
        .then_expect_events(vec![reserved(Resource::Messages, "c1:0", 30, now())]);
    test()
        .given(given)
        .when(SubscriptionCommand::Reserve(chunk("c1:0", 31)))
        .then_expect_error(SubscriptionError::LimitReached {
            resource: Resource::Messages,
            limit: Limit::At(50),
            used: 20,
            resets_at: Some(at("2026-12-03T00:00:00Z")),
        });
}

#[test]
fn unspent_sends_given_back_return_to_the_day() {
    let subscription = after(vec![
        started(Tier::Free),
        reserved(Resource::Messages, "c1:0", 50, now()),
        SubscriptionEvent::Released {
            resource: Resource::Messages,
            key: "c1:0".into(),
            count: 12,
            at: now(),
        },
    ]);
    assert_eq!(subscription.used(Resource::Messages, now()), 38);
    assert_eq!(
        subscription.held_by(Resource::Messages, "c1:0", now()),
        Some(38)
    );
}

#[test]
fn campaigns_count_per_month_and_business_has_no_limit() {
    let mut given = vec![started(Tier::Pro)];
    given.extend((0..20).map(|i| reserved(Resource::Campaigns, &format!("c{i}"), 1, now())));
    test()
        .given(given.clone())
        .when(SubscriptionCommand::Reserve(Reservation::one(
            Resource::Campaigns,
            "c20",
        )))
        .then_expect_error(SubscriptionError::LimitReached {
            resource: Resource::Campaigns,
            limit: Limit::At(20),
            used: 20,
            resets_at: Some(at("2027-01-01T00:00:00Z")),
        });
    given.push(SubscriptionEvent::PlanChanged {
        from: Tier::Pro,
        to: Tier::Business,
        ends_at: None,
        at: now(),
    });
    test()
        .given(given)
        .when(SubscriptionCommand::Reserve(Reservation::one(
            Resource::Campaigns,
            "c20",
        )))
        .then_expect_events(vec![reserved(Resource::Campaigns, "c20", 1, now())]);
}

#[test]
fn an_upgrade_applies_at_once() {
    test()
        .given(vec![
            started(Tier::Free),
            reserved(Resource::Sessions, "s1", 1, now()),
        ])
        .when(SubscriptionCommand::ChangePlan {
            tier: Tier::Pro,
            ends_at: None,
        })
        .then_expect_events(vec![SubscriptionEvent::PlanChanged {
            from: Tier::Free,
            to: Tier::Pro,
            ends_at: None,
            at: now(),
        }]);
}

/// A downgrade deletes nothing: what is held stays held, and nothing more
/// is granted until usage is back under the new limits.
#[test]
fn a_downgrade_keeps_what_is_held_and_grants_nothing_over_the_new_limits() {
    let given = vec![
        started(Tier::Pro),
        reserved(Resource::Sessions, "s1", 1, now()),
        reserved(Resource::Sessions, "s2", 1, now()),
        reserved(Resource::Sessions, "s3", 1, now()),
        SubscriptionEvent::PlanChanged {
            from: Tier::Pro,
            to: Tier::Free,
            ends_at: None,
            at: now(),
        },
    ];
    let subscription = after(given.clone());
    assert_eq!(subscription.used(Resource::Sessions, now()), 3);
    assert_eq!(subscription.limits_at(now()).max_sessions, Limit::At(1));
    test()
        .given(given.clone())
        .when(SubscriptionCommand::Reserve(Reservation::one(
            Resource::Sessions,
            "s4",
        )))
        .then_expect_error(SubscriptionError::LimitReached {
            resource: Resource::Sessions,
            limit: Limit::At(1),
            used: 3,
            resets_at: None,
        });
    // Two deleted: still one held, at the limit.
    let mut freed = given;
    for key in ["s2", "s3"] {
        freed.push(SubscriptionEvent::Released {
            resource: Resource::Sessions,
            key: key.into(),
            count: 1,
            at: now(),
        });
    }
    test()
        .given(freed.clone())
        .when(SubscriptionCommand::Reserve(Reservation::one(
            Resource::Sessions,
            "s4",
        )))
        .then_expect_error(SubscriptionError::LimitReached {
            resource: Resource::Sessions,
            limit: Limit::At(1),
            used: 1,
            resets_at: None,
        });
}

#[test]
fn a_plan_past_its_end_date_is_expired_and_has_the_free_limits() {
    let given = vec![
        started(Tier::Free),
        SubscriptionEvent::PlanChanged {
            from: Tier::Free,
            to: Tier::Business,
            ends_at: Some(at("2026-12-10T00:00:00Z")),
            at: now(),
        },
    ];
    let subscription = after(given.clone());
    let later = at("2026-12-10T00:00:00Z");
    assert_eq!(subscription.status_at(now()), SubscriptionStatus::Active);
    assert_eq!(subscription.limits_at(now()), Tier::Business.limits());
    assert_eq!(subscription.status_at(later), SubscriptionStatus::Expired);
    assert_eq!(subscription.limits_at(later), Tier::Free.limits());

    test()
        .given(given.clone())
        .when(SubscriptionCommand::Expire)
        .then_expect_error(SubscriptionError::NotAllowed(
            "the subscription runs until 2026-12-10T00:00:00+00:00".into(),
        ));
    test_at(later)
        .given(given)
        .when(SubscriptionCommand::Expire)
        .then_expect_events(vec![SubscriptionEvent::Expired { at: later }]);
}

#[test]
fn a_cancelled_plan_runs_to_its_end_date() {
    let given = vec![
        started(Tier::Free),
        SubscriptionEvent::PlanChanged {
            from: Tier::Free,
            to: Tier::Pro,
            ends_at: Some(at("2026-12-10T00:00:00Z")),
            at: now(),
        },
        SubscriptionEvent::Cancelled { at: now() },
    ];
    let subscription = after(given.clone());
    assert_eq!(subscription.status_at(now()), SubscriptionStatus::Cancelled);
    assert_eq!(subscription.limits_at(now()), Tier::Pro.limits());
    assert_eq!(
        subscription.limits_at(at("2026-12-10T00:00:01Z")),
        Tier::Free.limits()
    );
    test()
        .given(given)
        .when(SubscriptionCommand::Cancel)
        .then_expect_events(vec![]);
}

#[test]
fn custom_limits_replace_the_tiers_while_in_force() {
    let custom = Limits {
        max_sessions: Limit::At(100),
        max_messages_per_day: Limit::Unlimited,
        max_campaigns_per_month: Limit::Unlimited,
        max_chatbots: Limit::At(50),
    };
    let subscription = after(vec![
        started(Tier::Business),
        SubscriptionEvent::CustomLimitsSet {
            limits: Some(custom),
            at: now(),
        },
    ]);
    assert_eq!(subscription.limits_at(now()), custom);
}

#[test]
fn a_completed_payment_for_a_tier_puts_the_subscription_on_it_for_its_period() {
    test()
        .given(vec![started(Tier::Free)])
        .when(SubscriptionCommand::RecordPayment(payment(
            "pi_1",
            PaymentStatus::Completed,
        )))
        .then_expect_events(vec![
            SubscriptionEvent::PaymentRecorded {
                payment: payment("pi_1", PaymentStatus::Completed),
                at: now(),
            },
            SubscriptionEvent::PlanChanged {
                from: Tier::Free,
                to: Tier::Pro,
                ends_at: Some(at("2027-01-01T00:00:00Z")),
                at: now(),
            },
        ]);
}

#[test]
fn the_same_payment_reported_twice_is_one_payment() {
    let recorded = SubscriptionEvent::PaymentRecorded {
        payment: payment("pi_1", PaymentStatus::Pending),
        at: now(),
    };
    test()
        .given(vec![started(Tier::Free), recorded.clone()])
        .when(SubscriptionCommand::RecordPayment(payment(
            "pi_1",
            PaymentStatus::Pending,
        )))
        .then_expect_events(vec![]);
    // Its settlement is a change of status, not a second payment.
    test()
        .given(vec![started(Tier::Free), recorded.clone()])
        .when(SubscriptionCommand::RecordPayment(payment(
            "pi_1",
            PaymentStatus::Completed,
        )))
        .then_expect_events(vec![
            SubscriptionEvent::PaymentStatusChanged {
                transaction_id: TransactionId::parse("pi_1").unwrap(),
                status: PaymentStatus::Completed,
                at: now(),
            },
            SubscriptionEvent::PlanChanged {
                from: Tier::Free,
                to: Tier::Pro,
                ends_at: Some(at("2027-01-01T00:00:00Z")),
                at: now(),
            },
        ]);
    // The same id with another amount is refused, not recorded.
    let mut other = payment("pi_1", PaymentStatus::Pending);
    other.amount_minor = 1;
    test()
        .given(vec![started(Tier::Free), recorded])
        .when(SubscriptionCommand::RecordPayment(other))
        .then_expect_error(SubscriptionError::PaymentMismatch(
            TransactionId::parse("pi_1").unwrap(),
        ));
}

#[test]
fn a_refunded_payment_cannot_become_completed_again() {
    test()
        .given(vec![
            started(Tier::Free),
            SubscriptionEvent::PaymentRecorded {
                payment: payment("pi_1", PaymentStatus::Refunded),
                at: now(),
            },
        ])
        .when(SubscriptionCommand::RecordPayment(payment(
            "pi_1",
            PaymentStatus::Completed,
        )))
        .then_expect_error(SubscriptionError::NotAllowed(
            "a refunded payment cannot become completed".into(),
        ));
}

/// What a chatbot's creation will hold: chatbots count while they exist,
/// like sessions, five on pro.
#[test]
fn chatbots_count_while_they_exist_five_on_pro() {
    let five: Vec<SubscriptionEvent> = std::iter::once(started(Tier::Pro))
        .chain((1..=5).map(|n| reserved(Resource::Chatbots, &format!("bot{n}"), 1, now())))
        .collect();
    test()
        .given(five)
        .when(SubscriptionCommand::Reserve(Reservation::one(
            Resource::Chatbots,
            "bot6",
        )))
        .then_expect_error(SubscriptionError::LimitReached {
            resource: Resource::Chatbots,
            limit: Limit::At(5),
            used: 5,
            resets_at: None,
        });
}
