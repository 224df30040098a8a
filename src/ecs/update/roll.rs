//! Step 5 of the update: start every rollout, then watch them together,
//! failing fast: the first service that fails decides the run.
//!
//! The `UpdateService` calls go one after another — a few hundred
//! milliseconds in all — so that Ctrl-C or a failed call stops the next
//! write instead of racing it. A call whose answer is lost may still have
//! been applied: the service is read back, and what it shows is recorded.

use std::time::Duration;

use tokio::time::Instant;

use super::plan::{Plan, ServiceRun};
use super::{RollEnd, UpdateRun};
use crate::ecs::progress::{Event, Subject};
use crate::ecs::rollout::{self, services, RolloutWatcher, Watch, WatchEnd, WatchLimits};
use crate::ecs::{error_chain, revision_of, within};
use crate::outcome::update::StepResult;

/// How long reading a service back after a lost answer may take.
const READ_BACK_BUDGET: Duration = Duration::from_secs(30);

/// How one `UpdateService` went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    /// The deployment started, answered or read back.
    Started,
    /// It failed and the service was not changed, or that is not known.
    NotStarted,
}

impl<'a> UpdateRun<'a> {
    /// Starts the rolling services on their settled revision, watches them,
    /// and fills in their report entries.
    pub(super) async fn roll_out(&self, plan: &mut Plan<'a>) -> RollEnd {
        let mut start_failed = false;
        let mut interrupted = false;
        for s in plan.services.iter_mut().filter(|s| s.rolls) {
            if crate::interrupt::requested() {
                interrupted = true;
                break;
            }
            if self.start_rollout(s).await == Start::NotStarted {
                start_failed = true;
                break;
            }
        }
        if start_failed || interrupted {
            let why = if interrupted {
                "not updated: interrupted first"
            } else {
                "not updated: an earlier service could not be"
            };
            for s in plan
                .services
                .iter_mut()
                .filter(|s| s.rolls && s.entry.result == StepResult::Skipped)
            {
                s.entry.reason = Some(why.to_owned());
            }
        }

        let mut watches: Vec<&mut Watch> = plan.services.iter_mut().filter_map(|s| s.rollout.as_mut()).collect();
        let end = if interrupted {
            WatchEnd::Interrupted
        } else if start_failed {
            WatchEnd::Decided
        } else {
            match self
                .watcher()
                .watch(&mut watches, self.limits(self.deadline, true))
                .await
            {
                Ok(end) => end,
                // Only an answer ends a watch early (the service was deleted
                // under it, say): that is a failure the run saw.
                Err(err) => {
                    let reason = format!("lost track of the deployments: {}", error_chain(&err));
                    for w in watches.iter_mut().filter(|w| w.verdict.is_none()) {
                        w.verdict = Some((StepResult::Failed, Some(reason.clone())));
                    }
                    WatchEnd::Decided
                }
            }
        };
        let held = |w: &&mut Watch| matches!(w.verdict, Some((StepResult::Succeeded, _)));
        let bake_due = end == WatchEnd::Decided && !start_failed && !self.options().bake.is_zero();
        if bake_due && watches.iter().all(held) {
            plan.bake = Some(self.bake(&mut watches).await);
        }
        for s in plan.services.iter_mut() {
            s.record_rollout();
        }
        let rolling = || plan.services.iter().filter(|s| s.rolls);
        let failed = rolling().any(|s| matches!(s.entry.result, StepResult::Failed | StepResult::TimedOut));
        let unknown = rolling().any(|s| s.entry.result == StepResult::Unknown);
        match end {
            WatchEnd::Interrupted => RollEnd::Interrupted,
            WatchEnd::Decided if start_failed || failed => RollEnd::SomeFailed,
            WatchEnd::Decided if unknown => RollEnd::Unknown,
            WatchEnd::Decided => match plan.bake.as_ref().map(|b| b.result) {
                Some(StepResult::Interrupted) => RollEnd::InterruptedBaking,
                Some(StepResult::Unknown) => RollEnd::BakeUnread,
                _ => RollEnd::AllSucceeded,
            },
        }
    }

