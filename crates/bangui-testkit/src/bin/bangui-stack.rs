//! `bangui-stack`: starts the real components around a command.
//!
//! * `bangui-stack exec -- cargo test …` (what `make test` runs): a throw-away Redis and
//!   PostgreSQL for the whole test run, announced to the tests through `BANGUI_TEST_REDIS_URL`
//!   and `BANGUI_TEST_DATABASE_URL`; stopped afterwards whatever the tests did. The exit status
//!   is the command's.
//! * `bangui-stack run --state .bangui [-- bangui serve]` (what `make run` runs): Redis,
//!   PostgreSQL and a sandboxed fail2ban with demo jails fed by an attack simulator, all keeping
//!   their state under `--state`; then the command with the `BANGUI_*` variables pointing at
//!   them. Ctrl-C stops everything.
#![forbid(unsafe_code)]

use std::fmt::Write as _;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use bangui_testkit::demo::AttackSimulator;
use bangui_testkit::{DATABASE_URL_ENV, Fail2ban, Layout, Postgres, REDIS_URL_ENV, Redis};
use clap::Parser;

#[derive(Debug, Parser)]
#[command(
    name = "bangui-stack",
    about = "Start Redis, PostgreSQL and a sandboxed fail2ban around a command"
)]
enum Cli {
    /// Start a throw-away Redis and PostgreSQL, run COMMAND with BANGUI_TEST_* set, stop them.
    Exec {
        #[arg(trailing_var_arg = true, required = true, value_name = "COMMAND")]
        command: Vec<String>,
    },
    /// Start the local stack with its state under --state, then COMMAND (if any) with BANGUI_* set.
    Run {
        #[arg(long, default_value = ".bangui")]
        state: PathBuf,
        /// Do not simulate attacks on the demo jails.
        #[arg(long)]
        no_attacks: bool,
        #[arg(trailing_var_arg = true, value_name = "COMMAND")]
        command: Vec<String>,
    },
}

fn main() -> ExitCode {
    let result = match Cli::parse() {
        Cli::Exec { command } => exec(&command),
        Cli::Run {
            state,
            no_attacks,
            command,
        } => run(&state, !no_attacks, &command),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("bangui-stack: {e:#}");
            ExitCode::from(70)
        }
    }
}

fn exec(command: &[String]) -> anyhow::Result<ExitCode> {
    let redis = Redis::start().context("starting Redis")?;
    let postgres = Postgres::start().context("starting PostgreSQL")?;
    eprintln!(
        "bangui-stack: Redis on port {}, PostgreSQL on port {} (pids {:?}, {:?})",
        redis.port(),
        postgres.port(),
        redis.pid(),
        postgres.pid()
    );
    let env = vec![
        (REDIS_URL_ENV.to_owned(), redis.url()),
        (DATABASE_URL_ENV.to_owned(), postgres.url("postgres")),
    ];
    let code = run_child(command, &env)?;
    drop(postgres);
    drop(redis);
    Ok(code)
}

