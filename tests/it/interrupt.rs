//! Ctrl-C during `up`: pulumi is asked to cancel cleanly, stackpilot exits 130.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::support::Repo;

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
