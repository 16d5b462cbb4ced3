//! The routes: one module per resource, each route a handler with its named request and
//! answer types and its `#[utoipa::path]`, assembled here into the public and the private
//! routers and the OpenAPI document.
//!
//! Handlers parse nothing (the extractors hand them domain types), call one operation of the
//! runtime, the job queue or a store, and shape its answer; they do not talk to fail2ban
//! themselves, nor chain steps of a business operation.

pub mod audit;
pub mod auth;
pub mod bans;
pub mod blocklists;
pub mod config;
pub mod config_files;
pub mod config_library;
pub mod dashboard;
pub mod events;
pub mod geo;
pub mod health;
pub mod history;
pub mod jails;
pub mod jobs;
pub mod metrics;
pub mod server;
pub mod setup;

use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::openapi;
use crate::state::AppState;

/// The routes under `/api/v1` anyone may call.
pub(crate) fn public() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health::live))
        .routes(routes!(health::ready))
        .routes(routes!(setup::status, setup::complete))
        .routes(routes!(auth::login))
        .routes(routes!(openapi::serve_document))
}

/// The routes under `/api/v1` that need a session.
pub(crate) fn private() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(auth::session))
        .routes(routes!(auth::logout))
        .routes(routes!(dashboard::status))
        .routes(routes!(dashboard::bans))
        .routes(routes!(dashboard::trend))
        .routes(routes!(dashboard::by_country))
        .routes(routes!(dashboard::by_jail))
        .routes(routes!(dashboard::top_addresses))
        .routes(routes!(jails::list))
        .routes(routes!(jails::reload_all))
        .routes(routes!(jails::detail))
        .routes(routes!(jails::banned))
        .routes(routes!(jails::start))
        .routes(routes!(jails::stop))
        .routes(routes!(jails::reload))
        .routes(routes!(jails::idle))
        .routes(routes!(
            jails::ignore_list,
            jails::add_ignore,
            jails::remove_ignore
        ))
        .routes(routes!(jails::ignore_self))
        .routes(routes!(bans::ban, bans::unban))
        .routes(routes!(bans::unban_all))
        .routes(routes!(bans::active))
        .routes(routes!(bans::lookup))
        .routes(routes!(events::stream))
        .routes(routes!(audit::list))
        .routes(routes!(jobs::get))
        .routes(routes!(history::list))
        .routes(routes!(history::sync))
        .routes(routes!(history::address))
        .routes(routes!(geo::re_resolve))
        .routes(routes!(geo::get))
        .routes(routes!(blocklists::list, blocklists::create))
        .routes(routes!(blocklists::import_all))
        .routes(routes!(blocklists::runs))
        .routes(routes!(blocklists::schedule, blocklists::set_schedule))
        .routes(routes!(
            blocklists::get,
            blocklists::update,
            blocklists::delete
        ))
        .routes(routes!(blocklists::set_enabled))
        .routes(routes!(blocklists::preview))
        .routes(routes!(blocklists::import_one))
        .routes(routes!(config::jails))
        .routes(routes!(config::activate))
        .routes(routes!(config::edit))
        .routes(routes!(config::deactivate))
        .routes(routes!(config::add_log_path, config::remove_log_path))
        .routes(routes!(config::validate))
        .merge(config_files::router())
        .merge(config_library::router())
        .routes(routes!(server::get, server::set))
        .routes(routes!(server::flush))
        .routes(routes!(server::log))
}

/// The routes outside `/api/v1`.
pub(crate) fn root() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(metrics::render))
}

/// The OpenAPI document of every route.
pub fn document() -> OpenApi {
    openapi::document(
        public().into_openapi(),
        private().into_openapi(),
        root().into_openapi(),
    )
}
