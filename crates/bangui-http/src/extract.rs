//! Extractors that turn a request into domain types, or into a clean [`ApiError`].
//!
//! Bodies, queries and paths are deserialized straight into the route's named types, whose
//! fields are domain types (`JailName`, `Address`, `Origin`, …). A value a domain type refuses
//! gets that type's code (`invalid_jail_name`, …); anything else of the wrong shape gets
//! `invalid_body` or `invalid_query`. Either way `details.field` names the field at fault.

use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRef, FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use bangui_core::input::{Refusal, classified};
use ipnetwork::IpNetwork;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// A refused value as an error: the domain type's code, or `shape` when the value did not
/// even have the right shape; the field in the details.
fn refused(shape: ErrorCode, path: String, message: String, refusal: Option<Refusal>) -> ApiError {
    let code = refusal
        .as_ref()
        .map_or(shape, |r| ErrorCode::for_input(r.kind));
    let message = if path.is_empty() || path == "." {
        message
    } else {
        format!("{path}: {message}")
    };
    let mut error = ApiError::with_message(code, message);
    if let Some((key, value)) = refusal.and_then(|r| r.detail) {
        error = error.detail(key, value);
    }
    if path.is_empty() || path == "." {
        error
    } else {
        error.detail("field", path)
    }
}

/// A JSON body, deserialized into `T`.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !json_content_type(req.headers()) {
            return Err(ErrorCode::UnsupportedMediaType.into());
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(ErrorCode::PayloadTooLarge)
            } else {
                ApiError::with_message(ErrorCode::BadRequest, e.body_text())
            }
        })?;
        from_json(&bytes).map(Self)
    }
}

fn from_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let read = classified(|| {
        let mut json = serde_json::Deserializer::from_slice(bytes);
        let value: T = serde_path_to_error::deserialize(&mut json)
            .map_err(|e| (e.path().to_string(), e.into_inner()))?;
        // Nothing may follow the value.
        json.end().map_err(|e| (String::new(), e))?;
        Ok(value)
    });
    read.map_err(|((path, inner), kind)| match inner.classify() {
        serde_json::error::Category::Data => {
            refused(ErrorCode::InvalidBody, path, inner.to_string(), kind)
        }
        _ => ApiError::with_message(ErrorCode::MalformedJson, inner.to_string()),
    })
}

/// `application/json`, or a `+json` type, with or without parameters.
fn json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// A query string, deserialized into `T`.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        // axum's message names the parameter ("…: page: page must be at least 1").
        classified(|| axum::extract::Query::<T>::try_from_uri(&parts.uri))
            .map(|axum::extract::Query(value)| Self(value))
            .map_err(|(e, refusal)| {
                refused(
                    ErrorCode::InvalidQuery,
                    String::new(),
                    e.body_text(),
                    refusal,
                )
            })
    }
}

/// The one parameter of a route's path (`/jails/{name}`), percent-decoded and deserialized
/// into `T`.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::with_message(ErrorCode::BadRequest, e.body_text()))?;
        let Some((name, value)) = params.iter().next() else {
            return Err(ApiError::internal(
                "a path extractor on a route without parameters",
            ));
        };
        let read = classified(|| {
            T::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(value))
        });
        read.map(Self).map_err(|(e, kind)| {
            refused(ErrorCode::BadRequest, name.to_owned(), e.to_string(), kind)
        })
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
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(ip.to_canonical()));
    if !is_trusted(peer) {
        return peer;
    }
    let hops: Vec<&str> = headers.flat_map(|h| h.split(',')).map(str::trim).collect();
    // From the nearest hop outwards; the first untrusted one is the client. Anything left of it
    // was written by the client itself and proves nothing.
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if is_trusted(ip) => continue,
            Ok(ip) => return ip.to_canonical(),
            Err(_) => return peer,
        }
    }
    peer
}

#[cfg(test)]
mod tests {
    use bangui_core::{Address, JailName, PageNumber};
    use serde::Deserialize;

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

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        #[allow(dead_code)]
        ip: Address,
        #[allow(dead_code)]
        jail: JailName,
    }

    #[test]
    fn a_refused_body_field_gets_its_type_s_code_and_name() {
        let code = |json: &str| {
            let e = from_json::<Body>(json.as_bytes()).unwrap_err();
            (e.code(), e.message().to_owned())
        };
        let (c, message) = code(r#"{"ip": "256.1.1.1", "jail": "sshd"}"#);
        assert_eq!(c, ErrorCode::InvalidAddress);
        assert!(message.starts_with("ip: "), "{message}");
        assert_eq!(
            code(r#"{"ip": "192.0.2.1", "jail": "--all"}"#).0,
            ErrorCode::InvalidJailName
        );
        assert_eq!(
            code(r#"{"ip": 3221225985, "jail": "sshd"}"#).0,
            ErrorCode::InvalidBody
        );
        assert_eq!(code(r#"{"ip": "192.0.2.1"}"#).0, ErrorCode::InvalidBody);
        assert_eq!(
            code(r#"{"ip": "192.0.2.1", "jail": "sshd", "x": 1}"#).0,
            ErrorCode::InvalidBody
        );
        assert_eq!(code(r#"{"ip": "192.0.2.1","#).0, ErrorCode::MalformedJson);
        assert_eq!(
            code(r#"{"ip": "192.0.2.1", "jail": "a"} x"#).0,
            ErrorCode::MalformedJson
        );
        assert!(from_json::<Body>(br#"{"ip": "192.0.2.1", "jail": "sshd"}"#).is_ok());
    }

    #[derive(Debug, Deserialize)]
    struct Query {
        #[serde(default)]
        #[allow(dead_code)]
        page: PageNumber,
    }

    #[tokio::test]
    async fn a_refused_query_parameter_gets_its_type_s_code() {
        let code = |uri: &'static str| async move {
            let (mut parts, ()) = axum::http::Request::get(uri).body(()).unwrap().into_parts();
            ApiQuery::<Query>::from_request_parts(&mut parts, &())
                .await
                .map(|_| ())
                .map_err(|e| e.code())
        };
        assert_eq!(code("/x?page=2").await, Ok(()));
        assert_eq!(code("/x").await, Ok(()));
        assert_eq!(code("/x?page=0").await, Err(ErrorCode::InvalidPagination));
        assert_eq!(code("/x?page=abc").await, Err(ErrorCode::InvalidQuery));
        assert_eq!(code("/x?other=1").await, Ok(()));
    }
}
