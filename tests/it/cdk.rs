//! The CDK engine against the sandbox's CloudFormation: the repository's
//! own CDK app (cdk/), synthesized by its pinned aws-cdk, creates the base
//! and app stacks, previews and applies a config change under a saved plan
//! while the services keep what the update set, refuses a plan the config
//! moved away from, rolls a failed update back, and destroys the stack.

use std::path::{Path, PathBuf};

use crate::support::Run;
use crate::update_support::{register_copy, repo_root, Sandbox};

/// A repository whose layers are both the CDK app's, with the repository's
/// env configs put on the sandbox path.
struct CdkRoot {
    dir: tempfile::TempDir,
}

impl CdkRoot {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let cdk = repo_root().join("cdk");
        std::fs::write(
            dir.path().join("stackpilot.yaml"),
            format!("layers:\n  base: cdk\n  app: cdk\ncdk:\n  app: {}\n", cdk.display()),
        )
        .expect("project file");
        for (layer, env) in [("base", "dev"), ("app", "alpha")] {
            let from = repo_root().join("stacks").join(layer).join(format!("{env}.json"));
            let mut config: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(from).expect("config")).expect("JSON config");
            config["sandbox"] = true.into();
            let to = dir.path().join("stacks").join(layer);
            std::fs::create_dir_all(&to).expect("stacks folder");
            std::fs::write(to.join(format!("{env}.json")), config.to_string()).expect("config written");
        }
        CdkRoot { dir }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn set(&self, layer: &str, env: &str, key: &str, value: serde_json::Value) {
        let path = self.root().join("stacks").join(layer).join(format!("{env}.json"));
        let mut config: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("config")).expect("JSON config");
        config[key] = value;
        std::fs::write(path, config.to_string()).expect("config written");
    }

    fn plan(&self) -> PathBuf {
        self.root().join("plan.json")
    }
}

fn json_config(root: &CdkRoot, layer: &str, env: &str) -> serde_json::Value {
    let path = root.root().join("stacks").join(layer).join(format!("{env}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).expect("config")).expect("JSON config")
}

fn stackpilot(sandbox: &Sandbox, root: &CdkRoot, args: &[&str]) -> Run {
    let summary = sandbox.summary_path();
    let _ = std::fs::remove_file(&summary);
    let mut all = vec!["--root", root.root().to_str().expect("utf-8 path")];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--json", "--summary", summary.to_str().expect("utf-8 path")]);
    sandbox.stackpilot(&all)
}

fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr))
}

/// (task definition, desired count) of a service as ECS has it.
fn service_state(sandbox: &Sandbox, service: &str) -> (String, i32) {
    let found = sandbox.service(service);
    (
        found.task_definition().unwrap_or_default().to_owned(),
        found.desired_count(),
    )
}

fn create_both(sandbox: &Sandbox, root: &CdkRoot) {
    let base = stackpilot(sandbox, root, &["up", "base", "dev", "--yes"]);
    assert_eq!(base.code, 0, "{}", base.stderr);
    let app = stackpilot(sandbox, root, &["up", "app", "alpha", "--yes"]);
    assert_eq!(app.code, 0, "{}", app.stderr);
    let report = json(&app);
    assert_eq!(report["stack_name"], "alpha-app");
    assert_eq!(report["stack_status"], "CREATE_COMPLETE");
    assert!(
        report["applied"]["outputs"]["deploy"]
            .as_str()
            .is_some_and(|d| d.contains("alpha-cluster")),
        "{report}"
    );
}

