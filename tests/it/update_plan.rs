//! Saved plans of the app update against the sandbox: `update --plan`
//! registers and rolls what the approved dry run showed, and refuses with
//! exit 6, writing nothing, when ECS moved in between.

use crate::update_support::{add_environment, Sandbox};

fn json(run: &crate::support::Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("no JSON on stdout ({e}): {run:?}"))
}

#[test]
fn update_rolled_whatever_ecs_ran_after_the_approval() {
    let sandbox = Sandbox::start("healthy.yaml");
    let contract = sandbox.seeded();
    let plan = sandbox.dir.path().join("update-plan.json");
    let plan = plan.to_str().expect("utf-8 path");

    let planned = sandbox.update(
        &contract,
        &["--backend", "v2", "--dry-run", "--save-plan", plan, "--json"],
    );
    assert_eq!(planned.code, 0, "{}", planned.stderr);
    assert_eq!(json(&planned)["plan"]["saved"], true);
    assert!(sandbox.summary().contains("Plan saved to"), "{}", sandbox.summary());

    // Another revision of gunicorn rolls out after the reviewer approved.
    add_environment(&sandbox, "alpha-gunicorn", Some("alpha-gunicorn"), &[]);
    sandbox.wait_stable("alpha-cluster", &["alpha-gunicorn"]);
    sandbox.clear_calls();
    let refused = sandbox.update(&contract, &["--backend", "v2", "--plan", plan, "--json"]);
    assert_eq!(refused.code, 6, "{}", refused.stderr);
    let report = json(&refused);
    assert_eq!(report["outcome"], "changed_since_approved");
    let subjects: Vec<&str> = report["plan"]["differences"]
        .as_array()
        .expect("differences")
        .iter()
        .filter_map(|d| d["subject"].as_str())
        .collect();
    assert_eq!(subjects, ["task family alpha-gunicorn", "service alpha-gunicorn"]);
    let writes: Vec<String> = sandbox
        .calls()
        .into_iter()
        .filter(|c| c.mutating)
        .map(|c| c.operation)
        .collect();
    assert!(writes.is_empty(), "wrote after a refused plan: {writes:?}");

    // A plan is for the tags it was made with.
    let other = sandbox.update(&contract, &["--backend", "v3", "--plan", plan]);
    assert_eq!(other.code, 2, "{}", other.stderr);

    // Planned again and approved: applied.
    let again = sandbox.update(&contract, &["--backend", "v2", "--dry-run", "--save-plan", plan]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let applied = sandbox.update(&contract, &["--backend", "v2", "--plan", plan, "--json"]);
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    let report = json(&applied);
    assert_eq!(report["outcome"], "succeeded");
    assert_eq!(report["plan"]["differences"], serde_json::json!([]));
}
