//! The `bangui` binary. Subcommands:
//!
//! * `bangui fail2ban [--socket PATH] <words…>`: send one command to fail2ban and print the
//!   answer as JSON.
#![forbid(unsafe_code)]

mod fail2ban_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "bangui",
    version,
    about = "Monitor, manage and configure fail2ban"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Fail2ban(fail2ban_cmd::Args),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Fail2ban(args) => fail2ban_cmd::run(args),
    }
}
