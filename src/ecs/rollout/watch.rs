//! One watcher for every rollout of a run: it follows the deployment each
//! `UpdateService` started — by id, not by "the service looks stable" — and
//! calls a verdict as soon as it can.

use std::collections::HashSet;
use std::time::Duration;

use aws_sdk_ecs::types::{DeploymentRolloutState, Service};
use tokio::time::Instant;

use super::services::{describe_services, is_primary, last_event_about, matches_name, primary_id};
use super::stopped;
use crate::ecs::pacing::{self, Pacer, Pacing, Wake};
use crate::ecs::progress::{Event, ProgressSink, Subject};
use crate::ecs::taskdef::Described;
use crate::ecs::EcsError;
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
    last_signature: Option<(i32, i32, i32, Option<DeploymentRolloutState>)>,
    last_change: Instant,
    inspected_failed: i32,
}

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
            last_signature: None,
            last_change: now,
            inspected_failed: 0,
        }
    }

    fn decide(&mut self, result: StepResult, reason: Option<String>) {
        self.verdict = Some((result, reason));
        self.finished_after = Some(self.started.elapsed());
    }

    pub(crate) fn failed(&self) -> bool {
        matches!(self.verdict, Some((StepResult::Failed | StepResult::TimedOut, _)))
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
        loop {
            if watches.iter().all(|w| w.verdict.is_some()) {
                return Ok(WatchEnd::Decided);
            }
            if Instant::now() >= limits.deadline {
                for w in watches.iter_mut().filter(|w| w.verdict.is_none()) {
                    w.decide(
                        StepResult::TimedOut,
                        Some("the deadline passed before the deployment completed".into()),
                    );
                }
                return Ok(WatchEnd::Decided);
            }
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
                changed |= self.assess(w, service, &limits).await?;
            }
            if limits.fail_fast && watches.iter().any(|w| w.failed()) {
                return Ok(WatchEnd::Decided);
            }
            if watches.iter().all(|w| w.verdict.is_some()) {
                return Ok(WatchEnd::Decided);
            }
            if pacing::sleep(pacer.next(changed), limits.deadline).await == Wake::Interrupted {
                return Ok(WatchEnd::Interrupted);
            }
        }
    }

    /// Updates one watch from its service; `true` when anything moved.
    async fn assess(&self, w: &mut Watch, service: &Service, limits: &WatchLimits) -> Result<bool, EcsError> {
        let subject = Subject::Service(&w.name);
        let deployments = service.deployments();
        let Some(ours) = deployments.iter().find(|d| d.id() == Some(w.deployment_id.as_str())) else {
            // ECS drops a failed deployment once its tasks are gone, maybe
            // between two polls; its events still say what happened.
            let reason = match (last_event_about(service, &w.deployment_id), primary_id(service)) {
                (Some(event), _) => event,
                (None, Some(p)) => format!(
                    "deployment {} is gone; {p} is the service's deployment now",
                    w.deployment_id
                ),
                (None, None) => format!("deployment {} is gone", w.deployment_id),
            };
            self.progress.event(subject, Event::Failed { reason: &reason });
            w.decide(StepResult::Failed, Some(reason));
            return Ok(true);
        };
        w.desired = ours.desired_count();
        w.running = ours.running_count();
        let rollout = ours.rollout_state();
        let signature = (
            ours.running_count(),
            ours.pending_count(),
            ours.failed_tasks(),
            rollout.cloned(),
        );
        let changed = w.last_signature.as_ref() != Some(&signature);
        if changed {
            w.last_signature = Some(signature);
            w.last_change = Instant::now();
            self.progress.event(
                subject,
                Event::Rollout {
                    state: rollout,
                    running: ours.running_count(),
                    desired: ours.desired_count(),
                    pending: ours.pending_count(),
                    failed: ours.failed_tasks(),
                },
            );
        }
        if rollout == Some(&DeploymentRolloutState::Failed) {
            stopped::inspect(self.ecs, self.logs, self.cluster, w).await?;
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
            let crashed = stopped::inspect(self.ecs, self.logs, self.cluster, w).await?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::testing::{self, deployment, describe_services_output, service};
    use aws_sdk_ecs::operation::describe_tasks::DescribeTasksOutput;
    use aws_sdk_ecs::operation::list_tasks::ListTasksOutput;
    use aws_sdk_ecs::Client;
    use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
    use DeploymentRolloutState::{Completed, Failed, InProgress};

    const NEW: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/alpha-gunicorn:2";
    const OLD: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/alpha-gunicorn:1";

    fn limits() -> WatchLimits {
        WatchLimits {
            deadline: Instant::now() + Duration::from_secs(600),
            no_progress: Duration::from_secs(120),
            failed_tasks_threshold: 2,
            pacing: Pacing::default(),
            fail_fast: true,
        }
    }

    fn watch() -> Watch {
        Watch::new(
            "gunicorn",
            "alpha-gunicorn",
            "ecs-svc/2".into(),
            testing::described("alpha-gunicorn", 2, "gunicorn", "r:v2"),
        )
    }

    fn no_logs() -> aws_sdk_cloudwatchlogs::Client {
        mock_client!(aws_sdk_cloudwatchlogs, [])
    }

    async fn run(ecs: &Client, watches: &mut [Watch], limits: WatchLimits) -> WatchEnd {
        let logs = no_logs();
        let watcher = RolloutWatcher {
            ecs,
            logs: &logs,
            cluster: "alpha-cluster",
            progress: &|_: Subject<'_>, _: Event<'_>| {},
        };
        let mut refs: Vec<&mut Watch> = watches.iter_mut().collect();
        watcher.watch(&mut refs, limits).await.unwrap()
    }

    fn sequence(outputs: Vec<Vec<aws_sdk_ecs::types::Service>>) -> Rule {
        let mut seq = mock!(Client::describe_services).sequence();
        for services in outputs {
            seq = seq.output(move || describe_services_output(services.clone()));
        }
        seq.build()
    }

    #[tokio::test(start_paused = true)]
    async fn success_needs_our_deployment_completed_and_primary() {
        let rule = sequence(vec![
            vec![service(
                "alpha-gunicorn",
                vec![
                    deployment("ecs-svc/2", "PRIMARY", InProgress, NEW, 0, 0),
                    deployment("ecs-svc/1", "ACTIVE", Completed, OLD, 1, 0),
                ],
            )],
            vec![service(
                "alpha-gunicorn",
                vec![
                    deployment("ecs-svc/2", "PRIMARY", InProgress, NEW, 1, 0),
                    deployment("ecs-svc/1", "ACTIVE", Completed, OLD, 1, 0),
                ],
            )],
            vec![service(
                "alpha-gunicorn",
                vec![deployment("ecs-svc/2", "PRIMARY", Completed, NEW, 1, 0)],
            )],
        ]);
        let ecs = mock_client!(aws_sdk_ecs, RuleMode::Sequential, [&rule]);
        let mut watches = [watch()];
        assert_eq!(run(&ecs, &mut watches, limits()).await, WatchEnd::Decided);
        assert_eq!(watches[0].verdict, Some((StepResult::Succeeded, None)));
        assert_eq!(rule.num_calls(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_breaker_rollback_that_looks_stable_is_still_a_failure() {
        // What `services-stable` calls success: one deployment, steady —
        // but it is ECS's rollback to the old revision, not ours.
        let rule = sequence(vec![vec![service(
            "alpha-gunicorn",
            vec![deployment("ecs-svc/3", "PRIMARY", Completed, OLD, 1, 0)],
        )]]);
        let ecs = mock_client!(aws_sdk_ecs, RuleMode::Sequential, [&rule]);
        let mut watches = [watch()];
        run(&ecs, &mut watches, limits()).await;
        let (result, reason) = watches[0].verdict.clone().unwrap();
        assert_eq!(result, StepResult::Failed);
        assert!(reason.unwrap().contains("ecs-svc/3 is the service's deployment now"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_rollout_state_fails_with_its_reason() {
        let mut failed = deployment("ecs-svc/2", "ACTIVE", Failed, NEW, 0, 3);
        failed.rollout_state_reason = Some("ECS deployment circuit breaker: tasks failed to start.".into());
        let rule = sequence(vec![vec![service(
            "alpha-gunicorn",
            vec![deployment("ecs-svc/3", "PRIMARY", InProgress, OLD, 0, 0), failed],
        )]]);
        let list = mock!(Client::list_tasks).then_output(|| ListTasksOutput::builder().build());
        let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [&rule, &list]);
        let mut watches = [watch()];
        run(&ecs, &mut watches, limits()).await;
        assert_eq!(
            watches[0].verdict,
            Some((
                StepResult::Failed,
                Some("ECS deployment circuit breaker: tasks failed to start.".into())
            ))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_crashed_task_fails_the_rollout_before_the_threshold() {
        let rule = sequence(vec![vec![service(
            "alpha-gunicorn",
            vec![
                deployment("ecs-svc/2", "PRIMARY", InProgress, NEW, 0, 1),
                deployment("ecs-svc/1", "ACTIVE", Completed, OLD, 1, 0),
            ],
        )]]);
        let list = mock!(Client::list_tasks)
            .match_requests(|r| r.started_by() == Some("ecs-svc/2"))
            .then_output(|| {
                ListTasksOutput::builder()
                    .task_arns("arn:aws:ecs:us-east-1:1:task/alpha-cluster/abc")
                    .build()
            });
        let describe = mock!(Client::describe_tasks).then_output(|| {
            DescribeTasksOutput::builder()
                .tasks(testing::stopped_task(
                    "abc",
                    "gunicorn",
                    1,
                    "Essential container in task exited",
                ))
                .build()
        });
        let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [&rule, &list, &describe]);
        let logs = mock_client!(
            aws_sdk_cloudwatchlogs,
            [&mock!(aws_sdk_cloudwatchlogs::Client::get_log_events)
                .then_output(|| { testing::log_events(&["ImproperlyConfigured"]) })]
        );
        let watcher = RolloutWatcher {
            ecs: &ecs,
            logs: &logs,
            cluster: "alpha-cluster",
            progress: &|_: Subject<'_>, _: Event<'_>| {},
        };
        let mut watches = [watch()];
        watcher.watch(&mut [&mut watches[0]], limits()).await.unwrap();
        let (result, reason) = watches[0].verdict.clone().unwrap();
        assert_eq!(result, StepResult::Failed);
        assert!(reason.unwrap().contains("container gunicorn exited with 1"));
        let failure = &watches[0].failures[0];
        assert_eq!(failure.log.as_ref().unwrap().lines, ["ImproperlyConfigured"]);
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_moving_fails_after_the_no_progress_time() {
        let stuck = vec![service(
            "alpha-gunicorn",
            vec![
                deployment("ecs-svc/2", "PRIMARY", InProgress, NEW, 0, 0),
                deployment("ecs-svc/1", "ACTIVE", Completed, OLD, 1, 0),
            ],
        )];
        let rule = mock!(Client::describe_services).then_output(move || describe_services_output(stuck.clone()));
        let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [&rule]);
        let mut watches = [watch()];
        let started = Instant::now();
        run(&ecs, &mut watches, limits()).await;
        let (result, reason) = watches[0].verdict.clone().unwrap();
        assert_eq!(result, StepResult::Failed);
        assert!(reason.unwrap().starts_with("no progress for 120 s"));
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_secs(120) && waited < Duration::from_secs(140),
            "{waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_deadline_times_every_open_watch_out() {
        let stuck = vec![service(
            "alpha-gunicorn",
            vec![deployment("ecs-svc/2", "PRIMARY", InProgress, NEW, 0, 0)],
        )];
        let rule = mock!(Client::describe_services).then_output(move || describe_services_output(stuck.clone()));
        let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [&rule]);
        let mut watches = [watch()];
        let limits = WatchLimits {
            deadline: Instant::now() + Duration::from_secs(30),
            ..limits()
        };
        run(&ecs, &mut watches, limits).await;
        assert_eq!(watches[0].verdict.as_ref().map(|v| v.0), Some(StepResult::TimedOut));
    }

    #[tokio::test(start_paused = true)]
    async fn throttled_calls_are_retried_by_the_sdk() {
        let throttled = r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#;
        let completed = vec![service(
            "alpha-gunicorn",
            vec![deployment("ecs-svc/2", "PRIMARY", Completed, NEW, 1, 0)],
        )];
        let rule = mock!(Client::describe_services)
            .sequence()
            .http_status(400, Some(throttled.into()))
            .times(2)
            .output(move || describe_services_output(completed.clone()))
            .build();
        let ecs = mock_client!(aws_sdk_ecs, RuleMode::Sequential, [&rule], |c| c
            .retry_config(crate::aws::retry_config()));
        let mut watches = [watch()];
        run(&ecs, &mut watches, limits()).await;
        assert_eq!(watches[0].verdict, Some((StepResult::Succeeded, None)));
        assert_eq!(rule.num_calls(), 3);
    }
}

#[cfg(test)]
mod vanished_tests {
    use super::*;
    use crate::ecs::testing::{self, deployment, describe_services_output, service};
    use aws_sdk_ecs::types::ServiceEvent;
    use aws_sdk_ecs::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    #[tokio::test(start_paused = true)]
    async fn a_deployment_dropped_between_polls_is_explained_by_its_event() {
        let old = "arn:aws:ecs:us-east-1:123456789012:task-definition/alpha-gunicorn:1";
        let mut s = service(
            "alpha-gunicorn",
            vec![deployment(
                "ecs-svc/3",
                "PRIMARY",
                DeploymentRolloutState::InProgress,
                old,
                1,
                0,
            )],
        );
        s.events = Some(vec![
            ServiceEvent::builder()
                .message("(service alpha-gunicorn) rolling back to deployment ecs-svc/1.")
                .build(),
            ServiceEvent::builder()
                .message("(service alpha-gunicorn) (deployment ecs-svc/2) deployment failed: tasks failed to start.")
                .build(),
        ]);
        let rule = mock!(Client::describe_services).then_output(move || describe_services_output(vec![s.clone()]));
        let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [&rule]);
        let logs = mock_client!(aws_sdk_cloudwatchlogs, []);
        let watcher = RolloutWatcher {
            ecs: &ecs,
            logs: &logs,
            cluster: "alpha-cluster",
            progress: &|_: Subject<'_>, _: Event<'_>| {},
        };
        let mut watches = [Watch::new(
            "gunicorn",
            "alpha-gunicorn",
            "ecs-svc/2".into(),
            testing::described("alpha-gunicorn", 2, "gunicorn", "r:v2"),
        )];
        let limits = WatchLimits {
            deadline: Instant::now() + Duration::from_secs(600),
            no_progress: Duration::from_secs(120),
            failed_tasks_threshold: 2,
            pacing: Pacing::default(),
            fail_fast: true,
        };
        watcher.watch(&mut [&mut watches[0]], limits).await.unwrap();
        assert_eq!(
            watches[0].verdict,
            Some((
                StepResult::Failed,
                Some(
                    "(service alpha-gunicorn) (deployment ecs-svc/2) deployment failed: tasks failed to start.".into()
                )
            ))
        );
    }
}
