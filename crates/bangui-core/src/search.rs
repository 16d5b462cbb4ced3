//! [`SearchText`]: what a list is searched for.

use serde::Serialize;

use crate::input::InputKind;

/// Longest search text.
pub const MAX_SEARCH_CHARS: usize = 64;

/// A search text: at most 64 characters, compared without case and surrounding blanks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchText(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("q must have at most {MAX_SEARCH_CHARS} characters")]
pub struct SearchTextError;

impl SearchText {
    pub fn parse(s: &str) -> Result<Self, SearchTextError> {
        if s.chars().count() > MAX_SEARCH_CHARS {
            return Err(SearchTextError);
        }
        Ok(Self(s.trim().to_lowercase()))
    }

    /// Whether `text` (lower-case, as addresses and jail names are shown) contains the search
    /// text; an empty search matches everything.
    pub fn matches(&self, text: &str) -> bool {
        self.0.is_empty() || text.contains(&self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

crate::deserialize_from_str!(SearchText, InputKind::SearchText, SearchText::parse);

crate::string_schema!(
    SearchText,
    "Part of what is searched for, without regard to case.",
    max_length = MAX_SEARCH_CHARS,
    example = "192.0.2"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_ignore_case_and_blanks() {
        let q = SearchText::parse("  2001:DB8 ").unwrap();
        assert!(q.matches("2001:db8::1"));
        assert!(!q.matches("192.0.2.1"));
        assert!(SearchText::parse("").unwrap().matches("anything"));
        assert!(SearchText::parse(&"x".repeat(65)).is_err());
    }
}
