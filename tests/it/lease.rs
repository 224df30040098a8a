//! The deploy lease: two updates of one env never both go ahead, a lease
//! past its expiry is taken over, and a finished run leaves none behind.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::update_support::Sandbox;

const LEASE_KEY: &str = ".stackpilot/leases/alpha.json";

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// A state bucket named by `PULUMI_BACKEND_URL`, as a team without the
/// bootstrap stack would have it.
fn state_bucket(sandbox: &Sandbox) -> String {
    let s3 = sandbox.s3();
    sandbox.block_on(async {
        s3.create_bucket()
            .bucket("team-state")
            .send()
            .await
            .expect("bucket made")
    });
    "team-state".to_owned()
}

fn put_lease(sandbox: &Sandbox, bucket: &str, holder: &str, expires_at: i64) {
    let body = serde_json::json!({
        "holder": holder, "run": "https://github.com/acme/ublog/actions/runs/7/attempts/1",
        "acquired_at": expires_at - 600, "expires_at": expires_at,
    });
    let s3 = sandbox.s3();
    sandbox.block_on(async {
        s3.put_object()
            .bucket(bucket)
            .key(LEASE_KEY)
            .body(serde_json::to_vec(&body).unwrap().into())
            .send()
            .await
            .expect("lease written")
    });
}

fn update_with_state_in(sandbox: &Sandbox, contract: &std::path::Path, bucket: &str) -> crate::support::Run {
    crate::support::finish(
        sandbox
            .update_command(contract, &["--backend", "v2"])
            .env("PULUMI_BACKEND_URL", format!("s3://{bucket}"))
            .output()
            .expect("stackpilot runs"),
    )
}

fn lease_exists(sandbox: &Sandbox, bucket: &str) -> bool {
    let s3 = sandbox.s3();
    sandbox.block_on(async { s3.head_object().bucket(bucket).key(LEASE_KEY).send().await.is_ok() })
}

#[test]
fn an_update_of_an_env_leased_by_another_run_exits_5_naming_it_and_writes_nothing() {
    let sandbox = Sandbox::start("healthy.yaml");
    let contract = sandbox.seeded();
    let bucket = state_bucket(&sandbox);
    put_lease(&sandbox, &bucket, "octocat (GitHub Actions)", now() + 600);
    sandbox.clear_calls();
    let run = update_with_state_in(&sandbox, &contract, &bucket);
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(run.stderr.contains("octocat (GitHub Actions)"), "{}", run.stderr);
    assert!(run.stderr.contains("actions/runs/7"), "{}", run.stderr);
    let writes: Vec<String> = sandbox
        .calls()
        .into_iter()
        // ECS operations by name; S3 requests are logged as `PUT /…`.
        .filter(|c| c.mutating && !c.operation.contains(' '))
        .map(|c| c.operation)
        .collect();
    assert!(writes.is_empty(), "nothing written to ECS: {writes:?}");
    assert!(lease_exists(&sandbox, &bucket), "the holder's lease is left alone");
}

#[test]
fn a_lease_past_its_expiry_is_taken_over_and_released_at_the_end() {
    let sandbox = Sandbox::start("healthy.yaml");
    let contract = sandbox.seeded();
    let bucket = state_bucket(&sandbox);
    put_lease(&sandbox, &bucket, "a run that died", now() - 5);
    let run = update_with_state_in(&sandbox, &contract, &bucket);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("took over the deploy lease"), "{}", run.stderr);
    assert!(run.stderr.contains("a run that died"), "{}", run.stderr);
    assert!(!lease_exists(&sandbox, &bucket), "released when the run ended");
}

/// Both runs passed the foreign-deployment check, both ran the migration,
/// then each rolled back the other (both exit 3).
#[test]
fn two_concurrent_updates_of_one_env_both_went_ahead() {
    let sandbox = Sandbox::start("healthy.yaml");
    let contract = sandbox.seeded();
    let made = sandbox.stackpilot(&["bootstrap", "--github-repo", "acme/ublog", "--env", "alpha", "--yes"]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    let mut first = sandbox.update_command(&contract, &["--backend", "v2"]);
    let mut second = sandbox.update_command(&contract, &["--backend", "v3"]);
    first
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    second
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let (a, b) = (first.spawn().expect("first runs"), second.spawn().expect("second runs"));
    let (a, b) = (
        crate::support::finish(a.wait_with_output().unwrap()),
        crate::support::finish(b.wait_with_output().unwrap()),
    );
    let mut codes = [a.code, b.code];
    codes.sort();
    assert_eq!(
        codes,
        [0, 5],
        "one proceeds, the other is refused:\n{}\n---\n{}",
        a.stderr,
        b.stderr
    );
    let refused = if a.code == 5 { &a } else { &b };
    assert!(refused.stderr.contains("is being deployed by"), "{}", refused.stderr);
    assert!(!lease_exists(&sandbox, "stackpilot-bootstrap-123456789012-us-east-1"));
}
