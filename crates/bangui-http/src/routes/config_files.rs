//! `/api/v1/config/files/*`: the raw `.conf` and `.local` files of `jail.d`, `filter.d` and
//! `action.d`. Reading answers an `ETag`; every change must send it back as `If-Match`, so that
//! two users on two workers cannot overwrite each other unknowingly (409 with the current
//! version); every change is kept as a revision that can be reverted.

use axum::Extension;
use axum::Json;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bangui_runtime::config_files::{
    ConfigFile, ConfigFileInfo, ConfigPath, FileChangeError, MAX_FILE_BYTES,
};
use bangui_store::config_revisions::Revision;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::with_details;
use crate::auth::AuthSession;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;

/// The file routes, with a body limit that fits a 512 KB file written as JSON.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, save))
        .routes(routes!(set_enabled))
        .routes(routes!(revisions))
        .routes(routes!(revision))
        .routes(routes!(revert))
        // JSON may spell a byte as six (`\u0000`).
        .layer(DefaultBodyLimit::max(MAX_FILE_BYTES * 6 + 4096))
}

/// A file as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfigFileEntry {
    /// `dir/name`, relative to fail2ban's configuration directory.
    pub path: String,
    pub dir: String,
    pub name: String,
    /// fail2ban reads it (its name does not end in `.disabled`).
    pub enabled: bool,
    pub size: u64,
    pub modified_ms: i64,
}

/// Every editable file, enabled and disabled.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfigFileList {
    pub items: Vec<ConfigFileEntry>,
    /// The largest content a write takes, in bytes.
    pub max_bytes: usize,
}

/// A file's content and version.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfigFileBody {
    pub path: String,
    pub dir: String,
    pub name: String,
    pub enabled: bool,
    pub content: String,
    /// Send it back as `If-Match` to change the file.
    pub etag: String,
}

/// `dir` and `name` of a file in the path (documentation; [`FilePath`] reads them).
#[derive(Debug, Deserialize, IntoParams)]
#[allow(dead_code)]
#[into_params(parameter_in = Path)]
pub struct FileParams {
    /// `jail.d`, `filter.d` or `action.d`.
    pub dir: String,
    /// A `.conf` or `.local` file (or `.disabled`).
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConfigFile {
    pub dir: String,
    pub name: String,
    pub content: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileContent {
    pub content: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileEnabled {
    pub enabled: bool,
}

/// One change of a file.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionSummary {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub path: String,
    pub previous_path: Option<String>,
    /// Who (a session, as in the audit trail).
    pub actor: String,
    /// `create`, `edit`, `enable`, `disable`, `revert`, `delete`; for jails `activate`,
    /// `deactivate`, `rollback`, `recovery`.
    pub action: String,
}

/// One change with the content before and after it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionDetail {
    #[serde(flatten)]
    pub summary: RevisionSummary,
    /// `null` when the change created the file.
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionList {
    pub items: Vec<RevisionSummary>,
}

/// The `{dir}/{name}` of a file route, checked to be a file bangui may touch.
#[derive(Debug)]
pub struct FilePath(pub ConfigPath);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for FilePath {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let params = axum::extract::RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::with_message(ErrorCode::BadRequest, e.body_text()))?;
        let param = |key: &str| params.iter().find(|(k, _)| *k == key).map(|(_, v)| v);
        let (Some(dir), Some(name)) = (param("dir"), param("name")) else {
            return Err(ApiError::internal("a file route without {dir}/{name}"));
        };
        config_path(dir, name).map(Self)
    }
}

fn config_path(dir: &str, name: &str) -> Result<ConfigPath, ApiError> {
    ConfigPath::parse(dir, name)
        .ok_or_else(|| ApiError::with_message(ErrorCode::InvalidConfigPath, ConfigPath::RULES))
}

fn entry(info: ConfigFileInfo) -> ConfigFileEntry {
    ConfigFileEntry {
        path: info.path.path(),
        dir: info.path.dir().to_owned(),
        name: info.path.name().to_owned(),
        enabled: info.path.enabled(),
        size: info.size,
        modified_ms: info.modified_ms,
    }
}

fn body(file: ConfigFile) -> ConfigFileBody {
    ConfigFileBody {
        path: file.path.path(),
        dir: file.path.dir().to_owned(),
        name: file.path.name().to_owned(),
        enabled: file.path.enabled(),
        content: file.content,
        etag: file.etag,
    }
}

/// The file as JSON with its `ETag` header.
fn with_etag(status: StatusCode, file: ConfigFile) -> Response {
    let tag = HeaderValue::from_str(&format!("\"{}\"", file.etag)).ok();
    let mut response = (status, Json(body(file))).into_response();
    if let Some(tag) = tag {
        response.headers_mut().insert(header::ETAG, tag);
    }
    response
}

