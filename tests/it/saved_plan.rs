//! Saved plans against the real Pulumi CLI: what a reviewer approved is
//! what `up --plan` applies, and a stack that changed since is refused
//! with exit 6 before anything is applied.

use crate::snapshot;
use crate::support::Repo;

fn edit_config(repo: &Repo, from: &str, to: &str) {
    let path = "stacks/base/Pulumi.dev.yaml";
    let text = repo.read(path);
    assert!(text.contains(from), "{text}");
    repo.write(path, &text.replace(from, to));
}

fn url_output(repo: &Repo) -> String {
    let outputs = repo.run(&["outputs", "base", "dev", "--json"]);
    assert_eq!(outputs.code, 0, "{}", outputs.stderr);
    let outputs: serde_json::Value = serde_json::from_str(&outputs.stdout).expect("outputs JSON");
    outputs["url"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn up_applied_whatever_the_stack_looked_like_after_the_approval() {
    let repo = Repo::new();
    let secret = "hunter2-not-in-any-plan";
    assert_eq!(repo.run(&["up", "base", "dev", "--yes"]).code, 0);
    let set = repo.pulumi(
        "base",
        &["config", "set", "--secret", "password", secret, "--stack", "dev"],
    );
    assert_eq!(set.code, 0, "{}", set.stderr);
    edit_config(&repo, "fixture-base:value: v1", "fixture-base:value: v2");

    let plan = repo.path().join("plan.json");
    let plan = plan.to_str().expect("utf-8 path");
    let summary = repo.summary_path();
    let summary = summary.to_str().expect("utf-8 path");
    let previewed = repo.run(&["preview", "base", "dev", "--save-plan", plan, "--summary", summary]);
    assert_eq!(previewed.code, 0, "{}", previewed.stderr);
    assert!(repo.summary().contains("Plan saved to"), "{}", repo.summary());
    let saved = std::fs::read_to_string(plan).expect("the plan was written");
    assert!(!saved.contains(secret), "the plan holds the secret in plain text");
    let saved: serde_json::Value = serde_json::from_str(&saved).expect("plan JSON");
    assert!(saved["pulumiPlan"].is_object(), "Pulumi's own plan is inside");
    assert_eq!(saved["action"], "up");
    let last = saved["lastUpdate"].as_str().unwrap_or_default();
    assert!(
        last.starts_with("update v"),
        "the stack's last update is pinned: {saved}"
    );

    // Someone edits the config after the reviewer approved the preview.
    edit_config(&repo, "fixture-base:value: v2", "fixture-base:value: v3");
    let refused = repo.run(&["up", "base", "dev", "--yes", "--plan", plan, "--summary", summary]);
    assert_eq!(refused.code, 6, "{}", refused.stderr);
    // Digests differ from run to run: the config holds a random salt.
    let hashes = regex::Regex::new(r"\b[0-9a-f]{12}\b").expect("pattern");
    let summary_text = hashes.replace_all(&repo.summary(), "[SHA]").into_owned();
    snapshot!(repo, "up_refused_changed_since_approved", summary_text);
    assert_eq!(url_output(&repo), "https://v1.example.test", "nothing was applied");

    // A plan is only for the stack and command it was made for.
    let other = repo.run(&["destroy", "base", "dev", "--yes", "--plan", plan]);
    assert_eq!(other.code, 2, "{}", other.stderr);
    assert!(other.stderr.contains("not for `destroy base dev`"), "{}", other.stderr);

    // Back to what was approved: applied, and exactly that.
    edit_config(&repo, "fixture-base:value: v3", "fixture-base:value: v2");
    let applied = repo.run(&["up", "base", "dev", "--yes", "--plan", plan, "--json"]);
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    let report: serde_json::Value = serde_json::from_str(&applied.stdout).expect("one JSON object");
    assert_eq!(report["plan"]["differences"], serde_json::json!([]));
    assert_eq!(url_output(&repo), "https://v2.example.test");
}

#[test]
fn a_plan_file_that_is_not_a_plan_is_refused_before_pulumi_runs() {
    let repo = Repo::new();
    repo.write("plan.json", "{\"format\": 1, \"layer\": 5}");
    let plan = repo.path().join("plan.json");
    let run = repo.run(&["up", "base", "dev", "--yes", "--plan", plan.to_str().expect("utf-8")]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("is not a stackpilot plan"), "{}", run.stderr);
    assert!(!repo.state_dir().exists(), "pulumi ran");
}
