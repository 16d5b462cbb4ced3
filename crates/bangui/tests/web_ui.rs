//! How the binary serves the web UI: pages fall back to `index.html`, hashed assets are
//! cached for a year and compressed, and every page carries a strict CSP with its own nonce.
#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

mod common;

use bangui_testkit::cluster::ClusterOptions;
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_ENCODING, CONTENT_SECURITY_POLICY, CONTENT_TYPE};

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// The nonce a CSP header allows for styles.
fn style_nonce(policy: &str) -> String {
    let start = policy.find("'nonce-").unwrap() + "'nonce-".len();
    policy[start..].split('\'').next().unwrap().to_owned()
}

#[tokio::test]
async fn pages_get_index_html_with_a_fresh_style_nonce_and_are_never_cached() {
    let cluster = common::cluster(ClusterOptions {
        fail2ban: None,
        ..ClusterOptions::workers(1)
    });
    let http = common::http_client();
    let base = cluster.url(0);

    let mut nonces = Vec::new();
    for path in ["/", "/jails/sshd", "/history/192.0.2.1", "/login?next=%2F"] {
        let response = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(
            header(&response, CONTENT_TYPE).starts_with("text/html"),
            "{path}"
        );
        assert_eq!(header(&response, CACHE_CONTROL), "no-store", "{path}");
        let policy = header(&response, CONTENT_SECURITY_POLICY);
        // Scripts only from bangui itself, no inline script; styles from bangui and this page.
        assert!(
            policy.starts_with("default-src 'self'; style-src 'self' 'nonce-"),
            "{policy}"
        );
        assert!(
            !policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"),
            "{policy}"
        );
        let nonce = style_nonce(&policy);
        let html = response.text().await.unwrap();
        assert!(
            html.contains(&format!("property=\"csp-nonce\" nonce=\"{nonce}\"")),
            "{html}"
        );
        assert!(!html.contains("BANGUI_CSP_NONCE"));
        nonces.push(nonce);
    }
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 4, "every page gets its own nonce");
}

#[tokio::test]
async fn hashed_assets_are_cached_for_a_year_and_compressed_and_missing_ones_are_json_404() {
    let cluster = common::cluster(ClusterOptions {
        fail2ban: None,
        ..ClusterOptions::workers(1)
    });
    let http = common::http_client();
    let base = cluster.url(0);
    let html = http
        .get(format!("{base}/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let script = html
        .split("src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .filter(|s| s.starts_with("/assets/index-"))
        .unwrap()
        .to_owned();

    let plain = http.get(format!("{base}{script}")).send().await.unwrap();
    assert_eq!(plain.status(), StatusCode::OK);
    assert_eq!(header(&plain, CACHE_CONTROL), "max-age=31536000, immutable");
    assert!(header(&plain, CONTENT_TYPE).contains("javascript"));
    let plain_len = plain.bytes().await.unwrap().len();

    // What goes over the wire, not what reqwest would unpack.
    let raw = reqwest::Client::builder().no_gzip().build().unwrap();
    for encoding in ["br", "gzip"] {
        let packed = raw
            .get(format!("{base}{script}"))
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(header(&packed, CONTENT_ENCODING), encoding);
        let packed_len = packed.bytes().await.unwrap().len();
        assert!(
            packed_len * 2 < plain_len,
            "{encoding}: {packed_len} of {plain_len} bytes"
        );
    }

    for path in [
        "/assets/index-00000000.js",
        "/api/v2/nothing",
        "/api/v1/nothing",
    ] {
        let response = http.get(format!("{base}{path}")).send().await.unwrap();
        // 404, or 503 `setup_required` for the API before setup: JSON either way, never the UI.
        assert!(
            !response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        assert!(
            header(&response, CONTENT_TYPE).starts_with("application/json"),
            "{path}"
        );
    }
    let post = http.post(format!("{base}/jails")).send().await.unwrap();
    assert_eq!(
        post.status(),
        StatusCode::NOT_FOUND,
        "only GET and HEAD reach pages"
    );
}
