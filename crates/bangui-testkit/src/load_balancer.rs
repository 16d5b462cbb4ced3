//! [`LoadBalancer`]: a real HAProxy (Debian's package) in front of a cluster's workers, round
//! robin per request, as a browser meets bangui in production.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::cluster::http_get;
use crate::net::start_on_port;
use crate::process::{ScratchDir, Spec, Supervised, find_program};

/// A running HAProxy; stops when dropped.
#[derive(Debug)]
pub struct LoadBalancer {
    port: u16,
    /// HAProxy's runtime API: what it thinks of each worker.
    socket: PathBuf,
    /// Worker `i` is server `<prefix><first_server + i>` of backend `bangui`.
    server_prefix: &'static str,
    first_server: usize,
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
        let socket = dir.path().join("haproxy.sock");
        let (port, process) = start_on_port(
            None,
            Duration::from_secs(15),
            |port| {
                std::fs::write(&config, config_text(port, backends, &socket))?;
                let spec = Spec::new(&haproxy, log.clone())
                    .args(["-db", "-f"])
                    .arg(config.display().to_string());
                Supervised::spawn("haproxy", &spec)
            },
            |_, port| http_get(port, "/api/v1/health/live").is_some_and(|(s, _)| s == 200),
        )?;
        Ok(Self {
            port,
            socket,
            server_prefix: "w",
            first_server: 0,
            _process: process,
            _dir: dir,
        })
    }

    /// Runs the configuration bangui ships (`deploy/haproxy/haproxy.cfg`, with its three
    /// `server` lines) over the workers on `backends`, exactly as an operator would, plus a
    /// second file that only adds the runtime API this handle reads.
    pub fn shipped(config: &std::path::Path, backends: [u16; 3]) -> anyhow::Result<Self> {
        let haproxy = find_program("haproxy", &["/usr/sbin"])
            .context("haproxy is not installed (make deps installs it)")?;
        let dir = ScratchDir::new("bangui-lb", None)?;
        let stats = dir.path().join("stats.cfg");
        let log = dir.path().join("haproxy.log");
        let socket = dir.path().join("haproxy.sock");
        std::fs::write(
            &stats,
            format!("global\n  stats socket {}\n", socket.display()),
        )?;
        let (port, process) = start_on_port(
            None,
            Duration::from_secs(15),
            |port| {
                let mut spec = Spec::new(&haproxy, log.clone())
                    .args(["-db", "-f"])
                    .arg(config.display().to_string())
                    .arg("-f")
                    .arg(stats.display().to_string());
                spec.env
                    .push(("BANGUI_LB_BIND".into(), format!("127.0.0.1:{port}")));
                for (i, p) in backends.iter().enumerate() {
                    spec.env
                        .push((format!("BANGUI_WEB{}", i + 1), format!("127.0.0.1:{p}")));
                }
                Supervised::spawn("haproxy", &spec)
            },
            |_, port| http_get(port, "/api/v1/health/live").is_some_and(|(s, _)| s == 200),
        )?;
        Ok(Self {
            port,
            socket,
            server_prefix: "web",
            first_server: 1,
            _process: process,
            _dir: dir,
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Whether HAProxy's health checks currently count worker `i` as up.
    pub fn is_up(&self, i: usize) -> anyhow::Result<bool> {
        let mut stream = UnixStream::connect(&self.socket).context("HAProxy's runtime API")?;
        stream.write_all(b"show stat\n")?;
        let mut csv = String::new();
        stream.read_to_string(&mut csv)?;
        // `# pxname,svname,…,status,…`: the status is the 18th field.
        let name = format!("{}{}", self.server_prefix, self.first_server + i);
        Ok(csv.lines().any(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            fields.len() > 17 && fields[0] == "bangui" && fields[1] == name && fields[17] == "UP"
        }))
    }

    /// Waits until HAProxy counts worker `i` as up again (after a restart, its next health
    /// check), so that killing another worker right after never leaves it with none.
    pub fn wait_until_up(&self, i: usize, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        while !self.is_up(i)? {
            anyhow::ensure!(
                Instant::now() < deadline,
                "HAProxy still counts worker {i} as down"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }
}

fn config_text(port: u16, backends: &[u16], socket: &std::path::Path) -> String {
    let servers: String = backends
        .iter()
        .enumerate()
        .map(|(i, p)| format!("  server w{i} 127.0.0.1:{p} check inter 500ms fall 1 rise 1\n"))
        .collect();
    // Long client/server timeouts: the live event stream stays open for the whole test.
    // Health checks every 500 ms on liveness, and a request that meets a dead worker is
    // redispatched to another: as a production balancer is set up, so that a worker killed
    // mid-test costs the browser a reconnect, not an error.
    format!(
        "global\n  maxconn 512\n  stats socket {socket}\n\
         defaults\n  mode http\n  timeout connect 5s\n  timeout client 10m\n  timeout server 10m\n  option forwardfor\n\
         frontend web\n  bind 127.0.0.1:{port}\n  default_backend bangui\n\
         backend bangui\n  balance roundrobin\n\
         \x20 option httpchk\n  http-check send meth GET uri /api/v1/health/live\n\
         \x20 retries 3\n  option redispatch 1\n{servers}",
        socket = socket.display()
    )
}
