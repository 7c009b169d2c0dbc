//! Properties of campaign schedules over generated input: whatever a client
//! writes as `startTime`, `timezone` and `recurrence`, reading it and
//! working out its runs never panics, and what is accepted behaves.

use chrono::{DateTime, Datelike, NaiveDateTime, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use herald_domain::campaign::{Schedule, ScheduleFields};
use proptest::prelude::*;

/// Zones at the edges: the furthest ahead and behind of UTC, half- and
/// quarter-hour offsets, a 30-minute clock change, and zones with DST.
const ZONES: [&str; 9] = [
    "UTC",
    "America/New_York",
    "Pacific/Kiritimati",
    "Etc/GMT+12",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "Europe/Paris",
    "America/St_Johns",
];

/// Years from far outside what chrono holds to ordinary ones, written as
/// a client could: with a sign, with more than four digits.
fn year() -> impl Strategy<Value = String> {
    prop_oneof![
        (1i64..=9999).prop_map(|y| format!("{y:04}")),
        (-400_000i64..=400_000).prop_map(|y| format!("{y:+}")),
        Just("+262142".to_owned()),
        Just("-262143".to_owned()),
        Just("9999".to_owned()),
        Just("0000".to_owned()),
    ]
}

/// Offsets as RFC 3339 writes them, or none (a wall-clock time in the zone).
fn offset() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("Z".to_owned()),
        (-23i32..=23, 0u32..60).prop_map(|(h, m)| format!("{h:+03}:{m:02}")),
    ]
}

fn start_time() -> impl Strategy<Value = String> {
    (
        year(),
        0u32..=13,
        0u32..=32,
        0u32..=24,
        0u32..=60,
        prop::option::of(0u32..=60),
        offset(),
    )
        .prop_map(|(y, mo, d, h, mi, s, offset)| match s {
            Some(s) => format!("{y}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{offset}"),
            None => format!("{y}-{mo:02}-{d:02}T{h:02}:{mi:02}{offset}"),
        })
}

fn recurrence() -> impl Strategy<Value = Option<&'static str>> {
    prop::sample::select(vec![None, Some("daily"), Some("weekly"), Some("monthly")])
}

/// Any instant chrono holds, as "now" for working out the next run.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    let (min, max) = (
        DateTime::<Utc>::MIN_UTC.timestamp(),
        DateTime::<Utc>::MAX_UTC.timestamp(),
    );
    prop_oneof![
        (min..=max).prop_map(|s| Utc.timestamp_opt(s, 0).single().unwrap()),
        (0i64..=253_402_300_799).prop_map(|s| Utc.timestamp_opt(s, 0).single().unwrap()),
    ]
}

fn parse(start: &str, zone: &str, recurrence: Option<&str>) -> Result<Schedule, String> {
    Schedule::parse(ScheduleFields {
        kind: if recurrence.is_some() {
            "recurring"
        } else {
            "scheduled"
        },
        start_time: Some(start),
        recurrence,
        timezone: Some(zone),
    })
    .map_err(|e| {
        assert_eq!(e.field, "schedule.startTime", "{e:?}");
        e.message
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 4_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_start_time_is_read_or_refused_on_its_field_and_runs_never_panic(
        start in start_time(),
        zone in prop::sample::select(ZONES.to_vec()),
        recurrence in recurrence(),
        now in instant(),
    ) {
        let Ok(schedule) = parse(&start, zone, recurrence) else { return Ok(()) };
        let first = schedule.start_time().expect("a timed schedule has a start");
        prop_assert!((1..=9999).contains(&first.year()), "{start} gave {first}");
        if let Some(next) = schedule.next_run_at_or_after(now) {
            prop_assert!(next >= now);
        }
        if let Some(after) = schedule.run_after(first) {
            prop_assert!(after > first, "{start}: {after} is not after {first}");
        }
    }

    #[test]
    fn a_wall_clock_start_lands_at_that_time_or_just_after_a_gap(
        start in start_time(),
        zone in prop::sample::select(ZONES.to_vec()),
    ) {
        let Some(local) = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(&start, f).ok()) else { return Ok(()) };
        let Ok(schedule) = parse(&start, zone, None) else { return Ok(()) };
        let tz: Tz = zone.parse().unwrap();
        let landed = schedule.start_time().unwrap().with_timezone(&tz).naive_local();
        // A leap second (`:60`) is read as the second before it.
        let local = local.with_nanosecond(0).unwrap();
        prop_assert!(landed >= local, "{start} in {zone} landed at {landed}");
        prop_assert!(landed - local <= TimeDelta::hours(2), "{start} in {zone} landed at {landed}");
    }
}
