//! The live events of all workers, fanned out inside one worker.
//!
//! One task per worker reads the Redis event stream on its own connection and hands every
//! event to a broadcast channel; each browser connection subscribes to that channel. A browser
//! that reconnects with `Last-Event-ID` first gets what it missed from the stream itself.

use std::collections::VecDeque;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bangui_store::events::{StoredEvent, parse_id};
use bangui_store::{RedisStore, StoreError};
use tokio::sync::broadcast;

/// Events buffered per subscriber; a slower one catches up from Redis.
const CAPACITY: usize = 1024;
/// At most this many missed events are replayed to a reconnecting browser.
const REPLAY: usize = 1000;

/// The worker's event fan-out. The reader task starts with the first subscriber.
#[derive(Debug)]
pub struct EventHub {
    redis: RedisStore,
    sender: broadcast::Sender<Arc<StoredEvent>>,
    started: OnceLock<()>,
}

impl EventHub {
    pub(crate) fn new(redis: RedisStore) -> Self {
        Self {
            redis,
            sender: broadcast::channel(CAPACITY).0,
            started: OnceLock::new(),
        }
    }

    /// Every event published by any worker from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<StoredEvent>> {
        let receiver = self.sender.subscribe();
        self.started.get_or_init(|| {
            tokio::spawn(read_forever(self.redis.clone(), self.sender.clone()));
        });
        receiver
    }

    /// Every event after `last` (a stream id: what a reconnecting browser saw last; without one,
    /// the stream's current end), then every live one, each exactly once. Missed events come
    /// from the shared stream, so it does not matter which worker the browser reaches.
    pub async fn follow(&self, last: Option<&str>) -> Result<EventFollower, StoreError> {
        let last = match last.filter(|id| parse_id(id).is_some()) {
            Some(id) => id.to_owned(),
            None => self.redis.last_event_id().await?,
        };
        // Subscribe before replaying, so nothing falls between the two; ids remove the overlap.
        let receiver = self.subscribe();
        let pending = self
            .redis
            .events_after(&last, REPLAY)
            .await?
            .into_iter()
            .map(Arc::new)
            .collect();
        Ok(EventFollower {
            redis: self.redis.clone(),
            receiver,
            pending,
            cursor: last,
        })
    }
}

/// One browser's view of the events: see [`EventHub::follow`].
#[derive(Debug)]
pub struct EventFollower {
    redis: RedisStore,
    receiver: broadcast::Receiver<Arc<StoredEvent>>,
    pending: VecDeque<Arc<StoredEvent>>,
    /// Id of the last event handed out, or of the stream's end when following began.
    cursor: String,
}

impl EventFollower {
    /// Where this follower stands: a browser that resumes from here (`Last-Event-ID`) misses
    /// nothing, even if its connection drops before the first event.
    pub fn position(&self) -> &str {
        &self.cursor
    }

    /// The next event newer than the last one handed out; `None` ends the stream.
    pub async fn next(&mut self) -> Option<Arc<StoredEvent>> {
        loop {
            let event = match self.pending.pop_front() {
                Some(e) => e,
                None => match self.receiver.recv().await {
                    Ok(e) => e,
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        // Too slow for the worker's buffer: catch up from Redis.
                        match self.redis.events_after(&self.cursor, REPLAY).await {
                            Ok(events) => self.pending.extend(events.into_iter().map(Arc::new)),
                            Err(e) => tracing::warn!(error = %e, "live events: cannot catch up"),
                        }
                        continue;
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
            };
            if parse_id(&event.id) > parse_id(&self.cursor) {
                self.cursor.clone_from(&event.id);
                return Some(event);
            }
        }
    }
}

/// Follows the stream from its current end; reconnects after errors without losing events
/// (it resumes after the last id it saw).
async fn read_forever(redis: RedisStore, sender: broadcast::Sender<Arc<StoredEvent>>) {
    let mut last: Option<String> = None;
    let mut backoff = Duration::from_millis(100);
    loop {
        let Err(e) = follow(&redis, &sender, &mut last, &mut backoff).await;
        tracing::warn!(error = %e, "live event reader lost Redis; retrying");
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

async fn follow(
    redis: &RedisStore,
    sender: &broadcast::Sender<Arc<StoredEvent>>,
    last: &mut Option<String>,
    backoff: &mut Duration,
) -> Result<std::convert::Infallible, bangui_store::StoreError> {
    let mut reader = redis.event_reader().await?;
    let mut after = match last.clone() {
        Some(id) => id,
        None => redis.last_event_id().await?,
    };
    *backoff = Duration::from_millis(100);
    loop {
        for event in reader.next_batch(&after).await? {
            after.clone_from(&event.id);
            *last = Some(event.id.clone());
            // No receivers is fine: nobody is watching right now.
            let _ = sender.send(Arc::new(event));
        }
        *last = Some(after.clone());
    }
}
