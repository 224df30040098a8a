//! `stackpilot update` under faults: the fault proxy (`fault_proxy.rs`)
//! sits between stackpilot and the sandbox, one test per fault that once
//! made the report lie or a read outage cause a write. Each test names
//! the bug it pins.

use std::process::{Command, Stdio};

use crate::fault_proxy::{Fault, FaultProxy, Rule};
use crate::support::{finish, Run};
use crate::update_support::Sandbox;

/// The update command, talking to AWS through the proxy.
fn via(proxy: &FaultProxy, mut command: Command) -> Command {
    command.env("AWS_ENDPOINT_URL", proxy.endpoint());
    command
}

/// A seeded sandbox behind a proxy with `rules`, and `update alpha` with
/// `args` through it.
fn update_through(rules: Vec<Rule>, args: &[&str]) -> (Sandbox, FaultProxy, Run) {
    let sandbox = Sandbox::start("healthy.yaml");
    let contract = sandbox.seeded();
    let proxy = FaultProxy::start(sandbox.port, rules);
    let ran = run(via(&proxy, sandbox.update_command(&contract, args)));
    (sandbox, proxy, ran)
}

fn run(command: Command) -> Run {
    let mut command = command;
    finish(command.output().expect("stackpilot runs"))
}

fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("no JSON on stdout ({e}): {run:?}"))
}

fn service<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["services"]
        .as_array()
        .and_then(|all| all.iter().find(|s| s["name"] == name))
        .unwrap_or_else(|| panic!("no service {name} in {report}"))
}

/// The revision each service runs now, read past the proxy.
fn revision_of(sandbox: &Sandbox, service: &str) -> String {
    let arn = sandbox
        .service(service)
        .task_definition()
        .unwrap_or_default()
        .to_owned();
    arn.rsplit('/').next().unwrap_or_default().to_owned()
}

