//! The app update through the ECS API, one job per module:
//! [`taskdef`] copies task definitions with a new image, [`plan_diff`] says
//! what a copy changes, [`preflight`] checks a copy against the rules ECS
//! enforces before it is sent, [`migration`] runs the gate, [`rollout`] updates
//! services and watches their deployments, [`task`] reads a task's state and
//! failure, [`logs`] fetches what failed tasks wrote, [`pacing`] decides how
//! long to wait between polls, [`progress`] names the events a run reports
//! as it goes, and [`update`] runs them in order.
//!
//! The engine returns outcomes (`crate::outcome::update`); it never renders
//! them: that is `crate::report`'s job.

pub(crate) mod logs;
pub(crate) mod migration;
pub(crate) mod pacing;
pub(crate) mod plan_diff;
pub(crate) mod preflight;
pub(crate) mod progress;
pub(crate) mod rollout;
pub(crate) mod task;
pub(crate) mod taskdef;
pub(crate) mod update;

use aws_sdk_ecs::error::SdkError;
use aws_sdk_ecs::operation::describe_services::DescribeServicesError;
use aws_sdk_ecs::operation::describe_task_definition::DescribeTaskDefinitionError;
use aws_sdk_ecs::operation::describe_tasks::DescribeTasksError;
use aws_sdk_ecs::operation::list_tasks::ListTasksError;
use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionError;
use aws_sdk_ecs::operation::run_task::RunTaskError;
use aws_sdk_ecs::operation::update_service::UpdateServiceError;

use crate::Exit;

/// ECS accepts at most this many services per DescribeServices call…
pub(crate) const DESCRIBE_SERVICES_BATCH: usize = 10;
/// …and this many tasks per DescribeTasks call.
pub(crate) const DESCRIBE_TASKS_BATCH: usize = 100;

