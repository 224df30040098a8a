//! Step 3 of the update: register the new revisions the run needs, and only
//! those: a family whose services all stay put gets no new revision.

use std::collections::BTreeMap;

use super::read::{Family, Target};
use crate::aws::Clients;
use crate::contract::Contract;
use crate::ecs::{taskdef, EcsError};
use crate::report::update::UpdateReport;

/// Sets each needed family's `target` (a new revision, or `latest` when it
/// already has the image) and records it in the report's plan.
pub(super) async fn register_needed(
    clients: &Clients,
    contract: &Contract,
    families: &mut BTreeMap<String, Family>,
    targets: &[Target],
    rolling: &[usize],
    gate_needed: bool,
    report: &mut UpdateReport,
) -> Result<(), EcsError> {
    let needed: Vec<String> = families
        .iter()
        .filter(|(name, _)| {
            (gate_needed && **name == contract.migration.task_family)
                || rolling
                    .iter()
                    .any(|&k| contract.services[targets[k].index].task_family == **name)
        })
        .map(|(name, _)| name.clone())
        .collect();
    for name in needed {
        let Some(family) = families.get_mut(&name) else {
            continue;
        };
        let target = if family.needs_register() {
            let new = taskdef::register(&clients.ecs, &family.latest, &family.container, &family.new_image).await?;
            tracing::info!("registered {}:{}", name, new.revision);
            new
        } else {
            family.latest.clone()
        };
        if let Some(plan) = report.revisions.iter_mut().find(|r| r.family == name) {
            plan.new_revision = Some(target.revision);
        }
        family.target = Some(target);
    }
    Ok(())
}
