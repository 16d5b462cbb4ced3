//! Moving one command over fail2ban's Unix socket.
//!
//! fail2ban serves its socket from a single-threaded loop with a listen backlog of 1. A
//! non-blocking connect (what tokio does) therefore fails with `EAGAIN` whenever another client
//! is already waiting; that means "busy", not "down", and is retried with jittered backoff until
//! the command's deadline. A missing socket file or a refused connection means fail2ban is not
//! running, perhaps restarting: that is retried only for a short grace period.
//!
//! Every command opens its own connection, like `fail2ban-client` does, so a socket that
//! fail2ban re-created after a restart is simply found again by its path.

use std::hash::{BuildHasher, RandomState};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;
use tokio::time::Instant;

use crate::error::Error;
use crate::pickle::{self, DecodeError, Limits, Value};
use crate::protocol::{CLOSE, END};

/// How long and how much the transport waits and reads.
#[derive(Debug, Clone)]
pub struct TransportConfig {
    /// Whole command: connecting (including waiting while fail2ban is busy), sending, answering.
    pub timeout: Duration,
    /// How long a missing socket or a refused connection is retried before fail2ban counts as
    /// down. Covers the moment of a fail2ban restart.
    pub down_grace: Duration,
    /// Largest answer accepted. `status` of a jail with 100,000 bans is about 2 MB.
    pub max_answer_bytes: usize,
    pub limits: Limits,
}

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            down_grace: Duration::from_millis(1000),
            max_answer_bytes: 128 << 20,
            limits: Limits::default(),
        }
    }
}

/// One fail2ban socket, addressed by path.
#[derive(Debug, Clone)]
pub struct Transport {
    path: PathBuf,
    config: TransportConfig,
}

/// A decoded answer and how long fail2ban took to produce it (request written → answer read).
#[derive(Debug)]
pub struct Exchange {
    pub answer: Value,
    pub service_time: Duration,
}

const MIN_BACKOFF: Duration = Duration::from_millis(1);
const MAX_BACKOFF: Duration = Duration::from_millis(25);

impl Transport {
    pub fn new(path: impl Into<PathBuf>, config: TransportConfig) -> Self {
        Self {
            path: path.into(),
            config,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn config(&self) -> &TransportConfig {
        &self.config
    }

    /// Sends an encoded request (terminator included, see
    /// [`encode_request`](crate::protocol::encode_request)) and returns the decoded, not yet
    /// interpreted, answer. `deadline` bounds the whole exchange.
    pub async fn exchange(&self, request: &[u8], deadline: Instant) -> Result<Exchange, Error> {
        let mut stream = self.connect(deadline).await?;
        let timeout = self.config.timeout;
        let io = async {
            stream
                .write_all(request)
                .await
                .map_err(|e| self.broken("sending the command", &e))?;
            let sent = Instant::now();
            let answer = self.read_answer(&mut stream).await?;
            let service_time = sent.elapsed();
            // Polite close, as fail2ban-client does; the answer is already in hand.
            let mut close = CLOSE.to_vec();
            close.extend_from_slice(END);
            let _ = stream.write_all(&close).await;
            Ok(Exchange {
                answer,
                service_time,
            })
        };
        tokio::time::timeout_at(deadline, io)
            .await
            .map_err(|_| Error::Timeout(timeout))?
    }

    async fn connect(&self, deadline: Instant) -> Result<UnixStream, Error> {
        let mut backoff = MIN_BACKOFF;
        let mut down_since: Option<Instant> = None;
        loop {
            let error = match UnixStream::connect(&self.path).await {
                Ok(stream) => return Ok(stream),
                Err(e) => e,
            };
            let now = Instant::now();
            match error.kind() {
                // Backlog full: fail2ban is alive and serving someone else.
                ErrorKind::WouldBlock => down_since = None,
                // No socket file, or nobody listening on it: down, or restarting right now.
                ErrorKind::NotFound | ErrorKind::ConnectionRefused => {
                    let since = *down_since.get_or_insert(now);
                    if now.duration_since(since) >= self.config.down_grace {
                        return Err(self.unreachable(error));
                    }
                }
                _ => return Err(self.unreachable(error)),
            }
            let pause = jitter(backoff);
            if now + pause >= deadline {
                return Err(if down_since.is_some() {
                    self.unreachable(error)
                } else {
                    Error::Timeout(self.config.timeout)
                });
            }
            tokio::time::sleep(pause).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// Reads until the buffer ends with the terminator *and* holds a complete pickle: a string
    /// inside the answer may itself end with the terminator's bytes.
    async fn read_answer(&self, stream: &mut UnixStream) -> Result<Value, Error> {
        let mut buf = Vec::with_capacity(4096);
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            let n = stream
                .read(&mut chunk)
                .await
                .map_err(|e| self.broken("reading the answer", &e))?;
            if n == 0 {
                return Err(Error::Protocol(format!(
                    "fail2ban closed the connection after {} bytes, before the end of its answer",
                    buf.len()
                )));
            }
            if buf.len() + n > self.config.max_answer_bytes {
                return Err(Error::AnswerTooLarge(self.config.max_answer_bytes));
            }
            buf.extend_from_slice(&chunk[..n]);
            if buf.ends_with(END) {
                match pickle::decode_with(&buf[..buf.len() - END.len()], &self.config.limits) {
                    Err(DecodeError::Truncated) => continue,
                    other => return other.map_err(Error::from),
                }
            }
        }
    }

    fn unreachable(&self, source: std::io::Error) -> Error {
        Error::Unreachable {
            path: self.path.clone(),
            source,
        }
    }

    fn broken(&self, what: &str, e: &std::io::Error) -> Error {
        Error::Protocol(format!("connection to fail2ban broke while {what}: {e}"))
    }
}

/// A random duration in [d/2, d], so that N waiting clients do not retry in lockstep.
fn jitter(d: Duration) -> Duration {
    let random = RandomState::new().hash_one(Instant::now());
    let half = d / 2;
    half + Duration::from_nanos(random % (half.as_nanos() as u64 + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_in_range() {
        for _ in 0..1000 {
            let j = jitter(Duration::from_millis(10));
            assert!(
                j >= Duration::from_millis(5) && j <= Duration::from_millis(10),
                "{j:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_missing_socket_is_unreachable_after_the_grace_period() {
        let config = TransportConfig {
            down_grace: Duration::from_millis(50),
            ..Default::default()
        };
        let transport = Transport::new("/nonexistent/bangui/fail2ban.sock", config);
        let started = Instant::now();
        let err = transport
            .exchange(b"x", Instant::now() + Duration::from_secs(5))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), "fail2ban_unreachable");
        // Gave up after the grace period, long before the deadline.
        assert!(started.elapsed() < Duration::from_secs(4));
    }
}
