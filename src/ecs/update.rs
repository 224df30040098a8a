//! One app update, in order: read the task families and services, plan,
//! register the new revisions, pass the migration gate, roll every service
//! at once, and roll all of them back together when one fails.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_ecs::types::Service;
use tokio::time::Instant;

use super::migration::{GateLimits, MigrationGate, MigrationTask};
use super::pacing::Pacing;
use super::rollout::{self, RolloutWatcher, Watch, WatchEnd, WatchLimits};
use super::taskdef::{self, Described};
use super::{plan, revision_of, EcsError};
use crate::aws::Clients;
use crate::contract::{Contract, ImageTag};
use crate::report::update::{RevisionPlan, RollbackReport, ServiceReport, StepResult, UpdateOutcome, UpdateReport};

#[derive(Debug, Clone)]
pub struct UpdateOptions {
    pub dry_run: bool,
    pub rollback: bool,
    pub force: bool,
    pub timeout: Duration,
    pub no_progress: Duration,
    pub failed_tasks_threshold: i32,
    pub pacing: Pacing,
}

#[derive(Debug, Clone)]
pub struct UpdateRequest {
    pub env: String,
    pub contract: Contract,
    /// Image kind (`backend`, `frontend`) → the tag to roll out.
    pub tags: BTreeMap<String, ImageTag>,
    pub options: UpdateOptions,
}

/// A family and what the run does with it.
struct Family {
    latest: Described,
    container: String,
    new_image: String,
    /// The revision services roll to once registered (or `latest`).
    target: Option<Described>,
}

impl Family {
    fn needs_register(&self) -> bool {
        self.latest.image_of(&self.container).ok() != Some(self.new_image.as_str())
    }
}

/// One service in the run.
struct Target {
    index: usize,
    current_arn: String,
    current_image: Option<String>,
    desired_count: i32,
    running_count: i32,
    rolls: bool,
}

