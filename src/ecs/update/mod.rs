//! One app update, in order: read the task families and services, plan,
//! check the new revisions (`ecs::preflight`), register them, pass the migration gate, roll every service
//! at once, and roll all of them back together when one fails.
//!
//! An [`UpdateRun`] holds what every step needs (clients, request,
//! deadline, progress sink); the steps are its methods, one module each:
//! `plan` (read and plan), `register`, `gate`, `roll`, `rollback`. Each
//! service carries its own state through the run in a
//! [`plan::ServiceRun`], and the outcome is assembled from those at the end.

mod gate;
mod plan;
mod register;
mod roll;
mod rollback;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::time::Instant;

use super::pacing::Pacing;
use super::progress::ProgressSink;
use super::{preflight, taskdef, EcsError};
use crate::aws::Clients;
use crate::contract::{Contract, ImageTag};
use crate::outcome::update::{MigrationReport, UpdateOutcome, UpdateReport};
use plan::Plan;

#[derive(Debug, Clone)]
pub(crate) struct UpdateOptions {
    pub(crate) dry_run: bool,
    pub(crate) rollback: bool,
    pub(crate) force: bool,
    pub(crate) timeout: Duration,
    pub(crate) no_progress: Duration,
    pub(crate) failed_tasks_threshold: i32,
    pub(crate) pacing: Pacing,
}

#[derive(Debug, Clone)]
pub(crate) struct UpdateRequest {
    pub(crate) env: String,
    pub(crate) contract: Contract,
    /// Image kind (`backend`, `frontend`) → the tag to roll out.
    pub(crate) tags: BTreeMap<String, ImageTag>,
    pub(crate) options: UpdateOptions,
}

/// How a run ended: the outcome word and the one sentence that explains it.
struct Ending {
    outcome: UpdateOutcome,
    message: Option<String>,
}

impl Ending {
    fn new(outcome: UpdateOutcome, message: impl Into<String>) -> Self {
        Ending {
            outcome,
            message: Some(message.into()),
        }
    }

    fn interrupted_before_writes() -> Self {
        Ending::new(
            UpdateOutcome::Interrupted,
            "interrupted before the next change; nothing more was written",
        )
    }
}

/// One update run: what every step needs, in one place.
pub(crate) struct UpdateRun<'a> {
    clients: &'a Clients,
    request: &'a UpdateRequest,
    progress: &'a dyn ProgressSink,
    started: Instant,
    deadline: Instant,
}

impl<'a> UpdateRun<'a> {
    pub(crate) fn new(clients: &'a Clients, request: &'a UpdateRequest, progress: &'a dyn ProgressSink) -> Self {
        let started = Instant::now();
        UpdateRun {
            clients,
            request,
            progress,
            started,
            deadline: started + request.options.timeout,
        }
    }

    fn contract(&self) -> &'a Contract {
        &self.request.contract
    }

    fn options(&self) -> &'a UpdateOptions {
        &self.request.options
    }

    /// Runs the update. `Err` only for problems found before anything was
    /// written (missing families or services, a foreign deployment); once
    /// ECS changes, every ending is a report of what was written.
    pub(crate) async fn run(self) -> Result<UpdateReport, EcsError> {
        // 1 and 2. Read what runs now, and plan.
        let mut plan = self.plan().await?;
        let gate_needed = plan.gate_needed(self.contract());
        // Each new revision, exactly as step 3 would send it, against the
        // rules ECS enforces: a problem stops the run (and the dry run)
        // before anything is written.
        let requests = plan
            .families_to_register(self.contract(), gate_needed)
            .into_iter()
            .map(|f| taskdef::copy_input(&f.latest, &f.container, &f.new_image))
            .collect::<Result<Vec<_>, _>>()?;
        preflight::check(&requests)?;
        let rolling = plan.rolling().count();
        if self.options().dry_run {
            let migration = gate_needed.then(|| plan.planned_migration(self.contract()));
            let message = format!(
                "{rolling} of {} services would roll{}",
                plan.services.len(),
                if gate_needed { ", after the migration task" } else { "" }
            );
            return Ok(self.report(plan, migration, Ending::new(UpdateOutcome::Planned, message)));
        }
        if rolling == 0 {
            let ending = Ending::new(
                UpdateOutcome::NothingToDo,
                "every service already runs the requested images; nothing was registered or rolled",
            );
            return Ok(self.report(plan, None, ending));
        }
        if crate::interrupt::requested() {
            return Ok(self.report(plan, None, Ending::interrupted_before_writes()));
        }

        // From here on ECS changes. An AWS error must not lose the report of
        // what was already written, so it ends the run as a failure with it.
        let mut migration = None;
        let ending = match self.write_and_watch(&mut plan, gate_needed, &mut migration).await {
            Ok(ending) => ending,
            Err(err) => Ending::new(
                UpdateOutcome::Failed,
                format!(
                    "stopped by an AWS error after changes began: {}; what is listed here may already be in place",
                    super::error_chain(&err)
                ),
            ),
        };
        Ok(self.report(plan, migration, ending))
    }

    /// Steps 3 to 6: register, the migration gate, the rollouts, the
    /// rollback. An `Err` is an AWS call that failed.
    async fn write_and_watch(
        &self,
        plan: &mut Plan<'a>,
        gate_needed: bool,
        migration: &mut Option<MigrationReport>,
    ) -> Result<Ending, EcsError> {
        // 3. Register what is needed.
        let migration_revision = self.register(plan, gate_needed).await?;

        // 4. The migration gate.
        if let Some(revision) = migration_revision {
            let (report, failed) = self.pass_gate(&revision).await?;
            *migration = Some(report);
            if let Some(outcome) = failed {
                return Ok(Ending::new(
                    outcome,
                    "the migration did not pass, so no service was changed",
                ));
            }
        }
        if crate::interrupt::requested() {
            return Ok(Ending::interrupted_before_writes());
        }

        // 5. Every rollout at once.
        let rolled = self.roll_out(plan).await;
        if rolled == RollEnd::Interrupted {
            return Ok(Ending::new(
                UpdateOutcome::Interrupted,
                "interrupted: the deployments above are still in progress in ECS; nothing was rolled back",
            ));
        }
        if rolled == RollEnd::AllSucceeded {
            return Ok(Ending {
                outcome: UpdateOutcome::Succeeded,
                message: None,
            });
        }

        // 6. Roll back as a unit.
        self.after_failure(plan).await
    }

    /// The outcome, assembled from what each step left in the plan.
    fn report(&self, plan: Plan<'a>, migration: Option<MigrationReport>, ending: Ending) -> UpdateReport {
        let mut report = UpdateReport::new(&self.request.env, &self.contract().cluster, self.options().dry_run);
        report.tags = self
            .request
            .tags
            .iter()
            .map(|(k, v)| (k.clone(), v.to_string()))
            .collect();
        report.revisions = plan.revisions;
        report.services = plan.services.into_iter().map(plan::ServiceRun::into_report).collect();
        report.migration = migration;
        report.outcome = ending.outcome;
        report.message = ending.message;
        report.duration_secs = self.started.elapsed().as_secs_f64();
        report
    }
}

/// How the rollouts went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RollEnd {
    AllSucceeded,
    /// A rollout failed, timed out or could not start.
    SomeFailed,
    Interrupted,
}

/// Runs one update.
pub(crate) async fn run(
    clients: &Clients,
    request: &UpdateRequest,
    progress: &dyn ProgressSink,
) -> Result<UpdateReport, EcsError> {
    UpdateRun::new(clients, request, progress).run().await
}
