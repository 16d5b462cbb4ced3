//! [`JobId`]: the id of a background job.

use std::fmt;

use serde::Serialize;

use crate::input::InputKind;

/// A job id: a ULID, 26 letters and digits (Crockford's base 32).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct JobId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a job id has 26 letters and digits")]
pub struct JobIdError;

impl JobId {
    pub fn parse(s: &str) -> Result<Self, JobIdError> {
        if s.len() != 26 || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(JobIdError);
        }
        Ok(Self(s.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

crate::deserialize_from_str!(JobId, InputKind::JobId, JobId::parse);

crate::string_schema!(
    JobId,
    "A background job's id (a ULID).",
    pattern = "^[0-9A-Za-z]{26}$",
    example = "01JDZ4M1Q0A7S9VDKX5E2Y7RBC"
);