#[test]
fn ctrl_c_while_registering_ran_the_migration_anyway() {
    let sandbox = Sandbox::start("healthy.yaml");
    let contract = sandbox.seeded();
    let proxy = FaultProxy::start(
        sandbox.port,
        vec![Rule::new("RegisterTaskDefinition", Fault::Hold).times(1)],
    );
    let child = via(
        &proxy,
        sandbox.update_command(&contract, &["--backend", "v2", "--json"]),
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("stackpilot starts");
    proxy.wait_for("RegisterTaskDefinition", 1);
    // SAFETY: kill(2) on our own child's pid.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
    proxy.release();
    let run = finish(child.wait_with_output().expect("stackpilot ends"));
    assert_eq!(run.code, 130, "{}", run.stderr);
    assert_eq!(proxy.count("RegisterTaskDefinition"), 1, "registered after Ctrl-C");
    assert_eq!(proxy.count("RunTask"), 0, "the migration started after Ctrl-C");
    assert_eq!(proxy.count("UpdateService"), 0);
    let report = json(&run);
    assert_eq!(report["outcome"], "interrupted");
    let message = report["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("after registering alpha-gunicorn:2") && message.contains("the migration was not started"),
        "{message}"
    );
}

#[test]
fn a_describe_services_outage_rolled_back_healthy_services() {
    let (sandbox, proxy, run) = update_through(
        vec![Rule::new("DescribeServices", Fault::ServerError).once_seen("UpdateService")],
        &["--frontend", "v2", "--json", "--timeout", "8"],
    );
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert_eq!(proxy.count("UpdateService"), 1, "a read outage caused a write");
    let report = json(&run);
    assert_eq!(report["outcome"], "unknown");
    let web = service(&report, "web-ui");
    assert_eq!(web["result"], "unknown", "{web}");
    assert!(web["rollback"].is_null(), "{web}");
    let reason = web["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("could not be read"), "{reason}");
    // The rollout itself went on in ECS, untouched.
    assert_eq!(revision_of(&sandbox, "alpha-web-ui"), "alpha-web-ui:2");
}

#[test]
fn an_update_service_answer_lost_was_reported_as_not_updated() {
    let (sandbox, proxy, run) = update_through(
        vec![Rule::new("UpdateService", Fault::DropAnswer).when_body_has("alpha-beat:2")],
        &["--backend", "v2", "--json"],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(proxy.seen().iter().any(|s| s.fault == Some(Fault::DropAnswer)));
    let report = json(&run);
    assert_eq!(report["outcome"], "rolled_back");
    let beat = service(&report, "beat");
    assert_eq!(beat["result"], "unknown", "{beat}");
    let reason = beat["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("read back, the service is on the new revision"),
        "{reason}"
    );
    assert_eq!(beat["rollback"]["result"], "succeeded", "{beat}");
    for name in ["alpha-gunicorn", "alpha-default", "alpha-beat"] {
        assert_eq!(
            revision_of(&sandbox, name),
            format!("{name}:1"),
            "{name} was not rolled back"
        );
    }
}

#[test]
fn the_endpoint_dying_after_an_update_service_was_reported_as_not_updated() {
    let (sandbox, proxy, run) = update_through(
        vec![Rule::new("UpdateService", Fault::KillAfterForward).when_body_has("alpha-beat:2")],
        &["--backend", "v2", "--json", "--timeout", "20"],
    );
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(proxy.seen().iter().any(|s| s.fault == Some(Fault::KillAfterForward)));
    let report = json(&run);
    assert_eq!(report["outcome"], "unknown");
    let beat = service(&report, "beat");
    assert_eq!(beat["result"], "unknown", "{beat}");
    let reason = beat["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("could not be read back"), "{reason}");
    // Where the report could only say "unknown", beat had in fact moved.
    assert_eq!(revision_of(&sandbox, "alpha-beat"), "alpha-beat:2");
    // The services it did update are named with the rollback it tried.
    let gunicorn = service(&report, "gunicorn");
    assert_eq!(gunicorn["rollback"]["result"], "failed", "{gunicorn}");
}

#[test]
fn a_run_task_answer_lost_was_called_a_failed_migration() {
    let (_sandbox, proxy, run) = update_through(
        vec![Rule::new("RunTask", Fault::DropAnswer)],
        &["--backend", "v2", "--json", "--timeout", "10"],
    );
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(proxy.seen().iter().any(|s| s.fault == Some(Fault::DropAnswer)));
    assert_eq!(
        proxy.count("UpdateService"),
        0,
        "services rolled without a migration verdict"
    );
    let report = json(&run);
    assert_eq!(report["outcome"], "unknown");
    assert_eq!(report["migration"]["result"], "unknown");
    let message = report["message"].as_str().unwrap_or_default();
    assert!(message.contains("the migration task may have started"), "{message}");
}

#[test]
fn a_rollback_whose_answer_was_lost_was_reported_as_failed() {
    // gunicorn crashes on `broken`; the UpdateService that takes it back to
    // revision 1 reaches ECS, but its answer never comes back.
    let (sandbox, proxy, run) = update_through(
        vec![Rule::new("UpdateService", Fault::DropAnswer).when_body_has("alpha-gunicorn:1")],
        &["--backend", "broken", "--json"],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(proxy.seen().iter().any(|s| s.fault == Some(Fault::DropAnswer)));
    let report = json(&run);
    assert_eq!(report["outcome"], "rolled_back");
    assert_eq!(service(&report, "gunicorn")["rollback"]["result"], "succeeded");
    assert_eq!(revision_of(&sandbox, "alpha-gunicorn"), "alpha-gunicorn:1");
}

#[test]
fn an_unwritable_summary_was_found_only_after_the_services_rolled() {
    let sandbox = Sandbox::start("healthy.yaml");
    let contract = sandbox.seeded();
    let proxy = FaultProxy::start(sandbox.port, vec![]);
    let contract_arg = contract.to_str().expect("utf-8 path");
    let missing = sandbox.dir.path().join("no/such/dir/s.md");
    let mut args = vec![
        "update",
        "alpha",
        "--frontend",
        "v2",
        "--json",
        "--contract",
        contract_arg,
    ];
    args.extend(["--summary", missing.to_str().expect("utf-8 path")]);
    let refused = run(via(&proxy, sandbox.command(&args)));
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("no/such/dir/s.md"), "{}", refused.stderr);

    // In Actions, a step summary that is a directory is refused the same way.
    let mut in_actions = via(&proxy, sandbox.command(&args[..7]));
    in_actions
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", sandbox.dir.path());
    let refused_in_actions = run(in_actions);
    assert_eq!(refused_in_actions.code, 2, "{}", refused_in_actions.stderr);
    assert!(proxy.seen().is_empty(), "AWS was called: {:?}", proxy.seen());

    // A write that fails at the end (a full disk) hides neither the JSON
    // nor the exit code.
    let mut full = args[..7].to_vec();
    full.extend(["--summary", "/dev/full"]);
    let ran = run(via(&proxy, sandbox.command(&full)));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(json(&ran)["outcome"], "succeeded");
    assert!(ran.stderr.contains("/dev/full"), "{}", ran.stderr);
}

#[test]
fn every_update_service_failing_was_called_rolled_back() {
    let (sandbox, proxy, run) = update_through(
        vec![Rule::new("UpdateService", Fault::ServerError)],
        &["--backend", "v2", "--json"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = json(&run);
    assert_eq!(report["outcome"], "failed");
    let message = report["message"].as_str().unwrap_or_default();
    assert!(message.contains("nothing to roll back"), "{message}");
    assert!(message.contains("the migration (task"), "{message}");
    assert_eq!(report["migration"]["result"], "succeeded");
    // One service tried (with the SDK's retries), then no further write.
    let updates: Vec<String> = proxy
        .seen()
        .into_iter()
        .filter(|s| s.operation == "UpdateService")
        .inspect(|s| assert_eq!(s.fault, Some(Fault::ServerError)))
        .map(|s| s.body)
        .collect();
    assert!(!updates.is_empty());
    assert!(
        updates.iter().all(|b| b.contains("alpha-gunicorn")),
        "went on to other services: {updates:?}"
    );
    assert_eq!(service(&report, "gunicorn")["result"], "failed");
    assert_eq!(service(&report, "beat")["result"], "skipped");
    assert_eq!(revision_of(&sandbox, "alpha-gunicorn"), "alpha-gunicorn:1");
}

#[test]
fn a_hung_call_outlived_the_timeout_and_exited_1() {
    let (_sandbox, proxy, run) = update_through(
        vec![Rule::new("DescribeTaskDefinition", Fault::Hang)],
        &["--frontend", "v2", "--timeout", "3"],
    );
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(run.stderr.contains("deadline passed"), "{}", run.stderr);
    assert_eq!(proxy.count("UpdateService"), 0);
}
