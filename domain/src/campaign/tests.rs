//! Given / when / then tests of the Campaign aggregate's rules.

use chrono::{DateTime, Utc};
use cqrs_es::test::TestFramework;
use std::sync::Arc;

use super::*;
use crate::clock::FixedClock;
use crate::ids::SessionId;
use crate::phone::PhoneNumber;
use crate::value::FieldError;

type CampaignTest = TestFramework<Campaign>;

const NOW: &str = "2026-11-21T12:00:00Z";

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn test() -> CampaignTest {
    CampaignTest::with(CampaignServices::new(Arc::new(FixedClock(at(NOW)))))
}

fn recipient(number: &str) -> Recipient {
    Recipient::new(PhoneNumber::parse(number).unwrap())
}

fn named(number: &str, name: &str) -> Recipient {
    Recipient {
        name: Some(name.to_owned()),
        ..recipient(number)
    }
}

fn definition() -> CampaignDefinition {
    CampaignDefinition {
        name: CampaignName::parse("Winter sale").unwrap(),
        description: Description::default(),
        session_id: SessionId::parse("main-number").unwrap(),
        message: CampaignMessage::Text {
            body: "Hi {{name|there}}, 20% off today".into(),
        },
        delay: Some(Delay::default()),
        personalize: true,
    }
}

fn new_campaign(recipients: Vec<Recipient>) -> NewCampaign {
    NewCampaign {
        definition: definition(),
        schedule: Schedule::Immediate,
        recipients,
    }
}

fn created_with(recipients: Vec<Recipient>) -> CampaignEvent {
    CampaignEvent::Created {
        definition: definition(),
        schedule: Schedule::Immediate,
        recipients,
    }
}

/// Run `run` of [`created`]'s two recipients.
fn started(run: u32) -> CampaignEvent {
    CampaignEvent::Started {
        run,
        recipients: Some(2),
    }
}

fn created() -> CampaignEvent {
    created_with(vec![recipient("+14155550100"), recipient("+14155550101")])
}

fn one_off(start: &str) -> Schedule {
    Schedule::Scheduled {
        start_time: at(start),
        timezone: Timezone::UTC,
    }
}

fn weekly(start: &str) -> Schedule {
    Schedule::Recurring {
        start_time: at(start),
        recurrence: Recurrence::Weekly,
        timezone: Timezone::UTC,
    }
}

fn scheduled_at(start: &str) -> CampaignEvent {
    CampaignEvent::Scheduled {
        schedule: one_off(start),
        next_run_at: at(start),
    }
}

fn not_allowed(message: &str) -> CampaignError {
    CampaignError::NotAllowed(message.to_owned())
}

fn invalid(field: &str, message: &str) -> CampaignError {
    CampaignError::Invalid(FieldError::new(field, message))
}

fn field_of(error: CampaignError) -> String {
    match error {
        CampaignError::Invalid(e) => e.field,
        other => panic!("expected a field error, got {other:?}"),
    }
}

fn refusal_of(events: Vec<CampaignEvent>, command: CampaignCommand) -> CampaignError {
    test()
        .given(events)
        .when(command)
        .inspect_result()
        .unwrap_err()
}

// Create

#[test]
fn create_records_a_draft_with_its_definition_and_recipients() {
    let recipients = vec![recipient("+14155550100"), recipient("+14155550101")];
    test()
        .given_no_previous_events()
        .when(CampaignCommand::Create(new_campaign(recipients)))
        .then_expect_events(vec![created()]);
}

#[test]
fn create_sends_to_a_repeated_number_once() {
    let recipients = vec![recipient("+14155550100"), recipient("+1 415 555 0100")];
    test()
        .given_no_previous_events()
        .when(CampaignCommand::Create(new_campaign(recipients)))
        .then_expect_events(vec![created_with(vec![recipient("+14155550100")])]);
}

#[test]
fn create_fails_when_the_campaign_exists() {
    test()
        .given(vec![created()])
        .when(CampaignCommand::Create(new_campaign(vec![])))
        .then_expect_error(CampaignError::AlreadyExists);
}

