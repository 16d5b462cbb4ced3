//! `/api/v1/config/files/*` on a real fail2ban's configuration directory, through two workers:
//! versions checked with ETag/If-Match so nobody overwrites another's change unknowingly,
//! revisions kept and reverted, and a table of hostile requests that must all be refused with
//! nothing written anywhere.

#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use bangui_testkit::cluster::ClusterOptions;
use common::Fixture;
use reqwest::Method;
use serde_json::{Value, json};

/// An answer: status, `ETag` header, JSON body.
struct Reply {
    status: u16,
    etag: Option<String>,
    body: Value,
}

async fn call(
    base: &str,
    method: Method,
    path: &str,
    cookie: &str,
    if_match: Option<&str>,
    body: Option<Value>,
) -> Reply {
    let mut request = common::http_client()
        .request(method, format!("{base}/api/v1{path}"))
        .header("cookie", cookie)
        .header("x-bangui-request", "1");
    if let Some(tag) = if_match {
        request = request.header("if-match", tag);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let etag = response
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.json().await.unwrap_or(Value::Null);
    Reply { status, etag, body }
}

/// Every file under `dir` with its content: what "nothing written" is checked against.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                stack.push(path);
            } else {
                let content = if kind.is_symlink() {
                    std::fs::read_link(&path)
                        .unwrap()
                        .display()
                        .to_string()
                        .into_bytes()
                } else {
                    std::fs::read(&path).unwrap()
                };
                files.insert(
                    path.strip_prefix(dir).unwrap().display().to_string(),
                    content,
                );
            }
        }
    }
    files
}

