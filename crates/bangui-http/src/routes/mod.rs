//! The router: one module per resource, assembled here with the layers that guard them.

pub mod auth;
pub mod dashboard;
pub mod health;
pub mod metrics;
pub mod setup;

use axum::extract::{Request, State};
use axum::routing::{get, post};
use axum::{Router, middleware};

use crate::error::ApiError;
use crate::state::AppState;

/// Everything under `/api/v1`.
pub fn api(state: &AppState) -> Router<AppState> {
    // Behind setup and a session. Unknown paths too (the fallback): an anonymous caller learns
    // nothing about which routes exist.
    let protected = Router::new()
        .route("/auth/session", get(auth::session))
        .route("/auth/logout", post(auth::logout))
        .route("/dashboard/status", get(dashboard::status))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            crate::auth::require_session,
        ));

    Router::new()
        .route("/health/live", get(health::live))
        .route("/health/ready", get(health::ready))
        .route("/setup", get(setup::status).post(setup::complete))
        // Needs the setup itself, and reports its absence.
        .route("/auth/login", post(auth::login))
        .merge(protected)
        .fallback(unknown_api_route)
}

/// Unknown `/api/v1/...` paths: 503 before setup, 401 without a session, 404 with one.
async fn unknown_api_route(State(state): State<AppState>, request: Request) -> ApiError {
    let (parts, _) = request.into_parts();
    let known = async {
        crate::layers::setup_gate(&state).await?;
        crate::auth::authenticate(&state, &parts).await
    };
    match known.await {
        Ok(_) => ApiError::NotFound(format!("no API route {}", parts.uri.path())),
        Err(e) => e,
    }
}
