//! [`LoadBalancer`]: a real HAProxy (Debian's package) in front of a cluster's workers, round
//! robin per request, as a browser meets bangui in production.

use std::time::Duration;

use anyhow::Context;

use crate::cluster::http_get;
use crate::net::start_on_port;
use crate::process::{ScratchDir, Spec, Supervised, find_program};

/// A running HAProxy; stops when dropped.
#[derive(Debug)]
pub struct LoadBalancer {
    port: u16,
    _process: Supervised,
    _dir: ScratchDir,
}

impl LoadBalancer {
    /// Balances over the workers listening on `backends` (ports on 127.0.0.1). Each request
    /// goes to the next worker, also on a kept-alive connection, and carries
    /// `X-Forwarded-For`, so the workers must trust 127.0.0.1 as a proxy.
    pub fn start(backends: &[u16]) -> anyhow::Result<Self> {
        let haproxy = find_program("haproxy", &["/usr/sbin"])
            .context("haproxy is not installed (make deps installs it)")?;
        let dir = ScratchDir::new("bangui-lb", None)?;
        let config = dir.path().join("haproxy.cfg");
        let log = dir.path().join("haproxy.log");
        let (port, process) = start_on_port(
            None,
            Duration::from_secs(15),
            |port| {
                std::fs::write(&config, config_text(port, backends))?;
                let spec = Spec::new(&haproxy, log.clone())
                    .args(["-db", "-f"])
                    .arg(config.display().to_string());
                Supervised::spawn("haproxy", &spec)
            },
            |_, port| http_get(port, "/api/v1/health/live").is_some_and(|(s, _)| s == 200),
        )?;
        Ok(Self {
            port,
            _process: process,
            _dir: dir,
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

fn config_text(port: u16, backends: &[u16]) -> String {
    let servers: String = backends
        .iter()
        .enumerate()
        .map(|(i, p)| format!("  server w{i} 127.0.0.1:{p}\n"))
        .collect();
    // Long client/server timeouts: the live event stream stays open for the whole test.
    format!(
        "global\n  maxconn 512\n\
         defaults\n  mode http\n  timeout connect 5s\n  timeout client 10m\n  timeout server 10m\n  option forwardfor\n\
         frontend web\n  bind 127.0.0.1:{port}\n  default_backend bangui\n\
         backend bangui\n  balance roundrobin\n{servers}"
    )
}
