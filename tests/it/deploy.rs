//! `deploy`: the app stack is applied with the real Pulumi CLI, then the
//! update reads the contract from that stack's `deploy` output and rolls
//! the services in the sandbox.

use crate::support::{finish, Repo};
use crate::update_support::Sandbox;

/// An app stack whose `deploy` output is the contract the sandbox seeded
/// (as a JSON string, which stackpilot accepts as well as an object).
const APP_WITH_DEPLOY_OUTPUT: &str = include_str!("../fixtures/deploy-output/Pulumi.yaml");

/// A repo whose app stack's `deploy` output is the sandbox's contract.
fn repo_for(sandbox: &Sandbox) -> Repo {
    let contract = std::fs::read_to_string(sandbox.seeded()).unwrap();
    let repo = Repo::new();
    repo.write("pulumi/app/Pulumi.yaml", APP_WITH_DEPLOY_OUTPUT);
    // A JSON string is a valid YAML scalar, so the contract goes in as is.
    let compact = serde_json::to_string(&serde_json::from_str::<serde_json::Value>(&contract).unwrap()).unwrap();
    repo.write(
        "stacks/app/Pulumi.alpha.yaml",
        &format!(
            "config:\n  fixture-app:deployJson: {}\n",
            serde_json::to_string(&compact).unwrap()
        ),
    );
    repo
}

/// `stackpilot <args>` in `repo`, with the sandbox as AWS.
fn in_sandbox(repo: &Repo, sandbox: &Sandbox, args: &[&str]) -> crate::support::Run {
    finish(
        repo.command(args)
            .env("AWS_ENDPOINT_URL", sandbox.endpoint())
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .output()
            .unwrap(),
    )
}

#[test]
fn deploy_took_no_saved_plans() {
    let sandbox = Sandbox::start("healthy.yaml");
    let repo = repo_for(&sandbox);
    let stack_plan = repo.path().join("stack-plan.json");
    let update_plan = repo.path().join("update-plan.json");
    let (stack_plan, update_plan) = (stack_plan.to_str().unwrap(), update_plan.to_str().unwrap());
    let base = ["deploy", "alpha", "--backend", "v2", "--poll-interval", "0.2"];
    // The update part reads the contract from the stack: it must be up.
    let up = in_sandbox(&repo, &sandbox, &["up", "app", "alpha", "--yes"]);
    assert_eq!(up.code, 0, "{}", up.stderr);

    let planned = in_sandbox(
        &repo,
        &sandbox,
        &[
            &base[..],
            &["--dry-run", "--save-stack-plan", stack_plan, "--save-plan", update_plan],
        ]
        .concat(),
    );
    assert_eq!(planned.code, 0, "{}", planned.stderr);
    sandbox.clear_calls();

    // The stack's config edited after the approval: refused before any
    // apply, and ECS untouched.
    let config = repo.read("stacks/app/Pulumi.alpha.yaml");
    repo.write("stacks/app/Pulumi.alpha.yaml", &config.replace("alpha-db", "other-db"));
    let refused = in_sandbox(
        &repo,
        &sandbox,
        &[&base[..], &["--stack-plan", stack_plan, "--plan", update_plan]].concat(),
    );
    assert_eq!(refused.code, 6, "{}", refused.stderr);
    assert!(sandbox.calls().iter().all(|c| !c.mutating), "ECS was written");

    // As approved: the stack applied, then exactly the planned update.
    repo.write("stacks/app/Pulumi.alpha.yaml", &config);
    let applied = in_sandbox(
        &repo,
        &sandbox,
        &[
            &base[..],
            &["--stack-plan", stack_plan, "--plan", update_plan, "--json"],
        ]
        .concat(),
    );
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    let report: serde_json::Value = serde_json::from_str(&applied.stdout).expect("the update's JSON");
    assert_eq!(report["outcome"], "succeeded");
    assert_eq!(report["plan"]["differences"], serde_json::json!([]));
}

#[test]
fn deploy_applies_the_app_stack_then_updates_from_its_deploy_output() {
    let sandbox = Sandbox::start("healthy.yaml");
    let repo = repo_for(&sandbox);
    let summary = repo.summary_path();
    let summary = summary.to_str().unwrap();
    let run = in_sandbox(
        &repo,
        &sandbox,
        &[
            "deploy",
            "alpha",
            "--backend",
            "v2",
            "--summary",
            summary,
            "--poll-interval",
            "0.2",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = repo.summary();
    let stack_at = text
        .find("## ✅ Update · app stack `alpha`")
        .expect("the stack's summary");
    let update_at = text
        .find("App update of <code>alpha</code>")
        .expect("the update's summary");
    assert!(stack_at < update_at, "stack first, then the update:\n{text}");
    assert!(text.contains("acme-backend:v2"), "{text}");

    let services = sandbox.block_on(async {
        sandbox
            .ecs()
            .describe_services()
            .cluster("alpha-cluster")
            .services("alpha-gunicorn")
            .send()
            .await
            .unwrap()
    });
    let task_definition = services.services()[0].task_definition().unwrap_or_default().to_owned();
    assert!(task_definition.ends_with("alpha-gunicorn:2"), "{task_definition}");
}
