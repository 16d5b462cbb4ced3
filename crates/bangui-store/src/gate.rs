//! The one Redis command of an authenticated request: its rate limit and its session, in one
//! script.

use std::sync::LazyLock;

use crate::rate_limit::{Decision, GCRA_BODY, RateLimit};
use crate::sessions::{Session, SessionToken};
use crate::{RedisStore, StoreError};

/// GCRA on `KEYS[1]` (see [`crate::rate_limit`]), then, if allowed, `GET KEYS[2]`. Returns
/// `{allowed, retry_after_ms, session or false}`. Sent as `EVALSHA`: only the script's hash
/// travels, and Redis runs one command instead of two.
static GATE: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(&format!(
        "local function gcra()\n{GCRA_BODY}\nend\n\
         local verdict = gcra()\n\
         if verdict[1] == 1 and KEYS[2] ~= '' then\n\
           return {{1, 0, redis.call('GET', KEYS[2])}}\n\
         end\n\
         return {{verdict[1], verdict[2], false}}\n"
    ))
});

impl RedisStore {
    /// Counts the request against `limit` for `subject` and loads the session of `token`: one
    /// round trip, one command. A limited request gets no session.
    pub async fn gate(
        &self,
        subject: &str,
        limit: RateLimit,
        token: Option<&SessionToken>,
    ) -> Result<(Decision, Option<Session>), StoreError> {
        let rate_key = self.key(&format!("ratelimit:{subject}"));
        let session_key = token.map(|t| self.session_key(&t.id())).unwrap_or_default();
        let (interval_ms, burst) = limit.args();
        let mut invocation = GATE.key(&rate_key);
        invocation.key(&session_key).arg(interval_ms).arg(burst);
        let (allowed, retry_ms, raw): (i64, i64, Option<String>) =
            self.invoke("gate", &invocation).await?;
        let session = raw.map(|raw| serde_json::from_str(&raw)).transpose()?;
        Ok((Decision::from_reply((allowed, retry_ms)), session))
    }
}
