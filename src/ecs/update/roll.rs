//! Step 5 of the update: start every rollout at once, then watch them
//! together, failing fast: the first service that fails decides the run.

use tokio::time::Instant;

use super::read::Current;
use super::UpdateRequest;
use crate::aws::Clients;
use crate::ecs::rollout::{self, RolloutWatcher, Watch, WatchEnd, WatchLimits};
use crate::report::update::{ServiceReport, StepResult, UpdateReport};

/// How the rollouts went.
pub(super) struct Rolled {
    /// Every rollout that started, by its index in the targets (and the
    /// report's services), in that order.
    pub(super) watches: Vec<(usize, Watch)>,
    /// The same watches once watched, each with its verdict.
    pub(super) watched: Vec<Watch>,
    /// A rollout could not start, so none was watched.
    pub(super) start_failed: bool,
    pub(super) end: WatchEnd,
}

/// Starts the `rolling` targets on their family's target revision, watches
/// them, and fills in their report entries.
pub(super) async fn roll_out(
    clients: &Clients,
    request: &UpdateRequest,
    current: &Current,
    rolling: &[usize],
    deadline: Instant,
    report: &mut UpdateReport,
    on_state: &(dyn Fn(&str, &str) + Sync),
) -> Rolled {
    let contract = &request.contract;
    let options = &request.options;
    let targets = &current.targets;
    let families = &current.families;
    let mut starts = tokio::task::JoinSet::new();
    for &k in rolling {
        let spec = contract.services[targets[k].index].clone();
        let family = &families[&spec.task_family];
        let target = family.target.clone().unwrap_or_else(|| family.latest.clone());
        let desired = (targets[k].desired_count == 0).then_some(spec.desired_count);
        let ecs = clients.ecs.clone();
        let cluster = contract.cluster.clone();
        starts.spawn(async move {
            let id = rollout::start(&ecs, &cluster, &spec.service, &target.arn, desired).await;
            (k, target, id)
        });
    }
    let mut watches: Vec<(usize, Watch)> = Vec::new();
    let mut start_failed = false;
    while let Some(joined) = starts.join_next().await {
        let Ok((k, target, id)) = joined else {
            start_failed = true;
            continue;
        };
        let spec = &contract.services[targets[k].index];
        let entry = &mut report.services[k];
        entry.new_revision = Some(target.revision);
        match id {
            Ok(id) => {
                on_state(&spec.name, &format!("deployment {id} started"));
                entry.deployment_id = Some(id.clone());
                entry.result = StepResult::InProgress;
                watches.push((k, Watch::new(&spec.name, &spec.service, id, target)));
            }
            Err(err) => {
                start_failed = true;
                entry.result = StepResult::Failed;
                entry.reason = Some(format!("{}", aws_sdk_ecs::error::DisplayErrorContext(&err)));
            }
        }
    }
    watches.sort_by_key(|(k, _)| *k);
    let watcher = RolloutWatcher {
        ecs: &clients.ecs,
        logs: &clients.logs,
        cluster: &contract.cluster,
        on_state,
    };
    let limits = WatchLimits {
        deadline,
        no_progress: options.no_progress,
        failed_tasks_threshold: options.failed_tasks_threshold,
        pacing: options.pacing,
        fail_fast: true,
    };
    let mut ws: Vec<Watch> = watches.iter().map(|(_, w)| w.clone()).collect();
    let end = if start_failed {
        WatchEnd::Decided
    } else {
        match watcher.watch(&mut ws, limits).await {
            Ok(end) => end,
            Err(err) => {
                let reason = format!("lost track of the deployments: {}", crate::ecs::error_chain(&err));
                for w in ws.iter_mut().filter(|w| w.verdict.is_none()) {
                    w.verdict = Some((StepResult::Failed, Some(reason.clone())));
                }
                WatchEnd::Decided
            }
        }
    };
    for ((k, _), w) in watches.iter().zip(&ws) {
        fill(&mut report.services[*k], w);
    }
    Rolled {
        watches,
        watched: ws,
        start_failed,
        end,
    }
}

/// After a failure: names the services that failed, and tells each one
/// still in progress why nobody watched it to the end.
pub(super) fn stop_watching(report: &mut UpdateReport) -> Vec<String> {
    let failed_names: Vec<String> = report
        .services
        .iter()
        .filter(|s| matches!(s.result, StepResult::Failed | StepResult::TimedOut))
        .map(|s| s.name.clone())
        .collect();
    for s in report
        .services
        .iter_mut()
        .filter(|s| s.result == StepResult::InProgress)
    {
        s.reason = Some(format!("stopped watching: {} failed", failed_names.join(", ")));
    }
    failed_names
}

fn fill(entry: &mut ServiceReport, w: &Watch) {
    entry.desired = w.desired;
    entry.running = w.running;
    entry.failed_tasks = w.failures.clone();
    entry.duration_secs = w.finished_after.unwrap_or_else(|| w.started.elapsed()).as_secs_f64();
    if let Some((result, reason)) = &w.verdict {
        entry.result = *result;
        entry.reason = reason.clone();
    }
}
