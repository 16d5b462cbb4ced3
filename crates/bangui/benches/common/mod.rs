//! What the benchmarks share.

/// Sets bangui up through `base` and logs in; returns the session cookie.
pub async fn session(http: &reqwest::Client, base: &str) -> String {
    let setup = http
        .post(format!("{base}/api/v1/setup"))
        .json(&serde_json::json!({ "master_password": "Str0ng!pass" }))
        .send()
        .await
        .unwrap();
    assert_eq!(setup.status(), 201);
    let login = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({ "password": "Str0ng!pass" }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    login.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}
