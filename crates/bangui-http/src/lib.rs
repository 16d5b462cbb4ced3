//! bangui's HTTP API: the router of one stateless worker.
//!
//! Everything a request depends on lives in Redis or PostgreSQL ([`AppState`] holds only
//! pools and handles), so any worker can answer any request. See `routes` for the endpoints,
//! `openapi` for their document, `extract` for how requests become domain types, `error` for
//! every error answer and `layers` for what every response passes through.
#![forbid(unsafe_code)]

pub mod audit;
pub mod auth;
pub mod error;
pub mod extract;
pub mod layers;
pub mod openapi;
mod paging;
mod password;
pub mod routes;
pub mod settings;
mod spa;
pub mod state;

use std::net::SocketAddr;

use axum::extract::DefaultBodyLimit;
use axum::{Extension, Router, middleware};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

pub use error::{ApiError, ErrorCode};
pub use routes::document;
pub use settings::HttpSettings;
pub use state::AppState;

use crate::layers::REQUEST_ID;

/// The whole application: `/api/v1`, its document and reference, `/metrics`, and JSON answers
/// for everything else.
pub fn router(state: AppState) -> Router {
    let document = openapi::Document::of(&routes::document());
    // Behind setup and a session. Unknown paths too (the fallback): an anonymous caller learns
    // nothing about which routes exist.
    let private =
        routes::private()
            .split_for_parts()
            .0
            .route_layer(middleware::from_fn_with_state(
                state.clone(),
                auth::require_session,
            ));
    // Setup and login change state too: audited, as anonymous.
    let public = routes::public()
        .split_for_parts()
        .0
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            audit::audit_public,
        ));
    let api = public
        .merge(private)
        .fallback(layers::unknown_api_route)
        .layer(Extension(document));
    let ui = spa::files();
    let mut app = Router::new()
        .nest("/api/v1", api)
        .merge(routes::root().split_for_parts().0)
        .merge(openapi::reference())
        .fallback(move |request| spa::fallback(ui.clone(), request))
        .method_not_allowed_fallback(|| async { ApiError::new(ErrorCode::MethodNotAllowed) })
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
    serve_router(listener, router(state), shutdown).await
}

/// Describes this crate's metrics (HELP and unit) and the process metrics to the installed
/// recorder.
pub fn describe_metrics() {
    metrics_process::Collector::default().describe();
    metrics::describe_counter!(
        "bangui_http_requests_total",
        "HTTP requests answered, by method, route template and status"
    );
    metrics::describe_histogram!(
        "bangui_http_request_duration_seconds",
        metrics::Unit::Seconds,
        "Time to answer an HTTP request (to the first byte of a stream), by method and route template"
    );
    metrics::describe_counter!(
        "bangui_audit_write_failures_total",
        "Audit log entries that could not be written"
    );
    metrics::describe_gauge!(
        "bangui_events_connections",
        "Live event streams (server-sent events) this worker has open"
    );
    metrics::describe_gauge!(
        "bangui_worker_ready",
        "1 while this HTTP worker is ready (Redis and PostgreSQL answer, not shutting down), \
         as /api/v1/health/ready says, read at scrape"
    );
    metrics::describe_counter!(
        "bangui_rate_limit_refusals_total",
        "Requests refused by the cluster-wide rate limits, by kind (login or api)"
    );
    // Present from the start (zero), not from the first occurrence: alerts and dashboards
    // can rate() them.
    metrics::counter!("bangui_audit_write_failures_total").absolute(0);
    metrics::gauge!("bangui_events_connections").set(0.0);
    for kind in ["login", "api"] {
        metrics::counter!("bangui_rate_limit_refusals_total", "kind" => kind).absolute(0);
    }
}

/// Serves only `/metrics` on `listener` (`BANGUI_METRICS_LISTEN`), until `shutdown` resolves.
pub async fn serve_metrics(
    listener: tokio::net::TcpListener,
    scrape: routes::metrics::Scrape,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_router(listener, routes::metrics::only(scrape), shutdown).await
}

async fn serve_router(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
