//! The audit trail of state-changing calls: who (the session's id, never its token), when,
//! what, from which address, with which result.

use std::net::IpAddr;

use axum::http::Method;
use axum::response::{IntoResponse, Response};
use bangui_store::audit::AuditRecord;
use serde::Serialize;
use serde_json::Value;

use crate::error::ErrorCode;
use crate::state::AppState;

/// What a handler did, attached to its response for the audit trail.
#[derive(Debug, Clone)]
pub struct AuditDetails(pub Value);

/// `response` with the audit details of the call: what it did, as an object.
pub fn with_details(response: impl IntoResponse, details: &impl Serialize) -> Response {
    let mut response = response.into_response();
    let details = serde_json::to_value(details).unwrap_or_default();
    response.extensions_mut().insert(AuditDetails(details));
    response
}

pub fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The path as the client sent it (nested routers see it without their prefix).
pub fn original_path(parts: &axum::http::request::Parts) -> String {
    parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map_or(parts.uri.path(), |u| u.path())
        .to_owned()
}

/// The route pattern (`/api/v1/jails/{name}`), or the path when no route matched.
pub fn route_of(parts: &axum::http::request::Parts) -> String {
    parts
        .extensions
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| original_path(parts), |p| p.as_str().to_owned())
}

/// The parts of a finished call's response the audit trail keeps: status, details, error code.
pub fn outcome(response: &Response) -> (u16, Value, Option<String>) {
    (
        response.status().as_u16(),
        response
            .extensions()
            .get::<AuditDetails>()
            .map_or_else(|| Value::Object(Default::default()), |d| d.0.clone()),
        response
            .extensions()
            .get::<ErrorCode>()
            .map(|c| c.as_str().to_owned()),
    )
}

/// Writes one entry for a finished call. The call already took effect, so a failure to write
/// is logged loudly rather than turned into an error for the caller.
pub async fn record(state: &AppState, record: AuditRecord) {
    if let Err(e) = state.db.record_audit(&record).await {
        tracing::error!(error = %e, ?record, "could not write the audit trail");
        metrics::counter!("bangui_audit_write_failures_total").increment(1);
    }
}

/// An entry for a call described by its parts.
pub fn entry(
    actor: String,
    client: IpAddr,
    method: &Method,
    route: &str,
    path: &str,
    response: &Response,
) -> AuditRecord {
    let (status, details, error_code) = outcome(response);
    AuditRecord {
        actor,
        client: Some(client),
        method: method.as_str().to_owned(),
        route: route.to_owned(),
        path: path.to_owned(),
        details,
        status,
        error_code,
    }
}

/// Middleware for the public state-changing routes (setup, login): they are audited too, with
/// the actor `anonymous` (a login's details name the session it started).
pub async fn audit_public(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let client = crate::extract::client_addr(&parts, &state.settings.trusted_proxies);
    let (route, path, method) = (
        route_of(&parts),
        original_path(&parts),
        parts.method.clone(),
    );
    let response = next
        .run(axum::extract::Request::from_parts(parts, body))
        .await;
    if is_state_changing(&method) {
        let entry = entry(
            "anonymous".to_owned(),
            client,
            &method,
            &route,
            &path,
            &response,
        );
        record(&state, entry).await;
    }
    response
}
