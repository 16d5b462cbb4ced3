//! Redis Sentinel: the store asks real sentinels (`redis-server --sentinel`) for the master and
//! follows it across a failover, with no write lost and no restart.

#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

use std::time::Duration;

use bangui_store::RedisStore;
use bangui_testkit::net::start_on_port;
use bangui_testkit::process::{ScratchDir, Spec, Supervised, find_program};
use bangui_testkit::{Redis, redis, wait_for};

const WAIT: Duration = Duration::from_secs(30);

/// A sentinel monitoring `mymaster` on `master_port`, deciding alone (quorum 1), quickly.
fn sentinel(master_port: u16, dir: &ScratchDir) -> (u16, Supervised) {
    let program = find_program("redis-server", &["/usr/sbin"]).unwrap();
    start_on_port(
        None,
        Duration::from_secs(20),
        |port| {
            let conf = dir.path().join(format!("sentinel-{port}.conf"));
            std::fs::write(
                &conf,
                format!(
                    "port {port}\nbind 127.0.0.1\ndir {dir}\n\
                     sentinel monitor mymaster 127.0.0.1 {master_port} 1\n\
                     sentinel down-after-milliseconds mymaster 1000\n\
                     sentinel failover-timeout mymaster 5000\n",
                    dir = dir.path().display()
                ),
            )?;
            let spec = Spec::new(&program, dir.path().join("sentinel.log"))
                .arg(conf.display().to_string())
                .arg("--sentinel");
            Supervised::spawn("redis-sentinel", &spec)
        },
        |_, port| {
            redis::command(port, "SENTINEL get-master-addr-by-name mymaster")
                .is_ok_and(|a| a.contains(&master_port.to_string()))
        },
    )
    .unwrap()
}

fn info(port: u16) -> String {
    redis::command(port, "INFO replication").unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_sentinel_the_store_follows_the_master_across_a_failover() {
    let master = Redis::start().unwrap();
    let replica = Redis::start().unwrap();
    redis::command(
        replica.port(),
        &format!("REPLICAOF 127.0.0.1 {}", master.port()),
    )
    .unwrap();
    wait_for("the replica in sync", WAIT, || {
        info(replica.port())
            .contains("master_link_status:up")
            .then_some(())
    })
    .unwrap();
    let dir = ScratchDir::new("bangui-sentinel-", None).unwrap();
    let (sentinel_port, _sentinel) = sentinel(master.port(), &dir);
    // The sentinel learns of the replica from the master's INFO (every few seconds).
    // The sentinel learns of the replica from the master's INFO, then reads the replica's own
    // INFO: only then will it promote it.
    wait_for(
        "the sentinel to know the replica as a good one",
        WAIT,
        || {
            redis::command(sentinel_port, "SENTINEL replicas mymaster")
                .is_ok_and(|r| {
                    r.contains(&replica.port().to_string())
                        && r.contains("master-link-status\r\n$2\r\nok")
                        && !r.contains("disconnected")
                })
                .then_some(())
        },
    )
    .unwrap();

    let prefix = format!("sentinel-test-{}", uuid::Uuid::new_v4());
    let url = format!("redis+sentinel://127.0.0.1:{sentinel_port}/mymaster");
    let store = RedisStore::new(&url, &prefix, Duration::from_secs(2)).unwrap();
    store.ping().await.unwrap();
    let before = store.bump_archive_generation().await.unwrap();
    let keys = redis::command(master.port(), &format!("KEYS {prefix}:*")).unwrap();
    assert!(
        keys.contains(&prefix),
        "the write went to the master: {keys}"
    );
    // Replicated before the failover (WAIT returns the replicas that have it).
    assert_eq!(
        redis::command(master.port(), "WAIT 1 5000").unwrap().trim(),
        ":1"
    );

    redis::command(sentinel_port, "SENTINEL FAILOVER mymaster").unwrap();
    wait_for("the replica promoted, the old master demoted", WAIT, || {
        (info(replica.port()).contains("role:master") && info(master.port()).contains("role:slave"))
            .then_some(())
    })
    .unwrap();

    // The store still talks to the old master, now read-only: the write is refused there,
    // the store asks the sentinels again and writes to the new master.
    let after = store.bump_archive_generation().await.unwrap();
    assert_eq!(after, before + 1);
    let keys = redis::command(replica.port(), &format!("KEYS {prefix}:*")).unwrap();
    assert!(keys.contains(&prefix), "{keys}");
    store.ping().await.unwrap();
}

#[test]
fn sentinel_urls_are_checked() {
    for bad in [
        "redis+sentinel://127.0.0.1:26379",
        "redis+sentinel://127.0.0.1:26379/",
        "redis+sentinel://127.0.0.1:x/mymaster",
        "redis+sentinel://127.0.0.1:26379/mymaster/zero",
    ] {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let _guard = rt.enter();
        assert!(
            RedisStore::new(bad, "p", Duration::from_secs(1)).is_err(),
            "{bad}"
        );
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let _guard = rt.enter();
    assert!(
        RedisStore::new(
            "redis+sentinel://:pw@a:26379,b/mymaster/2",
            "p",
            Duration::from_secs(1)
        )
        .is_ok()
    );
}
