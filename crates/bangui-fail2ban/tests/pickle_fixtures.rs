//! The decoder against real fail2ban 1.0.2 answers, checked against what Python's own
//! `pickle.loads` made of the same bytes (fixtures/capture.py wrote both).

#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

use bangui_fail2ban::pickle::{DecodeError, Value, decode};
use bangui_fail2ban::protocol::interpret;
use bangui_fail2ban::{Error, ServerError};

struct Fixture {
    name: &'static str,
    bytes: Vec<u8>,
    json: serde_json::Value,
}

fn fixtures() -> Vec<Fixture> {
    include_str!("fixtures/fail2ban-1.0.2.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let cols: Vec<&'static str> = line.split('\t').collect();
            assert_eq!(cols.len(), 4, "bad fixture line {line:?}");
            let hex = cols[2];
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            Fixture {
                name: cols[0],
                bytes,
                json: serde_json::from_str(cols[3]).unwrap(),
            }
        })
        .collect()
}

fn fixture(name: &str) -> Value {
    let f = fixtures()
        .into_iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no fixture {name}"));
    decode(&f.bytes).unwrap()
}

#[test]
fn every_captured_answer_decodes_to_what_python_reads() {
    let all = fixtures();
    assert!(all.len() >= 30, "only {} fixtures", all.len());
    for f in all {
        let value = decode(&f.bytes).unwrap_or_else(|e| panic!("{}: {e}", f.name));
        assert_eq!(serde_json::to_value(&value).unwrap(), f.json, "{}", f.name);
    }
}

#[test]
fn every_prefix_of_an_answer_reports_truncation() {
    // The transport relies on this to keep reading when a string contains the terminator.
    for f in fixtures() {
        for cut in 0..f.bytes.len() {
            assert_eq!(
                decode(&f.bytes[..cut]),
                Err(DecodeError::Truncated),
                "{} cut at {cut}",
                f.name
            );
        }
    }
}

#[test]
fn addresses_arrive_as_plain_strings() {
    let Value::Tuple(answer) = fixture("banip_list") else {
        panic!()
    };
    assert_eq!(
        answer[1],
        Value::List(
            ["203.0.113.1", "not-an-ip", "192.0.2.10", "2001:db8::5"]
                .map(Value::str)
                .to_vec()
        )
    );
}

#[test]
fn exceptions_become_typed_errors_with_their_class() {
    let error = |name| match interpret(fixture(name)) {
        Err(Error::Server(e)) => e,
        other => panic!("{name}: {other:?}"),
    };
    assert_eq!(
        error("unknown_jail"),
        ServerError::UnknownJail("nosuch".into())
    );
    assert_eq!(
        error("status_all_missing_before_1_1"),
        ServerError::UnknownJail("--all".into())
    );
    assert_eq!(
        error("stats_missing_before_1_1"),
        ServerError::InvalidCommand("Invalid command".into())
    );
    assert_eq!(
        error("report_absent"),
        ServerError::Value("not banned: ['198.51.100.9']".into())
    );
    assert_eq!(
        error("missing_argument"),
        ServerError::Other {
            module: "builtins".into(),
            class: "IndexError".into(),
            args: vec![Value::str("list index out of range")]
        }
    );
    assert_eq!(error("missing_argument").kind(), "fail2ban_error");
    assert_eq!(error("unknown_jail").kind(), "unknown_jail");
}

#[test]
fn a_bare_error_string_is_a_protocol_error() {
    match interpret(fixture("garbage_request")) {
        Err(Error::Protocol(message)) => assert_eq!(message, "ERROR: pickle data was truncated"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_status_with_hundreds_of_bans_decodes() {
    let Value::Tuple(answer) = fixture("status_jail_303_bans") else {
        panic!()
    };
    let json = serde_json::to_value(&answer[1]).unwrap();
    assert_eq!(json[1][1][2][1].as_array().unwrap().len(), 303);
}
