//! [`SessionMinutes`]: how long a login lasts.

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};

use crate::input::{InputKind, refuse};

/// Longest session: a year.
pub const MAX_SESSION_MINUTES: u32 = 525_600;

/// A session length: 1 minute to a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SessionMinutes(u32);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("session_duration_minutes must be between 1 and {MAX_SESSION_MINUTES}")]
pub struct SessionMinutesError;

impl SessionMinutes {
    pub fn new(minutes: u32) -> Result<Self, SessionMinutesError> {
        if (1..=MAX_SESSION_MINUTES).contains(&minutes) {
            Ok(Self(minutes))
        } else {
            Err(SessionMinutesError)
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }

    pub fn duration(self) -> Duration {
        Duration::from_secs(u64::from(self.0) * 60)
    }
}

impl<'de> Deserialize<'de> for SessionMinutes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::new(u32::deserialize(d)?).map_err(|e| refuse(InputKind::SessionLength, e))
    }
}

crate::integer_schema!(
    SessionMinutes,
    "A session length in minutes.",
    1,
    Some(MAX_SESSION_MINUTES)
);
