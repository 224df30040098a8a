//! Bad input gets a clear error, exit 2, and changes nothing.

use crate::support::Repo;

/// Nothing ran when stackpilot's state folder was never created.
fn assert_untouched(repo: &Repo) {
    assert!(!repo.state_dir().exists(), "a bad invocation must not reach pulumi");
}

#[test]
fn a_malformed_env_name_is_refused_before_anything_runs() {
    let repo = Repo::new();
    let run = repo.run(&["preview", "base", "Dev_1"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("environment name `Dev_1` is not valid"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("lowercase letters, digits and dashes"),
        "{}",
        run.stderr
    );
    assert_untouched(&repo);
}

#[test]
fn an_unknown_env_lists_the_envs_that_exist() {
    let repo = Repo::new();
    let run = repo.run(&["up", "base", "prod", "--yes"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("unknown base env `prod`"), "{}", run.stderr);
    assert!(
        run.stderr.contains("the base envs that exist are: dev, staging"),
        "{}",
        run.stderr
    );
    assert_untouched(&repo);
}

#[test]
fn a_missing_passphrase_is_named_before_pulumi_prompts_for_it() {
    let repo = Repo::new();
    let run = crate::support::finish(
        repo.command(&["preview", "base", "dev"])
            .env_remove("PULUMI_CONFIG_PASSPHRASE")
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("PULUMI_CONFIG_PASSPHRASE"), "{}", run.stderr);
    assert!(run.stderr.contains("PULUMI_CONFIG_PASSPHRASE_FILE"), "{}", run.stderr);
}

#[test]
fn pulumi_missing_from_path_says_how_to_install_it() {
    let repo = Repo::new();
    let run = crate::support::finish(
        repo.command(&["preview", "base", "dev"])
            .env("PATH", "/nonexistent")
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("`pulumi` is not on PATH"), "{}", run.stderr);
    assert!(run.stderr.contains("scripts/install-tools"), "{}", run.stderr);
}

#[test]
fn an_unknown_backend_scheme_is_refused() {
    let repo = Repo::new();
    let run = crate::support::finish(
        repo.command(&["preview", "base", "dev"])
            .env("PULUMI_BACKEND_URL", "ftp://state.example")
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("`ftp://state.example` (from PULUMI_BACKEND_URL)"),
        "{}",
        run.stderr
    );
    assert_untouched(&repo);
}

#[test]
fn destroy_off_a_terminal_needs_yes_and_leaves_the_stack() {
    let repo = Repo::new();
    assert_eq!(repo.run(&["up", "base", "dev", "--yes"]).code, 0);
    let run = repo.run(&["destroy", "base", "dev"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("pass --yes"), "{}", run.stderr);
    let outputs = repo.run(&["outputs", "base", "dev", "--json"]);
    assert!(
        outputs.stdout.contains("https://v1.example.test"),
        "the stack is still there"
    );
}

#[test]
fn a_broken_program_fails_with_its_error_in_the_summary() {
    let repo = Repo::new();
    let program = repo.read("pulumi/base/Pulumi.yaml");
    repo.write(
        "pulumi/base/Pulumi.yaml",
        &program.replace("worker-${value}", "worker-${missing}"),
    );
    let summary = repo.summary_path();
    let run = repo.run(&["preview", "base", "dev", "--summary", summary.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    crate::snapshot!(repo, "broken_program_summary", repo.summary());
}

#[test]
fn summarize_of_a_file_that_is_not_json_says_where_it_broke() {
    let repo = Repo::new();
    repo.write("bad.json", "{\"steps\": [\n  {\"op\": ");
    let run = repo.run(&["summarize", repo.path().join("bad.json").to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("could not read the preview JSON (at line 2"),
        "{}",
        run.stderr
    );
}

#[test]
fn outputs_of_a_stack_that_does_not_exist_creates_nothing() {
    let repo = Repo::new();
    let run = repo.run(&["outputs", "base", "staging", "--json"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("stack `staging` does not exist"), "{}", run.stderr);
    let listed = repo.pulumi("base", &["stack", "ls", "--json"]);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert!(
        !listed.stdout.contains("staging"),
        "no stack was created: {}",
        listed.stdout
    );
}

#[test]
fn update_without_a_contract_reads_the_app_stack_and_creates_nothing() {
    let repo = Repo::new();
    let run = repo.run(&["update", "alpha", "--backend", "v2"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("stack `alpha` does not exist"), "{}", run.stderr);
    let listed = repo.pulumi("app", &["stack", "ls", "--json"]);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert!(
        !listed.stdout.contains("alpha"),
        "no stack was created: {}",
        listed.stdout
    );
}

/// A deploy contract that passes every check.
const CONTRACT: &str = r#"{
  "region": "us-east-1", "cluster": "alpha-cluster",
  "network": {"subnets": ["subnet-0123456789abcdef0"], "securityGroups": ["sg-0123456789abcdef0"],
              "assignPublicIp": false},
  "images": {"backend": "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme-backend"},
  "database": "alpha-db",
  "migration": {"taskFamily": "alpha-backend_update", "container": "backend_update",
                "image": "backend", "command": ["python", "manage.py", "migrate"]},
  "services": [
    {"name": "gunicorn", "service": "alpha-gunicorn", "taskFamily": "alpha-gunicorn",
     "container": "gunicorn", "image": "backend", "desiredCount": 1}
  ]}"#;

/// `--poll-interval 0.000000001` once made 147 DescribeServices calls in
/// 8 s. Against AWS the floor is 0.5 s; only a loopback endpoint (the
/// sandbox, on a scaled clock) may go below it, and never below 0.01 s.
#[test]
fn a_busy_poll_interval_is_refused_before_any_call() {
    let repo = Repo::new();
    repo.write("contract.json", CONTRACT);
    let contract = repo.path().join("contract.json");
    let contract = contract.to_str().expect("utf-8 path");
    let base = ["update", "alpha", "--backend", "v2", "--contract", contract];

    let busy = repo.run(&[&base[..], &["--poll-interval", "0.000000001"]].concat());
    assert_eq!(busy.code, 2, "{}", busy.stderr);
    assert!(busy.stderr.contains("from 0.01 to 60"), "{}", busy.stderr);

    let mut against_aws = repo.command(&[&base[..], &["--poll-interval", "0.1"]].concat());
    against_aws.env("AWS_ENDPOINT_URL", "https://ecs.us-east-1.amazonaws.com");
    let fast = crate::support::finish(against_aws.output().expect("stackpilot runs"));
    assert_eq!(fast.code, 2, "{}", fast.stderr);
    assert!(fast.stderr.contains("below 0.5 s"), "{}", fast.stderr);
    assert_untouched(&repo);
}
