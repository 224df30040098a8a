//! Builders of SDK values for the unit tests of this module.

// The full task definition still lists inference accelerators: retired by
// AWS, but a copy must keep them.
#![allow(deprecated)]

use aws_sdk_ecs::types::{
    Attribute, Compatibility, ContainerDefinition, CpuArchitecture, EphemeralStorage, InferenceAccelerator, IpcMode,
    KeyValuePair, LogConfiguration, LogDriver, NetworkMode, OsFamily, PidMode, ProxyConfiguration,
    ProxyConfigurationType, RuntimePlatform, Secret, Tag, TaskDefinition, TaskDefinitionPlacementConstraint,
    TaskDefinitionPlacementConstraintType, TaskDefinitionStatus, Volume,
};

use super::taskdef::Described;

pub(crate) fn arn(family: &str, revision: i32) -> String {
    format!("arn:aws:ecs:us-east-1:123456789012:task-definition/{family}:{revision}")
}

pub(crate) fn container(name: &str, image: &str) -> ContainerDefinition {
    ContainerDefinition::builder()
        .name(name)
        .image(image)
        .essential(true)
        .log_configuration(
            LogConfiguration::builder()
                .log_driver(LogDriver::Awslogs)
                .options("awslogs-group", format!("/ecs/{name}"))
                .options("awslogs-stream-prefix", "ecs")
                .options("awslogs-region", "us-east-1")
                .build()
                .expect("log driver set"),
        )
        .build()
}

/// A plain Fargate task definition with one container.
pub(crate) fn task_definition(family: &str, revision: i32, name: &str, image: &str) -> TaskDefinition {
    TaskDefinition::builder()
        .task_definition_arn(arn(family, revision))
        .family(family)
        .revision(revision)
        .status(TaskDefinitionStatus::Active)
        .network_mode(NetworkMode::Awsvpc)
        .requires_compatibilities(Compatibility::Fargate)
        .compatibilities(Compatibility::Fargate)
        .compatibilities(Compatibility::Ec2)
        .cpu("256")
        .memory("512")
        // Fargate needs it for the awslogs driver (the preflight checks).
        .execution_role_arn("arn:aws:iam::123456789012:role/exec")
        .container_definitions(container(name, image))
        .build()
}

/// Every settable field set to something that is not the default, plus
/// the read-only ones ECS adds, and a sidecar whose image must not move.
pub(crate) fn described_full(family: &str, revision: i32, name: &str, image: &str) -> Described {
    let main = ContainerDefinition::builder()
        .name(name)
        .image(image)
        .essential(true)
        .command("gunicorn")
        .environment(KeyValuePair::builder().name("DATABASE_NAME").value("alpha-db").build())
        .environment(
            KeyValuePair::builder()
                .name("SECRET_TOKEN_HINT")
                .value("s3cr3t")
                .build(),
        )
        .secrets(
            Secret::builder()
                .name("DATABASE_PASSWORD")
                .value_from("arn:aws:secretsmanager:us-east-1:123456789012:secret:db:password::")
                .build()
                .expect("name and valueFrom set"),
        )
        .log_configuration(
            LogConfiguration::builder()
                .log_driver(LogDriver::Awslogs)
                .options("awslogs-group", format!("/ecs/{family}"))
                .options("awslogs-stream-prefix", "ecs")
                .build()
                .expect("log driver set"),
        )
        .build();
    let sidecar = ContainerDefinition::builder()
        .name("log-router")
        .image("public.ecr.aws/aws-observability/aws-for-fluent-bit:stable")
        .essential(false)
        .build();
    let definition = TaskDefinition::builder()
        .task_definition_arn(arn(family, revision))
        .family(family)
        .revision(revision)
        .status(TaskDefinitionStatus::Active)
        .task_role_arn("arn:aws:iam::123456789012:role/task")
        .execution_role_arn("arn:aws:iam::123456789012:role/exec")
        .network_mode(NetworkMode::Awsvpc)
        .volumes(Volume::builder().name("scratch").build())
        .placement_constraints(
            TaskDefinitionPlacementConstraint::builder()
                .r#type(TaskDefinitionPlacementConstraintType::MemberOf)
                .expression("attribute:ecs.availability-zone in [us-east-1a]")
                .build(),
        )
        .requires_compatibilities(Compatibility::Fargate)
        .compatibilities(Compatibility::Fargate)
        .requires_attributes(
            Attribute::builder()
                .name("ecs.capability.secrets.asm.environment-variables")
                .build()
                .expect("name set"),
        )
        .cpu("1024")
        .memory("2048")
        .pid_mode(PidMode::Task)
        .ipc_mode(IpcMode::None)
        .proxy_configuration(
            ProxyConfiguration::builder()
                .r#type(ProxyConfigurationType::Appmesh)
                .container_name("envoy")
                .properties(KeyValuePair::builder().name("AppPorts").value("8000").build())
                .build()
                .expect("container name set"),
        )
        .inference_accelerators(
            InferenceAccelerator::builder()
                .device_name("eia")
                .device_type("eia2.medium")
                .build()
                .expect("device set"),
        )
        .ephemeral_storage(EphemeralStorage::builder().size_in_gib(50).build())
        .runtime_platform(
            RuntimePlatform::builder()
                .cpu_architecture(CpuArchitecture::Arm64)
                .operating_system_family(OsFamily::Linux)
                .build(),
        )
        .enable_fault_injection(true)
        .registered_by("arn:aws:iam::123456789012:user/deployer")
        .container_definitions(main)
        .container_definitions(sidecar)
        .build();
    Described {
        family: family.to_owned(),
        arn: arn(family, revision),
        revision,
        definition,
        tags: vec![
            Tag::builder().key("team").value("blog").build(),
            Tag::builder().key("cost-centre").value("42").build(),
        ],
    }
}

