//! The infrastructure pipeline against the real Pulumi CLI on a local file
//! backend: preview, up, a config change, outputs, destroy.

use crate::snapshot;
use crate::support::Repo;

fn set_config(repo: &Repo, from: &str, to: &str) {
    // Pulumi added an encryption salt to this file on the first run; edit
    // in place so it stays.
    let path = "stacks/base/Pulumi.dev.yaml";
    let text = repo.read(path);
    assert!(text.contains(from), "{text}");
    repo.write(path, &text.replace(from, to));
}

#[test]
fn a_stack_goes_from_first_preview_through_up_change_and_destroy() {
    let repo = Repo::new();
    let summary = repo.summary_path();
    let summary = summary.to_str().unwrap();

    let first = repo.run(&["preview", "base", "dev", "--summary", summary]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    snapshot!(repo, "first_preview_of_a_new_stack", repo.summary());
    assert!(first.stdout.is_empty(), "the summary went to the file, not stdout");

    let up = repo.run(&["up", "base", "dev", "--yes", "--summary", summary]);
    assert_eq!(up.code, 0, "{}", up.stderr);
    snapshot!(repo, "up_creates_everything", repo.summary());

    let again = repo.run(&["up", "base", "dev", "--yes", "--summary", summary]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(repo.summary().contains("· no changes"), "{}", repo.summary());

    set_config(
        &repo,
        "fixture-base:value: v1",
        "fixture-base:value: v2\n  fixture-base:kind: large",
    );
    let change = repo.run(&["preview", "base", "dev", "--summary", summary]);
    assert_eq!(change.code, 0, "{}", change.stderr);
    snapshot!(repo, "config_change_previews_as_update_and_replace", repo.summary());

    let dry = repo.run(&["up", "base", "dev", "--dry-run", "--summary", summary]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(repo.summary().contains("(dry run)"));
    let outputs = repo.run(&["outputs", "base", "dev", "--json"]);
    assert_eq!(outputs.code, 0, "{}", outputs.stderr);
    let outputs: serde_json::Value = serde_json::from_str(&outputs.stdout).expect("outputs JSON");
    assert_eq!(
        outputs,
        serde_json::json!({"password": "[secret]", "url": "https://v1.example.test"}),
        "a dry run applies nothing"
    );

    let applied = repo.run(&["up", "base", "dev", "--yes", "--json"]);
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    let report: serde_json::Value = serde_json::from_str(&applied.stdout).expect("one JSON object");
    assert_eq!(report["outcome"], "succeeded");
    assert_eq!(report["applied"]["counts"]["update"], 1);
    assert_eq!(report["applied"]["counts"]["replace"], 1);
    assert_eq!(report["applied"]["outputs"]["url"], "https://v2.example.test");
    assert_eq!(report["applied"]["outputs"]["password"], "[secret]");

    let human = repo.run(&["outputs", "base", "dev"]);
    assert_eq!(human.code, 0, "{}", human.stderr);
    assert_eq!(human.stdout, "password  [secret]\nurl       https://v2.example.test\n");

    let destroy = repo.run(&["destroy", "base", "dev", "--yes", "--summary", summary]);
    assert_eq!(destroy.code, 0, "{}", destroy.stderr);
    snapshot!(repo, "destroy_deletes_everything", repo.summary());
}

#[test]
fn secrets_from_config_never_reach_any_output() {
    let repo = Repo::new();
    let secret = "hunter2-do-not-print";
    // The first preview creates the stack; then the secret is set the way a
    // user would, with the real CLI.
    assert_eq!(repo.run(&["preview", "base", "dev"]).code, 0);
    let set = repo.pulumi(
        "base",
        &["config", "set", "--secret", "password", secret, "--stack", "dev"],
    );
    assert_eq!(set.code, 0, "{}", set.stderr);
    assert!(!repo.read("stacks/base/Pulumi.dev.yaml").contains(secret));

    let summary = repo.summary_path();
    let summary = summary.to_str().unwrap();
    for args in [
        vec!["preview", "base", "dev", "--summary", summary, "--json"],
        vec!["up", "base", "dev", "--yes", "--summary", summary, "--json"],
        vec!["outputs", "base", "dev", "--json"],
        vec!["outputs", "base", "dev"],
    ] {
        let run = repo.run(&args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        for (name, text) in [
            ("stdout", &run.stdout),
            ("stderr", &run.stderr),
            ("summary", &repo.summary()),
        ] {
            assert!(!text.contains(secret), "{args:?} printed the secret on {name}");
        }
        assert!(
            run.stdout.contains("[secret]") || repo.summary().contains("\\[secret\\]"),
            "{args:?}"
        );
    }
}

#[test]
fn in_github_actions_the_summary_is_appended_and_step_outputs_written() {
    let repo = Repo::new();
    let step_summary = repo.path().join("step_summary.md");
    let outputs = repo.path().join("github_output");
    std::fs::write(&step_summary, "# An earlier step\n\n").unwrap();
    let run = repo
        .command(&["preview", "base", "dev"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &step_summary)
        .env("GITHUB_OUTPUT", &outputs)
        .output()
        .unwrap();
    let run = crate::support::finish(run);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let summary = std::fs::read_to_string(&step_summary).unwrap();
    assert!(
        summary.starts_with("# An earlier step\n\n## ✅ Preview · base stack `dev`"),
        "{summary}"
    );
    assert!(
        run.stdout.is_empty(),
        "in Actions the summary goes to the step summary only"
    );
    assert_eq!(
        std::fs::read_to_string(&outputs).unwrap(),
        "has_changes=true\ncreate=3\nupdate=0\nreplace=0\ndelete=0\nsame=0\n"
    );
    assert!(
        run.stderr.contains("::group::previewing the base stack `dev`"),
        "{}",
        run.stderr
    );
}
