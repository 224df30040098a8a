//! Task definition copies: the latest ACTIVE revision of a family, turned
//! into a RegisterTaskDefinition request with one container's image swapped.
//!
//! The request is built field by field from the typed `TaskDefinition`.
//! Read-only fields (`revision`, `status`, `compatibilities`,
//! `requiresAttributes`, `registeredAt`, …) have no setter on the request, so
//! sending them back is impossible rather than merely avoided.

use aws_sdk_ecs::operation::register_task_definition::builders::RegisterTaskDefinitionFluentBuilder;
use aws_sdk_ecs::types::{ContainerDefinition, Tag, TaskDefinition, TaskDefinitionField};

use super::EcsError;

/// The latest ACTIVE revision of a family, with its tags.
#[derive(Debug, Clone)]
pub struct Described {
    pub family: String,
    pub arn: String,
    pub revision: i32,
    pub definition: TaskDefinition,
    pub tags: Vec<Tag>,
}

impl Described {
    pub fn container(&self, name: &str) -> Result<&ContainerDefinition, EcsError> {
        find_container(&self.definition, &self.family, name)
    }

    /// The image the named container runs now.
    pub fn image_of(&self, container: &str) -> Result<&str, EcsError> {
        Ok(self.container(container)?.image().unwrap_or_default())
    }

    /// Names of the containers whose exit decides a task's fate.
    pub fn essential_containers(&self) -> Vec<String> {
        essential_containers(&self.definition)
    }
}

