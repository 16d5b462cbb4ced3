//! `bangui migrate`.

use std::time::{Duration, Instant};

use anyhow::Context;
use bangui_store::{Database, StoreError};

use crate::config::MigrateArgs;

pub async fn run(args: MigrateArgs) -> anyhow::Result<()> {
    let db = args.store.connect()?;
    let deadline = Instant::now() + Duration::from_secs(args.wait_seconds);
    loop {
        match db.migrate().await {
            Ok(()) => break,
            // In a cluster the database may start at the same time as this job.
            Err(StoreError::DatabaseUnavailable(cause)) if Instant::now() < deadline => {
                tracing::info!(%cause, "waiting for PostgreSQL");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => return Err(e).context("applying migrations"),
        }
    }
    apply_all(&db).await?;
    tracing::info!("migrations applied");
    Ok(())
}

/// bangui's migrations and the job queue's (schema `apalis`).
pub async fn apply_all(db: &Database) -> anyhow::Result<()> {
    db.migrate().await.context("applying bangui's migrations")?;
    bangui_jobs::setup(db)
        .await
        .context("applying the job queue's migrations")
}
