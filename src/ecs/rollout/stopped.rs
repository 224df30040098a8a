//! The stopped tasks of a deployment being watched: which of them crashed,
//! why, and what the first few wrote before they did.

use aws_sdk_ecs::types::DesiredStatus;

use super::watch::Watch;
use crate::ecs::task::{crashed, describe_failure, TaskPhase};
use crate::ecs::{logs, EcsError, DESCRIBE_TASKS_BATCH};

/// Failed tasks whose logs are fetched per service; the first one or two
/// say why, the rest repeat it.
const LOGGED_FAILURES: usize = 2;

/// Reads the deployment's stopped tasks not seen before, records the
/// crashes in the watch, and returns the description of the first.
pub(super) async fn inspect(
    ecs: &aws_sdk_ecs::Client,
    logs: &aws_sdk_cloudwatchlogs::Client,
    cluster: &str,
    w: &mut Watch,
) -> Result<Option<String>, EcsError> {
    let listed = ecs
        .list_tasks()
        .cluster(cluster)
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
                continue;
            }
            if let Some(arn) = task.task_arn() {
                w.seen_tasks.insert(arn.to_owned());
            }
            let Some(mut failure) = crashed(task, &w.target) else {
                continue;
            };
            if w.failures.len() < LOGGED_FAILURES {
                if let Some(def) = failure.container.as_deref().and_then(|c| w.target.container(c).ok()) {
                    failure.log = Some(logs::tail(logs, def, &failure.task_id).await);
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
