//! Task definition copies: the latest ACTIVE revision of a family, turned
//! into a RegisterTaskDefinition request with one container's image swapped.
//!
//! The request is built field by field from the typed `TaskDefinition`.
//! Read-only fields (`revision`, `status`, `compatibilities`,
//! `requiresAttributes`, `registeredAt`, …) have no setter on the request, so
//! sending them back is impossible rather than merely avoided.

use aws_sdk_ecs::operation::register_task_definition::builders::RegisterTaskDefinitionFluentBuilder;
use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionInput;
use aws_sdk_ecs::types::{ContainerDefinition, Tag, TaskDefinition, TaskDefinitionField};

use super::EcsError;

/// The latest ACTIVE revision of a family, with its tags.
#[derive(Debug, Clone)]
pub(crate) struct Described {
    pub(crate) family: String,
    pub(crate) arn: String,
    pub(crate) revision: i32,
    pub(crate) definition: TaskDefinition,
    pub(crate) tags: Vec<Tag>,
}

impl Described {
    pub(crate) fn container(&self, name: &str) -> Result<&ContainerDefinition, EcsError> {
        find_container(&self.definition, &self.family, name)
    }

    /// The image the named container runs now.
    pub(crate) fn image_of(&self, container: &str) -> Result<&str, EcsError> {
        Ok(self.container(container)?.image().unwrap_or_default())
    }

    /// Names of the containers whose exit decides a task's fate.
    pub(crate) fn essential_containers(&self) -> Vec<String> {
        essential_containers(&self.definition)
    }
}

pub(crate) fn find_container<'a>(
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

