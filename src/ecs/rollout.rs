//! Rollouts: `UpdateService` for each service, then one watcher for all of
//! them that follows the deployment each update started — by id, not by
//! "the service looks stable" — and calls a verdict as soon as it can.

use std::collections::HashSet;
use std::time::Duration;

use aws_sdk_ecs::types::{DeploymentRolloutState, DesiredStatus, Service};
use tokio::time::Instant;

use super::migration::{describe_failure, essential_failure};
use super::pacing::{self, Pacer, Pacing, Wake};
use super::taskdef::Described;
use super::{arn_tail, EcsError, DESCRIBE_SERVICES_BATCH, DESCRIBE_TASKS_BATCH};
use crate::report::update::{StepResult, TaskFailure};

/// Failed tasks whose logs are fetched per service; the first one or two
/// say why, the rest repeat it.
const LOGGED_FAILURES: usize = 2;

/// Describes services, at most ten per call, refusing any that is missing
/// or not ACTIVE.
pub async fn describe_services(
    ecs: &aws_sdk_ecs::Client,
    cluster: &str,
    names: &[&str],
) -> Result<Vec<Service>, EcsError> {
    let mut found = Vec::with_capacity(names.len());
    for chunk in names.chunks(DESCRIBE_SERVICES_BATCH) {
        let out = ecs
            .describe_services()
            .cluster(cluster)
            .set_services(Some(chunk.iter().map(|s| (*s).to_owned()).collect()))
            .send()
            .await
            .map_err(|source| match source.as_service_error() {
                Some(e) if e.is_cluster_not_found_exception() => EcsError::ClusterNotFound {
                    cluster: cluster.to_owned(),
                },
                _ => EcsError::DescribeServices(Box::new(source)),
            })?;
        if let Some(f) = out.failures().first() {
            let service = f.arn().map(arn_tail).unwrap_or("?").to_owned();
            return Err(EcsError::ServiceNotFound {
                cluster: cluster.to_owned(),
                service,
                reason: f.reason().unwrap_or("unknown").to_owned(),
            });
        }
        found.extend(out.services.unwrap_or_default());
    }
    for name in names {
        match found.iter().find(|s| matches_name(s, name)) {
            Some(s) if s.status() == Some("ACTIVE") => {}
            Some(s) => {
                return Err(EcsError::ServiceNotFound {
                    cluster: cluster.to_owned(),
                    service: (*name).to_owned(),
                    reason: format!("status {}", s.status().unwrap_or("unknown")),
                })
            }
            None => {
                return Err(EcsError::ServiceNotFound {
                    cluster: cluster.to_owned(),
                    service: (*name).to_owned(),
                    reason: "not returned".into(),
                })
            }
        }
    }
    Ok(found)
}

pub fn matches_name(service: &Service, name: &str) -> bool {
    service.service_name() == Some(name) || service.service_arn().is_some_and(|a| arn_tail(a) == name)
}

/// The newest service event that names the deployment and says it failed
/// or is being rolled back (ECS lists events newest first).
fn last_event_about(service: &Service, deployment_id: &str) -> Option<String> {
    service
        .events()
        .iter()
        .filter_map(|e| e.message())
        .find(|m| {
            m.contains(deployment_id)
                && ["fail", "circuit breaker", "rolling back"]
                    .iter()
                    .any(|k| m.contains(k))
        })
        .map(str::to_owned)
}

/// Deployments still rolling that this run did not start.
pub fn in_progress_deployments(service: &Service) -> Vec<String> {
    service
        .deployments()
        .iter()
        .filter(|d| d.rollout_state() == Some(&DeploymentRolloutState::InProgress))
        .filter_map(|d| d.id().map(str::to_owned))
        .collect()
}

/// Points a service at a task definition; returns the id of the deployment
/// that the update started.
pub async fn start(
    ecs: &aws_sdk_ecs::Client,
    cluster: &str,
    service: &str,
    task_definition: &str,
    desired_count: Option<i32>,
) -> Result<String, EcsError> {
    let out = ecs
        .update_service()
        .cluster(cluster)
        .service(service)
        .task_definition(task_definition)
        .set_desired_count(desired_count)
        .send()
        .await
        .map_err(|source| EcsError::UpdateService {
            service: service.to_owned(),
            source: Box::new(source),
        })?;
    let deployments = out.service().map(|s| s.deployments()).unwrap_or_default();
    deployments
        .iter()
        .find(|d| d.status() == Some("PRIMARY") && d.task_definition() == Some(task_definition))
        .or_else(|| deployments.iter().find(|d| d.status() == Some("PRIMARY")))
        .and_then(|d| d.id())
        .map(str::to_owned)
        .ok_or_else(|| EcsError::Incomplete {
            what: format!("the PRIMARY deployment in the UpdateService answer for `{service}`"),
        })
}

