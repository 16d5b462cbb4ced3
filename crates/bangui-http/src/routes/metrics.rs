//! `GET /metrics`: Prometheus text format.

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// `GET /metrics`: this worker's metrics, unless they are served on their own listener
/// (`BANGUI_METRICS_LISTEN`), where this same route answers.
#[utoipa::path(get, path = "/metrics", tag = "operations", operation_id = "metrics",
    responses((status = 200, description = "Prometheus text format.",
        content_type = "text/plain; version=0.0.4", body = String)),
    extensions(("x-error-codes" = json!([ErrorCode::NotFound]))))]
pub async fn render(State(state): State<AppState>) -> Response {
    match &state.metrics {
        Some(handle) => exposition(handle),
        None => ApiError::with_message(
            ErrorCode::NotFound,
            "metrics are served on their own listener (BANGUI_METRICS_LISTEN)",
        )
        .into_response(),
    }
}

fn exposition(handle: &PrometheusHandle) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle.render(),
    )
        .into_response()
}

/// The router of the metrics listener: `/metrics` and nothing else.
pub fn only(handle: PrometheusHandle) -> Router {
    Router::new().route("/metrics", get(move || async move { exposition(&handle) }))
}
