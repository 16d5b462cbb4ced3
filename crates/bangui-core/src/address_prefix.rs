//! [`AddressPrefix`]: the beginning of an address, as typed into a search box.

use serde::Serialize;

use crate::input::InputKind;

/// Longest prefix: the longest textual IPv6 address.
const MAX_CHARS: usize = 45;

/// The start of an IPv4 or IPv6 address as text (`192.0.2.`, `2001:db8:`): digits, hex
/// letters, dots and colons; lower case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddressPrefix(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an address prefix has 1 to {MAX_CHARS} hex digits, dots and colons, not {0:?}")]
pub struct AddressPrefixError(String);

impl AddressPrefix {
    pub fn parse(s: &str) -> Result<Self, AddressPrefixError> {
        let s = s.trim();
        let fits = (1..=MAX_CHARS).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_hexdigit() || c == '.' || c == ':');
        if fits {
            Ok(Self(s.to_ascii_lowercase()))
        } else {
            Err(AddressPrefixError(s.chars().take(MAX_CHARS).collect()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A SQL `LIKE` pattern matching the addresses that start with it (no wildcard can be in
    /// the prefix itself).
    pub fn like_pattern(&self) -> String {
        format!("{}%", self.0)
    }
}

crate::deserialize_from_str!(
    AddressPrefix,
    InputKind::AddressPrefix,
    AddressPrefix::parse
);

crate::string_schema!(
    AddressPrefix,
    "The start of an address: hex digits, dots and colons.",
    pattern = "^[0-9A-Fa-f.:]{1,45}$",
    example = "192.0.2."
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_address_characters_only() {
        assert_eq!(
            AddressPrefix::parse(" 2001:DB8:").unwrap().as_str(),
            "2001:db8:"
        );
        assert_eq!(
            AddressPrefix::parse("192.0.").unwrap().like_pattern(),
            "192.0.%"
        );
        for bad in ["", "192.0.%", "a_b", "1 2", &"1".repeat(46), "x"] {
            assert!(AddressPrefix::parse(bad).is_err(), "{bad}");
        }
    }
}