#[test]
fn cdk_stacks_are_created_then_a_planned_config_change_keeps_what_the_update_set() {
    let sandbox = Sandbox::start("healthy.yaml");
    let root = CdkRoot::new();
    create_both(&sandbox, &root);
    assert_eq!(sandbox.stack_status("dev-base").as_deref(), Some("CREATE_COMPLETE"));

    // The contract reads back through `outputs`, as `update` reads it.
    let root_arg = root.root().to_str().expect("utf-8 path");
    let outputs = sandbox.stackpilot(&["--root", root_arg, "outputs", "app", "alpha", "--json"]);
    assert_eq!(outputs.code, 0, "{}", outputs.stderr);
    let deploy: serde_json::Value =
        serde_json::from_str(json(&outputs)["deploy"].as_str().expect("deploy is JSON text")).expect("contract");
    assert_eq!(deploy["cluster"], "alpha-cluster");

    // The first update after the creation takes each service's task
    // definition and desired count out of the template, as on AWS; after
    // it, nothing changes and no change set is left behind.
    let first = stackpilot(&sandbox, &root, &["up", "app", "alpha", "--yes"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let released: Vec<String> = json(&first)["changes"]["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|r| {
            let props: Vec<String> = r["properties"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| format!("{} {}", p["kind"], p["path"]))
                .collect();
            format!("{} {} {}", r["op"], r["type"], props.join(", "))
        })
        .collect();
    assert_eq!(released.len(), 4, "{released:?}");
    assert!(
        released
            .iter()
            .all(|r| r == r#""update" "AWS::ECS::Service" "delete" "DesiredCount", "delete" "TaskDefinition""#),
        "{released:?}"
    );
    let again = stackpilot(&sandbox, &root, &["preview", "app", "alpha"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(json(&again)["changes"]["resources"]
        .as_array()
        .is_some_and(Vec::is_empty));
    assert!(sandbox.summary().contains("no changes"), "{}", sandbox.summary());
    assert_eq!(sandbox.change_sets_left("alpha-app"), Vec::<String>::new());

    // What `update` set on a service: another revision, another count.
    let ecs = sandbox.ecs();
    let (created_with, _) = service_state(&sandbox, "alpha-gunicorn");
    let revision = sandbox.block_on(async {
        let current = ecs
            .describe_task_definition()
            .task_definition(&created_with)
            .send()
            .await
            .expect("described")
            .task_definition()
            .cloned()
            .expect("a task definition");
        let registered = register_copy(&ecs, &current, current.container_definitions().to_vec())
            .send()
            .await
            .expect("registered");
        let arn = registered
            .task_definition()
            .and_then(|t| t.task_definition_arn())
            .expect("an arn")
            .to_owned();
        ecs.update_service()
            .cluster("alpha-cluster")
            .service("alpha-gunicorn")
            .task_definition(&arn)
            .desired_count(2)
            .send()
            .await
            .expect("updated");
        arn
    });

    root.set("app", "alpha", "logRetentionDays", 14.into());
    let plan = root.plan();
    let plan_arg = plan.to_str().expect("utf-8 path");
    let previewed = stackpilot(&sandbox, &root, &["preview", "app", "alpha", "--save-plan", plan_arg]);
    assert_eq!(previewed.code, 0, "{}", previewed.stderr);
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"[0-9a-f]{12}", "[DIGEST]");
    settings.add_filter(r"`/[^`]*/plan.json`", "`[PLAN]`");
    settings.bind(|| insta::assert_snapshot!("cdk_config_change_preview", sandbox.summary()));
    let changed: Vec<String> = json(&previewed)["changes"]["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|r| format!("{} {}", r["op"], r["type"]))
        .collect();
    assert!(
        !changed.is_empty()
            && changed
                .iter()
                .all(|c| c.contains("AWS::Logs::LogGroup") || c.contains("AWS::ECS::Service")),
        "{changed:?}"
    );
    assert_eq!(
        sandbox.change_sets_left("alpha-app"),
        Vec::<String>::new(),
        "the preview leaves no change set"
    );

    let applied = stackpilot(&sandbox, &root, &["up", "app", "alpha", "--plan", plan_arg, "--yes"]);
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    assert_eq!(json(&applied)["stack_status"], "UPDATE_COMPLETE");
    assert_eq!(
        service_state(&sandbox, "alpha-gunicorn"),
        (revision.clone(), 2),
        "the stack update left the service's revision and count alone"
    );

    // More CPU for gunicorn replaces its task definition (a new revision
    // of the family, which the next update starts from); the service still
    // runs what the update set.
    let mut services = json_config(&root, "app", "alpha")["services"].clone();
    services["gunicorn"]["cpu"] = 1024.into();
    services["gunicorn"]["memory"] = 2048.into();
    root.set("app", "alpha", "services", services);
    let replaced = stackpilot(&sandbox, &root, &["up", "app", "alpha", "--yes"]);
    assert_eq!(replaced.code, 0, "{}", replaced.stderr);
    let report = json(&replaced);
    let resources = report["changes"]["resources"].as_array().expect("resources");
    let gunicorn = resources
        .iter()
        .find(|r| r["type"] == "AWS::ECS::TaskDefinition" && r["op"] == "replace")
        .unwrap_or_else(|| panic!("no replaced task definition in {resources:?}"));
    let reasons = gunicorn["replace_reasons"].as_array().expect("reasons");
    assert!(reasons.iter().any(|r| r == "Cpu"), "{gunicorn}");
    assert!(
        resources.iter().all(|r| r["type"] != "AWS::ECS::Service"),
        "no service is touched: {resources:?}"
    );
    assert_eq!(
        service_state(&sandbox, "alpha-gunicorn"),
        (revision.clone(), 2),
        "the replacement left the service's revision and count alone"
    );

    // A config that moved after approval: exit 6, nothing applied.
    root.set("app", "alpha", "logRetentionDays", 7.into());
    let moved = stackpilot(&sandbox, &root, &["preview", "app", "alpha", "--save-plan", plan_arg]);
    assert_eq!(moved.code, 0, "{}", moved.stderr);
    root.set("app", "alpha", "logRetentionDays", 60.into());
    let refused = stackpilot(&sandbox, &root, &["up", "app", "alpha", "--plan", plan_arg, "--yes"]);
    assert_eq!(refused.code, 6, "{}", refused.stderr);
    assert_eq!(json(&refused)["outcome"], "changed-since-approved");
    assert!(sandbox.summary().contains("alpha.json"), "{}", sandbox.summary());
    assert_eq!(sandbox.change_sets_left("alpha-app"), Vec::<String>::new());

    let destroyed = stackpilot(&sandbox, &root, &["destroy", "app", "alpha", "--yes"]);
    assert_eq!(destroyed.code, 0, "{}", destroyed.stderr);
    assert_eq!(sandbox.stack_status("alpha-app"), None);
}

#[test]
fn a_failed_cdk_update_is_rolled_back_and_names_its_cause() {
    let sandbox = Sandbox::start("healthy.yaml");
    let root = CdkRoot::new();
    create_both(&sandbox, &root);
    sandbox.load_scenario(
        "cloudformation:\n  failures:\n    - match: {type: \"AWS::Logs::LogGroup\"}\n      operation: update\n      reason: \"Resource limit exceeded\"\n",
    );
    root.set("app", "alpha", "logRetentionDays", 14.into());
    let failed = stackpilot(&sandbox, &root, &["up", "app", "alpha", "--yes"]);
    assert_eq!(failed.code, 3, "failed and rolled back: {}", failed.stderr);
    let report = json(&failed);
    assert_eq!(report["outcome"], "failed");
    assert_eq!(report["stack_status"], "UPDATE_ROLLBACK_COMPLETE");
    let summary = sandbox.summary();
    assert!(summary.contains("Resource limit exceeded"), "{summary}");
    assert!(summary.contains("UPDATE_ROLLBACK_COMPLETE"), "{summary}");
}

#[test]
fn a_cdk_app_that_cannot_synthesize_fails_before_any_change_set() {
    let sandbox = Sandbox::start("healthy.yaml");
    let root = CdkRoot::new();
    root.set("base", "dev", "noSuchKey", "x".into());
    let failed = stackpilot(&sandbox, &root, &["preview", "base", "dev"]);
    assert_eq!(failed.code, 1, "{}", failed.stderr);
    assert!(
        sandbox.summary().contains("unknown keys noSuchKey"),
        "{}",
        sandbox.summary()
    );
    assert_eq!(sandbox.stack_status("dev-base"), None);

    let unknown = stackpilot(&sandbox, &root, &["preview", "app", "gamma"]);
    assert_eq!(unknown.code, 2, "{}", unknown.stderr);
    assert!(unknown.stderr.contains("gamma.json"), "{}", unknown.stderr);
}

#[test]
fn deploy_reads_the_contract_from_the_cdk_app_stack_and_rolls_the_services_it_created() {
    let sandbox = Sandbox::start("healthy.yaml");
    let root = CdkRoot::new();
    let base = stackpilot(&sandbox, &root, &["up", "base", "dev", "--yes"]);
    assert_eq!(base.code, 0, "{}", base.stderr);
    assert_eq!(sandbox.stack_status("alpha-app"), None, "no app stack yet");

    // `deploy`: `up app alpha` (which creates the stack), then the update.
    let deployed = stackpilot(
        &sandbox,
        &root,
        &[
            "deploy",
            "alpha",
            "--backend",
            "v2",
            "--frontend",
            "v2",
            "--poll-interval",
            "0.2",
        ],
    );
    assert_eq!(deployed.code, 0, "{}", deployed.stderr);
    assert_eq!(sandbox.stack_status("alpha-app").as_deref(), Some("CREATE_COMPLETE"));
    let report = json(&deployed);
    assert_eq!(report["outcome"], "succeeded", "{report}");
    let contract: serde_json::Value = serde_json::from_str(
        sandbox
            .block_on(async {
                let out = sandbox
                    .cfn()
                    .describe_stacks()
                    .stack_name("alpha-app")
                    .send()
                    .await
                    .expect("described");
                out.stacks()[0].outputs()[0]
                    .output_value()
                    .unwrap_or_default()
                    .to_owned()
            })
            .as_str(),
    )
    .expect("the deploy output is a contract");
    for service in contract["services"].as_array().expect("services") {
        let name = service["service"].as_str().expect("a name");
        let found = sandbox.service(name);
        assert_eq!(
            i64::from(found.desired_count()),
            service["desiredCount"].as_i64().expect("a count"),
            "{name} raised from 0 to the contract's count"
        );
        let image = sandbox.block_on(async {
            let td = sandbox
                .ecs()
                .describe_task_definition()
                .task_definition(found.task_definition().unwrap_or_default())
                .send()
                .await
                .expect("described");
            td.task_definition().expect("a definition").container_definitions()[0]
                .image()
                .unwrap_or_default()
                .to_owned()
        });
        assert!(image.ends_with(":v2"), "{name} runs {image}");
    }
}

#[test]
fn engine_says_which_engine_builds_each_layer() {
    let root = CdkRoot::new();
    std::fs::write(
        root.root().join("stackpilot.yaml"),
        "layers:\n  app: cdk\ncdk:\n  app: infra/cdk\n",
    )
    .expect("project file");
    let engine = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_stackpilot"))
            .arg("--root")
            .arg(root.root())
            .arg("engine")
            .args(args)
            .output()
            .expect("stackpilot runs");
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    assert_eq!(engine(&["base"]), (Some(0), "pulumi\n".to_owned()));
    assert_eq!(engine(&["app"]), (Some(0), "cdk\n".to_owned()));
    let (code, json) = engine(&["app", "--json"]);
    assert_eq!(code, Some(0));
    let json: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(
        json,
        serde_json::json!({"layer": "app", "engine": "cdk", "cdk_app": "infra/cdk"})
    );
    std::fs::write(root.root().join("stackpilot.yaml"), "layers:\n  app: terraform\n").expect("project file");
    assert_eq!(
        engine(&["app"]).0,
        Some(2),
        "an engine stackpilot does not have is a usage error"
    );
}

#[test]
fn a_pull_request_preview_of_a_cdk_layer_comments_its_change_set_and_leaves_no_stack() {
    let sandbox = Sandbox::start("healthy.yaml");
    let root = CdkRoot::new();
    let github = crate::fake_github::FakeGithub::start(&[]);
    let event = root.root().join("event.json");
    std::fs::write(&event, r#"{"pull_request": {"number": 7}}"#).expect("event written");
    let summary = sandbox.summary_path();
    let mut cmd = sandbox.command(&[
        "--root",
        root.root().to_str().expect("utf-8 path"),
        "preview",
        "base",
        "dev",
        "--pr-comment",
        "--summary",
        summary.to_str().expect("utf-8 path"),
    ]);
    cmd.env("GITHUB_API_URL", &github.url)
        .env("GITHUB_TOKEN", "ghs_test_token")
        .env("GITHUB_REPOSITORY", "acme/app")
        .env("GITHUB_EVENT_PATH", &event);
    let previewed = crate::support::finish(cmd.output().expect("stackpilot runs"));
    assert_eq!(previewed.code, 0, "{}", previewed.stderr);
    let state = github.state.lock().expect("state");
    assert_eq!(state.comments.len(), 1, "one comment");
    let (_, _, body) = &state.comments[0];
    assert!(
        body.starts_with("<!-- stackpilot:preview:base:dev -->\n## ✅ Preview · base stack `dev`"),
        "{body}"
    );
    assert!(
        body.contains("to create") && body.contains("AWS::RDS::DBInstance"),
        "{body}"
    );
    // The CREATE change set and the empty stack it made are gone.
    assert_eq!(sandbox.stack_status("dev-base"), None);
}
