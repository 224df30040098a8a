//! `stackpilot bootstrap` against the sandbox's CloudFormation, S3, KMS and
//! IAM: the first run, a re-run with nothing to do, an env added, a dry
//! run, and a destroy refused while state is left.

use crate::update_support::Sandbox;

const REPO: &str = "acme/ublog";

fn bootstrap(sandbox: &Sandbox, extra: &[&str]) -> crate::support::Run {
    let summary = sandbox.summary_path();
    let mut args = vec![
        "bootstrap",
        "--json",
        "--summary",
        summary.to_str().expect("utf-8 path"),
    ];
    args.extend_from_slice(extra);
    sandbox.stackpilot(&args)
}

fn json(run: &crate::support::Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr))
}

#[test]
fn first_bootstrap_then_a_rerun_changes_nothing_and_a_new_env_adds_one_role() {
    let sandbox = Sandbox::start("healthy.yaml");
    let first = bootstrap(
        &sandbox,
        &["--github-repo", REPO, "--env", "alpha", "--env", "dev", "--yes"],
    );
    assert_eq!(first.code, 0, "{}", first.stderr);
    let report = json(&first);
    assert_eq!(report["outcome"], "succeeded");
    assert_eq!(report["stack_status"], "CREATE_COMPLETE");
    let outputs = &report["outputs"];
    let bucket = outputs["state_bucket"].as_str().expect("the bucket is named");
    assert_eq!(bucket, "stackpilot-bootstrap-123456789012-us-east-1");
    assert!(outputs["deploy_role_arns"]["alpha"]
        .as_str()
        .is_some_and(|a| a.ends_with(":role/stackpilot-bootstrap-deploy-alpha")));
    assert_eq!(outputs["envs"], serde_json::json!(["alpha", "dev"]));
    let created: Vec<&str> = report["changes"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        created,
        // By type, then name, as every summary lists them.
        [
            "GitHubOidcProvider",
            "DeployRoleAlpha",
            "DeployRoleDev",
            "PreviewRole",
            "SecretsKeyAlias",
            "SecretsKey",
            "StateBucket",
            "StateBucketPolicy"
        ]
    );
    // What the stack made is really there.
    let s3 = sandbox.s3();
    let versioning = sandbox.block_on(async { s3.get_bucket_versioning().bucket(bucket).send().await });
    assert_eq!(
        versioning.expect("the bucket exists").status().map(|s| s.as_str()),
        Some("Enabled")
    );
    let blocked = sandbox.block_on(async { s3.get_public_access_block().bucket(bucket).send().await });
    let blocked = blocked.expect("public access is blocked");
    let config = blocked.public_access_block_configuration().expect("a configuration");
    assert_eq!(config.restrict_public_buckets(), Some(true));
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"in [0-9]+\.[0-9] s", "in [DURATION] s");
    settings.bind(|| insta::assert_snapshot!("bootstrap_first_run_summary", sandbox.summary()));

    let again = bootstrap(&sandbox, &["--yes"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let report = json(&again);
    assert_eq!(report["changes"]["resources"], serde_json::json!([]));
    assert!(again.stderr.contains("nothing to change"), "{}", again.stderr);
    assert_eq!(
        sandbox.change_sets_left("stackpilot-bootstrap"),
        Vec::<String>::new(),
        "no empty change set is left behind"
    );

    let beta = bootstrap(&sandbox, &["--env", "beta", "--yes"]);
    assert_eq!(beta.code, 0, "{}", beta.stderr);
    let report = json(&beta);
    let changed: Vec<(&str, &str)> = report["changes"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["op"].as_str().unwrap(), r["name"].as_str().unwrap()))
        .collect();
    assert_eq!(changed, [("create", "DeployRoleBeta")]);
    assert_eq!(report["outputs"]["envs"], serde_json::json!(["alpha", "beta", "dev"]));
}

