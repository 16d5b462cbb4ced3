//! Login sessions: an opaque 256-bit token in the browser, only its SHA-256 in Redis.
//!
//! The key expires with the session, and logout deletes it, so a session ends on every
//! worker at the same moment. A stolen copy of Redis holds no usable token.

use std::net::IpAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{RedisStore, StoreError, now_ms};

/// The secret the client holds: 32 random bytes as 64 lowercase hex digits.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(…)")
    }
}

impl SessionToken {
    /// A fresh token from the operating system's CSPRNG.
    pub fn generate() -> Result<Self, StoreError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)
            .map_err(|e| StoreError::Internal(format!("no randomness: {e}")))?;
        Ok(Self(hex(&bytes)))
    }

    /// Accepts exactly what [`generate`](Self::generate) makes; anything else is no token.
    pub fn parse(s: &str) -> Option<Self> {
        (s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .then(|| Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// SHA-256 of the token, hex: the Redis key, and the session's id in logs and the audit
    /// trail.
    pub fn id(&self) -> String {
        hex(&Sha256::digest(self.0.as_bytes()))
    }
}

/// Lowercase hex; on the path of every authenticated request, so without per-byte allocations.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// What Redis keeps about a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// SHA-256 of the token (never the token).
    pub id: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    /// Client address at login.
    pub client: Option<String>,
}

impl Session {
    /// Who the session is in the audit trail and the ban archive: `session:` and the first 16
    /// hex digits of its id. Enough to tell sessions apart, never enough to use one.
    pub fn actor(&self) -> String {
        format!("session:{}", &self.id[..self.id.len().min(16)])
    }
}

impl RedisStore {
    pub(crate) fn session_key(&self, id: &str) -> String {
        self.key(&format!("session:{id}"))
    }

    /// Starts a session lasting `ttl`. A new token every time: a login never reuses one.
    pub async fn create_session(
        &self,
        ttl: Duration,
        client: Option<IpAddr>,
    ) -> Result<(SessionToken, Session), StoreError> {
        let token = SessionToken::generate()?;
        let now = now_ms();
        let session = Session {
            id: token.id(),
            created_at_ms: now,
            expires_at_ms: now + ttl.as_millis() as i64,
            client: client.map(|c| c.to_string()),
        };
        let key = self.session_key(&session.id);
        let value = serde_json::to_string(&session)?;
        let ttl_ms = ttl.as_millis().max(1) as u64;
        // A plain SET (no NX): 256 random bits do not collide, and SET stays safe to resend
        // when a reconnect swallowed the first answer.
        self.query::<()>(
            "session_create",
            redis::cmd("SET").arg(&key).arg(value).arg("PX").arg(ttl_ms),
        )
        .await?;
        Ok((token, session))
    }

    /// The live session of `token`, if any.
    pub async fn session(&self, token: &SessionToken) -> Result<Option<Session>, StoreError> {
        let key = self.session_key(&token.id());
        let raw: Option<String> = self
            .query("session_get", redis::cmd("GET").arg(&key))
            .await?;
        raw.map(|r| serde_json::from_str(&r).map_err(StoreError::from))
            .transpose()
    }

    /// Ends the session everywhere at once. Returns whether it existed.
    pub async fn delete_session(&self, token: &SessionToken) -> Result<bool, StoreError> {
        let key = self.session_key(&token.id());
        let deleted: i64 = self
            .query("session_delete", redis::cmd("DEL").arg(&key))
            .await?;
        Ok(deleted > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_parse_back() {
        let a = SessionToken::generate().unwrap();
        let b = SessionToken::generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(SessionToken::parse(a.as_str()), Some(a.clone()));
        assert_eq!(a.id().len(), 64);
        assert_ne!(a.id(), a.as_str());
        for bad in ["", "abc", &"g".repeat(64), &"A".repeat(64), &"a".repeat(65)] {
            assert!(SessionToken::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn debug_output_hides_the_token() {
        let t = SessionToken::generate().unwrap();
        assert!(!format!("{t:?}").contains(t.as_str()));
    }
}
