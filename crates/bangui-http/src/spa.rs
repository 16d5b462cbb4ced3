//! The web UI: the files of `web/dist`, embedded at build time (see `build.rs`).
//!
//! Vite names every file under `/assets/` after its content hash, so those are cached for a
//! year. Every other path that is not the API is a page of the UI and gets `index.html`, never
//! cached, so a new version shows at once. Missing assets get a JSON 404, so a stale chunk
//! fails loudly instead of being parsed as HTML.
//!
//! The UI's component library writes its styles into `<style>` elements at run time, which a
//! CSP without `'unsafe-inline'` blocks. Instead of loosening the policy, each `index.html`
//! carries a fresh nonce (Vite's `html.cspNonce` placeholder) that only its own style
//! elements may use; scripts stay `'self'` only, with no inline script at all.

use std::convert::Infallible;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use memory_serve::{CacheControl, MemoryServe};
use tower::ServiceExt;

use crate::error::{ApiError, ErrorCode};

/// What `web/vite.config.ts` writes where the nonce goes.
const NONCE_PLACEHOLDER: &str = "BANGUI_CSP_NONCE";

/// The largest `index.html` read back from the embedded files.
const INDEX_LIMIT: usize = 64 * 1024;

/// The embedded files, each at its path.
pub(crate) fn files() -> Router {
    let serve: MemoryServe = memory_serve::load!();
    serve
        .enable_brotli(true)
        .enable_gzip(true)
        .html_cache_control(CacheControl::NoCache)
        .cache_control(CacheControl::Long)
        .into_router()
}

/// What answers paths no other route matched: an asset, a page of the UI, or a JSON 404.
pub(crate) async fn fallback(files: Router, request: Request) -> Result<Response, Infallible> {
    let read = request.method() == Method::GET || request.method() == Method::HEAD;
    let path = request.uri().path();
    if !read || path.starts_with("/api/") {
        return Ok(not_found());
    }
    if path.starts_with("/assets/") {
        let response = files.oneshot(request).await?;
        return Ok(if response.status() == StatusCode::NOT_FOUND {
            not_found()
        } else {
            response
        });
    }
    Ok(page(files).await)
}

/// `index.html` with a fresh style nonce, and the policy that allows it.
async fn page(files: Router) -> Response {
    let request = Request::get(Uri::from_static("/index.html"))
        .body(Body::empty())
        .unwrap_or_default();
    let Ok(response) = files.oneshot(request).await;
    if !response.status().is_success() {
        return ApiError::internal("the embedded index.html is missing").into_response();
    }
    let html = match to_bytes(response.into_body(), INDEX_LIMIT).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => return ApiError::internal(format!("reading index.html: {e}")).into_response(),
    };
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let html = html.replace(NONCE_PLACEHOLDER, &nonce);
    let policy = format!(
        "default-src 'self'; style-src 'self' 'nonce-{nonce}'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
    );
    let mut response = (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        html,
    )
        .into_response();
    if let Ok(policy) = HeaderValue::from_str(&policy) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    response
}

fn not_found() -> Response {
    ApiError::with_message(ErrorCode::NotFound, "not found").into_response()
}