fn if_match(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok())
}

impl From<FileChangeError> for ApiError {
    fn from(e: FileChangeError) -> Self {
        let message = e.to_string();
        match e {
            FileChangeError::NotFound(_) => {
                Self::with_message(ErrorCode::ConfigFileNotFound, message)
            }
            FileChangeError::Exists(_) => Self::with_message(ErrorCode::ConfigFileExists, message),
            FileChangeError::Changed { current } => {
                Self::with_message(ErrorCode::ConfigFileChanged, message)
                    .detail("current_etag", current.etag)
                    .detail("current_content", current.content)
            }
            FileChangeError::PreconditionRequired => {
                Self::with_message(ErrorCode::PreconditionRequired, message)
            }
            FileChangeError::TooLarge(size) => {
                Self::with_message(ErrorCode::PayloadTooLarge, message)
                    .detail("size", size)
                    .detail("max_bytes", MAX_FILE_BYTES)
            }
            FileChangeError::NotText(_) => {
                Self::with_message(ErrorCode::ConfigFileNotText, message)
            }
            FileChangeError::NotRevertible(..) => Self::with_message(ErrorCode::Conflict, message),
            FileChangeError::Busy => Self::with_message(ErrorCode::Conflict, message),
            FileChangeError::Unparsable(_) => {
                Self::with_message(ErrorCode::ConfigFileInvalid, message)
            }
            FileChangeError::RunsCommands(_) => {
                Self::with_message(ErrorCode::ConfigRunsCommands, message)
            }
            FileChangeError::Runtime(e) => e.into(),
        }
    }
}

const FILE_ERRORS: &[&str] = &[
    "invalid_config_path",
    "config_file_not_found",
    "config_file_not_text",
    "fail2ban_config_unreadable",
];

/// `GET /config/files`: every editable file of `jail.d`, `filter.d` and `action.d`.
#[utoipa::path(get, path = "/config/files", tag = "config", operation_id = "list_config_files",
    responses((status = 200, description = "The files.", body = ConfigFileList)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<ConfigFileList>, ApiError> {
    let files = state.runtime.config_files().await?;
    Ok(Json(ConfigFileList {
        items: files.into_iter().map(entry).collect(),
        max_bytes: MAX_FILE_BYTES,
    }))
}

/// `POST /config/files`: creates a file that does not exist yet.
#[utoipa::path(post, path = "/config/files", tag = "config", operation_id = "create_config_file",
    request_body = NewConfigFile,
    responses((status = 201, description = "Created; `ETag` is its version.", body = ConfigFileBody)),
    extensions(("x-error-codes" = json!(["invalid_config_path", "config_file_exists", "payload_too_large", "config_file_invalid", "config_runs_commands", "conflict"]))))]
pub async fn create(
    State(state): State<AppState>,
    Extension(auth): Extension<AuthSession>,
    ApiJson(new): ApiJson<NewConfigFile>,
) -> Result<Response, ApiError> {
    let path = config_path(&new.dir, &new.name)?;
    let file = state
        .runtime
        .create_config_file(&path, &new.content, &auth.session.actor())
        .await?;
    let details = serde_json::json!({ "path": path.path(), "etag": file.etag });
    Ok(with_details(with_etag(StatusCode::CREATED, file), &details))
}

/// `GET /config/files/{dir}/{name}`: a file's content; `ETag` is its version.
#[utoipa::path(get, path = "/config/files/{dir}/{name}", tag = "config", operation_id = "get_config_file",
    params(FileParams),
    responses((status = 200, description = "The file.", body = ConfigFileBody)),
    extensions(("x-error-codes" = json!(FILE_ERRORS))))]
pub async fn get(
    State(state): State<AppState>,
    FilePath(path): FilePath,
) -> Result<Response, ApiError> {
    let file = state.runtime.config_file(&path).await?;
    Ok(with_etag(StatusCode::OK, file))
}

/// `PUT /config/files/{dir}/{name}`: replaces a file's content. `If-Match` must name the
/// version the change was made on; a file changed since answers 409 with its current version.
#[utoipa::path(put, path = "/config/files/{dir}/{name}", tag = "config", operation_id = "save_config_file",
    params(FileParams, ("If-Match" = String, Header, description = "The ETag of the version edited.")),
    request_body = FileContent,
    responses((status = 200, description = "Saved; `ETag` is the new version.", body = ConfigFileBody)),
    extensions(("x-error-codes" = json!(["invalid_config_path", "config_file_not_found", "config_file_changed", "precondition_required", "payload_too_large", "config_file_invalid", "config_runs_commands", "conflict"]))))]
