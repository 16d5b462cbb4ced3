//! What the benchmarks share.

#![allow(dead_code)] // each benchmark uses its own part of it

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

/// `GET url` with the session cookie; the JSON answer.
pub async fn get_json(http: &reqwest::Client, url: &str, cookie: &str) -> serde_json::Value {
    http.get(url)
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}
