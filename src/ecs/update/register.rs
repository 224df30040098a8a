//! Step 3 of the update: register the new revisions the run needs, and only
//! those: a family whose services all stay put gets no new revision.

use std::collections::BTreeMap;

use super::plan::Plan;
use super::UpdateRun;
use crate::ecs::taskdef::{self, Described};
use crate::ecs::{within, EcsError};

impl<'a> UpdateRun<'a> {
    /// Settles the revision each rolling service goes to (a new one, or the
    /// latest when it already has the image) and records it in the plan.
    /// Returns the migration's revision when the gate runs. Ctrl-C is
    /// honoured between two registrations: what was registered stays in
    /// the plan's revisions, unused.
    pub(super) async fn register(&self, plan: &mut Plan<'a>, gate_needed: bool) -> Result<Registered, EcsError> {
        let migration_family = &self.contract().migration.task_family;
        let mut needed: Vec<String> = plan.rolling().map(|s| s.family.name().to_owned()).collect();
        if gate_needed {
            needed.push(migration_family.clone());
        }
        let mut settled: BTreeMap<String, Described> = BTreeMap::new();
        for name in needed {
            if settled.contains_key(&name) {
                continue;
            }
            if crate::interrupt::requested() {
                return Ok(Registered::Interrupted);
            }
            let family = &plan.families[&name];
            let target = if family.needs_register() {
                let register =
                    taskdef::register(&self.clients.ecs, &family.latest, &family.container, &family.new_image);
                let new = within(self.deadline, "RegisterTaskDefinition", register).await?;
                tracing::info!("registered {}:{}", name, new.revision);
                new
            } else {
                family.latest.clone()
            };
            if let Some(revision) = plan.revisions.iter_mut().find(|r| r.family == name) {
                revision.new_revision = Some(target.revision);
            }
            settled.insert(name, target);
        }
        for s in plan.services.iter_mut().filter(|s| s.rolls) {
            s.target = settled.get(s.family.name()).cloned();
        }
        Ok(Registered::Done(
            gate_needed
                .then(|| settled.remove(migration_family.as_str()))
                .flatten()
                .map(Box::new),
        ))
    }
}

/// How registration ended.
pub(super) enum Registered {
    /// Every revision the run needs is settled; the migration's, when the
    /// gate runs.
    Done(Option<Box<Described>>),
    /// Ctrl-C arrived between two registrations.
    Interrupted,
}