pub async fn run(
    clients: &Clients,
    request: &UpdateRequest,
    on_state: &(dyn Fn(&str, &str) + Sync),
) -> Result<UpdateReport, EcsError> {
    let started = Instant::now();
    let deadline = started + request.options.timeout;
    let contract = &request.contract;
    let options = &request.options;
    let mut report = UpdateReport::new(&request.env, &contract.cluster, options.dry_run);
    report.tags = request.tags.iter().map(|(k, v)| (k.clone(), v.to_string())).collect();

    // 1. Read: families, then services.
    let image_for = |kind: &str| -> Option<String> {
        let tag = request.tags.get(kind)?;
        Some(format!("{}:{tag}", contract.images.get(kind)?))
    };
    let targets_in_contract: Vec<usize> = (0..contract.services.len())
        .filter(|&i| request.tags.contains_key(&contract.services[i].image))
        .collect();
    let mut families: BTreeMap<String, Family> = BTreeMap::new();
    let migration_wanted = request.tags.contains_key(&contract.migration.image);
    let mut family_specs: Vec<(&str, &str, String)> = Vec::new();
    if migration_wanted {
        if let Some(image) = image_for(&contract.migration.image) {
            family_specs.push((&contract.migration.task_family, &contract.migration.container, image));
        }
    }
    for &i in &targets_in_contract {
        let s = &contract.services[i];
        if let Some(image) = image_for(&s.image) {
            family_specs.push((&s.task_family, &s.container, image));
        }
    }
    for (family, container, new_image) in family_specs {
        let latest = taskdef::describe_latest(&clients.ecs, family).await?;
        latest.container(container)?;
        families.insert(
            family.to_owned(),
            Family {
                latest,
                container: container.to_owned(),
                new_image,
                target: None,
            },
        );
    }
    let names: Vec<&str> = targets_in_contract
        .iter()
        .map(|&i| contract.services[i].service.as_str())
        .collect();
    let services = rollout::describe_services(&clients.ecs, &contract.cluster, &names).await?;
    let foreign: Vec<(String, String)> = services
        .iter()
        .flat_map(|s| {
            rollout::in_progress_deployments(s)
                .into_iter()
                .map(|id| (s.service_name().unwrap_or("?").to_owned(), id))
        })
        .collect();
    if !foreign.is_empty() {
        if !options.force {
            return Err(EcsError::ForeignDeployment { deployments: foreign });
        }
        tracing::warn!(
            "--force: rolling over {} deployment(s) in progress that this run did not start",
            foreign.len()
        );
    }

    let mut targets = Vec::new();
    for &i in &targets_in_contract {
        let spec = &contract.services[i];
        let service = services
            .iter()
            .find(|s| rollout::matches_name(s, &spec.service))
            .ok_or_else(|| EcsError::ServiceNotFound {
                cluster: contract.cluster.clone(),
                service: spec.service.clone(),
                reason: "not returned".into(),
            })?;
        targets.push(target_of(clients, i, service, &families[&spec.task_family], &spec.container).await?);
    }

    // 2. Plan.
    for (name, family) in &families {
        let builder = clients.ecs.register_task_definition();
        let input = taskdef::copy_with_image(builder, &family.latest, &family.container, &family.new_image)?
            .as_input()
            .clone()
            .build()
            .map_err(|source| EcsError::Request {
                what: "a task definition copy",
                source,
            })?;
        let container = family.latest.container(&family.container)?;
        report.revisions.push(RevisionPlan {
            family: name.clone(),
            container: family.container.clone(),
            old_revision: family.latest.revision,
            old_image: family.latest.image_of(&family.container)?.to_owned(),
            new_image: family.new_image.clone(),
            new_revision: (!family.needs_register()).then_some(family.latest.revision),
            registers: family.needs_register(),
            changes: plan::changes(&family.latest, &input),
            environment: plan::environment(container),
            secrets: plan::secrets(container),
        });
    }
    for t in &targets {
        let spec = &contract.services[t.index];
        let family = &families[&spec.task_family];
        report.services.push(ServiceReport {
            name: spec.name.clone(),
            service: spec.service.clone(),
            old_revision: revision_of(&t.current_arn),
            new_revision: None,
            old_image: t.current_image.clone(),
            new_image: Some(family.new_image.clone()),
            desired: t.desired_count,
            running: t.running_count,
            result: if !t.rolls {
                StepResult::Unchanged
            } else if options.dry_run {
                StepResult::Planned
            } else {
                StepResult::Skipped
            },
            reason: None,
            deployment_id: None,
            duration_secs: 0.0,
            failed_tasks: Vec::new(),
            rollback: None,
        });
    }
    let rolling: Vec<usize> = (0..targets.len()).filter(|&k| targets[k].rolls).collect();
    let gate_needed = migration_wanted
        && rolling
            .iter()
            .any(|&k| contract.services[targets[k].index].image == contract.migration.image);
    if options.dry_run {
        report.outcome = UpdateOutcome::Planned;
        report.message = Some(format!(
            "{} of {} services would roll{}",
            rolling.len(),
            targets.len(),
            if gate_needed { ", after the migration task" } else { "" }
        ));
        if gate_needed {
            report.migration = Some(planned_migration(contract, &families));
        }
        report.duration_secs = started.elapsed().as_secs_f64();
        return Ok(report);
    }
    if rolling.is_empty() {
        report.outcome = UpdateOutcome::NothingToDo;
        report.message =
            Some("every service already runs the requested images; nothing was registered or rolled".into());
        report.duration_secs = started.elapsed().as_secs_f64();
        return Ok(report);
    }

    if let Some(report) = interrupted_before_writes(&mut report, started) {
        return Ok(report);
    }

    // 3. Register what is needed.
    let needed: Vec<String> = families
        .iter()
        .filter(|(name, _)| {
            (gate_needed && **name == contract.migration.task_family)
                || rolling
                    .iter()
                    .any(|&k| contract.services[targets[k].index].task_family == **name)
        })
        .map(|(name, _)| name.clone())
        .collect();
    for name in needed {
        let Some(family) = families.get_mut(&name) else {
            continue;
        };
        let target = if family.needs_register() {
            let new = taskdef::register(&clients.ecs, &family.latest, &family.container, &family.new_image).await?;
            tracing::info!("registered {}:{}", name, new.revision);
            new
        } else {
            family.latest.clone()
        };
        if let Some(plan) = report.revisions.iter_mut().find(|r| r.family == name) {
            plan.new_revision = Some(target.revision);
        }
        family.target = Some(target);
    }

    // 4. The migration gate.
    if gate_needed {
        let family = &families[&contract.migration.task_family];
        let revision = family.target.as_ref().unwrap_or(&family.latest);
        let token = client_token(&request.env);
        let started_by = format!("stackpilot-{}", request.env);
        let task = MigrationTask {
            cluster: &contract.cluster,
            network: &contract.network,
            revision,
            container: &contract.migration.container,
            command: &contract.migration.command,
            database: &contract.database,
            started_by: &started_by,
            client_token: &token,
        };
        let limits = GateLimits {
            deadline,
            start_timeout: options.no_progress,
            pacing: options.pacing,
        };
        on_state("migration", "starting");
        let result = MigrationGate::new(clients).run(&task, limits).await?;
        on_state("migration", result.result_label());
        let outcome = match result.result {
            StepResult::Succeeded => None,
            StepResult::TimedOut => Some(UpdateOutcome::TimedOut),
            StepResult::Interrupted => Some(UpdateOutcome::Interrupted),
            _ => Some(UpdateOutcome::Failed),
        };
        report.migration = Some(result);
        if let Some(outcome) = outcome {
            report.outcome = outcome;
            report.message = Some("the migration did not pass, so no service was changed".into());
            report.duration_secs = started.elapsed().as_secs_f64();
            return Ok(report);
        }
    }

    if let Some(report) = interrupted_before_writes(&mut report, started) {
        return Ok(report);
    }

    // 5. Every rollout at once.
    let mut starts = tokio::task::JoinSet::new();
    for &k in &rolling {
        let spec = contract.services[targets[k].index].clone();
        let family = &families[&spec.task_family];
        let target = family.target.clone().unwrap_or_else(|| family.latest.clone());
        let desired = (targets[k].desired_count == 0).then_some(spec.desired_count);
        let ecs = clients.ecs.clone();
        let cluster = contract.cluster.clone();
        starts.spawn(async move {
            let id = rollout::start(&ecs, &cluster, &spec.service, &target.arn, desired).await;
            (k, target, id)
        });
    }
    let mut watches: Vec<(usize, Watch)> = Vec::new();
    let mut start_failed = false;
    while let Some(joined) = starts.join_next().await {
        let Ok((k, target, id)) = joined else {
            start_failed = true;
            continue;
        };
        let spec = &contract.services[targets[k].index];
        let entry = &mut report.services[k];
        entry.new_revision = Some(target.revision);
        match id {
            Ok(id) => {
                on_state(&spec.name, &format!("deployment {id} started"));
                entry.deployment_id = Some(id.clone());
                entry.result = StepResult::InProgress;
                watches.push((k, Watch::new(&spec.name, &spec.service, id, target)));
            }
            Err(err) => {
                start_failed = true;
                entry.result = StepResult::Failed;
                entry.reason = Some(format!("{}", aws_sdk_ecs::error::DisplayErrorContext(&err)));
            }
        }
    }
    watches.sort_by_key(|(k, _)| *k);
    let watcher = RolloutWatcher {
        ecs: &clients.ecs,
        logs: &clients.logs,
        cluster: &contract.cluster,
        on_state,
    };
    let limits = WatchLimits {
        deadline,
        no_progress: options.no_progress,
        failed_tasks_threshold: options.failed_tasks_threshold,
        pacing: options.pacing,
        fail_fast: true,
    };
    let mut ws: Vec<Watch> = watches.iter().map(|(_, w)| w.clone()).collect();
    let end = if start_failed {
        WatchEnd::Decided
    } else {
        match watcher.watch(&mut ws, limits).await {
            Ok(end) => end,
            Err(err) => {
                let reason = format!("lost track of the deployments: {}", crate::ecs::error_chain(&err));
                for w in ws.iter_mut().filter(|w| w.verdict.is_none()) {
                    w.verdict = Some((StepResult::Failed, Some(reason.clone())));
                }
                WatchEnd::Decided
            }
        }
    };
    for ((k, _), w) in watches.iter().zip(&ws) {
        fill(&mut report.services[*k], w);
    }
    if end == WatchEnd::Interrupted {
        report.outcome = UpdateOutcome::Interrupted;
        report.message =
            Some("interrupted: the deployments above are still in progress in ECS; nothing was rolled back".into());
        report.duration_secs = started.elapsed().as_secs_f64();
        return Ok(report);
    }
    let all_ok = !start_failed && ws.iter().all(|w| matches!(w.verdict, Some((StepResult::Succeeded, _))));
    if all_ok {
        report.outcome = UpdateOutcome::Succeeded;
        report.duration_secs = started.elapsed().as_secs_f64();
        return Ok(report);
    }
    let timed_out = ws.iter().any(|w| matches!(w.verdict, Some((StepResult::TimedOut, _))));
    let failed_names: Vec<String> = report
        .services
        .iter()
        .filter(|s| matches!(s.result, StepResult::Failed | StepResult::TimedOut))
        .map(|s| s.name.clone())
        .collect();
    for s in report
        .services
        .iter_mut()
        .filter(|s| s.result == StepResult::InProgress)
    {
        s.reason = Some(format!("stopped watching: {} failed", failed_names.join(", ")));
    }

    // 6. Roll back as a unit.
    if !options.rollback {
        report.outcome = if timed_out {
            UpdateOutcome::TimedOut
        } else {
            UpdateOutcome::Failed
        };
        report.message = Some("--no-rollback: the services stay where the failure left them".into());
        report.duration_secs = started.elapsed().as_secs_f64();
        return Ok(report);
    }
    let (rollback_ok, end) = roll_back(clients, contract, &targets, &watches, &mut report, options, on_state).await?;
    if end == WatchEnd::Interrupted {
        report.outcome = UpdateOutcome::Interrupted;
        report.message = Some(format!(
            "{} failed; interrupted while rolling back: the rollbacks above are still in progress in ECS",
            failed_names.join(", ")
        ));
        report.duration_secs = started.elapsed().as_secs_f64();
        return Ok(report);
    }
    report.outcome = if timed_out {
        UpdateOutcome::TimedOut
    } else if rollback_ok {
        UpdateOutcome::RolledBack
    } else {
        UpdateOutcome::Failed
    };
    report.message = Some(if rollback_ok {
        format!(
            "{} failed; every service this run updated is back on its previous revision",
            failed_names.join(", ")
        )
    } else {
        format!(
            "{} failed, and the rollback did not complete everywhere: check the services below",
            failed_names.join(", ")
        )
    });
    report.duration_secs = started.elapsed().as_secs_f64();
    Ok(report)
}

