//! Free loopback ports and Unix socket path limits.

use std::net::TcpListener;
use std::path::Path;

/// A port that was free a moment ago. Another process may take it before the server binds it;
/// every start-up here detects that (the server exits) and retries with a new port.
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Longest path a Unix socket can have on Linux (`sun_path` is 108 bytes with the NUL).
pub const MAX_SOCKET_PATH: usize = 107;

pub fn fits_socket_path(path: &Path) -> bool {
    path.as_os_str().len() <= MAX_SOCKET_PATH
}
