//! The bake window against a mocked ECS, under tokio's paused clock.

use super::*;
use crate::ecs::testing::{self, deployment, describe_services_output, service};
use aws_sdk_ecs::operation::describe_tasks::DescribeTasksOutput;
use aws_sdk_ecs::operation::list_tasks::ListTasksOutput;
use aws_sdk_ecs::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use DeploymentRolloutState::{Completed, InProgress};

const NEW: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/alpha-gunicorn:2";
const WINDOW: Duration = Duration::from_secs(300);

fn completed_watch() -> Watch {
    let mut w = Watch::new(
        "gunicorn",
        "alpha-gunicorn",
        "ecs-svc/2".into(),
        testing::described("alpha-gunicorn", 2, "gunicorn", "r:v2"),
    );
    w.verdict = Some((StepResult::Succeeded, None));
    w
}

async fn bake(ecs: &Client, watch: &mut Watch) -> BakeEnd {
    let logs = mock_client!(
        aws_sdk_cloudwatchlogs,
        RuleMode::MatchAny,
        [&mock!(aws_sdk_cloudwatchlogs::Client::get_log_events).then_output(|| testing::log_events(&[]))]
    );
    let watcher = RolloutWatcher {
        ecs,
        logs: &logs,
        cluster: "alpha-cluster",
        progress: &|_: Subject<'_>, _: Event<'_>| {},
    };
    watcher.bake(&mut [watch], WINDOW, Pacing::default()).await.unwrap()
}

fn held() -> aws_sdk_ecs::types::Service {
    service(
        "alpha-gunicorn",
        vec![deployment("ecs-svc/2", "PRIMARY", Completed, NEW, 1, 0)],
    )
}

/// Answers `first` for the first polls, then `then` for good.
fn describe(first: Vec<aws_sdk_ecs::types::Service>, then: aws_sdk_ecs::types::Service) -> Rule {
    let mut seq = mock!(Client::describe_services).sequence();
    for s in first {
        seq = seq.output(move || describe_services_output(vec![s.clone()]));
    }
    seq.output(move || describe_services_output(vec![then.clone()]))
        .repeatedly()
        .build()
}

#[tokio::test(start_paused = true)]
async fn a_quiet_window_holds_without_looking_at_tasks() {
    let services = describe(vec![], held());
    let list = mock!(Client::list_tasks).then_output(|| ListTasksOutput::builder().build());
    let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [&services, &list]);
    let mut w = completed_watch();
    let start = Instant::now();
    assert_eq!(bake(&ecs, &mut w).await, BakeEnd::Held);
    assert_eq!(start.elapsed(), WINDOW, "the whole window, no more");
    assert_eq!(w.verdict, Some((StepResult::Succeeded, None)));
    assert_eq!(list.num_calls(), 0, "counts said nothing stopped");
    // Paced like the rollout: 2 s backing off to 15 s (± 20 %).
    let polls = services.num_calls();
    assert!((18..=30).contains(&polls), "{polls} polls in 300 s");
}

/// The late-fail benchmark scenario, in small: the new task passes its
/// health check, the deployment completes, then the task fails the check
/// and ECS stops it.
#[tokio::test(start_paused = true)]
async fn a_task_failing_its_health_check_after_completion_fails_the_service() {
    let replaced = service(
        "alpha-gunicorn",
        vec![deployment("ecs-svc/2", "PRIMARY", Completed, NEW, 0, 1)],
    );
    let services = describe(vec![held(), held(), held()], replaced);
    let list = mock!(Client::list_tasks)
        .match_requests(|r| r.started_by() == Some("ecs-svc/2"))
        .then_output(|| {
            ListTasksOutput::builder()
                .task_arns("arn:aws:ecs:us-east-1:123456789012:task/alpha-cluster/t1")
                .build()
        });
    let tasks = mock!(Client::describe_tasks).then_output(|| {
        DescribeTasksOutput::builder()
            .tasks(testing::unhealthy_task("t1", "gunicorn"))
            .build()
    });
    let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [&services, &list, &tasks]);
    let mut w = completed_watch();
    let start = Instant::now();
    assert_eq!(bake(&ecs, &mut w).await, BakeEnd::Failed);
    assert!(start.elapsed() < Duration::from_secs(30), "{:?}", start.elapsed());
    let (result, reason) = w.verdict.clone().unwrap();
    assert_eq!(result, StepResult::Failed);
    let reason = reason.unwrap();
    assert!(
        reason.starts_with("failed after its rollout completed, ")
            && reason.ends_with("task t1: container gunicorn exited with 0 (Task failed container health checks)"),
        "{reason}"
    );
    assert_eq!(w.failures.len(), 1);
    assert_eq!((list.num_calls(), tasks.num_calls()), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn a_deployment_replaced_during_the_window_fails_the_service() {
    let replaced = service(
        "alpha-gunicorn",
        vec![
            deployment("ecs-svc/3", "PRIMARY", InProgress, NEW, 0, 0),
            deployment("ecs-svc/2", "ACTIVE", Completed, NEW, 1, 0),
        ],
    );
    let services = describe(vec![held()], replaced);
    let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [&services]);
    let mut w = completed_watch();
    assert_eq!(bake(&ecs, &mut w).await, BakeEnd::Failed);
    let reason = w.verdict.unwrap().1.unwrap();
    assert!(reason.ends_with("ecs-svc/3 replaced this run's deployment"), "{reason}");
}

#[tokio::test(start_paused = true)]
async fn an_outage_at_the_end_of_the_window_is_not_called_held() {
    let outage = mock!(Client::describe_services).then_error(|| {
        aws_sdk_ecs::operation::describe_services::DescribeServicesError::ServerException(
            aws_sdk_ecs::types::error::ServerException::builder()
                .message("injected outage")
                .build(),
        )
    });
    let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [&outage]);
    let mut w = completed_watch();
    let end = bake(&ecs, &mut w).await;
    assert!(
        matches!(&end, BakeEnd::Unreadable(e) if e.contains("injected outage")),
        "{end:?}"
    );
    assert_eq!(
        w.verdict,
        Some((StepResult::Succeeded, None)),
        "an outage decides nothing"
    );
}
