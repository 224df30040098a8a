//! Step 5 of the update: start every rollout at once, then watch them
//! together, failing fast: the first service that fails decides the run.

use futures_util::future::join_all;

use super::plan::{Plan, ServiceRun};
use super::{RollEnd, UpdateRun};
use crate::ecs::error_chain;
use crate::ecs::progress::{Event, Subject};
use crate::ecs::rollout::{self, RolloutWatcher, Watch, WatchEnd, WatchLimits};
use crate::outcome::update::StepResult;

impl<'a> UpdateRun<'a> {
    /// Starts the rolling services on their settled revision, watches them,
    /// and fills in their report entries.
    pub(super) async fn roll_out(&self, plan: &mut Plan<'a>) -> RollEnd {
        let starts = plan
            .services
            .iter_mut()
            .filter(|s| s.rolls)
            .map(|s| self.start_rollout(s));
        let started: Vec<bool> = join_all(starts).await;
        let start_failed = started.iter().any(|ok| !ok);

        let mut watches: Vec<&mut Watch> = plan.services.iter_mut().filter_map(|s| s.rollout.as_mut()).collect();
        let end = if start_failed {
            WatchEnd::Decided
        } else {
            match self
                .watcher()
                .watch(&mut watches, self.limits(self.deadline, true))
                .await
            {
                Ok(end) => end,
                Err(err) => {
                    let reason = format!("lost track of the deployments: {}", error_chain(&err));
                    for w in watches.iter_mut().filter(|w| w.verdict.is_none()) {
                        w.verdict = Some((StepResult::Failed, Some(reason.clone())));
                    }
                    WatchEnd::Decided
                }
            }
        };
        for s in plan.services.iter_mut() {
            s.record_rollout();
        }
        let all_ok = plan.services.iter().filter(|s| s.rolls).all(|s| {
            s.rollout
                .as_ref()
                .is_some_and(|w| w.verdict.as_ref().is_some_and(|v| v.0 == StepResult::Succeeded))
        });
        match (end, start_failed || !all_ok) {
            (WatchEnd::Interrupted, _) => RollEnd::Interrupted,
            (WatchEnd::Decided, false) => RollEnd::AllSucceeded,
            (WatchEnd::Decided, true) => RollEnd::SomeFailed,
        }
    }

    /// `UpdateService` for one service; `false` when it could not start.
    async fn start_rollout(&self, s: &mut ServiceRun<'a>) -> bool {
        let Some(target) = s.target.clone() else {
            return false;
        };
        // A service fresh from the IaC sits at 0 tasks: it gets the
        // contract's count. Others keep theirs; autoscaling owns it.
        let raise = (s.before.desired == 0).then_some(s.spec.desired_count);
        s.entry.new_revision = Some(target.revision);
        let contract = self.contract();
        match rollout::start(
            &self.clients.ecs,
            &contract.cluster,
            &s.spec.service,
            &target.arn,
            raise,
        )
        .await
        {
            Ok(id) => {
                self.progress.event(
                    Subject::Service(&s.spec.name),
                    Event::DeploymentStarted { deployment_id: &id },
                );
                s.raised_to = raise;
                s.entry.deployment_id = Some(id.clone());
                s.entry.result = StepResult::InProgress;
                s.rollout = Some(Watch::new(&s.spec.name, &s.spec.service, id, target));
                true
            }
            Err(err) => {
                s.entry.result = StepResult::Failed;
                s.entry.reason = Some(format!("{}", aws_sdk_ecs::error::DisplayErrorContext(&err)));
                false
            }
        }
    }

    pub(super) fn watcher(&self) -> RolloutWatcher<'_> {
        RolloutWatcher {
            ecs: &self.clients.ecs,
            logs: &self.clients.logs,
            cluster: &self.contract().cluster,
            progress: self.progress,
        }
    }

    pub(super) fn limits(&self, deadline: tokio::time::Instant, fail_fast: bool) -> WatchLimits {
        let options = self.options();
        WatchLimits {
            deadline,
            no_progress: options.no_progress,
            failed_tasks_threshold: options.failed_tasks_threshold,
            pacing: options.pacing,
            fail_fast,
        }
    }
}

impl ServiceRun<'_> {
    /// Copies what the rollout's watch learned into the report entry.
    fn record_rollout(&mut self) {
        let Some(w) = &self.rollout else { return };
        self.entry.desired = w.desired;
        self.entry.running = w.running;
        self.entry.failed_tasks = w.failures.clone();
        self.entry.duration_secs = w.elapsed().as_secs_f64();
        if let Some((result, reason)) = &w.verdict {
            self.entry.result = *result;
            self.entry.reason = reason.clone();
        }
    }
}
