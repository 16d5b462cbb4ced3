//! `fail2ban-client … reload`: the only correct way to reload jails.
//!
//! `reload` is not a server command: fail2ban-client reads the configuration itself and sends
//! the server the whole stream of settings. Sending a bare `reload` over the socket would
//! delete the jails. So bangui runs fail2ban-client, with the same configuration directory and
//! socket the server uses, and one reload at a time across all workers.

use std::process::Stdio;
use std::time::Duration;

use crate::{Runtime, RuntimeError};

const RELOAD_LOCK: &str = "fail2ban-reload";

impl Runtime {
    /// Runs `fail2ban-client -c <config> -s <socket> reload <args>`, waiting for any reload
    /// another worker is running to finish first.
    pub(crate) async fn run_reload(&self, args: &[&str]) -> Result<(), RuntimeError> {
        let settings = self.settings();
        let lock_ttl = settings.reload_timeout + Duration::from_secs(5);
        let redis = self.redis();
        // As long as a reload may take: a holder still at it after that is stuck.
        let lock = redis
            .lock_within(RELOAD_LOCK, lock_ttl, lock_ttl, Duration::from_millis(20))
            .await?;
        let Some(lock) = lock else {
            return Err(RuntimeError::Reload(
                "another reload is still running".into(),
            ));
        };
        let result = self.reload_now(args).await;
        redis.unlock(lock).await?;
        result
    }

    async fn reload_now(&self, args: &[&str]) -> Result<(), RuntimeError> {
        let settings = self.settings();
        let mut command = tokio::process::Command::new(&settings.fail2ban_client);
        command
            .arg("-c")
            .arg(&settings.config_dir)
            .arg("-s")
            .arg(self.fail2ban().socket())
            .arg("reload")
            .args(args)
            .stdin(Stdio::null())
            .kill_on_drop(true);
        tracing::info!(?args, "reloading fail2ban");
        let started = std::time::Instant::now();
        let output = tokio::time::timeout(settings.reload_timeout, command.output())
            .await
            .map_err(|_| {
                RuntimeError::Reload(format!("no result within {:?}", settings.reload_timeout))
            })?
            .map_err(|e| {
                RuntimeError::Reload(format!(
                    "cannot run {}: {e}",
                    settings.fail2ban_client.display()
                ))
            })?;
        if output.status.success() {
            tracing::info!(
                ?args,
                ms = started.elapsed().as_millis() as u64,
                "fail2ban reloaded"
            );
            return Ok(());
        }
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        // The last lines say why; the whole output can be long.
        let tail: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        Err(RuntimeError::Reload(
            tail[tail.len().saturating_sub(3)..].join(" / "),
        ))
    }
}
