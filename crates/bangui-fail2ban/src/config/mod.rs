//! fail2ban's configuration files, read as fail2ban reads them.
//!
//! [`files`] is the one seam through which files are reached; [`ini`] parses one file the way
//! Python's `configparser` does with fail2ban's settings; [`reader`] assembles a configuration
//! (`jail`, `filter.d/sshd`, …) from its files, includes and overrides, and interpolates values,
//! telling where each one was written.

pub mod edit;
pub mod files;
pub mod guard;
pub mod ini;
pub mod jails;
pub mod reader;
pub mod regex;
pub mod stream;

pub use files::{ConfigFiles, FileStat, LocalConfigDir};
pub use reader::{ConfigSet, InterpolationError, ReadError, ReadWarning, Source, Value, Vars};
