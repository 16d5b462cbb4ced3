//! `bangui fail2ban` against a real fail2ban-server: JSON out, exit status by error kind.

#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

use std::path::Path;
use std::process::{Command, Output};

use bangui_testkit::{Fail2ban, Layout};

fn bangui(socket: &Path, words: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bangui"))
        .arg("fail2ban")
        .arg("--socket")
        .arg(socket)
        .args(words)
        .output()
        .unwrap()
}

fn stdout_json(output: &Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn stderr_error_code(output: &Output) -> String {
    let error: serde_json::Value = serde_json::from_slice(&output.stderr).unwrap();
    error["error_code"].as_str().unwrap().to_owned()
}

#[test]
fn prints_the_answer_as_json() {
    let f2b = Fail2ban::start(Layout::Test).unwrap();
    let status = stdout_json(&bangui(f2b.socket(), &["status"]));
    assert_eq!(
        status,
        serde_json::json!([
            ["Number of jail", 3],
            ["Jail list", "blocklist-import, test, test-incr"]
        ])
    );

    assert_eq!(
        stdout_json(&bangui(
            f2b.socket(),
            &["set", "test", "banip", "192.0.2.1", "2001:db8::1"]
        )),
        2
    );
    let jail = stdout_json(&bangui(f2b.socket(), &["status", "test"]));
    assert_eq!(
        jail[1][1][2],
        serde_json::json!(["Banned IP list", ["192.0.2.1", "2001:db8::1"]])
    );
    // Words starting with '-' are fail2ban's, not ours.
    assert_eq!(stdout_json(&bangui(f2b.socket(), &["unban", "--all"])), 2);
}

#[test]
fn a_refused_command_exits_1_with_the_error_kind() {
    let f2b = Fail2ban::start(Layout::Test).unwrap();
    let out = bangui(f2b.socket(), &["status", "nosuch"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr_error_code(&out), "unknown_jail");
    assert!(out.stdout.is_empty());

    let out = bangui(f2b.socket(), &["frobnicate"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr_error_code(&out), "invalid_command");
}

#[test]
fn an_unreachable_socket_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let out = bangui(&dir.path().join("missing.sock"), &["ping"]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(stderr_error_code(&out), "fail2ban_unreachable");
}

#[test]
fn the_terminator_is_refused_with_exit_2() {
    let f2b = Fail2ban::start(Layout::Test).unwrap();
    let out = bangui(f2b.socket(), &["echo", "x<F2B_END_COMMAND>"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr_error_code(&out), "invalid_argument");
}
