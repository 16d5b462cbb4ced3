//! What every job run passes through: a span that names the job, and a delay before the next
//! attempt after a failure.

use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use apalis::prelude::{AbortError, BoxDynError, Layer, Service, Task};
use bangui_store::Database;
use tracing::Instrument;

/// Runs each job in a span `job{job_id, kind, attempt}` (the blocklist import adds its
/// `source`), so every line it logs, a fail2ban command's included, names it; and puts a job's
/// next attempt off after a failure retrying may fix: apalis-postgres would take the job again
/// at once (its result query leaves `run_at` alone and ignores `RetryAfterError`). Outside the
/// timeout layer, so a timed-out run backs off too; aborted jobs are not retried anyway.
#[derive(Debug, Clone)]
pub(crate) struct JobLayer {
    kind: &'static str,
    db: Database,
    retry_after: Duration,
}

impl JobLayer {
    /// The second attempt `retry_after` after the first failure, the third three times as long
    /// after.
    pub(crate) fn new(kind: &'static str, db: Database, retry_after: Duration) -> Self {
        Self {
            kind,
            db,
            retry_after,
        }
    }
}

impl<S> Layer<S> for JobLayer {
    type Service = JobService<S>;

    fn layer(&self, inner: S) -> JobService<S> {
        JobService {
            inner,
            layer: self.clone(),
        }
    }
}

/// See [`JobLayer`].
#[derive(Debug, Clone)]
pub(crate) struct JobService<S> {
    inner: S,
    layer: JobLayer,
}

impl<S, Args> Service<Task<Args>> for JobService<S>
where
    S: Service<Task<Args>, Error = BoxDynError>,
    S::Future: Send + 'static,
    S::Response: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxDynError;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, BoxDynError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut std::task::Context<'_>) -> Poll<Result<(), BoxDynError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, task: Task<Args>) -> Self::Future {
        let id = task.ctx().task_id().map(ToString::to_string);
        let kind = self.layer.kind;
        // Runs before this one, as the queue counted them when it handed the job out.
        let attempt = task.ctx().attempt() + 1;
        let span = tracing::info_span!(
            "job",
            job_id = id.as_deref().unwrap_or("-"),
            kind,
            attempt,
            source = tracing::field::Empty,
        );
        metrics::counter!("bangui_jobs_started_total", "kind" => kind).increment(1);
        if attempt > 1 {
            metrics::counter!("bangui_jobs_retried_total", "kind" => kind).increment(1);
        }
        let started = std::time::Instant::now();
        let run = span.in_scope(|| self.inner.call(task));
        let JobLayer {
            db, retry_after, ..
        } = self.layer.clone();
        Box::pin(
            async move {
                let outcome = run.await;
                let (result, counter) = if outcome.is_ok() {
                    ("succeeded", "bangui_jobs_succeeded_total")
                } else {
                    ("failed", "bangui_jobs_failed_total")
                };
                metrics::counter!(counter, "kind" => kind).increment(1);
                metrics::histogram!("bangui_job_duration_seconds", "kind" => kind, "outcome" => result)
                    .record(started.elapsed());
                let retryable = match &outcome {
                    Err(e) if e.downcast_ref::<AbortError>().is_none() => Some(e.to_string()),
                    _ => None,
                };
                if let (Some(error), Some(id)) = (retryable, id) {
                    tracing::warn!(%error, "job failed");
                    if let Err(delay) = db.delay_retry(&id, retry_after).await {
                        tracing::warn!(error = %delay, "could not put off the retry");
                    }
                }
                outcome
            }
            .instrument(span),
        )
    }
}
