//! [`TimeRange`]: the time windows lists and charts are asked for.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::input::InputKind;

/// A window ending now: `24h`, `7d`, `30d` or `365d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub enum TimeRange {
    #[serde(rename = "24h")]
    Day,
    #[serde(rename = "7d")]
    Week,
    #[serde(rename = "30d")]
    Month,
    #[serde(rename = "365d")]
    Year,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("range must be 24h, 7d, 30d or 365d, not {0:?}")]
pub struct TimeRangeError(String);

impl TimeRange {
    pub fn parse(s: &str) -> Result<Self, TimeRangeError> {
        match s {
            "24h" => Ok(Self::Day),
            "7d" => Ok(Self::Week),
            "30d" => Ok(Self::Month),
            "365d" => Ok(Self::Year),
            other => Err(TimeRangeError(other.chars().take(32).collect())),
        }
    }

    pub fn duration(self) -> Duration {
        match self {
            Self::Day => Duration::hours(24),
            Self::Week => Duration::days(7),
            Self::Month => Duration::days(30),
            Self::Year => Duration::days(365),
        }
    }

    /// Where the window starts when it ends at `now`.
    pub fn since(self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - self.duration()
    }
}

crate::deserialize_from_str!(TimeRange, InputKind::TimeRange, TimeRange::parse);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_read_back_what_they_write() {
        for range in [
            TimeRange::Day,
            TimeRange::Week,
            TimeRange::Month,
            TimeRange::Year,
        ] {
            let json = serde_json::to_string(&range).unwrap();
            assert_eq!(serde_json::from_str::<TimeRange>(&json).unwrap(), range);
        }
        assert!(TimeRange::parse("1y").is_err());
        assert_eq!(TimeRange::Week.duration(), Duration::days(7));
    }
}
