//! The Rust AWS SDK (the client stackpilot uses) reads every response of
//! the sandbox's ECS and CloudWatch Logs without a deserialisation error:
//! each operation stackpilot calls, plus the service-deployment APIs the
//! sandbox adds to moto.

use std::time::{Duration, Instant};

use aws_sdk_ecs::types::{AssignPublicIp, AwsVpcConfiguration, DesiredStatus, LaunchType, NetworkConfiguration};

use crate::update_support::Sandbox;

#[test]
fn the_rust_sdk_reads_every_sandbox_response() {
    let sandbox = Sandbox::start("healthy.yaml");
    let contract: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sandbox.seeded()).unwrap()).unwrap();
    let subnets: Vec<String> = contract["network"]["subnets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect();
    let ecs = sandbox.ecs();
    let logs = sandbox.logs();
    sandbox.block_on(async {
        let clusters = ecs
            .describe_clusters()
            .clusters("alpha-cluster")
            .send()
            .await
            .expect("DescribeClusters");
        assert_eq!(clusters.clusters()[0].cluster_name(), Some("alpha-cluster"));
        let listed = ecs
            .list_services()
            .cluster("alpha-cluster")
            .send()
            .await
            .expect("ListServices");
        assert_eq!(listed.service_arns().len(), 4);
        let described = ecs
            .describe_services()
            .cluster("alpha-cluster")
            .services("alpha-gunicorn")
            .send()
            .await
            .expect("DescribeServices");
        let service = &described.services()[0];
        let deployment = &service.deployments()[0];
        assert!(deployment.id().is_some_and(|id| id.starts_with("ecs-svc/")));
        assert!(deployment.rollout_state().is_some());

        let td = ecs
            .describe_task_definition()
            .task_definition("alpha-gunicorn")
            .include(aws_sdk_ecs::types::TaskDefinitionField::Tags)
            .send()
            .await
            .expect("DescribeTaskDefinition");
        let definition = td.task_definition().unwrap();
        let registered = ecs
            .register_task_definition()
            .family("alpha-gunicorn")
            .set_container_definitions(Some(definition.container_definitions().to_vec()))
            .set_requires_compatibilities(Some(definition.requires_compatibilities().to_vec()))
            .set_network_mode(definition.network_mode().cloned())
            .set_cpu(definition.cpu().map(str::to_owned))
            .set_memory(definition.memory().map(str::to_owned))
            .set_execution_role_arn(definition.execution_role_arn().map(str::to_owned))
            .send()
            .await
            .expect("RegisterTaskDefinition");
        let arn = registered
            .task_definition()
            .unwrap()
            .task_definition_arn()
            .unwrap()
            .to_owned();
        let updated = ecs
            .update_service()
            .cluster("alpha-cluster")
            .service("alpha-gunicorn")
            .task_definition(&arn)
            .send()
            .await
            .expect("UpdateService");
        assert_eq!(updated.service().unwrap().deployments()[0].status(), Some("PRIMARY"));
        let deployments = ecs
            .list_service_deployments()
            .cluster("alpha-cluster")
            .service("alpha-gunicorn")
            .send()
            .await
            .expect("ListServiceDeployments");
        let first = deployments.service_deployments()[0]
            .service_deployment_arn()
            .unwrap()
            .to_owned();
        ecs.describe_service_deployments()
            .service_deployment_arns(first)
            .send()
            .await
            .expect("DescribeServiceDeployments");

        let network = NetworkConfiguration::builder()
            .awsvpc_configuration(
                AwsVpcConfiguration::builder()
                    .set_subnets(Some(subnets))
                    .assign_public_ip(AssignPublicIp::Disabled)
                    .build()
                    .unwrap(),
            )
            .build();
        let ran = ecs
            .run_task()
            .cluster("alpha-cluster")
            .task_definition("alpha-backend_update")
            .launch_type(LaunchType::Fargate)
            .network_configuration(network)
            .started_by("sdk-check")
            .send()
            .await
            .expect("RunTask");
        let task_arn = ran.tasks()[0].task_arn().unwrap().to_owned();
        let deadline = Instant::now() + Duration::from_secs(60);
        let stopped = loop {
            let tasks = ecs
                .describe_tasks()
                .cluster("alpha-cluster")
                .tasks(&task_arn)
                .send()
                .await
                .expect("DescribeTasks");
            let task = tasks.tasks()[0].clone();
            if task.last_status() == Some("STOPPED") {
                break task;
            }
            assert!(Instant::now() < deadline, "the one-off task never stopped");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(stopped.containers()[0].exit_code(), Some(0));
        let by_starter = ecs
            .list_tasks()
            .cluster("alpha-cluster")
            .started_by("sdk-check")
            .desired_status(DesiredStatus::Stopped)
            .send()
            .await
            .expect("ListTasks");
        assert_eq!(by_starter.task_arns(), std::slice::from_ref(&task_arn));
        ecs.stop_task()
            .cluster("alpha-cluster")
            .task(&task_arn)
            .send()
            .await
            .expect("StopTask");

        let task_id = task_arn.rsplit('/').next().unwrap();
        let events = logs
            .get_log_events()
            .log_group_name("/ecs/alpha-backend_update")
            .log_stream_name(format!("ecs/backend_update/{task_id}"))
            .send()
            .await
            .expect("GetLogEvents");
        assert!(
            !events.events().is_empty(),
            "the task's awslogs lines are in CloudWatch Logs"
        );
    });
}
