//! [`TimeZoneName`]: an IANA time zone name such as `Europe/Berlin`.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::input::InputKind;

/// A time zone the IANA database knows, in its canonical spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub struct TimeZoneName(chrono_tz::Tz);

crate::deserialize_from_str!(TimeZoneName, InputKind::TimeZone, TimeZoneName::parse);

crate::string_schema!(
    TimeZoneName,
    "An IANA time zone name.",
    max_length = 64,
    example = "Europe/Berlin"
);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an IANA time zone name (for example UTC or Europe/Berlin)")]
pub struct TimeZoneError(String);

impl TimeZoneName {
    pub const UTC: Self = Self(chrono_tz::UTC);

    pub fn parse(s: &str) -> Result<Self, TimeZoneError> {
        if s.len() > 64 {
            return Err(TimeZoneError(s.chars().take(64).collect()));
        }
        chrono_tz::Tz::from_str(s)
            .map(Self)
            .map_err(|_| TimeZoneError(s.to_owned()))
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    pub fn tz(&self) -> chrono_tz::Tz {
        self.0
    }
}

impl fmt::Display for TimeZoneName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl From<TimeZoneName> for String {
    fn from(tz: TimeZoneName) -> Self {
        tz.name().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_iana_names_and_nothing_else() {
        assert_eq!(
            TimeZoneName::parse("Europe/Berlin").unwrap().name(),
            "Europe/Berlin"
        );
        assert_eq!(TimeZoneName::parse("UTC").unwrap(), TimeZoneName::UTC);
        for bad in [
            "",
            "Mars/Olympus",
            "../etc/passwd",
            "Europe/Berlin\n",
            "CEST+2",
        ] {
            assert!(TimeZoneName::parse(bad).is_err(), "{bad:?}");
        }
    }
}
