//! Ctrl-C during `up`: pulumi is asked to cancel cleanly, stackpilot exits
//! 130. Ctrl-C and SIGTERM while a named input blocks: the same.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::support::{finish, Repo};

#[test]
fn ctrl_c_during_up_cancels_pulumi_cleanly_and_exits_130() {
    let repo = Repo::new();
    repo.write("stacks/app/Pulumi.alpha.yaml", "config:\n  fixture-app:seconds: 600\n");
    let summary = repo.summary_path();
    let mut child = repo
        .command(&["up", "app", "alpha", "--yes", "--summary", summary.to_str().unwrap()])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    // Wait (bounded) until the slow resource is being created.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen = Vec::new();
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("the slow create never started: {seen:#?}"));
        let started = line.contains("rollout creating");
        seen.push(line);
        if started {
            break;
        }
    }
    // SAFETY: kill(2) on our own child.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "stackpilot did not stop after Ctrl-C");
        std::thread::sleep(Duration::from_millis(50));
    };
    let rest: Vec<String> = rx.try_iter().collect();
    assert_eq!(status.code(), Some(130), "{seen:#?}\n{rest:#?}");
    let summary = repo.summary();
    assert!(summary.contains("was interrupted"), "{summary}");

    // A clean cancel leaves no lock behind: the stack can be previewed again.
    let after = repo.run(&["preview", "app", "alpha"]);
    assert_eq!(after.code, 0, "{}", after.stderr);
}

/// Polls (bounded) until stackpilot's input reader thread exists: from
/// then on its signal handlers are installed and the read has begun.
fn wait_until_reading(child: &Child) {
    let tasks = format!("/proc/{}/task", child.id());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let reading = std::fs::read_dir(&tasks).into_iter().flatten().flatten().any(|task| {
            std::fs::read_to_string(task.path().join("comm")).is_ok_and(|name| name.trim() == "input-reader")
        });
        if reading {
            return;
        }
        assert!(Instant::now() < deadline, "stackpilot never started reading its input");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends `signal` and polls (bounded) for the exit code.
fn signal_and_wait(child: &mut Child, signal: libc::c_int) -> Option<i32> {
    // SAFETY: kill(2) on our own child.
    unsafe {
        libc::kill(child.id() as libc::pid_t, signal);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            panic!("stackpilot did not stop within 10 s of the signal");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `--contract` a FIFO nobody wrote to ignored SIGINT and SIGTERM; only
/// SIGKILL ended it.
#[test]
fn sigterm_while_the_contract_fifo_is_silent_exits_130() {
    let repo = Repo::new();
    let fifo = repo.path().join("contract.fifo");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo(3) with a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let mut child = repo
        .command(&[
            "update",
            "alpha",
            "--backend",
            "v2",
            "--contract",
            fifo.to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until_reading(&child);
    assert_eq!(signal_and_wait(&mut child, libc::SIGTERM), Some(130));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(stderr.contains("interrupted"), "{stderr}");
}

/// `--contract /dev/zero` grew until memory ran out.
#[test]
fn a_contract_from_dev_zero_stops_at_the_cap_with_exit_2() {
    let repo = Repo::new();
    let run = finish(
        repo.command(&["update", "alpha", "--backend", "v2", "--contract", "/dev/zero"])
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("could not read the deploy contract /dev/zero: it is larger than 1 MiB"),
        "{}",
        run.stderr
    );
}

/// `summarize -` from a pipe that never ends ignored Ctrl-C.
#[test]
fn ctrl_c_while_summarize_reads_an_endless_pipe_exits_130() {
    let repo = Repo::new();
    let mut child = repo
        .command(&["summarize", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Some input, and the pipe held open: the preview never ends.
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&[b' '; 16 * 1024]).unwrap();
    wait_until_reading(&child);
    assert_eq!(signal_and_wait(&mut child, libc::SIGINT), Some(130));
    drop(stdin);
}
