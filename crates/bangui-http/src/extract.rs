//! Extractors that turn a request into validated input or a clean [`ApiError`].

use std::net::{IpAddr, SocketAddr};

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRef, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use ipnetwork::IpNetwork;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::error::ApiError;
use crate::state::AppState;

/// `axum::Json`, with rejections turned into the API's JSON errors.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(e) => {
            // serde's message names the field and the expected type; it holds no secrets.
            let detail = e.body_text();
            ApiError::invalid("invalid_body", detail.clone(), json!({ "reason": detail }))
        }
        JsonRejection::JsonSyntaxError(e) => ApiError::BadRequest {
            code: "malformed_json",
            message: e.body_text(),
        },
        JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType,
        JsonRejection::BytesRejection(e)
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE =>
        {
            ApiError::PayloadTooLarge
        }
        other => ApiError::BadRequest {
            code: "bad_request",
            message: other.body_text(),
        },
    }
}

/// The client's address: the TCP peer, or, when the peer is a trusted proxy, the last address
/// in `X-Forwarded-For` that is not itself a trusted proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr
where
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        Ok(Self(client_addr(parts, &state.settings.trusted_proxies)))
    }
}

pub(crate) fn client_addr(parts: &Parts, trusted: &[IpNetwork]) -> IpAddr {
    // Without connect info (in-process tests) the peer is unknown: treat it as loopback.
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([127, 0, 0, 1]), |ConnectInfo(addr)| addr.ip());
    from_forwarded(
        peer,
        parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok()),
        trusted,
    )
}

fn from_forwarded<'a>(
    peer: IpAddr,
    headers: impl Iterator<Item = &'a str>,
    trusted: &[IpNetwork],
) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(canonical(ip)));
    if !is_trusted(peer) {
        return peer;
    }
    let hops: Vec<&str> = headers.flat_map(|h| h.split(',')).map(str::trim).collect();
    // From the nearest hop outwards; the first untrusted one is the client. Anything left of it
    // was written by the client itself and proves nothing.
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if is_trusted(ip) => continue,
            Ok(ip) => return canonical(ip),
            Err(_) => return peer,
        }
    }
    peer
}

/// `::ffff:1.2.3.4` is 1.2.3.4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted: Vec<IpNetwork> = vec!["10.0.0.0/8".parse().unwrap()];
        // Untrusted peer: its header is ignored.
        assert_eq!(
            from_forwarded(ip("198.51.100.1"), ["203.0.113.9"].into_iter(), &trusted),
            ip("198.51.100.1")
        );
        // Trusted peer: the nearest untrusted hop.
        assert_eq!(
            from_forwarded(
                ip("10.0.0.2"),
                ["1.1.1.1, 203.0.113.9, 10.0.0.7"].into_iter(),
                &trusted
            ),
            ip("203.0.113.9")
        );
        // Several headers count as one list.
        assert_eq!(
            from_forwarded(
                ip("10.0.0.2"),
                ["1.1.1.1", "203.0.113.9"].into_iter(),
                &trusted
            ),
            ip("203.0.113.9")
        );
        // Garbage in the chain: fall back to the peer rather than guess.
        assert_eq!(
            from_forwarded(ip("10.0.0.2"), ["junk"].into_iter(), &trusted),
            ip("10.0.0.2")
        );
        // Only proxies: the peer.
        assert_eq!(
            from_forwarded(ip("10.0.0.2"), ["10.1.1.1"].into_iter(), &trusted),
            ip("10.0.0.2")
        );
        // Mapped IPv4 peers are recognised.
        assert_eq!(
            from_forwarded(ip("::ffff:10.0.0.2"), ["203.0.113.9"].into_iter(), &trusted),
            ip("203.0.113.9")
        );
    }
}

/// `axum::extract::Query`, with rejections turned into the API's JSON errors.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(e) => {
                let detail = e.body_text();
                Err(ApiError::invalid(
                    "invalid_query",
                    detail.clone(),
                    json!({ "reason": detail }),
                ))
            }
        }
    }
}

/// The `{name}` of a jail route, validated as a [`JailName`](bangui_core::JailName).
#[derive(Debug, Clone)]
pub struct JailPath(pub bangui_core::JailName);

impl<S: Send + Sync> FromRequestParts<S> for JailPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(name) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|e| ApiError::BadRequest {
                    code: "bad_path",
                    message: e.body_text(),
                })?;
        bangui_core::JailName::parse(&name).map(Self).map_err(|e| {
            ApiError::invalid(
                "invalid_jail_name",
                e.to_string(),
                json!({ "field": "name" }),
            )
        })
    }
}

/// `?page=1&page_size=50`: pages count from 1, at most 500 items each.
#[derive(Debug, Clone, Copy, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pagination {
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_page_size")]
    pub page_size: u32,
}

fn first_page() -> u32 {
    1
}

fn default_page_size() -> u32 {
    50
}

pub const MAX_PAGE_SIZE: u32 = 500;

impl Pagination {
    /// From optional query fields (query structs carry them themselves: serde's `flatten`
    /// does not work with query strings).
    pub fn of(page: Option<u32>, page_size: Option<u32>) -> Result<Self, ApiError> {
        Self {
            page: page.unwrap_or(1),
            page_size: page_size.unwrap_or(50),
        }
        .validated()
    }

    pub fn validated(self) -> Result<Self, ApiError> {
        if self.page == 0 || self.page_size == 0 || self.page_size > MAX_PAGE_SIZE {
            return Err(ApiError::invalid(
                "invalid_pagination",
                format!("page must be at least 1 and page_size between 1 and {MAX_PAGE_SIZE}"),
                json!({ "page": self.page, "page_size": self.page_size }),
            ));
        }
        Ok(self)
    }

    /// The answer for this page: `items` of `total` (a count from the database or a length).
    pub fn answer<T>(self, items: Vec<T>, total: impl TryInto<usize>) -> axum::Json<Paged<T>> {
        axum::Json(Paged {
            items,
            total: total.try_into().unwrap_or(0),
            page: self.page,
            page_size: self.page_size,
        })
    }

    /// This page of `items`.
    pub fn slice<T: Clone>(self, items: &[T]) -> Vec<T> {
        let start = (self.page as usize - 1).saturating_mul(self.page_size as usize);
        items
            .iter()
            .skip(start)
            .take(self.page_size as usize)
            .cloned()
            .collect()
    }
}

/// `{"items": […], "total": n, "page": p, "page_size": s}`.
#[derive(Debug, serde::Serialize)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: usize,
    pub page: u32,
    pub page_size: u32,
}

/// Parses a required address field of a request body.
pub fn address_field(field: &'static str, value: &str) -> Result<std::net::IpAddr, ApiError> {
    bangui_core::parse_address(value)
        .map_err(|e| ApiError::invalid("invalid_address", e.to_string(), json!({ "field": field })))
}

/// Parses a required jail field of a request body.
pub fn jail_field(field: &'static str, value: &str) -> Result<bangui_core::JailName, ApiError> {
    bangui_core::JailName::parse(value).map_err(|e| {
        ApiError::invalid(
            "invalid_jail_name",
            e.to_string(),
            json!({ "field": field }),
        )
    })
}

/// A search text: at most 64 characters.
pub fn search_text(q: Option<String>) -> Result<Option<String>, ApiError> {
    match q {
        Some(q) if q.chars().count() > 64 => Err(ApiError::invalid(
            "invalid_query",
            "q must have at most 64 characters",
            json!({ "field": "q" }),
        )),
        Some(q) if q.trim().is_empty() => Ok(None),
        other => Ok(other.map(|q| q.trim().to_lowercase())),
    }
}