    /// `UpdateService` for one service.
    async fn start_rollout(&self, s: &mut ServiceRun<'a>) -> Start {
        let Some(target) = s.target.clone() else {
            return Start::NotStarted;
        };
        // A service fresh from the IaC sits at 0 tasks: it gets the
        // contract's count. Others keep theirs; autoscaling owns it.
        let raise = (s.before.desired == 0).then_some(s.spec.desired_count);
        s.entry.new_revision = Some(target.revision);
        let contract = self.contract();
        let update = rollout::start(
            &self.clients.ecs,
            &contract.cluster,
            &s.spec.service,
            &target.arn,
            raise,
        );
        let (id, lost) = match within(self.deadline, "UpdateService", update).await {
            Ok(id) => (id, None),
            Err(err) => match self.read_back(s, &target.arn).await {
                ReadBack::Moved(id) => (id, Some(error_chain(&err))),
                ReadBack::Stayed => {
                    s.entry.result = StepResult::Failed;
                    s.entry.reason = Some(format!(
                        "{}; read back, the service is still on revision {}",
                        error_chain(&err),
                        revision_of(&s.before.arn).map_or_else(|| "?".to_owned(), |r| r.to_string())
                    ));
                    return Start::NotStarted;
                }
                ReadBack::Unreadable(read_err) => {
                    s.entry.result = StepResult::Unknown;
                    s.entry.reason = Some(format!(
                        "outcome unknown: UpdateService's answer was lost ({}) and the service could not be read back ({read_err}); check it in ECS",
                        error_chain(&err)
                    ));
                    return Start::NotStarted;
                }
            },
        };
        self.progress.event(
            Subject::Service(&s.spec.name),
            Event::DeploymentStarted { deployment_id: &id },
        );
        s.raised_to = raise;
        s.entry.deployment_id = Some(id.clone());
        s.rollout = Some(Watch::new(&s.spec.name, &s.spec.service, id, target));
        match lost {
            None => {
                s.entry.result = StepResult::InProgress;
                Start::Started
            }
            // It moved, but the run cannot trust a write it never heard
            // back from: it fails, and this service is rolled back too.
            Some(err) => {
                s.entry.result = StepResult::Unknown;
                s.entry.reason = Some(format!(
                    "outcome unknown: UpdateService's answer was lost ({err}); read back, the service is on the new revision"
                ));
                if let Some(w) = s.rollout.as_mut() {
                    w.verdict = Some((StepResult::Unknown, s.entry.reason.clone()));
                }
                Start::NotStarted
            }
        }
    }

    /// After a failed `UpdateService`: did the service move to `target`?
    pub(super) async fn read_back(&self, s: &ServiceRun<'a>, target: &str) -> ReadBack {
        let contract = self.contract();
        let names = [s.spec.service.as_str()];
        let read = rollout::describe_services(&self.clients.ecs, &contract.cluster, &names);
        // Worth asking even when the run's deadline is what cut the write
        // short: the report must say where the service is.
        let budget = self.deadline.max(Instant::now() + READ_BACK_BUDGET);
        match within(budget, "DescribeServices", read).await {
            Ok(found) => {
                let primary = found
                    .iter()
                    .filter(|svc| rollout::matches_name(svc, &s.spec.service))
                    .flat_map(|svc| svc.deployments())
                    .find(|d| services::is_primary(d) && d.task_definition() == Some(target));
                match primary.and_then(|d| d.id()) {
                    Some(id) => ReadBack::Moved(id.to_owned()),
                    None => ReadBack::Stayed,
                }
            }
            Err(err) => ReadBack::Unreadable(error_chain(&err)),
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

/// What reading a service back after a failed `UpdateService` showed.
pub(super) enum ReadBack {
    /// Its PRIMARY deployment is on the target: the update took effect.
    Moved(String),
    Stayed,
    Unreadable(String),
}
