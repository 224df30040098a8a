//! Step 6 of the update: roll back as a unit. Every service this run
//! updated goes back to the revision it ran before — including the ones
//! whose rollout had succeeded — and the rollbacks are watched to the end.

use tokio::time::Instant;

use super::read::{taskdef_by_arn, Target};
use super::roll::{self, Rolled};
use super::{UpdateOptions, UpdateRequest};
use crate::aws::Clients;
use crate::contract::Contract;
use crate::ecs::rollout::{self, RolloutWatcher, Watch, WatchEnd, WatchLimits};
use crate::ecs::{revision_of, EcsError};
use crate::report::update::{RollbackReport, StepResult, UpdateOutcome, UpdateReport};

/// After a rollout failed: rolls every updated service back (unless
/// `--no-rollback`) and sets the run's outcome and message.
pub(super) async fn after_failure(
    clients: &Clients,
    request: &UpdateRequest,
    targets: &[Target],
    rolled: &Rolled,
    report: &mut UpdateReport,
    on_state: &(dyn Fn(&str, &str) + Sync),
) -> Result<(), EcsError> {
    let contract = &request.contract;
    let options = &request.options;
    let timed_out = rolled
        .watched
        .iter()
        .any(|w| matches!(w.verdict, Some((StepResult::TimedOut, _))));
    let failed_names = roll::stop_watching(report);

    if !options.rollback {
        report.outcome = if timed_out {
            UpdateOutcome::TimedOut
        } else {
            UpdateOutcome::Failed
        };
        report.message = Some("--no-rollback: the services stay where the failure left them".into());
        return Ok(());
    }
    let (rollback_ok, end) = roll_back(clients, contract, targets, &rolled.watches, report, options, on_state).await?;
    if end == WatchEnd::Interrupted {
        report.outcome = UpdateOutcome::Interrupted;
        report.message = Some(format!(
            "{} failed; interrupted while rolling back: the rollbacks above are still in progress in ECS",
            failed_names.join(", ")
        ));
        return Ok(());
    }
    report.outcome = if timed_out {
        UpdateOutcome::TimedOut
    } else if rollback_ok {
        UpdateOutcome::RolledBack
    } else {
        UpdateOutcome::Failed
    };
    report.message = Some(if rollback_ok {
        format!(
            "{} failed; every service this run updated is back on its previous revision",
            failed_names.join(", ")
        )
    } else {
        format!(
            "{} failed, and the rollback did not complete everywhere: check the services below",
            failed_names.join(", ")
        )
    });
    Ok(())
}

/// Whether every updated service is back on its previous revision, and how
/// watching the rollbacks ended.
async fn roll_back(
    clients: &Clients,
    contract: &Contract,
    targets: &[Target],
    watches: &[(usize, Watch)],
    report: &mut UpdateReport,
    options: &UpdateOptions,
    on_state: &(dyn Fn(&str, &str) + Sync),
) -> Result<(bool, WatchEnd), EcsError> {
    let mut back: Vec<(usize, Watch)> = Vec::new();
    for (k, _) in watches {
        let t = &targets[*k];
        let spec = &contract.services[t.index];
        let previous = match taskdef_by_arn(clients, &t.current_arn, &spec.task_family).await {
            Ok(d) => d,
            Err(err) => {
                report.services[*k].rollback = Some(RollbackReport {
                    to_revision: revision_of(&t.current_arn),
                    deployment_id: None,
                    result: StepResult::Failed,
                    reason: Some(crate::ecs::error_chain(&err)),
                });
                continue;
            }
        };
        match rollout::start(&clients.ecs, &contract.cluster, &spec.service, &t.current_arn, None).await {
            Ok(id) => {
                on_state(
                    &spec.name,
                    &format!("rolling back to revision {} ({id})", previous.revision),
                );
                report.services[*k].rollback = Some(RollbackReport {
                    to_revision: Some(previous.revision),
                    deployment_id: Some(id.clone()),
                    result: StepResult::InProgress,
                    reason: None,
                });
                back.push((*k, Watch::new(&spec.name, &spec.service, id, previous)));
            }
            Err(err) => {
                report.services[*k].rollback = Some(RollbackReport {
                    to_revision: Some(previous.revision),
                    deployment_id: None,
                    result: StepResult::Failed,
                    reason: Some(crate::ecs::error_chain(&err)),
                });
            }
        }
    }
    let mut ws: Vec<Watch> = back.iter().map(|(_, w)| w.clone()).collect();
    let watcher = RolloutWatcher {
        ecs: &clients.ecs,
        logs: &clients.logs,
        cluster: &contract.cluster,
        on_state,
    };
    // The rollback gets a budget of its own: the deadline that stopped the
    // rollout must not also strand the services half-way back.
    let limits = WatchLimits {
        deadline: Instant::now() + options.timeout,
        no_progress: options.no_progress,
        failed_tasks_threshold: options.failed_tasks_threshold,
        pacing: options.pacing,
        fail_fast: false,
    };
    let end = watcher.watch(&mut ws, limits).await?;
    let mut all_ok = end == WatchEnd::Decided;
    for ((k, _), w) in back.iter().zip(&ws) {
        if let Some(rb) = report.services[*k].rollback.as_mut() {
            let (result, reason) = w.verdict.clone().unwrap_or((StepResult::Interrupted, None));
            all_ok &= result == StepResult::Succeeded;
            rb.result = result;
            rb.reason = reason;
        }
        report.services[*k].running = w.running;
    }
    all_ok &= report
        .services
        .iter()
        .filter(|s| s.deployment_id.is_some())
        .all(|s| s.rollback.as_ref().is_some_and(|r| r.result == StepResult::Succeeded));
    Ok((all_ok, end))
}
