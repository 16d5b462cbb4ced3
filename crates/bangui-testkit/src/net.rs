//! Free loopback ports and Unix socket path limits.

use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use crate::process::Supervised;

/// A port that was free a moment ago. Another process may take it before the server binds it;
/// every start-up here detects that (the server exits) and retries with a new port.
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Starts a server on `fixed`, or on a free port, retrying with another port when the server
/// does not become ready (another process took the port between our check and its bind).
/// `ready` must recognise *our* server, not just any server on the port.
pub fn start_on_port(
    fixed: Option<u16>,
    timeout: Duration,
    mut spawn: impl FnMut(u16) -> anyhow::Result<Supervised>,
    ready: impl Fn(&Supervised, u16) -> bool,
) -> anyhow::Result<(u16, Supervised)> {
    let attempts = if fixed.is_some() { 1 } else { 5 };
    let mut last_error = None;
    for _ in 0..attempts {
        let port = match fixed {
            Some(port) => port,
            None => free_port()?,
        };
        let process = spawn(port)?;
        match process.wait_ready(timeout, || ready(&process, port)) {
            Ok(()) => return Ok((port, process)),
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error.unwrap_or_else(|| anyhow::anyhow!("no attempt to start the server")))
}

/// Longest path a Unix socket can have on Linux (`sun_path` is 108 bytes with the NUL).
pub const MAX_SOCKET_PATH: usize = 107;

pub fn fits_socket_path(path: &Path) -> bool {
    path.as_os_str().len() <= MAX_SOCKET_PATH
}
