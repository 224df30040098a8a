//! The one wrapper through which every subprocess runs.
//!
//! It resolves the program once, logs the shell-escaped command line, drains
//! stdout and stderr on their own threads while the child runs (so a chatty
//! child never blocks on a full pipe), keeps the tail of stderr for error
//! messages, and forwards Ctrl-C to the child instead of dying under it.
//! Children never inherit the runner's tokens ([`withheld`]).

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use crate::interrupt;

/// Lines of stderr kept for error messages and summaries.
pub const STDERR_TAIL_LINES: usize = 40;

#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("could not start `{command}`")]
    Spawn {
        command: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`{command}` {status}{}", tail_suffix(.stderr_tail))]
    Status {
        command: String,
        status: ExitDescription,
        stderr_tail: String,
    },
    #[error("`{command}` was interrupted")]
    Interrupted { command: String, stderr_tail: String },
    #[error("lost track of `{command}`")]
    Wait {
        command: String,
        #[source]
        source: std::io::Error,
    },
}

fn tail_suffix(tail: &str) -> String {
    if tail.trim().is_empty() {
        String::new()
    } else {
        format!("; the end of its stderr:\n{}", indent(tail))
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
}

/// How a child ended, in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitDescription(pub ExitStatus);

impl fmt::Display for ExitDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.0.code(), self.0.signal()) {
            (Some(code), _) => write!(f, "exited with status {code}"),
            (None, Some(sig)) => write!(f, "was killed by signal {sig}"),
            (None, None) => write!(f, "ended abnormally"),
        }
    }
}

/// Whether a variable of our own environment is kept from every child.
///
/// In GitHub Actions the step's environment holds tokens that stackpilot
/// itself may use (`GITHUB_TOKEN` for `--pr-comment`) or that the runner
/// put there (`ACTIONS_RUNTIME_TOKEN`, `ACTIONS_ID_TOKEN_REQUEST_TOKEN` and
/// its URL, the cache and results services). `pulumi` and the program it
/// runs (npm packages included) have no use for them, and a token a child
/// never sees is one it cannot leak. AWS credentials and the passphrase are
/// what `pulumi` needs, so they stay.
pub(crate) fn withheld(name: &OsStr) -> bool {
    let Some(name) = name.to_str() else {
        return false;
    };
    matches!(name, "GITHUB_TOKEN" | "GH_TOKEN") || name.starts_with("ACTIONS_")
}

/// Which pipe a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// A program found on PATH (or at an explicit location), resolved once.
#[derive(Debug, Clone)]
pub struct Program {
    name: String,
    path: PathBuf,
}

impl Program {
    pub fn at(name: impl Into<String>, path: PathBuf) -> Self {
        Program {
            name: name.into(),
            path,
        }
    }
}

/// One command line to run.
#[derive(Debug, Clone)]
pub struct Invocation {
    program: Program,
    args: Vec<OsString>,
    envs: Vec<(OsString, OsString)>,
    cwd: Option<PathBuf>,
}

/// What a finished child left behind. A non-zero exit is not an error here:
/// `pulumi preview --json` prints a digest worth reading even when it fails.
#[derive(Debug)]
pub struct Finished {
    pub command: String,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr_tail: String,
}

impl Finished {
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// Turns a non-zero exit into [`ProcessError::Status`].
    pub fn check(self) -> Result<Finished, ProcessError> {
        if self.success() {
            Ok(self)
        } else {
            Err(ProcessError::Status {
                command: self.command,
                status: ExitDescription(self.status),
                stderr_tail: self.stderr_tail,
            })
        }
    }
}

impl Invocation {
    pub fn new(program: &Program) -> Self {
        Invocation {
            program: program.clone(),
            args: Vec::new(),
            envs: Vec::new(),
            cwd: None,
        }
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets an environment variable for the child. Values never appear in
    /// logs or errors, so this is the place for anything secret.
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.envs.push((key.into(), value.into()));
        self
    }

    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }

    /// The command line as a person would paste it into a shell.
    pub fn display(&self) -> String {
        let mut words = vec![self.program.name.clone()];
        words.extend(self.args.iter().map(|a| a.to_string_lossy().into_owned()));
        words
            .iter()
            .map(|w| shlex::try_quote(w).map_or_else(|_| format!("{w:?}"), |q| q.into_owned()))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Runs to completion, calling `on_line` for every line of output as it
    /// arrives.
    pub fn run(&self, on_line: &mut dyn FnMut(Stream, &str)) -> Result<Finished, ProcessError> {
        let command = self.display();
        tracing::debug!(command = %command, cwd = ?self.cwd, "running");
        let mut cmd = Command::new(&self.program.path);
        for (name, _) in std::env::vars_os().filter(|(name, _)| withheld(name)) {
            cmd.env_remove(name);
        }
        // Set after the removals, so a variable set on purpose still wins.
        cmd.args(&self.args)
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        if let Some(dir) = &self.cwd {
            cmd.current_dir(dir);
        }
        let mut child = cmd.spawn().map_err(|source| ProcessError::Spawn {
            command: command.clone(),
            source,
        })?;
        let (tx, rx) = mpsc::channel();
        let readers = [
            drain(child.stdout.take(), Stream::Stdout, tx.clone()),
            drain(child.stderr.take(), Stream::Stderr, tx),
        ];

        let mut stdout = String::new();
        let mut tail = VecDeque::with_capacity(STDERR_TAIL_LINES);
        let interrupts_at_start = interrupt::requests();
        let mut forwarded = interrupts_at_start;
        loop {
            forward_interrupts(&child, &mut forwarded);
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok((stream, line)) => {
                    match stream {
                        Stream::Stdout => {
                            stdout.push_str(&line);
                            stdout.push('\n');
                        }
                        Stream::Stderr => {
                            if tail.len() == STDERR_TAIL_LINES {
                                tail.pop_front();
                            }
                            tail.push_back(line.clone());
                        }
                    }
                    on_line(stream, &line);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        for reader in readers.into_iter().flatten() {
            let _ = reader.join();
        }
        let status = loop {
            forward_interrupts(&child, &mut forwarded);
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) => thread::sleep(Duration::from_millis(20)),
                Err(source) => return Err(ProcessError::Wait { command, source }),
            }
        };
        let stderr_tail = tail.into_iter().collect::<Vec<_>>().join("\n");
        if forwarded > interrupts_at_start {
            return Err(ProcessError::Interrupted { command, stderr_tail });
        }
        tracing::debug!(command = %command, status = %ExitDescription(status), "finished");
        Ok(Finished {
            command,
            status,
            stdout,
            stderr_tail,
        })
    }
}

