//! The watcher against a mocked ECS, under tokio's paused clock.

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

/// `limits()` without jitter, for tests that count polls.
fn steady_limits() -> WatchLimits {
    WatchLimits {
        pacing: Pacing::steady(),
        ..limits()
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
    run_logged(ecs, &no_logs(), watches, limits).await
}

/// `run`, with a logs client for the failed tasks' tails.
async fn run_logged(
    ecs: &Client,
    logs: &aws_sdk_cloudwatchlogs::Client,
    watches: &mut [Watch],
    limits: WatchLimits,
) -> WatchEnd {
    let watcher = RolloutWatcher {
        ecs,
        logs,
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

/// Task `abc`, stopped: its gunicorn container exited with 1.
fn crashed_abc() -> DescribeTasksOutput {
    DescribeTasksOutput::builder()
        .tasks(testing::stopped_task(
            "abc",
            "gunicorn",
            1,
            "Essential container in task exited",
        ))
        .build()
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
    let describe = mock!(Client::describe_tasks).then_output(crashed_abc);
    let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [&rule, &list, &describe]);
    let logs = mock_client!(
        aws_sdk_cloudwatchlogs,
        [&mock!(aws_sdk_cloudwatchlogs::Client::get_log_events)
            .then_output(|| { testing::log_events(&["ImproperlyConfigured"]) })]
    );
    let mut watches = [watch()];
    run_logged(&ecs, &logs, &mut watches, limits()).await;
    let (result, reason) = watches[0].verdict.clone().unwrap();
    assert_eq!(result, StepResult::Failed);
    assert!(reason.unwrap().contains("container gunicorn exited with 1"));
    let failure = &watches[0].failures[0];
    assert_eq!(failure.log.as_ref().unwrap().lines, ["ImproperlyConfigured"]);
}

/// Bug: each poll while a crashed task was still STOPPING listed the
/// deployment's stopped tasks again (ListTasks + DescribeTasks): counts
/// that have not moved need only the stopping task described again.
#[tokio::test(start_paused = true)]
async fn a_task_still_stopping_is_described_again_not_listed_again() {
    let crashing = || {
        vec![service(
            "alpha-gunicorn",
            vec![
                deployment("ecs-svc/2", "PRIMARY", InProgress, NEW, 0, 1),
                deployment("ecs-svc/1", "ACTIVE", Completed, OLD, 1, 0),
            ],
        )]
    };
    let rule = sequence(vec![crashing(), crashing()]);
    let list = mock!(Client::list_tasks).then_output(|| {
        ListTasksOutput::builder()
            .task_arns("arn:aws:ecs:us-east-1:123456789012:task/alpha-cluster/abc")
            .build()
    });
    let mut still_stopping = testing::stopped_task("abc", "gunicorn", 1, "Essential container in task exited");
    still_stopping.last_status = Some("STOPPING".into());
    let describe = mock!(Client::describe_tasks)
        .match_requests(|r| r.tasks() == ["arn:aws:ecs:us-east-1:123456789012:task/alpha-cluster/abc"])
        .sequence()
        .output(move || DescribeTasksOutput::builder().tasks(still_stopping.clone()).build())
        .output(crashed_abc)
        .build();
    let logs_rule = mock!(aws_sdk_cloudwatchlogs::Client::get_log_events).then_output(|| testing::log_events(&[]));
    let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [&rule, &list, &describe]);
    let logs = mock_client!(aws_sdk_cloudwatchlogs, [&logs_rule]);
    let mut watches = [watch()];
    run_logged(&ecs, &logs, &mut watches, limits()).await;
    assert_eq!(watches[0].verdict.as_ref().map(|v| v.0), Some(StepResult::Failed));
    assert_eq!((list.num_calls(), describe.num_calls()), (1, 2));
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

/// Bug: adaptive retry's client rate limiter, fed by a poller's low send
/// rate, asked for the whole maximum backoff (5 s) before every retry of a
/// throttled call, so each throttle cost a poll interval or more.
#[tokio::test(start_paused = true)]
async fn a_throttled_poll_is_retried_after_a_short_jittered_backoff_not_a_rate_limiter_pause() {
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
    let start = Instant::now();
    run(&ecs, &mut watches, steady_limits()).await;
    assert_eq!(watches[0].verdict, Some((StepResult::Succeeded, None)));
    assert_eq!(rule.num_calls(), 3);
    // The first look after 2 s; then full jitter over 1 s, then 2 s: at
    // most 3 s for both retries.
    assert!(start.elapsed() <= Duration::from_secs(5), "{:?}", start.elapsed());
}

/// Bug: the first look (which only shows the deployment starting) and a
/// service that had just completed both snapped the polls back to 2 s,
/// although no verdict was near for the services still rolling.
#[tokio::test(start_paused = true)]
async fn a_decided_service_does_not_hurry_the_polls_of_the_others() {
    const BEAT: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/alpha-beat:2";
    let start = Instant::now();
    // gunicorn completes 10 s in, beat 60 s in.
    let rule = mock!(Client::describe_services).then_compute_output(move |r| {
        let at = start.elapsed().as_secs();
        let state = |done_at: u64| if at >= done_at { (Completed, 1) } else { (InProgress, 0) };
        let services = r
            .services()
            .iter()
            .map(|name| {
                let (id, td, (rollout, running)) = match name.as_str() {
                    "alpha-gunicorn" => ("ecs-svc/2", NEW, state(10)),
                    _ => ("ecs-svc/7", BEAT, state(60)),
                };
                service(name, vec![deployment(id, "PRIMARY", rollout, td, running, 0)])
            })
            .collect();
        describe_services_output(services)
    });
    let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [&rule]);
    let beat = Watch::new(
        "beat",
        "alpha-beat",
        "ecs-svc/7".into(),
        testing::described("alpha-beat", 2, "beat", "r:v2"),
    );
    let mut watches = [watch(), beat];
    run(&ecs, &mut watches, steady_limits()).await;
    assert!(watches.iter().all(|w| w.verdict == Some((StepResult::Succeeded, None))));
    // At 2, 5, 9.5, 16.25 (gunicorn done), 26.4, 41.6, 56.6, 71.6 s (beat done).
    assert_eq!(rule.num_calls(), 8);
}

mod vanished {
    use super::super::*;
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
