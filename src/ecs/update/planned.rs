//! Step 2 of the update: the plan, written into the report before any
//! write, so a dry run and a real run show the same revisions and services.

use std::collections::BTreeMap;

use super::read::{Current, Family};
use crate::aws::Clients;
use crate::contract::Contract;
use crate::ecs::{plan, revision_of, taskdef, EcsError};
use crate::report::update::{MigrationReport, RevisionPlan, ServiceReport, StepResult, UpdateReport};

/// One `RevisionPlan` per family and one `ServiceReport` per target, in the
/// order `read` found them.
pub(super) fn record(
    clients: &Clients,
    contract: &Contract,
    dry_run: bool,
    current: &Current,
    report: &mut UpdateReport,
) -> Result<(), EcsError> {
    let families = &current.families;
    for (name, family) in families {
        let builder = clients.ecs.register_task_definition();
        let input = taskdef::copy_with_image(builder, &family.latest, &family.container, &family.new_image)?
            .as_input()
            .clone()
            .build()
            .map_err(|source| EcsError::Request {
                what: "a task definition copy",
                source,
            })?;
        let container = family.latest.container(&family.container)?;
        report.revisions.push(RevisionPlan {
            family: name.clone(),
            container: family.container.clone(),
            old_revision: family.latest.revision,
            old_image: family.latest.image_of(&family.container)?.to_owned(),
            new_image: family.new_image.clone(),
            new_revision: (!family.needs_register()).then_some(family.latest.revision),
            registers: family.needs_register(),
            changes: plan::changes(&family.latest, &input),
            environment: plan::environment(container),
            secrets: plan::secrets(container),
        });
    }
    for t in &current.targets {
        let spec = &contract.services[t.index];
        let family = &families[&spec.task_family];
        report.services.push(ServiceReport {
            name: spec.name.clone(),
            service: spec.service.clone(),
            old_revision: revision_of(&t.current_arn),
            new_revision: None,
            old_image: t.current_image.clone(),
            new_image: Some(family.new_image.clone()),
            desired: t.desired_count,
            running: t.running_count,
            result: if !t.rolls {
                StepResult::Unchanged
            } else if dry_run {
                StepResult::Planned
            } else {
                StepResult::Skipped
            },
            reason: None,
            deployment_id: None,
            duration_secs: 0.0,
            failed_tasks: Vec::new(),
            rollback: None,
        });
    }
    Ok(())
}

/// The migration a dry run would start: the revision it would register
/// (latest + 1) when the image changes.
pub(super) fn migration(contract: &Contract, families: &BTreeMap<String, Family>) -> MigrationReport {
    let family = families.get(&contract.migration.task_family);
    MigrationReport {
        family: contract.migration.task_family.clone(),
        revision: family.map(|f| {
            if f.needs_register() {
                f.latest.revision + 1
            } else {
                f.latest.revision
            }
        }),
        command: contract.migration.command.clone(),
        database: contract.database.clone(),
        task_id: None,
        result: StepResult::Planned,
        reason: None,
        failure: None,
        log: None,
        duration_secs: 0.0,
    }
}
