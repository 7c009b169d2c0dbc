//! When a campaign runs: at once, once at a set time, or again every day,
//! week or month at the same wall-clock time in the owner's time zone.

use chrono::{DateTime, Datelike, Days, Months, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

use crate::value::{FieldError, ValueError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Recurrence {
    Daily,
    Weekly,
    Monthly,
}

impl Recurrence {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "daily",
            Self::Weekly => "weekly",
            Self::Monthly => "monthly",
        }
    }
}

/// An IANA time zone, such as `Europe/Paris` or `Asia/Karachi`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timezone(Tz);

impl Timezone {
    pub const UTC: Self = Self(Tz::UTC);

    /// # Errors
    /// When `name` is not in the IANA time-zone database.
    pub fn parse(name: &str) -> Result<Self, ValueError> {
        Tz::from_str(name).map(Self).map_err(|_| {
            ValueError::new(format!(
                "{name:?} is not an IANA time zone such as Europe/Paris"
            ))
        })
    }

    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// The instant a wall-clock time stands for in this zone. A time that
    /// the clocks skip (spring forward) moves to the first one after the gap;
    /// a time they repeat (fall back) is the earlier one.
    ///
    /// `None` as well when the instant lies outside the dates chrono can
    /// hold: a client may write any year, and the arithmetic here is
    /// checked so that such a year is refused, never a panic.
    fn instant_of(self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        (0..=8).find_map(|quarter_hours| {
            let shifted = local.checked_add_signed(TimeDelta::minutes(15 * quarter_hours))?;
            let zoned = self.0.from_local_datetime(&shifted).earliest()?;
            // Converting to UTC adds the zone's offset, which can step past
            // the last date chrono holds: check that step as well.
            shifted
                .checked_sub_signed(TimeDelta::seconds(i64::from(
                    zoned.offset().fix().local_minus_utc(),
                )))
                .map(|utc| utc.and_utc())
        })
    }
}

impl TryFrom<String> for Timezone {
    type Error = ValueError;
    fn try_from(name: String) -> Result<Self, Self::Error> {
        Self::parse(&name)
    }
}

impl From<Timezone> for String {
    fn from(zone: Timezone) -> String {
        zone.name().to_owned()
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Schedule {
    #[default]
    Immediate,
    Scheduled {
        start_time: DateTime<Utc>,
        timezone: Timezone,
    },
    Recurring {
        start_time: DateTime<Utc>,
        recurrence: Recurrence,
        timezone: Timezone,
    },
}

/// A schedule as a request writes it, every field a string (seed field names).
#[derive(Debug, Clone, Default)]
pub struct ScheduleFields<'a> {
    pub kind: &'a str,
    pub start_time: Option<&'a str>,
    pub recurrence: Option<&'a str>,
    pub timezone: Option<&'a str>,
}

impl Schedule {
    /// Reads a schedule. A `startTime` with an offset (`Z`, `+05:00`) is an
    /// instant; one without is a wall-clock time in `timezone` (default UTC).
    ///
    /// # Errors
    /// When the type is unknown, a field the type needs is missing or one it
    /// does not take is given, or a value does not parse. The error names the
    /// field under `schedule`.
    pub fn parse(fields: ScheduleFields<'_>) -> Result<Self, FieldError> {
        let timezone = match fields.timezone {
            Some(name) => Timezone::parse(name).map_err(|e| e.at("schedule.timezone"))?,
            None => Timezone::UTC,
        };
        let recurrence = parse_recurrence(fields.recurrence)?;
        match fields.kind {
            "immediate" => immediate(fields.start_time, recurrence),
            "scheduled" => {
                if recurrence.is_some() {
                    return Err(FieldError::new(
                        "schedule.recurrence",
                        "a repeating campaign has type recurring",
                    ));
                }
                let start_time = required_start(fields.start_time, timezone)?;
                Ok(Self::Scheduled {
                    start_time,
                    timezone,
                })
            }
            "recurring" => {
                let recurrence = recurrence.ok_or_else(|| {
                    FieldError::new(
                        "schedule.recurrence",
                        "is required for a recurring campaign: daily, weekly or monthly",
                    )
                })?;
                let start_time = required_start(fields.start_time, timezone)?;
                Ok(Self::Recurring {
                    start_time,
                    recurrence,
                    timezone,
                })
            }
            other => Err(FieldError::new(
                "schedule.type",
                format!("{other:?} is not one of immediate, scheduled, recurring"),
            )),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Self::Immediate => "immediate",
            Self::Scheduled { .. } => "scheduled",
            Self::Recurring { .. } => "recurring",
        }
    }