async fn roll_back(
    clients: &Clients,
    contract: &Contract,
    targets: &[Target],
    watches: &[(usize, Watch)],
    report: &mut UpdateReport,
    options: &UpdateOptions,
    on_state: &(dyn Fn(&str, &str) + Sync),
) -> Result<(bool, WatchEnd), EcsError> {
    let mut back: Vec<(usize, Watch)> = Vec::new();
    for (k, _) in watches {
        let t = &targets[*k];
        let spec = &contract.services[t.index];
        let previous = match taskdef_by_arn(clients, &t.current_arn, &spec.task_family).await {
            Ok(d) => d,
            Err(err) => {
                report.services[*k].rollback = Some(RollbackReport {
                    to_revision: revision_of(&t.current_arn),
                    deployment_id: None,
                    result: StepResult::Failed,
                    reason: Some(crate::ecs::error_chain(&err)),
                });
                continue;
            }
        };
        match rollout::start(&clients.ecs, &contract.cluster, &spec.service, &t.current_arn, None).await {
            Ok(id) => {
                on_state(
                    &spec.name,
                    &format!("rolling back to revision {} ({id})", previous.revision),
                );
                report.services[*k].rollback = Some(RollbackReport {
                    to_revision: Some(previous.revision),
                    deployment_id: Some(id.clone()),
                    result: StepResult::InProgress,
                    reason: None,
                });
                back.push((*k, Watch::new(&spec.name, &spec.service, id, previous)));
            }
            Err(err) => {
                report.services[*k].rollback = Some(RollbackReport {
                    to_revision: Some(previous.revision),
                    deployment_id: None,
                    result: StepResult::Failed,
                    reason: Some(crate::ecs::error_chain(&err)),
                });
            }
        }
    }
    let mut ws: Vec<Watch> = back.iter().map(|(_, w)| w.clone()).collect();
    let watcher = RolloutWatcher {
        ecs: &clients.ecs,
        logs: &clients.logs,
        cluster: &contract.cluster,
        on_state,
    };
    // The rollback gets a budget of its own: the deadline that stopped the
    // rollout must not also strand the services half-way back.
    let limits = WatchLimits {
        deadline: Instant::now() + options.timeout,
        no_progress: options.no_progress,
        failed_tasks_threshold: options.failed_tasks_threshold,
        pacing: options.pacing,
        fail_fast: false,
    };
    let end = watcher.watch(&mut ws, limits).await?;
    let mut all_ok = end == WatchEnd::Decided;
    for ((k, _), w) in back.iter().zip(&ws) {
        if let Some(rb) = report.services[*k].rollback.as_mut() {
            let (result, reason) = w.verdict.clone().unwrap_or((StepResult::Interrupted, None));
            all_ok &= result == StepResult::Succeeded;
            rb.result = result;
            rb.reason = reason;
        }
        report.services[*k].running = w.running;
    }
    all_ok &= report
        .services
        .iter()
        .filter(|s| s.deployment_id.is_some())
        .all(|s| s.rollback.as_ref().is_some_and(|r| r.result == StepResult::Succeeded));
    Ok((all_ok, end))
}

