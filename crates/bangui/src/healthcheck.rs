//! `bangui healthcheck`: asks a running `bangui serve` whether it is ready (or alive), for
//! container health checks in an image without curl. Exit status 0 when it answers 200.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The address `bangui serve` listens on (`0.0.0.0` and `::` are asked on loopback).
    #[arg(long, env = "BANGUI_LISTEN", default_value = "127.0.0.1:8000")]
    listen: SocketAddr,
    /// Ask `/api/v1/health/live` (the process serves) instead of `/api/v1/health/ready`.
    #[arg(long)]
    live: bool,
    /// Seconds to wait for the answer.
    #[arg(long, default_value_t = 3)]
    timeout: u64,
}

pub fn run(args: Args) -> ExitCode {
    let mut addr = args.listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(if addr.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    let path = if args.live {
        "/api/v1/health/live"
    } else {
        "/api/v1/health/ready"
    };
    match get(addr, path, Duration::from_secs(args.timeout)) {
        Ok(200) => ExitCode::SUCCESS,
        Ok(status) => {
            eprintln!("bangui: {path} on {addr} answered {status}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("bangui: {path} on {addr}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The status of an HTTP/1.0 `GET path` to `addr`.
fn get(addr: SocketAddr, path: &str, timeout: Duration) -> std::io::Result<u16> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n")?;
    let mut head = [0u8; 64];
    let n = stream.read(&mut head)?;
    let line = String::from_utf8_lossy(&head[..n]);
    line.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP answer: {line:?}")))
}
