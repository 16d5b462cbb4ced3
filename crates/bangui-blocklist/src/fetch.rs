//! Downloading blocklists safely.
//!
//! A blocklist URL is user input that a server fetches, the classic way to reach internal
//! services (SSRF). So: http(s) only, no credentials in the URL, and no connection to a
//! loopback, private, link-local or otherwise non-public address — checked on the addresses the
//! name resolves to, for every connection including redirects (a resolver that refuses them),
//! and on literal addresses in URLs and redirect targets. `BANGUI_BLOCKLIST_ALLOW_PRIVATE` lifts
//! the address rule (tests serve lists from 127.0.0.1). Bodies are capped, before and after gzip.

use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Limits of a download.
#[derive(Debug, Clone)]
pub struct FetchSettings {
    /// Largest list accepted, downloaded and after decompression.
    pub max_bytes: u64,
    /// Allow loopback and private addresses (never in production).
    pub allow_private: bool,
    pub timeout: Duration,
    pub connect_timeout: Duration,
}

impl Default for FetchSettings {
    fn default() -> Self {
        Self {
            max_bytes: 32 << 20,
            allow_private: false,
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// Why a download failed: retrying helps, or it does not.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// Bad URL, refused address, list too large, 4xx: the same next time.
    #[error("{0}")]
    Permanent(String),
    /// Timeout, connection refused, 5xx, 429: worth another try.
    #[error("{0}")]
    Transient(String),
}

/// A downloaded (and, if it was gzip, decompressed) list.
#[derive(Debug)]
pub struct Fetched {
    pub body: Vec<u8>,
    /// Bytes that came over the wire.
    pub downloaded_bytes: u64,
}

/// Parses and checks a blocklist URL: http or https, a host, no user or password.
pub fn check_url(text: &str, allow_private: bool) -> Result<Url, String> {
    if text.len() > 2048 {
        return Err("the URL is longer than 2048 characters".into());
    }
    let url = Url::parse(text).map_err(|e| format!("not a valid URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "only http and https URLs can be fetched, not {}:",
            url.scheme()
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("URLs with a user or password are not accepted".into());
    }
    let host = url.host().ok_or("the URL has no host")?;
    let literal = match host {
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        url::Host::Domain(_) => None,
    };
    if let Some(ip) = literal
        && !allow_private
        && !is_public(ip)
    {
        return Err(format!(
            "{ip} is not a public address; blocklists are fetched from the internet only"
        ));
    }
    Ok(url)
}

/// Whether an address is on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64)) // 100.64.0.0/10, carrier-grade NAT
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80) // link-local
        }
    }
}

/// Resolves names and refuses the answer when any address is not public.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
                return Err(format!(
                    "{host} resolves to {}, which is not a public address",
                    bad.ip()
                )
                .into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Downloads `url` within the limits of `settings`.
pub async fn fetch(url: &str, settings: &FetchSettings) -> Result<Fetched, FetchError> {
    let url = check_url(url, settings.allow_private).map_err(FetchError::Permanent)?;
    let allow_private = settings.allow_private;
    let redirects = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= 5 {
            return attempt.error("more than 5 redirects");
        }
        match check_url(attempt.url().as_str(), allow_private) {
            Ok(_) => attempt.follow(),
            Err(e) => attempt.error(format!("redirected to a refused URL: {e}")),
        }
    });
    let mut builder = reqwest::Client::builder()
        .timeout(settings.timeout)
        .connect_timeout(settings.connect_timeout)
        .redirect(redirects)
        .user_agent(concat!(
            "bangui/",
            env!("CARGO_PKG_VERSION"),
            " (blocklist import)"
        ));
    if !allow_private {
        builder = builder.dns_resolver(Arc::new(PublicOnly));
    }
    let client = builder
        .build()
        .map_err(|e| FetchError::Permanent(format!("HTTP client: {e}")))?;
    let mut response = client
        .get(url.clone())
        .send()
        .await
        .map_err(|e| classify(&e))?;
    let status = response.status();
    if !status.is_success() {
        let message = format!("{url} answered {status}");
        return Err(
            if status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 408 {
                FetchError::Transient(message)
            } else {
                FetchError::Permanent(message)
            },
        );
    }
    let too_large = || {
        FetchError::Permanent(format!(
            "the list is larger than the limit of {} bytes",
            settings.max_bytes
        ))
    };
    if response
        .content_length()
        .is_some_and(|n| n > settings.max_bytes)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| classify(&e))? {
        if body.len() as u64 + chunk.len() as u64 > settings.max_bytes {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    let downloaded_bytes = body.len() as u64;
    // A .gz file (not a Content-Encoding, which reqwest already undid).
    if body.starts_with(&[0x1f, 0x8b]) {
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(body.as_slice())
            .take(settings.max_bytes + 1)
            .read_to_end(&mut plain)
            .map_err(|e| FetchError::Permanent(format!("the gzip list is damaged: {e}")))?;
        if plain.len() as u64 > settings.max_bytes {
            return Err(too_large());
        }
        body = plain;
    }
    Ok(Fetched {
        body,
        downloaded_bytes,
    })
}

fn classify(e: &reqwest::Error) -> FetchError {
    // The full chain says why (the resolver's refusal, a redirect refused, a timeout).
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message = format!("{message}: {s}");
        source = s.source();
    }
    if e.is_timeout() || (e.is_connect() && !message.contains("not a public address")) {
        FetchError::Transient(message)
    } else {
        FetchError::Permanent(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked() {
        assert!(check_url("https://lists.example.org/drop.txt", false).is_ok());
        for (bad, why) in [
            ("ftp://example.org/x", "only http and https"),
            ("file:///etc/passwd", "only http and https"),
            ("http://user:pw@example.org/", "user or password"),
            ("http://127.0.0.1/list", "not a public address"),
            ("http://[::1]/list", "not a public address"),
            ("http://10.1.2.3/list", "not a public address"),
            (
                "http://169.254.169.254/latest/meta-data",
                "not a public address",
            ),
            ("http://[fd00::1]/", "not a public address"),
            ("http://[::ffff:127.0.0.1]/", "not a public address"),
            ("not a url", "not a valid URL"),
        ] {
            let err = check_url(bad, false).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
        assert!(check_url("http://127.0.0.1:8080/list", true).is_ok());
    }

    #[test]
    fn public_means_public() {
        for ip in ["8.8.8.8", "2a00:1450::1", "193.0.14.129"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.1.1",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fc00::1",
            "::ffff:10.0.0.1",
            "224.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
    }
}
