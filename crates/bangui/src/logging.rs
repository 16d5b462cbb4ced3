//! Logs: JSON lines (default, for Kubernetes) or human-readable, filtered by `RUST_LOG`; and,
//! when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, traces over OTLP/HTTP.
//!
//! A JSON line carries every span it happened in (`spans`): the request (`request_id`) or the
//! job (`job_id`, `kind`, `attempt`) behind it, and the runtime operation. So a fail2ban
//! command's line names whoever caused it.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, fmt};

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Json,
    Pretty,
}

/// What must be flushed before the process exits.
#[derive(Debug)]
pub struct Telemetry {
    traces: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Sends the spans not exported yet. Blocking: call it outside the async runtime.
    pub fn shutdown(self) {
        if let Some(provider) = self.traces
            && let Err(e) = provider.shutdown()
        {
            eprintln!("bangui: exporting the last traces failed: {e}");
        }
    }
}

/// Installs the process' subscriber. Call before the async runtime starts: the OTLP exporter
/// has its own thread and blocking HTTP client.
pub fn init(format: Format) -> Telemetry {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let lines = fmt::layer().with_writer(std::io::stderr).with_ansi(ansi);
    let lines = match format {
        Format::Json => lines
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .boxed(),
        Format::Pretty => lines.boxed(),
    };
    let (traces, otlp_error) = match otlp_traces() {
        Ok(traces) => (traces, None),
        Err(e) => (None, Some(e)),
    };
    let otel = traces
        .as_ref()
        .map(|provider| tracing_opentelemetry::layer().with_tracer(provider.tracer("bangui")));
    tracing_subscriber::registry()
        .with(filter)
        .with(lines)
        .with(otel)
        .init();
    if let Some(e) = otlp_error {
        tracing::error!(error = %e, "OTLP traces are off: the exporter cannot be built");
    } else if traces.is_some() {
        tracing::info!("traces go out over OTLP");
    }
    Telemetry { traces }
}

/// A tracer provider exporting to `OTEL_EXPORTER_OTLP_ENDPOINT` (or the `…_TRACES_ENDPOINT`),
/// as the OpenTelemetry variables say; `None` when no endpoint is set.
fn otlp_traces() -> anyhow::Result<Option<SdkTracerProvider>> {
    let configured = [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ]
    .iter()
    .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()));
    if !configured {
        return Ok(None);
    }
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .build()?;
    let service = std::env::var("OTEL_SERVICE_NAME").unwrap_or_else(|_| "bangui".to_owned());
    let resource = Resource::builder().with_service_name(service).build();
    Ok(Some(
        SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource)
            .build(),
    ))
}
