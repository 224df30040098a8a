//! `stackpilot update` end to end against the local AWS sandbox: each
//! scenario of issue 4 is one test, and each test has its own sandbox.

use crate::update_snapshot;
use crate::update_support::{register_copy, Sandbox, ALL_SERVICES};

fn operations(sandbox: &Sandbox, name: &str) -> usize {
    sandbox.calls().iter().filter(|c| c.operation == name).count()
}

/// (service, task definition revision, image of its container) for each service.
pub(crate) fn services_now(sandbox: &Sandbox) -> Vec<(String, String, String)> {
    let ecs = sandbox.ecs();
    sandbox.block_on(async {
        let out = ecs
            .describe_services()
            .cluster("alpha-cluster")
            .set_services(Some(ALL_SERVICES.iter().map(|s| s.to_string()).collect()))
            .send()
            .await
            .expect("describe services");
        let mut rows = Vec::new();
        for s in out.services() {
            let arn = s.task_definition().unwrap_or_default().to_owned();
            let td = ecs
                .describe_task_definition()
                .task_definition(&arn)
                .send()
                .await
                .expect("describe task definition");
            let image = td
                .task_definition()
                .and_then(|t| t.container_definitions().first())
                .and_then(|c| c.image())
                .unwrap_or_default()
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned();
            rows.push((
                s.service_name().unwrap_or_default().to_owned(),
                arn.rsplit('/').next().unwrap_or_default().to_owned(),
                image,
            ));
        }
        rows.sort();
        rows
    })
}

