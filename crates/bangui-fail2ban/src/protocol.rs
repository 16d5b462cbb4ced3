//! fail2ban's framing and answer envelope, independent of how bytes are moved.

use crate::error::{Error, ServerError};
use crate::pickle::{self, Value};

/// Ends every request and every answer.
pub const END: &[u8] = b"<F2B_END_COMMAND>";
/// Sent (followed by [`END`]) to close a connection politely.
pub const CLOSE: &[u8] = b"<F2B_CLOSE_COMMAND>";

/// Pickles a command (`['status', 'sshd']`) into the bytes to send, terminator included.
///
/// fail2ban splits its input at the first [`END`] it sees, even inside a string, so a request
/// whose bytes contain the terminator (or the close marker) is refused here, before anything is
/// sent.
pub fn encode_request(args: &[Value]) -> Result<Vec<u8>, Error> {
    let mut bytes = pickle::encode(&Value::List(args.to_vec()))
        .map_err(|e| Error::InvalidArgument(e.to_string()))?;
    if contains(&bytes, END) || contains(&bytes, CLOSE) {
        return Err(Error::InvalidArgument(
            "the command contains fail2ban's <F2B_END_COMMAND> or <F2B_CLOSE_COMMAND> marker"
                .into(),
        ));
    }
    bytes.extend_from_slice(END);
    Ok(bytes)
}

/// Unwraps fail2ban's answer envelope: `(0, value)` is the value, `(1, exception)` a
/// [`ServerError`], a bare `"ERROR: …"` string a protocol error (fail2ban could not read the
/// request).
pub fn interpret(answer: Value) -> Result<Value, Error> {
    match answer {
        Value::Tuple(mut pair) if pair.len() == 2 => {
            let payload = pair.pop().unwrap_or(Value::None);
            match pair[0] {
                Value::Int(0) => Ok(payload),
                Value::Int(1) => Err(ServerError::from_exception(payload).into()),
                _ => Err(Error::Protocol(format!(
                    "answer status {:?} is neither 0 nor 1",
                    pair[0]
                ))),
            }
        }
        Value::Str(message) => Err(Error::Protocol(message)),
        other => Err(Error::Protocol(format!(
            "answer is a {}, not a (status, value) pair",
            other.type_name()
        ))),
    }
}

pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_the_terminator_anywhere() {
        let bad = ["x<F2B_END_COMMAND>", "<F2B_CLOSE_COMMAND>"];
        for arg in bad {
            let err = encode_request(&[Value::str("set"), Value::str(arg)]).unwrap_err();
            assert_eq!(err.kind(), "invalid_argument", "{arg}");
        }
        // 60 = b'<': a string of that length that starts with the rest of the marker would put
        // the marker together from the length byte and the text.
        let sneaky = format!("F2B_END_COMMAND>{}", "a".repeat(60 - 16));
        assert!(encode_request(&[Value::str(sneaky)]).is_err());
        let ok = encode_request(&[Value::str("ping")]).unwrap();
        assert!(ok.ends_with(END));
    }

    #[test]
    fn unwraps_the_envelope() {
        assert_eq!(
            interpret(Value::Tuple(vec![Value::Int(0), Value::str("pong")])).unwrap(),
            Value::str("pong")
        );
        let err = interpret(Value::str("ERROR: pickle data was truncated")).unwrap_err();
        assert!(matches!(err, Error::Protocol(m) if m == "ERROR: pickle data was truncated"));
        let err = interpret(Value::Int(3)).unwrap_err();
        assert_eq!(err.kind(), "protocol_error");
    }
}