#[test]
fn create_refuses_more_than_5000_recipients_in_one_request() {
    let many = (0..5_001)
        .map(|i| recipient(&format!("+1415{i:07}")))
        .collect();
    let error = refusal_of(vec![], CampaignCommand::Create(new_campaign(many)));
    assert_eq!(field_of(error), "recipients");
}

#[test]
fn a_created_campaign_is_a_draft() {
    let mut campaign = Campaign::default();
    cqrs_es::Aggregate::apply(&mut campaign, created());
    assert_eq!(campaign.status(), Some(CampaignStatus::Draft));
    assert_eq!(campaign.recipients().len(), 2);
}

// Commands on a campaign that does not exist

#[test]
fn every_command_but_create_fails_on_an_unknown_campaign() {
    for command in [
        CampaignCommand::Start,
        CampaignCommand::Stop,
        CampaignCommand::Edit(CampaignEdit::default()),
    ] {
        test()
            .given_no_previous_events()
            .when(command)
            .then_expect_error(CampaignError::NotFound);
    }
}

// Edit

fn renamed(name: &str) -> CampaignEdit {
    CampaignEdit {
        name: Some(CampaignName::parse(name).unwrap()),
        ..Default::default()
    }
}

#[test]
fn edit_records_only_the_fields_that_change() {
    let edit = CampaignEdit {
        delay: Some(Some(Delay::from_millis(5_000).unwrap())),
        ..renamed("Winter sale")
    };
    test()
        .given(vec![created()])
        .when(CampaignCommand::Edit(edit))
        .then_expect_events(vec![CampaignEvent::Edited(DefinitionChanges {
            delay: Some(Some(Delay::from_millis(5_000).unwrap())),
            ..Default::default()
        })]);
}

#[test]
fn edit_with_the_current_values_records_nothing() {
    test()
        .given(vec![created()])
        .when(CampaignCommand::Edit(renamed("Winter sale")))
        .then_expect_events(vec![]);
}

