//! The real Pulumi CLI on the bootstrap stack's bucket and key in the
//! sandbox: no PULUMI_BACKEND_URL and no passphrase, the state in S3, the
//! secret encrypted with KMS and never written in plain text, and a lock
//! in the bucket honoured as on a file backend (exit 5).

use std::process::Command;

use crate::support::{finish, tools_bin, Repo, Run};
use crate::update_support::Sandbox;

const SECRET: &str = "hunter2-never-in-plain-text";
const BUCKET: &str = "stackpilot-bootstrap-123456789012-us-east-1";

/// The sandbox's AWS settings on a command that had only the repo's, and
/// no passphrase: the bootstrap key is what encrypts.
fn with_sandbox(cmd: &mut Command, sandbox: &Sandbox) {
    cmd.env_remove("PULUMI_CONFIG_PASSPHRASE");
    sandbox.aws_env(cmd);
}

fn stackpilot(repo: &Repo, sandbox: &Sandbox, args: &[&str]) -> Run {
    let mut cmd = repo.command(args);
    with_sandbox(&mut cmd, sandbox);
    finish(cmd.output().expect("stackpilot runs"))
}

fn pulumi(repo: &Repo, sandbox: &Sandbox, args: &[&str]) -> Run {
    let backend = format!(
        "s3://{BUCKET}?region=us-east-1&endpoint={}&s3ForcePathStyle=true",
        sandbox.endpoint()
    );
    let mut cmd = Command::new(tools_bin().join("pulumi"));
    cmd.current_dir(repo.path().join("pulumi/base"))
        .env("PULUMI_HOME", repo.path().join("pulumi-home"))
        .env("PULUMI_BACKEND_URL", backend)
        .env("PULUMI_SKIP_UPDATE_CHECK", "true")
        .args(args)
        .arg("--non-interactive");
    with_sandbox(&mut cmd, sandbox);
    finish(cmd.output().expect("pulumi runs"))
}

/// Every version of every object in the bucket, as text.
fn bucket_text(sandbox: &Sandbox) -> Vec<(String, String)> {
    let s3 = sandbox.s3();
    sandbox.block_on(async {
        let listed = s3.list_object_versions().bucket(BUCKET).send().await.expect("listed");
        let mut texts = Vec::new();
        for v in listed.versions() {
            let key = v.key().unwrap().to_owned();
            let got = s3
                .get_object()
                .bucket(BUCKET)
                .key(&key)
                .set_version_id(v.version_id().map(str::to_owned))
                .send()
                .await
                .expect("read");
            let bytes = got.body.collect().await.expect("body").into_bytes();
            texts.push((key, String::from_utf8_lossy(&bytes).into_owned()));
        }
        texts
    })
}

