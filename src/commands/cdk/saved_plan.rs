//! Saved plans of a CDK layer: the change set in the canonical form a
//! Pulumi plan has, plus the synthesized template's digest (outputs and
//! parameters are in the template, not in a change set), the env's JSON
//! config and the stack's last update. `up --plan` makes a fresh change
//! set and executes it only when its plan is the approved one;
//! CloudFormation itself refuses to execute a change set once the stack
//! changed under it.

use std::path::Path;

use super::Run;
use crate::cdk::Synthesized;
use crate::cloudformation::{Prepared, StackInfo};
use crate::engine::{CdkEnv, Engine};
use crate::outcome::infra::{Action, Outcome, PlanCheck};
use crate::plan::infra::{InfraPlan, Target};
use crate::plan::{self, PlanError};
use crate::Error;

/// The most an env's config file may weigh before it is hashed.
const CONFIG_CAP: u64 = 1 << 20;

/// What a run found that a plan pins. The change set itself is in the
/// report (for `destroy`, the deletion).
#[derive(Clone, Copy, Default)]
pub(super) struct Found<'r> {
    pub synth: Option<&'r Synthesized>,
    pub prepared: Option<&'r Prepared>,
    pub existing: Option<&'r StackInfo>,
}

impl Run<'_> {
    /// The plan of what this run found: its change set, the template, the
    /// config and the stack's last update.
    fn current_plan(&self, cdk: &CdkEnv, action: Action, found: Found<'_>) -> Result<InfraPlan, Error> {
        let config = crate::input::read_to_string(&cdk.config_file, CONFIG_CAP).map_err(|source| PlanError::Read {
            path: cdk.config_file.clone(),
            source,
        })?;
        let changes = self.report.run.changes.clone().unwrap_or_default();
        let target = Target {
            layer: &self.report.run.layer,
            env: &self.report.run.env,
            engine: Engine::Cdk,
            action,
        };
        let mut plan = InfraPlan::new(target, config.as_bytes(), &changes)?;
        plan.last_update = found.existing.map(|s| match &s.last_updated {
            Some(at) => format!("{} at {at}", s.status),
            None => s.status.clone(),
        });
        plan.template_sha256 = found.synth.map(|s| crate::digest::sha256(s.template.as_bytes()));
        plan.change_set = found.prepared.map(|p| p.id.clone());
        Ok(plan)
    }

    pub(super) fn save_plan(
        &mut self,
        path: &Path,
        cdk: &CdkEnv,
        action: Action,
        found: Found<'_>,
    ) -> Result<(), Error> {
        let plan = self.current_plan(cdk, action, found)?;
        plan::write(path, &plan)?;
        tracing::info!("plan written to {} (fingerprint {})", path.display(), plan.fingerprint);
        self.report.run.plan = Some(PlanCheck {
            file: path.display().to_string(),
            fingerprint: plan.fingerprint,
            saved: true,
            differences: Vec::new(),
        });
        Ok(())
    }

    /// Compares what this run found with the approved plan; `false` (and
    /// the report says what differs) when they differ.
    pub(super) fn matches_plan(
        &mut self,
        path: &Path,
        approved: &InfraPlan,
        cdk: &CdkEnv,
        found: Found<'_>,
    ) -> Result<bool, Error> {
        let current = self.current_plan(cdk, approved.action, found)?;
        let differences = approved.differences(&current);
        let matches = differences.is_empty();
        if !matches {
            self.report.run.outcome = Outcome::ChangedSinceApproved;
        }
        self.report.run.plan = Some(PlanCheck {
            file: path.display().to_string(),
            fingerprint: approved.fingerprint.clone(),
            saved: false,
            differences,
        });
        Ok(matches)
    }
}
