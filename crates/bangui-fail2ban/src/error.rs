//! Errors of the fail2ban client, each with a stable machine-readable kind.

use std::path::PathBuf;
use std::time::Duration;

use crate::pickle::{DecodeError, Value};

/// Why a fail2ban command did not produce an answer bangui can use.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// fail2ban understood the command and refused it.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// The socket is missing, refuses connections, or is not accessible.
    #[error("cannot reach fail2ban at {path}: {source}")]
    Unreachable {
        path: PathBuf,
        source: std::io::Error,
    },
    /// fail2ban accepted the connection (or kept it waiting) but did not answer in time.
    #[error("fail2ban did not answer within {0:?}")]
    Timeout(Duration),
    /// The conversation broke: connection closed mid-answer, or fail2ban could not read the
    /// request (it then answers with a bare `"ERROR: …"` string).
    #[error("fail2ban protocol error: {0}")]
    Protocol(String),
    #[error("undecodable answer from fail2ban: {0}")]
    Decode(#[from] DecodeError),
    #[error("fail2ban's answer exceeds {0} bytes")]
    AnswerTooLarge(usize),
    /// Refused before anything was sent.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// fail2ban answered with a shape this client does not know for the command.
    #[error("unexpected answer to `{command}`: {detail}")]
    UnexpectedAnswer { command: String, detail: String },
}

impl Error {
    /// Stable snake_case kind, used as `error_code` and by the CLI.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Server(e) => e.kind(),
            Self::Unreachable { .. } => "fail2ban_unreachable",
            Self::Timeout(_) => "fail2ban_timeout",
            Self::Protocol(_) | Self::Decode(_) | Self::AnswerTooLarge(_) => "protocol_error",
            Self::InvalidArgument(_) => "invalid_argument",
            Self::UnexpectedAnswer { .. } => "unexpected_answer",
        }
    }

    /// True when fail2ban could not be talked to at all (as opposed to answering "no").
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unreachable { .. } | Self::Timeout(_))
    }
}

/// An exception fail2ban raised for a command, with its class kept.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ServerError {
    /// `fail2ban.exceptions.UnknownJailException(name)`.
    #[error("fail2ban has no jail named {0:?}")]
    UnknownJail(String),
    /// `Exception('Invalid command…')`: the command does not exist in this fail2ban version.
    #[error("fail2ban does not know the command: {0}")]
    InvalidCommand(String),
    /// `ValueError(msg)`, for example `unbanip --report-absent` of an address that is not banned.
    #[error("fail2ban rejected a value: {0}")]
    Value(String),
    /// Any other exception.
    #[error("fail2ban raised {module}.{class}: {}", display_args(.args))]
    Other {
        module: String,
        class: String,
        args: Vec<Value>,
    },
}

impl ServerError {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::UnknownJail(_) => "unknown_jail",
            Self::InvalidCommand(_) => "invalid_command",
            Self::Value(_) => "value_error",
            Self::Other { .. } => "fail2ban_error",
        }
    }

    /// Classifies the exception of a `(1, exception)` answer.
    pub fn from_exception(exception: Value) -> Self {
        let Value::Object {
            module, name, args, ..
        } = exception
        else {
            return Self::Other {
                module: String::new(),
                class: String::new(),
                args: vec![exception],
            };
        };
        let message = display_args(&args);
        match (module.as_str(), name.as_str()) {
            ("fail2ban.exceptions", "UnknownJailException") => Self::UnknownJail(message),
            ("builtins", "Exception") if message.starts_with("Invalid command") => {
                Self::InvalidCommand(message)
            }
            ("builtins", "ValueError") => Self::Value(message),
            _ => Self::Other {
                module,
                class: name,
                args,
            },
        }
    }
}

/// Exception arguments as Python's `str(exc)` shows them: a lone string as itself.
fn display_args(args: &[Value]) -> String {
    match args {
        [Value::Str(s)] => s.clone(),
        [] => String::new(),
        _ => args
            .iter()
            .map(|a| a.as_str().map_or_else(|| format!("{a:?}"), str::to_owned))
            .collect::<Vec<_>>()
            .join(", "),
    }
}