#[test]
fn a_stack_in_the_bootstrap_bucket_keeps_its_secret_under_the_kms_key() {
    let sandbox = Sandbox::start("healthy.yaml");
    let made = sandbox.stackpilot(&["bootstrap", "--github-repo", "acme/ublog", "--env", "dev", "--yes"]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    let repo = Repo::new();

    // The preview creates the stack (empty), as a first pipeline run would.
    let first = stackpilot(&repo, &sandbox, &["preview", "base", "dev"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let config = repo.read("stacks/base/Pulumi.dev.yaml");
    assert!(
        config.contains("secretsprovider: awskms://alias/stackpilot-bootstrap-secrets"),
        "new stacks get the bootstrap key:\n{config}"
    );
    assert!(!config.contains("encryptionsalt"), "no passphrase was used:\n{config}");

    let set = pulumi(
        &repo,
        &sandbox,
        &["config", "set", "--secret", "password", SECRET, "--stack", "dev"],
    );
    assert_eq!(set.code, 0, "{}", set.stderr);
    let applied = stackpilot(&repo, &sandbox, &["up", "base", "dev", "--yes", "--json"]);
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    let report: serde_json::Value = serde_json::from_str(&applied.stdout).expect("JSON");
    assert_eq!(report["applied"]["outputs"]["password"], "[secret]", "{report:#}");

    let objects = bucket_text(&sandbox);
    assert!(
        objects.iter().any(|(k, _)| k == ".pulumi/stacks/fixture-base/dev.json"),
        "the state is in the bucket: {:?}",
        objects.iter().map(|(k, _)| k).collect::<Vec<_>>()
    );
    for (key, text) in &objects {
        assert!(!text.contains(SECRET), "{key} holds the secret in plain text");
    }
    for text in [
        &repo.read("stacks/base/Pulumi.dev.yaml"),
        &applied.stdout,
        &applied.stderr,
        &first.stderr,
    ] {
        assert!(!text.contains(SECRET), "{text}");
    }
}

#[test]
fn a_stack_locked_in_the_state_bucket_exits_5_and_names_the_holder() {
    let sandbox = Sandbox::start("healthy.yaml");
    let made = sandbox.stackpilot(&["bootstrap", "--github-repo", "acme/ublog", "--env", "dev", "--yes"]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    let repo = Repo::new();
    assert_eq!(stackpilot(&repo, &sandbox, &["preview", "base", "dev"]).code, 0);
    // What a concurrent `pulumi up` leaves in the bucket while it runs.
    let lock = ".pulumi/locks/organization/fixture-base/dev/5f0c8e57-3b3c-4e43-9f43-2f4b1f0c1d2e.json";
    let s3 = sandbox.s3();
    sandbox.block_on(async {
        s3.put_object()
            .bucket(BUCKET)
            .key(lock)
            .body(
                br#"{"pid":4242,"username":"ci","hostname":"runner-7","timestamp":"2026-11-28T10:00:00Z"}"#
                    .to_vec()
                    .into(),
            )
            .send()
            .await
            .expect("lock written")
    });
    let run = stackpilot(&repo, &sandbox, &["up", "base", "dev", "--yes"]);
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(run.stderr.contains("ci@runner-7 (pid 4242)"), "{}", run.stderr);
    let still = sandbox.block_on(async { s3.head_object().bucket(BUCKET).key(lock).send().await.is_ok() });
    assert!(still, "the other update's lock is left alone");
}

#[test]
fn doctor_names_the_backend_secrets_roles_and_lease_an_env_will_use() {
    let sandbox = Sandbox::start("healthy.yaml");
    let repo = Repo::new();
    let verdicts = |run: &Run| -> Vec<(String, String)> {
        let report: serde_json::Value =
            serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout));
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["subject"].as_str().unwrap().to_owned(),
                    c["verdict"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    // Before bootstrap: the local backend and a passphrase, said plainly.
    let before = stackpilot(&repo, &sandbox, &["doctor", "dev", "--json"]);
    let found = verdicts(&before);
    assert!(found.contains(&("bootstrap stack".into(), "note".into())), "{found:?}");
    assert!(found.contains(&("deploy lease".into(), "note".into())), "{found:?}");
    assert_eq!(
        before.code, 1,
        "no passphrase for the file backend's secrets: {}",
        before.stdout
    );

    let made = sandbox.stackpilot(&["bootstrap", "--github-repo", "acme/ublog", "--env", "dev", "--yes"]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    let after = stackpilot(&repo, &sandbox, &["doctor", "dev", "--json"]);
    assert_eq!(after.code, 0, "{}\n{}", after.stdout, after.stderr);
    let found = verdicts(&after);
    for subject in [
        "bootstrap stack",
        "base stack `dev` backend",
        "base stack `dev` secrets",
        "deploy role",
        "deploy lease",
    ] {
        assert!(found.contains(&(subject.into(), "ok".into())), "{subject}: {found:?}");
    }
    assert!(after.stdout.contains("(from the bootstrap stack)"), "{}", after.stdout);
    assert!(
        after.stdout.contains("awskms://alias/stackpilot-bootstrap-secrets"),
        "{}",
        after.stdout
    );
    // Another env has no deploy role yet, and doctor says how to add one.
    let beta = stackpilot(&repo, &sandbox, &["doctor", "staging"]);
    assert_eq!(beta.code, 1, "{}", beta.stdout);
    assert!(
        beta.stdout.contains("stackpilot bootstrap --env staging"),
        "{}",
        beta.stdout
    );
}
