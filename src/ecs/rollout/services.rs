//! The service calls of a rollout: describing services (ten per call),
//! `UpdateService` that starts a deployment, and reading a service's
//! deployments and events.

use aws_sdk_ecs::types::{Deployment, DeploymentRolloutState, Service};

use crate::ecs::{arn_tail, EcsError, DESCRIBE_SERVICES_BATCH};

/// The deployment ECS is rolling the service to (`status: PRIMARY`).
const PRIMARY: &str = "PRIMARY";
/// A service that exists and can be updated (`status: ACTIVE`).
const ACTIVE: &str = "ACTIVE";

/// Describes services, at most ten per call, refusing any that is missing
/// or not ACTIVE.
pub(crate) async fn describe_services(
    ecs: &aws_sdk_ecs::Client,
    cluster: &str,
    names: &[&str],
) -> Result<Vec<Service>, EcsError> {
    let mut found = Vec::with_capacity(names.len());
    for chunk in names.chunks(DESCRIBE_SERVICES_BATCH) {
        let out = ecs
            .describe_services()
            .cluster(cluster)
            .set_services(Some(chunk.iter().map(|s| (*s).to_owned()).collect()))
            .send()
            .await
            .map_err(|source| match source.as_service_error() {
                Some(e) if e.is_cluster_not_found_exception() => EcsError::ClusterNotFound {
                    cluster: cluster.to_owned(),
                },
                _ => EcsError::DescribeServices(Box::new(source)),
            })?;
        if let Some(f) = out.failures().first() {
            let service = f.arn().map(arn_tail).unwrap_or("?").to_owned();
            return Err(EcsError::ServiceNotFound {
                cluster: cluster.to_owned(),
                service,
                reason: f.reason().unwrap_or("unknown").to_owned(),
            });
        }
        found.extend(out.services.unwrap_or_default());
    }
    for name in names {
        let reason = match found.iter().find(|s| matches_name(s, name)) {
            Some(s) if s.status() == Some(ACTIVE) => continue,
            Some(s) => format!("status {}", s.status().unwrap_or("unknown")),
            None => "not returned".into(),
        };
        return Err(EcsError::ServiceNotFound {
            cluster: cluster.to_owned(),
            service: (*name).to_owned(),
            reason,
        });
    }
    Ok(found)
}

pub(crate) fn matches_name(service: &Service, name: &str) -> bool {
    service.service_name() == Some(name) || service.service_arn().is_some_and(|a| arn_tail(a) == name)
}

pub(crate) fn is_primary(deployment: &Deployment) -> bool {
    deployment.status() == Some(PRIMARY)
}

/// The id of the service's PRIMARY deployment.
pub(crate) fn primary_id(service: &Service) -> Option<&str> {
    service
        .deployments()
        .iter()
        .find(|d| is_primary(d))
        .and_then(|d| d.id())
}

/// The newest service event that names the deployment and says it failed
/// or is being rolled back (ECS lists events newest first).
pub(crate) fn last_event_about(service: &Service, deployment_id: &str) -> Option<String> {
    service
        .events()
        .iter()
        .filter_map(|e| e.message())
        .find(|m| {
            m.contains(deployment_id)
                && ["fail", "circuit breaker", "rolling back"]
                    .iter()
                    .any(|k| m.contains(k))
        })
        .map(str::to_owned)
}

/// Deployments still rolling that this run did not start.
pub(crate) fn in_progress_deployments(service: &Service) -> Vec<String> {
    service
        .deployments()
        .iter()
        .filter(|d| d.rollout_state() == Some(&DeploymentRolloutState::InProgress))
        .filter_map(|d| d.id().map(str::to_owned))
        .collect()
}

/// Points a service at a task definition (and, when given, a task count);
/// returns the id of the deployment that the update started.
pub(crate) async fn start(
    ecs: &aws_sdk_ecs::Client,
    cluster: &str,
    service: &str,
    task_definition: &str,
    desired_count: Option<i32>,
) -> Result<String, EcsError> {
    let out = ecs
        .update_service()
        .cluster(cluster)
        .service(service)
        .task_definition(task_definition)
        .set_desired_count(desired_count)
        .send()
        .await
        .map_err(|source| EcsError::UpdateService {
            service: service.to_owned(),
            source: Box::new(source),
        })?;
    let deployments = out.service().map(|s| s.deployments()).unwrap_or_default();
    deployments
        .iter()
        .find(|d| is_primary(d) && d.task_definition() == Some(task_definition))
        .or_else(|| deployments.iter().find(|d| is_primary(d)))
        .and_then(|d| d.id())
        .map(str::to_owned)
        .ok_or_else(|| EcsError::Incomplete {
            what: format!("the PRIMARY deployment in the UpdateService answer for `{service}`"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::testing::{deployment, describe_services_output, service};
    use aws_sdk_ecs::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use DeploymentRolloutState::{Completed, InProgress};

    const NEW: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/alpha-gunicorn:2";
    const OLD: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/alpha-gunicorn:1";

    #[tokio::test(start_paused = true)]
    async fn describe_services_asks_for_ten_at_most() {
        let rule = mock!(Client::describe_services)
            .match_requests(|r| r.services().len() <= DESCRIBE_SERVICES_BATCH)
            .then_compute_output(|r| {
                describe_services_output(r.services().iter().map(|s| service(s, vec![])).collect())
            });
        let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [&rule]);
        let names: Vec<String> = (0..23).map(|i| format!("svc-{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let found = describe_services(&ecs, "alpha-cluster", &refs).await.unwrap();
        assert_eq!(found.len(), 23);
        assert_eq!(rule.num_calls(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn update_service_reports_the_deployment_it_started() {
        let rule = mock!(Client::update_service)
            .match_requests(|r| r.task_definition() == Some(NEW) && r.desired_count() == Some(1))
            .then_output(|| {
                aws_sdk_ecs::operation::update_service::UpdateServiceOutput::builder()
                    .service(service(
                        "alpha-gunicorn",
                        vec![
                            deployment("ecs-svc/9", "PRIMARY", InProgress, NEW, 0, 0),
                            deployment("ecs-svc/1", "ACTIVE", Completed, OLD, 1, 0),
                        ],
                    ))
                    .build()
            });
        let ecs = mock_client!(aws_sdk_ecs, [&rule]);
        let id = start(&ecs, "alpha-cluster", "alpha-gunicorn", NEW, Some(1))
            .await
            .unwrap();
        assert_eq!(id, "ecs-svc/9");
    }

    #[test]
    fn a_deployment_in_progress_is_foreign_until_we_start_one() {
        let s = service(
            "alpha-gunicorn",
            vec![
                deployment("ecs-svc/5", "PRIMARY", InProgress, NEW, 0, 0),
                deployment("ecs-svc/1", "ACTIVE", Completed, OLD, 1, 0),
            ],
        );
        assert_eq!(in_progress_deployments(&s), ["ecs-svc/5"]);
        assert_eq!(primary_id(&s), Some("ecs-svc/5"));
    }
}