fn run(state: &Path, attacks: bool, command: &[String]) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(state)?;
    let state = state.canonicalize()?;
    let redis = Redis::start_in(&state.join("redis")).context("starting Redis")?;
    let postgres = start_postgres(&state)?;
    postgres
        .psql(
            "postgres",
            "SELECT 1 FROM pg_database WHERE datname = 'bangui'",
        )
        .and_then(|exists| {
            if exists.is_empty() {
                postgres.psql("postgres", "CREATE DATABASE bangui")
            } else {
                Ok(exists)
            }
        })
        .context("creating the database 'bangui'")?;
    let fail2ban =
        Fail2ban::start_in(&state.join("fail2ban"), Layout::Demo).context("starting fail2ban")?;
    let _attacks = attacks.then(|| {
        AttackSimulator::start(
            vec![fail2ban.log_file("sshd"), fail2ban.log_file("web-login")],
            Duration::from_millis(1500),
        )
    });

    let listen = std::env::var("BANGUI_LISTEN").unwrap_or_else(|_| "127.0.0.1:8000".to_owned());
    let env = vec![
        ("BANGUI_DATABASE_URL".to_owned(), postgres.url("bangui")),
        ("BANGUI_REDIS_URL".to_owned(), redis.url()),
        (
            "BANGUI_FAIL2BAN_SOCKET".to_owned(),
            fail2ban.socket().display().to_string(),
        ),
        (
            "BANGUI_FAIL2BAN_CONFIG_DIR".to_owned(),
            fail2ban.config_dir().display().to_string(),
        ),
        (
            "BANGUI_FAIL2BAN_DB".to_owned(),
            fail2ban.db_path().display().to_string(),
        ),
        // The sandbox's fail2ban logs into its own directory: the Log tab shows it.
        (
            "BANGUI_FAIL2BAN_LOG_DIR".to_owned(),
            fail2ban.dir().display().to_string(),
        ),
        (
            "BANGUI_SESSION_COOKIE_SECURE".to_owned(),
            "false".to_owned(),
        ),
        ("BANGUI_LOG_FORMAT".to_owned(), "pretty".to_owned()),
        ("BANGUI_LISTEN".to_owned(), listen.clone()),
        ("BANGUI_MIGRATE_ON_START".to_owned(), "true".to_owned()),
        ("BANGUI_SERVE_JOBS".to_owned(), "true".to_owned()),
    ];
    let mut env_file = String::from(
        "# written by `make run`; `. .bangui/env` in another shell to talk to the same stack\n",
    );
    for (k, v) in &env {
        writeln!(env_file, "export {k}='{v}'")?;
    }
    std::fs::write(state.join("env"), env_file)?;

    println!("bangui local stack is up (state in {})", state.display());
    println!("  Redis        {}", redis.url());
    println!("  PostgreSQL   {}", postgres.url("bangui"));
    println!(
        "  fail2ban     {} (jails: {})",
        fail2ban.socket().display(),
        Layout::Demo.enabled_jails().join(", ")
    );
    if attacks {
        println!(
            "  attacks      simulated into the sshd and web-login logs: first bans within a minute"
        );
    }
    if !command.is_empty() {
        println!("\nbangui       http://{listen}/  (API under /api/v1: first POST /api/v1/setup)");
    }
    let code = if command.is_empty() {
        println!(
            "\nTalk to fail2ban:  target/debug/bangui fail2ban --socket {} status sshd",
            fail2ban.socket().display()
        );
        println!("Press Ctrl-C to stop.");
        wait_for_ctrl_c()?;
        ExitCode::SUCCESS
    } else {
        run_child(command, &env)?
    };
    println!("stopping the local stack…");
    Ok(code)
}

/// PostgreSQL refuses root, so as root it runs as `postgres`, which must reach its data
/// directory. A checkout under `/root` is closed to it; the data then lives in `/var/tmp`.
fn start_postgres(state: &Path) -> anyhow::Result<Postgres> {
    match Postgres::start_in(&state.join("postgres")) {
        Ok(pg) => Ok(pg),
        Err(e) if format!("{e}").contains("cannot reach") => {
            let mut hasher = DefaultHasher::new();
            state.hash(&mut hasher);
            let dir = PathBuf::from(format!("/var/tmp/bangui-postgres-{:016x}", hasher.finish()));
            eprintln!(
                "note: {e}; keeping PostgreSQL's data in {} instead",
                dir.display()
            );
            std::fs::create_dir_all(&dir)?;
            Postgres::start_in(&dir).context("starting PostgreSQL")
        }
        Err(e) => Err(e.context("starting PostgreSQL")),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

fn wait_for_ctrl_c() -> anyhow::Result<()> {
    runtime()?.block_on(shutdown_signal());
    Ok(())
}

async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let term = async {
        match term.as_mut() {
            Some(t) => {
                t.recv().await;
            }
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}

/// Runs the command to completion. A Ctrl-C reaches the command too (same process group);
/// this process survives it, so that it can stop the servers in order once the command is done.
fn run_child(command: &[String], env: &[(String, String)]) -> anyhow::Result<ExitCode> {
    let (program, args) = command.split_first().context("no command given")?;
    runtime()?.block_on(async {
        let mut child = tokio::process::Command::new(program)
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .spawn()
            .with_context(|| format!("starting {program}"))?;
        let status = tokio::select! {
            status = child.wait() => status?,
            () = shutdown_signal() => {
                // A Ctrl-C reached the command already; a SIGTERM sent to us did not.
                if let Some(pid) = child.id() {
                    let _ = bangui_testkit::process::signal(pid, "TERM");
                }
                // Give the command its own graceful shutdown, then insist.
                match tokio::time::timeout(Duration::from_secs(30), child.wait()).await {
                    Ok(status) => status?,
                    Err(_) => {
                        child.kill().await?;
                        child.wait().await?
                    }
                }
            }
        };
        let code = status.code().map_or(1, |c| c.clamp(0, 255)) as u8;
        Ok(ExitCode::from(code))
    })
}