/// SDK errors are boxed: they are large, and every `Result` here carries one.
#[derive(Debug, thiserror::Error)]
pub enum EcsError {
    #[error("task family `{family}` has no ACTIVE revision in this account and region; is the app stack up (`stackpilot up app <env>`)?")]
    FamilyNotFound { family: String },
    #[error("could not describe task family `{family}`")]
    DescribeTaskDefinition {
        family: String,
        #[source]
        source: Box<SdkError<DescribeTaskDefinitionError>>,
    },
    #[error(
        "task family `{family}` has no container named `{container}` (it has: {available}); fix the deploy contract"
    )]
    ContainerNotFound {
        family: String,
        container: String,
        available: String,
    },
    #[error("could not build {what}")]
    Request {
        what: &'static str,
        #[source]
        source: aws_sdk_ecs::error::BuildError,
    },
    #[error("ECS answered without a field it always sends: {what}")]
    Incomplete { what: String },
    #[error("could not register a new revision of `{family}`")]
    RegisterTaskDefinition {
        family: String,
        #[source]
        source: Box<SdkError<RegisterTaskDefinitionError>>,
    },
    #[error("cluster `{cluster}` does not exist here; check the contract's region and cluster")]
    ClusterNotFound { cluster: String },
    #[error("service `{service}` is not in cluster `{cluster}` ({reason}); is the app stack up?")]
    ServiceNotFound {
        cluster: String,
        service: String,
        reason: String,
    },
    #[error("could not describe the services")]
    DescribeServices(#[source] Box<SdkError<DescribeServicesError>>),
    #[error("could not update service `{service}`")]
    UpdateService {
        service: String,
        #[source]
        source: Box<SdkError<UpdateServiceError>>,
    },
    #[error("could not start the migration task")]
    RunTask(#[source] Box<SdkError<RunTaskError>>),
    #[error("could not describe tasks")]
    DescribeTasks(#[source] Box<SdkError<DescribeTasksError>>),
    #[error("could not list the tasks of a deployment")]
    ListTasks(#[source] Box<SdkError<ListTasksError>>),
    #[error("{}; wait for it, or pass --force to roll over it", describe_foreign(.deployments))]
    ForeignDeployment { deployments: Vec<(String, String)> },
    #[error(transparent)]
    Plan(#[from] crate::plan::PlanError),
    #[error("the run's deadline passed while waiting for ECS to answer {call}")]
    DeadlinePassed { call: &'static str },
    #[error(transparent)]
    Preflight(#[from] preflight::PreflightError),
}

fn describe_foreign(deployments: &[(String, String)]) -> String {
    let list: Vec<String> = deployments
        .iter()
        .map(|(service, id)| format!("`{service}` (deployment {id})"))
        .collect();
    format!(
        "a deployment that this run did not start is in progress on {}",
        list.join(", ")
    )
}

impl EcsError {
    /// Configuration problems (exit 2) versus AWS failing us (exit 1).
    pub(crate) fn exit(&self) -> Exit {
        match self {
            EcsError::FamilyNotFound { .. }
            | EcsError::ContainerNotFound { .. }
            | EcsError::ClusterNotFound { .. }
            | EcsError::ServiceNotFound { .. }
            | EcsError::ForeignDeployment { .. }
            | EcsError::Preflight(_) => Exit::Usage,
            EcsError::DeadlinePassed { .. } => Exit::TimedOut,
            _ => Exit::Failed,
        }
    }

    /// An answer about the world (the cluster or service is not there, the
    /// contract names a container that is not) rather than ECS failing to
    /// answer: 5xx, throttling beyond the retries, a dropped or hung
    /// connection. A watcher asks again after an outage; after an answer it
    /// has nothing more to learn.
    pub(crate) fn is_answer(&self) -> bool {
        matches!(
            self,
            EcsError::FamilyNotFound { .. }
                | EcsError::ContainerNotFound { .. }
                | EcsError::ClusterNotFound { .. }
                | EcsError::ServiceNotFound { .. }
                | EcsError::ForeignDeployment { .. }
                | EcsError::Request { .. }
        )
    }
}

impl EcsError {
    /// A write that got no answer, so it may or may not have taken effect:
    /// the deadline cut it, or the SDK gave up on 5xx or a broken
    /// connection. A 4xx is an answer: ECS refused it.
    pub(crate) fn lost_answer(&self) -> bool {
        fn lost<E>(err: &SdkError<E>) -> bool {
            match err {
                SdkError::ServiceError(e) => e.raw().status().as_u16() >= 500,
                SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => true,
                _ => false,
            }
        }
        match self {
            EcsError::DeadlinePassed { .. } => true,
            EcsError::RunTask(e) => lost(e),
            EcsError::UpdateService { source, .. } => lost(source),
            EcsError::RegisterTaskDefinition { source, .. } => lost(source),
            _ => false,
        }
    }
}

/// Runs one ECS call, or a few in a row, but no longer than the run's
/// deadline: the SDK's own operation timeout is sized for a healthy API,
/// not for `--timeout 5`, and a hung connection must end in exit 4, not
/// outlive the run.
pub(crate) async fn within<T>(
    deadline: tokio::time::Instant,
    call: &'static str,
    work: impl std::future::Future<Output = Result<T, EcsError>>,
) -> Result<T, EcsError> {
    tokio::time::timeout_at(deadline, work)
        .await
        .unwrap_or(Err(EcsError::DeadlinePassed { call }))
}

/// An error and its sources on one line, for report fields.
pub(crate) fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The last path segment of an ARN: `alpha-gunicorn:7` of a task
/// definition, the id of a task.
pub(crate) fn arn_tail(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// The revision number of a task definition ARN (`…/alpha-gunicorn:7` → 7).
pub(crate) fn revision_of(arn: &str) -> Option<i32> {
    arn_tail(arn).rsplit_once(':').and_then(|(_, r)| r.parse().ok())
}

#[cfg(test)]
pub(crate) mod testing;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_parts() {
        let arn = "arn:aws:ecs:us-east-1:1:task-definition/alpha-gunicorn:7";
        assert_eq!(arn_tail(arn), "alpha-gunicorn:7");
        assert_eq!(revision_of(arn), Some(7));
        assert_eq!(revision_of("alpha-gunicorn"), None);
    }
}
