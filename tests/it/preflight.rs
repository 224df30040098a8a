//! The task definition preflight against the sandbox: families that ECS
//! registers without a word, but whose tasks Fargate would refuse, stop
//! `update` (and its dry run) with exit 2 before any write.

use aws_sdk_ecs::types::{Compatibility, TaskDefinition};

use crate::update_support::Sandbox;

/// Registers a new latest revision of `family`: the seeded one, EC2-only
/// (so that ECS itself accepts it, as it would in AWS) and changed by
/// `change`.
fn register_ec2_only(sandbox: &Sandbox, family: &str, change: fn(&mut TaskDefinition)) {
    let ecs = sandbox.ecs();
    sandbox.block_on(async {
        let mut td = ecs
            .describe_task_definition()
            .task_definition(family)
            .send()
            .await
            .expect("describe the seeded family")
            .task_definition
            .expect("a task definition");
        change(&mut td);
        ecs.register_task_definition()
            .family(family)
            .set_network_mode(td.network_mode)
            .set_cpu(td.cpu)
            .set_memory(td.memory)
            .set_execution_role_arn(td.execution_role_arn)
            .requires_compatibilities(Compatibility::Ec2)
            .set_container_definitions(td.container_definitions)
            .send()
            .await
            .expect("ECS registers an EC2-only revision");
    });
}

fn latest_revision(sandbox: &Sandbox, family: &str) -> i32 {
    let ecs = sandbox.ecs();
    sandbox.block_on(async {
        ecs.describe_task_definition()
            .task_definition(family)
            .send()
            .await
            .expect("describe")
            .task_definition
            .expect("a task definition")
            .revision
    })
}

fn mutating_calls(sandbox: &Sandbox) -> Vec<String> {
    sandbox
        .calls()
        .into_iter()
        .filter(|c| c.mutating)
        .map(|c| c.operation)
        .collect()
}

#[test]
fn task_definitions_fargate_would_refuse_stop_the_update_before_any_write() {
    let sandbox = Sandbox::start("healthy.yaml");
    let contract = sandbox.seeded();
    // 3 GiB is not offered with 256 CPU units; awslogs on Fargate needs an execution role.
    register_ec2_only(&sandbox, "alpha-gunicorn", |td| td.memory = Some("3072".into()));
    register_ec2_only(&sandbox, "alpha-beat", |td| td.execution_role_arn = None);
    sandbox.clear_calls();

    for extra in [&["--dry-run"][..], &[]] {
        let mut args = vec!["--backend", "v2"];
        args.extend_from_slice(extra);
        let run = sandbox.update(&contract, &args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        for part in [
            "2 problems in the new task definition revisions of \"alpha-beat\", \"alpha-gunicorn\"; nothing was registered or started",
            "\"alpha-gunicorn\" memory 3072 MiB is not offered with 256 CPU units",
            "rule fargate-cpu-memory:",
            "see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html",
            "\"alpha-beat\" containerDefinitions[0].logConfiguration.logDriver is set, and executionRoleArn is not",
            "rule awslogs-execution-role:",
        ] {
            assert!(run.stderr.contains(part), "{args:?}: {part:?} missing from {}", run.stderr);
        }
        assert_eq!(mutating_calls(&sandbox), Vec::<String>::new(), "{args:?} wrote");
    }
    assert_eq!(
        latest_revision(&sandbox, "alpha-gunicorn"),
        2,
        "no new revision registered"
    );
    assert_eq!(latest_revision(&sandbox, "alpha-beat"), 2, "no new revision registered");
}
