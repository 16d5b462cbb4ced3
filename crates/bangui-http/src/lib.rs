//! bangui's HTTP API: the router of one stateless worker.
//!
//! Everything a request depends on lives in Redis or PostgreSQL ([`AppState`] holds only
//! pools and handles), so any worker can answer any request. See `routes` for the endpoints
//! and `layers` for what every response passes through.
#![forbid(unsafe_code)]

pub mod audit;
pub mod auth;
pub mod error;
pub mod extract;
pub mod layers;
mod password;
pub mod routes;
pub mod settings;
pub mod state;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

pub use error::ApiError;
pub use settings::HttpSettings;
pub use state::AppState;

use crate::layers::REQUEST_ID;

/// The whole application: `/api/v1`, `/metrics`, and JSON answers for everything else.
pub fn router(state: AppState) -> Router {
    let mut app = Router::new()
        .nest("/api/v1", routes::api(&state))
        .route("/metrics", get(routes::metrics::render))
        .fallback(|| async { ApiError::NotFound("not found".into()) })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(middleware::from_fn(layers::track_metrics))
        .layer(DefaultBodyLimit::max(state.settings.body_limit));
    for header in layers::security_headers(state.settings.cookie_secure) {
        app = app.layer(header);
    }
    app.layer(CatchPanicLayer::custom(layers::panic_response))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &axum::http::Request<_>| {
                    let request_id = request.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
                    tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id)
                })
                // One access-log line per request, with status and latency.
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

/// Serves `router(state)` on `listener` until `shutdown` resolves, then stops accepting and
/// lets in-flight requests finish (the caller bounds how long).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
