//! The router: one module per resource, assembled here with the layers that guard them.

pub mod audit;
pub mod auth;
pub mod bans;
pub mod blocklists;
pub mod dashboard;
pub mod events;
pub mod geo;
pub mod health;
pub mod history;
pub mod jails;
pub mod jobs;
pub mod metrics;
pub mod setup;

use axum::extract::{Request, State};
use axum::routing::{delete, get, post};
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
        .route("/jails", get(jails::list))
        .route("/jails/reload", post(jails::reload_all))
        .route("/jails/{name}", get(jails::detail))
        .route("/jails/{name}/banned", get(jails::banned))
        .route("/jails/{name}/start", post(jails::start))
        .route("/jails/{name}/stop", post(jails::stop))
        .route("/jails/{name}/reload", post(jails::reload))
        .route("/jails/{name}/idle", post(jails::idle))
        .route(
            "/jails/{name}/ignoreip",
            get(jails::ignore_list)
                .post(jails::add_ignore)
                .delete(jails::remove_ignore),
        )
        .route("/jails/{name}/ignoreself", post(jails::ignore_self))
        .route("/bans", post(bans::ban).delete(bans::unban))
        .route("/bans/all", delete(bans::unban_all))
        .route("/bans/active", get(bans::active))
        .route("/bans/lookup", get(bans::lookup))
        .route("/events", get(events::stream))
        .route("/audit", get(audit::list))
        .route("/jobs/{id}", get(jobs::get))
        .route("/history", get(history::list))
        .route("/history/sync", post(history::sync))
        .route("/geo/re-resolve", post(geo::re_resolve))
        .route("/geo/{ip}", get(geo::get))
        .route(
            "/blocklists",
            get(blocklists::list).post(blocklists::create),
        )
        .route("/blocklists/import", post(blocklists::import_all))
        .route("/blocklists/runs", get(blocklists::runs))
        .route(
            "/blocklists/schedule",
            get(blocklists::schedule).put(blocklists::set_schedule),
        )
        .route(
            "/blocklists/{id}",
            get(blocklists::get)
                .put(blocklists::update)
                .delete(blocklists::delete),
        )
        .route("/blocklists/{id}/enabled", post(blocklists::set_enabled))
        .route("/blocklists/{id}/preview", post(blocklists::preview))
        .route("/blocklists/{id}/import", post(blocklists::import_one))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            crate::auth::require_session,
        ));

    Router::new()
        .route("/health/live", get(health::live))
        .route("/health/ready", get(health::ready))
        .merge(
            Router::new()
                .route("/setup", get(setup::status).post(setup::complete))
                // Needs the setup itself, and reports its absence.
                .route("/auth/login", post(auth::login))
                .route_layer(middleware::from_fn_with_state(
                    state.clone(),
                    crate::audit::audit_public,
                )),
        )
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
