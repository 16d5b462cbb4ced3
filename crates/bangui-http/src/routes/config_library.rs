//! `/api/v1/config/filters` and `/api/v1/config/actions`: fail2ban's filters and actions,
//! which jails use them and what they hold; filters of bangui's making (`filter.d/<name>.local`)
//! created, edited and deleted, their expressions compiled in fail2ban's dialect first.

use axum::Extension;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bangui_runtime::library::{FilterDraft, Kind, LibraryDetail, LibraryError, LibraryItem};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::config::ConfigSource;
use crate::audit::with_details;
use crate::auth::AuthSession;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(filters, create_filter))
        .routes(routes!(filter, edit_filter, delete_filter))
        .routes(routes!(actions))
        .routes(routes!(action))
}

/// A filter or action.
#[derive(Debug, Serialize, ToSchema)]
pub struct LibraryEntry {
    pub name: String,
    /// Its `.conf`, if it has one.
    pub conf: Option<String>,
    /// Its `.local` override (or, without a `.conf`, the whole of it), if it has one.
    pub local: Option<String>,
    /// The jails that name it, enabled or not.
    pub used_by: Vec<String>,
    /// Those of them fail2ban runs: a change reaches them when they are reloaded.
    pub used_by_running: Vec<String>,
}

impl From<LibraryItem> for LibraryEntry {
    fn from(i: LibraryItem) -> Self {
        Self {
            name: i.name,
            conf: i.conf,
            local: i.local,
            used_by: i.used_by,
            used_by_running: i.used_by_running,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LibraryList {
    pub items: Vec<LibraryEntry>,
}

/// One option as written.
#[derive(Debug, Serialize, ToSchema)]
pub struct LibraryOptionEntry {
    /// `Definition`, `Init`, `INCLUDES`, `DEFAULT`, …
    pub section: String,
    pub name: String,
    /// As written (not interpolated).
    pub value: String,
    pub source: ConfigSource,
}

/// A filter's or action's content.
#[derive(Debug, Serialize, ToSchema)]
pub struct LibraryDetailBody {
    #[serde(flatten)]
    pub entry: LibraryEntry,
    /// The files fail2ban reads for it, in its order.
    pub files: Vec<String>,
    pub options: Vec<LibraryOptionEntry>,
}

impl From<LibraryDetail> for LibraryDetailBody {
    fn from(d: LibraryDetail) -> Self {
        Self {
            entry: d.item.into(),
            files: d.files,
            options: d
                .options
                .into_iter()
                .map(|o| LibraryOptionEntry {
                    section: o.section,
                    name: o.name,
                    value: o.value,
                    source: ConfigSource {
                        file: o.source.file,
                        section: o.source.section,
                        line: o.source.line,
                    },
                })
                .collect(),
        }
    }
}

impl From<LibraryError> for ApiError {
    fn from(e: LibraryError) -> Self {
        let message = e.to_string();
        match e {
            LibraryError::Invalid(_) => Self::with_message(ErrorCode::InvalidArgument, message),
            LibraryError::NotFound { .. } => Self::with_message(ErrorCode::FilterNotFound, message),
            LibraryError::Exists(_) => Self::with_message(ErrorCode::FilterExists, message),
            LibraryError::InUse(_) => Self::with_message(ErrorCode::FilterInUse, message),
            LibraryError::Files(e) => e.into(),
        }
    }
}

/// `GET /config/filters`: every filter of `filter.d`, with the jails that use it.
#[utoipa::path(get, path = "/config/filters", tag = "config", operation_id = "list_filters",
    responses((status = 200, description = "The filters.", body = LibraryList)))]
pub async fn filters(State(state): State<AppState>) -> Result<Json<LibraryList>, ApiError> {
    list(&state, Kind::Filter).await
}

/// `GET /config/actions`: every action of `action.d`, with the jails that use it.
#[utoipa::path(get, path = "/config/actions", tag = "config", operation_id = "list_actions",
    responses((status = 200, description = "The actions.", body = LibraryList)))]
pub async fn actions(State(state): State<AppState>) -> Result<Json<LibraryList>, ApiError> {
    list(&state, Kind::Action).await
}

