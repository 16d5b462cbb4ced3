//! `/api/v1/bans/*`: bans across jails.

use axum::extract::State;
use axum::response::Response;
use axum::{Extension, Json};
use bangui_core::{JailName, Network, Page, PageNumber, PageSize, SearchText};
use bangui_runtime::bans::Coverage;
use bangui_runtime::lockout::BanError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::jails::BanItem;
use crate::audit::with_details;
use crate::auth::AuthSession;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{ApiJson, ApiQuery, ClientAddr};
use crate::paging::Paged;
use crate::state::AppState;

/// `?jail=&q=&page=&page_size=`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ActiveQuery {
    #[serde(default)]
    pub page: PageNumber,
    #[serde(default)]
    pub page_size: PageSize,
    /// Only this jail's bans.
    pub jail: Option<JailName>,
    /// Part of the address.
    pub q: Option<SearchText>,
}

/// `GET /bans/active?jail=&q=&page=&page_size=`: the bans in force of every jail (or one),
/// newest first.
#[utoipa::path(get, path = "/bans/active", tag = "bans", operation_id = "active_bans",
    params(ActiveQuery),
    responses((status = 200, description = "A page of the bans in force.", body = Paged<BanItem>)),
    extensions(("x-error-codes" = json!([
        ErrorCode::InvalidJailName, ErrorCode::InvalidPagination, ErrorCode::JailNotFound,
        ErrorCode::Fail2banUnavailable, ErrorCode::Fail2banError
    ]))))]
pub async fn active(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ActiveQuery>,
) -> Result<Json<Paged<BanItem>>, ApiError> {
    let page = Page::new(query.page, query.page_size);
    let bans = state
        .runtime
        .active_bans(query.jail.as_ref(), query.q.as_ref())
        .await?;
    Ok(Json(Paged::slice(page, &bans, |b| {
        BanItem::new(Some(b.jail), b.ban)
    })))
}

/// A ban by hand.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BanRequest {
    /// An address, or a network in canonical form (`192.0.2.0/24`; with host bits set it is
    /// refused, the network meant in `details.canonical`).
    pub ip: Network,
    pub jail: JailName,
}

/// What a ban did.
#[derive(Debug, Serialize, ToSchema)]
pub struct BanAnswer {
    pub ip: Network,
    pub jail: JailName,
    /// `false`: the address was banned in this jail already.
    pub newly_banned: bool,
}

/// `POST /bans {"ip", "jail"}`: bans the address or network in the jail; a new ban is archived
/// at once and its country (a network's: its first address's) looked up. Refused (422
/// `ban_would_lock_out`, `details.reason`) when it covers the caller's own address, a trusted
/// proxy, loopback, or what the jail's ignore list exempts, or is a network broader than
/// allowed (`too_broad`: /8 for IPv4, /32 for IPv6 unless configured).
#[utoipa::path(post, path = "/bans", tag = "bans", operation_id = "ban",
    request_body = BanRequest,
    responses((status = 200, description = "Banned.", body = BanAnswer)),
    extensions(("x-error-codes" = json!([
        ErrorCode::InvalidAddress, ErrorCode::InvalidJailName, ErrorCode::JailNotFound,
        ErrorCode::InvalidArgument, ErrorCode::BanWouldLockOut, ErrorCode::Fail2banUnavailable,
        ErrorCode::Fail2banError
    ]))))]
pub async fn ban(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(request): ApiJson<BanRequest>,
) -> Result<Response, ApiError> {
    let newly = state
        .runtime
        .ban_by_hand(&request.jail, request.ip, client)
        .await
        .map_err(|e| match e {
            BanError::Lockout(lockout) => {
                ApiError::with_message(ErrorCode::BanWouldLockOut, format!("not banned: {lockout}"))
                    .details(&lockout)
            }
            BanError::Runtime(e) => e.into(),
        })?;
    let answer = BanAnswer {
        ip: request.ip,
        jail: request.jail,
        newly_banned: newly,
    };
    Ok(with_details(Json(&answer), &answer))
}