#[tokio::test]
async fn two_workers_edit_one_file_without_overwriting_each_other_and_every_change_can_be_reverted()
{
    let Fixture {
        cluster, cookie, ..
    } = Fixture::start(ClusterOptions::workers(2)).await;
    let conf = cluster.fail2ban.as_ref().unwrap().config_dir();
    std::fs::create_dir_all(conf.join("jail.d")).unwrap();
    let (a, b) = (cluster.url(0), cluster.url(1));

    let v1 = "[test]\nmaxretry = 4\n";
    let created = call(
        &a,
        Method::POST,
        "/config/files",
        &cookie,
        None,
        Some(json!({ "dir": "jail.d", "name": "tuning.local", "content": v1 })),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let tag1 = created.body["etag"].as_str().unwrap().to_owned();
    let quoted1 = format!("\"{tag1}\"");
    assert_eq!(created.etag.as_deref(), Some(quoted1.as_str()));
    assert_eq!(
        std::fs::read_to_string(conf.join("jail.d/tuning.local")).unwrap(),
        v1
    );

    // The other worker reads the same version and lists the file.
    let read = call(
        &b,
        Method::GET,
        "/config/files/jail.d/tuning.local",
        &cookie,
        None,
        None,
    )
    .await;
    assert_eq!(
        (read.status, &read.body["content"], &read.body["etag"]),
        (200, &json!(v1), &json!(tag1))
    );
    let list = call(&b, Method::GET, "/config/files", &cookie, None, None).await;
    let listed = list.body["items"].as_array().unwrap();
    assert!(
        listed
            .iter()
            .any(|f| f["path"] == "jail.d/tuning.local" && f["enabled"] == true),
        "{}",
        list.body
    );
    assert!(
        listed
            .iter()
            .any(|f| f["path"] == "filter.d/bangui-test.conf"),
        "{}",
        list.body
    );

    // Two users edit the version they both read, on two workers at once: one wins, the other
    // is told the file changed and gets the winner's version.
    let (x, y) = tokio::join!(
        call(
            &a,
            Method::PUT,
            "/config/files/jail.d/tuning.local",
            &cookie,
            Some(quoted1.as_str()),
            Some(json!({ "content": "[test]\nmaxretry = 5\n" }))
        ),
        call(
            &b,
            Method::PUT,
            "/config/files/jail.d/tuning.local",
            &cookie,
            Some(quoted1.as_str()),
            Some(json!({ "content": "[test]\nmaxretry = 6\n" }))
        ),
    );
    let mut statuses = [x.status, y.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{} / {}", x.body, y.body);
    let (won, lost) = if x.status == 200 { (&x, &y) } else { (&y, &x) };
    assert_eq!(lost.body["error_code"], "config_file_changed");
    assert_eq!(lost.body["details"]["current_etag"], won.body["etag"]);
    assert_eq!(lost.body["details"]["current_content"], won.body["content"]);
    assert_eq!(
        std::fs::read_to_string(conf.join("jail.d/tuning.local")).unwrap(),
        won.body["content"].as_str().unwrap()
    );
    let tag2 = won.body["etag"].as_str().unwrap().to_owned();

    // A change without a version is refused.
    let blind = call(
        &a,
        Method::PUT,
        "/config/files/jail.d/tuning.local",
        &cookie,
        None,
        Some(json!({ "content": "x" })),
    )
    .await;
    assert_eq!(
        (blind.status, &blind.body["error_code"]),
        (428, &json!("precondition_required"))
    );

    // Disabled: fail2ban no longer reads it; the revisions follow it to its new name.
    let off = call(
        &b,
        Method::PUT,
        "/config/files/jail.d/tuning.local/enabled",
        &cookie,
        Some(tag2.as_str()),
        Some(json!({ "enabled": false })),
    )
    .await;
    assert_eq!(
        (off.status, &off.body["path"]),
        (200, &json!("jail.d/tuning.local.disabled")),
        "{}",
        off.body
    );
    assert!(!conf.join("jail.d/tuning.local").exists());
    assert!(conf.join("jail.d/tuning.local.disabled").exists());
    let history = call(
        &a,
        Method::GET,
        "/config/files/jail.d/tuning.local.disabled/revisions",
        &cookie,
        None,
        None,
    )
    .await;
    let actions: Vec<&str> = history.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["disable", "edit", "create"], "{}", history.body);
    assert!(
        history.body["items"][0]["actor"]
            .as_str()
            .unwrap()
            .starts_with("session:")
    );

    // Enabled again, then the edit reverted: the content is v1 again, as a new revision.
    let on = call(
        &a,
        Method::PUT,
        "/config/files/jail.d/tuning.local.disabled/enabled",
        &cookie,
        Some(tag2.as_str()),
        Some(json!({ "enabled": true })),
    )
    .await;
    assert_eq!(on.status, 200, "{}", on.body);
    let edit = history.body["items"][1]["id"].as_i64().unwrap();
    let detail = call(
        &b,
        Method::GET,
        &format!("/config/revisions/{edit}"),
        &cookie,
        None,
        None,
    )
    .await;
    assert_eq!(
        (&detail.body["before"], &detail.body["after"]),
        (&json!(v1), &won.body["content"]),
        "{}",
        detail.body
    );
    let reverted = call(
        &b,
        Method::POST,
        &format!("/config/revisions/{edit}/revert"),
        &cookie,
        None,
        None,
    )
    .await;
    assert_eq!(
        (reverted.status, &reverted.body["content"]),
        (200, &json!(v1)),
        "{}",
        reverted.body
    );
    assert_eq!(
        std::fs::read_to_string(conf.join("jail.d/tuning.local")).unwrap(),
        v1
    );
    // The size limit is 512 KB, and exactly that is taken.
    let full = format!("# {}\n", "x".repeat(512 * 1024 - 3));
    let at_limit = call(
        &a,
        Method::PUT,
        "/config/files/jail.d/tuning.local",
        &cookie,
        reverted.body["etag"].as_str(),
        Some(json!({ "content": full })),
    )
    .await;
    assert_eq!(at_limit.status, 200, "{}", at_limit.body);
    assert_eq!(
        std::fs::metadata(conf.join("jail.d/tuning.local"))
            .unwrap()
            .len(),
        512 * 1024
    );
    let created_id = history.body["items"][2]["id"].as_i64().unwrap();
    let refused = call(
        &b,
        Method::POST,
        &format!("/config/revisions/{created_id}/revert"),
        &cookie,
        None,
        None,
    )
    .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
}

/// What a request tries, and the request: method, path, `If-Match`, body.
type Hostile<'a> = (&'a str, Method, String, Option<&'a str>, Option<Value>);

#[tokio::test]
async fn hostile_file_requests_are_refused_and_write_nothing_anywhere() {
    let Fixture {
        cluster, cookie, ..
    } = Fixture::start(ClusterOptions::workers(1)).await;
    let conf = cluster.fail2ban.as_ref().unwrap().config_dir();
    let base = cluster.url(0);
    std::fs::create_dir_all(conf.join("jail.d")).unwrap();
    // A file to edit, its disabled twin's name taken by another, and a symlink leading out to a
    // file that must stay untouched.
    let outside = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(outside.path(), "outside\n").unwrap();
    std::os::unix::fs::symlink(outside.path(), conf.join("jail.d/escape.local")).unwrap();
    let made = call(
        &base,
        Method::POST,
        "/config/files",
        &cookie,
        None,
        Some(json!({ "dir": "jail.d", "name": "mine.local", "content": "[test]\n" })),
    )
    .await;
    assert_eq!(made.status, 201);
    let tag = made.body["etag"].as_str().unwrap().to_owned();
    std::fs::write(conf.join("jail.d/other.local.disabled"), "[x]\n").unwrap();
    std::fs::write(conf.join("jail.d/mine.local.disabled"), "[x]\n").unwrap();
    let before = snapshot(&conf);

    let big = "#".repeat(512 * 1024 + 1);
    let create =
        |dir: &str, name: &str| Some(json!({ "dir": dir, "name": name, "content": "[x]\n" }));
    let content = || Some(json!({ "content": "[x]\n" }));
    let table: Vec<Hostile> = vec![
        (
            "traversal in the name",
            Method::GET,
            "/config/files/jail.d/..%2Fjail.conf".into(),
            None,
            None,
        ),
        (
            "traversal in the directory",
            Method::GET,
            "/config/files/..%2F..%2Fetc/passwd".into(),
            None,
            None,
        ),
        (
            "absolute name",
            Method::GET,
            "/config/files/jail.d/%2Fetc%2Fpasswd".into(),
            None,
            None,
        ),
        (
            "encoded dots",
            Method::GET,
            "/config/files/jail.d/%2e%2e".into(),
            None,
            None,
        ),
        (
            "a symlink leading out, read",
            Method::GET,
            "/config/files/jail.d/escape.local".into(),
            None,
            None,
        ),
        (
            "a symlink leading out, written",
            Method::PUT,
            "/config/files/jail.d/escape.local".into(),
            Some("*"),
            content(),
        ),
        (
            "a symlink leading out, disabled",
            Method::PUT,
            "/config/files/jail.d/escape.local/enabled".into(),
            Some("*"),
            Some(json!({ "enabled": false })),
        ),
        (
            "traversal on write",
            Method::PUT,
            "/config/files/jail.d/..%2F..%2Fevil.local".into(),
            Some("*"),
            content(),
        ),
        (
            "create with traversal",
            Method::POST,
            "/config/files".into(),
            None,
            create("jail.d", "../evil.local"),
        ),
        (
            "create in a parent directory",
            Method::POST,
            "/config/files".into(),
            None,
            create("../..", "evil.local"),
        ),
        (
            "create in an absolute directory",
            Method::POST,
            "/config/files".into(),
            None,
            create("/etc", "evil.local"),
        ),
        (
            "create with an absolute name",
            Method::POST,
            "/config/files".into(),
            None,
            create("jail.d", "/tmp/evil.local"),
        ),
        (
            "NUL in the name",
            Method::POST,
            "/config/files".into(),
            None,
            create("jail.d", "evil\u{0}.local"),
        ),
        (
            "newline in the name",
            Method::POST,
            "/config/files".into(),
            None,
            create("jail.d", "evil\n.local"),
        ),
        (
            "a shell script",
            Method::POST,
            "/config/files".into(),
            None,
            create("jail.d", "evil.sh"),
        ),
        (
            "a Python action",
            Method::POST,
            "/config/files".into(),
            None,
            create("action.d", "evil.py"),
        ),
        (
            "no extension",
            Method::POST,
            "/config/files".into(),
            None,
            create("jail.d", "evil"),
        ),
        (
            "a hidden file",
            Method::POST,
            "/config/files".into(),
            None,
            create("jail.d", ".evil.local"),
        ),
        (
            "another directory",
            Method::POST,
            "/config/files".into(),
            None,
            create("fail2ban.d", "evil.local"),
        ),
        (
            "the top-level jail.local",
            Method::POST,
            "/config/files".into(),
            None,
            create("", "jail.local"),
        ),
        (
            "a backslash",
            Method::POST,
            "/config/files".into(),
            None,
            create("jail.d", "a\\b.local"),
        ),
        (
            "a space",
            Method::POST,
            "/config/files".into(),
            None,
            create("jail.d", "a b.local"),
        ),
        (
            "a non-ASCII name",
            Method::POST,
            "/config/files".into(),
            None,
            create("jail.d", "évil.local"),
        ),
        (
            "a name too long",
            Method::POST,
            "/config/files".into(),
            None,
            create("jail.d", &format!("{}.local", "a".repeat(100))),
        ),
        (
            "512 KB + 1 byte",
            Method::POST,
            "/config/files".into(),
            None,
            Some(json!({ "dir": "jail.d", "name": "big.local", "content": big })),
        ),
        (
            "512 KB + 1 byte over a file",
            Method::PUT,
            "/config/files/jail.d/mine.local".into(),
            Some(tag.as_str()),
            Some(json!({ "content": big })),
        ),
        (
            "a stale If-Match",
            Method::PUT,
            "/config/files/jail.d/mine.local".into(),
            Some("\"0123456789abcdef0123456789abcdef\""),
            content(),
        ),
        (
            "no If-Match",
            Method::PUT,
            "/config/files/jail.d/mine.local".into(),
            None,
            content(),
        ),
        (
            "create over an existing file",
            Method::POST,
            "/config/files".into(),
            None,
            create("jail.d", "mine.local"),
        ),
        (
            "create beside a disabled twin",
            Method::POST,
            "/config/files".into(),
            None,
            create("jail.d", "other.local"),
        ),
        (
            "disable over an existing name",
            Method::PUT,
            "/config/files/jail.d/mine.local/enabled".into(),
            Some(tag.as_str()),
            Some(json!({ "enabled": false })),
        ),
        (
            "an unknown field",
            Method::PUT,
            "/config/files/jail.d/mine.local".into(),
            Some(tag.as_str()),
            Some(json!({ "content": "[x]\n", "path": "/etc/passwd" })),
        ),
        (
            "a missing file",
            Method::PUT,
            "/config/files/jail.d/nope.local".into(),
            Some("*"),
            content(),
        ),
        (
            "a revision id that is not a number",
            Method::POST,
            "/config/revisions/1%20OR%201=1/revert".into(),
            None,
            None,
        ),
        (
            "an unknown revision",
            Method::POST,
            "/config/revisions/999999/revert".into(),
            None,
            None,
        ),
    ];
    // Changes that would make fail2ban (root) run a program of the caller's choosing.
    let commands = |dir: &str, name: &str, text: &str| {
        Some(json!({ "dir": dir, "name": name, "content": text }))
    };
    let command_table: Vec<Hostile> = vec![
        (
            "an action file",
            Method::POST,
            "/config/files".into(),
            None,
            commands(
                "action.d",
                "evil.local",
                "[Definition]\nactionban = touch /tmp/bangui-pwned\n",
            ),
        ),
        (
            "an ignorecommand",
            Method::POST,
            "/config/files".into(),
            None,
            commands(
                "jail.d",
                "evil.local",
                "[sshd]\nignorecommand = /usr/bin/touch /tmp/bangui-pwned\n",
            ),
        ),
        (
            "an action's command as an argument",
            Method::POST,
            "/config/files".into(),
            None,
            commands(
                "jail.d",
                "evil.local",
                "[sshd]\naction = iptables[actionban=\"touch /tmp/bangui-pwned\"]\n",
            ),
        ),
        (
            "a shell command in a port",
            Method::PUT,
            "/config/files/jail.d/mine.local".into(),
            Some(tag.as_str()),
            Some(json!({ "content": "[test]\nport = 22; touch /tmp/bangui-pwned\n" })),
        ),
        (
            "Python in a ban time",
            Method::PUT,
            "/config/files/jail.d/mine.local".into(),
            Some(tag.as_str()),
            Some(json!({ "content": "[test]\nbantime = __import__('os').system('id')\n" })),
        ),
        (
            "a ban time formula",
            Method::PUT,
            "/config/files/jail.d/mine.local".into(),
            Some(tag.as_str()),
            Some(json!({ "content": "[DEFAULT]\nbantime.formula = ban.Time * 2\n" })),
        ),
        (
            "a jail named with a shell command",
            Method::POST,
            "/config/files".into(),
            None,
            commands(
                "jail.d",
                "evil.local",
                "[evil$(touch /tmp/bangui-pwned)]\nenabled = true\n",
            ),
        ),
        (
            "an include that climbs out of jail.d",
            Method::POST,
            "/config/files".into(),
            None,
            commands(
                "jail.d",
                "evil.local",
                "[INCLUDES]\nbefore = ../filter.d/evil.local\n",
            ),
        ),
        (
            "a command through an option an action line refers to",
            Method::PUT,
            "/config/files/jail.d/mine.local".into(),
            Some(tag.as_str()),
            Some(
                json!({ "content": "[test]\naction = iptables[port=\"%(evil)s\"]\nevil = 1 | sh\n" }),
            ),
        ),
    ];
    // Content fail2ban cannot parse: it would refuse every reload while the file is there.
    for (what, content) in [
        ("an option before any section", "maxretry = 3\n[test]\n"),
        ("a section twice", "[test]\n[test]\n"),
        ("an option twice", "[test]\nport = 1\nport = 2\n"),
        ("neither a section nor an option", "[test]\njust words\n"),
    ] {
        let reply = call(
            &base,
            Method::PUT,
            "/config/files/jail.d/mine.local",
            &cookie,
            Some(tag.as_str()),
            Some(json!({ "content": content })),
        )
        .await;
        assert_eq!(
            (reply.status, &reply.body["error_code"]),
            (422, &json!("config_file_invalid")),
            "{what}: {}",
            reply.body
        );
    }
    for (what, method, path, if_match, body) in command_table {
        let reply = call(&base, method, &path, &cookie, if_match, body).await;
        assert_eq!(
            (reply.status, &reply.body["error_code"]),
            (403, &json!("config_runs_commands")),
            "{what}: {}",
            reply.body
        );
    }
    assert!(table.len() >= 25);
    for (what, method, path, if_match, body) in table {
        let reply = call(&base, method, &path, &cookie, if_match, body).await;
        assert!(
            (400..500).contains(&reply.status) && reply.body["error_code"].is_string(),
            "{what}: {} {}",
            reply.status,
            reply.body
        );
    }
    assert_eq!(
        snapshot(&conf),
        before,
        "nothing written in the configuration directory"
    );
    assert_eq!(
        std::fs::read_to_string(outside.path()).unwrap(),
        "outside\n"
    );
    assert!(!Path::new("/tmp/evil.local").exists());
    // And the file survives all of it, unchanged, at its version.
    let mine = call(
        &base,
        Method::GET,
        "/config/files/jail.d/mine.local",
        &cookie,
        None,
        None,
    )
    .await;
    assert_eq!((mine.status, &mine.body["etag"]), (200, &json!(tag)));
}
