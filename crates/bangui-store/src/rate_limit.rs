//! Rate limits shared by every worker: GCRA in one Lua script, on the Redis clock.
//!
//! The script stores one number per key, the "theoretical arrival time" of the next request,
//! and reads the time from Redis itself, so workers with skewed clocks agree and N workers do
//! not multiply the limit by N.

use std::sync::LazyLock;
use std::time::Duration;

use crate::{RedisStore, StoreError};

/// GCRA over `KEYS[1]` with `ARGV[1]` = emission interval in ms, `ARGV[2]` = burst; evaluates
/// to `{allowed, retry_after_ms}`. A function body, shared with the gate script.
pub(crate) const GCRA_BODY: &str = r"
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local interval = tonumber(ARGV[1])
local tolerance = interval * tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
if new_tat - tolerance > now then
  return {0, new_tat - tolerance - now}
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil(new_tat - now))
return {1, 0}
";

static GCRA: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(GCRA_BODY));

/// At most `burst` requests at once, refilled at one per `interval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub burst: u32,
    pub interval: Duration,
}

impl RateLimit {
    /// `n` requests per `period`, all of them allowed back to back.
    pub fn per(n: u32, period: Duration) -> Self {
        let n = n.max(1);
        Self {
            burst: n,
            interval: period / n,
        }
    }

    pub(crate) fn args(self) -> (u64, u32) {
        (self.interval.as_millis().max(1) as u64, self.burst)
    }
}

/// The verdict for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// Refused; the next request would be allowed after this long.
    Limited {
        retry_after: Duration,
    },
}

impl Decision {
    pub(crate) fn from_reply((allowed, retry_ms): (i64, i64)) -> Self {
        if allowed == 1 {
            Self::Allowed
        } else {
            Self::Limited {
                retry_after: Duration::from_millis(retry_ms.max(1) as u64),
            }
        }
    }
}

impl RedisStore {
    /// Counts one request against `limit` for `subject` (for example `login:203.0.113.9`).
    pub async fn check_rate(
        &self,
        subject: &str,
        limit: RateLimit,
    ) -> Result<Decision, StoreError> {
        let key = self.key(&format!("ratelimit:{subject}"));
        let (interval_ms, burst) = limit.args();
        let mut invocation = GCRA.key(&key);
        invocation.arg(interval_ms).arg(burst);
        let reply: (i64, i64) = self.invoke("rate_limit", &invocation).await?;
        Ok(Decision::from_reply(reply))
    }
}
