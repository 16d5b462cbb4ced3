//! [`AppState`]: what every handler gets. Pools and handles only; no per-user state.

use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use bangui_jobs::JobQueue;
use bangui_runtime::Runtime;
use bangui_store::{Database, RedisStore};
use metrics_exporter_prometheus::PrometheusHandle;

use crate::settings::HttpSettings;

/// Shared by every request. One `Arc`: axum clones the state for every request and every
/// stateful middleware, and one reference count is much cheaper than one per field.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

#[allow(missing_debug_implementations)] // AppState's Debug covers it
pub struct Shared {
    pub redis: RedisStore,
    pub db: Database,
    /// fail2ban and the shared state about it, with the operations on them.
    pub runtime: Runtime,
    /// Starts background jobs and reads their state.
    pub jobs: JobQueue,
    pub settings: HttpSettings,
    /// Renders `/metrics`; `None` when the metrics are served on their own listener.
    pub metrics: Option<PrometheusHandle>,
    /// Set once setup is seen complete. Setup never reverts, so this cache of a global fact
    /// cannot disagree between workers; it only saves a query per request.
    pub(crate) setup_done: AtomicBool,
    /// Set on SIGTERM: the worker still serves, but reports not ready.
    draining: AtomicBool,
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("redis", &self.redis)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl AppState {
    pub fn new(
        redis: RedisStore,
        db: Database,
        runtime: Runtime,
        jobs: JobQueue,
        settings: HttpSettings,
        metrics: Option<PrometheusHandle>,
    ) -> Self {
        Self(Arc::new(Shared {
            redis,
            db,
            runtime,
            jobs,
            settings,
            metrics,
            setup_done: AtomicBool::new(false),
            draining: AtomicBool::new(false),
        }))
    }

    /// From now on `/health/ready` answers 503 `draining`; everything else is served as before.
    pub fn start_draining(&self) {
        self.draining
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(std::sync::atomic::Ordering::Relaxed)
    }
}
