//! [`Database`]: bangui's own PostgreSQL, with its migrations embedded in the binary.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::StoreError;

/// The migrations of the top-level `migrations/` folder, embedded at compile time (no
/// database is needed to build).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

/// Pooled PostgreSQL access. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Database {
    pool: PgPool,
}

impl Database {
    /// A pool for `url`; nothing is connected until first use, so a worker starts even while
    /// PostgreSQL is down. Connections are tested before use, so a restarted server is picked
    /// up again without restarting the worker.
    pub fn connect_lazy(
        url: &str,
        timeout: Duration,
        max_connections: u32,
    ) -> Result<Self, StoreError> {
        let options: PgConnectOptions = url
            .parse()
            .map_err(|e| StoreError::Internal(format!("database URL: {e}")))?;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(timeout)
            .test_before_acquire(true)
            .connect_lazy_with(options.application_name("bangui"));
        Ok(Self { pool })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Sets the pool gauges (`bangui_postgres_pool_*`) to what the pool holds now: at scrape.
    pub fn record_pool_metrics(&self) {
        let (size, idle) = (self.pool.size(), self.pool.num_idle() as u32);
        metrics::gauge!("bangui_postgres_pool_connections", "state" => "idle").set(f64::from(idle));
        metrics::gauge!("bangui_postgres_pool_connections", "state" => "busy")
            .set(f64::from(size.saturating_sub(idle)));
        metrics::gauge!("bangui_postgres_pool_max_connections")
            .set(f64::from(self.pool.options().get_max_connections()));
    }

    /// Applies pending migrations. Safe to run from several workers at once: sqlx takes a
    /// PostgreSQL advisory lock.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await.map_err(|e| match e {
            sqlx::migrate::MigrateError::Execute(e) => e.into(),
            other => StoreError::Internal(format!("migration: {other}")),
        })
    }

    /// `SELECT 1`: readiness.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}
