//! One watcher for every rollout of a run: it follows the deployment each
//! `UpdateService` started — by id, not by "the service looks stable" — and
//! calls a verdict as soon as it can.

use std::collections::HashSet;
use std::time::Duration;

use aws_sdk_ecs::types::{Deployment, DeploymentRolloutState, Service};
use tokio::time::Instant;

use super::services::{describe_services, is_primary, last_event_about, matches_name, primary_id};
use super::stopped::{self, Judge};
use crate::ecs::pacing::{self, Pacer, Pacing, Wake};
use crate::ecs::progress::{Event, ProgressSink, Subject};
use crate::ecs::taskdef::Described;
use crate::ecs::{error_chain, within, EcsError};
use crate::outcome::update::{StepResult, TaskFailure};

/// What a watch ended with: the result and, unless it succeeded, why.
pub(crate) type Verdict = (StepResult, Option<String>);

/// One deployment being followed.
#[derive(Debug, Clone)]
pub(crate) struct Watch {
    pub(crate) name: String,
    pub(crate) service: String,
    pub(crate) deployment_id: String,
    /// The revision the deployment must end on.
    pub(crate) target: Described,
    pub(crate) started: Instant,
    pub(crate) desired: i32,
    pub(crate) running: i32,
    pub(crate) verdict: Option<Verdict>,
    pub(crate) failures: Vec<TaskFailure>,
    pub(crate) finished_after: Option<Duration>,
    pub(super) seen_tasks: HashSet<String>,
    /// The counts when the stopped tasks were last listed, and the tasks
    /// that list found still stopping.
    pub(super) listed: Option<Signature>,
    pub(super) stopping: Vec<String>,
    pub(super) last_signature: Option<Signature>,
    last_change: Instant,
    inspected_failed: i32,
    baking: Option<Baking>,
}

/// Where a watch's bake window started: when, and how many tasks ECS had
/// counted as failed by then.
#[derive(Debug, Clone, Copy)]
struct Baking {
    since: Instant,
    failed_before: i32,
}

/// What a poll compares to see whether a deployment moved: running,
/// pending and failed counts, and the rollout state.
pub(super) type Signature = (i32, i32, i32, Option<DeploymentRolloutState>);

impl Watch {
    pub(crate) fn new(name: &str, service: &str, deployment_id: String, target: Described) -> Self {
        let now = Instant::now();
        Watch {
            name: name.to_owned(),
            service: service.to_owned(),
            deployment_id,
            target,
            started: now,
            desired: 0,
            running: 0,
            verdict: None,
            failures: Vec::new(),
            finished_after: None,
            seen_tasks: HashSet::new(),
            listed: None,
            stopping: Vec::new(),
            last_signature: None,
            last_change: now,
            inspected_failed: 0,
            baking: None,
        }
    }

    pub(super) fn decide(&mut self, result: StepResult, reason: Option<String>) {
        self.verdict = Some((result, reason));
        self.finished_after = Some(self.started.elapsed());
    }

    pub(crate) fn failed(&self) -> bool {
        matches!(self.verdict, Some((StepResult::Failed | StepResult::TimedOut, _)))
    }

    /// Starts the bake window of a deployment that completed.
    pub(super) fn bake_from(&mut self, since: Instant) {
        let failed_before = self.last_signature.as_ref().map_or(0, |s| s.2);
        self.baking = Some(Baking { since, failed_before });
    }

    /// Tasks ECS counted as failed before the bake window.
    pub(super) fn failed_before_bake(&self) -> i32 {
        self.baking.map_or(0, |b| b.failed_before)
    }

    /// How long the bake window has run.
    pub(super) fn baked_for(&self) -> Duration {
        self.baking.map_or(Duration::ZERO, |b| b.since.elapsed())
    }

