//! The update run end to end against a tiny mocked ECS: which writes each
//! kind of run makes, and the outcome it reports.

use std::sync::{Arc, Mutex};

use aws_sdk_ecs::operation::describe_task_definition::DescribeTaskDefinitionOutput;
use aws_sdk_ecs::operation::list_tasks::ListTasksOutput;
use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionOutput;
use aws_sdk_ecs::operation::run_task::RunTaskOutput;
use aws_sdk_ecs::operation::update_service::UpdateServiceOutput;
use aws_sdk_ecs::types::{Deployment, DeploymentRolloutState};
use aws_sdk_ecs::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};

use super::*;
use crate::ecs::progress::{Event, Subject};
use crate::ecs::testing;
use crate::outcome::update::StepResult;

const CONTRACT: &str = r#"{
  "region": "us-east-1", "cluster": "alpha-cluster",
  "network": {"subnets": ["subnet-0123abcd"], "securityGroups": ["sg-0123abcd"], "assignPublicIp": false},
  "images": {"backend": "repo/acme-backend", "frontend": "repo/acme-frontend"},
  "database": "alpha-db",
  "migration": {"taskFamily": "alpha-backend_update", "container": "backend_update",
                "image": "backend", "command": ["python", "manage.py", "pre_update"]},
  "services": [
    {"name": "gunicorn", "service": "alpha-gunicorn", "taskFamily": "alpha-gunicorn",
     "container": "gunicorn", "image": "backend", "desiredCount": 1},
    {"name": "beat", "service": "alpha-beat", "taskFamily": "alpha-beat",
     "container": "beat", "image": "backend", "desiredCount": 1}
  ]}"#;

/// A tiny ECS: task definitions by family, one deployment per update;
/// rollouts of an image tagged `broken` fail, all others complete.
#[derive(Default)]
struct World {
    latest: BTreeMap<String, (i32, String)>,
    services: BTreeMap<String, Deployment>,
    /// Each service's desired count (1 unless the test starts it at 0).
    desired: BTreeMap<String, i32>,
    /// Every UpdateService: the service and the count it asked for.
    updates: Vec<(String, Option<i32>)>,
    next_id: u32,
}

fn container_of(family: &str) -> &str {
    family.strip_prefix("alpha-").unwrap_or(family)
}

fn request(tag: &str, dry_run: bool) -> UpdateRequest {
    UpdateRequest {
        env: "alpha".into(),
        contract: Contract::parse(CONTRACT, "test").unwrap(),
        tags: BTreeMap::from([("backend".to_owned(), tag.parse().unwrap())]),
        options: UpdateOptions {
            dry_run,
            rollback: true,
            force: false,
            timeout: Duration::from_secs(1800),
            no_progress: Duration::from_secs(300),
            failed_tasks_threshold: 2,
            pacing: Pacing::default(),
            bake: Duration::ZERO,
            approved: None,
        },
    }
}

/// Runs an update against the tiny ECS; returns the report and the
/// number of each write.
async fn update(tag: &str, dry_run: bool) -> (UpdateReport, usize, usize, usize) {
    let (report, registered, migrations, updates, _) = update_in(tag, dry_run, &[]).await;
    (report, registered, migrations, updates)
}

