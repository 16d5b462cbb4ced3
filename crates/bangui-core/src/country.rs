//! [`CountryCode`]: an ISO 3166-1 alpha-2 country code, and its English name.

use std::fmt;

use serde::Serialize;

use crate::input::InputKind;

/// Two letters, upper case (`DE`); read without regard to case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode([u8; 2]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("country must be a two-letter ISO 3166 code such as DE, not {0:?}")]
pub struct CountryCodeError(String);

impl CountryCode {
    pub fn parse(s: &str) -> Result<Self, CountryCodeError> {
        match s.as_bytes() {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                Ok(Self([a.to_ascii_uppercase(), b.to_ascii_uppercase()]))
            }
            _ => Err(CountryCodeError(s.chars().take(8).collect())),
        }
    }

    pub fn as_str(&self) -> &str {
        // Two ASCII letters by construction.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// The English name ISO 3166 gives the code; `None` for codes it does not assign (some
    /// databases use `EU` or `XK`).
    pub fn name(&self) -> Option<&'static str> {
        isocountry::CountryCode::for_alpha2(self.as_str())
            .ok()
            .map(|c| c.name())
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for CountryCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

crate::deserialize_from_str!(CountryCode, InputKind::Country, CountryCode::parse);

crate::string_schema!(
    CountryCode,
    "An ISO 3166-1 alpha-2 country code.",
    pattern = "^[A-Za-z]{2}$",
    example = "DE"
);

/// A country with its English name, as answers show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct NamedCountry {
    pub code: CountryCode,
    /// `null` for a code ISO 3166 does not assign.
    pub name: Option<&'static str>,
}

impl From<CountryCode> for NamedCountry {
    fn from(code: CountryCode) -> Self {
        Self {
            code,
            name: code.name(),
        }
    }
}

impl NamedCountry {
    /// The country of a stored code; `None` for no code or a malformed one.
    pub fn of(code: Option<&str>) -> Option<Self> {
        code.and_then(|c| CountryCode::parse(c.trim()).ok())
            .map(Self::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_two_letters_with_english_names() {
        let de = CountryCode::parse("de").unwrap();
        assert_eq!(de.as_str(), "DE");
        assert_eq!(de.name(), Some("Germany"));
        assert_eq!(CountryCode::parse("XK").unwrap().name(), None);
        for bad in ["1", "D", "DEU", "d1", "", "É1"] {
            assert!(CountryCode::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(serde_json::to_string(&de).unwrap(), "\"DE\"");
        assert_eq!(NamedCountry::of(None), None);
    }
}
