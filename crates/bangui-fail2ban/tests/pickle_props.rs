//! Properties of the pickle codec over many generated inputs: arbitrary bytes never panic the
//! decoder nor make it produce more than its budget, mutated real answers neither, and every
//! value the encoder writes decodes back to itself.

#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

use bangui_fail2ban::pickle::{Limits, Value, decode, decode_with, encode};
use proptest::prelude::*;

fn budget(input_len: usize) -> usize {
    input_len * 64 + (64 << 10)
}

/// Approximate size of a decoded value as the decoder's budget counts it.
fn size(v: &Value) -> usize {
    32 + match v {
        Value::Str(s) => s.len(),
        Value::Bytes(b) | Value::BigInt(b) => b.len(),
        Value::List(v) | Value::Tuple(v) | Value::Set(v) | Value::FrozenSet(v) => {
            v.iter().map(size).sum()
        }
        Value::Dict(items) => items.iter().map(|(k, v)| size(k) + size(v)).sum(),
        Value::Global { module, name } => module.len() + name.len(),
        Value::Object {
            module,
            name,
            args,
            state,
        } => {
            module.len()
                + name.len()
                + args.iter().map(size).sum::<usize>()
                + state.as_deref().map_or(0, size)
        }
        _ => 0,
    }
}

fn real_answers() -> &'static [Vec<u8>] {
    static ANSWERS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    ANSWERS.get_or_init(|| {
        include_str!("fixtures/fail2ban-1.0.2.tsv")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| {
                let hex = l.split('\t').nth(2).unwrap();
                (0..hex.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                    .collect()
            })
            .collect()
    })
}

fn name() -> impl Strategy<Value = String> {
    "[a-zA-Z_][a-zA-Z0-9_.]{0,12}"
}

/// Values the encoder can write and the decoder reads back unchanged: no NaN (NaN != NaN), and
/// no object whose class the decoder folds into a plain value (`builtins.str('x')` is `'x'`).
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::None),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        (-1e300f64..1e300).prop_map(Value::Float),
        any::<String>().prop_map(Value::Str),
        proptest::collection::vec(any::<u8>(), 0..300).prop_map(Value::Bytes),
        (name(), name()).prop_map(|(module, name)| Value::Global { module, name }),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::List),
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Tuple),
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Set),
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::FrozenSet),
            proptest::collection::vec((inner.clone(), inner.clone()), 0..4).prop_map(Value::Dict),
            (
                name(),
                proptest::collection::vec(inner.clone(), 0..4),
                proptest::option::of(inner)
            )
                .prop_map(|(n, args, state)| Value::Object {
                    module: format!("m_{n}"),
                    name: n,
                    args,
                    state: state.map(Box::new)
                }),
        ]
    })
}

/// Opcodes with their smallest arguments, so that random sequences of them get the stack
/// machine deep into its states (marks, memo sharing, calls, builds).
const SOUP: &[&[u8]] = &[
    b"(",
    b"]",
    b")",
    b"}",
    b"\x8f",
    b"a",
    b"e",
    b"s",
    b"u",
    b"\x90",
    b"t",
    b"\x85",
    b"\x86",
    b"\x87",
    b"l",
    b"d",
    b"\x91",
    b"R",
    b"\x81",
    b"b",
    b"\x93",
    b"\x94",
    b"0",
    b"1",
    b"2",
    b"N",
    b"\x88",
    b"h\x00",
    b"h\x01",
    b"h\x02",
    b"q\x00",
    b"q\x01",
    b"K\x07",
    b"\x8c\x01x",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_and_stay_in_budget(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        if let Ok(v) = decode(&bytes) {
            prop_assert!(size(&v) <= budget(bytes.len()));
        }
    }

    #[test]
    fn opcode_soup_never_panics(ops in proptest::collection::vec(0..SOUP.len(), 0..200)) {
        let mut bytes: Vec<u8> = vec![0x80, 4];
        for op in ops {
            bytes.extend_from_slice(SOUP[op]);
        }
        bytes.push(b'.');
        if let Ok(v) = decode(&bytes) {
            prop_assert!(size(&v) <= budget(bytes.len()));
        }
    }

    #[test]
    fn mutated_real_answers_never_panic(
        pick in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6),
    ) {
        let answers = real_answers();
        let mut bytes = answers[pick.index(answers.len())].clone();
        for (at, byte, kind) in edits {
            let i = at.index(bytes.len().max(1));
            match kind {
                0 if !bytes.is_empty() => bytes[i] = byte,
                1 => bytes.insert(i.min(bytes.len()), byte),
                _ if !bytes.is_empty() => { bytes.remove(i); }
                _ => {}
            }
        }
        if let Ok(v) = decode(&bytes) {
            prop_assert!(size(&v) <= budget(bytes.len()));
        }
    }

    #[test]
    fn encoded_values_decode_to_themselves(v in value()) {
        let bytes = encode(&v).unwrap();
        prop_assert_eq!(decode(&bytes).unwrap(), v);
    }
}

#[test]
fn a_tight_budget_is_enforced() {
    // A list of 10,000 small ints: fine with the default limits, refused with a small budget.
    let v = Value::List((0..10_000).map(Value::Int).collect());
    let bytes = encode(&v).unwrap();
    assert_eq!(decode(&bytes).unwrap(), v);
    let tight = Limits {
        max_output_bytes: 100_000,
        ..Limits::default()
    };
    assert!(decode_with(&bytes, &tight).is_err());
}
