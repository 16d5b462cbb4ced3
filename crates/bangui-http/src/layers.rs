//! Middleware every response passes through: request ids and tracing, metrics by route
//! pattern, security headers, the setup guard, and a JSON answer for panics.

use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Records `bangui_http_requests_total{method,route,status}` and
/// `bangui_http_request_duration_seconds{method,route}`. Labels use the route *pattern*
/// (`/api/v1/jails/{name}`), never the raw path, so label cardinality stays bounded.
pub async fn track_metrics(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("bangui_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("bangui_http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed());
    response
}

/// Until setup is done, private routes answer 503 `setup_required`.
///
/// A worker that has not yet seen the setup and cannot ask PostgreSQL lets the request through:
/// every private route needs a session, which cannot exist before setup. So a logged-in user
/// keeps working on every worker while PostgreSQL is down.
pub(crate) async fn setup_gate(state: &AppState) -> Result<(), ApiError> {
    match ensure_setup(state).await {
        Err(e) if e.code() != ErrorCode::DatabaseUnavailable => Err(e),
        _ => Ok(()),
    }
}

pub(crate) async fn ensure_setup(state: &AppState) -> Result<(), ApiError> {
    if state.setup_done.load(Ordering::Acquire) {
        return Ok(());
    }
    match state.db.setup().await? {
        Some(_) => {
            state.setup_done.store(true, Ordering::Release);
            Ok(())
        }
        None => Err(ErrorCode::SetupRequired.into()),
    }
}

/// The headers every answer carries.
pub fn security_headers(hsts: bool) -> Vec<SetResponseHeaderLayer<HeaderValue>> {
    let mut headers = vec![
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'",
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=()",
        ),
        (header::CACHE_CONTROL, "no-store"),
    ];
    if hsts {
        headers.push((
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        ));
    }
    headers
        .into_iter()
        .map(|(name, value)| {
            SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
        })
        .collect()
}

/// What a panicking handler answers: a plain 500 JSON, the panic logged with the request id.
pub fn panic_response(payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    ApiError::internal(format!("handler panicked: {message}")).into_response()
}

/// Unknown `/api/v1/...` paths: 503 before setup, 401 without a session, 404 with one.
pub(crate) async fn unknown_api_route(State(state): State<AppState>, request: Request) -> ApiError {
    let (parts, _) = request.into_parts();
    let known = async {
        setup_gate(&state).await?;
        crate::auth::authenticate(&state, &parts).await
    };
    match known.await {
        Ok(_) => ApiError::with_message(
            ErrorCode::NotFound,
            format!("no API route {}", crate::audit::original_path(&parts)),
        ),
        Err(e) => e,
    }
}
