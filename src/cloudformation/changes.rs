//! A described change set, as the [`ChangeSet`] every report renders:
//! CloudFormation's actions become operations, its property details the
//! property table, and properties that force a new resource the
//! replacement reasons.

use aws_sdk_cloudformation::types::{
    AttributeChangeType, Change, ChangeAction, Replacement, RequiresRecreation, ResourceChange as CfnChange,
};
use serde_json::Value;

use crate::preview::value::render;
use crate::preview::{ChangeKind, ChangeSet, DiffKind, OpCount, PropertyChange, ResourceChange};

/// Characters of a property value shown before it is cut, as for Pulumi.
const VALUE_CHARS: usize = 120;

#[derive(Debug, Default)]
pub(super) struct Collected {
    resources: Vec<ResourceChange>,
}

impl Collected {
    pub(super) fn add(&mut self, changes: &[Change]) {
        self.resources
            .extend(changes.iter().filter_map(Change::resource_change).map(resource_change));
    }

    pub(super) fn add_deletions(&mut self, resources: &[super::StackResource]) {
        self.resources.extend(resources.iter().map(|r| ResourceChange {
            op: ChangeKind::Delete,
            type_token: r.resource_type.clone(),
            name: r.logical_id.clone(),
            urn: r.physical_id.clone(),
            properties: Vec::new(),
            replace_reasons: Vec::new(),
        }));
    }

    pub(super) fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }

    /// Resources that exist now and change or go.
    pub(super) fn touched_existing(&self) -> usize {
        self.resources
            .iter()
            .filter(|r| !matches!(r.op, ChangeKind::Create | ChangeKind::Import))
            .count()
    }

    pub(super) fn into_change_set(mut self, unchanged: usize) -> ChangeSet {
        self.resources
            .sort_by(|a, b| (&a.op, &a.type_token, &a.name).cmp(&(&b.op, &b.type_token, &b.name)));
        let mut counts: Vec<OpCount> = Vec::new();
        for r in &self.resources {
            match counts.iter_mut().find(|c| c.op == r.op) {
                Some(c) => c.count += 1,
                None => counts.push(OpCount {
                    op: r.op.clone(),
                    count: 1,
                }),
            }
        }
        ChangeSet {
            counts,
            unchanged,
            resources: self.resources,
            ..ChangeSet::default()
        }
    }
}

fn operation(change: &CfnChange) -> ChangeKind {
    match change.action() {
        Some(ChangeAction::Add) => ChangeKind::Create,
        Some(ChangeAction::Remove) => ChangeKind::Delete,
        Some(ChangeAction::Import) => ChangeKind::Import,
        // "Conditional": CloudFormation only knows at execution; a reviewer
        // should read it as the worse case.
        Some(ChangeAction::Modify) => match change.replacement() {
            Some(Replacement::True | Replacement::Conditional) => ChangeKind::Replace,
            _ => ChangeKind::Update,
        },
        Some(other) => ChangeKind::Other(other.as_str().to_ascii_lowercase()),
        None => ChangeKind::Other("unknown".to_owned()),
    }
}

fn resource_change(change: &CfnChange) -> ResourceChange {
    let op = operation(change);
    let name = change.logical_resource_id().unwrap_or("(unnamed)").to_owned();
    let before = context(change.before_context());
    let after = context(change.after_context());
    let mut properties: Vec<PropertyChange> = Vec::new();
    let mut replace_reasons: Vec<String> = Vec::new();
    for detail in change.details() {
        let Some(target) = detail.target() else { continue };
        let Some(path) = target.name().or_else(|| target.attribute().map(|a| a.as_str())) else {
            continue;
        };
        let forces = matches!(
            target.requires_recreation(),
            Some(RequiresRecreation::Always | RequiresRecreation::Conditionally)
        );
        if forces && !replace_reasons.iter().any(|r| r == path) {
            replace_reasons.push(path.to_owned());
        }
        // One property can be named by several details (a direct change
        // and the parameter or resource it depends on).
        if let Some(existing) = properties.iter_mut().find(|p| p.path == path) {
            existing.forces_replacement |= forces;
            continue;
        }
        let kind = match target.attribute_change_type() {
            Some(AttributeChangeType::Add) => DiffKind::Add,
            Some(AttributeChangeType::Remove) => DiffKind::Delete,
            _ => DiffKind::Update,
        };
        let value = |given: Option<&str>, whole: &Option<Value>| -> Option<Value> {
            given
                .map(|v| serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.to_owned())))
                .or_else(|| whole.as_ref()?.get("Properties")?.get(path).cloned())
        };
        let before_value = value(target.before_value(), &before);
        let after_value = value(target.after_value(), &after);
        properties.push(PropertyChange {
            path: path.to_owned(),
            kind,
            forces_replacement: forces,
            before: before_value.as_ref().map(shown),
            after: after_value.as_ref().map(shown),
            after_digest: after_value.as_ref().map(crate::digest::of_value),
        });
    }
    ResourceChange {
        op,
        type_token: change.resource_type().unwrap_or("(unknown type)").to_owned(),
        urn: change.physical_resource_id().unwrap_or(&name).to_owned(),
        name,
        properties,
        replace_reasons,
    }
}

