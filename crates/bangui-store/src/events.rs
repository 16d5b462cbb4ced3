//! Live events shared by all workers: a Redis stream.
//!
//! A stream rather than plain pub/sub: every event gets an id, so a browser that reconnects
//! with `Last-Event-ID` is sent exactly what it missed, from whichever worker it reaches. The
//! stream keeps the most recent events only (about [`RETAINED`]).

use std::time::Duration;

use redis::AsyncCommands;
use redis::streams::{StreamRangeReply, StreamReadOptions, StreamReadReply};
use serde::{Deserialize, Serialize};

pub use bangui_core::Event;

use crate::{RedisStore, StoreError, now_ms};

/// Approximate number of events kept for reconnecting clients.
pub const RETAINED: usize = 10_000;

/// An event as stored: its stream id, when, and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredEvent {
    /// Redis stream id, `<ms>-<seq>`: ordered, and what SSE sends as `id:`.
    pub id: String,
    pub at_ms: i64,
    #[serde(flatten)]
    pub event: Event,
}

/// Orders stream ids (`1700000000000-3`).
pub fn parse_id(id: &str) -> Option<(u64, u64)> {
    let (ms, seq) = id.split_once('-')?;
    Some((ms.parse().ok()?, seq.parse().ok()?))
}

impl RedisStore {
    fn events_key(&self) -> String {
        self.key("events")
    }

    /// Appends an event; returns its id.
    pub async fn publish(&self, event: &Event) -> Result<String, StoreError> {
        let payload = serde_json::to_string(&StoredEventBody {
            at_ms: now_ms(),
            event,
        })?;
        let mut cmd = redis::cmd("XADD");
        cmd.arg(self.events_key())
            .arg("MAXLEN")
            .arg("~")
            .arg(RETAINED)
            .arg("*")
            .arg("e")
            .arg(payload);
        self.query("event_publish", &cmd).await
    }

    /// Events after `after` (exclusive), oldest first, at most `count`.
    pub async fn events_after(
        &self,
        after: &str,
        count: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let mut cmd = redis::cmd("XRANGE");
        cmd.arg(self.events_key())
            .arg(format!("({after}"))
            .arg("+")
            .arg("COUNT")
            .arg(count);
        let reply: StreamRangeReply = self.query("event_range", &cmd).await?;
        Ok(reply
            .ids
            .into_iter()
            .filter_map(|entry| decode(&entry.id, entry.map.get("e")))
            .collect())
    }

    /// The id of the newest event, or `0-0` when there is none.
    pub async fn last_event_id(&self) -> Result<String, StoreError> {
        let mut cmd = redis::cmd("XREVRANGE");
        cmd.arg(self.events_key())
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(1);
        let reply: StreamRangeReply = self.query("event_range", &cmd).await?;
        Ok(reply
            .ids
            .first()
            .map_or_else(|| "0-0".to_owned(), |e| e.id.clone()))
    }

    /// A reader with its own connection: blocking reads must not hold up the shared one.
    pub async fn event_reader(&self) -> Result<EventReader, StoreError> {
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(READ_BLOCK + Duration::from_secs(5)));
        let conn = self
            .client()
            .await?
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        Ok(EventReader {
            conn,
            key: self.events_key(),
        })
    }
}

#[derive(Serialize)]
struct StoredEventBody<'a> {
    at_ms: i64,
    #[serde(flatten)]
    event: &'a Event,
}

#[derive(Deserialize)]
struct StoredEventOwned {
    at_ms: i64,
    #[serde(flatten)]
    event: Event,
}

fn decode(id: &str, value: Option<&redis::Value>) -> Option<StoredEvent> {
    let raw: String = redis::from_redis_value_ref(value?).ok()?;
    match serde_json::from_str::<StoredEventOwned>(&raw) {
        Ok(e) => Some(StoredEvent {
            id: id.to_owned(),
            at_ms: e.at_ms,
            event: e.event,
        }),
        Err(err) => {
            // An event of a newer bangui version during a rolling update: skip, do not fail.
            tracing::debug!(%err, id, "skipping an event this version does not know");
            None
        }
    }
}

/// How long one blocking read waits for new events.
pub const READ_BLOCK: Duration = Duration::from_secs(5);

/// Reads new events as they arrive, on a dedicated connection.
pub struct EventReader {
    conn: redis::aio::MultiplexedConnection,
    key: String,
}

impl std::fmt::Debug for EventReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventReader")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl EventReader {
    /// Events after `after`, waiting up to [`READ_BLOCK`] for the first; empty on timeout.
    pub async fn next_batch(&mut self, after: &str) -> Result<Vec<StoredEvent>, StoreError> {
        let options = StreamReadOptions::default()
            .block(READ_BLOCK.as_millis() as usize)
            .count(256);
        let reply: Option<StreamReadReply> = self
            .conn
            .xread_options(&[self.key.as_str()], &[after], &options)
            .await?;
        Ok(reply
            .into_iter()
            .flat_map(|r| r.keys)
            .flat_map(|k| k.ids)
            .filter_map(|entry| decode(&entry.id, entry.map.get("e")))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_order_numerically() {
        assert!(parse_id("1700000000000-10") > parse_id("1700000000000-9"));
        assert!(parse_id("1700000000001-0") > parse_id("1700000000000-99"));
        assert_eq!(parse_id("junk"), None);
        assert_eq!(parse_id("1-x"), None);
    }

    #[test]
    fn events_serialise_with_their_type() {
        let json = serde_json::to_value(StoredEventBody {
            at_ms: 5,
            event: &Event::Ban {
                jail: "sshd".into(),
                ip: "192.0.2.1".into(),
            },
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({ "at_ms": 5, "type": "ban", "jail": "sshd", "ip": "192.0.2.1" })
        );
    }
}
