//! The migration gate against a mocked ECS, under tokio's paused clock.

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
        .output(|| testing::migration_stopped(0))
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
    let describe = mock!(Client::describe_tasks).then_output(|| testing::migration_stopped(1));
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
    let stop =
        mock!(Client::stop_task).then_output(|| aws_sdk_ecs::operation::stop_task::StopTaskOutput::builder().build());
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

/// Bug: every phase change (PROVISIONING, PENDING, RUNNING) snapped the
/// polls back to 2 s, so the benchmark's 30 s migration took 11
/// DescribeTasks (the official action: 4). The start now backs off; only
/// the stopping phases bring the quick polls back, so the verdict still
/// comes right after the task stops.
#[tokio::test(start_paused = true)]
async fn a_30_s_migration_is_polled_7_times_not_11() {
    // The benchmark's migration: provisioning 5 s, pulling 5 s, running
    // 14 s, stopping 6 s.
    let start = Instant::now();
    let describe = mock!(Client::describe_tasks).then_compute_output(move |_| {
        let at = start.elapsed().as_secs_f64();
        match at {
            _ if at < 5.0 => status("PROVISIONING"),
            _ if at < 10.0 => status("PENDING"),
            _ if at < 24.0 => status("RUNNING"),
            _ if at < 30.0 => status("STOPPING"),
            _ => testing::migration_stopped(0),
        }
    });
    let run = started();
    let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [&run, &describe]);
    let logs = mock_client!(
        aws_sdk_cloudwatchlogs,
        RuleMode::MatchAny,
        [&mock!(aws_sdk_cloudwatchlogs::Client::get_log_events).then_output(|| testing::log_events(&[]))]
    );
    let steady = GateLimits {
        pacing: Pacing::steady(),
        ..limits()
    };
    let report = gate(ecs, logs, steady).await;
    assert_eq!(report.result, StepResult::Succeeded);
    // At 2, 5, 9.5, 16.25 s (backing off), 26.4 s (STOPPING: quick again),
    // 28.4 and 30.4 s (STOPPED).
    assert_eq!(describe.num_calls(), 7);
    let late = start.elapsed().as_secs_f64() - 30.0;
    assert!((0.0..1.0).contains(&late), "verdict {late:.2} s after the task stopped");
}