/// Ctrl-C before a write: stop with nothing more changed.
fn interrupted_before_writes(report: &mut UpdateReport, started: Instant) -> Option<UpdateReport> {
    if !crate::interrupt::requested() {
        return None;
    }
    report.outcome = UpdateOutcome::Interrupted;
    report.message = Some("interrupted before the next change; nothing more was written".into());
    report.duration_secs = started.elapsed().as_secs_f64();
    Some(report.clone())
}

fn fill(entry: &mut ServiceReport, w: &Watch) {
    entry.desired = w.desired;
    entry.running = w.running;
    entry.failed_tasks = w.failures.clone();
    entry.duration_secs = w.finished_after.unwrap_or_else(|| w.started.elapsed()).as_secs_f64();
    if let Some((result, reason)) = &w.verdict {
        entry.result = *result;
        entry.reason = reason.clone();
    }
}

async fn target_of(
    clients: &Clients,
    index: usize,
    service: &Service,
    family: &Family,
    container: &str,
) -> Result<Target, EcsError> {
    let current_arn = service.task_definition().unwrap_or_default().to_owned();
    let current_image = if current_arn == family.latest.arn {
        Some(family.latest.image_of(container)?.to_owned())
    } else {
        taskdef_by_arn(clients, &current_arn, &family.latest.family)
            .await
            .ok()
            .and_then(|d| d.image_of(container).ok().map(str::to_owned))
    };
    // Rolls unless the service already runs the latest revision and that
    // revision already has the image: a re-run with the same tag is a no-op.
    let rolls = family.needs_register() || current_arn != family.latest.arn;
    Ok(Target {
        index,
        current_arn,
        current_image,
        desired_count: service.desired_count(),
        running_count: service.running_count(),
        rolls,
    })
}