#[test]
fn edit_merges_a_new_caption_with_the_current_media() {
    let url = MediaUrl::parse("https://cdn.example.com/sale.jpg").unwrap();
    let image = CampaignMessage::Image {
        url: url.clone(),
        caption: None,
    };
    let caption = CampaignEdit {
        message: MessageFields {
            content: Some("Now 30%".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    test()
        .given(vec![
            created(),
            CampaignEvent::Edited(DefinitionChanges {
                message: Some(image),
                ..Default::default()
            }),
        ])
        .when(CampaignCommand::Edit(caption))
        .then_expect_events(vec![CampaignEvent::Edited(DefinitionChanges {
            message: Some(CampaignMessage::Image {
                url,
                caption: Some("Now 30%".into()),
            }),
            ..Default::default()
        })]);
}

#[test]
fn edit_replaces_the_recipients() {
    let edit = CampaignEdit {
        recipients: Some(vec![recipient("+14155550199")]),
        ..Default::default()
    };
    test()
        .given(vec![created()])
        .when(CampaignCommand::Edit(edit))
        .then_expect_events(vec![CampaignEvent::RecipientsReplaced {
            recipients: vec![recipient("+14155550199")],
        }]);
}

#[test]
fn edit_fails_when_the_campaign_is_running() {
    test()
        .given(vec![created(), started(1)])
        .when(CampaignCommand::Edit(renamed("Other")))
        .then_expect_error(not_allowed(
            "cannot edit a campaign that is running: pause it first",
        ));
}

#[test]
fn edit_of_a_paused_campaign_may_change_its_name_and_message() {
    test()
        .given(vec![created(), started(1), CampaignEvent::Paused])
        .when(CampaignCommand::Edit(renamed("Fixed typo")))
        .then_expect_events(vec![CampaignEvent::Edited(DefinitionChanges {
            name: Some(CampaignName::parse("Fixed typo").unwrap()),
            ..Default::default()
        })]);
}

#[test]
fn edit_of_a_paused_campaign_cannot_change_its_recipients() {
    let edit = CampaignEdit {
        recipients: Some(vec![recipient("+14155550199")]),
        ..Default::default()
    };
    test()
        .given(vec![created(), started(1), CampaignEvent::Paused])
        .when(CampaignCommand::Edit(edit))
        .then_expect_error(not_allowed(
            "cannot change recipients of a paused campaign: it has already sent to part of its audience",
        ));
}

#[test]
fn edit_of_a_scheduled_campaign_reschedules_it_when_the_schedule_changes() {
    let edit = CampaignEdit {
        schedule: Some(one_off("2026-12-24T09:00:00Z")),
        ..Default::default()
    };
    test()
        .given(vec![created(), scheduled_at("2026-12-01T09:00:00Z")])
        .when(CampaignCommand::Edit(edit))
        .then_expect_events(vec![scheduled_at("2026-12-24T09:00:00Z")]);
}

#[test]
fn edit_of_a_scheduled_campaign_cannot_leave_it_without_recipients() {
    let edit = CampaignEdit {
        recipients: Some(vec![]),
        ..Default::default()
    };
    let error = refusal_of(
        vec![created(), scheduled_at("2026-12-01T09:00:00Z")],
        CampaignCommand::Edit(edit),
    );
    assert_eq!(field_of(error), "recipients");
}

#[test]
fn edit_of_a_draft_records_a_new_schedule_without_scheduling() {
    let edit = CampaignEdit {
        schedule: Some(one_off("2026-12-24T09:00:00Z")),
        ..Default::default()
    };
    test()
        .given(vec![created()])
        .when(CampaignCommand::Edit(edit))
        .then_expect_events(vec![CampaignEvent::Edited(DefinitionChanges {
            schedule: Some(one_off("2026-12-24T09:00:00Z")),
            ..Default::default()
        })]);
}

// Add recipients

#[test]
fn add_recipients_records_only_numbers_the_campaign_lacks() {
    let more = vec![recipient("+14155550101"), recipient("+14155550102")];
    test()
        .given(vec![created()])
        .when(CampaignCommand::AddRecipients(more))
        .then_expect_events(vec![CampaignEvent::RecipientsAdded {
            recipients: vec![recipient("+14155550102")],
        }]);
}

#[test]
fn add_recipients_with_only_known_numbers_records_nothing() {
    test()
        .given(vec![created()])
        .when(CampaignCommand::AddRecipients(vec![recipient(
            "+14155550100",
        )]))
        .then_expect_events(vec![]);
}

#[test]
fn add_recipients_refuses_to_pass_100000_recipients() {
    let batch = |from: usize| -> Vec<Recipient> {
        (from..from + 5_000)
            .map(|i| recipient(&format!("+1415{i:07}")))
            .collect()
    };
    let mut history = vec![created_with(vec![])];
    history.extend((0..20).map(|b| CampaignEvent::RecipientsAdded {
        recipients: batch(b * 5_000),
    }));
    let error = refusal_of(history, CampaignCommand::AddRecipients(batch(100_000)));
    assert_eq!(field_of(error), "recipients");
}

#[test]
fn add_recipients_fails_when_the_campaign_is_running() {
    test()
        .given(vec![created(), started(1)])
        .when(CampaignCommand::AddRecipients(vec![recipient(
            "+14155550102",
        )]))
        .then_expect_error(not_allowed(
            "cannot add recipients to a campaign that is running: pause it first",
        ));
}

// Schedule

#[test]
fn schedule_with_a_future_start_makes_the_campaign_scheduled() {
    test()
        .given(vec![created()])
        .when(CampaignCommand::Schedule(Some(one_off(
            "2026-12-01T09:00:00Z",
        ))))
        .then_expect_events(vec![scheduled_at("2026-12-01T09:00:00Z")]);
}

#[test]
fn schedule_uses_the_campaigns_own_schedule_when_none_is_given() {
    let with_schedule = CampaignEvent::Edited(DefinitionChanges {
        schedule: Some(one_off("2026-12-01T09:00:00Z")),
        ..Default::default()
    });
    test()
        .given(vec![created(), with_schedule])
        .when(CampaignCommand::Schedule(None))
        .then_expect_events(vec![scheduled_at("2026-12-01T09:00:00Z")]);
}

#[test]
fn schedule_fails_for_a_start_time_that_has_passed() {
    let error = refusal_of(
        vec![created()],
        CampaignCommand::Schedule(Some(one_off("2026-11-20T09:00:00Z"))),
    );
    assert_eq!(field_of(error), "schedule.startTime");
}

#[test]
fn schedule_fails_for_an_immediate_campaign() {
    let error = refusal_of(vec![created()], CampaignCommand::Schedule(None));
    assert_eq!(field_of(error), "schedule");
}

#[test]
fn schedule_fails_when_the_campaign_has_no_recipients() {
    test()
        .given(vec![created_with(vec![])])
        .when(CampaignCommand::Schedule(Some(one_off(
            "2026-12-01T09:00:00Z",
        ))))
        .then_expect_error(invalid(
            "recipients",
            "the campaign has no recipients: add some before scheduling or starting it",
        ));
}

#[test]
fn schedule_of_a_recurring_campaign_that_began_earlier_waits_for_the_next_run() {
    test()
        .given(vec![created()])
        .when(CampaignCommand::Schedule(Some(weekly(
            "2026-11-02T09:00:00Z",
        ))))
        .then_expect_events(vec![CampaignEvent::Scheduled {
            schedule: weekly("2026-11-02T09:00:00Z"),
            next_run_at: at("2026-11-23T09:00:00Z"),
        }]);
}

#[test]
fn rescheduling_with_the_same_schedule_records_nothing() {
    test()
        .given(vec![created(), scheduled_at("2026-12-01T09:00:00Z")])
        .when(CampaignCommand::Schedule(Some(one_off(
            "2026-12-01T09:00:00Z",
        ))))
        .then_expect_events(vec![]);
}

#[test]
fn schedule_fails_when_the_campaign_is_running() {
    test()
        .given(vec![created(), started(1)])
        .when(CampaignCommand::Schedule(Some(one_off(
            "2026-12-01T09:00:00Z",
        ))))
        .then_expect_error(not_allowed("cannot schedule a campaign that is running"));
}

// Start

#[test]
fn start_of_a_draft_begins_its_first_run() {
    test()
        .given(vec![created()])
        .when(CampaignCommand::Start)
        .then_expect_events(vec![started(1)]);
}

#[test]
fn start_of_a_scheduled_campaign_begins_it_now() {
    test()
        .given(vec![created(), scheduled_at("2026-12-01T09:00:00Z")])
        .when(CampaignCommand::Start)
        .then_expect_events(vec![started(1)]);
}

#[test]
fn start_fails_when_campaign_has_no_recipients() {
    test()
        .given(vec![created_with(vec![])])
        .when(CampaignCommand::Start)
        .then_expect_error(invalid(
            "recipients",
            "the campaign has no recipients: add some before scheduling or starting it",
        ));
}

#[test]
fn start_fails_when_a_placeholder_has_no_value_for_a_recipient() {
    let needs_city = CampaignEvent::Edited(DefinitionChanges {
        message: Some(CampaignMessage::Text {
            body: "Hi {{name}} from {{city}}".into(),
        }),
        ..Default::default()
    });
    let error = refusal_of(
        vec![created_with(vec![named("+14155550100", "Ann")]), needs_city],
        CampaignCommand::Start,
    );
    match error {
        CampaignError::Invalid(e) => {
            assert_eq!(e.field, "recipients[0]");
            assert!(e.message.contains("{{city}}"), "{}", e.message);
        }
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[test]
fn start_ignores_placeholders_when_the_campaign_is_not_personalised() {
    let plain = CampaignEvent::Edited(DefinitionChanges {
        message: Some(CampaignMessage::Text {
            body: "Hi {{city}}".into(),
        }),
        personalize: Some(false),
        ..Default::default()
    });
    test()
        .given(vec![created(), plain])
        .when(CampaignCommand::Start)
        .then_expect_events(vec![started(1)]);
}

#[test]
fn start_fails_when_the_campaign_is_already_running() {
    test()
        .given(vec![created(), started(1)])
        .when(CampaignCommand::Start)
        .then_expect_error(not_allowed("cannot start a campaign that is running"));
}

#[test]
fn start_fails_when_the_campaign_is_paused() {
    test()
        .given(vec![created(), started(1), CampaignEvent::Paused])
        .when(CampaignCommand::Start)
        .then_expect_error(not_allowed(
            "cannot start a campaign that is paused: resume it instead",
        ));
}

#[test]
fn start_fails_when_the_campaign_is_stopped() {
    test()
        .given(vec![created(), CampaignEvent::Stopped])
        .when(CampaignCommand::Start)
        .then_expect_error(not_allowed(
            "cannot start a campaign that is stopped: stopping a campaign is final",
        ));
}

// Pause and resume

#[test]
fn pause_of_a_running_campaign_pauses_it() {
    test()
        .given(vec![created(), started(1)])
        .when(CampaignCommand::Pause)
        .then_expect_events(vec![CampaignEvent::Paused]);
}

#[test]
fn pause_fails_when_the_campaign_is_not_running() {
    for history in [
        vec![created()],
        vec![created(), started(1), CampaignEvent::Paused],
    ] {
        let error = refusal_of(history, CampaignCommand::Pause);
        assert!(matches!(error, CampaignError::NotAllowed(_)), "{error:?}");
    }
}

#[test]
fn resume_of_a_paused_campaign_runs_it_again() {
    test()
        .given(vec![created(), started(1), CampaignEvent::Paused])
        .when(CampaignCommand::Resume)
        .then_expect_events(vec![CampaignEvent::Resumed]);
}

#[test]
fn resume_fails_when_the_campaign_is_running() {
    test()
        .given(vec![created(), started(1)])
        .when(CampaignCommand::Resume)
        .then_expect_error(not_allowed("cannot resume a campaign that is running"));
}

// Stop

#[test]
fn stop_is_allowed_from_every_status_that_has_not_ended() {
    let histories = [
        vec![created()],
        vec![created(), scheduled_at("2026-12-01T09:00:00Z")],
        vec![created(), started(1)],
        vec![created(), started(1), CampaignEvent::Paused],
    ];
    for history in histories {
        let run = u32::from(
            history
                .iter()
                .any(|e| matches!(e, CampaignEvent::Started { .. })),
        );
        test()
            .given(history)
            .when(CampaignCommand::Stop)
            .then_expect_events(vec![
                CampaignEvent::Stopped,
                CampaignEvent::RecipientsNotSent {
                    run,
                    from: 0,
                    count: 2,
                    reason: "the campaign was stopped before sending to them".into(),
                },
            ]);
    }
}

#[test]
fn stop_is_final() {
    let commands = [
        CampaignCommand::Stop,
        CampaignCommand::Start,
        CampaignCommand::Resume,
        CampaignCommand::Schedule(Some(one_off("2026-12-01T09:00:00Z"))),
        CampaignCommand::Edit(renamed("Again")),
        CampaignCommand::AddRecipients(vec![recipient("+14155550102")]),
    ];
    for command in commands {
        let error = refusal_of(vec![created(), CampaignEvent::Stopped], command);
        assert!(
            error.to_string().ends_with("stopping a campaign is final"),
            "{error}"
        );
    }
}

// Complete and fail

/// Both recipients of run `run` taken and queued.
fn all_sent(run: u32) -> Vec<CampaignEvent> {
    vec![
        CampaignEvent::BatchReserved {
            run,
            from: 0,
            to: 2,
        },
        CampaignEvent::BatchQueued { run, to: 2 },
    ]
}

#[test]
fn complete_of_a_one_off_run_completes_the_campaign() {
    let mut history = vec![created(), started(1)];
    history.extend(all_sent(1));
    test()
        .given(history)
        .when(CampaignCommand::Complete)
        .then_expect_events(vec![CampaignEvent::Completed]);
}

#[test]
fn complete_fails_while_recipients_remain_to_be_taken() {
    test()
        .given(vec![
            created(),
            started(1),
            CampaignEvent::BatchReserved {
                run: 1,
                from: 0,
                to: 1,
            },
        ])
        .when(CampaignCommand::Complete)
        .then_expect_error(not_allowed(
            "1 of the run's recipients have not been sent to yet",
        ));
}

// The sender's batches

#[test]
fn a_batch_takes_recipients_from_where_the_last_one_ended() {
    test()
        .given(vec![
            created(),
            started(1),
            CampaignEvent::BatchReserved {
                run: 1,
                from: 0,
                to: 1,
            },
        ])
        .when(CampaignCommand::ReserveBatch {
            run: 1,
            from: 1,
            size: 40,
        })
        .then_expect_events(vec![CampaignEvent::BatchReserved {
            run: 1,
            from: 1,
            to: 2,
        }]);
}

#[test]
fn a_batch_already_taken_by_another_sender_takes_nothing() {
    test()
        .given(vec![
            created(),
            started(1),
            CampaignEvent::BatchReserved {
                run: 1,
                from: 0,
                to: 1,
            },
        ])
        .when(CampaignCommand::ReserveBatch {
            run: 1,
            from: 0,
            size: 40,
        })
        .then_expect_events(vec![]);
}

#[test]
fn no_batch_is_taken_while_paused_or_for_another_run() {
    let paused = vec![created(), started(1), CampaignEvent::Paused];
    let error = refusal_of(
        paused,
        CampaignCommand::ReserveBatch {
            run: 1,
            from: 0,
            size: 1,
        },
    );
    assert!(error.to_string().contains("paused"), "{error}");
    let error = refusal_of(
        vec![created(), started(1)],
        CampaignCommand::ReserveBatch {
            run: 2,
            from: 0,
            size: 1,
        },
    );
    assert!(error.to_string().contains("run 2"), "{error}");
}

#[test]
fn stopping_mid_run_leaves_the_untaken_recipients_not_sent() {
    test()
        .given(vec![
            created(),
            started(1),
            CampaignEvent::BatchReserved {
                run: 1,
                from: 0,
                to: 1,
            },
        ])
        .when(CampaignCommand::Stop)
        .then_expect_events(vec![
            CampaignEvent::Stopped,
            CampaignEvent::RecipientsNotSent {
                run: 1,
                from: 1,
                count: 1,
                reason: "the campaign was stopped before sending to them".into(),
            },
        ]);
}

#[test]
fn an_automatic_pause_says_why() {
    test()
        .given(vec![created(), started(1)])
        .when(CampaignCommand::PauseFor {
            reason: "the session was disconnected".into(),
        })
        .then_expect_events(vec![CampaignEvent::PausedAutomatically {
            reason: "the session was disconnected".into(),
        }]);
}

#[test]
fn complete_of_a_recurring_run_waits_for_the_next_run() {
    let recurring = CampaignEvent::Scheduled {
        schedule: weekly("2026-11-16T09:00:00Z"),
        next_run_at: at("2026-11-16T09:00:00Z"),
    };
    test()
        .given([vec![created(), recurring, started(1)], all_sent(1)].concat())
        .when(CampaignCommand::Complete)
        .then_expect_events(vec![CampaignEvent::RunCompleted {
            next_run_at: at("2026-11-23T09:00:00Z"),
        }]);
}

#[test]
fn a_completed_recurring_run_leaves_the_campaign_scheduled_for_its_second_run() {
    let mut campaign = Campaign::default();
    for event in [
        created(),
        started(1),
        CampaignEvent::RunCompleted {
            next_run_at: at("2026-11-23T09:00:00Z"),
        },
    ] {
        cqrs_es::Aggregate::apply(&mut campaign, event);
    }
    assert_eq!(campaign.status(), Some(CampaignStatus::Scheduled));
    assert_eq!(campaign.runs(), 1);
}

#[test]
fn complete_fails_when_the_campaign_is_not_running() {
    test()
        .given(vec![created()])
        .when(CampaignCommand::Complete)
        .then_expect_error(not_allowed("cannot complete a campaign that is draft"));
}

#[test]
fn fail_records_the_reason() {
    test()
        .given(vec![created(), started(1)])
        .when(CampaignCommand::Fail {
            reason: " session disconnected ".into(),
        })
        .then_expect_events(vec![CampaignEvent::Failed {
            reason: "session disconnected".into(),
        }]);
}

#[test]
fn fail_needs_a_reason() {
    let error = refusal_of(
        vec![created(), started(1)],
        CampaignCommand::Fail { reason: " ".into() },
    );
    assert_eq!(field_of(error), "reason");
}

#[test]
fn a_completed_campaign_cannot_fail() {
    test()
        .given(vec![created(), started(1), CampaignEvent::Completed])
        .when(CampaignCommand::Fail {
            reason: "late".into(),
        })
        .then_expect_error(not_allowed(
            "cannot fail a campaign that is completed: it has ended",
        ));
}

// Events stay readable

#[test]
fn events_read_back_as_they_were_written() {
    let events = vec![created(), scheduled_at("2026-12-01T09:00:00Z"), started(1)];
    let json = serde_json::to_string(&events).unwrap();
    let back: Vec<CampaignEvent> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, events);
}

// The scheduler's runs

#[test]
fn a_due_run_starts_once() {
    let history = vec![created(), scheduled_at("2026-11-21T11:00:00Z")];
    test()
        .given(history.clone())
        .when(CampaignCommand::StartDueRun {
            due: at("2026-11-21T11:00:00Z"),
        })
        .then_expect_events(vec![started(1)]);
    // A second node with the same due run finds it started.
    test()
        .given([history, vec![started(1)]].concat())
        .when(CampaignCommand::StartDueRun {
            due: at("2026-11-21T11:00:00Z"),
        })
        .then_expect_events(vec![]);
}

#[test]
fn a_run_is_not_started_before_it_is_due_or_once_rescheduled() {
    test()
        .given(vec![created(), scheduled_at("2026-11-21T13:00:00Z")])
        .when(CampaignCommand::StartDueRun {
            due: at("2026-11-21T13:00:00Z"),
        })
        .then_expect_error(not_allowed(
            "the run is due at 2026-11-21T13:00:00+00:00, not yet",
        ));
    test()
        .given(vec![
            created(),
            scheduled_at("2026-11-21T11:00:00Z"),
            scheduled_at("2026-11-21T11:30:00Z"),
        ])
        .when(CampaignCommand::StartDueRun {
            due: at("2026-11-21T11:00:00Z"),
        })
        .then_expect_events(vec![]);
}

#[test]
fn runs_missed_while_down_give_one_catch_up_run_then_the_next_period() {
    // Weekly from 2026-10-31 09:00; Herald was down until now (11-21 12:00),
    // three periods later. The run due first starts now, once.
    let recurring = CampaignEvent::Scheduled {
        schedule: weekly("2026-10-31T09:00:00Z"),
        next_run_at: at("2026-10-31T09:00:00Z"),
    };
    let history = vec![created(), recurring];
    test()
        .given(history.clone())
        .when(CampaignCommand::StartDueRun {
            due: at("2026-10-31T09:00:00Z"),
        })
        .then_expect_events(vec![started(1)]);
    // Its next run is the next period after now, not one per missed week.
    test()
        .given([history, vec![started(1)], all_sent(1)].concat())
        .when(CampaignCommand::Complete)
        .then_expect_events(vec![CampaignEvent::RunCompleted {
            next_run_at: at("2026-11-28T09:00:00Z"),
        }]);
}

#[test]
fn unknown_recipients_are_sent_again_only_by_a_campaign_that_has_sent_and_may_still() {
    let requested = vec![CampaignEvent::ResendUnknownRequested { run: 2 }];
    for given in [
        vec![created(), started(1), started(2)],
        vec![created(), started(2), CampaignEvent::Paused],
        vec![created(), started(2), CampaignEvent::Completed],
    ] {
        test()
            .given(given)
            .when(CampaignCommand::ResendUnknown)
            .then_expect_events(requested.clone());
    }
    assert_eq!(
        refusal_of(vec![created()], CampaignCommand::ResendUnknown),
        not_allowed("the campaign has not sent anything yet")
    );
    assert_eq!(
        refusal_of(
            vec![created(), started(1), CampaignEvent::Stopped],
            CampaignCommand::ResendUnknown
        ),
        not_allowed("the campaign is stopped: it sends nothing more")
    );
}
