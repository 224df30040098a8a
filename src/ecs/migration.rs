//! The migration gate: one `RunTask` of the migration family that must stop
//! with every essential container at exit 0 before any service is touched.

use std::time::Duration;

use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, ContainerOverride, KeyValuePair, LaunchType, NetworkConfiguration,
    TaskOverride,
};
use tokio::time::Instant;

use super::pacing::{self, Pacer, Pacing, Wake};
use super::task::{describe_failure, essential_failure, TaskPhase};
use super::taskdef::Described;
use super::{arn_tail, error_chain, within, EcsError};
use crate::aws::Clients;
use crate::contract::Network;
use crate::outcome::update::{LogTail, MigrationReport, StepResult, TaskFailure};

/// The environment variable that names the database the task creates when
/// missing (the app stack's task definitions use the same name).
pub(crate) const DATABASE_VARIABLE: &str = "DATABASE_NAME";

/// What to run.
#[derive(Debug, Clone)]
pub(crate) struct MigrationTask<'a> {
    pub(crate) cluster: &'a str,
    pub(crate) network: &'a Network,
    pub(crate) revision: &'a Described,
    pub(crate) container: &'a str,
    pub(crate) command: &'a [String],
    pub(crate) database: &'a str,
    pub(crate) started_by: &'a str,
    /// Same token on every attempt of this run's RunTask, so an SDK retry
    /// after a lost response cannot start a second migration.
    pub(crate) client_token: &'a str,
}

/// How long to wait.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GateLimits {
    pub(crate) deadline: Instant,
    /// A task that has not reached RUNNING after this long will not.
    pub(crate) start_timeout: Duration,
    pub(crate) pacing: Pacing,
}

pub(crate) struct MigrationGate<'a> {
    clients: &'a Clients,
}

impl<'a> MigrationGate<'a> {
    pub(crate) fn new(clients: &'a Clients) -> Self {
        MigrationGate { clients }
    }

