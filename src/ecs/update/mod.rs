//! One app update, in order: read the task families and services, plan,
//! check the new revisions (`ecs::preflight`), register them, pass the migration gate, roll every service
//! at once (with `--bake`, keep watching them a while after they completed),
//! and roll all of them back together when one fails.
//!
//! An [`UpdateRun`] holds what every step needs (clients, request,
//! deadline, progress sink); the steps are its methods, one module each:
//! `plan` (read and plan), `register`, `gate`, `roll`, `bake`, `rollback`. Each
//! service carries its own state through the run in a
//! [`plan::ServiceRun`], and the outcome is assembled from those at the end.

mod approval;
mod bake;
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
use super::{preflight, taskdef, within, EcsError};
use crate::aws::Clients;
use crate::contract::{Contract, ImageTag};
use crate::outcome::update::{MigrationReport, StepResult, UpdateOutcome, UpdateReport};
use plan::{Plan, ServiceRun};
use register::Registered;

pub(crate) use approval::ApprovedPlan;

#[derive(Debug, Clone)]
pub(crate) struct UpdateOptions {
    pub(crate) dry_run: bool,
    pub(crate) rollback: bool,
    pub(crate) force: bool,
    pub(crate) timeout: Duration,
    pub(crate) no_progress: Duration,
    pub(crate) failed_tasks_threshold: i32,
    pub(crate) pacing: Pacing,
    /// `--bake`: how long to keep watching the services once every
    /// rollout completed (zero: not at all).
    pub(crate) bake: Duration,
    /// `--plan`: apply only if ECS still matches it.
    pub(crate) approved: Option<ApprovedPlan>,
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

    /// A run that did not succeed after the migration passed says so: its
    /// changes to the database stay whatever happens to the services.
    fn with_migration_note(mut self, migration: Option<&MigrationReport>) -> Self {
        let Some(m) = migration.filter(|m| m.result == StepResult::Succeeded) else {
            return self;
        };
        if self.outcome == UpdateOutcome::Succeeded {
            return self;
        }
        let task = m.task_id.as_deref().unwrap_or("?");
        let note = format!("the migration (task {task}) had run and passed: its database changes stay");
        self.message = Some(match self.message.take() {
            Some(message) => format!("{message}; {note}"),
            None => note,
        });
        self
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
    /// How the run compared with an approved plan (`--plan`), for the report.
    approved_check: Option<crate::outcome::PlanCheck>,
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
            approved_check: None,
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
    pub(crate) async fn run(mut self) -> Result<UpdateReport, EcsError> {
        // 1 and 2. Read what runs now, and plan.
        let mut plan = within(self.deadline, "the reads that plan the update", self.plan()).await?;
        let gate_needed = plan.gate_needed(self.contract());
        // 2b. With `--plan`: nothing moved since it was approved.
        let check = self.check_approved(&plan, gate_needed)?;
        let changed = check.as_ref().is_some_and(|c| !c.differences.is_empty());
        self.approved_check = check;
        if changed {
            let ending = Ending::new(
                UpdateOutcome::ChangedSinceApproved,
                "ECS changed since the plan was approved; nothing was registered, migrated or rolled",
            );
            return Ok(self.report(plan, None, ending));
        }
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
            // A write whose answer never came may or may not have happened.
            Err(err) if err.lost_answer() => Ending::new(
                UpdateOutcome::Unknown,
                format!(
                    "{}: whether that call took effect is unknown; what is listed here may already be in place",
                    super::error_chain(&err)
                ),
            ),
            Err(err) => Ending::new(
                UpdateOutcome::Failed,
                format!(
                    "stopped by an AWS error after changes began: {}; what is listed here may already be in place",
                    super::error_chain(&err)
                ),
            ),
        };
        let ending = ending.with_migration_note(migration.as_ref());
        Ok(self.report(plan, migration, ending))
    }