/// A value as the summary shows it: cut, and with anything shaped like a
/// credential masked (a template can carry one in plain text).
fn shown(value: &Value) -> String {
    crate::redact::shapes(&render(value, VALUE_CHARS)).into_owned()
}

/// `BeforeContext`/`AfterContext`: the resource's properties as JSON text.
fn context(raw: Option<&str>) -> Option<Value> {
    serde_json::from_str(raw?).ok()
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudformation::types::{ResourceAttribute, ResourceChangeDetail, ResourceTargetDefinition};

    use super::*;

    fn detail(name: &str, recreation: RequiresRecreation) -> ResourceChangeDetail {
        ResourceChangeDetail::builder()
            .target(
                ResourceTargetDefinition::builder()
                    .attribute(ResourceAttribute::Properties)
                    .name(name)
                    .requires_recreation(recreation)
                    .build(),
            )
            .build()
    }

    fn modify(id: &str, replacement: Replacement, details: Vec<ResourceChangeDetail>) -> Change {
        Change::builder()
            .resource_change(
                CfnChange::builder()
                    .action(ChangeAction::Modify)
                    .logical_resource_id(id)
                    .physical_resource_id(format!("phys-{id}"))
                    .resource_type("AWS::S3::Bucket")
                    .replacement(replacement)
                    .set_details(Some(details))
                    .before_context(r#"{"Properties":{"BucketName":"old","Tags":[]}}"#)
                    .after_context(r#"{"Properties":{"BucketName":"new","Tags":[{"Key":"a","Value":"b"}]}}"#)
                    .build(),
            )
            .build()
    }

    #[test]
    fn a_replacement_names_the_properties_that_force_it_with_their_values() {
        let mut collected = Collected::default();
        collected.add(&[modify(
            "StateBucket",
            Replacement::True,
            vec![
                detail("BucketName", RequiresRecreation::Always),
                detail("BucketName", RequiresRecreation::Never),
                detail("Tags", RequiresRecreation::Never),
            ],
        )]);
        let set = collected.into_change_set(3);
        let r = &set.resources[0];
        assert_eq!(
            (r.op.clone(), r.name.as_str(), r.urn.as_str()),
            (ChangeKind::Replace, "StateBucket", "phys-StateBucket")
        );
        assert_eq!(r.replace_reasons, ["BucketName"]);
        let shown: Vec<(&str, bool, Option<&str>, Option<&str>)> = r
            .properties
            .iter()
            .map(|p| {
                (
                    p.path.as_str(),
                    p.forces_replacement,
                    p.before.as_deref(),
                    p.after.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                ("BucketName", true, Some("old"), Some("new")),
                ("Tags", false, Some("[]"), Some(r#"[{"Key":"a","Value":"b"}]"#)),
            ]
        );
        assert_eq!((set.unchanged, set.count(&ChangeKind::Replace)), (3, 1));
    }

    #[test]
    fn a_conditional_replacement_reads_as_a_replacement() {
        let mut collected = Collected::default();
        collected.add(&[modify(
            "Role",
            Replacement::Conditional,
            vec![detail("RoleName", RequiresRecreation::Conditionally)],
        )]);
        let set = collected.into_change_set(0);
        assert_eq!(set.resources[0].op, ChangeKind::Replace);
        assert!(set.resources[0].properties[0].forces_replacement);
    }

    #[test]
    fn adds_and_removes_map_to_create_and_delete_in_reading_order() {
        let change = |action: ChangeAction, id: &str| {
            Change::builder()
                .resource_change(
                    CfnChange::builder()
                        .action(action)
                        .logical_resource_id(id)
                        .resource_type("AWS::IAM::Role")
                        .build(),
                )
                .build()
        };
        let mut collected = Collected::default();
        collected.add(&[change(ChangeAction::Remove, "Old"), change(ChangeAction::Add, "New")]);
        assert_eq!(collected.touched_existing(), 1);
        let set = collected.into_change_set(0);
        let ops: Vec<(&str, &str)> = set.resources.iter().map(|r| (r.op.label(), r.name.as_str())).collect();
        assert_eq!(ops, [("create", "New"), ("delete", "Old")]);
    }
}
