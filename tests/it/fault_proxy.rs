//! A fault-injecting HTTP proxy in front of the local sandbox: the update
//! tests point stackpilot at it and make chosen AWS operations answer 500,
//! hang, lose their answer, or take the whole endpoint down with them.
//!
//! It speaks just enough HTTP/1.1 for the AWS SDK's JSON protocol: one
//! request at a time per connection, a `Content-Length` body, the
//! operation named by `X-Amz-Target`. Each request goes upstream on a
//! fresh connection (`Connection: close`), and the answer comes back
//! byte for byte. Every request is recorded, faulted or not, so a test
//! can say exactly which calls stackpilot made.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

/// What a rule does to a request it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answers 500 `ServerException` without forwarding: ECS never saw it.
    ServerError,
    /// Never answers, and never forwards.
    Hang,
    /// Waits until [`FaultProxy::release`], then forwards as usual.
    Hold,
    /// Forwards (so ECS acts on it), then closes the connection unanswered.
    DropAnswer,
    /// Forwards, then takes the endpoint down: this connection closes
    /// unanswered and every later connection is closed at once.
    KillAfterForward,
}

/// One fault and the requests it applies to.
#[derive(Debug, Clone)]
pub struct Rule {
    operation: &'static str,
    fault: Fault,
    /// Only once this operation has been seen (e.g. from the rollout on).
    armed_by: Option<&'static str>,
    /// Only requests whose body holds this text.
    body_contains: Option<String>,
    /// At most this many requests.
    times: Option<usize>,
    applied: usize,
}

impl Rule {
    pub fn new(operation: &'static str, fault: Fault) -> Self {
        Rule {
            operation,
            fault,
            armed_by: None,
            body_contains: None,
            times: None,
            applied: 0,
        }
    }

    pub fn once_seen(mut self, operation: &'static str) -> Self {
        self.armed_by = Some(operation);
        self
    }

    pub fn when_body_has(mut self, text: &str) -> Self {
        self.body_contains = Some(text.to_owned());
        self
    }

    pub fn times(mut self, n: usize) -> Self {
        self.times = Some(n);
        self
    }
}

/// A request the proxy saw, and whether a fault took it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub operation: String,
    pub body: String,
    pub fault: Option<Fault>,
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    seen: Vec<Seen>,
    released: bool,
    killed: bool,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

pub struct FaultProxy {
    pub port: u16,
    shared: Arc<Shared>,
}

impl FaultProxy {
    /// Listens on a free loopback port and forwards to `upstream_port`.
    pub fn start(upstream_port: u16, rules: Vec<Rule>) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind a loopback port");
        let port = listener.local_addr().expect("local address").port();
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                rules,
                ..State::default()
            }),
            changed: Condvar::new(),
        });
        let accept = Arc::clone(&shared);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if accept.lock().killed {
                    let _ = stream.shutdown(Shutdown::Both);
                    continue;
                }
                let conn = Arc::clone(&accept);
                thread::spawn(move || serve(stream, upstream_port, &conn));
            }
        });
        FaultProxy { port, shared }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Lets held requests through.
    pub fn release(&self) {
        self.shared.lock().released = true;
        self.shared.changed.notify_all();
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.shared.lock().seen.clone()
    }

    /// How many requests of `operation` arrived (faulted or not).
    pub fn count(&self, operation: &str) -> usize {
        self.shared
            .lock()
            .seen
            .iter()
            .filter(|s| s.operation == operation)
            .count()
    }

    /// Waits, at most a minute, until `n` requests of `operation` arrived.
    pub fn wait_for(&self, operation: &str, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut state = self.shared.lock();
        while state.seen.iter().filter(|s| s.operation == operation).count() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "{operation} was not called {n} time(s) within a minute"
            );
            state = self
                .shared
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        // Ends held and hung requests, so no thread outlives the test by much.
        let mut state = self.shared.lock();
        state.released = true;
        state.killed = true;
        drop(state);
        self.shared.changed.notify_all();
    }
}