    pub fn start_time(&self) -> Option<DateTime<Utc>> {
        match self {
            Self::Immediate => None,
            Self::Scheduled { start_time, .. } | Self::Recurring { start_time, .. } => {
                Some(*start_time)
            }
        }
    }

    pub fn recurrence(&self) -> Option<Recurrence> {
        match self {
            Self::Recurring { recurrence, .. } => Some(*recurrence),
            _ => None,
        }
    }

    pub fn timezone(&self) -> Option<Timezone> {
        match self {
            Self::Immediate => None,
            Self::Scheduled { timezone, .. } | Self::Recurring { timezone, .. } => Some(*timezone),
        }
    }

    /// The first run at or after `now`: the start time if it has not passed,
    /// and for a recurring schedule the first repetition that has not.
    pub fn next_run_at_or_after(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Self::Immediate => None,
            Self::Scheduled { start_time, .. } => (*start_time >= now).then_some(*start_time),
            Self::Recurring {
                start_time,
                recurrence,
                timezone,
            } => {
                let mut n = estimated_runs_before(*start_time, *recurrence, now);
                loop {
                    let run = occurrence(*start_time, *recurrence, *timezone, n)?;
                    if run >= now {
                        return Some(run);
                    }
                    n += 1;
                }
            }
        }
    }

    /// The run after the one that started at `previous`, for a recurring
    /// schedule; `None` for the others.
    pub fn run_after(&self, previous: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Self::Recurring { .. } => {
                self.next_run_at_or_after(previous.checked_add_signed(TimeDelta::seconds(1))?)
            }
            _ => None,
        }
    }
}

fn immediate(
    start_time: Option<&str>,
    recurrence: Option<Recurrence>,
) -> Result<Schedule, FieldError> {
    if start_time.is_some() {
        return Err(FieldError::new(
            "schedule.startTime",
            "only applies to scheduled and recurring campaigns",
        ));
    }
    if recurrence.is_some() {
        return Err(FieldError::new(
            "schedule.recurrence",
            "only applies to recurring campaigns",
        ));
    }
    Ok(Schedule::Immediate)
}

fn parse_recurrence(text: Option<&str>) -> Result<Option<Recurrence>, FieldError> {
    match text {
        None | Some("none") => Ok(None),
        Some("daily") => Ok(Some(Recurrence::Daily)),
        Some("weekly") => Ok(Some(Recurrence::Weekly)),
        Some("monthly") => Ok(Some(Recurrence::Monthly)),
        Some(other) => Err(FieldError::new(
            "schedule.recurrence",
            format!("{other:?} is not one of daily, weekly, monthly, none"),
        )),
    }
}

fn required_start(text: Option<&str>, timezone: Timezone) -> Result<DateTime<Utc>, FieldError> {
    let text = text.ok_or_else(|| {
        FieldError::new("schedule.startTime", "is required for this schedule type")
    })?;
    parse_start_time(text, timezone).map_err(|e| e.at("schedule.startTime"))
}

/// The years a start time may name: RFC 3339's four digits. chrono reads
/// `+262142-12-31T23:59:59` too, and a schedule near the end of what it can
/// hold leaves no room for a zone's offset or a recurrence.
const START_YEARS: std::ops::RangeInclusive<i32> = 1..=9999;

fn parse_start_time(text: &str, timezone: Timezone) -> Result<DateTime<Utc>, ValueError> {
    let outside_years = || {
        ValueError::new(format!(
            "{text:?} must lie between the years {} and {}",
            START_YEARS.start(),
            START_YEARS.end()
        ))
    };
    if let Some(instant) = parse_instant(text) {
        return Some(instant)
            .filter(|t| START_YEARS.contains(&t.year()))
            .ok_or_else(outside_years);
    }
    let local = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .ok_or_else(|| {
            ValueError::new(format!(
                "{text:?} is not a date-time such as 2026-12-01T09:00:00+05:00, or 2026-12-01T09:00 in schedule.timezone"
            ))
        })?;
    if !START_YEARS.contains(&local.year()) {
        return Err(outside_years());
    }
    let instant = timezone.instant_of(local).ok_or_else(|| {
        ValueError::new(format!("{text:?} does not exist in {}", timezone.name()))
    })?;
    Some(instant)
        .filter(|t| START_YEARS.contains(&t.year()))
        .ok_or_else(outside_years)
}

