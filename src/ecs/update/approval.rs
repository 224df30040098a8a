//! Step 2b of the update, with `--plan`: what ECS runs now, put in the
//! shape of a saved plan and compared with the approved one. Any
//! difference stops the run before the first write (exit 6).

use super::plan::Plan;
use super::UpdateRun;
use crate::ecs::EcsError;
use crate::outcome::PlanCheck;
use crate::plan::update::{Reading, UpdatePlan};

/// A plan a reviewer approved, and the file it came from.
#[derive(Debug, Clone)]
pub(crate) struct ApprovedPlan {
    pub(crate) file: String,
    pub(crate) plan: UpdatePlan,
}

impl UpdateRun<'_> {
    /// The plan of what this run read, in the saved plan's shape.
    pub(super) fn current_plan(&self, plan: &Plan<'_>, gate_needed: bool) -> Result<UpdatePlan, EcsError> {
        let migration = gate_needed.then(|| plan.planned_migration(self.contract()));
        let tags = self
            .request
            .tags
            .iter()
            .map(|(k, v)| (k.clone(), v.to_string()))
            .collect();
        let reading = Reading {
            env: &self.request.env,
            cluster: &self.contract().cluster,
            tags: &tags,
            revisions: &plan.revisions,
            services: plan.services.iter().map(|s| &s.entry).collect(),
            migration: migration.as_ref(),
        };
        Ok(UpdatePlan::new(reading)?)
    }

    /// Compares what was read with the approved plan, when there is one.
    pub(super) fn check_approved(&self, plan: &Plan<'_>, gate_needed: bool) -> Result<Option<PlanCheck>, EcsError> {
        let Some(approved) = &self.options().approved else {
            return Ok(None);
        };
        let now = self.current_plan(plan, gate_needed)?;
        Ok(Some(PlanCheck {
            file: approved.file.clone(),
            fingerprint: approved.plan.fingerprint.clone(),
            saved: false,
            differences: approved.plan.differences(&now),
        }))
    }
}