/// The same, with the services in `fresh` at 0 tasks (as the IaC creates
/// them); also returns every UpdateService the run sent.
async fn update_in(
    tag: &str,
    dry_run: bool,
    fresh: &[&str],
) -> (UpdateReport, usize, usize, usize, Vec<(String, Option<i32>)>) {
    let world = Arc::new(Mutex::new(World::default()));
    {
        let mut w = world.lock().unwrap();
        for service in fresh {
            w.desired.insert((*service).to_owned(), 0);
        }
        for family in ["alpha-backend_update", "alpha-gunicorn", "alpha-beat"] {
            w.latest.insert(family.into(), (1, "repo/acme-backend:latest".into()));
        }
        for service in ["alpha-gunicorn", "alpha-beat"] {
            let td = testing::arn(service, 1);
            w.services.insert(
                service.into(),
                testing::deployment("ecs-svc/0", "PRIMARY", DeploymentRolloutState::Completed, &td, 1, 0),
            );
        }
    }
    let w = world.clone();
    let describe_td = mock!(Client::describe_task_definition).then_compute_output(move |r| {
        let asked = r.task_definition().unwrap_or_default();
        let (family, revision) = match asked.rsplit('/').next().unwrap_or(asked).split_once(':') {
            Some((f, rev)) => (f.to_owned(), rev.parse().unwrap_or(1)),
            None => (
                asked.to_owned(),
                w.lock()
                    .unwrap()
                    .latest
                    .get(asked)
                    .map(|l| l.0)
                    .unwrap_or_else(|| panic!("asked {asked:?}")),
            ),
        };
        let image = if revision == 1 {
            "repo/acme-backend:latest".to_owned()
        } else {
            w.lock().unwrap().latest[&family].1.clone()
        };
        DescribeTaskDefinitionOutput::builder()
            .task_definition(testing::task_definition(
                &family,
                revision,
                container_of(&family),
                &image,
            ))
            .build()
    });
    // A tag called `denied` cannot be registered for beat: an AWS error in
    // the middle of the writes.
    let denied = mock!(Client::register_task_definition)
        .match_requests(|r| {
            r.family() == Some("alpha-beat")
                && r.container_definitions()[0]
                    .image()
                    .is_some_and(|i| i.ends_with(":denied"))
        })
        .then_error(|| {
            aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionError::ClientException(
                aws_sdk_ecs::types::error::ClientException::builder()
                    .message("not authorized to register alpha-beat")
                    .build(),
            )
        });
    let w = world.clone();
    let register = mock!(Client::register_task_definition).then_compute_output(move |r| {
        let family = r.family().unwrap_or_default().to_owned();
        let image = r.container_definitions()[0].image().unwrap_or_default().to_owned();
        let mut w = w.lock().unwrap();
        let revision = w.latest[&family].0 + 1;
        w.latest.insert(family.clone(), (revision, image.clone()));
        RegisterTaskDefinitionOutput::builder()
            .task_definition(testing::task_definition(
                &family,
                revision,
                container_of(&family),
                &image,
            ))
            .build()
    });
    // A tag called `outage`: ECS cannot be read once the rollouts began.
    let w = world.clone();
    let outage = tag == "outage";
    let unreadable = mock!(Client::describe_services)
        .match_requests(move |_| outage && !w.lock().unwrap().updates.is_empty())
        .then_error(|| {
            aws_sdk_ecs::operation::describe_services::DescribeServicesError::ServerException(
                aws_sdk_ecs::types::error::ServerException::builder()
                    .message("injected outage")
                    .build(),
            )
        });
    let w = world.clone();
    let describe_services = mock!(Client::describe_services).then_compute_output(move |r| {
        let w = w.lock().unwrap();
        let services = r
            .services()
            .iter()
            .map(|name| {
                let mut s = testing::service(name, vec![w.services[name].clone()]);
                s.desired_count = w.desired.get(name).copied().unwrap_or(1);
                s
            })
            .collect();
        testing::describe_services_output(services)
    });
    let w = world.clone();
    let update_service = mock!(Client::update_service).then_compute_output(move |r| {
        let mut w = w.lock().unwrap();
        w.next_id += 1;
        let td = r.task_definition().unwrap_or_default().to_owned();
        let family = td
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .split(':')
            .next()
            .unwrap_or_default()
            .to_owned();
        let revision = crate::ecs::revision_of(&td).unwrap_or(1);
        let broken = revision > 1 && w.latest[&family].1.ends_with(":broken");
        let id = format!("ecs-svc/{}", w.next_id);
        let state = if broken {
            DeploymentRolloutState::Failed
        } else {
            DeploymentRolloutState::Completed
        };
        let status = if broken { "ACTIVE" } else { "PRIMARY" };
        let name = r.service().unwrap_or_default().to_owned();
        w.updates.push((name.clone(), r.desired_count()));
        if let Some(count) = r.desired_count() {
            w.desired.insert(name.clone(), count);
        }
        // The answer shows the new deployment starting; the next
        // DescribeServices shows how it ended.
        w.services.insert(
            name.clone(),
            testing::deployment(&id, status, state, &td, 1, if broken { 3 } else { 0 }),
        );
        UpdateServiceOutput::builder()
            .service(testing::service(
                &name,
                vec![testing::deployment(
                    &id,
                    "PRIMARY",
                    DeploymentRolloutState::InProgress,
                    &td,
                    0,
                    0,
                )],
            ))
            .build()
    });
    let run_task = mock!(Client::run_task).then_output(|| {
        RunTaskOutput::builder()
            .tasks(
                aws_sdk_ecs::types::Task::builder()
                    .task_arn("arn:aws:ecs:us-east-1:1:task/alpha-cluster/m1")
                    .build(),
            )
            .build()
    });
    let describe_tasks = mock!(Client::describe_tasks).then_output(|| testing::migration_stopped(0));
    let list_tasks = mock!(Client::list_tasks).then_output(|| ListTasksOutput::builder().build());
    let ecs = mock_client!(
        aws_sdk_ecs,
        RuleMode::MatchAny,
        [
            &describe_td,
            &denied,
            &register,
            &unreadable,
            &describe_services,
            &update_service,
            &run_task,
            &describe_tasks,
            &list_tasks
        ]
    );
    // The migration's log is read when it passes, for the summary.
    let log_events = mock!(aws_sdk_cloudwatchlogs::Client::get_log_events).then_output(|| testing::log_events(&[]));
    let clients = Clients {
        ecs,
        logs: mock_client!(aws_sdk_cloudwatchlogs, [&log_events]),
    };
    let report = run(&clients, &request(tag, dry_run), &|_: Subject<'_>, _: Event<'_>| {})
        .await
        .unwrap();
    let updates = world.lock().unwrap().updates.clone();
    (
        report,
        register.num_calls(),
        run_task.num_calls(),
        update_service.num_calls(),
        updates,
    )
}

