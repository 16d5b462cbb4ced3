//! `/api/v1/geo/*`: countries of addresses.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use bangui_jobs::geo::GeoReResolve;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::extract::address_field;
use crate::state::AppState;

/// `GET /geo/{ip}`: the cached country, or a live lookup when the address is not cached yet
/// (not stored: reads do not write).
pub async fn get(
    State(state): State<AppState>,
    Path(ip): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let ip = address_field("ip", &ip)?;
    if let Some(entry) = state.db.country(ip).await? {
        return Ok(Json(json!({
            "ip": ip.to_string(),
            "country": entry.country,
            "source": entry.source,
            "resolved_at": entry.resolved_at,
            "cached": true,
        })));
    }
    let geo = state.runtime.geo();
    let country = geo.countries(&[ip]).pop().flatten();
    Ok(Json(json!({
        "ip": ip.to_string(),
        "country": country,
        "source": if geo.available() { "mmdb" } else { "none" },
        "resolved_at": null,
        "cached": false,
    })))
}

/// `POST /geo/re-resolve`: a job that retries every unresolved address; answers its id.
pub async fn re_resolve(State(state): State<AppState>) -> Result<Response, ApiError> {
    super::jobs::start(&state, GeoReResolve::QUEUE, &GeoReResolve {}).await
}
