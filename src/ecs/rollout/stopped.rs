//! The stopped tasks of a deployment being watched: which of them crashed,
//! why, and what the first few wrote before they did.

use aws_sdk_ecs::types::{DesiredStatus, Task};

use super::watch::Watch;
use crate::ecs::task::{crashed, crashed_or_unhealthy, describe_failure, TaskPhase};
use crate::ecs::taskdef::Described;
use crate::ecs::{logs, EcsError, DESCRIBE_TASKS_BATCH};
use crate::outcome::update::TaskFailure;

/// Failed tasks whose logs are fetched per service; the first one or two
/// say why, the rest repeat it.
const LOGGED_FAILURES: usize = 2;

/// Which stopped tasks count as failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Judge {
    /// During a rollout: a crash. A task that failed its health check
    /// counts towards the failed-tasks threshold through ECS's own count.
    Crashes,
    /// After the rollout completed: a crash or a failed health check,
    /// whichever comes first.
    CrashesAndHealthChecks,
}

impl Judge {
    fn failure(self, task: &Task, revision: &Described) -> Option<TaskFailure> {
        match self {
            Judge::Crashes => crashed(task, revision),
            Judge::CrashesAndHealthChecks => crashed_or_unhealthy(task, revision),
        }
    }
}

/// What one look at the stopped tasks found.
#[derive(Debug, Default)]
pub(super) struct Inspection {
    /// The description of the first new failure.
    pub(super) first: Option<String>,
    /// Tasks still on their way to STOPPED, looked at again next time.
    pub(super) stopping: usize,
}

/// Reads the deployment's stopped tasks not seen before, records the
/// failures in the watch, and describes the first.
pub(super) async fn inspect(
    ecs: &aws_sdk_ecs::Client,
    logs: &aws_sdk_cloudwatchlogs::Client,
    cluster: &str,
    w: &mut Watch,
    judge: Judge,
) -> Result<Inspection, EcsError> {
    // Counts that have not moved since the last list mean no other task
    // stopped: only those that were still stopping need another look.
    let new: Vec<String> = if w.listed.is_some() && w.listed == w.last_signature {
        std::mem::take(&mut w.stopping)
    } else {
        let listed = ecs
            .list_tasks()
            .cluster(cluster)
            .started_by(&w.deployment_id)
            .desired_status(DesiredStatus::Stopped)
            .send()
            .await
            .map_err(|e| EcsError::ListTasks(Box::new(e)))?;
        w.listed = w.last_signature.clone();
        listed
            .task_arns()
            .iter()
            .filter(|a| !w.seen_tasks.contains(*a))
            .cloned()
            .collect()
    };
    w.stopping.clear();
    let mut found = Inspection::default();
    for chunk in new.chunks(DESCRIBE_TASKS_BATCH) {
        let described = ecs
            .describe_tasks()
            .cluster(cluster)
            .set_tasks(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| EcsError::DescribeTasks(Box::new(e)))?;
        for task in described.tasks() {
            // A task still STOPPING is looked at again next poll.
            if TaskPhase::of(task) != Some(TaskPhase::Stopped) {
                found.stopping += 1;
                w.stopping.extend(task.task_arn().map(str::to_owned));
                continue;
            }
            if let Some(arn) = task.task_arn() {
                w.seen_tasks.insert(arn.to_owned());
            }
            let Some(mut failure) = judge.failure(task, &w.target) else {
                continue;
            };
            if w.failures.len() < LOGGED_FAILURES {
                if let Some(def) = failure.container.as_deref().and_then(|c| w.target.container(c).ok()) {
                    failure.log = Some(logs::tail(logs, def, &failure.task_id).await);
                }
            }
            if found.first.is_none() {
                found.first = Some(format!("task {}: {}", failure.task_id, describe_failure(&failure)));
            }
            w.failures.push(failure);
        }
    }
    Ok(found)
}
