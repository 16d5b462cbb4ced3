//! Logs: JSON lines (default, for Kubernetes) or human-readable, filtered by `RUST_LOG`.

use tracing_subscriber::EnvFilter;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Json,
    Pretty,
}

pub fn init(format: Format) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    match format {
        // The current span carries the request id, method and path of each request.
        Format::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
        Format::Pretty => builder.init(),
    }
}
