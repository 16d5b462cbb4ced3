//! `GET /api/v1/events`: live events (server-sent events) from every worker.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use bangui_store::RedisStore;
use bangui_store::events::{StoredEvent, parse_id};
use futures_util::Stream;
use tokio::sync::broadcast;

use crate::error::ApiError;
use crate::state::AppState;

/// At most this many missed events are replayed to a reconnecting browser.
const REPLAY: usize = 1000;

/// Streams ban, unban, jail and fail2ban online/offline events. A browser reconnecting with
/// `Last-Event-ID` first gets what it missed (from the shared Redis stream, so it does not
/// matter which worker it reaches), then live events, each exactly once.
pub async fn stream(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .filter(|id| parse_id(id).is_some())
        .map(str::to_owned);
    // Subscribe before replaying, so nothing falls between the two; ids remove the overlap.
    let receiver = state.runtime.events().subscribe();
    let pending = match &last {
        Some(id) => state
            .redis
            .events_after(id, REPLAY)
            .await?
            .into_iter()
            .map(Arc::new)
            .collect(),
        None => VecDeque::new(),
    };
    let follower = Follower {
        redis: state.redis.clone(),
        receiver,
        pending,
        cursor: last,
    };
    let stream = futures_util::stream::unfold(follower, |mut f| async move {
        let event = f.next().await?;
        Some((Ok(to_sse(&event)), f))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

struct Follower {
    redis: RedisStore,
    receiver: broadcast::Receiver<Arc<StoredEvent>>,
    pending: VecDeque<Arc<StoredEvent>>,
    /// Id of the last event sent.
    cursor: Option<String>,
}

impl Follower {
    /// The next event newer than the cursor; `None` ends the stream.
    async fn next(&mut self) -> Option<Arc<StoredEvent>> {
        loop {
            let event = match self.pending.pop_front() {
                Some(e) => e,
                None => match self.receiver.recv().await {
                    Ok(e) => e,
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        // Too slow for the worker's buffer: catch up from Redis.
                        let after = self.cursor.clone().unwrap_or_else(|| "0-0".to_owned());
                        match self.redis.events_after(&after, REPLAY).await {
                            Ok(events) => self.pending.extend(events.into_iter().map(Arc::new)),
                            Err(e) => tracing::warn!(error = %e, "live events: cannot catch up"),
                        }
                        continue;
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
            };
            let newer = match &self.cursor {
                Some(c) => parse_id(&event.id) > parse_id(c),
                None => true,
            };
            if newer {
                self.cursor = Some(event.id.clone());
                return Some(event);
            }
        }
    }
}

fn to_sse(event: &StoredEvent) -> SseEvent {
    let kind = serde_json::to_value(&event.event)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "event".to_owned());
    SseEvent::default()
        .id(event.id.clone())
        .event(kind)
        .data(serde_json::to_string(event).unwrap_or_default())
}
