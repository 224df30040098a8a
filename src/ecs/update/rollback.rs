//! Step 6 of the update: roll back as a unit. Every service this run
//! updated goes back to the revision it ran before — including the ones
//! whose rollout had succeeded — with the task count it had, and the
//! rollbacks are watched to the end.

use tokio::time::Instant;

use super::plan::{Plan, ServiceRun};
use super::roll::ReadBack;
use super::{Ending, UpdateRun};
use crate::ecs::progress::{Event, Subject};
use crate::ecs::rollout::{self, Watch, WatchEnd};
use crate::ecs::{error_chain, revision_of, within, EcsError};
use crate::outcome::update::{RollbackReport, StepResult, UpdateOutcome};

impl<'a> UpdateRun<'a> {
    /// After a rollout failed: rolls every updated service back (unless
    /// `--no-rollback`) and says how the run ends.
    pub(super) async fn after_failure(&self, plan: &mut Plan<'a>) -> Result<Ending, EcsError> {
        let timed_out = plan.services.iter().any(|s| s.entry.result == StepResult::TimedOut);
        let failed_names = stop_watching(plan);
        let failed = failed_names.join(", ");

        // A service whose UpdateService answer was lost and that could not
        // be read back: nobody knows where it is.
        let lost = plan
            .services
            .iter()
            .any(|s| s.entry.result == StepResult::Unknown && s.rollout.is_none());
        let outcome_unless_rolled_back = if timed_out {
            UpdateOutcome::TimedOut
        } else if lost {
            UpdateOutcome::Unknown
        } else {
            UpdateOutcome::Failed
        };
        if plan.services.iter().all(|s| s.rollout.is_none()) {
            return Ok(Ending::new(
                outcome_unless_rolled_back,
                format!("{failed} failed before any service changed: nothing to roll back"),
            ));
        }
        if !self.options().rollback {
            let outcome = outcome_unless_rolled_back;
            return Ok(Ending::new(
                outcome,
                "--no-rollback: the services stay where the failure left them",
            ));
        }
        // The rollback gets a budget of its own: the deadline that stopped
        // the rollout must not also strand the services half-way back.
        let deadline = Instant::now() + self.options().timeout;
        for s in plan.services.iter_mut().filter(|s| s.rollout.is_some()) {
            self.start_rollback(s, deadline).await;
        }
        let limits = self.limits(deadline, false);
        let mut watches: Vec<&mut Watch> = plan.services.iter_mut().filter_map(|s| s.rollback.as_mut()).collect();
        let end = self.watcher().watch(&mut watches, limits).await?;
        for s in plan.services.iter_mut() {
            s.record_rollback();
        }
        if end == WatchEnd::Interrupted {
            return Ok(Ending::new(
                UpdateOutcome::Interrupted,
                format!(
                    "{failed} failed; interrupted while rolling back: the rollbacks above are still in progress in ECS"
                ),
            ));
        }
        let all_back = plan
            .services
            .iter()
            .filter(|s| s.entry.deployment_id.is_some())
            .all(|s| {
                s.entry
                    .rollback
                    .as_ref()
                    .is_some_and(|r| r.result == StepResult::Succeeded)
            });
        let outcome = if all_back && !timed_out && !lost {
            UpdateOutcome::RolledBack
        } else {
            outcome_unless_rolled_back
        };
        let message = if all_back {
            format!("{failed} failed; every service this run updated is back on its previous revision")
        } else {
            format!("{failed} failed, and the rollback did not complete everywhere: check the services below")
        };
        Ok(Ending::new(outcome, message))
    }

    /// Points one service back at the revision it ran before, with the task
    /// count it had when the rollout changed it.
    async fn start_rollback(&self, s: &mut ServiceRun<'a>, deadline: Instant) {
        let failed = |to_revision, err: &EcsError| RollbackReport {
            to_revision,
            deployment_id: None,
            result: StepResult::Failed,
            reason: Some(error_chain(err)),
        };
        // The plan read the family's latest revision, which is what the
        // service ran unless someone rolled it by hand: no need to ask again.
        let previous = if s.before.arn == s.family.latest.arn {
            s.family.latest.clone()
        } else {
            let described = self.taskdef_by_arn(&s.before.arn, &s.spec.task_family);
            match within(deadline, "DescribeTaskDefinition", described).await {
                Ok(d) => d,
                Err(err) => {
                    s.entry.rollback = Some(failed(revision_of(&s.before.arn), &err));
                    return;
                }
            }
        };
        let restore = s.raised_to.map(|_| s.before.desired);
        let contract = self.contract();
        let update = rollout::start(
            &self.clients.ecs,
            &contract.cluster,
            &s.spec.service,
            &s.before.arn,
            restore,
        );
        let started = match within(deadline, "UpdateService", update).await {
            Ok(id) => Ok(id),
            // The answer may be lost with the call applied: read it back.
            Err(err) if err.lost_answer() => match self.read_back(s, &s.before.arn).await {
                ReadBack::Moved(id) => Ok(id),
                ReadBack::Stayed | ReadBack::Unreadable(_) => Err(err),
            },
            Err(err) => Err(err),
        };
        match started {
            Ok(id) => {
                self.progress.event(
                    Subject::Service(&s.spec.name),
                    Event::RollingBack {
                        to_revision: previous.revision,
                        deployment_id: &id,
                    },
                );
                s.entry.rollback = Some(RollbackReport {
                    to_revision: Some(previous.revision),
                    deployment_id: Some(id.clone()),
                    result: StepResult::InProgress,
                    reason: None,
                });
                s.rollback = Some(Watch::new(&s.spec.name, &s.spec.service, id, previous));
            }
            Err(err) => s.entry.rollback = Some(failed(Some(previous.revision), &err)),
        }
    }
}

impl ServiceRun<'_> {
    fn record_rollback(&mut self) {
        let (Some(w), Some(rb)) = (&self.rollback, self.entry.rollback.as_mut()) else {
            return;
        };
        let (result, reason) = w.verdict.clone().unwrap_or((StepResult::Interrupted, None));
        rb.result = result;
        rb.reason = reason;
        self.entry.running = w.running;
    }
}

/// After a failure: names the services that failed, and tells each one
/// still in progress why nobody watched it to the end.
fn stop_watching(plan: &mut Plan<'_>) -> Vec<String> {
    let failed_names: Vec<String> = plan
        .services
        .iter()
        .filter(|s| {
            matches!(
                s.entry.result,
                StepResult::Failed | StepResult::TimedOut | StepResult::Unknown
            )
        })
        .map(|s| s.spec.name.clone())
        .collect();
    for s in plan
        .services
        .iter_mut()
        .filter(|s| s.entry.result == StepResult::InProgress)
    {
        s.entry.reason = Some(format!("stopped watching: {} failed", failed_names.join(", ")));
    }
    failed_names
}
