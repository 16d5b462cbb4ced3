//! Who is calling: the session behind a cookie or a bearer token, the CSRF rule for cookies,
//! and the per-client API rate limit, checked together in one Redis round trip.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use bangui_store::rate_limit::Decision;
use bangui_store::sessions::{Session, SessionToken};

use crate::error::{ApiError, ErrorCode};
use crate::extract::client_addr;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "bangui_session";
pub const CSRF_HEADER: &str = "x-bangui-request";

/// How the caller presented its token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    Cookie,
    Bearer,
}

/// The authenticated caller, put into the request by [`require_session`].
#[derive(Debug, Clone)]
pub struct AuthSession {
    pub session: Session,
    pub token: SessionToken,
    pub via: Credential,
}

/// The token of a request: `Authorization: Bearer …` first, then the session cookie. A
/// malformed token counts as none.
pub fn presented_token(headers: &HeaderMap) -> Option<(SessionToken, Credential)> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|t| SessionToken::parse(t.trim()))
        .map(|t| (t, Credential::Bearer));
    bearer.or_else(|| {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == SESSION_COOKIE)
            .and_then(|(_, value)| SessionToken::parse(value))
            .map(|t| (t, Credential::Cookie))
    })
}

/// Middleware of every non-public route: setup done (a local flag once seen), then rate limit per
/// client address and session lookup in one pipelined Redis round trip; then 503, 429, 401 or
/// 403 (cookie without the CSRF header on a state-changing method), or the request goes on with
/// an [`AuthSession`].
pub async fn require_session(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    crate::layers::setup_gate(&state).await?;
    let (mut parts, body) = request.into_parts();
    let auth = authenticate(&state, &parts).await?;
    let audit = crate::audit::is_state_changing(&parts.method).then(|| {
        (
            auth.session.actor(),
            client_addr(&parts, &state.settings.trusted_proxies),
            parts.method.clone(),
            crate::audit::route_of(&parts),
            crate::audit::original_path(&parts),
        )
    });
    parts.extensions.insert(auth);
    let response = next.run(Request::from_parts(parts, body)).await;
    if let Some((actor, client, method, route, path)) = audit {
        let entry = crate::audit::entry(actor, client, &method, &route, &path, &response);
        crate::audit::record(&state, entry).await;
    }
    Ok(response)
}

pub(crate) async fn authenticate(
    state: &AppState,
    parts: &axum::http::request::Parts,
) -> Result<AuthSession, ApiError> {
    let client = client_addr(parts, &state.settings.trusted_proxies);
    let presented = presented_token(&parts.headers);
    let (decision, session) = state
        .redis
        .gate(
            &format!("api:{client}"),
            state.settings.api_limit,
            presented.as_ref().map(|(t, _)| t),
        )
        .await?;
    if let Decision::Limited { retry_after } = decision {
        metrics::counter!("bangui_rate_limit_refusals_total", "kind" => "api").increment(1);
        return Err(ApiError::rate_limited(retry_after));
    }
    let (Some(session), Some((token, via))) = (session, presented) else {
        return Err(ErrorCode::Unauthorized.into());
    };
    if via == Credential::Cookie
        && crate::audit::is_state_changing(&parts.method)
        && parts
            .headers
            .get(CSRF_HEADER)
            .is_none_or(|v| v.as_bytes() != b"1")
    {
        return Err(ErrorCode::CsrfHeaderMissing.into());
    }
    Ok(AuthSession {
        session,
        token,
        via,
    })
}

/// `Set-Cookie` for a new session.
pub fn session_cookie(token: &SessionToken, ttl: Duration, secure: bool) -> HeaderValue {
    cookie(token.as_str(), ttl.as_secs(), secure)
}

/// `Set-Cookie` that removes the session cookie.
pub fn cleared_cookie(secure: bool) -> HeaderValue {
    cookie("", 0, secure)
}

fn cookie(value: &str, max_age: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    );
    // Only hex digits and fixed ASCII: always a valid header value.
    HeaderValue::from_str(&text)
        .unwrap_or_else(|_| HeaderValue::from_static("bangui_session=; Max-Age=0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_token_in_bearer_or_cookie() {
        let token = SessionToken::generate().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            format!("theme=dark; {SESSION_COOKIE}={}", token.as_str())
                .parse()
                .unwrap(),
        );
        assert_eq!(
            presented_token(&headers),
            Some((token.clone(), Credential::Cookie))
        );

        let other = SessionToken::generate().unwrap();
        headers.insert(
            header::AUTHORIZATION,
            format!("Bearer {}", other.as_str()).parse().unwrap(),
        );
        assert_eq!(presented_token(&headers), Some((other, Credential::Bearer)));

        let mut junk = HeaderMap::new();
        junk.insert(
            header::COOKIE,
            format!("{SESSION_COOKIE}=../../etc").parse().unwrap(),
        );
        assert_eq!(presented_token(&junk), None);
    }

    #[test]
    fn cookies_carry_the_security_flags() {
        let token = SessionToken::generate().unwrap();
        let c = session_cookie(&token, Duration::from_secs(3600), true);
        let c = c.to_str().unwrap();
        for flag in [
            "HttpOnly",
            "SameSite=Lax",
            "Secure",
            "Max-Age=3600",
            "Path=/",
        ] {
            assert!(c.contains(flag), "{c}");
        }
        assert!(
            !session_cookie(&token, Duration::from_secs(1), false)
                .to_str()
                .unwrap()
                .contains("Secure")
        );
    }
}
