//! Where the calendar periods that counts run over begin and end (UTC).

use chrono::{DateTime, Datelike, Months, NaiveDate, TimeZone, Utc};

use super::plan::Period;

impl Period {
    /// The start of the period `at` falls in.
    pub fn start_of(self, at: DateTime<Utc>) -> DateTime<Utc> {
        let day = at.date_naive();
        let first = match self {
            Self::Day => day,
            Self::Month => day.with_day(1).unwrap_or(day),
        };
        midnight(first)
    }

    /// When the count that `at` falls in starts again: the next midnight,
    /// or the first of next month.
    pub fn next_start_after(self, at: DateTime<Utc>) -> DateTime<Utc> {
        let start = self.start_of(at).date_naive();
        let next = match self {
            Self::Day => start.succ_opt(),
            Self::Month => start.checked_add_months(Months::new(1)),
        };
        next.map_or(DateTime::<Utc>::MAX_UTC, midnight)
    }
}

fn midnight(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_time(chrono::NaiveTime::MIN))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn a_day_runs_from_midnight_to_midnight_utc() {
        let now = at("2026-12-31T23:59:59Z");
        assert_eq!(Period::Day.start_of(now), at("2026-12-31T00:00:00Z"));
        assert_eq!(
            Period::Day.next_start_after(now),
            at("2027-01-01T00:00:00Z")
        );
    }

    #[test]
    fn a_month_runs_from_the_first_to_the_first() {
        let now = at("2027-01-31T10:00:00Z");
        assert_eq!(Period::Month.start_of(now), at("2027-01-01T00:00:00Z"));
        assert_eq!(
            Period::Month.next_start_after(now),
            at("2027-02-01T00:00:00Z")
        );
    }
}
