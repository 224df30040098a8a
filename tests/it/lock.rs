//! A stack locked by someone else's update: exit 5, say who, cancel nothing.

use crate::support::Repo;

#[test]
fn a_locked_stack_exits_5_and_names_the_holder() {
    let repo = Repo::new();
    assert_eq!(repo.run(&["preview", "base", "dev"]).code, 0);
    // What a concurrent `pulumi up` leaves while it runs on a file backend.
    let lock_dir = repo.state_dir().join(".pulumi/locks/organization/fixture-base/dev");
    std::fs::create_dir_all(&lock_dir).unwrap();
    let lock = lock_dir.join("5f0c8e57-3b3c-4e43-9f43-2f4b1f0c1d2e.json");
    std::fs::write(
        &lock,
        r#"{"pid":4242,"username":"ci","hostname":"runner-7","timestamp":"2026-11-28T10:00:00Z"}"#,
    )
    .unwrap();

    let summary = repo.summary_path();
    let run = repo.run(&["up", "base", "dev", "--yes", "--summary", summary.to_str().unwrap()]);
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(run.stderr.contains("ci@runner-7 (pid 4242)"), "{}", run.stderr);
    assert!(
        run.stderr.contains("never cancels someone else's update"),
        "{}",
        run.stderr
    );
    assert!(repo.summary().contains("🔒"), "{}", repo.summary());
    assert!(lock.exists(), "the other update's lock is left alone");
}
