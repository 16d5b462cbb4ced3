//! `/api/v1/config/*`: fail2ban's configuration as its files say (read as fail2ban reads
//! them), next to what fail2ban runs.

use std::collections::BTreeMap;

use axum::extract::Query;
use axum::extract::State;
use axum::response::Response;
use axum::{Extension, Json};
use bangui_core::JailName;
use bangui_fail2ban::config::Source;
use bangui_fail2ban::config::jails::{JailConfig, Reference, Typed};
use bangui_runtime::activation::{ActivationError, JailChanged, LogPathChange, OptionChange};
use bangui_runtime::validation::Finding;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::with_details;
use crate::auth::AuthSession;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;

/// Where a value was written.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfigSource {
    /// The file, relative to fail2ban's configuration directory.
    pub file: String,
    /// The section as written there (`DEFAULT`, `sshd`, …).
    pub section: String,
    pub line: u32,
}

/// An option's value as fail2ban types it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum ConfigValue {
    Bool(bool),
    Int(i64),
    Text(String),
}

/// One option of a jail: its effective value and where it comes from.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfigSetting {
    pub name: String,
    pub value: ConfigValue,
    /// `None`: fail2ban's built-in default (no file sets it).
    pub source: Option<ConfigSource>,
    /// Why fail2ban ignores the written value, if it does.
    pub warning: Option<String>,
}

/// A filter or action a jail names, with its arguments, or why fail2ban cannot parse it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfigReference {
    pub name: Option<String>,
    pub args: BTreeMap<String, String>,
    pub error: Option<String>,
}

/// One `logpath` entry: a path or glob, read from its head or tail.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfigLogPath {
    pub pattern: String,
    pub tail: String,
}

/// A jail as the configuration defines it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfigJail {
    pub name: String,
    /// `enabled = true` in the configuration.
    pub enabled: bool,
    /// fail2ban runs it now.
    pub running: bool,
    /// Why its values cannot be read (fail2ban would refuse it too).
    pub error: Option<String>,
    pub settings: Vec<ConfigSetting>,
    pub filter: Option<ConfigReference>,
    pub actions: Vec<ConfigReference>,
    pub logpaths: Vec<ConfigLogPath>,
}

/// Something fail2ban would log and go on from (a file it cannot decode, …).
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfigWarning {
    pub file: String,
    pub message: String,
}

/// Every jail of the configuration, active and inactive.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfigJailList {
    pub items: Vec<ConfigJail>,
    /// Whether fail2ban answers (when it does not, no jail counts as running).
    pub online: bool,
    /// The files read, in the order fail2ban merges them.
    pub files: Vec<String>,
    pub warnings: Vec<ConfigWarning>,
}

/// `GET /config/jails`: every jail the configuration defines, enabled or not, with the values
/// fail2ban gives its options and the file, section and line each comes from.
#[utoipa::path(get, path = "/config/jails", tag = "config", operation_id = "list_config_jails",
    responses((status = 200, description = "The configured jails.", body = ConfigJailList)))]
pub async fn jails(State(state): State<AppState>) -> Result<Json<ConfigJailList>, ApiError> {
    let read = state.runtime.configured_jails().await?;
    let items = read
        .jails
        .into_iter()
        .map(|(name, jail)| {
            let running = read.running.contains(&name);
            match jail {
                Ok(jail) => config_jail(jail, running),
                Err(e) => ConfigJail {
                    name,
                    enabled: false,
                    running,
                    error: Some(e.to_string()),
                    settings: Vec::new(),
                    filter: None,
                    actions: Vec::new(),
                    logpaths: Vec::new(),
                },
            }
        })
        .collect();
    Ok(Json(ConfigJailList {
        items,
        online: read.status.snapshot.online,
        files: read.files,
        warnings: read
            .warnings
            .into_iter()
            .map(|w| ConfigWarning {
                file: w.file,
                message: w.message,
            })
            .collect(),
    }))
}

fn config_jail(jail: JailConfig, running: bool) -> ConfigJail {
    let enabled = jail.enabled();
    ConfigJail {
        enabled,
        running,
        error: None,
        settings: jail
            .settings
            .into_iter()
            .map(|(name, s)| ConfigSetting {
                name: name.to_owned(),
                value: match s.value {
                    Typed::Bool(b) => ConfigValue::Bool(b),
                    Typed::Int(i) => ConfigValue::Int(i),
                    Typed::Text(t) => ConfigValue::Text(t.into_owned()),
                },
                source: s.source.and_then(source),
                warning: s.warning,
            })
            .collect(),
        filter: jail.filter.map(reference),
        actions: jail.actions.into_iter().map(reference).collect(),
        logpaths: jail
            .logpaths
            .into_iter()
            .map(|l| ConfigLogPath {
                pattern: l.pattern,
                tail: l.tail,
            })
            .collect(),
        name: jail.name,
    }
}

