//! The bake window (`--bake`): a release can pass its health checks, let
//! ECS call its deployment COMPLETED, and fail minutes later. Once every
//! rollout of a run completed, the watcher keeps following the same
//! deployments for a while, at the rollout's pace and with the same one
//! DescribeServices per ten services, and fails a service as soon as a task
//! of its new revision crashes or fails its health check, or ECS replaces
//! its deployment.

use std::time::Duration;

use aws_sdk_ecs::types::{DeploymentRolloutState, Service};
use tokio::time::Instant;

use super::services::{describe_services, is_primary, matches_name, primary_id};
use super::stopped::{self, Judge};
use super::watch::{gone, RolloutWatcher, Watch};
use crate::ecs::pacing::{self, Pacer, Pacing, Wake};
use crate::ecs::progress::{Event, Subject};
use crate::ecs::{error_chain, within, EcsError};
use crate::outcome::update::StepResult;

/// The last look, at the end of the window, may take this long: the window
/// itself is no deadline for an answer already asked for.
const LAST_LOOK: Duration = Duration::from_secs(30);

/// How a bake window ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BakeEnd {
    /// The window passed and every service held.
    Held,
    /// A service failed: its watch has the verdict.
    Failed,
    /// ECS could not be read when the window ended (the last error):
    /// whether the services held is not known.
    Unreadable(String),
    Interrupted,
}

impl RolloutWatcher<'_> {
    /// Watches deployments that completed for `window` more. Each watch
    /// keeps its success unless a failure shows within the window.
    pub(crate) async fn bake(
        &self,
        watches: &mut [&mut Watch],
        window: Duration,
        pacing: Pacing,
    ) -> Result<BakeEnd, EcsError> {
        let started = Instant::now();
        let until = started + window;
        for w in watches.iter_mut() {
            w.bake_from(started);
        }
        let mut pacer = Pacer::new(pacing);
        let mut changed = false;
        let mut outage: Option<String> = None;
        loop {
            if pacing::sleep(pacer.next(changed), until).await == Wake::Interrupted {
                return Ok(BakeEnd::Interrupted);
            }
            // After an outage the counts may have recovered: the stopped
            // tasks still tell.
            let look_again = outage.is_some();
            let poll = self.poll_baking(watches, look_again);
            match within(until.max(Instant::now() + LAST_LOOK), "DescribeServices", poll).await {
                Ok(moved) => {
                    outage = None;
                    changed = moved;
                }
                Err(err) if !err.is_answer() => {
                    let error = error_chain(&err);
                    tracing::warn!("could not read the services during the bake window, asking again: {error}");
                    outage = Some(error);
                    changed = false;
                }
                Err(err) => return Err(err),
            }
            if watches.iter().any(|w| w.failed()) {
                return Ok(BakeEnd::Failed);
            }
            if Instant::now() >= until {
                return Ok(outage.map_or(BakeEnd::Held, BakeEnd::Unreadable));
            }
        }
    }

    /// One poll of every baking service; `true` when anything moved.
    async fn poll_baking(&self, watches: &mut [&mut Watch], look_again: bool) -> Result<bool, EcsError> {
        let names: Vec<&str> = watches.iter().map(|w| w.service.as_str()).collect();
        let services = describe_services(self.ecs, self.cluster, &names).await?;
        let mut changed = false;
        for w in watches.iter_mut() {
            let Some(service) = services.iter().find(|s| matches_name(s, &w.service)) else {
                continue;
            };
            changed |= self.assess_baking(w, service, look_again).await?;
            if w.failed() {
                break;
            }
        }
        Ok(changed)
    }

    /// Whether a deployment that had completed still holds; `true` when
    /// its counts moved.
    async fn assess_baking(&self, w: &mut Watch, service: &Service, look_again: bool) -> Result<bool, EcsError> {
        let Some(ours) = service
            .deployments()
            .iter()
            .find(|d| d.id() == Some(w.deployment_id.as_str()))
        else {
            let reason = gone(service, &w.deployment_id);
            self.fail_baking(w, reason);
            return Ok(true);
        };
        let changed = self.note_counts(w, ours);
        if look_again {
            w.listed = None;
        }
        let failed_tasks = ours.failed_tasks();
        if ours.rollout_state() == Some(&DeploymentRolloutState::Failed) {
            let reason = ours
                .rollout_state_reason()
                .unwrap_or("ECS marked the deployment FAILED");
            self.fail_baking(w, reason.to_owned());
        } else if !is_primary(ours) {
            let primary = primary_id(service).unwrap_or("another deployment");
            self.fail_baking(w, format!("{primary} replaced this run's deployment"));
        } else if look_again
            || ours.running_count() < ours.desired_count()
            || ours.pending_count() > 0
            || failed_tasks > w.failed_before_bake()
        {
            // Something stopped (or is being replaced): which task, and why.
            let found = stopped::inspect(self.ecs, self.logs, self.cluster, w, Judge::CrashesAndHealthChecks).await?;
            if let Some(first) = found.first {
                self.fail_baking(w, first);
            } else if failed_tasks > w.failed_before_bake() && found.stopping == 0 {
                let count = failed_tasks - w.failed_before_bake();
                self.fail_baking(w, format!("ECS counted {count} failed tasks of the deployment"));
            }
        }
        Ok(changed)
    }

    fn fail_baking(&self, w: &mut Watch, reason: String) {
        let into = w.baked_for().as_secs();
        let reason = format!("failed after its rollout completed, {into} s into the bake window: {reason}");
        tracing::warn!("{}: {reason}", w.name);
        self.progress
            .event(Subject::Service(&w.name), Event::Failed { reason: &reason });
        w.decide(StepResult::Failed, Some(reason));
    }
}

#[cfg(test)]
mod tests;