/// One deployment being followed.
#[derive(Debug, Clone)]
pub struct Watch {
    pub name: String,
    pub service: String,
    pub deployment_id: String,
    /// The revision the deployment must end on.
    pub target: Described,
    pub started: Instant,
    pub desired: i32,
    pub running: i32,
    pub verdict: Option<(StepResult, Option<String>)>,
    pub failures: Vec<TaskFailure>,
    pub finished_after: Option<Duration>,
    last_signature: Option<(i32, i32, i32, String)>,
    last_change: Instant,
    inspected_failed: i32,
    seen_tasks: HashSet<String>,
}

impl Watch {
    pub fn new(name: &str, service: &str, deployment_id: String, target: Described) -> Self {
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
            last_signature: None,
            last_change: now,
            inspected_failed: 0,
            seen_tasks: HashSet::new(),
        }
    }

    fn decide(&mut self, result: StepResult, reason: Option<String>) {
        self.verdict = Some((result, reason));
        self.finished_after = Some(self.started.elapsed());
    }

    pub fn failed(&self) -> bool {
        matches!(self.verdict, Some((StepResult::Failed | StepResult::TimedOut, _)))
    }
}

#[derive(Debug, Clone, Copy)]
pub struct WatchLimits {
    pub deadline: Instant,
    pub no_progress: Duration,
    pub failed_tasks_threshold: i32,
    pub pacing: Pacing,
    /// Stop at the first failure (rollouts) or see every watch through
    /// (rollbacks).
    pub fail_fast: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchEnd {
    /// Every watch has a verdict, or one failed and `fail_fast` is set.
    Decided,
    Interrupted,
}

pub struct RolloutWatcher<'a> {
    pub ecs: &'a aws_sdk_ecs::Client,
    pub logs: &'a aws_sdk_cloudwatchlogs::Client,
    pub cluster: &'a str,
    /// One line per state change of a service, for the progress display.
    pub on_state: &'a (dyn Fn(&str, &str) + Sync),
}