/// A value fail2ban itself adds (its version, its path) has no file.
fn source(s: Source) -> Option<ConfigSource> {
    (!s.file.is_empty()).then_some(ConfigSource {
        file: s.file,
        section: s.section,
        line: s.line,
    })
}

fn reference(r: Result<Reference, String>) -> ConfigReference {
    match r {
        Ok(r) => ConfigReference {
            name: Some(r.name),
            args: r.args.into_iter().collect(),
            error: None,
        },
        Err(e) => ConfigReference {
            name: None,
            args: BTreeMap::new(),
            error: Some(e),
        },
    }
}

/// One override: a value, or several (log paths).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum OverrideValue {
    One(String),
    Many(Vec<String>),
}

/// What to set besides `enabled = true`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Activation {
    /// bantime, findtime, maxretry, maxmatches, bantime.increment, bantime.factor,
    /// bantime.multipliers, bantime.maxtime, bantime.rndtime, bantime.overalljails, port,
    /// protocol, chain, backend, usedns, ignoreip, logpath (a list). Values are checked
    /// strictly: none can become a command.
    #[serde(default)]
    pub overrides: BTreeMap<String, OverrideValue>,
}

/// A jail whose configuration changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Activated {
    pub jail: String,
    /// The file written, relative to fail2ban's configuration directory.
    pub file: String,
    /// fail2ban runs the jail now.
    pub running: bool,
}

impl From<JailChanged> for Activated {
    fn from(c: JailChanged) -> Self {
        Self {
            jail: c.jail,
            file: c.file,
            running: c.running,
        }
    }
}

impl From<ActivationError> for ApiError {
    fn from(e: ActivationError) -> Self {
        let message = e.to_string();
        match e {
            ActivationError::Invalid(_) => Self::with_message(ErrorCode::InvalidArgument, message),
            ActivationError::NotConfigured(_) => {
                Self::with_message(ErrorCode::JailNotConfigured, message)
            }
            ActivationError::AlreadyActive(_) => {
                Self::with_message(ErrorCode::JailAlreadyActive, message)
            }
            ActivationError::Rejected { hint, errors, .. } => {
                let mut error = Self::with_message(ErrorCode::ActivationRejected, message);
                if !errors.is_empty() {
                    error = error.detail("errors", findings(errors));
                }
                match hint {
                    Some(h) => error.detail("hint", h),
                    None => error,
                }
            }
            ActivationError::Failed {
                fail2ban_message,
                hint,
                recovered,
                ..
            } => {
                let mut error = Self::with_message(ErrorCode::ActivationFailed, message)
                    .detail("recovered", recovered);
                if let Some(m) = fail2ban_message {
                    error = error.detail("fail2ban_message", m);
                }
                if let Some(h) = hint {
                    error = error.detail("hint", h);
                }
                error
            }
            ActivationError::Files(e) => e.into(),
        }
    }
}

/// `POST /config/jails/{name}/activate`: starts a configured, inactive jail. Writes
/// `enabled = true` (and the overrides) to `jail.d/<name>.local`, checks it as fail2ban's
/// client would read it, reloads the jail and checks that fail2ban runs it; on any failure the
/// file goes back as it was and the answer says whether fail2ban runs what it ran before.
#[utoipa::path(post, path = "/config/jails/{name}/activate", tag = "config", operation_id = "activate_jail",
    params(("name" = JailName, Path, description = "The jail.")),
    request_body = Activation,
    responses((status = 200, description = "Activated.", body = Activated)),
    extensions(("x-error-codes" = json!(["invalid_jail_name", "invalid_argument", "jail_not_configured", "jail_already_active", "activation_rejected", "activation_failed", "conflict", "fail2ban_unavailable"]))))]