    /// Runs the task and waits for it. `Err` only when ECS could not be
    /// asked; a failed migration is a report with `result: Failed`.
    pub(crate) async fn run(&self, task: &MigrationTask<'_>, limits: GateLimits) -> Result<MigrationReport, EcsError> {
        let started = Instant::now();
        let mut report = MigrationReport {
            family: task.revision.family.clone(),
            revision: Some(task.revision.revision),
            command: task.command.to_vec(),
            database: task.database.to_owned(),
            task_id: None,
            result: StepResult::InProgress,
            reason: None,
            failure: None,
            log: None,
            duration_secs: 0.0,
        };
        let run_task = self
            .clients
            .ecs
            .run_task()
            .cluster(task.cluster)
            .task_definition(&task.revision.arn)
            .launch_type(LaunchType::Fargate)
            .count(1)
            .started_by(task.started_by)
            .client_token(task.client_token)
            .network_configuration(network_configuration(task.network)?)
            .overrides(
                TaskOverride::builder()
                    .container_overrides(
                        ContainerOverride::builder()
                            .name(task.container)
                            .set_command(Some(task.command.to_vec()))
                            .environment(
                                KeyValuePair::builder()
                                    .name(DATABASE_VARIABLE)
                                    .value(task.database)
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            )
            .send();
        let run_task = async { run_task.await.map_err(|e| EcsError::RunTask(Box::new(e))) };
        let out = match within(limits.deadline, "RunTask", run_task).await {
            Ok(out) => out,
            // No answer (a 5xx, a dropped connection, the deadline): the
            // task may well have started. Saying "failed" would be a lie.
            Err(err) if err.lost_answer() => {
                report.result = StepResult::Unknown;
                report.reason = Some(format!(
                    "RunTask's answer was lost ({}): the task may have started; look for tasks started by `{}`",
                    error_chain(&err),
                    task.started_by
                ));
                report.duration_secs = started.elapsed().as_secs_f64();
                return Ok(report);
            }
            Err(err) => return Err(err),
        };
        let task_arn = out.tasks().first().and_then(|t| t.task_arn()).map(str::to_owned);
        let Some(task_arn) = task_arn else {
            let reasons: Vec<String> = out
                .failures()
                .iter()
                .map(|f| {
                    let mut r = f.reason().unwrap_or("unknown reason").to_owned();
                    if let Some(d) = f.detail() {
                        r.push_str(&format!(" ({d})"));
                    }
                    r
                })
                .collect();
            report.result = StepResult::Failed;
            report.reason = Some(format!("the task could not be started: {}", reasons.join("; ")));
            report.duration_secs = started.elapsed().as_secs_f64();
            return Ok(report);
        };
        let task_id = arn_tail(&task_arn).to_owned();
        report.task_id = Some(task_id.clone());
        tracing::info!("migration task {task_id} started");

        let mut pacer = Pacer::new(limits.pacing);
        let mut last_phase: Option<TaskPhase> = None;
        let mut last_change = Instant::now();
        let mut reached_running = false;
        loop {
            // A read that fails is asked again until the deadline: an
            // outage is never taken for the task's end.
            let describe = self
                .clients
                .ecs
                .describe_tasks()
                .cluster(task.cluster)
                .tasks(&task_arn)
                .send();
            let describe = async { describe.await.map_err(|e| EcsError::DescribeTasks(Box::new(e))) };
            let described = match within(limits.deadline, "DescribeTasks", describe).await {
                Ok(described) => described,
                Err(err) => {
                    let error = error_chain(&err);
                    tracing::warn!("could not read migration task {task_id}, asking again: {error}");
                    if Instant::now() >= limits.deadline {
                        report.result = StepResult::Unknown;
                        report.reason = Some(format!(
                            "the deadline passed while the task could not be read ({error}); it may still be running in ECS"
                        ));
                        break;
                    }
                    if pacing::sleep(pacer.next(false), limits.deadline).await == Wake::Interrupted {
                        report.result = StepResult::Interrupted;
                        report.reason =
                            Some("interrupted while the task could not be read; it may still be running in ECS".into());
                        break;
                    }
                    continue;
                }
            };
            let current = described.tasks().first();
            // ECS answers without the task for a moment after RunTask.
            let phase = current.and_then(TaskPhase::of);
            let status = phase.as_ref().map_or("not visible", TaskPhase::as_str).to_owned();
            let changed = phase != last_phase;
            if changed {
                tracing::info!("migration task {task_id}: {status}");
                last_phase = phase.clone();
                last_change = Instant::now();
            }
            reached_running |= phase.as_ref().is_some_and(TaskPhase::reached_running);
            if let Some(t) = current.filter(|_| phase == Some(TaskPhase::Stopped)) {
                match essential_failure(t, task.revision) {
                    None => {
                        report.result = StepResult::Succeeded;
                        // What the migration did belongs in the summary too.
                        report.log = self.log_of(task.revision, Some(task.container), &task_id).await;
                    }
                    Some(mut failure) => {
                        failure.log = self.log_of(task.revision, failure.container.as_deref(), &task_id).await;
                        report.result = StepResult::Failed;
                        report.reason = Some(describe_failure(&failure));
                        report.failure = Some(failure);
                    }
                }
                break;
            }
            if !reached_running && last_change.elapsed() >= limits.start_timeout {
                report.result = StepResult::Failed;
                report.reason = Some(format!(
                    "the task did not start: still {status} after {} s",
                    limits.start_timeout.as_secs()
                ));
                report.failure = Some(TaskFailure {
                    task_id: task_id.clone(),
                    container: Some(task.container.to_owned()),
                    exit_code: None,
                    stop_code: None,
                    stopped_reason: current.and_then(|t| t.stopped_reason()).map(str::to_owned),
                    log: self.log_of(task.revision, Some(task.container), &task_id).await,
                });
                // A task stuck in PENDING would otherwise start later and
                // migrate a database nobody is watching.
                self.stop(task.cluster, &task_arn, limits.start_timeout.as_secs()).await;
                break;
            }
            if Instant::now() >= limits.deadline {
                report.result = StepResult::TimedOut;
                report.reason = Some(format!("the deadline passed while the task was {status}"));
                break;
            }
            if pacing::sleep(pacer.next(changed), limits.deadline).await == Wake::Interrupted {
                report.result = StepResult::Interrupted;
                report.reason = Some(format!(
                    "interrupted while the task was {status}; it keeps running in ECS"
                ));
                break;
            }
        }
        report.duration_secs = started.elapsed().as_secs_f64();
        Ok(report)
    }

    async fn stop(&self, cluster: &str, task_arn: &str, waited_secs: u64) {
        let stopped = self
            .clients
            .ecs
            .stop_task()
            .cluster(cluster)
            .task(task_arn)
            .reason(format!(
                "stackpilot: the migration did not start within {waited_secs} s"
            ))
            .send()
            .await;
        if let Err(err) = stopped {
            tracing::warn!(
                "could not stop the migration task that never started; stop it by hand: {}",
                aws_sdk_ecs::error::DisplayErrorContext(&err)
            );
        }
    }

    async fn log_of(&self, revision: &Described, container: Option<&str>, task_id: &str) -> Option<LogTail> {
        let definition = revision.container(container?).ok()?;
        Some(super::logs::tail(&self.clients.logs, definition, task_id).await)
    }
}

/// Fails only without subnets, which the contract check already refuses.
pub(crate) fn network_configuration(network: &Network) -> Result<NetworkConfiguration, EcsError> {
    Ok(NetworkConfiguration::builder()
        .awsvpc_configuration(
            AwsVpcConfiguration::builder()
                .set_subnets(Some(network.subnets.clone()))
                .set_security_groups(Some(network.security_groups.clone()))
                .assign_public_ip(if network.assign_public_ip {
                    AssignPublicIp::Enabled
                } else {
                    AssignPublicIp::Disabled
                })
                .build()
                .map_err(|source| EcsError::Request {
                    what: "the migration task's network configuration",
                    source,
                })?,
        )
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::testing;
    use aws_sdk_ecs::operation::describe_tasks::DescribeTasksOutput;
    use aws_sdk_ecs::operation::run_task::RunTaskOutput;
    use aws_sdk_ecs::types::Failure;
    use aws_sdk_ecs::Client;
    use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};

    fn network() -> Network {
        Network {
            subnets: vec!["subnet-1".into()],
            security_groups: vec!["sg-1".into()],
            assign_public_ip: false,
        }
    }

    fn limits() -> GateLimits {
        GateLimits {
            deadline: Instant::now() + Duration::from_secs(1800),
            start_timeout: Duration::from_secs(300),
            pacing: Pacing::default(),
        }
    }

    fn started() -> Rule {
        mock!(Client::run_task)
            .match_requests(|r| {
                let overrides = &r.overrides().unwrap().container_overrides()[0];
                r.client_token() == Some("token-1")
                    && r.started_by() == Some("stackpilot-alpha")
                    && r.launch_type() == Some(&LaunchType::Fargate)
                    && overrides.command() == ["python", "manage.py", "pre_update"]
                    && overrides.environment()[0].value() == Some("alpha-db")
                    && r.network_configuration()
                        .unwrap()
                        .awsvpc_configuration()
                        .unwrap()
                        .assign_public_ip()
                        == Some(&AssignPublicIp::Disabled)
            })
            .then_output(|| {
                RunTaskOutput::builder()
                    .tasks(
                        aws_sdk_ecs::types::Task::builder()
                            .task_arn("arn:aws:ecs:us-east-1:1:task/alpha-cluster/m1")
                            .last_status("PROVISIONING")
                            .build(),
                    )
                    .build()
            })
    }

    fn status(s: &'static str) -> DescribeTasksOutput {
        DescribeTasksOutput::builder()
            .tasks(
                aws_sdk_ecs::types::Task::builder()
                    .task_arn("arn:aws:ecs:us-east-1:1:task/alpha-cluster/m1")
                    .last_status(s)
                    .build(),
            )
            .build()
    }

    async fn gate(ecs: Client, logs: aws_sdk_cloudwatchlogs::Client, limits: GateLimits) -> MigrationReport {
        let clients = Clients { ecs, logs };
        let revision = testing::described("alpha-backend_update", 4, "backend_update", "r:v2");
        let network = network();
        let command = vec!["python".to_owned(), "manage.py".into(), "pre_update".into()];
        let task = MigrationTask {
            cluster: "alpha-cluster",
            network: &network,
            revision: &revision,
            container: "backend_update",
            command: &command,
            database: "alpha-db",
            started_by: "stackpilot-alpha",
            client_token: "token-1",
        };
        MigrationGate::new(&clients).run(&task, limits).await.unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn passes_when_every_essential_container_exited_zero() {
        let describe = mock!(Client::describe_tasks)
            .sequence()
            .output(|| status("PENDING"))
            .output(|| status("RUNNING"))
            .output(|| {
                DescribeTasksOutput::builder()
                    .tasks(testing::stopped_task(
                        "m1",
                        "backend_update",
                        0,
                        "Essential container in task exited",
                    ))
                    .build()
            })
            .build();
        let run = started();
        let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [&run, &describe]);
        let log_rule = mock!(aws_sdk_cloudwatchlogs::Client::get_log_events)
            .match_requests(|r| r.log_stream_name() == Some("ecs/backend_update/m1"))
            .then_output(|| testing::log_events(&["Applying blog.0001_initial... OK"]));
        let report = gate(ecs, mock_client!(aws_sdk_cloudwatchlogs, [&log_rule]), limits()).await;
        assert_eq!(report.result, StepResult::Succeeded, "{report:?}");
        assert_eq!(run.num_calls(), 1);
        assert_eq!(report.log.unwrap().lines, ["Applying blog.0001_initial... OK"]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_non_zero_exit_fails_with_the_reason_and_the_log_tail() {
        let describe = mock!(Client::describe_tasks).then_output(|| {
            DescribeTasksOutput::builder()
                .tasks(testing::stopped_task(
                    "m1",
                    "backend_update",
                    1,
                    "Essential container in task exited",
                ))
                .build()
        });
        let run = started();
        let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [&run, &describe]);
        let log_rule = mock!(aws_sdk_cloudwatchlogs::Client::get_log_events)
            .match_requests(|r| r.log_stream_name() == Some("ecs/backend_update/m1"))
            .then_output(|| testing::log_events(&["relation already exists"]));
        let logs = mock_client!(aws_sdk_cloudwatchlogs, [&log_rule]);
        let report = gate(ecs, logs, limits()).await;
        assert_eq!(report.result, StepResult::Failed);
        assert_eq!(
            report.reason.as_deref(),
            Some("container backend_update exited with 1 (Essential container in task exited)")
        );
        let failure = report.failure.unwrap();
        assert_eq!(failure.log.unwrap().lines, ["relation already exists"]);
    }

    #[tokio::test(start_paused = true)]
    async fn failures_from_run_task_fail_the_gate() {
        let run = mock!(Client::run_task).then_output(|| {
            RunTaskOutput::builder()
                .failures(Failure::builder().reason("RESOURCE:CPU").detail("no capacity").build())
                .build()
        });
        let ecs = mock_client!(aws_sdk_ecs, [&run]);
        let report = gate(ecs, mock_client!(aws_sdk_cloudwatchlogs, []), limits()).await;
        assert_eq!(report.result, StepResult::Failed);
        assert_eq!(
            report.reason.as_deref(),
            Some("the task could not be started: RESOURCE:CPU (no capacity)")
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_task_that_never_starts_fails_after_the_start_timeout() {
        let describe = mock!(Client::describe_tasks).then_output(|| status("PENDING"));
        let run = started();
        let stop = mock!(Client::stop_task)
            .then_output(|| aws_sdk_ecs::operation::stop_task::StopTaskOutput::builder().build());
        let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [&run, &describe, &stop]);
        let logs = mock_client!(
            aws_sdk_cloudwatchlogs,
            RuleMode::MatchAny,
            [&mock!(aws_sdk_cloudwatchlogs::Client::get_log_events).then_output(|| { testing::log_events(&[]) })]
        );
        let report = gate(
            ecs,
            logs,
            GateLimits {
                start_timeout: Duration::from_secs(60),
                ..limits()
            },
        )
        .await;
        assert_eq!(report.result, StepResult::Failed);
        assert!(report.reason.unwrap().contains("still PENDING after 60 s"));
        assert_eq!(
            stop.num_calls(),
            1,
            "the stuck task is stopped so it cannot migrate later"
        );
    }
}