#[test]
fn a_dry_run_leaves_no_stack_and_no_change_set() {
    let sandbox = Sandbox::start("healthy.yaml");
    let run = bootstrap(&sandbox, &["--github-repo", REPO, "--env", "alpha", "--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(json(&run)["outcome"], "previewed");
    assert_eq!(sandbox.stack_status("stackpilot-bootstrap"), None);
}

#[test]
fn bad_input_is_refused_before_any_call() {
    let sandbox = Sandbox::start("healthy.yaml");
    let no_repo = bootstrap(&sandbox, &["--env", "alpha", "--yes"]);
    assert_eq!(no_repo.code, 2, "{}", no_repo.stderr);
    assert!(no_repo.stderr.contains("--github-repo"), "{}", no_repo.stderr);
    let bad_repo = bootstrap(&sandbox, &["--github-repo", "not a repo", "--yes"]);
    assert_eq!(bad_repo.code, 2, "{}", bad_repo.stderr);
    let no_terminal = bootstrap(&sandbox, &["--github-repo", REPO]);
    assert_eq!(no_terminal.code, 2, "{}", no_terminal.stderr);
    assert!(no_terminal.stderr.contains("--yes"), "{}", no_terminal.stderr);
    assert_eq!(
        sandbox.stack_status("stackpilot-bootstrap"),
        None,
        "an unconfirmed run leaves nothing"
    );
}

#[test]
fn destroy_is_refused_while_the_state_bucket_holds_anything() {
    let sandbox = Sandbox::start("healthy.yaml");
    let made = bootstrap(&sandbox, &["--github-repo", REPO, "--env", "alpha", "--yes"]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    let bucket = json(&made)["outputs"]["state_bucket"].as_str().unwrap().to_owned();
    let s3 = sandbox.s3();
    sandbox.block_on(async {
        s3.put_object()
            .bucket(&bucket)
            .key(".pulumi/stacks/fixture-base/dev.json")
            .body(b"{}".to_vec().into())
            .send()
            .await
            .expect("state written")
    });
    let refused = bootstrap(&sandbox, &["--destroy", "--yes"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains(".pulumi/stacks/fixture-base/dev.json"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        sandbox.stack_status("stackpilot-bootstrap").as_deref(),
        Some("CREATE_COMPLETE")
    );

    // Emptied, old versions included, it goes.
    sandbox.block_on(async {
        let versions = s3.list_object_versions().bucket(&bucket).send().await.expect("listed");
        for v in versions.versions() {
            s3.delete_object()
                .bucket(&bucket)
                .key(v.key().unwrap())
                .set_version_id(v.version_id().map(str::to_owned))
                .send()
                .await
                .expect("version deleted");
        }
        for m in versions.delete_markers() {
            s3.delete_object()
                .bucket(&bucket)
                .key(m.key().unwrap())
                .set_version_id(m.version_id().map(str::to_owned))
                .send()
                .await
                .expect("marker deleted");
        }
    });
    let destroyed = bootstrap(&sandbox, &["--destroy", "--yes"]);
    assert_eq!(destroyed.code, 0, "{}", destroyed.stderr);
    assert_eq!(sandbox.stack_status("stackpilot-bootstrap"), None);
}

/// A resource that fails: the summary names it and its reason, says where
/// the stack ended and what to do; the stack is really back where it was.
#[test]
fn a_failing_resource_rolls_back_with_its_reason_in_the_summary() {
    let sandbox = Sandbox::start("healthy.yaml");
    let made = bootstrap(&sandbox, &["--github-repo", REPO, "--env", "alpha", "--yes"]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    sandbox.load_scenario(
        "cloudformation:\n  failures:\n    - match: {logicalId: DeployRoleBeta}\n      operation: create\n      reason: \"Role quota exceeded for this account\"\n",
    );
    let failed = bootstrap(&sandbox, &["--env", "beta", "--yes"]);
    // Failed and rolled back.
    assert_eq!(failed.code, 3, "{}", failed.stderr);
    let report = json(&failed);
    assert_eq!(report["outcome"], "failed");
    assert_eq!(report["stack_status"], "UPDATE_ROLLBACK_COMPLETE");
    let summary = sandbox.summary();
    for expected in [
        "DeployRoleBeta (AWS::IAM::Role) CREATE_FAILED: Role quota exceeded for this account",
        "The stack is UPDATE_ROLLBACK_COMPLETE: the stack is back where it was before this run",
    ] {
        assert!(summary.contains(expected), "{expected:?} missing from:\n{summary}");
    }
    assert!(
        failed.stderr.contains("CREATE_FAILED AWS::IAM::Role DeployRoleBeta"),
        "events streamed: {}",
        failed.stderr
    );
    // Back where it was: the envs are still only alpha.
    let again = bootstrap(&sandbox, &["--dry-run"]);
    assert_eq!(
        json(&again)["changes"]["resources"],
        serde_json::json!([]),
        "{}",
        again.stderr
    );
}

/// A first creation that failed left a ROLLBACK_COMPLETE stack, which
/// CloudFormation only lets be deleted; the next run must not be stuck.
#[test]
fn a_stack_whose_creation_failed_blocked_every_later_run() {
    let sandbox = Sandbox::start("healthy.yaml");
    sandbox.load_scenario(
        "cloudformation:\n  failures:\n    - match: {logicalId: StateBucket}\n      operation: create\n",
    );
    let failed = bootstrap(&sandbox, &["--github-repo", REPO, "--env", "alpha", "--yes"]);
    assert_eq!(failed.code, 3, "{}", failed.stderr);
    assert_eq!(json(&failed)["stack_status"], "ROLLBACK_COMPLETE");
    assert!(
        sandbox.summary().contains("the next run deletes the empty"),
        "{}",
        sandbox.summary()
    );
    sandbox.load_scenario("cloudformation:\n  failures: []\n");
    let retried = bootstrap(&sandbox, &["--github-repo", REPO, "--env", "alpha", "--yes"]);
    assert_eq!(retried.code, 0, "{}", retried.stderr);
    assert_eq!(json(&retried)["stack_status"], "CREATE_COMPLETE");
}

/// `--destroy --stack-name` deleted whatever stack had that name.
#[test]
fn destroy_deleted_a_stack_bootstrap_never_made() {
    let sandbox = Sandbox::start("healthy.yaml");
    let cfn = sandbox.cfn();
    let template =
        r#"{"Resources":{"Logs":{"Type":"AWS::S3::Bucket","Properties":{"BucketName":"someone-elses-logs"}}}}"#;
    sandbox.block_on(async {
        cfn.create_stack()
            .stack_name("someone-else")
            .template_body(template)
            .send()
            .await
            .expect("stack made")
    });
    let run = bootstrap(&sandbox, &["--destroy", "--stack-name", "someone-else", "--yes"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("was not made by `stackpilot bootstrap`"),
        "{}",
        run.stderr
    );
    assert_eq!(sandbox.stack_status("someone-else").as_deref(), Some("CREATE_COMPLETE"));
}
