//! One app update, in order: read the task families and services, plan,
//! register the new revisions, pass the migration gate, roll every service
//! at once, and roll all of them back together when one fails.
//!
//! [`run`] only sequences the steps and decides the outcome; each step is
//! its own module: `read`, `planned`, `register`, `gate`, `roll`,
//! `rollback`.

mod gate;
mod planned;
mod read;
mod register;
mod roll;
mod rollback;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::time::Instant;

use super::pacing::Pacing;
use super::rollout::WatchEnd;
use super::EcsError;
use crate::aws::Clients;
use crate::contract::{Contract, ImageTag};
use crate::report::update::{StepResult, UpdateOutcome, UpdateReport};

#[derive(Debug, Clone)]
pub struct UpdateOptions {
    pub dry_run: bool,
    pub rollback: bool,
    pub force: bool,
    pub timeout: Duration,
    pub no_progress: Duration,
    pub failed_tasks_threshold: i32,
    pub pacing: Pacing,
}

#[derive(Debug, Clone)]
pub struct UpdateRequest {
    pub env: String,
    pub contract: Contract,
    /// Image kind (`backend`, `frontend`) → the tag to roll out.
    pub tags: BTreeMap<String, ImageTag>,
    pub options: UpdateOptions,
}

pub async fn run(
    clients: &Clients,
    request: &UpdateRequest,
    on_state: &(dyn Fn(&str, &str) + Sync),
) -> Result<UpdateReport, EcsError> {
    let started = Instant::now();
    let deadline = started + request.options.timeout;
    let contract = &request.contract;
    let options = &request.options;
    let mut report = UpdateReport::new(&request.env, &contract.cluster, options.dry_run);
    report.tags = request.tags.iter().map(|(k, v)| (k.clone(), v.to_string())).collect();

    // 1. Read: families, then services.
    let mut current = read::read(clients, request).await?;
    let targets = &current.targets;

    // 2. Plan.
    planned::record(clients, contract, options.dry_run, &current, &mut report)?;
    let rolling: Vec<usize> = (0..targets.len()).filter(|&k| targets[k].rolls).collect();
    let gate_needed = current.migration_wanted
        && rolling
            .iter()
            .any(|&k| contract.services[targets[k].index].image == contract.migration.image);
    if options.dry_run {
        report.outcome = UpdateOutcome::Planned;
        report.message = Some(format!(
            "{} of {} services would roll{}",
            rolling.len(),
            targets.len(),
            if gate_needed { ", after the migration task" } else { "" }
        ));
        if gate_needed {
            report.migration = Some(planned::migration(contract, &current.families));
        }
        return Ok(finished(report, started));
    }
    if rolling.is_empty() {
        report.outcome = UpdateOutcome::NothingToDo;
        report.message =
            Some("every service already runs the requested images; nothing was registered or rolled".into());
        return Ok(finished(report, started));
    }

    if let Some(report) = interrupted_before_writes(&mut report, started) {
        return Ok(report);
    }

    // From here on ECS changes. An AWS error must not lose the report of
    // what was already written, so it ends the run as a failure with it.
    if let Err(err) = write_and_watch(
        clients,
        request,
        &mut current,
        &rolling,
        gate_needed,
        deadline,
        &mut report,
        on_state,
    )
    .await
    {
        report.outcome = UpdateOutcome::Failed;
        report.message = Some(format!(
            "stopped by an AWS error after changes began: {}; what is listed here may already be in place",
            super::error_chain(&err)
        ));
    }
    Ok(finished(report, started))
}

/// Steps 3 to 6: register, the migration gate, the rollouts, the rollback.
/// Sets the report's outcome; an `Err` is an AWS call that failed.
#[allow(clippy::too_many_arguments)]
async fn write_and_watch(
    clients: &Clients,
    request: &UpdateRequest,
    current: &mut read::Current,
    rolling: &[usize],
    gate_needed: bool,
    deadline: Instant,
    report: &mut UpdateReport,
    on_state: &(dyn Fn(&str, &str) + Sync),
) -> Result<(), EcsError> {
    let contract = &request.contract;
    // 3. Register what is needed.
    register::register_needed(
        clients,
        contract,
        &mut current.families,
        &current.targets,
        rolling,
        gate_needed,
        report,
    )
    .await?;

    // 4. The migration gate.
    if gate_needed {
        let gate = gate::pass(clients, request, &current.families, deadline, on_state, report).await?;
        if let Some(outcome) = gate {
            report.outcome = outcome;
            report.message = Some("the migration did not pass, so no service was changed".into());
            return Ok(());
        }
    }

    if crate::interrupt::requested() {
        report.outcome = UpdateOutcome::Interrupted;
        report.message = Some("interrupted before the next change; nothing more was written".into());
        return Ok(());
    }

    // 5. Every rollout at once.
    let rolled = roll::roll_out(clients, request, current, rolling, deadline, report, on_state).await;
    if rolled.end == WatchEnd::Interrupted {
        report.outcome = UpdateOutcome::Interrupted;
        report.message =
            Some("interrupted: the deployments above are still in progress in ECS; nothing was rolled back".into());
        return Ok(());
    }
    let all_ok = !rolled.start_failed
        && rolled
            .watched
            .iter()
            .all(|w| matches!(w.verdict, Some((StepResult::Succeeded, _))));
    if all_ok {
        report.outcome = UpdateOutcome::Succeeded;
        return Ok(());
    }

    // 6. Roll back as a unit.
    rollback::after_failure(clients, request, &current.targets, &rolled, report, on_state).await
}

/// Every return stamps how long the run took.
fn finished(mut report: UpdateReport, started: Instant) -> UpdateReport {
    report.duration_secs = started.elapsed().as_secs_f64();
    report
}

/// Ctrl-C before a write: stop with nothing more changed.
fn interrupted_before_writes(report: &mut UpdateReport, started: Instant) -> Option<UpdateReport> {
    if !crate::interrupt::requested() {
        return None;
    }
    report.outcome = UpdateOutcome::Interrupted;
    report.message = Some("interrupted before the next change; nothing more was written".into());
    report.duration_secs = started.elapsed().as_secs_f64();
    Some(report.clone())
}