async fn taskdef_by_arn(clients: &Clients, arn: &str, family: &str) -> Result<Described, EcsError> {
    let out = clients
        .ecs
        .describe_task_definition()
        .task_definition(arn)
        .send()
        .await
        .map_err(|source| EcsError::DescribeTaskDefinition {
            family: family.to_owned(),
            source: Box::new(source),
        })?;
    let definition = out.task_definition.ok_or_else(|| EcsError::Incomplete {
        what: format!("taskDefinition {arn}"),
    })?;
    Ok(Described {
        family: family.to_owned(),
        arn: arn.to_owned(),
        revision: definition.revision(),
        definition,
        tags: Vec::new(),
    })
}

fn planned_migration(
    contract: &Contract,
    families: &BTreeMap<String, Family>,
) -> crate::report::update::MigrationReport {
    let family = families.get(&contract.migration.task_family);
    crate::report::update::MigrationReport {
        family: contract.migration.task_family.clone(),
        revision: family.map(|f| {
            if f.needs_register() {
                f.latest.revision + 1
            } else {
                f.latest.revision
            }
        }),
        command: contract.migration.command.clone(),
        database: contract.database.clone(),
        task_id: None,
        result: StepResult::Planned,
        reason: None,
        failure: None,
        duration_secs: 0.0,
    }
}

