//! [`Value`]: a decoded pickle.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

/// A Python value as fail2ban pickles it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    None,
    Bool(bool),
    Int(i64),
    /// An integer outside `i64`, as pickle stores it: little-endian two's complement, minimal.
    BigInt(Vec<u8>),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    List(Vec<Value>),
    Tuple(Vec<Value>),
    /// Python dicts keep insertion order; so does this.
    Dict(Vec<(Value, Value)>),
    Set(Vec<Value>),
    FrozenSet(Vec<Value>),
    /// A reference to a class or function that was not called.
    Global {
        module: String,
        name: String,
    },
    /// An instance built by calling `module.name(*args)` (`REDUCE`, `NEWOBJ`), with the state a
    /// `BUILD` gave it. Exceptions arrive like this.
    Object {
        module: String,
        name: String,
        args: Vec<Value>,
        state: Option<Box<Value>>,
    },
}

impl Value {
    pub fn str(s: impl Into<String>) -> Self {
        Self::Str(s.into())
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The integer value; Python's `bool` is an `int` too.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Self::Int(i) => Some(i),
            Self::Bool(b) => Some(i64::from(b)),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Self::Bool(b) => Some(b),
            Self::Int(0) => Some(false),
            Self::Int(1) => Some(true),
            _ => None,
        }
    }

    /// The items of any sequence: list, tuple, set or frozenset.
    pub fn as_seq(&self) -> Option<&[Value]> {
        match self {
            Self::List(v) | Self::Tuple(v) | Self::Set(v) | Self::FrozenSet(v) => Some(v),
            _ => None,
        }
    }

    pub fn is_none(&self) -> bool {
        matches!(self, Self::None)
    }

    /// A short name of the Python type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::None => "None",
            Self::Bool(_) => "bool",
            Self::Int(_) | Self::BigInt(_) => "int",
            Self::Float(_) => "float",
            Self::Str(_) => "str",
            Self::Bytes(_) => "bytes",
            Self::List(_) => "list",
            Self::Tuple(_) => "tuple",
            Self::Dict(_) => "dict",
            Self::Set(_) => "set",
            Self::FrozenSet(_) => "frozenset",
            Self::Global { .. } => "global",
            Self::Object { .. } => "object",
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Self::Str(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Self::Str(s)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Self::Int(i)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Self::Bool(b)
    }
}

/// JSON view used by `bangui fail2ban`: sequences become arrays, dicts with string keys become
/// objects (other dicts arrays of `[key, value]`), bytes arrays of numbers, big integers decimal
/// strings, class references `"module.name"` and objects `{"$class", "args", "state"}`.
impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::None => serializer.serialize_none(),
            Self::Bool(b) => serializer.serialize_bool(*b),
            Self::Int(i) => serializer.serialize_i64(*i),
            Self::BigInt(bytes) => serializer.serialize_str(&bigint_to_decimal(bytes)),
            Self::Float(f) if f.is_finite() => serializer.serialize_f64(*f),
            Self::Float(_) => serializer.serialize_none(),
            Self::Str(s) => serializer.serialize_str(s),
            Self::Bytes(b) => b.serialize(serializer),
            Self::List(v) | Self::Tuple(v) | Self::Set(v) | Self::FrozenSet(v) => {
                v.serialize(serializer)
            }
            Self::Dict(items) if items.iter().all(|(k, _)| matches!(k, Self::Str(_))) => {
                let mut map = serializer.serialize_map(Some(items.len()))?;
                for (k, v) in items {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            Self::Dict(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for (k, v) in items {
                    seq.serialize_element(&(k, v))?;
                }
                seq.end()
            }
            Self::Global { module, name } => serializer.serialize_str(&format!("{module}.{name}")),
            Self::Object {
                module,
                name,
                args,
                state,
            } => {
                let mut map = serializer.serialize_map(Some(3))?;
                map.serialize_entry("$class", &format!("{module}.{name}"))?;
                map.serialize_entry("args", args)?;
                map.serialize_entry("state", state)?;
                map.end()
            }
        }
    }
}

/// Decimal text of a little-endian two's-complement integer of any width.
fn bigint_to_decimal(le: &[u8]) -> String {
    let negative = le.last().is_some_and(|b| b & 0x80 != 0);
    // Magnitude as little-endian bytes.
    let mut mag: Vec<u8> = if negative {
        // Two's complement negate: invert and add one.
        let mut carry = true;
        le.iter()
            .map(|&b| {
                let (v, c) = (!b).overflowing_add(u8::from(carry));
                carry = c;
                v
            })
            .collect()
    } else {
        le.to_vec()
    };
    let mut digits = Vec::new();
    while mag.iter().any(|&b| b != 0) {
        // Divide the big-endian view by 10, keeping the remainder.
        let mut rem = 0u16;
        for b in mag.iter_mut().rev() {
            let cur = (rem << 8) | u16::from(*b);
            *b = (cur / 10) as u8;
            rem = cur % 10;
        }
        digits.push(b'0' + rem as u8);
    }
    if digits.is_empty() {
        digits.push(b'0');
    }
    if negative {
        digits.push(b'-');
    }
    digits.reverse();
    String::from_utf8(digits).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_integers_print_in_decimal() {
        // 2**64 = 00 00 00 00 00 00 00 00 01 (LE)
        assert_eq!(
            bigint_to_decimal(&[0, 0, 0, 0, 0, 0, 0, 0, 1]),
            "18446744073709551616"
        );
        // -(2**64) = 00 .. 00 ff
        assert_eq!(
            bigint_to_decimal(&[0, 0, 0, 0, 0, 0, 0, 0, 0xff]),
            "-18446744073709551616"
        );
        assert_eq!(bigint_to_decimal(&[]), "0");
        assert_eq!(bigint_to_decimal(&[0xff]), "-1");
    }

    #[test]
    fn json_view_keeps_class_names() {
        let v = Value::Tuple(vec![
            Value::Int(1),
            Value::Object {
                module: "builtins".into(),
                name: "ValueError".into(),
                args: vec![Value::str("bad")],
                state: None,
            },
        ]);
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"[1,{"$class":"builtins.ValueError","args":["bad"],"state":null}]"#
        );
        let d = Value::Dict(vec![(Value::str("a"), Value::List(vec![Value::Int(1)]))]);
        assert_eq!(serde_json::to_string(&d).unwrap(), r#"{"a":[1]}"#);
        let d = Value::Dict(vec![(Value::Int(1), Value::None)]);
        assert_eq!(serde_json::to_string(&d).unwrap(), r#"[[1,null]]"#);
    }
}
