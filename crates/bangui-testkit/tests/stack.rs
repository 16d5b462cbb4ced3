//! The test stack itself: each server starts, answers, restarts where tests need it, runs side
//! by side with others, and leaves nothing behind.

#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

use std::process::Command;

use bangui_testkit::{
    Fail2ban, Layout, Postgres, Redis, postgres, redis, shared_postgres, shared_redis,
};

#[test]
fn redis_answers_and_comes_back_on_the_same_port() {
    let mut server = Redis::start().unwrap();
    let port = server.port();
    assert_eq!(redis::command(port, "PING").unwrap().trim(), "+PONG");
    redis::command(port, "SET k v").unwrap();

    server.stop().unwrap();
    assert!(
        redis::command(port, "PING").is_err(),
        "Redis still answers after stop"
    );

    server.start_again().unwrap();
    assert_eq!(server.port(), port);
    assert_eq!(redis::command(port, "PING").unwrap().trim(), "+PONG");
}

#[test]
fn postgres_runs_queries_and_keeps_data_across_a_restart() {
    let mut pg = Postgres::start().unwrap();
    assert_eq!(pg.psql("postgres", "SELECT 1 + 1").unwrap(), "2");
    assert!(
        pg.psql("postgres", "SHOW server_version")
            .unwrap()
            .starts_with("15.")
    );
    pg.psql(
        "postgres",
        "CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)",
    )
    .unwrap();

    pg.stop().unwrap();
    assert!(
        pg.psql("postgres", "SELECT 1").is_err(),
        "PostgreSQL still answers after stop"
    );

    pg.start_again().unwrap();
    assert_eq!(pg.psql("postgres", "SELECT v FROM kept").unwrap(), "42");
    // hstore is what apalis-postgres needs later.
    pg.psql("postgres", "CREATE EXTENSION IF NOT EXISTS hstore")
        .unwrap();
}

#[test]
fn shared_servers_are_reachable() {
    let redis_url = &shared_redis().url;
    let port: u16 = redis_url.rsplit(':').next().unwrap().parse().unwrap();
    assert_eq!(redis::command(port, "PING").unwrap().trim(), "+PONG");

    let output = Command::new(format!("{}/psql", postgres::BIN_DIR))
        .args([
            "-X",
            "-A",
            "-t",
            "-d",
            &shared_postgres().url,
            "-c",
            "SELECT current_user",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "postgres");
}

#[test]
fn fail2ban_sandboxes_run_side_by_side_and_clean_up() {
    let a = Fail2ban::start(Layout::Test).unwrap();
    let b = Fail2ban::start(Layout::Test).unwrap();
    assert_ne!(a.socket(), b.socket());
    for f2b in [&a, &b] {
        assert!(f2b.socket().exists());
        assert!(f2b.config_dir().join("jail.conf").exists());
        assert!(f2b.log_file("test").exists());
    }
    let conf = std::fs::read_to_string(a.config_dir().join("jail.conf")).unwrap();
    assert!(conf.contains("[disabled-jail]\nenabled = false"), "{conf}");
    assert!(conf.contains("bantime.increment = true"), "{conf}");

    let (dir, pid) = (a.dir().to_owned(), a.pid().unwrap());
    drop(a);
    assert!(!dir.exists(), "{} left behind", dir.display());
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "fail2ban-server {pid} still runs"
    );
    assert!(
        b.socket().exists(),
        "stopping one sandbox touched the other"
    );
}

#[test]
fn fail2ban_config_passes_its_own_check() {
    let f2b = Fail2ban::start(Layout::Demo).unwrap();
    let output = Command::new("fail2ban-client")
        .arg("-c")
        .arg(f2b.config_dir())
        .arg("-t")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
