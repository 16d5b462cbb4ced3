//! [`ListServer`]: a minimal HTTP server on 127.0.0.1 that serves the files a test puts there
//! (blocklists), so tests never reach the internet, and keeps what it was sent (a telemetry
//! collector's side).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// What a path answers.
#[derive(Debug, Clone)]
struct Resource {
    status: u16,
    body: Vec<u8>,
    headers: Vec<(String, String)>,
}

/// A request the server received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// Serves files until dropped (the thread ends with the test process).
#[derive(Debug, Clone)]
pub struct ListServer {
    port: u16,
    files: Arc<Mutex<HashMap<String, Resource>>>,
    received: Arc<Mutex<Vec<Received>>>,
}

impl ListServer {
    pub fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let files: Arc<Mutex<HashMap<String, Resource>>> = Arc::default();
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let (shared, log) = (Arc::clone(&files), Arc::clone(&received));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (files, log) = (Arc::clone(&shared), Arc::clone(&log));
                std::thread::spawn(move || serve(stream, &files, &log));
            }
        });
        Ok(Self {
            port,
            files,
            received,
        })
    }

    /// Every request received so far, oldest first.
    pub fn received(&self) -> Vec<Received> {
        self.received
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Serves `body` at `path` with status 200.
    pub fn put(&self, path: &str, body: impl Into<Vec<u8>>) {
        self.put_with(path, 200, body, &[]);
    }

    /// Serves `body` at `path` with `status` and extra headers (a redirect's `Location`, …).
    pub fn put_with(
        &self,
        path: &str,
        status: u16,
        body: impl Into<Vec<u8>>,
        headers: &[(&str, &str)],
    ) {
        let resource = Resource {
            status,
            body: body.into(),
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        self.files
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(path.to_owned(), resource);
    }
}

fn serve(
    mut stream: TcpStream,
    files: &Mutex<HashMap<String, Resource>>,
    received: &Mutex<Vec<Received>>,
) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let (mut length, mut content_type) = (0usize, None);
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        if let Some((name, value)) = line.split_once(':') {
            let value = value.trim().to_owned();
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.parse().unwrap_or(0),
                "content-type" => content_type = Some(value),
                _ => {}
            }
        }
        line.clear();
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let mut words = request_line.split_whitespace();
    let method = words.next().unwrap_or("GET").to_owned();
    let path = words.next().unwrap_or("/").to_owned();
    received
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(Received {
            method,
            path: path.clone(),
            content_type,
            body,
        });
    let resource = files
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(&path)
        .cloned();
    let resource = resource.unwrap_or(Resource {
        status: 404,
        body: b"not found".to_vec(),
        headers: Vec::new(),
    });
    let mut head = format!(
        "HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n",
        resource.status,
        resource.body.len()
    );
    for (k, v) in &resource.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&resource.body);
}