pub async fn activate(
    State(state): State<AppState>,
    Extension(auth): Extension<AuthSession>,
    ApiPath(jail): ApiPath<JailName>,
    ApiJson(activation): ApiJson<Activation>,
) -> Result<Response, ApiError> {
    let overrides: Vec<(String, Vec<String>)> = activation
        .overrides
        .into_iter()
        .map(|(k, v)| (k, v.into_values()))
        .collect();
    let done = state
        .runtime
        .activate_jail(&jail, &overrides, &auth.session.actor())
        .await?;
    let details = serde_json::json!({ "jail": done.jail, "file": done.file, "overrides": overrides.iter().map(|(k, _)| k).collect::<Vec<_>>() });
    Ok(with_details(Json(Activated::from(done)), &details))
}

impl OverrideValue {
    fn into_values(self) -> Vec<String> {
        match self {
            Self::One(one) => vec![one],
            Self::Many(many) => many,
        }
    }
}

/// Options to set in the jail's `jail.d/<name>.local`; `null` removes the option there (the
/// jail then takes the value the other files give it).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JailEdit {
    /// bantime, findtime, maxretry, maxmatches, bantime.increment, bantime.factor,
    /// bantime.multipliers, bantime.maxtime, bantime.rndtime, bantime.overalljails, port,
    /// protocol, chain, backend, usedns, ignoreip, filter (a name from filter.d), logpath (a
    /// list). Values are checked strictly: none can become a command. `null` removes the
    /// option from the jail's `.local`.
    #[serde(default)]
    pub settings: BTreeMap<String, SettingChange>,
}

/// A value, several (log paths), or `null` to remove the option.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum SettingChange {
    One(String),
    Many(Vec<String>),
    #[schema(value_type = Option<String>)]
    Remove(()),
}

impl JailEdit {
    fn changes(self) -> Vec<OptionChange> {
        self.settings
            .into_iter()
            .map(|(k, v)| {
                let values = match v {
                    SettingChange::One(one) => Some(vec![one]),
                    SettingChange::Many(many) => Some(many),
                    SettingChange::Remove(()) => None,
                };
                (k, values)
            })
            .collect()
    }
}

fn changed_keys(changes: &[OptionChange]) -> Vec<&str> {
    changes.iter().map(|(k, _)| k.as_str()).collect()
}

const CHANGE_ERRORS: &str = "invalid_jail_name, invalid_argument, jail_not_configured, activation_rejected, activation_failed, conflict, fail2ban_unavailable";

/// `PATCH /config/jails/{name}`: sets or removes options of a jail in its
/// `jail.d/<name>.local` (never a stock `.conf`). The change is checked first (as for an
/// activation); a running jail is then reloaded with it, and the file goes back if fail2ban
/// refuses it.
#[utoipa::path(patch, path = "/config/jails/{name}", tag = "config", operation_id = "edit_config_jail",
    params(("name" = JailName, Path, description = "The jail.")),
    request_body = JailEdit,
    responses((status = 200, description = "Changed.", body = Activated)),
    extensions(("x-error-codes" = json!(CHANGE_ERRORS.split(", ").collect::<Vec<_>>()))))]
pub async fn edit(
    State(state): State<AppState>,
    Extension(auth): Extension<AuthSession>,
    ApiPath(jail): ApiPath<JailName>,
    ApiJson(edit): ApiJson<JailEdit>,
) -> Result<Response, ApiError> {
    let changes = edit.changes();
    let details = serde_json::json!({ "jail": jail.as_str(), "options": changed_keys(&changes) });
    let done = state
        .runtime
        .edit_jail(&jail, changes, &auth.session.actor())
        .await?;
    Ok(with_details(Json(Activated::from(done)), &details))
}

/// `POST /config/jails/{name}/deactivate`: stops a jail and writes `enabled = false` to its
/// `jail.d/<name>.local`, so that it stays stopped after reloads and restarts.
#[utoipa::path(post, path = "/config/jails/{name}/deactivate", tag = "config", operation_id = "deactivate_jail",
    params(("name" = JailName, Path, description = "The jail.")),
    responses((status = 200, description = "Deactivated.", body = Activated)),
    extensions(("x-error-codes" = json!(CHANGE_ERRORS.split(", ").collect::<Vec<_>>()))))]
pub async fn deactivate(
    State(state): State<AppState>,
    Extension(auth): Extension<AuthSession>,
    ApiPath(jail): ApiPath<JailName>,
) -> Result<Response, ApiError> {
    let done = state
        .runtime
        .deactivate_jail(&jail, &auth.session.actor())
        .await?;
    let details = serde_json::json!({ "jail": done.jail, "file": done.file });
    Ok(with_details(Json(Activated::from(done)), &details))
}