#[test]
fn a_healthy_update_rolls_all_four_services_after_the_migration() {
    let sandbox = Sandbox::start("healthy.yaml");
    let contract = sandbox.seeded();
    sandbox.clear_calls();
    let run = sandbox.update(&contract, &["--backend", "v2", "--frontend", "v2"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        services_now(&sandbox),
        vec![
            ("alpha-beat".into(), "alpha-beat:2".into(), "acme-backend:v2".into()),
            (
                "alpha-default".into(),
                "alpha-default:2".into(),
                "acme-backend:v2".into()
            ),
            (
                "alpha-gunicorn".into(),
                "alpha-gunicorn:2".into(),
                "acme-backend:v2".into()
            ),
            (
                "alpha-web-ui".into(),
                "alpha-web-ui:2".into(),
                "acme-frontend:v2".into()
            ),
        ]
    );
    assert_eq!(operations(&sandbox, "RunTask"), 1);
    assert_eq!(operations(&sandbox, "UpdateService"), 4);
    update_snapshot!(sandbox, "healthy_update_summary", sandbox.summary());

    // The same tags again: nothing registered, nothing rolled, no migration.
    sandbox.clear_calls();
    let again = sandbox.update(&contract, &["--backend", "v2", "--frontend", "v2"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let mutating: Vec<String> = sandbox
        .calls()
        .into_iter()
        .filter(|c| c.mutating)
        .map(|c| c.operation)
        .collect();
    assert!(mutating.is_empty(), "a re-run wrote: {mutating:?}");
    assert!(
        sandbox.summary().contains("already up to date"),
        "{}",
        sandbox.summary()
    );
}

#[test]
fn json_output_is_the_same_report() {
    let sandbox = Sandbox::start("healthy.yaml");
    let contract = sandbox.seeded();
    let run = sandbox.update(&contract, &["--frontend", "v3", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("one JSON object on stdout");
    assert_eq!(report["outcome"], "succeeded");
    // Front end only: one service, no migration.
    assert!(report["migration"].is_null());
    let services = report["services"].as_array().unwrap();
    assert_eq!(services.len(), 1);
    assert_eq!(services[0]["name"], "web-ui");
    assert_eq!(services[0]["result"], "succeeded");
    assert_eq!(operations(&sandbox, "RunTask"), 0);
}

#[test]
fn a_failed_migration_shows_its_logs_and_touches_no_service() {
    let sandbox = Sandbox::start("migration-fails.yaml");
    let contract = sandbox.seeded();
    sandbox.clear_calls();
    let run = sandbox.update(&contract, &["--backend", "v2"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(operations(&sandbox, "UpdateService"), 0);
    let summary = sandbox.summary();
    assert!(summary.contains("relation \"blog_post\" already exists"), "{summary}");
    update_snapshot!(sandbox, "migration_fails_summary", summary);
}

#[test]
fn a_migration_that_never_starts_fails_without_touching_services() {
    let sandbox = Sandbox::start("healthy.yaml");
    let contract = sandbox.seeded();
    sandbox.clear_calls();
    let run = sandbox.update(&contract, &["--backend", "stuck", "--no-progress-timeout", "3"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(operations(&sandbox, "UpdateService"), 0);
    assert!(
        sandbox.summary().contains("the task did not start"),
        "{}",
        sandbox.summary()
    );
    assert_eq!(operations(&sandbox, "StopTask"), 1, "the stuck task is stopped");
}

#[test]
fn a_gunicorn_crash_loop_rolls_back_every_backend_service() {
    let sandbox = Sandbox::start("healthy.yaml");
    let contract = sandbox.seeded();
    let run = sandbox.update(&contract, &["--backend", "broken"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    for (service, revision, image) in services_now(&sandbox) {
        if service != "alpha-web-ui" {
            assert_eq!(
                image, "acme-backend:latest",
                "{service} on {revision} was not rolled back"
            );
        }
    }
    let summary = sandbox.summary();
    assert!(summary.contains("SECRET_KEY must not be empty"), "{summary}");
    assert_eq!(summary.matches("rolled back to revision 1").count(), 3, "{summary}");
}

#[test]
fn a_circuit_breaker_failure_is_a_failure_not_a_success() {
    let sandbox = Sandbox::start("healthy.yaml");
    let contract = sandbox.seeded();
    // Tasks that stop with exit 0 are not crashes to stackpilot; only the
    // breaker's FAILED verdict can end this rollout.
    let run = sandbox.update(&contract, &["--frontend", "quits", "--failed-tasks-threshold", "100"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        sandbox.summary().contains("deployment failed: tasks failed to start"),
        "{}",
        sandbox.summary()
    );
}

#[test]
fn thirty_percent_throttling_still_succeeds() {
    let sandbox = Sandbox::start("throttling.yaml");
    let contract = sandbox.seeded();
    sandbox.clear_calls();
    let run = sandbox.update(&contract, &["--backend", "v2", "--frontend", "v2"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        sandbox.calls().iter().any(|c| c.throttled),
        "the scenario throttled nothing"
    );
}

#[test]
fn the_deadline_ends_the_run_with_exit_4() {
    let sandbox = Sandbox::start("slow.yaml");
    let contract = sandbox.seeded();
    let run = sandbox.update(&contract, &["--frontend", "slow", "--timeout", "3"]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(sandbox.summary().contains("timed out"), "{}", sandbox.summary());
}

#[test]
fn a_deployment_this_run_did_not_start_is_refused_unless_forced() {
    let sandbox = Sandbox::start("slow.yaml");
    let contract = sandbox.seeded();
    let ecs = sandbox.ecs();
    sandbox.block_on(async {
        let td = ecs
            .describe_task_definition()
            .task_definition("alpha-web-ui")
            .send()
            .await
            .unwrap();
        let mut containers = td.task_definition().unwrap().container_definitions().to_vec();
        containers[0].image = Some("123456789012.dkr.ecr.us-east-1.amazonaws.com/acme-frontend:slow".into());
        let new = ecs
            .register_task_definition()
            .family("alpha-web-ui")
            .set_container_definitions(Some(containers))
            .network_mode(aws_sdk_ecs::types::NetworkMode::Awsvpc)
            .requires_compatibilities(aws_sdk_ecs::types::Compatibility::Fargate)
            .cpu("256")
            .memory("512")
            // ECS (and the sandbox) refuse awslogs on Fargate without it.
            .set_execution_role_arn(td.task_definition().unwrap().execution_role_arn().map(str::to_owned))
            .send()
            .await
            .unwrap();
        let arn = new.task_definition().unwrap().task_definition_arn().unwrap().to_owned();
        ecs.update_service()
            .cluster("alpha-cluster")
            .service("alpha-web-ui")
            .task_definition(arn)
            .send()
            .await
            .unwrap();
    });
    sandbox.clear_calls();
    let run = sandbox.update(&contract, &["--frontend", "v2"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("did not start is in progress on `alpha-web-ui`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--force"), "{}", run.stderr);
    assert!(sandbox.calls().iter().all(|c| !c.mutating));
}

#[test]
fn a_dry_run_only_reads() {
    let sandbox = Sandbox::start("healthy.yaml");
    let contract = sandbox.seeded();
    sandbox.clear_calls();
    let run = sandbox.update(&contract, &["--backend", "v2", "--frontend", "v2", "--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let calls = sandbox.calls();
    assert!(!calls.is_empty());
    let mutating: Vec<&str> = calls
        .iter()
        .filter(|c| c.mutating)
        .map(|c| c.operation.as_str())
        .collect();
    assert!(mutating.is_empty(), "the dry run wrote: {mutating:?}");
    update_snapshot!(sandbox, "dry_run_plan", sandbox.summary());
}

#[test]
fn storage_platform_secrets_and_tags_survive_the_copy() {
    use aws_sdk_ecs::types::{
        CpuArchitecture, EphemeralStorage, OsFamily, RuntimePlatform, Secret, Tag, TaskDefinitionField,
    };
    let sandbox = Sandbox::start("healthy.yaml");
    let contract = sandbox.seeded();
    let ecs = sandbox.ecs();
    let before = sandbox.block_on(async {
        let td = ecs
            .describe_task_definition()
            .task_definition("alpha-gunicorn")
            .send()
            .await
            .unwrap();
        let td = td.task_definition().unwrap().clone();
        let mut containers = td.container_definitions().to_vec();
        containers[0].secrets = Some(vec![Secret::builder()
            .name("DATABASE_PASSWORD")
            .value_from("arn:aws:secretsmanager:us-east-1:123456789012:secret:db:password::")
            .build()
            .unwrap()]);
        let new = register_copy(&ecs, &td, containers)
            .ephemeral_storage(EphemeralStorage::builder().size_in_gib(42).build())
            .runtime_platform(
                RuntimePlatform::builder()
                    .cpu_architecture(CpuArchitecture::Arm64)
                    .operating_system_family(OsFamily::Linux)
                    .build(),
            )
            .tags(Tag::builder().key("team").value("blog").build())
            .send()
            .await
            .unwrap();
        let arn = new.task_definition().unwrap().task_definition_arn().unwrap().to_owned();
        ecs.update_service()
            .cluster("alpha-cluster")
            .service("alpha-gunicorn")
            .task_definition(&arn)
            .send()
            .await
            .unwrap();
        ecs.describe_task_definition()
            .task_definition(arn)
            .include(TaskDefinitionField::Tags)
            .send()
            .await
            .unwrap()
    });
    sandbox.wait_stable("alpha-cluster", &ALL_SERVICES);
    let run = sandbox.update(&contract, &["--backend", "v2"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let after = sandbox.block_on(async {
        ecs.describe_task_definition()
            .task_definition("alpha-gunicorn")
            .include(TaskDefinitionField::Tags)
            .send()
            .await
            .unwrap()
    });
    let (old, new) = (before.task_definition().unwrap(), after.task_definition().unwrap());
    assert_eq!(new.revision(), old.revision() + 1);
    assert_eq!(after.tags(), before.tags());
    assert_eq!(new.ephemeral_storage(), old.ephemeral_storage());
    assert_eq!(new.runtime_platform(), old.runtime_platform());
    let mut new_containers = new.container_definitions().to_vec();
    assert!(new_containers[0].image().unwrap().ends_with("acme-backend:v2"));
    new_containers[0].image = old.container_definitions()[0].image.clone();
    assert_eq!(new_containers, old.container_definitions());
    for (field, a, b) in [
        ("cpu", old.cpu(), new.cpu()),
        ("memory", old.memory(), new.memory()),
        ("executionRoleArn", old.execution_role_arn(), new.execution_role_arn()),
        ("taskRoleArn", old.task_role_arn(), new.task_role_arn()),
    ] {
        assert_eq!(a, b, "{field}");
    }
    assert_eq!(new.network_mode(), old.network_mode());
    assert_eq!(new.requires_compatibilities(), old.requires_compatibilities());
}

#[test]
fn bad_tags_and_contracts_are_refused_before_any_call() {
    let sandbox = Sandbox::start("healthy.yaml");
    let contract = sandbox.seed("alpha");
    sandbox.clear_calls();
    let run = sandbox.update(&contract, &["--backend", "v2:bad"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("image tag `v2:bad` is not valid"), "{}", run.stderr);
    let broken = sandbox.dir.path().join("broken.json");
    let text = std::fs::read_to_string(&contract)
        .unwrap()
        .replace("\"alpha-cluster\"", "\"\"");
    std::fs::write(&broken, text).unwrap();
    let run = sandbox.update(&broken, &["--backend", "v2"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("cluster is empty"), "{}", run.stderr);
    let run = sandbox.stackpilot(&["update", "alpha", "--contract", contract.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("--backend <TAG>|--frontend <TAG>"),
        "{}",
        run.stderr
    );
    let run = sandbox.stackpilot(&[
        "deploy",
        "alpha",
        "--backend",
        "v2",
        "--contract",
        contract.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("use `update --contract`"), "{}", run.stderr);
    assert!(sandbox.calls().is_empty(), "{:?}", sandbox.calls());
}

#[test]
fn ctrl_c_during_the_rollout_exits_130_and_writes_nothing_more() {
    let sandbox = Sandbox::start("slow.yaml");
    let contract = sandbox.seeded();
    sandbox.clear_calls();
    let child = sandbox
        .update_command(&contract, &["--frontend", "slow"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("stackpilot starts");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let seen = loop {
        let calls = sandbox.calls();
        if calls.iter().any(|c| c.operation == "UpdateService") {
            break calls.len();
        }
        assert!(std::time::Instant::now() < deadline, "the rollout never started");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    // SAFETY: kill(2) on our own child's pid.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let out = child.wait_with_output().expect("stackpilot ends");
    let run = crate::support::finish(out);
    assert_eq!(run.code, 130, "{}", run.stderr);
    let later: Vec<String> = sandbox.calls()[seen..]
        .iter()
        .filter(|c| c.mutating)
        .map(|c| c.operation.clone())
        .collect();
    assert!(later.is_empty(), "wrote after Ctrl-C: {later:?}");
    let summary = sandbox.summary();
    assert!(summary.contains("interrupted"), "{summary}");
    assert!(summary.contains("in progress"), "{summary}");
}

#[test]
fn a_service_fresh_from_the_iac_gets_the_contracts_count_and_others_keep_theirs() {
    let sandbox = Sandbox::start("healthy.yaml");
    let contract = sandbox.seed_with("alpha", 0);
    sandbox.wait_stable("alpha-cluster", &ALL_SERVICES);
    // The contract asks for 2; autoscaling is not there yet, so 2 it is.
    let text = std::fs::read_to_string(&contract)
        .unwrap()
        .replace("\"desiredCount\": 0", "\"desiredCount\": 2");
    std::fs::write(&contract, text).unwrap();
    let run = sandbox.update(&contract, &["--frontend", "v2"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let ecs = sandbox.ecs();
    let counts = sandbox.block_on(async {
        let out = ecs
            .describe_services()
            .cluster("alpha-cluster")
            .services("alpha-web-ui")
            .services("alpha-gunicorn")
            .send()
            .await
            .unwrap();
        out.services()
            .iter()
            .map(|s| (s.service_name().unwrap().to_owned(), s.desired_count()))
            .collect::<Vec<_>>()
    });
    assert!(counts.contains(&("alpha-web-ui".to_owned(), 2)), "{counts:?}");
    assert!(
        counts.contains(&("alpha-gunicorn".to_owned(), 0)),
        "not updated, so untouched: {counts:?}"
    );
}