/// An unban, in one jail or in every jail.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnbanRequest {
    /// An address or network, as banned (lifting a network does not lift the addresses
    /// banned inside it).
    pub ip: Network,
    /// Only in this jail; absent: in every jail.
    #[serde(default)]
    pub jail: Option<JailName>,
}

/// What an unban did.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnbanAnswer {
    pub ip: Network,
    pub jail: Option<JailName>,
    /// Bans lifted.
    pub unbanned: u64,
}

/// `DELETE /bans {"ip", "jail"?}`: lifts the address's bans, in one jail or in every jail. The
/// archive keeps them, marked lifted by the caller's session.
#[utoipa::path(delete, path = "/bans", tag = "bans", operation_id = "unban",
    request_body = UnbanRequest,
    responses((status = 200, description = "Unbanned.", body = UnbanAnswer)),
    extensions(("x-error-codes" = json!([
        ErrorCode::InvalidAddress, ErrorCode::InvalidJailName, ErrorCode::JailNotFound,
        ErrorCode::Fail2banUnavailable, ErrorCode::Fail2banError
    ]))))]
pub async fn unban(
    State(state): State<AppState>,
    Extension(auth): Extension<AuthSession>,
    ApiJson(request): ApiJson<UnbanRequest>,
) -> Result<Response, ApiError> {
    let unbanned = state
        .runtime
        .unban(request.ip, request.jail.as_ref(), &auth.session.actor())
        .await?;
    let answer = UnbanAnswer {
        ip: request.ip,
        jail: request.jail,
        unbanned,
    };
    Ok(with_details(Json(&answer), &answer))
}

/// What lifting every ban did.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnbanAllAnswer {
    /// Bans lifted.
    pub unbanned: u64,
}

/// `DELETE /bans/all`: lifts every ban of every jail.
#[utoipa::path(delete, path = "/bans/all", tag = "bans", operation_id = "unban_all",
    responses((status = 200, description = "Every ban lifted.", body = UnbanAllAnswer)),
    extensions(("x-error-codes" = json!([ErrorCode::Fail2banUnavailable, ErrorCode::Fail2banError]))))]
pub async fn unban_all(
    State(state): State<AppState>,
    Extension(auth): Extension<AuthSession>,
) -> Result<Response, ApiError> {
    let unbanned = state.runtime.unban_all(&auth.session.actor()).await?;
    let answer = UnbanAllAnswer { unbanned };
    Ok(with_details(Json(&answer), &answer))
}

/// `?ip=`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LookupQuery {
    /// An address or a network.
    pub ip: Network,
}

/// Where an address or network stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct Lookup {
    pub ip: Network,
    /// Jails that ban it now, as itself or inside a banned network.
    pub banned_in: Vec<String>,
    /// The bans in force that are it, contain it, or lie inside it, by jail (the first 500).
    pub bans: Vec<LookupBan>,
    /// How many such bans there are in all.
    pub bans_total: usize,
    /// Jails whose ignore list overlaps it.
    pub ignored_in: Vec<String>,
}

/// A ban in force that a lookup found.
#[derive(Debug, Serialize, ToSchema)]
pub struct LookupBan {
    pub jail: String,
    pub ip: Network,
    pub coverage: Coverage,
}

/// `GET /bans/lookup?ip=`: which jails ban the address or network (also through a network
/// that contains it), the bans concerned, and which jails ignore it.
#[utoipa::path(get, path = "/bans/lookup", tag = "bans", operation_id = "lookup",
    params(LookupQuery),
    responses((status = 200, description = "Where the address stands.", body = Lookup)),
    extensions(("x-error-codes" = json!([
        ErrorCode::InvalidAddress, ErrorCode::Fail2banUnavailable, ErrorCode::Fail2banError
    ]))))]
pub async fn lookup(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<LookupQuery>,
) -> Result<Json<Lookup>, ApiError> {
    let found = state.runtime.lookup(query.ip).await?;
    Ok(Json(Lookup {
        ip: found.ip,
        banned_in: found.banned_in,
        bans: found
            .bans
            .into_iter()
            .map(|b| LookupBan {
                jail: b.jail,
                ip: b.ip,
                coverage: b.coverage,
            })
            .collect(),
        bans_total: found.bans_total,
        ignored_in: found.ignored_in,
    }))
}
