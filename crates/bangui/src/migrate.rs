//! `bangui migrate`.

use std::time::{Duration, Instant};

use anyhow::Context;
use bangui_store::{Database, StoreError};

use crate::config::{MigrateArgs, StoreArgs};

pub async fn run(args: MigrateArgs) -> anyhow::Result<()> {
    let db = connect(&args.store)?;
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
    tracing::info!("migrations applied");
    Ok(())
}

pub fn connect(store: &StoreArgs) -> anyhow::Result<Database> {
    Database::connect_lazy(
        &store.database_url,
        Duration::from_secs(3),
        store.database_max_connections,
    )
    .context("BANGUI_DATABASE_URL")
}
