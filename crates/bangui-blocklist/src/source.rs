//! The fields of a blocklist source, as the API accepts them.

use std::fmt;

use bangui_core::input::{InputKind, refuse};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::fetch::check_url;

/// The id of a blocklist source: a positive number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct SourceId(i64);

impl SourceId {
    pub fn new(id: i64) -> Option<Self> {
        (id > 0).then_some(Self(id))
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for SourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

const BAD_ID: &str = "a blocklist source id is a positive number";

impl<'de> Deserialize<'de> for SourceId {
    /// From a number, or from its text (a path segment).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Id;
        impl Visitor<'_> for Id {
            type Value = SourceId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(BAD_ID)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<SourceId, E> {
                SourceId::new(v).ok_or_else(|| refuse(InputKind::SourceId, BAD_ID))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<SourceId, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(-1))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SourceId, E> {
                // Digits only: "+7" or " 7" are not ids.
                let id = v
                    .bytes()
                    .all(|b| b.is_ascii_digit())
                    .then(|| v.parse::<i64>().ok())
                    .flatten()
                    .unwrap_or(-1);
                self.visit_i64(id)
            }
        }
        d.deserialize_any(Id)
    }
}

bangui_core::integer_schema!(SourceId, "The id of a blocklist source.", 1, None::<i64>);

/// The name of a source: 1 to 100 characters, without control characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the name must have 1 to 100 characters, without control characters")]
pub struct SourceNameError;

impl SourceName {
    pub fn parse(s: &str) -> Result<Self, SourceNameError> {
        let name = s.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(SourceNameError);
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

bangui_core::deserialize_from_str!(SourceName, InputKind::SourceName, SourceName::parse);

bangui_core::string_schema!(
    SourceName,
    "The name of a blocklist source.",
    min_length = 1,
    max_length = 100,
    example = "blocklist.de all"
);

/// A blocklist URL: http or https, with a host and without credentials. Whether its host is a
/// public address is checked at every download, on what the name resolves to then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlocklistUrl(String);

impl BlocklistUrl {
    pub fn parse(s: &str) -> Result<Self, String> {
        check_url(s.trim(), true).map(|url| Self(url.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

bangui_core::deserialize_from_str!(BlocklistUrl, InputKind::Url, BlocklistUrl::parse);

bangui_core::string_schema!(
    BlocklistUrl,
    "Where the list is downloaded from: an http or https URL without user or password, on a public address.",
    format = "uri",
    max_length = 2048,
    example = "https://lists.blocklist.de/lists/all.txt"
);

#[cfg(test)]
mod tests {
    use bangui_core::input::classified;

    use super::*;

    #[test]
    fn source_fields_are_checked_when_read() {
        let id = |json: &str| classified(|| serde_json::from_str::<SourceId>(json));
        assert_eq!(id("7").unwrap().get(), 7);
        assert_eq!(id("\"7\"").unwrap().get(), 7);
        for bad in ["0", "-3", "\"abc\"", "\"+7\"", "\"\""] {
            assert_eq!(
                id(bad).unwrap_err().1.map(|r| r.kind),
                Some(InputKind::SourceId),
                "{bad}"
            );
        }
        assert_eq!(
            serde_json::from_str::<SourceName>("\"  spamhaus \"")
                .unwrap()
                .as_str(),
            "spamhaus"
        );
        let name = classified(|| serde_json::from_str::<SourceName>("\"a\\u0007b\""));
        assert_eq!(
            name.unwrap_err().1.map(|r| r.kind),
            Some(InputKind::SourceName)
        );
        let url = classified(|| serde_json::from_str::<BlocklistUrl>("\"ftp://example.org/x\""));
        assert_eq!(url.unwrap_err().1.map(|r| r.kind), Some(InputKind::Url));
        assert_eq!(
            serde_json::from_str::<BlocklistUrl>("\"https://example.org/drop.txt\"")
                .unwrap()
                .as_str(),
            "https://example.org/drop.txt"
        );
    }
}