pub async fn save(
    State(state): State<AppState>,
    Extension(auth): Extension<AuthSession>,
    FilePath(path): FilePath,
    headers: HeaderMap,
    ApiJson(change): ApiJson<FileContent>,
) -> Result<Response, ApiError> {
    let file = state
        .runtime
        .save_config_file(
            &path,
            &change.content,
            if_match(&headers),
            &auth.session.actor(),
        )
        .await?;
    let details = serde_json::json!({ "path": path.path(), "etag": file.etag });
    Ok(with_details(with_etag(StatusCode::OK, file), &details))
}

/// `PUT /config/files/{dir}/{name}/enabled`: enables or disables a file (fail2ban reads only
/// `.conf` and `.local`: a disabled file's name ends in `.disabled`). Answers the file under
/// its new name.
#[utoipa::path(put, path = "/config/files/{dir}/{name}/enabled", tag = "config", operation_id = "set_config_file_enabled",
    params(FileParams, ("If-Match" = String, Header, description = "The ETag of the version seen.")),
    request_body = FileEnabled,
    responses((status = 200, description = "The file under its new name.", body = ConfigFileBody)),
    extensions(("x-error-codes" = json!(["invalid_config_path", "config_file_not_found", "config_file_changed", "config_file_exists", "precondition_required", "config_file_invalid", "config_runs_commands", "conflict"]))))]
pub async fn set_enabled(
    State(state): State<AppState>,
    Extension(auth): Extension<AuthSession>,
    FilePath(path): FilePath,
    headers: HeaderMap,
    ApiJson(change): ApiJson<FileEnabled>,
) -> Result<Response, ApiError> {
    let file = state
        .runtime
        .set_config_file_enabled(
            &path,
            change.enabled,
            if_match(&headers),
            &auth.session.actor(),
        )
        .await?;
    let details = serde_json::json!({ "path": path.path(), "now": file.path.path() });
    Ok(with_details(with_etag(StatusCode::OK, file), &details))
}

fn revision_id(text: &str) -> Result<i64, ApiError> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::new(ErrorCode::InvalidId).detail("field", "id"))
}

fn summary(r: &Revision) -> RevisionSummary {
    RevisionSummary {
        id: r.id,
        at: r.at,
        path: r.path.clone(),
        previous_path: r.previous_path.clone(),
        actor: r.actor.clone(),
        action: r.action.clone(),
    }
}

/// `GET /config/files/{dir}/{name}/revisions`: the changes bangui made to a file, newest first.
#[utoipa::path(get, path = "/config/files/{dir}/{name}/revisions", tag = "config", operation_id = "list_config_file_revisions",
    params(FileParams),
    responses((status = 200, description = "Its revisions.", body = RevisionList)),
    extensions(("x-error-codes" = json!(["invalid_config_path"]))))]
pub async fn revisions(
    State(state): State<AppState>,
    FilePath(path): FilePath,
) -> Result<Json<RevisionList>, ApiError> {
    let items = state.runtime.config_file_revisions(&path).await?;
    Ok(Json(RevisionList {
        items: items.iter().map(summary).collect(),
    }))
}

/// `GET /config/revisions/{id}`: one change, with the content before and after it.
#[utoipa::path(get, path = "/config/revisions/{id}", tag = "config", operation_id = "get_config_revision",
    params(("id" = i64, Path, description = "The revision.")),
    responses((status = 200, description = "The revision.", body = RevisionDetail)),
    extensions(("x-error-codes" = json!(["not_found"]))))]
pub async fn revision(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<RevisionDetail>, ApiError> {
    let id = revision_id(&id)?;
    let r = state
        .runtime
        .config_revision(id)
        .await?
        .ok_or_else(|| ApiError::with_message(ErrorCode::NotFound, "no such revision"))?;
    Ok(Json(RevisionDetail {
        summary: summary(&r),
        before: r.before,
        after: r.after,
    }))
}

/// `POST /config/revisions/{id}/revert`: puts back the content the file had before that
/// change (a new revision).
#[utoipa::path(post, path = "/config/revisions/{id}/revert", tag = "config", operation_id = "revert_config_revision",
    params(("id" = i64, Path, description = "The revision.")),
    responses((status = 200, description = "The file as reverted.", body = ConfigFileBody)),
    extensions(("x-error-codes" = json!(["config_file_not_found", "config_file_invalid", "config_runs_commands", "conflict"]))))]
pub async fn revert(
    State(state): State<AppState>,
    Extension(auth): Extension<AuthSession>,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let id = revision_id(&id)?;
    let file = state
        .runtime
        .revert_config_revision(id, &auth.session.actor())
        .await?;
    let details = serde_json::json!({ "revision": id, "path": file.path.path() });
    Ok(with_details(with_etag(StatusCode::OK, file), &details))
}
