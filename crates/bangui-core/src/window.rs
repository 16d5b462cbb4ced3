//! [`Window`]: a [`TimeRange`] cut into buckets of the setup time zone.
//!
//! Buckets follow the wall clock of the zone: hours, the six-hour slots starting at 00, 06, 12
//! and 18 o'clock, days from midnight, weeks from Monday midnight. Across a daylight-saving
//! change a day has 23 or 25 hours and a six-hour slot five or seven, while an hour stays an
//! hour (the repeated hour of an autumn night is two buckets). Every list and aggregate of a
//! range covers exactly its buckets, so a chart's total and a table's count agree.

use chrono::{DateTime, Datelike, Duration, NaiveDateTime, Offset, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::TimeRange;

/// How wide a window's buckets are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BucketWidth {
    Hour,
    SixHours,
    Day,
    Week,
}

/// At most this many buckets (`all`: 38 years of weeks).
const MAX_BUCKETS: usize = 2000;

impl TimeRange {
    pub fn width(self) -> BucketWidth {
        match self {
            Self::Day => BucketWidth::Hour,
            Self::Week => BucketWidth::SixHours,
            Self::Month => BucketWidth::Day,
            Self::Year | Self::All => BucketWidth::Week,
        }
    }

    /// How many buckets the window has; `None` for `all` (as many as the archive needs).
    pub fn bucket_count(self) -> Option<usize> {
        match self {
            Self::Day => Some(24),
            Self::Week => Some(28),
            Self::Month => Some(30),
            Self::Year => Some(53),
            Self::All => None,
        }
    }
}

/// A range's buckets as instants: bucket `i` is `[starts[i], starts[i + 1])`, the last one
/// ends at `until` (now).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub range: TimeRange,
    pub width: BucketWidth,
    /// Oldest first; never empty.
    pub starts: Vec<DateTime<Utc>>,
    pub until: DateTime<Utc>,
}

impl Window {
    /// The window of `range` ending at `now` in `tz`. `oldest` (the oldest archived ban) is
    /// where `all` begins; without one, `all` is the current week.
    pub fn new(
        range: TimeRange,
        now: DateTime<Utc>,
        tz: Tz,
        oldest: Option<DateTime<Utc>>,
    ) -> Self {
        let width = range.width();
        let mut start = current_start(width, now, tz);
        let mut starts = vec![start];
        loop {
            let enough = match range.bucket_count() {
                Some(n) => starts.len() >= n,
                None => oldest.is_none_or(|o| o >= start),
            };
            if enough || starts.len() >= MAX_BUCKETS {
                break;
            }
            start = previous_start(width, start, tz);
            starts.push(start);
        }
        starts.reverse();
        Self {
            range,
            width,
            starts,
            until: now,
        }
    }

    /// Where the window starts: its first bucket's start.
    pub fn since(&self) -> DateTime<Utc> {
        self.starts[0]
    }
}

/// The start of the bucket holding `t`.
fn current_start(width: BucketWidth, t: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    let floor = floor(width, t.with_timezone(&tz).naive_local());
    match width {
        // An hour that the autumn night repeats: the occurrence `t` is in.
        BucketWidth::Hour => tz
            .from_local_datetime(&floor)
            .latest()
            .map(|d| d.with_timezone(&Utc))
            .filter(|d| *d <= t)
            .unwrap_or_else(|| first_instant(floor, tz)),
        _ => first_instant(floor, tz),
    }
}

/// The start of the bucket before the one starting at `start`.
fn previous_start(width: BucketWidth, start: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    if width == BucketWidth::Hour {
        return start - Duration::hours(1);
    }
    let step = match width {
        BucketWidth::SixHours => Duration::hours(6),
        BucketWidth::Day => Duration::days(1),
        _ => Duration::weeks(1),
    };
    let mut naive = floor(width, start.with_timezone(&tz).naive_local());
    loop {
        naive -= step;
        let previous = first_instant(naive, tz);
        // A skipped day (a zone crossing the date line) starts where the next one does.
        if previous < start {
            return previous;
        }
    }
}

/// The wall-clock start of the bucket holding the local time `local`.
fn floor(width: BucketWidth, local: NaiveDateTime) -> NaiveDateTime {
    let date = local.date();
    let hour = match width {
        BucketWidth::Hour => local.hour(),
        BucketWidth::SixHours => local.hour() / 6 * 6,
        BucketWidth::Day | BucketWidth::Week => 0,
    };
    let date = match width {
        BucketWidth::Week => {
            date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
        }
        _ => date,
    };
    date.and_hms_opt(hour, 0, 0).unwrap_or(local)
}