    /// Steps 3 to 6: register, the migration gate, the rollouts, the
    /// rollback. An `Err` is an AWS call that failed. Ctrl-C is honoured
    /// at every boundary between two writes.
    async fn write_and_watch(
        &self,
        plan: &mut Plan<'a>,
        gate_needed: bool,
        migration: &mut Option<MigrationReport>,
    ) -> Result<Ending, EcsError> {
        // 3. Register what is needed.
        let migration_revision = match self.register(plan, gate_needed).await? {
            Registered::Done(revision) => revision,
            Registered::Interrupted => {
                return Ok(Ending::new(
                    UpdateOutcome::Interrupted,
                    format!(
                        "interrupted {}; the migration was not started and no service was changed",
                        registered_so_far(plan)
                    ),
                ))
            }
        };

        // 4. The migration gate.
        if let Some(revision) = migration_revision {
            if crate::interrupt::requested() {
                return Ok(Ending::new(
                    UpdateOutcome::Interrupted,
                    format!(
                        "interrupted {}; the migration was not started and no service was changed",
                        registered_so_far(plan)
                    ),
                ));
            }
            let (report, failed) = self.pass_gate(&revision).await?;
            let message = failed.map(|outcome| Ending::new(outcome, gate_stopped(&report)));
            *migration = Some(report);
            if let Some(ending) = message {
                return Ok(ending);
            }
        }

        // 5. Every rollout, then the watch.
        match self.roll_out(plan).await {
            RollEnd::AllSucceeded => Ok(Ending {
                outcome: UpdateOutcome::Succeeded,
                message: None,
            }),
            RollEnd::Interrupted => Ok(Ending::new(UpdateOutcome::Interrupted, interrupted_rollout(plan))),
            RollEnd::InterruptedBaking => Ok(Ending::new(
                UpdateOutcome::Interrupted,
                "interrupted during the bake window: every rollout had completed; nothing was rolled back",
            )),
            RollEnd::Unknown => Ok(Ending::new(UpdateOutcome::Unknown, unknown_rollout(plan))),
            RollEnd::BakeUnread => Ok(Ending::new(
                UpdateOutcome::Unknown,
                "every rollout completed, but ECS could not be read when the bake window ended: whether the services held is unknown; nothing was rolled back",
            )),
            // 6. Roll back as a unit.
            RollEnd::SomeFailed => self.after_failure(plan).await,
        }
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
        let plan_bake = plan.bake;
        report.revisions = plan.revisions;
        report.services = plan.services.into_iter().map(plan::ServiceRun::into_report).collect();
        report.migration = migration;
        report.outcome = ending.outcome;
        report.message = ending.message;
        report.duration_secs = self.started.elapsed().as_secs_f64();
        report.plan = self.approved_check.clone();
        report.bake = plan_bake;
        report
    }
}

/// How the rollouts went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RollEnd {
    AllSucceeded,
    /// A rollout failed, timed out, or could not start.
    SomeFailed,
    /// None failed, but the deadline passed while ECS could not be read.
    Unknown,
    Interrupted,
    /// Every rollout completed; Ctrl-C came during the bake window.
    InterruptedBaking,
    /// Every rollout completed; ECS could not be read when the bake
    /// window ended.
    BakeUnread,
}

/// "after registering alpha-gunicorn:8, alpha-beat:4 (unused)", or
/// "before registering anything".
fn registered_so_far(plan: &Plan<'_>) -> String {
    let registered: Vec<String> = plan
        .revisions
        .iter()
        .filter(|r| r.registers)
        .filter_map(|r| Some(format!("{}:{}", r.family, r.new_revision?)))
        .collect();
    if registered.is_empty() {
        "before registering anything".to_owned()
    } else {
        format!("after registering {} (registered, not in use)", registered.join(", "))
    }
}

/// Why the gate stopped the run, with the task id when it started.
fn gate_stopped(migration: &MigrationReport) -> String {
    let task = migration
        .task_id
        .as_deref()
        .map_or_else(|| "the migration task".to_owned(), |id| format!("migration task {id}"));
    match migration.result {
        StepResult::Interrupted => {
            format!("interrupted while {task} ran; it keeps running in ECS; no service was changed")
        }
        StepResult::Unknown if migration.task_id.is_none() => {
            "the migration task may have started (RunTask's answer was lost); no service was changed".to_owned()
        }
        StepResult::Unknown => {
            format!("{task} could not be read to its end and may still be running in ECS; no service was changed")
        }
        StepResult::TimedOut => format!("the deadline passed while {task} ran; no service was changed"),
        _ => "the migration did not pass, so no service was changed".to_owned(),
    }
}

fn names_where(plan: &Plan<'_>, keep: impl Fn(&ServiceRun<'_>) -> bool) -> Vec<String> {
    plan.services
        .iter()
        .filter(|s| keep(s))
        .map(|s| format!("`{}`", s.spec.name))
        .collect()
}

/// What Ctrl-C left behind during the rollouts.
fn interrupted_rollout(plan: &Plan<'_>) -> String {
    let started = names_where(plan, |s| s.rollout.is_some());
    let untouched = names_where(plan, |s| s.rolls && s.rollout.is_none());
    let mut message = if started.is_empty() {
        "interrupted before any service was updated".to_owned()
    } else {
        format!(
            "interrupted: the deployments of {} are still in progress in ECS; nothing was rolled back",
            started.join(", ")
        )
    };
    if !untouched.is_empty() && !started.is_empty() {
        message.push_str(&format!("; {} not updated", untouched.join(", ")));
    }
    message
}

/// The deadline passed while ECS could not be read: no verdict, no write.
fn unknown_rollout(plan: &Plan<'_>) -> String {
    let unknown = names_where(plan, |s| s.entry.result == StepResult::Unknown);
    format!(
        "ECS could not be read before the deadline: the state of {} is unknown; nothing was rolled back, check them in ECS",
        unknown.join(", ")
    )
}

/// Runs one update.
pub(crate) async fn run(
    clients: &Clients,
    request: &UpdateRequest,
    progress: &dyn ProgressSink,
) -> Result<UpdateReport, EcsError> {
    UpdateRun::new(clients, request, progress).run().await
}
