//! `update --bake` end to end against the local AWS sandbox: the late-fail
//! story of the benchmark, in small. gunicorn's new tasks pass their health
//! check, the deployment completes, and they fail the check later.

use crate::update::services_now;
use crate::update_snapshot;
use crate::update_support::{revise, Sandbox, ALL_SERVICES};

/// Gives gunicorn a container health check (every 10 AWS s, 3 retries) and
/// moves it onto that revision, as the benchmark's late-fail scenario does.
fn add_health_check(sandbox: &Sandbox) {
    revise(sandbox, "alpha-gunicorn", Some("alpha-gunicorn"), |containers| {
        containers[0].health_check = Some(
            aws_sdk_ecs::types::HealthCheck::builder()
                .command("CMD-SHELL")
                .command("curl -fs localhost:8000/health || exit 1")
                .interval(10)
                .retries(3)
                .build()
                .expect("a health check"),
        );
    });
    sandbox.wait_stable("alpha-cluster", &ALL_SERVICES);
}

/// The revision each service runs.
fn revisions(sandbox: &Sandbox) -> Vec<String> {
    services_now(sandbox)
        .into_iter()
        .map(|(_, revision, _)| revision)
        .collect()
}

/// The tasks fail 80 AWS s after they start (4 real s at the fixture's
/// time scale), about 3 s after every rollout completed: inside a 30 s
/// bake window, the update fails and rolls back; without one, it ends at
/// completion with exit 0, as every tool in the benchmark did.
#[test]
fn a_health_check_failing_after_completion_fails_the_bake_and_rolls_back() {
    let sandbox = Sandbox::start("healthy.yaml");
    let contract = sandbox.seeded();
    add_health_check(&sandbox);
    let before = revisions(&sandbox);
    assert_eq!(
        before,
        ["alpha-beat:1", "alpha-default:1", "alpha-gunicorn:2", "alpha-web-ui:1"]
    );

    let baked = sandbox.update(&contract, &["--backend", "late", "--bake", "30"]);
    assert_eq!(baked.code, 3, "{}", baked.stderr);
    assert_eq!(revisions(&sandbox), before, "every service is back");
    let summary = sandbox.summary();
    assert!(summary.contains("Bake window: watched"), "{summary}");
    update_snapshot!(sandbox, "late_failure_in_the_bake_window_summary", summary);

    // No bake: the same release is called a success at completion.
    let unbaked = sandbox.update(&contract, &["--backend", "late"]);
    assert_eq!(unbaked.code, 0, "{}", unbaked.stderr);
    assert_eq!(
        revisions(&sandbox),
        ["alpha-beat:2", "alpha-default:2", "alpha-gunicorn:3", "alpha-web-ui:1"]
    );
    assert!(!sandbox.summary().contains("Bake window"), "{}", sandbox.summary());
}
