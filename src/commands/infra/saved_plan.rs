//! Saved plans in the infrastructure commands: `preview --save-plan` and
//! `destroy --save-plan` write one; `up --plan` and `destroy --plan`
//! preview again and apply only when the fresh preview matches it, with
//! Pulumi's own plan handed to the engine for the apply itself.

use std::path::Path;

use super::Run;
use crate::engine::Engine;
use crate::outcome::infra::{Action, Outcome, PlanCheck};
use crate::plan::infra::{InfraPlan, Target};
use crate::plan::{self, PlanError};
use crate::{Error, Exit};

/// The most a stack config file may weigh before it is hashed.
const CONFIG_CAP: u64 = 1 << 20;

impl Run<'_> {
    /// The plan of the preview this run just made.
    fn current_plan(&self, action: Action) -> Result<InfraPlan, Error> {
        let config =
            crate::input::read_to_string(&self.stack.config_file, CONFIG_CAP).map_err(|source| PlanError::Read {
                path: self.stack.config_file.clone(),
                source,
            })?;
        let changes = self.report.changes.clone().unwrap_or_default();
        let target = Target {
            layer: &self.report.layer,
            env: &self.report.env,
            engine: Engine::Pulumi,
            action,
        };
        let mut plan = InfraPlan::new(target, config.as_bytes(), &changes)?;
        plan.last_update = self.stack.last_update()?;
        Ok(plan)
    }

    /// Writes the plan of this run's preview to `path`, with Pulumi's own
    /// plan inside when the preview made one.
    pub(super) fn save_plan(&mut self, path: &Path, action: Action) -> Result<(), Error> {
        let mut plan = self.current_plan(action)?;
        let pulumi_plan = self.workdir.path().join("pulumi-plan.json");
        if action == Action::Up && pulumi_plan.is_file() {
            let text = crate::input::read_to_string(&pulumi_plan, 1 << 30).map_err(|source| PlanError::Read {
                path: pulumi_plan.clone(),
                source,
            })?;
            let value = serde_json::from_str(&text).map_err(|source| PlanError::Parse {
                path: pulumi_plan.clone(),
                source,
            })?;
            plan.pulumi_plan = Some(value);
        }
        plan::write(path, &plan)?;
        tracing::info!("plan written to {} (fingerprint {})", path.display(), plan.fingerprint);
        self.report.plan = Some(PlanCheck {
            file: path.display().to_string(),
            fingerprint: plan.fingerprint,
            saved: true,
            differences: Vec::new(),
        });
        Ok(())
    }

    /// Compares the fresh preview with the approved plan; `false` (and the
    /// report says what differs) when they differ.
    pub(super) fn matches_plan(&mut self, path: &Path, approved: &InfraPlan) -> Result<bool, Error> {
        let current = self.current_plan(approved.action)?;
        let differences = approved.differences(&current);
        let matches = differences.is_empty();
        if !matches {
            self.report.outcome = Outcome::ChangedSinceApproved;
        }
        self.report.plan = Some(PlanCheck {
            file: path.display().to_string(),
            fingerprint: approved.fingerprint.clone(),
            saved: false,
            differences,
        });
        Ok(matches)
    }

    /// Puts Pulumi's plan from the approved one where the apply finds it.
    pub(super) fn write_pulumi_plan(&mut self, approved: &InfraPlan) -> Result<(), Error> {
        let Some(pulumi_plan) = &approved.pulumi_plan else {
            return Ok(());
        };
        let path = self.workdir.path().join("approved-pulumi-plan.json");
        plan::write(&path, pulumi_plan)?;
        self.pulumi_plan = Some(path);
        Ok(())
    }

    /// Ends a run whose preview no longer matches the approved plan.
    pub(super) fn finish_changed(mut self) -> Exit {
        self.print_json();
        self.flush_sink();
        tracing::error!("the stack changed since the plan was approved; nothing was applied");
        Exit::Changed
    }
}
