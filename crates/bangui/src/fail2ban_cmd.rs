//! `bangui fail2ban`: one command to fail2ban's socket, the answer as JSON.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use bangui_fail2ban::{Client, DEFAULT_SOCKET, Error, Value};

/// Exit status when fail2ban refused the command (unknown jail, invalid command, …).
pub const EXIT_REFUSED: u8 = 1;
/// Exit status when the command was refused before sending (it contains fail2ban's
/// terminator, …). 2 is also what a usage error gives.
pub const EXIT_INVALID: u8 = 2;
/// Exit status when the socket cannot be reached or fail2ban does not answer in time.
pub const EXIT_UNREACHABLE: u8 = 3;
/// Exit status when fail2ban's answer cannot be understood.
pub const EXIT_PROTOCOL: u8 = 4;

/// Send one command to fail2ban's socket and print the decoded answer as JSON.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  bangui fail2ban status
  bangui fail2ban status sshd
  bangui fail2ban set sshd banip 192.0.2.7

On success the answer is printed to stdout and the exit status is 0. Otherwise a JSON error
{\"error_code\": …, \"message\": …} goes to stderr and the exit status is 1 when fail2ban refused
the command (error_code unknown_jail, invalid_command, value_error, fail2ban_error), 2 when the
command was refused before sending, 3 when fail2ban cannot be reached or does not answer, 4 when
its answer cannot be understood.")]
pub struct Args {
    /// fail2ban's control socket.
    #[arg(long, env = "BANGUI_FAIL2BAN_SOCKET", default_value = DEFAULT_SOCKET)]
    socket: PathBuf,
    /// Seconds to wait for the answer (including while fail2ban is busy with others).
    #[arg(long, default_value_t = 10)]
    timeout: u64,
    /// The command, word by word, as fail2ban-client takes it.
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "WORDS"
    )]
    words: Vec<String>,
}

pub fn run(args: Args) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{}", error_json("internal_error", &e.to_string()));
            return ExitCode::from(EXIT_PROTOCOL);
        }
    };
    let client = Client::builder(&args.socket)
        .timeout(Duration::from_secs(args.timeout))
        .build();
    let words: Vec<Value> = args.words.into_iter().map(Value::Str).collect();
    match runtime.block_on(client.command(&words)) {
        Ok(answer) => match serde_json::to_string_pretty(&answer) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{}", error_json("internal_error", &e.to_string()));
                ExitCode::from(EXIT_PROTOCOL)
            }
        },
        Err(e) => {
            eprintln!("{}", error_json(e.kind(), &e.to_string()));
            ExitCode::from(exit_code(&e))
        }
    }
}

fn exit_code(e: &Error) -> u8 {
    match e {
        Error::Server(_) => EXIT_REFUSED,
        Error::InvalidArgument(_) => EXIT_INVALID,
        Error::Unreachable { .. } | Error::Timeout(_) => EXIT_UNREACHABLE,
        Error::Protocol(_)
        | Error::Decode(_)
        | Error::AnswerTooLarge(_)
        | Error::UnexpectedAnswer { .. } => EXIT_PROTOCOL,
    }
}

fn error_json(code: &str, message: &str) -> String {
    serde_json::json!({ "error_code": code, "message": message }).to_string()
}