pub(crate) fn described(family: &str, revision: i32, name: &str, image: &str) -> Described {
    let definition = task_definition(family, revision, name, image);
    Described {
        family: family.to_owned(),
        arn: arn(family, revision),
        revision,
        definition,
        tags: Vec::new(),
    }
}

pub(crate) fn deployment(
    id: &str,
    status: &str,
    rollout: aws_sdk_ecs::types::DeploymentRolloutState,
    task_definition: &str,
    running: i32,
    failed: i32,
) -> aws_sdk_ecs::types::Deployment {
    aws_sdk_ecs::types::Deployment::builder()
        .id(id)
        .status(status)
        .rollout_state(rollout)
        .task_definition(task_definition)
        .desired_count(1)
        .running_count(running)
        .pending_count(1 - running.min(1))
        .failed_tasks(failed)
        .build()
}

/// A service whose task definition is its PRIMARY deployment's, as ECS shows it.
pub(crate) fn service(name: &str, deployments: Vec<aws_sdk_ecs::types::Deployment>) -> aws_sdk_ecs::types::Service {
    let primary = deployments
        .iter()
        .find(|d| d.status() == Some("PRIMARY"))
        .and_then(|d| d.task_definition())
        .map(str::to_owned);
    aws_sdk_ecs::types::Service::builder()
        .set_task_definition(primary)
        .service_name(name)
        .service_arn(format!(
            "arn:aws:ecs:us-east-1:123456789012:service/alpha-cluster/{name}"
        ))
        .status("ACTIVE")
        .desired_count(1)
        .set_deployments(Some(deployments))
        .build()
}

pub(crate) fn describe_services_output(
    services: Vec<aws_sdk_ecs::types::Service>,
) -> aws_sdk_ecs::operation::describe_services::DescribeServicesOutput {
    aws_sdk_ecs::operation::describe_services::DescribeServicesOutput::builder()
        .set_services(Some(services))
        .build()
}

/// A stopped task whose one container exited with `exit_code`.
pub(crate) fn stopped_task(id: &str, container: &str, exit_code: i32, reason: &str) -> aws_sdk_ecs::types::Task {
    aws_sdk_ecs::types::Task::builder()
        .task_arn(format!("arn:aws:ecs:us-east-1:123456789012:task/alpha-cluster/{id}"))
        .last_status("STOPPED")
        .stop_code(aws_sdk_ecs::types::TaskStopCode::EssentialContainerExited)
        .stopped_reason(reason)
        .containers(
            aws_sdk_ecs::types::Container::builder()
                .name(container)
                .exit_code(exit_code)
                .last_status("STOPPED")
                .build(),
        )
        .build()
}

/// DescribeTasks of the migration task `m1`, stopped with `exit_code`.
pub(crate) fn migration_stopped(exit_code: i32) -> aws_sdk_ecs::operation::describe_tasks::DescribeTasksOutput {
    aws_sdk_ecs::operation::describe_tasks::DescribeTasksOutput::builder()
        .tasks(stopped_task(
            "m1",
            "backend_update",
            exit_code,
            "Essential container in task exited",
        ))
        .build()
}

/// A task the scheduler stopped because its container failed its health
/// check; the container exited 0 on the SIGTERM.
pub(crate) fn unhealthy_task(id: &str, container: &str) -> aws_sdk_ecs::types::Task {
    let mut task = stopped_task(id, container, 0, "Task failed container health checks");
    task.stop_code = Some(aws_sdk_ecs::types::TaskStopCode::ServiceSchedulerInitiated);
    task.health_status = Some(aws_sdk_ecs::types::HealthStatus::Unhealthy);
    for c in task.containers.iter_mut().flatten() {
        c.health_status = Some(aws_sdk_ecs::types::HealthStatus::Unhealthy);
    }
    task
}

/// What CloudWatch Logs' GetLogEvents answers with these lines.
pub(crate) fn log_events(lines: &[&str]) -> aws_sdk_cloudwatchlogs::operation::get_log_events::GetLogEventsOutput {
    let events = lines
        .iter()
        .map(|line| {
            aws_sdk_cloudwatchlogs::types::OutputLogEvent::builder()
                .message(*line)
                .build()
        })
        .collect();
    aws_sdk_cloudwatchlogs::operation::get_log_events::GetLogEventsOutput::builder()
        .set_events(Some(events))
        .build()
}

/// The RegisterTaskDefinition input a copy of `described` with `image` in
/// `container` would send.
pub(crate) fn copied_input(
    described: &Described,
    container: &str,
    image: &str,
) -> aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionInput {
    super::taskdef::copy_input(described, container, image).expect("the copy builds")
}
