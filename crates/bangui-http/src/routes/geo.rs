//! `/api/v1/geo/*`: countries of addresses.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use bangui_core::Network;
use bangui_jobs::geo::GeoReResolve;
use bangui_runtime::geo::Country;
use serde::Serialize;
use utoipa::ToSchema;

use super::jobs::JobStarted;
use crate::error::{ApiError, ErrorCode};
use crate::extract::ApiPath;
use crate::state::AppState;

/// An address's country.
#[derive(Debug, Serialize, ToSchema)]
pub struct CountryAnswer {
    pub ip: Network,
    #[serde(flatten)]
    pub country: Country,
}

/// `GET /geo/{ip}`: the cached country, or a live lookup when the address is not cached yet
/// (not stored: reads do not write). A network's country is its first address's.
#[utoipa::path(get, path = "/geo/{ip}", tag = "geo", operation_id = "country",
    params(("ip" = Network, Path, description = "The address or network (`/` as `%2F`).")),
    responses((status = 200, description = "The address's country.", body = CountryAnswer)),
    extensions(("x-error-codes" = json!([ErrorCode::InvalidAddress]))))]
pub async fn get(
    State(state): State<AppState>,
    ApiPath(ip): ApiPath<Network>,
) -> Result<Json<CountryAnswer>, ApiError> {
    let country = state.runtime.country(ip).await?;
    Ok(Json(CountryAnswer { ip, country }))
}

/// `POST /geo/re-resolve`: a job that retries every unresolved address; answers its id.
#[utoipa::path(post, path = "/geo/re-resolve", tag = "geo", operation_id = "re_resolve",
    responses((status = 202, description = "The re-resolve is queued.", body = JobStarted)))]
pub async fn re_resolve(State(state): State<AppState>) -> Result<Response, ApiError> {
    super::jobs::start(&state, &GeoReResolve {}).await
}
