//! Domain types shared by every bangui crate.
//!
//! Input is parsed into these types once, at the edge (HTTP handler, CLI, job payload); code
//! deeper in cannot receive an invalid value. Each type deserializes itself with that parsing
//! (noting what it refused, see [`input`]) and describes itself in the OpenAPI document.
#![forbid(unsafe_code)]

mod address;
mod address_prefix;
mod country;
mod event;
mod import_schedule;
pub mod input;
mod jail_name;
mod job_id;
mod master_password;
mod origin;
mod page;
mod schema;
mod search;
mod session_length;
mod time_range;
mod time_zone;
mod window;

pub use address::{Address, AddressError, Network, parse_address, parse_network, uncovered};
pub use address_prefix::{AddressPrefix, AddressPrefixError};
pub use country::{CountryCode, CountryCodeError, NamedCountry};
pub use event::Event;
pub use import_schedule::ImportSchedule;
pub use jail_name::{JailName, JailNameError};
pub use job_id::{JobId, JobIdError};
pub use master_password::{MasterPassword, PasswordPolicyError};
pub use origin::{Origin, OriginError};
pub use page::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, PageNumber, PageSize};
pub use search::{SearchText, SearchTextError};
pub use session_length::{MAX_SESSION_MINUTES, SessionMinutes, SessionMinutesError};
pub use time_range::{TimeRange, TimeRangeError};
pub use time_zone::{TimeZoneError, TimeZoneName};
pub use window::{BucketWidth, Window};