pub fn find_container<'a>(
    definition: &'a TaskDefinition,
    family: &str,
    name: &str,
) -> Result<&'a ContainerDefinition, EcsError> {
    definition
        .container_definitions()
        .iter()
        .find(|c| c.name() == Some(name))
        .ok_or_else(|| EcsError::ContainerNotFound {
            family: family.to_owned(),
            container: name.to_owned(),
            available: definition
                .container_definitions()
                .iter()
                .filter_map(|c| c.name())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

pub fn essential_containers(definition: &TaskDefinition) -> Vec<String> {
    definition
        .container_definitions()
        .iter()
        // ECS treats a container without `essential` as essential.
        .filter(|c| c.essential().unwrap_or(true))
        .filter_map(|c| c.name().map(str::to_owned))
        .collect()
}

/// Describes the latest ACTIVE revision of exactly `family`. A bare family
/// name means "latest ACTIVE" to ECS and never matches by prefix, so
/// `alpha-web` cannot pick up `alpha-web-ui`.
pub async fn describe_latest(ecs: &aws_sdk_ecs::Client, family: &str) -> Result<Described, EcsError> {
    let out = ecs
        .describe_task_definition()
        .task_definition(family)
        .include(TaskDefinitionField::Tags)
        .send()
        .await
        .map_err(|source| match source.as_service_error() {
            // ECS says "Unable to describe task definition." as a ClientException.
            Some(e) if e.is_client_exception() => EcsError::FamilyNotFound {
                family: family.to_owned(),
            },
            _ => EcsError::DescribeTaskDefinition {
                family: family.to_owned(),
                source: Box::new(source),
            },
        })?;
    let tags = out.tags.unwrap_or_default();
    let definition = out.task_definition.ok_or_else(|| EcsError::Incomplete {
        what: format!("taskDefinition of `{family}`"),
    })?;
    let arn = definition
        .task_definition_arn()
        .ok_or_else(|| EcsError::Incomplete {
            what: format!("taskDefinitionArn of `{family}`"),
        })?
        .to_owned();
    if definition.family() != Some(family) {
        return Err(EcsError::FamilyNotFound {
            family: family.to_owned(),
        });
    }
    Ok(Described {
        family: family.to_owned(),
        revision: definition.revision(),
        arn,
        definition,
        tags,
    })
}

/// The request that registers `described` again with `container` running
/// `image`. Every settable field is carried over; empty lists are left out
/// because ECS treats "absent" and "empty" alike and some SDK validators
/// reject empty tag lists.
fn non_empty<T>(v: Option<Vec<T>>) -> Option<Vec<T>> {
    v.filter(|v| !v.is_empty())
}

// Elastic Inference is retired, but a family that still lists accelerators
// must get them back, or the copy would silently differ.
#[allow(deprecated)]
pub fn copy_with_image(
    builder: RegisterTaskDefinitionFluentBuilder,
    described: &Described,
    container: &str,
    image: &str,
) -> Result<RegisterTaskDefinitionFluentBuilder, EcsError> {
    described.container(container)?;
    let td = described.definition.clone();
    let containers: Vec<ContainerDefinition> = td
        .container_definitions
        .unwrap_or_default()
        .into_iter()
        .map(|c| {
            if c.name() == Some(container) {
                let mut c = c;
                c.image = Some(image.to_owned());
                c
            } else {
                c
            }
        })
        .collect();
    let tags = Some(described.tags.clone()).filter(|t| !t.is_empty());
    Ok(builder
        .family(described.family.clone())
        .set_container_definitions(Some(containers))
        .set_task_role_arn(td.task_role_arn)
        .set_execution_role_arn(td.execution_role_arn)
        .set_network_mode(td.network_mode)
        .set_volumes(non_empty(td.volumes))
        .set_placement_constraints(non_empty(td.placement_constraints))
        .set_requires_compatibilities(non_empty(td.requires_compatibilities))
        .set_cpu(td.cpu)
        .set_memory(td.memory)
        .set_tags(tags)
        .set_pid_mode(td.pid_mode)
        .set_ipc_mode(td.ipc_mode)
        .set_proxy_configuration(td.proxy_configuration)
        .set_inference_accelerators(non_empty(td.inference_accelerators))
        .set_ephemeral_storage(td.ephemeral_storage)
        .set_runtime_platform(td.runtime_platform)
        .set_enable_fault_injection(td.enable_fault_injection))
}

/// Registers the copy and returns the new revision.
pub async fn register(
    ecs: &aws_sdk_ecs::Client,
    described: &Described,
    container: &str,
    image: &str,
) -> Result<Described, EcsError> {
    let request = copy_with_image(ecs.register_task_definition(), described, container, image)?;
    let out = request
        .send()
        .await
        .map_err(|source| EcsError::RegisterTaskDefinition {
            family: described.family.clone(),
            source: Box::new(source),
        })?;
    let definition = out.task_definition.ok_or_else(|| EcsError::Incomplete {
        what: format!("the registered taskDefinition of `{}`", described.family),
    })?;
    let arn = definition
        .task_definition_arn()
        .ok_or_else(|| EcsError::Incomplete {
            what: format!("the registered taskDefinitionArn of `{}`", described.family),
        })?
        .to_owned();
    Ok(Described {
        family: described.family.clone(),
        revision: definition.revision(),
        arn,
        definition,
        tags: out.tags.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecs::testing;
    use aws_sdk_ecs::operation::describe_task_definition::{DescribeTaskDefinitionError, DescribeTaskDefinitionOutput};
    use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionOutput;
    use aws_sdk_ecs::types::error::ClientException;
    use aws_sdk_ecs::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    #[tokio::test]
    #[allow(deprecated)] // inferenceAccelerators
    async fn the_copy_keeps_every_settable_field_but_the_image() {
        let described = testing::described_full("alpha-gunicorn", 7, "gunicorn", "repo/acme-backend:v1");
        let input = testing::copied_input(&described, "gunicorn", "repo/acme-backend:v2");
        let td = &described.definition;
        assert_eq!(input.family(), Some("alpha-gunicorn"));
        assert_eq!(input.task_role_arn(), td.task_role_arn());
        assert_eq!(input.execution_role_arn(), td.execution_role_arn());
        assert_eq!(input.network_mode(), td.network_mode());
        assert_eq!(input.volumes(), td.volumes());
        assert_eq!(input.placement_constraints(), td.placement_constraints());
        assert_eq!(input.requires_compatibilities(), td.requires_compatibilities());
        assert_eq!(input.cpu(), td.cpu());
        assert_eq!(input.memory(), td.memory());
        assert_eq!(input.tags(), described.tags.as_slice());
        assert_eq!(input.pid_mode(), td.pid_mode());
        assert_eq!(input.ipc_mode(), td.ipc_mode());
        assert_eq!(input.proxy_configuration(), td.proxy_configuration());
        assert_eq!(input.inference_accelerators(), td.inference_accelerators());
        assert_eq!(input.ephemeral_storage(), td.ephemeral_storage());
        assert_eq!(input.runtime_platform(), td.runtime_platform());
        assert_eq!(input.enable_fault_injection(), td.enable_fault_injection());
        // Containers: identical except the one image.
        let sent = input.container_definitions();
        assert_eq!(sent.len(), td.container_definitions().len());
        for (new, old) in sent.iter().zip(td.container_definitions()) {
            if new.name() == Some("gunicorn") {
                assert_eq!(new.image(), Some("repo/acme-backend:v2"));
                let mut reverted = new.clone();
                reverted.image = old.image.clone();
                assert_eq!(&reverted, old);
            } else {
                assert_eq!(new, old, "a sidecar must not change");
            }
        }
    }

    #[tokio::test]
    async fn describe_asks_for_tags_and_the_exact_family() {
        let described = testing::described_full("alpha-gunicorn", 3, "gunicorn", "r:v1");
        let td = described.definition.clone();
        let tags = described.tags.clone();
        let rule = mock!(Client::describe_task_definition)
            .match_requests(|r| {
                r.task_definition() == Some("alpha-gunicorn") && r.include() == [TaskDefinitionField::Tags]
            })
            .then_output(move || {
                DescribeTaskDefinitionOutput::builder()
                    .task_definition(td.clone())
                    .set_tags(Some(tags.clone()))
                    .build()
            });
        let ecs = mock_client!(aws_sdk_ecs, [&rule]);
        let got = describe_latest(&ecs, "alpha-gunicorn").await.unwrap();
        assert_eq!(got.revision, 3);
        assert_eq!(got.tags.len(), 2);
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_missing_family_is_a_configuration_error() {
        let rule = mock!(Client::describe_task_definition).then_error(|| {
            DescribeTaskDefinitionError::ClientException(
                ClientException::builder()
                    .message("Unable to describe task definition.")
                    .build(),
            )
        });
        let ecs = mock_client!(aws_sdk_ecs, [&rule]);
        let err = describe_latest(&ecs, "alpha-nope").await.unwrap_err();
        assert!(matches!(err, EcsError::FamilyNotFound { .. }), "{err:?}");
        assert_eq!(err.exit(), crate::Exit::Usage);
    }

    #[tokio::test]
    async fn register_sends_the_copy_and_reads_back_the_revision() {
        let described = testing::described_full("alpha-gunicorn", 7, "gunicorn", "repo/acme-backend:v1");
        let rule = mock!(Client::register_task_definition)
            .match_requests(|r| {
                r.container_definitions()
                    .iter()
                    .any(|c| c.image() == Some("repo/acme-backend:v2"))
            })
            .then_output(|| {
                RegisterTaskDefinitionOutput::builder()
                    .task_definition(testing::task_definition(
                        "alpha-gunicorn",
                        8,
                        "gunicorn",
                        "repo/acme-backend:v2",
                    ))
                    .build()
            });
        let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, [&rule]);
        let new = register(&ecs, &described, "gunicorn", "repo/acme-backend:v2")
            .await
            .unwrap();
        assert_eq!(new.revision, 8);
        assert_eq!(new.image_of("gunicorn").unwrap(), "repo/acme-backend:v2");
    }

    #[test]
    fn a_container_missing_from_the_family_names_those_it_has() {
        let described = testing::described_full("alpha-gunicorn", 1, "gunicorn", "r:v1");
        let err = described.image_of("web").unwrap_err().to_string();
        assert!(
            err.contains("no container named `web` (it has: gunicorn, log-router)"),
            "{err}"
        );
    }
}