/// The first instant the wall clock of `tz` shows `local`, or, when the clock skips it (a
/// spring-forward gap), the instant it jumps past it.
fn first_instant(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    if let Some(d) = tz.from_local_datetime(&local).earliest() {
        return d.with_timezone(&Utc);
    }
    // In a gap: the offset in force before it, applied to `local`, is the jump.
    (1..=48)
        .find_map(|h| {
            tz.from_local_datetime(&(local - Duration::hours(h)))
                .earliest()
        })
        .map(|before| {
            let offset = before.offset().fix().local_minus_utc();
            (local - Duration::seconds(i64::from(offset))).and_utc()
        })
        .unwrap_or_else(|| local.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn local(tz: Tz, t: DateTime<Utc>) -> NaiveDateTime {
        t.with_timezone(&tz).naive_local()
    }

    fn lengths(w: &Window) -> Vec<i64> {
        let mut ends: Vec<DateTime<Utc>> = w.starts[1..].to_vec();
        ends.push(w.until);
        w.starts
            .iter()
            .zip(ends)
            .map(|(s, e)| (e - *s).num_minutes())
            .collect()
    }

    fn increasing(w: &Window) -> bool {
        w.starts.windows(2).all(|p| p[0] < p[1]) && *w.starts.last().unwrap() <= w.until
    }

    const BERLIN: Tz = chrono_tz::Europe::Berlin;

    #[test]
    fn a_month_of_days_across_the_spring_change_has_a_23_hour_day() {
        // Berlin moved its clocks from 02:00 to 03:00 on 2026-03-29.
        let w = Window::new(TimeRange::Month, at("2026-04-10T12:00:00Z"), BERLIN, None);
        assert_eq!(w.width, BucketWidth::Day);
        assert_eq!(w.starts.len(), 30);
        assert!(increasing(&w));
        for s in &w.starts {
            assert_eq!(local(BERLIN, *s).time(), chrono::NaiveTime::MIN, "{s}");
        }
        let lengths = lengths(&w);
        let short: Vec<usize> = (0..29).filter(|i| lengths[*i] != 24 * 60).collect();
        assert_eq!(short.len(), 1);
        assert_eq!(lengths[short[0]], 23 * 60);
        assert_eq!(
            local(BERLIN, w.starts[short[0]]).date(),
            chrono::NaiveDate::from_ymd_opt(2026, 3, 29).unwrap()
        );
        assert_eq!(w.since(), at("2026-03-11T23:00:00Z"));
    }

    #[test]
    fn the_repeated_autumn_hour_is_two_buckets() {
        // 2026-10-25: 03:00 CEST became 02:00 CET.
        let now = at("2026-10-25T05:30:00Z"); // 06:30 CET
        let w = Window::new(TimeRange::Day, now, BERLIN, None);
        assert_eq!(w.starts.len(), 24);
        assert!(increasing(&w));
        assert!(lengths(&w)[..23].iter().all(|l| *l == 60));
        assert_eq!(*w.starts.last().unwrap(), at("2026-10-25T05:00:00Z"));
        let twos = w
            .starts
            .iter()
            .filter(|s| local(BERLIN, **s).hour() == 2)
            .count();
        assert_eq!(twos, 2);
        // Inside the second 02:00 hour, the bucket is that second one.
        let second = Window::new(TimeRange::Day, at("2026-10-25T01:30:00Z"), BERLIN, None);
        assert_eq!(*second.starts.last().unwrap(), at("2026-10-25T01:00:00Z"));
    }

    #[test]
    fn six_hour_slots_follow_the_wall_clock() {
        let w = Window::new(TimeRange::Week, at("2026-04-01T10:00:00Z"), BERLIN, None);
        assert_eq!(w.starts.len(), 28);
        assert!(increasing(&w));
        for s in &w.starts {
            let l = local(BERLIN, *s);
            assert_eq!((l.hour() % 6, l.minute()), (0, 0), "{s}");
        }
        // The slot from 00:00 on the spring day lasts five hours.
        assert!(lengths(&w).contains(&(5 * 60)));
    }

    #[test]
    fn a_year_is_53_weeks_from_monday_midnight() {
        let w = Window::new(TimeRange::Year, at("2026-12-03T20:00:00Z"), BERLIN, None);
        assert_eq!(w.starts.len(), 53);
        assert!(increasing(&w));
        for s in &w.starts {
            let l = local(BERLIN, *s);
            assert_eq!(l.weekday(), chrono::Weekday::Mon);
            assert_eq!(l.time(), chrono::NaiveTime::MIN);
        }
    }

    #[test]
    fn all_reaches_back_to_the_oldest_ban() {
        let now = at("2026-12-03T20:00:00Z");
        let oldest = at("2026-08-20T08:00:00Z");
        let w = Window::new(TimeRange::All, now, chrono_tz::UTC, Some(oldest));
        assert!(w.since() <= oldest && oldest - w.since() < Duration::weeks(1));
        assert_eq!(w.since(), at("2026-08-17T00:00:00Z"));
        let empty = Window::new(TimeRange::All, now, chrono_tz::UTC, None);
        assert_eq!(empty.starts, vec![at("2026-11-30T00:00:00Z")]);
    }

    #[test]
    fn hours_of_a_zone_with_a_quarter_hour_offset() {
        let kathmandu = chrono_tz::Asia::Kathmandu; // +05:45
        let w = Window::new(TimeRange::Day, at("2026-12-03T20:00:00Z"), kathmandu, None);
        assert_eq!(*w.starts.last().unwrap(), at("2026-12-03T19:15:00Z"));
        assert!(increasing(&w));
    }

    #[test]
    fn a_skipped_day_is_no_bucket() {
        // Samoa skipped 2011-12-30 when it crossed the date line.
        let apia = chrono_tz::Pacific::Apia;
        let w = Window::new(TimeRange::Month, at("2012-01-05T00:00:00Z"), apia, None);
        assert_eq!(w.starts.len(), 30);
        assert!(increasing(&w));
        assert!(
            !w.starts.iter().any(|s| local(apia, *s).date()
                == chrono::NaiveDate::from_ymd_opt(2011, 12, 30).unwrap())
        );
    }
}
