//! [`TimeRange`]: the time windows lists and charts are asked for.

use serde::Serialize;

use crate::input::InputKind;

/// A window ending now: `24h`, `7d`, `30d`, `365d`, or `all` of the archive. Windows are cut
/// into buckets of the setup time zone (see [`Window`](crate::Window)) and start where their
/// first bucket starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
pub enum TimeRange {
    /// 24 hourly buckets: this hour and the 23 before.
    #[serde(rename = "24h")]
    Day,
    /// 28 buckets of six hours (00, 06, 12 and 18 o'clock): this one and the 27 before.
    #[serde(rename = "7d")]
    Week,
    /// 30 daily buckets: today and the 29 days before.
    #[serde(rename = "30d")]
    Month,
    /// 53 weekly buckets (weeks start on Monday): this week and the 52 before.
    #[serde(rename = "365d")]
    Year,
    /// Weekly buckets from the week of the oldest archived ban.
    #[serde(rename = "all")]
    All,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("range must be 24h, 7d, 30d, 365d or all, not {0:?}")]
pub struct TimeRangeError(String);

impl TimeRange {
    pub fn parse(s: &str) -> Result<Self, TimeRangeError> {
        match s {
            "24h" => Ok(Self::Day),
            "7d" => Ok(Self::Week),
            "30d" => Ok(Self::Month),
            "365d" => Ok(Self::Year),
            "all" => Ok(Self::All),
            other => Err(TimeRangeError(other.chars().take(32).collect())),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "24h",
            Self::Week => "7d",
            Self::Month => "30d",
            Self::Year => "365d",
            Self::All => "all",
        }
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
            TimeRange::All,
        ] {
            let json = serde_json::to_string(&range).unwrap();
            assert_eq!(json, format!("\"{}\"", range.as_str()));
            assert_eq!(serde_json::from_str::<TimeRange>(&json).unwrap(), range);
        }
        assert!(TimeRange::parse("1y").is_err());
    }
}
