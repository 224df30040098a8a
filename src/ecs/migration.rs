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
        // The last read's error, while the task cannot be read.
        let mut unreadable: Option<String> = None;
        // RunTask just answered with the task PROVISIONING: nothing to ask
        // yet.
        let mut wait = pacer.next(true);
        loop {
            let status = last_phase.as_ref().map_or("not visible", TaskPhase::as_str).to_owned();
            if pacing::sleep(wait, limits.deadline).await == Wake::Interrupted {
                report.result = StepResult::Interrupted;
                report.reason = Some(match unreadable {
                    Some(_) => "interrupted while the task could not be read; it may still be running in ECS".into(),
                    None => format!("interrupted while the task was {status}; it keeps running in ECS"),
                });
                break;
            }
            if Instant::now() >= limits.deadline {
                (report.result, report.reason) = match &unreadable {
                    Some(error) => (
                        StepResult::Unknown,
                        Some(format!(
                            "the deadline passed while the task could not be read ({error}); it may still be running in ECS"
                        )),
                    ),
                    None => (
                        StepResult::TimedOut,
                        Some(format!("the deadline passed while the task was {status}")),
                    ),
                };
                break;
            }
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
                    unreadable = Some(error);
                    wait = pacer.next(false);
                    continue;
                }
            };
            unreadable = None;
            let current = described.tasks().first();
            // ECS answers without the task for a moment after RunTask.
            let phase = current.and_then(TaskPhase::of);
            let status = phase.as_ref().map_or("not visible", TaskPhase::as_str).to_owned();
            if phase != last_phase {
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
            // A one-off task's start says nothing about when it will end, so
            // the polls back off through it (a migration takes tens of
            // seconds, and every poll is a call); while it is stopping, the
            // end is seconds away and the polls come quickly.
            wait = pacer.next(phase.as_ref().is_some_and(TaskPhase::stopping));
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
mod tests;