#[tokio::test(start_paused = true)]
async fn one_failed_service_rolls_every_updated_service_back() {
    let (report, registered, migrations, updates) = update("broken", false).await;
    assert_eq!(report.outcome, UpdateOutcome::RolledBack);
    assert_eq!((registered, migrations), (3, 1));
    // Two rollouts, then both services back: `beat` had succeeded.
    assert_eq!(updates, 4);
    for s in &report.services {
        let rollback = s.rollback.as_ref().unwrap();
        assert_eq!(
            (rollback.to_revision, rollback.result),
            (Some(1), StepResult::Succeeded),
            "{}",
            s.name
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_healthy_update_registers_migrates_and_rolls() {
    let (report, registered, migrations, updates) = update("v2", false).await;
    assert_eq!(report.outcome, UpdateOutcome::Succeeded);
    assert_eq!((registered, migrations, updates), (3, 1, 2));
    assert!(report
        .services
        .iter()
        .all(|s| s.result == StepResult::Succeeded && s.new_revision == Some(2)));
}

#[tokio::test(start_paused = true)]
async fn an_aws_error_after_writes_began_still_returns_the_report() {
    let (report, _registered, migrations, updates) = update("denied", false).await;
    assert_eq!(report.outcome, UpdateOutcome::Failed);
    let message = report.message.unwrap();
    assert!(message.contains("AWS error after changes began"), "{message}");
    assert!(message.contains("not authorized to register alpha-beat"), "{message}");
    assert_eq!((migrations, updates), (0, 0), "nothing after the failed write");
}

#[tokio::test(start_paused = true)]
async fn a_read_outage_during_the_rollouts_is_unknown_and_rolls_nothing_back() {
    let (report, _, migrations, updates) = update("outage", false).await;
    assert_eq!(report.outcome, UpdateOutcome::Unknown);
    assert_eq!((migrations, updates), (1, 2), "a read outage caused a write");
    for s in &report.services {
        assert_eq!(s.result, StepResult::Unknown, "{}", s.name);
        assert!(s.rollback.is_none(), "{}", s.name);
        let reason = s.reason.as_deref().unwrap_or_default();
        assert!(
            reason.contains("could not be read") && reason.contains("injected outage"),
            "{reason}"
        );
    }
    let message = report.message.unwrap_or_default();
    assert!(message.contains("nothing was rolled back"), "{message}");
    assert!(
        message.contains("the migration (task m1) had run and passed"),
        "{message}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_dry_run_writes_nothing_and_plans_every_family() {
    let (report, registered, migrations, updates) = update("v2", true).await;
    assert_eq!(report.outcome, UpdateOutcome::Planned);
    assert_eq!((registered, migrations, updates), (0, 0, 0));
    assert_eq!(report.revisions.len(), 3);
    assert!(report.revisions.iter().all(|r| r.registers && r.changes.len() == 1));
    assert_eq!(report.migration.as_ref().map(|m| m.result), Some(StepResult::Planned));
}

#[tokio::test(start_paused = true)]
async fn the_same_tag_as_now_is_nothing_to_do() {
    let (report, registered, migrations, updates) = update("latest", false).await;
    assert_eq!(report.outcome, UpdateOutcome::NothingToDo);
    assert_eq!((registered, migrations, updates), (0, 0, 0));
}

/// A service fresh from the IaC sits at 0 tasks: the rollout gives it the
/// contract's count, so the rollback must take it back to 0, not leave it
/// running the old revision at the contract's count.
#[tokio::test(start_paused = true)]
async fn a_service_raised_from_zero_goes_back_to_zero_on_rollback() {
    let (report, _, _, _, updates) = update_in("broken", false, &["alpha-beat"]).await;
    assert_eq!(report.outcome, UpdateOutcome::RolledBack);
    let beat: Vec<Option<i32>> = updates
        .iter()
        .filter(|(service, _)| service == "alpha-beat")
        .map(|(_, count)| *count)
        .collect();
    assert_eq!(beat, [Some(1), Some(0)], "raised to the contract's 1, then back to 0");
    let gunicorn: Vec<Option<i32>> = updates
        .iter()
        .filter(|(service, _)| service == "alpha-gunicorn")
        .map(|(_, count)| *count)
        .collect();
    assert_eq!(gunicorn, [None, None], "a running service's count is never touched");
}