/// An RFC 3339 date-time, also without seconds (`2026-12-01T09:00Z`).
fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    let with_seconds;
    let text = match text.get(16..17) {
        Some("Z" | "+" | "-") if text.get(13..14) == Some(":") => {
            with_seconds = format!("{}:00{}", &text[..16], &text[16..]);
            &with_seconds
        }
        _ => text,
    };
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The `n`th run (0 = the start), at the start's wall-clock time.
fn occurrence(
    start: DateTime<Utc>,
    recurrence: Recurrence,
    timezone: Timezone,
    n: u32,
) -> Option<DateTime<Utc>> {
    let local = start.with_timezone(&timezone.0).naive_local();
    let shifted = match recurrence {
        Recurrence::Daily => local.checked_add_days(Days::new(u64::from(n)))?,
        Recurrence::Weekly => local.checked_add_days(Days::new(7 * u64::from(n)))?,
        Recurrence::Monthly => local.checked_add_months(Months::new(n))?,
    };
    timezone.instant_of(shifted)
}

/// A lower bound for the number of runs before `now`, so that finding the
/// next run does not walk every day since the start.
fn estimated_runs_before(start: DateTime<Utc>, recurrence: Recurrence, now: DateTime<Utc>) -> u32 {
    let days = now.signed_duration_since(start).num_days();
    let periods = match recurrence {
        Recurrence::Daily => days,
        Recurrence::Weekly => days / 7,
        Recurrence::Monthly => months_between(start, now),
    };
    u32::try_from(periods.saturating_sub(1)).unwrap_or(0)
}

