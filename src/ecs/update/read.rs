//! Step 1 of the update: what ECS runs now. Describes the latest revision of
//! every task family the requested tags touch and every service that may
//! roll, and refuses to roll over deployments this run did not start.

use std::collections::BTreeMap;

use aws_sdk_ecs::types::Service;

use super::UpdateRequest;
use crate::aws::Clients;
use crate::ecs::rollout;
use crate::ecs::taskdef::{self, Described};
use crate::ecs::EcsError;

/// A family and what the run does with it.
pub(super) struct Family {
    pub(super) latest: Described,
    pub(super) container: String,
    pub(super) new_image: String,
    /// The revision services roll to once registered (or `latest`).
    pub(super) target: Option<Described>,
}

impl Family {
    pub(super) fn needs_register(&self) -> bool {
        self.latest.image_of(&self.container).ok() != Some(self.new_image.as_str())
    }
}

/// One service in the run.
pub(super) struct Target {
    /// Where the service sits in the contract's `services`.
    pub(super) index: usize,
    pub(super) current_arn: String,
    pub(super) current_image: Option<String>,
    pub(super) desired_count: i32,
    pub(super) running_count: i32,
    pub(super) rolls: bool,
}

/// What the later steps start from.
pub(super) struct Current {
    pub(super) families: BTreeMap<String, Family>,
    /// In contract order, one per service whose image has a requested tag.
    pub(super) targets: Vec<Target>,
    /// The migration's image is among the requested tags.
    pub(super) migration_wanted: bool,
}

/// Families first, then services: a service's current image is read from
/// its family's latest revision when it already runs that one.
pub(super) async fn read(clients: &Clients, request: &UpdateRequest) -> Result<Current, EcsError> {
    let contract = &request.contract;
    let options = &request.options;
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
    Ok(Current {
        families,
        targets,
        migration_wanted,
    })
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

/// The revision a service runs now; the rollback returns to it.
pub(super) async fn taskdef_by_arn(clients: &Clients, arn: &str, family: &str) -> Result<Described, EcsError> {
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