pub(crate) fn essential_containers(definition: &TaskDefinition) -> Vec<String> {
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
pub(crate) async fn describe_latest(ecs: &aws_sdk_ecs::Client, family: &str) -> Result<Described, EcsError> {
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

/// Every field of RegisterTaskDefinition that a copy carries over from the
/// described revision unchanged — one list, used by the copy, by the dry
/// run's diff, and by the test that fails when the SDK grows a settable
/// field this list lacks. `family`, `containerDefinitions` (one image
/// swapped) and `tags` (from the describe answer, not the definition) are
/// handled by name.
///
/// `list` fields drop empty lists: ECS treats "absent" and "empty" alike
/// and some SDK validators reject empty lists.
macro_rules! carried_fields {
    ($($json:literal: $field:ident, $setter:ident, $kind:ident;)*) => {
        /// The SDK names of the carried fields.
        #[cfg(test)]
        pub(crate) const CARRIED_FIELDS: &[&str] = &[$(stringify!($field)),*];

        // Elastic Inference is retired, but a family that still lists
        // accelerators must get them back, or the copy would silently differ.
        #[allow(deprecated)]
        fn carry(builder: RegisterTaskDefinitionFluentBuilder, td: TaskDefinition) -> RegisterTaskDefinitionFluentBuilder {
            builder $(.$setter(carried_fields!(@carried $kind, td.$field)))*
        }

        /// `(field, before, after)` for every carried field that the request
        /// would change. The copy changes none, so any entry is a finding.
        #[allow(deprecated)]
        pub(crate) fn carried_differences(
            old: &TaskDefinition,
            new: &RegisterTaskDefinitionInput,
        ) -> Vec<(&'static str, String, String)> {
            let mut out = Vec::new();
            $(
                let before = carried_fields!(@carried $kind, old.$field.clone());
                if before != new.$field {
                    out.push(($json, shown(&before), shown(&new.$field)));
                }
            )*
            out
        }
    };
    (@carried list, $e:expr) => { non_empty($e) };
    (@carried value, $e:expr) => { $e };
}

carried_fields! {
    "taskRoleArn": task_role_arn, set_task_role_arn, value;
    "executionRoleArn": execution_role_arn, set_execution_role_arn, value;
    "networkMode": network_mode, set_network_mode, value;
    "volumes": volumes, set_volumes, list;
    "placementConstraints": placement_constraints, set_placement_constraints, list;
    "requiresCompatibilities": requires_compatibilities, set_requires_compatibilities, list;
    "cpu": cpu, set_cpu, value;
    "memory": memory, set_memory, value;
    "pidMode": pid_mode, set_pid_mode, value;
    "ipcMode": ipc_mode, set_ipc_mode, value;
    "proxyConfiguration": proxy_configuration, set_proxy_configuration, value;
    "inferenceAccelerators": inference_accelerators, set_inference_accelerators, list;
    "ephemeralStorage": ephemeral_storage, set_ephemeral_storage, value;
    "runtimePlatform": runtime_platform, set_runtime_platform, value;
    "enableFaultInjection": enable_fault_injection, set_enable_fault_injection, value;
}

fn non_empty<T>(v: Option<Vec<T>>) -> Option<Vec<T>> {
    v.filter(|v| !v.is_empty())
}

/// A field value for the dry run's table.
fn shown<T: std::fmt::Debug>(value: &Option<T>) -> String {
    value
        .as_ref()
        .map_or_else(|| "(not set)".to_owned(), |v| format!("{v:?}"))
}

/// The request that registers `described` again with `container` running
/// `image`: every carried field as it is, the containers with one image
/// swapped, the family's tags.
pub(crate) fn copy_with_image(
    builder: RegisterTaskDefinitionFluentBuilder,
    described: &Described,
    container: &str,
    image: &str,
) -> Result<RegisterTaskDefinitionFluentBuilder, EcsError> {
    described.container(container)?;
    let mut td = described.definition.clone();
    let containers: Vec<ContainerDefinition> = td
        .container_definitions
        .take()
        .unwrap_or_default()
        .into_iter()
        .map(|mut c| {
            if c.name() == Some(container) {
                c.image = Some(image.to_owned());
            }
            c
        })
        .collect();
    let tags = Some(described.tags.clone()).filter(|t| !t.is_empty());
    let builder = builder
        .family(described.family.clone())
        .set_container_definitions(Some(containers))
        .set_tags(tags);
    Ok(carry(builder, td))
}

/// The request a copy would send, without sending it: what the dry run
/// compares with the revision now.
pub(crate) fn copy_input(
    described: &Described,
    container: &str,
    image: &str,
) -> Result<RegisterTaskDefinitionInput, EcsError> {
    // A builder needs a client, but building the input never calls it.
    let config = aws_sdk_ecs::Config::builder()
        .behavior_version(aws_sdk_ecs::config::BehaviorVersion::latest())
        .build();
    let client = aws_sdk_ecs::Client::from_conf(config);
    copy_with_image(client.register_task_definition(), described, container, image)?
        .as_input()
        .clone()
        .build()
        .map_err(|source| EcsError::Request {
            what: "a task definition copy",
            source,
        })
}

/// Registers the copy and returns the new revision.
pub(crate) async fn register(
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
        assert_eq!(input.tags(), described.tags.as_slice());
        assert_eq!(carried_differences(td, &input), vec![], "every carried field kept");
        // The fixture sets every carried field, so the check above compares values, not absences.
        let unset: Vec<_> = carried_differences(&TaskDefinition::builder().build(), &input)
            .into_iter()
            .map(|(field, ..)| field)
            .collect();
        assert_eq!(
            unset.len(),
            CARRIED_FIELDS.len(),
            "fixture leaves some field unset: {unset:?}"
        );
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

    /// The regression this list exists for: a settable field missing from
    /// the copy is silently dropped from every new revision.
    #[test]
    fn every_settable_field_of_the_sdk_is_carried_or_handled_by_name() {
        let empty = RegisterTaskDefinitionInput::builder().build().unwrap();
        let debug = format!("{empty:?}");
        let inner = debug
            .split_once('{')
            .and_then(|(_, rest)| rest.rsplit_once('}'))
            .map(|(fields, _)| fields)
            .unwrap();
        let settable: Vec<&str> = inner
            .split(',')
            .filter_map(|f| f.split_once(':').map(|(name, _)| name.trim()))
            .collect();
        assert!(settable.len() > 10, "parsed {settable:?} from {debug}");
        let handled = ["family", "container_definitions", "tags"];
        let missing: Vec<&&str> = settable
            .iter()
            .filter(|f| !CARRIED_FIELDS.contains(f) && !handled.contains(f))
            .collect();
        assert!(missing.is_empty(), "settable fields the copy would drop: {missing:?}");
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
