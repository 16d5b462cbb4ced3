//! The `bangui` binary. Subcommands:
//!
//! * `bangui serve`: one stateless HTTP worker (run as many as you like behind a load balancer);
//! * `bangui worker`: background job workers (as many as you like; each scheduled run happens
//!   once across all of them);
//! * `bangui migrate`: apply the PostgreSQL migrations;
//! * `bangui fail2ban [--socket PATH] <words…>`: send one command to fail2ban and print the
//!   answer as JSON;
//! * `bangui healthcheck [--live]`: exit 0 if the local `bangui serve` is ready (alive);
//! * `bangui openapi`: print the API's OpenAPI document.
//!
//! Configuration comes from `BANGUI_*` environment variables (flags with the same names work
//! too); `bangui <command> --help` lists them.
#![forbid(unsafe_code)]

mod config;
mod fail2ban_cmd;
mod healthcheck;
mod logging;
mod migrate;
mod serve;
mod shutdown;
mod telemetry;
mod worker;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// glibc's allocator contends between the runtime's threads under load (measured: a quarter of
/// a worker's CPU in malloc/free at 30,000 requests per second); mimalloc keeps per-thread heaps.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(
    name = "bangui",
    version,
    about = "Monitor, manage and configure fail2ban"
)]
struct Cli {
    /// Log format: json (one object per line, for log collectors) or pretty.
    #[arg(long, global = true, env = "BANGUI_LOG_FORMAT", default_value = "json")]
    log_format: logging::Format,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Serve(Box<config::ServeArgs>),
    Worker(Box<config::WorkerArgs>),
    Migrate(config::MigrateArgs),
    Fail2ban(fail2ban_cmd::Args),
    /// Ask a running `bangui serve` whether it is ready: exit status 0 if so (for container
    /// health checks; no curl needed).
    Healthcheck(healthcheck::Args),
    /// Print the OpenAPI 3.1 document of the HTTP API (what GET /api/v1/openapi.json serves).
    Openapi,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Fail2ban(args) => fail2ban_cmd::run(args),
        Command::Serve(args) => run_async(cli.log_format, serve::run(*args)),
        Command::Worker(args) => run_async(cli.log_format, worker::run(*args)),
        Command::Migrate(args) => run_async(cli.log_format, migrate::run(args)),
        Command::Healthcheck(args) => healthcheck::run(args),
        Command::Openapi => print_openapi(),
    }
}

fn print_openapi() -> ExitCode {
    match bangui_http::document().to_pretty_json() {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bangui: cannot write the OpenAPI document: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_async(format: logging::Format, task: impl Future<Output = anyhow::Result<()>>) -> ExitCode {
    // One TLS crypto provider for the process (ring, as sqlx uses); reqwest, the OTLP
    // exporter's included, is built without one of its own.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let telemetry = logging::init(format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    let code = match runtime.block_on(task) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "exiting");
            ExitCode::FAILURE
        }
    };
    drop(runtime);
    telemetry.shutdown();
    code
}
