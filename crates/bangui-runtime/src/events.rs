//! The live events of all workers, fanned out inside one worker.
//!
//! One task per worker reads the Redis event stream on its own connection and hands every
//! event to a broadcast channel; each browser connection subscribes to that channel. A browser
//! that reconnects with `Last-Event-ID` first gets what it missed from the stream itself.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bangui_store::RedisStore;
use bangui_store::events::StoredEvent;
use tokio::sync::broadcast;

/// Events buffered per subscriber; a slower one catches up from Redis.
const CAPACITY: usize = 1024;

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