async fn list(state: &AppState, kind: Kind) -> Result<Json<LibraryList>, ApiError> {
    let items = state.runtime.library(kind).await?;
    Ok(Json(LibraryList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// `GET /config/filters/{name}`: a filter's files and options as written.
#[utoipa::path(get, path = "/config/filters/{name}", tag = "config", operation_id = "get_filter",
    params(("name" = String, Path, description = "The filter.")),
    responses((status = 200, description = "The filter.", body = LibraryDetailBody)),
    extensions(("x-error-codes" = json!(["filter_not_found"]))))]
pub async fn filter(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<LibraryDetailBody>, ApiError> {
    Ok(Json(
        state
            .runtime
            .library_item(Kind::Filter, &name)
            .await?
            .into(),
    ))
}

/// `GET /config/actions/{name}`: an action's files and options as written.
#[utoipa::path(get, path = "/config/actions/{name}", tag = "config", operation_id = "get_action",
    params(("name" = String, Path, description = "The action.")),
    responses((status = 200, description = "The action.", body = LibraryDetailBody)),
    extensions(("x-error-codes" = json!(["filter_not_found"]))))]
pub async fn action(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<LibraryDetailBody>, ApiError> {
    Ok(Json(
        state
            .runtime
            .library_item(Kind::Action, &name)
            .await?
            .into(),
    ))
}

/// The parts of a filter bangui writes to its `[Definition]`; one expression per line.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FilterBody {
    pub failregex: Option<Vec<String>>,
    pub ignoreregex: Option<Vec<String>>,
    pub prefregex: Option<String>,
    pub datepattern: Option<String>,
}

impl From<FilterBody> for FilterDraft {
    fn from(b: FilterBody) -> Self {
        Self {
            failregex: b.failregex,
            ignoreregex: b.ignoreregex,
            prefregex: b.prefregex,
            datepattern: b.datepattern,
        }
    }
}

/// A new filter.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFilter {
    /// Letters, digits, `-`, `_` and `.`, at most 64.
    pub name: String,
    #[serde(flatten)]
    pub filter: FilterBody,
}

/// `POST /config/filters`: creates `filter.d/<name>.local`, its expressions compiled in
/// fail2ban's dialect first.
#[utoipa::path(post, path = "/config/filters", tag = "config", operation_id = "create_filter",
    request_body = NewFilter,
    responses((status = 201, description = "Created.", body = LibraryEntry)),
    extensions(("x-error-codes" = json!(["invalid_argument", "filter_exists", "conflict"]))))]
pub async fn create_filter(
    State(state): State<AppState>,
    Extension(auth): Extension<AuthSession>,
    ApiJson(body): ApiJson<NewFilter>,
) -> Result<Response, ApiError> {
    let draft: FilterDraft = body.filter.into();
    let item = state
        .runtime
        .create_filter(&body.name, &draft, &auth.session.actor())
        .await?;
    let details = serde_json::json!({ "filter": item.name, "file": item.local });
    Ok(with_details(
        (StatusCode::CREATED, Json(LibraryEntry::from(item))).into_response(),
        &details,
    ))
}

/// `PATCH /config/filters/{name}`: sets parts of a filter in its `.local` (created over a
/// stock `.conf` if needed). Jails that use it see the change when they are reloaded.
#[utoipa::path(patch, path = "/config/filters/{name}", tag = "config", operation_id = "edit_filter",
    params(("name" = String, Path, description = "The filter.")),
    request_body = FilterBody,
    responses((status = 200, description = "Changed.", body = LibraryEntry)),
    extensions(("x-error-codes" = json!(["invalid_argument", "filter_not_found", "config_file_not_text", "conflict"]))))]
pub async fn edit_filter(
    State(state): State<AppState>,
    Extension(auth): Extension<AuthSession>,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<FilterBody>,
) -> Result<Response, ApiError> {
    let item = state
        .runtime
        .edit_filter(&name, &body.into(), &auth.session.actor())
        .await?;
    let details = serde_json::json!({ "filter": item.name, "file": item.local });
    Ok(with_details(Json(LibraryEntry::from(item)), &details))
}

/// `DELETE /config/filters/{name}`: deletes the filter's `.local` (never a stock `.conf`),
/// kept as a revision; refused while a jail uses a filter that has nothing else.
#[utoipa::path(delete, path = "/config/filters/{name}", tag = "config", operation_id = "delete_filter",
    params(("name" = String, Path, description = "The filter.")),
    responses((status = 204, description = "Deleted.")),
    extensions(("x-error-codes" = json!(["invalid_argument", "filter_not_found", "filter_in_use", "conflict"]))))]
pub async fn delete_filter(
    State(state): State<AppState>,
    Extension(auth): Extension<AuthSession>,
    ApiPath(name): ApiPath<String>,
) -> Result<Response, ApiError> {
    state
        .runtime
        .delete_filter_local(&name, &auth.session.actor())
        .await?;
    let details = serde_json::json!({ "filter": name });
    Ok(with_details(
        StatusCode::NO_CONTENT.into_response(),
        &details,
    ))
}