impl RolloutWatcher<'_> {
    pub async fn watch(&self, watches: &mut [Watch], limits: WatchLimits) -> Result<WatchEnd, EcsError> {
        let mut pacer = Pacer::new(limits.pacing);
        loop {
            let active: Vec<usize> = (0..watches.len()).filter(|&i| watches[i].verdict.is_none()).collect();
            if active.is_empty() {
                return Ok(WatchEnd::Decided);
            }
            if Instant::now() >= limits.deadline {
                for &i in &active {
                    watches[i].decide(
                        StepResult::TimedOut,
                        Some("the deadline passed before the deployment completed".into()),
                    );
                }
                return Ok(WatchEnd::Decided);
            }
            let names: Vec<&str> = active.iter().map(|&i| watches[i].service.as_str()).collect();
            let services = describe_services(self.ecs, self.cluster, &names).await?;
            let mut changed = false;
            for &i in &active {
                let Some(service) = services.iter().find(|s| matches_name(s, &watches[i].service)) else {
                    continue;
                };
                changed |= self.assess(&mut watches[i], service, &limits).await?;
            }
            if limits.fail_fast && watches.iter().any(Watch::failed) {
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
        let deployments = service.deployments();
        let Some(ours) = deployments.iter().find(|d| d.id() == Some(w.deployment_id.as_str())) else {
            let primary = deployments
                .iter()
                .find(|d| d.status() == Some("PRIMARY"))
                .and_then(|d| d.id());
            // ECS drops a failed deployment once its tasks are gone, maybe
            // between two polls; its events still say what happened.
            let reason = match (last_event_about(service, &w.deployment_id), primary) {
                (Some(event), _) => event,
                (None, Some(p)) => format!(
                    "deployment {} is gone; {p} is the service's deployment now",
                    w.deployment_id
                ),
                (None, None) => format!("deployment {} is gone", w.deployment_id),
            };
            (self.on_state)(&w.name, &format!("failed: {reason}"));
            w.decide(StepResult::Failed, Some(reason));
            return Ok(true);
        };
        w.desired = ours.desired_count();
        w.running = ours.running_count();
        let state = ours
            .rollout_state()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_else(|| "UNKNOWN".into());
        let signature = (
            ours.running_count(),
            ours.pending_count(),
            ours.failed_tasks(),
            state.clone(),
        );
        let changed = w.last_signature.as_ref() != Some(&signature);
        if changed {
            w.last_signature = Some(signature);
            w.last_change = Instant::now();
            (self.on_state)(
                &w.name,
                &format!(
                    "{state}, {}/{} running, {} pending, {} failed",
                    ours.running_count(),
                    ours.desired_count(),
                    ours.pending_count(),
                    ours.failed_tasks()
                ),
            );
        }
        let rollout = ours.rollout_state();
        if rollout == Some(&DeploymentRolloutState::Failed) {
            self.inspect_stopped(w).await?;
            let reason = ours
                .rollout_state_reason()
                .unwrap_or("ECS marked the deployment FAILED")
                .to_owned();
            w.decide(StepResult::Failed, Some(reason));
        } else if ours.status() != Some("PRIMARY") {
            let primary = deployments
                .iter()
                .find(|d| d.status() == Some("PRIMARY"))
                .and_then(|d| d.id())
                .unwrap_or("another deployment");
            w.decide(
                StepResult::Failed,
                Some(format!("{primary} replaced this run's deployment")),
            );
        } else if rollout == Some(&DeploymentRolloutState::Completed)
            && ours.task_definition() == Some(w.target.arn.as_str())
        {
            w.decide(StepResult::Succeeded, None);
        } else if ours.failed_tasks() > w.inspected_failed {
            let crashed = self.inspect_stopped(w).await?;
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
                    "no progress for {} s ({state}, {}/{} running)",
                    limits.no_progress.as_secs(),
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

    /// Reads the deployment's stopped tasks not seen before; returns the
    /// description of the first that an essential container's non-zero exit
    /// stopped.
    async fn inspect_stopped(&self, w: &mut Watch) -> Result<Option<String>, EcsError> {
        let listed = self
            .ecs
            .list_tasks()
            .cluster(self.cluster)
            .started_by(&w.deployment_id)
            .desired_status(DesiredStatus::Stopped)
            .send()
            .await
            .map_err(|e| EcsError::ListTasks(Box::new(e)))?;
        let new: Vec<String> = listed
            .task_arns()
            .iter()
            .filter(|a| !w.seen_tasks.contains(*a))
            .cloned()
            .collect();
        let mut first = None;
        for chunk in new.chunks(DESCRIBE_TASKS_BATCH) {
            let described = self
                .ecs
                .describe_tasks()
                .cluster(self.cluster)
                .set_tasks(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| EcsError::DescribeTasks(Box::new(e)))?;
            for task in described.tasks() {
                if task.last_status() != Some("STOPPED") {
                    continue;
                }
                if let Some(arn) = task.task_arn() {
                    w.seen_tasks.insert(arn.to_owned());
                }
                let Some(mut failure) = essential_failure(task, &w.target) else {
                    continue;
                };
                // Scale-in and replacements stop tasks on purpose: only a
                // container that exited non-zero (or never ran) is a crash.
                if failure.exit_code == Some(0)
                    || task
                        .stop_code()
                        .is_some_and(|c| c.as_str() == "ServiceSchedulerInitiated")
                {
                    continue;
                }
                if w.failures.len() < LOGGED_FAILURES {
                    if let Some(def) = failure.container.as_deref().and_then(|c| w.target.container(c).ok()) {
                        failure.log = Some(super::logs::tail(self.logs, def, &failure.task_id).await);
                    }
                }
                if first.is_none() {
                    first = Some(format!("task {}: {}", failure.task_id, describe_failure(&failure)));
                }
                w.failures.push(failure);
            }
        }
        Ok(first)
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
            on_state: &|_, _| {},
        };
        watcher.watch(watches, limits).await.unwrap()
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
            on_state: &|_, _| {},
        };
        let mut watches = [watch()];
        watcher.watch(&mut watches, limits()).await.unwrap();
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
    async fn describe_services_asks_for_ten_at_most() {
        let rule = mock!(Client::describe_services)
            .match_requests(|r| r.services().len() <= DESCRIBE_SERVICES_BATCH)
            .then_compute_output(|r| {
                describe_services_output(r.services().iter().map(|s| service(s, vec![])).collect())
            });
        let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [&rule]);
        let names: Vec<String> = (0..23).map(|i| format!("svc-{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let found = describe_services(&ecs, "alpha-cluster", &refs).await.unwrap();
        assert_eq!(found.len(), 23);
        assert_eq!(rule.num_calls(), 3);
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

    #[tokio::test(start_paused = true)]
    async fn update_service_reports_the_deployment_it_started() {
        let rule = mock!(Client::update_service)
            .match_requests(|r| r.task_definition() == Some(NEW) && r.desired_count() == Some(1))
            .then_output(|| {
                aws_sdk_ecs::operation::update_service::UpdateServiceOutput::builder()
                    .service(service(
                        "alpha-gunicorn",
                        vec![
                            deployment("ecs-svc/9", "PRIMARY", InProgress, NEW, 0, 0),
                            deployment("ecs-svc/1", "ACTIVE", Completed, OLD, 1, 0),
                        ],
                    ))
                    .build()
            });
        let ecs = mock_client!(aws_sdk_ecs, [&rule]);
        let id = start(&ecs, "alpha-cluster", "alpha-gunicorn", NEW, Some(1))
            .await
            .unwrap();
        assert_eq!(id, "ecs-svc/9");
    }

    #[test]
    fn a_deployment_in_progress_is_foreign_until_we_start_one() {
        let s = service(
            "alpha-gunicorn",
            vec![
                deployment("ecs-svc/5", "PRIMARY", InProgress, NEW, 0, 0),
                deployment("ecs-svc/1", "ACTIVE", Completed, OLD, 1, 0),
            ],
        );
        assert_eq!(in_progress_deployments(&s), ["ecs-svc/5"]);
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
            on_state: &|_, _| {},
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
        watcher.watch(&mut watches, limits).await.unwrap();
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
