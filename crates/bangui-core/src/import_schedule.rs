//! When scheduled blocklist imports run: hourly, daily at a time, weekly on a day and time, or
//! a cron expression, in the instance's time zone (chosen at setup).
//!
//! The schedule is a setting that can change at any time, so it is not baked into the
//! workers: every worker ticks each minute, and a tick in which the schedule fires enqueues
//! the import of that occurrence, keyed by the occurrence's time (once across the cluster).

use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use crate::input::{InputKind, refuse};

/// The schedule of blocklist imports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ImportSchedule {
    /// No scheduled imports (only "import now").
    Off,
    /// Every hour at `minute`.
    Hourly { minute: u8 },
    /// Every day at `at` (`HH:MM`).
    Daily { at: String },
    /// Every week on `day` (`mon` … `sun`) at `at`.
    Weekly { day: String, at: String },
    /// A cron expression: five fields (minute hour day month weekday) or six with seconds.
    Cron { expression: String },
}

/// The schedule as written, before it is checked.
#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum Written {
    Off,
    Hourly { minute: u8 },
    Daily { at: String },
    Weekly { day: String, at: String },
    Cron { expression: String },
}

impl<'de> Deserialize<'de> for ImportSchedule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let schedule = match Written::deserialize(d)? {
            Written::Off => Self::Off,
            Written::Hourly { minute } => Self::Hourly { minute },
            Written::Daily { at } => Self::Daily { at },
            Written::Weekly { day, at } => Self::Weekly { day, at },
            Written::Cron { expression } => Self::Cron { expression },
        };
        schedule
            .to_cron()
            .map_err(|e| refuse(InputKind::Schedule, e))?;
        Ok(schedule)
    }
}

impl Default for ImportSchedule {
    fn default() -> Self {
        Self::Daily { at: "03:00".into() }
    }
}

impl ImportSchedule {
    /// The cron schedule, or why the setting is not a valid schedule.
    pub fn to_cron(&self) -> Result<Option<cron::Schedule>, String> {
        let expression = match self {
            Self::Off => return Ok(None),
            Self::Hourly { minute } if *minute < 60 => format!("0 {minute} * * * *"),
            Self::Hourly { .. } => return Err("minute must be 0 to 59".into()),
            Self::Daily { at } => {
                let (h, m) = hour_minute(at)?;
                format!("0 {m} {h} * * *")
            }
            Self::Weekly { day, at } => {
                let (h, m) = hour_minute(at)?;
                let day = match day.to_ascii_lowercase().as_str() {
                    d @ ("mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun") => d.to_owned(),
                    _ => return Err("day must be one of mon, tue, wed, thu, fri, sat, sun".into()),
                };
                format!("0 {m} {h} * * {day}")
            }
            Self::Cron { expression } => {
                if expression.len() > 100 || expression.chars().any(char::is_control) {
                    return Err("the cron expression is too long or has control characters".into());
                }
                match expression.split_whitespace().count() {
                    5 => format!("0 {expression}"),
                    6 | 7 => expression.clone(),
                    _ => {
                        return Err(
                            "a cron expression has five fields (minute hour day month weekday)"
                                .into(),
                        );
                    }
                }
            }
        };
        cron::Schedule::from_str(&expression)
            .map(Some)
            .map_err(|e| format!("invalid schedule: {e}"))
    }

    /// The occurrence in `(now - 60 s, now]`, if the schedule fires in that minute.
    pub fn fires_in_minute_before<Tz: TimeZone>(
        &self,
        now: DateTime<Utc>,
        tz: &Tz,
    ) -> Option<DateTime<Utc>> {
        let schedule = self.to_cron().ok().flatten()?;
        let since = (now - chrono::Duration::seconds(60)).with_timezone(tz);
        let next = schedule.after(&since).next()?.with_timezone(&Utc);
        (next <= now).then_some(next)
    }
}

fn hour_minute(at: &str) -> Result<(u8, u8), String> {
    let bad = || format!("{at:?} is not a time of day as HH:MM");
    let (h, m) = at.split_once(':').ok_or_else(bad)?;
    let (h, m): (u8, u8) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 23 || m > 59 || at.len() != 5 {
        return Err(bad());
    }
    Ok((h, m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn schedules_fire_in_their_minute_only() {
        let daily = ImportSchedule::Daily { at: "03:00".into() };
        assert_eq!(
            daily.fires_in_minute_before(at("2026-11-27T03:00:00Z"), &Utc),
            Some(at("2026-11-27T03:00:00Z"))
        );
        assert_eq!(
            daily.fires_in_minute_before(at("2026-11-27T03:01:00Z"), &Utc),
            None
        );
        assert_eq!(
            daily.fires_in_minute_before(at("2026-11-27T02:59:00Z"), &Utc),
            None
        );
        // In the instance's time zone: 03:00 in Berlin is 02:00 UTC in winter.
        let berlin = chrono_tz::Europe::Berlin;
        assert_eq!(
            daily.fires_in_minute_before(at("2026-11-27T02:00:00Z"), &berlin),
            Some(at("2026-11-27T02:00:00Z"))
        );
        let weekly = ImportSchedule::Weekly {
            day: "fri".into(),
            at: "12:30".into(),
        };
        assert!(
            weekly
                .fires_in_minute_before(at("2026-11-27T12:30:00Z"), &Utc)
                .is_some()
        ); // a Friday
        assert!(
            weekly
                .fires_in_minute_before(at("2026-11-26T12:30:00Z"), &Utc)
                .is_none()
        );
        let cron = ImportSchedule::Cron {
            expression: "*/15 * * * *".into(),
        };
        assert!(
            cron.fires_in_minute_before(at("2026-11-27T10:45:00Z"), &Utc)
                .is_some()
        );
        assert!(
            cron.fires_in_minute_before(at("2026-11-27T10:46:00Z"), &Utc)
                .is_none()
        );
        assert_eq!(
            ImportSchedule::Off.fires_in_minute_before(at("2026-11-27T03:00:00Z"), &Utc),
            None
        );
    }

    #[test]
    fn bad_schedules_are_refused() {
        for bad in [
            ImportSchedule::Hourly { minute: 60 },
            ImportSchedule::Daily { at: "24:00".into() },
            ImportSchedule::Daily { at: "3:00".into() },
            ImportSchedule::Weekly {
                day: "someday".into(),
                at: "03:00".into(),
            },
            ImportSchedule::Cron {
                expression: "not cron".into(),
            },
            ImportSchedule::Cron {
                expression: "* * *".into(),
            },
        ] {
            assert!(bad.to_cron().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn reading_a_schedule_checks_it() {
        use crate::input::{InputKind, classified};
        let read = |json: &str| classified(|| serde_json::from_str::<ImportSchedule>(json));
        assert_eq!(
            read(r#"{"kind": "hourly", "minute": 5}"#).unwrap(),
            ImportSchedule::Hourly { minute: 5 }
        );
        assert_eq!(
            read(r#"{"kind": "daily", "at": "25:00"}"#)
                .unwrap_err()
                .1
                .map(|r| r.kind),
            Some(InputKind::Schedule)
        );
        assert_eq!(
            read(r#"{"kind": "daily", "at": "03:00", "x": 1}"#)
                .unwrap_err()
                .1,
            None
        );
        assert_eq!(read(r#"{"kind": "yearly"}"#).unwrap_err().1, None);
    }
}
