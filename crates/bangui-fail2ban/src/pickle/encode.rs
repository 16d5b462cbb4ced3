//! Pickle encoder (protocol 4, no framing): what fail2ban receives as a request.

use super::Value;

/// A value the encoder refuses to write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("value nests deeper than {0} levels")]
    TooDeep(usize),
    #[error("big integer without bytes")]
    EmptyBigInt,
}

const MAX_DEPTH: usize = 64;

/// Writes `value` as a protocol-4 pickle. Python reads it with a plain `pickle.loads`; objects
/// are written as `module.name(*args)` plus `BUILD` of their state.
pub fn encode(value: &Value) -> Result<Vec<u8>, EncodeError> {
    let mut out = vec![0x80, 4];
    write(&mut out, value, 0)?;
    out.push(b'.');
    Ok(out)
}

fn write(out: &mut Vec<u8>, value: &Value, depth: usize) -> Result<(), EncodeError> {
    if depth > MAX_DEPTH {
        return Err(EncodeError::TooDeep(MAX_DEPTH));
    }
    match value {
        Value::None => out.push(b'N'),
        Value::Bool(true) => out.push(0x88),
        Value::Bool(false) => out.push(0x89),
        Value::Int(i) => write_int(out, *i),
        Value::BigInt(bytes) => {
            if bytes.is_empty() {
                return Err(EncodeError::EmptyBigInt);
            }
            write_long(out, bytes);
        }
        Value::Float(f) => {
            out.push(b'G');
            out.extend_from_slice(&f.to_be_bytes());
        }
        Value::Str(s) => write_str(out, s),
        Value::Bytes(b) => {
            if let Ok(n) = u8::try_from(b.len()) {
                out.extend_from_slice(&[b'C', n]);
            } else if let Ok(n) = u32::try_from(b.len()) {
                out.push(b'B');
                out.extend_from_slice(&n.to_le_bytes());
            } else {
                out.push(0x8e);
                out.extend_from_slice(&(b.len() as u64).to_le_bytes());
            }
            out.extend_from_slice(b);
        }
        Value::List(items) => {
            out.push(b']');
            if !items.is_empty() {
                out.push(b'(');
                write_all(out, items, depth)?;
                out.push(b'e');
            }
        }
        Value::Tuple(items) => write_tuple(out, items, depth)?,
        Value::Dict(pairs) => {
            out.push(b'}');
            if !pairs.is_empty() {
                out.push(b'(');
                for (k, v) in pairs {
                    write(out, k, depth + 1)?;
                    write(out, v, depth + 1)?;
                }
                out.push(b'u');
            }
        }
        Value::Set(items) => {
            out.push(0x8f);
            if !items.is_empty() {
                out.push(b'(');
                write_all(out, items, depth)?;
                out.push(0x90);
            }
        }
        Value::FrozenSet(items) => {
            out.push(b'(');
            write_all(out, items, depth)?;
            out.push(0x91);
        }
        Value::Global { module, name } => write_global(out, module, name),
        Value::Object {
            module,
            name,
            args,
            state,
        } => {
            write_global(out, module, name);
            write_tuple(out, args, depth)?;
            out.push(b'R');
            if let Some(state) = state {
                write(out, state, depth + 1)?;
                out.push(b'b');
            }
        }
    }
    Ok(())
}

fn write_all(out: &mut Vec<u8>, items: &[Value], depth: usize) -> Result<(), EncodeError> {
    items
        .iter()
        .try_for_each(|item| write(out, item, depth + 1))
}

fn write_tuple(out: &mut Vec<u8>, items: &[Value], depth: usize) -> Result<(), EncodeError> {
    match items.len() {
        0 => out.push(b')'),
        n @ 1..=3 => {
            write_all(out, items, depth)?;
            out.push(0x85 + (n as u8 - 1));
        }
        _ => {
            out.push(b'(');
            write_all(out, items, depth)?;
            out.push(b't');
        }
    }
    Ok(())
}

fn write_global(out: &mut Vec<u8>, module: &str, name: &str) {
    write_str(out, module);
    write_str(out, name);
    out.push(0x93);
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    if let Ok(n) = u8::try_from(s.len()) {
        out.extend_from_slice(&[0x8c, n]);
    } else if let Ok(n) = u32::try_from(s.len()) {
        out.push(b'X');
        out.extend_from_slice(&n.to_le_bytes());
    } else {
        out.push(0x8d);
        out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    }
    out.extend_from_slice(s.as_bytes());
}

fn write_int(out: &mut Vec<u8>, i: i64) {
    if let Ok(v) = u8::try_from(i) {
        out.extend_from_slice(&[b'K', v]);
    } else if let Ok(v) = u16::try_from(i) {
        out.push(b'M');
        out.extend_from_slice(&v.to_le_bytes());
    } else if let Ok(v) = i32::try_from(i) {
        out.push(b'J');
        out.extend_from_slice(&v.to_le_bytes());
    } else {
        write_long(out, &i.to_le_bytes());
    }
}

fn write_long(out: &mut Vec<u8>, le: &[u8]) {
    if let Ok(n) = u8::try_from(le.len()) {
        out.extend_from_slice(&[0x8a, n]);
    } else {
        out.push(0x8b);
        out.extend_from_slice(&(le.len() as u32).to_le_bytes());
    }
    out.extend_from_slice(le);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pickle::decode;

    #[test]
    fn writes_the_request_python_writes_for_ping() {
        // pickle.dumps(['ping'], 4) == 80 04 95 0b.. (FRAME) 5d 94 8c 04 'ping' 94 61 2e; without
        // FRAME and MEMOIZE (both optional) that is:
        assert_eq!(
            encode(&Value::List(vec![Value::str("ping")])).unwrap(),
            b"\x80\x04](\x8c\x04pinge."
        );
    }

    #[test]
    fn integers_round_trip_at_every_width() {
        for i in [
            0,
            1,
            255,
            256,
            65535,
            65536,
            -1,
            -129,
            i32::MAX as i64,
            i32::MIN as i64 - 1,
            i64::MAX,
            i64::MIN,
        ] {
            assert_eq!(
                decode(&encode(&Value::Int(i)).unwrap()).unwrap(),
                Value::Int(i),
                "{i}"
            );
        }
    }

    #[test]
    fn refuses_runaway_nesting() {
        let mut v = Value::None;
        for _ in 0..100 {
            v = Value::List(vec![v]);
        }
        assert_eq!(encode(&v), Err(EncodeError::TooDeep(MAX_DEPTH)));
    }
}
