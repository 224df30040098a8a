use super::*;
use crate::preview::{ChangeKind, PropertyChange, ResourceChange};

const URN: &str = "urn:pulumi:dev::fixture-base::fixture:index:Thing::web";

fn changes(value: &str) -> ChangeSet {
    ChangeSet {
        resources: vec![ResourceChange {
            op: ChangeKind::Update,
            type_token: "fixture:index:Thing".into(),
            name: "web".into(),
            urn: URN.into(),
            properties: vec![PropertyChange {
                path: "value".into(),
                kind: DiffKind::Update,
                forces_replacement: false,
                before: Some("v1".into()),
                after: Some(value.into()),
                after_digest: Some(crate::digest::sha256(value)),
            }],
            replace_reasons: vec![],
        }],
        ..ChangeSet::default()
    }
}

fn target() -> Target<'static> {
    Target {
        layer: "base",
        env: "dev",
        engine: Engine::Pulumi,
        action: Action::Up,
    }
}

#[test]
fn the_same_preview_is_the_same_plan() {
    let approved = InfraPlan::new(target(), b"config", &changes("v2")).unwrap();
    let again = InfraPlan::new(target(), b"config", &changes("v2")).unwrap();
    assert_eq!(approved.fingerprint, again.fingerprint);
    assert!(approved.differences(&again).is_empty());
}

#[test]
fn a_new_value_on_the_same_path_is_a_difference_named_by_resource() {
    let approved = InfraPlan::new(target(), b"config", &changes("v2")).unwrap();
    let now = InfraPlan::new(target(), b"config", &changes("v3")).unwrap();
    assert_ne!(approved.fingerprint, now.fingerprint);
    let diffs = approved.differences(&now);
    assert_eq!(diffs.len(), 1, "{diffs:?}");
    assert_eq!(diffs[0].subject, "web");
    assert!(
        diffs[0].approved.starts_with("updated: update value (new value "),
        "{diffs:?}"
    );
    assert_ne!(diffs[0].approved, diffs[0].now);
}

#[test]
fn a_plan_never_holds_the_values_themselves() {
    let plan = InfraPlan::new(target(), b"config", &changes("hunter2-value")).unwrap();
    let text = serde_json::to_string(&plan).unwrap();
    assert!(!text.contains("hunter2-value"), "{text}");
}

#[test]
fn an_edited_config_is_a_difference_even_with_the_same_changes() {
    let approved = InfraPlan::new(target(), b"a: 1", &changes("v2")).unwrap();
    let now = InfraPlan::new(target(), b"a: 2", &changes("v2")).unwrap();
    let diffs = approved.differences(&now);
    assert_eq!(diffs.len(), 1);
    assert_eq!(diffs[0].subject, "stack config Pulumi.dev.yaml");
}

#[test]
fn a_change_gone_or_new_is_a_difference() {
    let approved = InfraPlan::new(target(), b"c", &changes("v2")).unwrap();
    let now = InfraPlan::new(target(), b"c", &ChangeSet::default()).unwrap();
    let diffs = approved.differences(&now);
    assert_eq!(diffs.len(), 1);
    assert_eq!(diffs[0].now, "no change");
}

#[test]
fn a_plan_for_another_stack_or_command_is_refused() {
    let plan = InfraPlan::new(target(), b"c", &changes("v2")).unwrap();
    let path = std::path::Path::new("plan.json");
    let destroy = Target {
        action: Action::Destroy,
        ..target()
    };
    let err = plan.check_target(path, destroy).unwrap_err().to_string();
    assert!(
        err.contains("`up base dev`") && err.contains("`destroy base dev`"),
        "{err}"
    );
    let staging = Target {
        env: "staging",
        ..target()
    };
    assert!(plan.check_target(path, staging).is_err());
    let cdk = Target {
        engine: Engine::Cdk,
        ..target()
    };
    let err = plan.check_target(path, cdk).unwrap_err().to_string();
    assert!(err.contains("`up base dev` (CDK)"), "{err}");
    assert!(plan.check_target(path, target()).is_ok());
}

#[test]
fn an_update_by_someone_else_in_between_is_a_difference() {
    let mut approved = InfraPlan::new(target(), b"c", &changes("v2")).unwrap();
    approved.last_update = Some("update v3 at 2026-12-01T10:00:00Z".into());
    let mut now = approved.clone();
    now.last_update = Some("update v4 at 2026-12-02T09:00:00Z".into());
    let diffs = approved.differences(&now);
    assert_eq!(diffs.len(), 1);
    assert_eq!(diffs[0].subject, "the stack's last update");
}

/// A plan job that created the stack left Pulumi's salt in its own copy of
/// the config; the apply job's checkout lacked it, and the refusal said
/// only that two hashes differ.
#[test]
fn a_salt_only_the_planning_run_had_is_named() {
    let approved = InfraPlan::new(target(), b"encryptionsalt: v1:abc\nconfig: {}\n", &changes("v2")).unwrap();
    let now = InfraPlan::new(target(), b"config: {}\n", &changes("v2")).unwrap();
    assert!(approved.config_salted && !now.config_salted);
    let diffs = approved.differences(&now);
    assert_eq!(diffs.len(), 1);
    assert!(
        diffs[0].now.contains("Pulumi created the stack while planning"),
        "{diffs:?}"
    );
}
