//! [`Origin`]: who made a ban.

use serde::Serialize;

use crate::input::InputKind;

/// Who made a ban.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// A blocklist import.
    Blocklist,
    /// By hand (through bangui, or fail2ban-client).
    Manual,
    /// fail2ban's filter, from log lines.
    Auto,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("origin must be blocklist, manual or auto, not {0:?}")]
pub struct OriginError(String);

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Blocklist => "blocklist",
            Self::Manual => "manual",
            Self::Auto => "auto",
        }
    }

    pub fn parse(s: &str) -> Result<Self, OriginError> {
        match s {
            "blocklist" => Ok(Self::Blocklist),
            "manual" => Ok(Self::Manual),
            "auto" => Ok(Self::Auto),
            other => Err(OriginError(other.chars().take(32).collect())),
        }
    }
}

impl TryFrom<String> for Origin {
    type Error = OriginError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

crate::deserialize_from_str!(Origin, InputKind::Origin, Origin::parse);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_read_back_what_they_write() {
        for origin in [Origin::Blocklist, Origin::Manual, Origin::Auto] {
            let json = serde_json::to_string(&origin).unwrap();
            assert_eq!(json, format!("\"{}\"", origin.as_str()));
            assert_eq!(serde_json::from_str::<Origin>(&json).unwrap(), origin);
        }
        assert!(Origin::parse("robot").is_err());
    }
}