/// Serves one request per client connection: every answer says
/// `Connection: close`, so the client never waits on a kept connection.
fn serve(client: TcpStream, upstream_port: u16, shared: &Shared) {
    let Ok(reader) = client.try_clone() else { return };
    let mut reader = BufReader::new(reader);
    let mut client = client;
    if let Some(request) = read_request(&mut reader) {
        let fault = decide(shared, &request);
        let answer = match fault {
            Some(Fault::ServerError) => Some(server_error()),
            Some(Fault::Hang) => {
                let mut state = shared.lock();
                while !state.killed {
                    state = shared.changed.wait(state).unwrap_or_else(|p| p.into_inner());
                }
                None
            }
            Some(Fault::Hold) => {
                let mut state = shared.lock();
                while !state.released {
                    state = shared.changed.wait(state).unwrap_or_else(|p| p.into_inner());
                }
                drop(state);
                forward(&request, upstream_port)
            }
            Some(Fault::DropAnswer) => {
                let _ = forward(&request, upstream_port);
                None
            }
            Some(Fault::KillAfterForward) => {
                let _ = forward(&request, upstream_port);
                shared.lock().killed = true;
                shared.changed.notify_all();
                None
            }
            None => forward(&request, upstream_port),
        };
        if let Some(bytes) = answer {
            let _ = client.write_all(&closing(bytes));
        }
    }
    let _ = client.shutdown(Shutdown::Both);
}

/// Records the request and picks the first rule that takes it.
fn decide(shared: &Shared, request: &Request) -> Option<Fault> {
    let mut state = shared.lock();
    let operation = request.operation();
    let seen_before = |op: &str, seen: &[Seen]| seen.iter().any(|s| s.operation == op);
    let mut fault = None;
    let seen = state.seen.clone();
    for rule in state.rules.iter_mut() {
        let takes = rule.operation == operation
            && rule.armed_by.is_none_or(|op| seen_before(op, &seen))
            && rule
                .body_contains
                .as_deref()
                .is_none_or(|text| request.body_text().contains(text))
            && rule.times.is_none_or(|n| rule.applied < n);
        if takes {
            rule.applied += 1;
            fault = Some(rule.fault);
            break;
        }
    }
    state.seen.push(Seen {
        operation: operation.to_owned(),
        body: request.body_text(),
        fault,
    });
    shared.changed.notify_all();
    fault
}

struct Request {
    /// The request line and headers, without the blank line.
    head: Vec<String>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.iter().skip(1).find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then_some(v.trim())
        })
    }

    /// `UpdateService` of `AmazonEC2ContainerServiceV20141113.UpdateService`;
    /// the path for the sandbox's own endpoints.
    fn operation(&self) -> &str {
        match self.header("x-amz-target") {
            Some(target) => target.rsplit('.').next().unwrap_or(target),
            None => self.head[0].split(' ').nth(1).unwrap_or(""),
        }
    }

    fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end_matches(['\r', '\n']).to_owned();
        if line.is_empty() {
            break;
        }
        head.push(line);
    }
    let mut request = Request { head, body: Vec::new() };
    let length: usize = request
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    request.body = vec![0; length];
    reader.read_exact(&mut request.body).ok()?;
    Some(request)
}

/// Sends the request upstream on a connection of its own and returns the
/// whole answer; `None` when the upstream is gone.
fn forward(request: &Request, upstream_port: u16) -> Option<Vec<u8>> {
    let mut upstream = TcpStream::connect(("127.0.0.1", upstream_port)).ok()?;
    let mut out = Vec::new();
    for line in &request.head {
        let name = line.split(':').next().unwrap_or("").trim();
        if !name.eq_ignore_ascii_case("connection") {
            out.extend_from_slice(line.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }
    out.extend_from_slice(b"Connection: close\r\n\r\n");
    out.extend_from_slice(&request.body);
    upstream.write_all(&out).ok()?;
    let mut answer = Vec::new();
    upstream.read_to_end(&mut answer).ok()?;
    Some(answer)
}

/// The answer with its `Connection` header set to `close`.
fn closing(answer: Vec<u8>) -> Vec<u8> {
    let Some(end) = answer.windows(4).position(|w| w == b"\r\n\r\n") else {
        return answer;
    };
    let head = String::from_utf8_lossy(&answer[..end]);
    let mut out: Vec<u8> = head
        .split("\r\n")
        .filter(|line| !line.to_ascii_lowercase().starts_with("connection:"))
        .flat_map(|line| [line.as_bytes(), b"\r\n"].concat())
        .collect();
    out.extend_from_slice(b"Connection: close\r\n\r\n");
    out.extend_from_slice(&answer[end + 4..]);
    out
}

fn server_error() -> Vec<u8> {
    let body = r#"{"__type":"ServerException","message":"injected by the fault proxy"}"#;
    format!(
        "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}
