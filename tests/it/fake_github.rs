//! A local HTTP server that plays the part of GitHub's issue-comments API,
//! enough for stackpilot's PR comment: who the token is, list (paged),
//! create, edit.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub body: String,
}

/// The login `GET /user` answers by default, and writes new comments.
pub const OWN_LOGIN: &str = "acme-deployer";

/// How the fake GitHub behaves beyond the comments it starts with.
#[derive(Debug, Clone)]
pub struct Behaviour {
    /// The token's account; `None` answers `GET /user` with 403, as GitHub
    /// does for an installation token, whose comments are by `github-actions[bot]`.
    pub own_login: Option<String>,
    /// Answer every PATCH with 403.
    pub refuse_edits: bool,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            own_login: Some(OWN_LOGIN.to_owned()),
            refuse_edits: false,
        }
    }
}

#[derive(Debug, Default)]
pub struct State {
    /// (id, author, body) in creation order.
    pub comments: Vec<(u64, String, String)>,
    pub requests: Vec<Request>,
    next_id: u64,
    behaviour: Behaviour,
}

impl State {
    fn author(&self) -> String {
        self.behaviour
            .own_login
            .clone()
            .unwrap_or_else(|| "github-actions[bot]".to_owned())
    }
}

pub struct FakeGithub {
    pub url: String,
    pub state: Arc<Mutex<State>>,
}

impl FakeGithub {
    /// Starts on a free loopback port with comments the token's own
    /// account wrote; serves until the test process ends.
    pub fn start(existing: &[&str]) -> Self {
        let existing: Vec<(&str, &str)> = existing.iter().map(|b| (OWN_LOGIN, *b)).collect();
        Self::start_with(Behaviour::default(), &existing)
    }

    /// Starts with `(author, body)` comments and the given behaviour.
    pub fn start_with(behaviour: Behaviour, existing: &[(&str, &str)]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let mut state = State {
            next_id: 1000,
            behaviour,
            ..State::default()
        };
        for (author, body) in existing {
            state.next_id += 1;
            state
                .comments
                .push((state.next_id, (*author).to_owned(), (*body).to_owned()));
        }
        let state = Arc::new(Mutex::new(state));
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                serve(stream, &shared);
            }
        });
        FakeGithub { url, state }
    }
}

fn serve(mut stream: TcpStream, state: &Mutex<State>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let (mut length, mut authorization) = (0, None);
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).unwrap();
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().unwrap(),
                "authorization" => authorization = Some(value.trim().to_owned()),
                _ => {}
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let body = String::from_utf8(body).unwrap();
    let (status, reply) = respond(&method, &path, &body, state);
    state.lock().unwrap().requests.push(Request {
        method,
        path,
        authorization,
        body,
    });
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
        reply.len()
    );
}

fn respond(method: &str, path: &str, body: &str, state: &Mutex<State>) -> (&'static str, String) {
    let mut state = state.lock().unwrap();
    let comment_json = |id: u64, author: &str, body: &str| {
        serde_json::json!({"id": id, "body": body, "user": {"login": author}}).to_string()
    };
    let (route, query) = path.split_once('?').unwrap_or((path, ""));
    let behaviour = state.behaviour.clone();
    match (method, route) {
        ("GET", "/user") => match &behaviour.own_login {
            Some(login) => ("200 OK", serde_json::json!({"login": login}).to_string()),
            None => (
                "403 Forbidden",
                r#"{"message":"Resource not accessible by integration"}"#.to_owned(),
            ),
        },
        ("PATCH", _) if behaviour.refuse_edits => (
            "403 Forbidden",
            r#"{"message":"Resource not accessible by integration"}"#.to_owned(),
        ),
        ("GET", r) if r.ends_with("/comments") => {
            let page: usize = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("page="))
                .and_then(|p| p.parse().ok())
                .unwrap_or(1);
            // Pages of 100, as GitHub serves them.
            let items: Vec<String> = state
                .comments
                .iter()
                .skip((page - 1) * 100)
                .take(100)
                .map(|(id, author, b)| comment_json(*id, author, b))
                .collect();
            ("200 OK", format!("[{}]", items.join(",")))
        }
        ("POST", r) if r.ends_with("/comments") => {
            let text = serde_json::from_str::<serde_json::Value>(body).unwrap()["body"]
                .as_str()
                .unwrap()
                .to_owned();
            state.next_id += 1;
            let id = state.next_id;
            let author = state.author();
            state.comments.push((id, author.clone(), text.clone()));
            ("201 Created", comment_json(id, &author, &text))
        }
        ("PATCH", r) if r.contains("/issues/comments/") => {
            let id: u64 = r.rsplit('/').next().unwrap().parse().unwrap();
            let text = serde_json::from_str::<serde_json::Value>(body).unwrap()["body"]
                .as_str()
                .unwrap()
                .to_owned();
            match state.comments.iter_mut().find(|(i, _, _)| *i == id) {
                Some(c) => {
                    c.2 = text.clone();
                    ("200 OK", comment_json(id, &c.1, &text))
                }
                None => ("404 Not Found", r#"{"message":"Not Found"}"#.to_owned()),
            }
        }
        _ => ("404 Not Found", r#"{"message":"Not Found"}"#.to_owned()),
    }
}
