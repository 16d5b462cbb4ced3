//! SIGTERM / SIGINT, observable by several parts of the process.

use tokio::sync::watch;

/// Resolves once the process was asked to stop.
#[derive(Debug, Clone)]
pub struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    /// Starts listening for SIGTERM and SIGINT.
    pub fn listen() -> Self {
        let (tx, rx) = watch::channel(false);
        tokio::spawn(async move {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            let term = async {
                match term.as_mut() {
                    Some(t) => {
                        t.recv().await;
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT: shutting down"),
                () = term => tracing::info!("SIGTERM: shutting down"),
            }
            let _ = tx.send(true);
        });
        Self(rx)
    }

    pub async fn requested(mut self) {
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}