/// One log path of a jail.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LogPathBody {
    /// An absolute path or glob (`/var/log/nginx/*error.log`), optionally followed by ` tail`.
    pub path: String,
}

/// `POST /config/jails/{name}/logpaths`: adds a log path to a jail (its list written whole to
/// its `.local`; a running jail is reloaded).
#[utoipa::path(post, path = "/config/jails/{name}/logpaths", tag = "config", operation_id = "add_jail_log_path",
    params(("name" = JailName, Path, description = "The jail.")),
    request_body = LogPathBody,
    responses((status = 200, description = "Added.", body = Activated)),
    extensions(("x-error-codes" = json!(CHANGE_ERRORS.split(", ").collect::<Vec<_>>()))))]
pub async fn add_log_path(
    State(state): State<AppState>,
    Extension(auth): Extension<AuthSession>,
    ApiPath(jail): ApiPath<JailName>,
    ApiJson(body): ApiJson<LogPathBody>,
) -> Result<Response, ApiError> {
    let details = serde_json::json!({ "jail": jail.as_str(), "logpath": body.path });
    let done = state
        .runtime
        .change_jail_log_path(&jail, LogPathChange::Add(body.path), &auth.session.actor())
        .await?;
    Ok(with_details(Json(Activated::from(done)), &details))
}

/// `DELETE /config/jails/{name}/logpaths?path=…`: removes a log path from a jail (it keeps at
/// least one).
#[utoipa::path(delete, path = "/config/jails/{name}/logpaths", tag = "config", operation_id = "remove_jail_log_path",
    params(("name" = JailName, Path, description = "The jail."), LogPathBody),
    responses((status = 200, description = "Removed.", body = Activated)),
    extensions(("x-error-codes" = json!(CHANGE_ERRORS.split(", ").collect::<Vec<_>>()))))]
pub async fn remove_log_path(
    State(state): State<AppState>,
    Extension(auth): Extension<AuthSession>,
    ApiPath(jail): ApiPath<JailName>,
    Query(query): Query<LogPathBody>,
) -> Result<Response, ApiError> {
    let details = serde_json::json!({ "jail": jail.as_str(), "logpath": query.path });
    let done = state
        .runtime
        .change_jail_log_path(
            &jail,
            LogPathChange::Remove(query.path),
            &auth.session.actor(),
        )
        .await?;
    Ok(with_details(Json(Activated::from(done)), &details))
}

/// Something a check found, and the option it concerns.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfigFinding {
    pub option: Option<String>,
    pub message: String,
}

fn findings(found: Vec<Finding>) -> Vec<ConfigFinding> {
    found
        .into_iter()
        .map(|f| ConfigFinding {
            option: f.option,
            message: f.message,
        })
        .collect()
}

/// What a check of a jail's configuration found.
#[derive(Debug, Serialize, ToSchema)]
pub struct JailValidation {
    /// No blocking error: fail2ban would start the jail as configured.
    pub valid: bool,
    /// fail2ban would refuse the jail or not start it.
    pub errors: Vec<ConfigFinding>,
    /// Advice: fail2ban would run it, probably not as meant.
    pub warnings: Vec<ConfigFinding>,
}

/// `POST /config/jails/{name}/validate`: checks a jail, as configured or with proposed
/// changes (nothing is written), as it would run once enabled: options well-typed, filter and
/// actions present, every expression of its filter compiling in fail2ban's dialect, log files
/// present unless it reads the journal.
#[utoipa::path(post, path = "/config/jails/{name}/validate", tag = "config", operation_id = "validate_config_jail",
    params(("name" = JailName, Path, description = "The jail.")),
    request_body = JailEdit,
    responses((status = 200, description = "What the check found.", body = JailValidation)),
    extensions(("x-error-codes" = json!(["invalid_jail_name", "jail_not_configured", "fail2ban_config_unreadable"]))))]
pub async fn validate(
    State(state): State<AppState>,
    ApiPath(jail): ApiPath<JailName>,
    ApiJson(edit): ApiJson<JailEdit>,
) -> Result<Json<JailValidation>, ApiError> {
    let found = state
        .runtime
        .validate_jail(&jail, edit.changes())
        .await?
        .ok_or_else(|| ActivationError::NotConfigured(jail.to_string()))?;
    Ok(Json(JailValidation {
        valid: found.errors.is_empty(),
        errors: findings(found.errors),
        warnings: findings(found.warnings),
    }))
}