/// Whole calendar months from `start` to `now`, give or take one.
fn months_between(start: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    let months = |t: DateTime<Utc>| i64::from(t.year()) * 12 + i64::from(t.month0());
    months(now) - months(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn fields<'a>(
        kind: &'a str,
        start: Option<&'a str>,
        recurrence: Option<&'a str>,
        zone: Option<&'a str>,
    ) -> ScheduleFields<'a> {
        ScheduleFields {
            kind,
            start_time: start,
            recurrence,
            timezone: zone,
        }
    }

    #[test]
    fn a_start_time_with_an_offset_is_an_instant() {
        let schedule = Schedule::parse(fields(
            "scheduled",
            Some("2026-12-01T09:00:00+05:00"),
            None,
            Some("Europe/Paris"),
        ))
        .unwrap();
        assert_eq!(schedule.start_time(), Some(at("2026-12-01T04:00:00Z")));
    }

    #[test]
    fn a_start_time_without_offset_is_read_in_the_time_zone() {
        let schedule = Schedule::parse(fields(
            "scheduled",
            Some("2026-12-01T09:00"),
            None,
            Some("Asia/Karachi"),
        ))
        .unwrap();
        assert_eq!(schedule.start_time(), Some(at("2026-12-01T04:00:00Z")));
    }

    #[test]
    fn unknown_time_zones_are_refused() {
        let error = Schedule::parse(fields(
            "scheduled",
            Some("2026-12-01T09:00"),
            None,
            Some("Mars/Olympus"),
        ))
        .unwrap_err();
        assert_eq!(error.field, "schedule.timezone");
    }

    #[test]
    fn scheduled_and_recurring_need_a_start_time() {
        assert_eq!(
            Schedule::parse(fields("scheduled", None, None, None))
                .unwrap_err()
                .field,
            "schedule.startTime"
        );
        assert_eq!(
            Schedule::parse(fields("recurring", None, Some("daily"), None))
                .unwrap_err()
                .field,
            "schedule.startTime"
        );
    }

    #[test]
    fn recurring_needs_a_recurrence_and_scheduled_refuses_one() {
        let start = Some("2026-12-01T09:00Z");
        assert_eq!(
            Schedule::parse(fields("recurring", start, None, None))
                .unwrap_err()
                .field,
            "schedule.recurrence"
        );
        assert_eq!(
            Schedule::parse(fields("scheduled", start, Some("weekly"), None))
                .unwrap_err()
                .field,
            "schedule.recurrence"
        );
        assert!(Schedule::parse(fields("scheduled", start, Some("none"), None)).is_ok());
    }

    #[test]
    fn immediate_refuses_a_start_time() {
        let error = Schedule::parse(fields("immediate", Some("2026-12-01T09:00Z"), None, None))
            .unwrap_err();
        assert_eq!(error.field, "schedule.startTime");
    }

    #[test]
    fn unknown_types_are_refused() {
        assert_eq!(
            Schedule::parse(fields("hourly", None, None, None))
                .unwrap_err()
                .field,
            "schedule.type"
        );
    }

    #[test]
    fn a_daily_run_keeps_its_wall_clock_time_across_a_clock_change() {
        // Paris moves from UTC+1 to UTC+2 on 2027-03-28.
        let schedule = Schedule::parse(fields(
            "recurring",
            Some("2027-03-27T09:00"),
            Some("daily"),
            Some("Europe/Paris"),
        ))
        .unwrap();
        assert_eq!(schedule.start_time(), Some(at("2027-03-27T08:00:00Z")));
        assert_eq!(
            schedule.run_after(at("2027-03-27T08:00:00Z")),
            Some(at("2027-03-28T07:00:00Z"))
        );
    }

    #[test]
    fn a_monthly_run_on_the_31st_falls_on_the_last_day_of_shorter_months() {
        let schedule = Schedule::parse(fields(
            "recurring",
            Some("2027-01-31T10:00Z"),
            Some("monthly"),
            None,
        ))
        .unwrap();
        assert_eq!(
            schedule.run_after(at("2027-01-31T10:00:00Z")),
            Some(at("2027-02-28T10:00:00Z"))
        );
        assert_eq!(
            schedule.run_after(at("2027-02-28T10:00:00Z")),
            Some(at("2027-03-31T10:00:00Z"))
        );
    }

    #[test]
    fn the_next_run_of_a_past_recurring_start_is_the_first_one_still_ahead() {
        let schedule = Schedule::parse(fields(
            "recurring",
            Some("2026-01-05T09:00Z"),
            Some("weekly"),
            None,
        ))
        .unwrap();
        assert_eq!(
            schedule.next_run_at_or_after(at("2026-11-21T12:00:00Z")),
            Some(at("2026-11-23T09:00:00Z"))
        );
    }

    #[test]
    fn a_passed_one_off_schedule_has_no_next_run() {
        let schedule =
            Schedule::parse(fields("scheduled", Some("2026-01-05T09:00Z"), None, None)).unwrap();
        assert_eq!(
            schedule.next_run_at_or_after(at("2026-11-21T12:00:00Z")),
            None
        );
    }

    #[test]
    fn a_wall_clock_time_skipped_by_the_clocks_moves_past_the_gap() {
        let schedule = Schedule::parse(fields(
            "scheduled",
            Some("2027-03-28T02:30"),
            None,
            Some("Europe/Paris"),
        ))
        .unwrap();
        assert_eq!(schedule.start_time(), Some(at("2027-03-28T01:00:00Z")));
    }

    #[test]
    fn a_start_time_past_the_year_9999_is_refused_in_any_zone() {
        for zone in ["America/New_York", "Pacific/Kiritimati", "UTC"] {
            for start in [
                "+262142-12-31T23:59:59",
                "+262142-12-31T23:59:59Z",
                "10000-01-01T00:00",
                "-262143-01-01T00:00:00",
            ] {
                let error = Schedule::parse(fields("scheduled", Some(start), None, Some(zone)))
                    .unwrap_err();
                assert_eq!(error.field, "schedule.startTime", "{start} in {zone}");
            }
        }
    }

    #[test]
    fn the_last_wall_clock_time_chrono_holds_gives_no_instant_west_of_utc() {
        let last = NaiveDateTime::MAX;
        assert_eq!(
            Timezone::parse("America/New_York")
                .unwrap()
                .instant_of(last),
            None
        );
    }
}
