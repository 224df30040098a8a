use super::*;

fn revision(old_revision: i32) -> RevisionPlan {
    RevisionPlan {
        family: "alpha-gunicorn".into(),
        container: "gunicorn".into(),
        old_revision,
        old_image: "repo/acme-backend:v1".into(),
        new_image: "repo/acme-backend:v2".into(),
        new_revision: None,
        registers: true,
        changes: vec![],
        environment: vec![],
        secrets: vec![],
    }
}

fn service(revision: i32, desired: i32) -> ServiceReport {
    ServiceReport {
        name: "gunicorn".into(),
        service: "alpha-gunicorn".into(),
        old_revision: Some(revision),
        new_revision: None,
        old_image: Some("repo/acme-backend:v1".into()),
        new_image: Some("repo/acme-backend:v2".into()),
        desired,
        running: desired,
        result: StepResult::Planned,
        reason: None,
        deployment_id: None,
        duration_secs: 0.0,
        failed_tasks: vec![],
        rollback: None,
    }
}

fn plan(family_revision: i32, service_revision: i32, desired: i32) -> UpdatePlan {
    let tags = BTreeMap::from([("backend".to_owned(), "v2".to_owned())]);
    let revisions = [revision(family_revision)];
    let services = [service(service_revision, desired)];
    UpdatePlan::new(Reading {
        env: "alpha",
        cluster: "alpha-cluster",
        tags: &tags,
        revisions: &revisions,
        services: services.iter().collect(),
        migration: None,
    })
    .unwrap()
}

#[test]
fn nothing_moved_is_no_difference() {
    let approved = plan(1, 1, 2);
    let now = plan(1, 1, 2);
    assert_eq!(approved.fingerprint, now.fingerprint);
    assert!(approved.differences(&now).is_empty());
}

#[test]
fn a_revision_registered_since_is_a_difference_of_the_family() {
    let diffs = plan(1, 1, 2).differences(&plan(2, 1, 2));
    assert_eq!(diffs.len(), 1, "{diffs:?}");
    assert_eq!(diffs[0].subject, "task family alpha-gunicorn");
    assert!(diffs[0].approved.contains("revision 1") && diffs[0].now.contains("revision 2"));
}

#[test]
fn a_service_rolled_or_scaled_since_is_a_difference_of_the_service() {
    let approved = plan(1, 1, 2);
    let diffs = approved.differences(&plan(1, 3, 2));
    assert_eq!(diffs[0].subject, "service alpha-gunicorn");
    assert_eq!(approved.differences(&plan(1, 1, 5)).len(), 1);
}

#[test]
fn a_plan_for_other_tags_is_refused() {
    let approved = plan(1, 1, 2);
    let other = BTreeMap::from([("backend".to_owned(), "v3".to_owned())]);
    let path = std::path::Path::new("p.json");
    let err = approved
        .check_target(
            path,
            Target {
                env: "alpha",
                tags: &other,
            },
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("--backend v2") && err.contains("--backend v3"), "{err}");
}
