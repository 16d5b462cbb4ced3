//! `GET /api/v1/events`: live events (server-sent events) from every worker.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use bangui_core::Event;
use bangui_store::events::StoredEvent;
use futures_util::{Stream, StreamExt};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::state::AppState;

/// How long a browser waits before reconnecting a dropped stream.
const RECONNECT: Duration = Duration::from_secs(1);

/// One live event: the `data` of a server-sent event whose `event` is its `type` and whose
/// `id` is its `id`.
#[derive(Debug, Serialize, ToSchema)]
pub struct LiveEvent {
    /// Ordered stream id (`<ms>-<seq>`); send it back as `Last-Event-ID` to resume.
    pub id: String,
    /// When it happened, in milliseconds since the Unix epoch.
    pub at_ms: i64,
    #[serde(flatten)]
    pub event: Event,
}

/// `GET /events`: ban, unban, jail and fail2ban online/offline events. A browser reconnecting
/// with `Last-Event-ID` first gets what it missed (from the shared Redis stream, so it does not
/// matter which worker it reaches), then live events, each exactly once. The stream opens with
/// a message that carries only an `id` (and `retry`): where to resume from if it drops before
/// its first event.
#[utoipa::path(get, path = "/events", tag = "events", operation_id = "events",
    params(("last-event-id" = Option<String>, Header,
        description = "The id of the last event seen: what came after it is sent first.")),
    responses((status = 200, description = "A stream of server-sent events.",
        content_type = "text/event-stream", body = LiveEvent)))]
pub async fn stream(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let last = headers.get("last-event-id").and_then(|v| v.to_str().ok());
    let follower = state.runtime.events().follow(last).await?;
    // First a message with only an id (browsers take it as their Last-Event-ID without
    // dispatching anything): a stream that drops before its first event still resumes where
    // it began. And a quicker reconnect than the browser's default 3 s.
    let start = SseEvent::default().id(follower.position()).retry(RECONNECT);
    // The guard lives as long as the stream: until the client goes or the worker stops.
    let open = OpenStream::new();
    let events = futures_util::stream::unfold((follower, open), |(mut f, open)| async move {
        let event = f.next().await?;
        Some((Ok(to_sse(&event)), (f, open)))
    });
    let stream = futures_util::stream::once(std::future::ready(Ok(start))).chain(events);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// One open event stream, counted in `bangui_events_connections` while it lives.
struct OpenStream;

impl OpenStream {
    fn new() -> Self {
        metrics::gauge!("bangui_events_connections").increment(1.0);
        Self
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        metrics::gauge!("bangui_events_connections").decrement(1.0);
    }
}

fn to_sse(stored: &StoredEvent) -> SseEvent {
    let event = LiveEvent {
        id: stored.id.clone(),
        at_ms: stored.at_ms,
        event: stored.event.clone(),
    };
    let kind = serde_json::to_value(&event.event)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "event".to_owned());
    SseEvent::default()
        .id(event.id.clone())
        .event(kind)
        .data(serde_json::to_string(&event).unwrap_or_default())
}
