//! Credentials never reach a summary or `--json`, whatever variable holds
//! them and whichever log line repeats them (issue 12, item 6).

use crate::update_support::{add_environment, Sandbox, ALL_SERVICES};

/// An allow-listed `DATABASE_HOST=postgres://admin:SUPERSECRET@db` was
/// printed whole in the dry run's summary and `--json`.
#[test]
fn dry_run_database_url_password_is_masked_in_summary_and_json() {
    let sandbox = Sandbox::start("healthy.yaml");
    let contract = sandbox.seeded();
    add_environment(
        &sandbox,
        "alpha-gunicorn",
        Some("alpha-gunicorn"),
        &[
            ("DATABASE_HOST", "postgres://admin:SUPERSECRET@db:5432"),
            ("LOG_LEVEL", "token=ghp_0123456789abcdefghijklmnopqrstuvwxyzAB"),
        ],
    );
    sandbox.wait_stable("alpha-cluster", &ALL_SERVICES);
    let run = sandbox.update(&contract, &["--backend", "v2", "--dry-run", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let summary = sandbox.summary();
    for text in [&summary, &run.stdout, &run.stderr] {
        assert!(!text.contains("SUPERSECRET"), "{text}");
        assert!(!text.contains("ghp_0123456789"), "{text}");
    }
    // The summary's `@` carries an invisible word joiner (no mention).
    assert!(
        summary.replace('\u{2060}', "").contains("postgres://••••@db:5432"),
        "{summary}"
    );
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("one JSON object");
    let gunicorn = report["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["family"] == "alpha-gunicorn")
        .expect("the gunicorn family is planned");
    let host = gunicorn["environment"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "DATABASE_HOST")
        .expect("DATABASE_HOST is listed");
    assert_eq!(host["value"], "postgres://••••@db:5432");
    assert_eq!(host["masked"], true);
}

/// Migration log lines carrying a password were copied into the summary
/// verbatim.
#[test]
fn migration_log_line_with_password_is_masked() {
    let sandbox = Sandbox::start("migration-leaks.yaml");
    let contract = sandbox.seeded();
    add_environment(
        &sandbox,
        "alpha-backend_update",
        None,
        &[
            ("SECRET_KEY", "django-insecure-7f3k2j1h"),
            ("DATABASE_HOST", "postgres://app:Tr0ub4dor3@db:5432/alpha-db"),
        ],
    );
    let run = sandbox.update(&contract, &["--backend", "v2", "--json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let summary = sandbox.summary();
    assert!(summary.contains("FATAL: password authentication failed"), "{summary}");
    for text in [&summary, &run.stdout, &run.stderr] {
        for secret in ["Tr0ub4dor3", "django-insecure-7f3k2j1h", "AKIAIOSFODNN7EXAMPLE"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("one JSON object");
    let lines = &report["migration"]["failure"]["log"]["lines"];
    assert_eq!(
        lines,
        &serde_json::json!([
            "connecting to postgres://••••@db:5432/alpha-db",
            "FATAL: password authentication failed (tried ••••)",
            "SECRET_KEY is ••••, key ••••",
        ])
    );
}
