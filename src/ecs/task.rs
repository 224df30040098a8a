//! Facts about one ECS task that both the migration gate and the rollout
//! watcher need: where it is in its lifecycle, and whether it failed.

use aws_sdk_ecs::types::{HealthStatus, Task, TaskStopCode};

use super::arn_tail;
use super::taskdef::Described;
use crate::outcome::update::TaskFailure;

/// A task's `lastStatus`, as ECS documents the lifecycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TaskPhase {
    Provisioning,
    Pending,
    Activating,
    Running,
    Deactivating,
    Stopping,
    Deprovisioning,
    Stopped,
    /// A status this build does not know; kept so the log can show it.
    Other(String),
}

impl TaskPhase {
    pub(crate) fn of(task: &Task) -> Option<TaskPhase> {
        task.last_status().map(TaskPhase::parse)
    }

    pub(crate) fn parse(status: &str) -> TaskPhase {
        match status {
            "PROVISIONING" => TaskPhase::Provisioning,
            "PENDING" => TaskPhase::Pending,
            "ACTIVATING" => TaskPhase::Activating,
            "RUNNING" => TaskPhase::Running,
            "DEACTIVATING" => TaskPhase::Deactivating,
            "STOPPING" => TaskPhase::Stopping,
            "DEPROVISIONING" => TaskPhase::Deprovisioning,
            "STOPPED" => TaskPhase::Stopped,
            other => TaskPhase::Other(other.to_owned()),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            TaskPhase::Provisioning => "PROVISIONING",
            TaskPhase::Pending => "PENDING",
            TaskPhase::Activating => "ACTIVATING",
            TaskPhase::Running => "RUNNING",
            TaskPhase::Deactivating => "DEACTIVATING",
            TaskPhase::Stopping => "STOPPING",
            TaskPhase::Deprovisioning => "DEPROVISIONING",
            TaskPhase::Stopped => "STOPPED",
            TaskPhase::Other(s) => s,
        }
    }

    /// On the way from RUNNING to STOPPED.
    pub(crate) fn stopping(&self) -> bool {
        matches!(
            self,
            TaskPhase::Deactivating | TaskPhase::Stopping | TaskPhase::Deprovisioning
        )
    }

    /// The task's containers have started (or it has moved past that).
    pub(crate) fn reached_running(&self) -> bool {
        matches!(
            self,
            TaskPhase::Running
                | TaskPhase::Deactivating
                | TaskPhase::Stopping
                | TaskPhase::Deprovisioning
                | TaskPhase::Stopped
        )
    }
}

/// The first essential container of a STOPPED task that did not exit 0,
/// or `None` when the task passed.
pub(crate) fn essential_failure(task: &Task, revision: &Described) -> Option<TaskFailure> {
    let essential = revision.essential_containers();
    let failure = |container: Option<String>, exit_code: Option<i32>| TaskFailure {
        task_id: task.task_arn().map(arn_tail).unwrap_or_default().to_owned(),
        container,
        exit_code,
        stop_code: task.stop_code().map(|c| c.as_str().to_owned()),
        stopped_reason: task.stopped_reason().map(str::to_owned),
        log: None,
    };
    for name in &essential {
        let container = task.containers().iter().find(|c| c.name() == Some(name.as_str()));
        match container.and_then(|c| c.exit_code()) {
            Some(0) => {}
            // No exit code: the container never ran (image pull, secrets, ENI…).
            other => return Some(failure(Some(name.clone()), other)),
        }
    }
    None
}

/// A stopped task of a deployment counts as a crash only when an essential
/// container exited non-zero (or never ran): scale-in and replacements stop
/// tasks on purpose.
pub(crate) fn crashed(task: &Task, revision: &Described) -> Option<TaskFailure> {
    if task.stop_code() == Some(&TaskStopCode::ServiceSchedulerInitiated) {
        return None;
    }
    essential_failure(task, revision).filter(|f| f.exit_code != Some(0))
}

/// A stopped task whose essential container failed its health check (ECS
/// then stops the task itself, so the container may well exit 0): what the
/// bake window looks for once the rollouts completed.
pub(crate) fn crashed_or_unhealthy(task: &Task, revision: &Described) -> Option<TaskFailure> {
    let essential = revision.essential_containers();
    let unhealthy = task
        .containers()
        .iter()
        .filter(|c| c.name().is_some_and(|n| essential.iter().any(|e| e == n)))
        .find(|c| c.health_status() == Some(&HealthStatus::Unhealthy));
    let Some(container) = unhealthy else {
        return crashed(task, revision);
    };
    Some(TaskFailure {
        task_id: task.task_arn().map(arn_tail).unwrap_or_default().to_owned(),
        container: container.name().map(str::to_owned),
        exit_code: container.exit_code(),
        stop_code: task.stop_code().map(|c| c.as_str().to_owned()),
        stopped_reason: task.stopped_reason().map(str::to_owned),
        log: None,
    })
}

pub(crate) fn describe_failure(f: &TaskFailure) -> String {
    let mut s = match (&f.container, f.exit_code) {
        (Some(c), Some(code)) => format!("container {c} exited with {code}"),
        (Some(c), None) => format!("container {c} did not run"),
        _ => "the task stopped".to_owned(),
    };
    if let Some(reason) = &f.stopped_reason {
        s.push_str(&format!(" ({reason})"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::testing;

    #[test]
    fn phases_parse_and_print_back() {
        for status in ["PROVISIONING", "PENDING", "RUNNING", "STOPPED", "SOMETHING_NEW"] {
            assert_eq!(TaskPhase::parse(status).as_str(), status);
        }
        assert!(!TaskPhase::Pending.reached_running());
        assert!(TaskPhase::Deprovisioning.reached_running());
        assert!(TaskPhase::Deactivating.stopping() && !TaskPhase::Running.stopping());
    }

    #[test]
    fn a_task_the_scheduler_stopped_is_not_a_crash() {
        let revision = testing::described("alpha-gunicorn", 2, "gunicorn", "r:v2");
        let mut task = testing::stopped_task("t1", "gunicorn", 137, "Scaling activity initiated by deployment");
        assert!(crashed(&task, &revision).is_some());
        task.stop_code = Some(TaskStopCode::ServiceSchedulerInitiated);
        assert!(crashed(&task, &revision).is_none());
        assert!(crashed_or_unhealthy(&task, &revision).is_none());
    }

    #[test]
    fn a_task_stopped_for_failing_its_health_check_is_unhealthy_even_at_exit_0() {
        let revision = testing::described("alpha-gunicorn", 2, "gunicorn", "r:v2");
        let task = testing::unhealthy_task("t1", "gunicorn");
        assert!(crashed(&task, &revision).is_none(), "the scheduler stopped it");
        let failure = crashed_or_unhealthy(&task, &revision).unwrap();
        assert_eq!(
            describe_failure(&failure),
            "container gunicorn exited with 0 (Task failed container health checks)"
        );
    }
}
