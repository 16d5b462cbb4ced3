//! A small, bounded pickle codec for fail2ban's wire format.
//!
//! * [`decode`] reads every opcode of pickle protocols 0–5 that a Python 3 `pickle.dumps` of
//!   fail2ban's answers can contain (and the rest of the binary opcodes for good measure). Class
//!   references stay data: `GLOBAL`/`STACK_GLOBAL` become [`Value::Global`], calls (`REDUCE`,
//!   `NEWOBJ`) become [`Value::Object`]. The few calls Python uses to spell plain values are
//!   folded back into those values: `builtins.str(x)` (how fail2ban's `IPAddr` pickles itself)
//!   is the string `x`, `builtins.set([…])` a set, `_codecs.encode(s, 'latin1')` bytes.
//! * [`encode`] writes protocol 4 for requests (and for round-trip tests).
//!
//! Untrusted input can neither panic the decoder nor make it allocate without bound: lengths are
//! checked against the bytes that are actually there, the memo shares nodes instead of copying
//! them, and turning the shared graph into a tree is limited in depth and in total size
//! ([`Limits`]).

mod decode;
mod encode;
mod value;

pub use decode::{DecodeError, Limits, decode, decode_with};
pub use encode::{EncodeError, encode};
pub use value::Value;
