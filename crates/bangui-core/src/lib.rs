//! Domain types shared by every bangui crate.
//!
//! Input is parsed into these types once, at the edge (HTTP handler, CLI, job payload); code
//! deeper in cannot receive an invalid value.
#![forbid(unsafe_code)]

mod address;
mod jail_name;
mod master_password;
mod time_zone;

pub use address::{AddressError, parse_address, parse_network};
pub use jail_name::{JailName, JailNameError};
pub use master_password::{MasterPassword, PasswordPolicyError};
pub use time_zone::{TimeZoneError, TimeZoneName};