    pub(crate) fn elapsed(&self) -> Duration {
        self.finished_after.unwrap_or_else(|| self.started.elapsed())
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct WatchLimits {
    pub(crate) deadline: Instant,
    pub(crate) no_progress: Duration,
    pub(crate) failed_tasks_threshold: i32,
    pub(crate) pacing: Pacing,
    /// Stop at the first failure (rollouts) or see every watch through
    /// (rollbacks).
    pub(crate) fail_fast: bool,
}

/// ECS failing to answer, since when, and the last error it gave.
#[derive(Debug, Clone)]
struct Outage {
    since: Instant,
    error: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WatchEnd {
    /// Every watch has a verdict, or one failed and `fail_fast` is set.
    Decided,
    Interrupted,
}

pub(crate) struct RolloutWatcher<'a> {
    pub(crate) ecs: &'a aws_sdk_ecs::Client,
    pub(crate) logs: &'a aws_sdk_cloudwatchlogs::Client,
    pub(crate) cluster: &'a str,
    /// One event per state change of a service, for the progress display.
    pub(crate) progress: &'a dyn ProgressSink,
}

impl RolloutWatcher<'_> {
    /// Watches until every watch has a verdict (or, with `fail_fast`, one
    /// failed), the deadline passes, or Ctrl-C.
    pub(crate) async fn watch(&self, watches: &mut [&mut Watch], limits: WatchLimits) -> Result<WatchEnd, EcsError> {
        let mut pacer = Pacer::new(limits.pacing);
        // Set while ECS cannot be read: a read outage never decides a
        // verdict (a verdict can trigger a rollback, a write); it only
        // makes the watches "unknown" if it lasts to the deadline.
        let mut outage: Option<Outage> = None;
        // Each watch starts right after its UpdateService, whose answer
        // showed the deployment starting: the first look can wait.
        let mut changed = true;
        loop {
            if watches.iter().all(|w| w.verdict.is_some()) {
                return Ok(WatchEnd::Decided);
            }
            if Instant::now() >= limits.deadline {
                let verdict = match &outage {
                    Some(o) => (
                        StepResult::Unknown,
                        format!(
                            "the deadline passed while ECS could not be read (for {} s: {}); the deployment's state is unknown",
                            o.since.elapsed().as_secs(),
                            o.error
                        ),
                    ),
                    None => (
                        StepResult::TimedOut,
                        "the deadline passed before the deployment completed".to_owned(),
                    ),
                };
                for w in watches.iter_mut().filter(|w| w.verdict.is_none()) {
                    w.decide(verdict.0, Some(verdict.1.clone()));
                }
                return Ok(WatchEnd::Decided);
            }
            if pacing::sleep(pacer.next(changed), limits.deadline).await == Wake::Interrupted {
                return Ok(WatchEnd::Interrupted);
            }
            if Instant::now() >= limits.deadline {
                continue;
            }
            changed = match within(limits.deadline, "DescribeServices", self.poll(watches, &limits)).await {
                Ok(changed) => {
                    outage = None;
                    changed
                }
                Err(err) if !err.is_answer() => {
                    let error = error_chain(&err);
                    tracing::warn!("could not read the services, asking again: {error}");
                    let since = outage.as_ref().map_or_else(Instant::now, |o| o.since);
                    outage = Some(Outage { since, error });
                    false
                }
                Err(err) => return Err(err),
            };
            if limits.fail_fast && watches.iter().any(|w| w.failed()) {
                return Ok(WatchEnd::Decided);
            }
        }
    }

    /// One poll: describes the services still undecided and assesses each;
    /// `true` when one that is still undecided moved: only those have a
    /// verdict worth polling quickly for.
    async fn poll(&self, watches: &mut [&mut Watch], limits: &WatchLimits) -> Result<bool, EcsError> {
        let names: Vec<String> = watches
            .iter()
            .filter(|w| w.verdict.is_none())
            .map(|w| w.service.clone())
            .collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let services = describe_services(self.ecs, self.cluster, &names).await?;
        let mut changed = false;
        for w in watches.iter_mut().filter(|w| w.verdict.is_none()) {
            let Some(service) = services.iter().find(|s| matches_name(s, &w.service)) else {
                continue;
            };
            let moved = self.assess(w, service, limits).await?;
            changed |= moved && w.verdict.is_none();
        }
        Ok(changed)
    }

    /// Updates one watch from its service; `true` when anything moved.
    async fn assess(&self, w: &mut Watch, service: &Service, limits: &WatchLimits) -> Result<bool, EcsError> {
        let deployments = service.deployments();
        let Some(ours) = deployments.iter().find(|d| d.id() == Some(w.deployment_id.as_str())) else {
            let reason = gone(service, &w.deployment_id);
            self.progress
                .event(Subject::Service(&w.name), Event::Failed { reason: &reason });
            w.decide(StepResult::Failed, Some(reason));
            return Ok(true);
        };
        let rollout = ours.rollout_state();
        // The first look only confirms what UpdateService's answer showed:
        // a deployment starting, no verdict near.
        let first_look = w.last_signature.is_none();
        let changed = self.note_counts(w, ours) && !first_look;
        if rollout == Some(&DeploymentRolloutState::Failed) {
            stopped::inspect(self.ecs, self.logs, self.cluster, w, Judge::Crashes).await?;
            let reason = ours
                .rollout_state_reason()
                .unwrap_or("ECS marked the deployment FAILED")
                .to_owned();
            w.decide(StepResult::Failed, Some(reason));
        } else if !is_primary(ours) {
            let primary = primary_id(service).unwrap_or("another deployment");
            w.decide(
                StepResult::Failed,
                Some(format!("{primary} replaced this run's deployment")),
            );
        } else if rollout == Some(&DeploymentRolloutState::Completed)
            && ours.task_definition() == Some(w.target.arn.as_str())
        {
            w.decide(StepResult::Succeeded, None);
        } else if ours.failed_tasks() > w.inspected_failed {
            let crashed = stopped::inspect(self.ecs, self.logs, self.cluster, w, Judge::Crashes)
                .await?
                .first;
            // A failed task still STOPPING is looked at again next poll.
            if crashed.is_some() || w.seen_tasks.len() >= ours.failed_tasks() as usize {
                w.inspected_failed = ours.failed_tasks();
            }
            if ours.failed_tasks() >= limits.failed_tasks_threshold {
                w.decide(
                    StepResult::Failed,
                    Some(format!("{} tasks of the deployment failed", ours.failed_tasks())),
                );
            } else if let Some(first) = crashed {
                w.decide(StepResult::Failed, Some(first));
            }
        } else if w.last_change.elapsed() >= limits.no_progress {
            w.decide(
                StepResult::Failed,
                Some(format!(
                    "no progress for {} s ({}, {}/{} running)",
                    limits.no_progress.as_secs(),
                    rollout.map_or("UNKNOWN", |s| s.as_str()),
                    w.running,
                    w.desired
                )),
            );
        }
        if let Some((result, reason)) = &w.verdict {
            if *result != StepResult::Succeeded {
                tracing::warn!("{}: {}", w.name, reason.as_deref().unwrap_or("failed"));
            }
        }
        Ok(changed)
    }
}

impl RolloutWatcher<'_> {
    /// Records the deployment's counts in the watch and shows them when
    /// they moved; `true` when they did.
    pub(super) fn note_counts(&self, w: &mut Watch, ours: &Deployment) -> bool {
        let rollout = ours.rollout_state();
        let signature = (
            ours.running_count(),
            ours.pending_count(),
            ours.failed_tasks(),
            rollout.cloned(),
        );
        w.desired = ours.desired_count();
        w.running = ours.running_count();
        if w.last_signature.as_ref() == Some(&signature) {
            return false;
        }
        w.last_signature = Some(signature);
        w.last_change = Instant::now();
        self.progress.event(
            Subject::Service(&w.name),
            Event::Rollout {
                state: rollout,
                running: ours.running_count(),
                desired: ours.desired_count(),
                pending: ours.pending_count(),
                failed: ours.failed_tasks(),
            },
        );
        true
    }
}

/// Why the deployment a watch follows is no longer in the service: ECS
/// drops a failed deployment once its tasks are gone, maybe between two
/// polls; its events still say what happened.
pub(super) fn gone(service: &Service, deployment_id: &str) -> String {
    match (last_event_about(service, deployment_id), primary_id(service)) {
        (Some(event), _) => event,
        (None, Some(p)) => format!("deployment {deployment_id} is gone; {p} is the service's deployment now"),
        (None, None) => format!("deployment {deployment_id} is gone"),
    }
}

#[cfg(test)]
mod tests;