/// Sends the child one SIGINT for each interrupt request not yet forwarded.
fn forward_interrupts(child: &Child, forwarded: &mut usize) {
    let now = interrupt::requests();
    while *forwarded < now {
        *forwarded += 1;
        tracing::warn!("interrupt: asking the child process to stop");
        if let Ok(pid) = libc::pid_t::try_from(child.id()) {
            // SAFETY: kill(2) with a pid we spawned and have not reaped yet.
            unsafe {
                libc::kill(pid, libc::SIGINT);
            }
        }
    }
}

fn drain<R: Read + Send + 'static>(
    pipe: Option<R>,
    stream: Stream,
    tx: mpsc::Sender<(Stream, String)>,
) -> Option<thread::JoinHandle<()>> {
    let pipe = pipe?;
    Some(thread::spawn(move || {
        let mut reader = BufReader::new(pipe);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                        buf.pop();
                    }
                    let line = String::from_utf8_lossy(&buf).into_owned();
                    if tx.send((stream, line)).is_err() {
                        break;
                    }
                }
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh() -> Program {
        Program::at("sh", PathBuf::from("/bin/sh"))
    }

    #[test]
    fn captures_stdout_and_keeps_only_the_tail_of_stderr() {
        let script = format!(
            "echo out1; i=0; while [ $i -lt {} ]; do echo err$i >&2; i=$((i+1)); done; echo out2; exit 3",
            STDERR_TAIL_LINES + 5
        );
        let mut lines = 0;
        let done = Invocation::new(&sh())
            .args(["-c", &script])
            .run(&mut |_, _| lines += 1)
            .unwrap();
        assert_eq!(done.stdout, "out1\nout2\n");
        assert_eq!(done.stderr_tail.lines().count(), STDERR_TAIL_LINES);
        assert!(done.stderr_tail.starts_with("err5\n"));
        assert_eq!(lines, STDERR_TAIL_LINES + 5 + 2);
        let err = done.check().unwrap_err().to_string();
        assert!(err.contains("exited with status 3"), "{err}");
        assert!(err.contains("err44"), "{err}");
    }

    #[test]
    fn missing_program_is_a_spawn_error_not_a_status_error() {
        let prog = Program::at("nope", PathBuf::from("/nonexistent/nope"));
        let err = Invocation::new(&prog).run(&mut |_, _| {}).unwrap_err();
        assert!(matches!(err, ProcessError::Spawn { .. }), "{err:?}");
    }

    #[test]
    fn display_quotes_arguments_for_a_shell() {
        let inv = Invocation::new(&sh()).args(["-c", "echo 'hi there'"]);
        assert_eq!(inv.display(), r#"sh -c "echo 'hi there'""#);
    }

    #[test]
    fn the_runners_tokens_are_withheld_and_what_pulumi_needs_is_kept() {
        for name in [
            "GITHUB_TOKEN",
            "GH_TOKEN",
            "ACTIONS_RUNTIME_TOKEN",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            "ACTIONS_CACHE_URL",
            "ACTIONS_RESULTS_URL",
            "ACTIONS_RUNTIME_URL",
        ] {
            assert!(withheld(OsStr::new(name)), "{name}");
        }
        for name in [
            "PATH",
            "HOME",
            "AWS_ACCESS_KEY_ID",
            "AWS_SESSION_TOKEN",
            "PULUMI_CONFIG_PASSPHRASE",
            "GITHUB_ACTIONS",
            "GITHUB_STEP_SUMMARY",
            "MY_ACTIONS_TOKEN",
        ] {
            assert!(!withheld(OsStr::new(name)), "{name}");
        }
    }

    #[test]
    fn env_values_stay_out_of_the_displayed_command() {
        let inv = Invocation::new(&sh())
            .arg("-c")
            .arg("true")
            .env("PULUMI_CONFIG_PASSPHRASE", "hunter2");
        assert!(!inv.display().contains("hunter2"));
    }
}
