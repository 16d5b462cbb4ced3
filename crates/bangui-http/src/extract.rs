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