/// RunTask's idempotency token: unique per run, the same across the SDK's
/// retries of the one call.
fn client_token(env: &str) -> String {
    let mut rng = fastrand::Rng::new();
    let random: String = (0..24).map(|_| rng.alphanumeric()).collect();
    let mut token = format!("stackpilot-{env}-{random}");
    token.truncate(64);
    token
}

impl crate::report::update::MigrationReport {
    fn result_label(&self) -> &'static str {
        match self.result {
            StepResult::Succeeded => "passed",
            StepResult::TimedOut => "timed out",
            StepResult::Interrupted => "interrupted",
            _ => "failed",
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use aws_sdk_ecs::operation::describe_task_definition::DescribeTaskDefinitionOutput;
    use aws_sdk_ecs::operation::describe_tasks::DescribeTasksOutput;
    use aws_sdk_ecs::operation::list_tasks::ListTasksOutput;
    use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionOutput;
    use aws_sdk_ecs::operation::run_task::RunTaskOutput;
    use aws_sdk_ecs::operation::update_service::UpdateServiceOutput;
    use aws_sdk_ecs::types::{Deployment, DeploymentRolloutState};
    use aws_sdk_ecs::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    use super::*;
    use crate::ecs::testing;

    const CONTRACT: &str = r#"{
      "region": "us-east-1", "cluster": "alpha-cluster",
      "network": {"subnets": ["subnet-1"], "securityGroups": ["sg-1"], "assignPublicIp": false},
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
            },
        }
    }

    /// Runs an update against the tiny ECS; returns the report and the
    /// number of each write.
    async fn update(tag: &str, dry_run: bool) -> (UpdateReport, usize, usize, usize) {
        let world = Arc::new(Mutex::new(World::default()));
        {
            let mut w = world.lock().unwrap();
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
        let w = world.clone();
        let describe_services = mock!(Client::describe_services).then_compute_output(move |r| {
            let w = w.lock().unwrap();
            let services = r
                .services()
                .iter()
                .map(|name| testing::service(name, vec![w.services[name].clone()]))
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
        let describe_tasks = mock!(Client::describe_tasks).then_output(|| {
            DescribeTasksOutput::builder()
                .tasks(testing::stopped_task(
                    "m1",
                    "backend_update",
                    0,
                    "Essential container in task exited",
                ))
                .build()
        });
        let list_tasks = mock!(Client::list_tasks).then_output(|| ListTasksOutput::builder().build());
        let ecs = mock_client!(
            aws_sdk_ecs,
            RuleMode::MatchAny,
            [
                &describe_td,
                &register,
                &describe_services,
                &update_service,
                &run_task,
                &describe_tasks,
                &list_tasks
            ]
        );
        let clients = Clients {
            ecs,
            logs: mock_client!(aws_sdk_cloudwatchlogs, []),
        };
        let report = run(&clients, &request(tag, dry_run), &|_, _| {}).await.unwrap();
        (
            report,
            register.num_calls(),
            run_task.num_calls(),
            update_service.num_calls(),
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
}
