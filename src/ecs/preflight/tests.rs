//! Each rule on its own: a valid request passes, and one mutation per rule
//! breaks exactly that rule, at exactly that field.

use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionInput;
use aws_sdk_ecs::types::{
    Compatibility, ContainerCondition, ContainerDefinition, ContainerDependency, CpuArchitecture, EphemeralStorage,
    LogConfiguration, LogDriver, NetworkMode, OsFamily, PortMapping, RepositoryCredentials, RuntimePlatform, Secret,
};

use super::*;
use crate::ecs::testing;

const ECR: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme-backend:v2";

fn dependency(target: &str, condition: ContainerCondition) -> ContainerDependency {
    ContainerDependency::builder()
        .container_name(target)
        .condition(condition)
        .build()
        .expect("name and condition set")
}

/// A Fargate request that breaks no rule and sets what every rule looks at.
fn valid() -> RegisterTaskDefinitionInput {
    let main = ContainerDefinition::builder()
        .name("gunicorn")
        .image(ECR)
        .essential(true)
        .port_mappings(PortMapping::builder().container_port(8000).host_port(8000).build())
        .port_mappings(PortMapping::builder().container_port(9000).build())
        .secrets(
            Secret::builder()
                .name("DATABASE_PASSWORD")
                .value_from("arn:aws:secretsmanager:us-east-1:123456789012:secret:db")
                .build()
                .expect("name and valueFrom set"),
        )
        .log_configuration(
            LogConfiguration::builder()
                .log_driver(LogDriver::Awslogs)
                .options("awslogs-group", "/ecs/alpha-gunicorn")
                .build()
                .expect("driver set"),
        )
        .depends_on(dependency("log-router", ContainerCondition::Start))
        .depends_on(dependency("init", ContainerCondition::Success))
        .build();
    let router = ContainerDefinition::builder()
        .name("log-router")
        .image("public.ecr.aws/aws-observability/aws-for-fluent-bit:stable")
        .essential(false)
        .build();
    let init = ContainerDefinition::builder()
        .name("init")
        .image("busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
        .essential(false)
        .build();
    RegisterTaskDefinitionInput::builder()
        .family("alpha-gunicorn")
        .network_mode(NetworkMode::Awsvpc)
        .requires_compatibilities(Compatibility::Fargate)
        .cpu("256")
        .memory("512")
        .execution_role_arn("arn:aws:iam::123456789012:role/alpha-ecs-execution")
        .ephemeral_storage(EphemeralStorage::builder().size_in_gib(21).build())
        .runtime_platform(
            RuntimePlatform::builder()
                .operating_system_family(OsFamily::Linux)
                .cpu_architecture(CpuArchitecture::Arm64)
                .build(),
        )
        .container_definitions(main)
        .container_definitions(router)
        .container_definitions(init)
        .build()
        .expect("a valid input")
}

fn found(input: &RegisterTaskDefinitionInput) -> Vec<(&'static str, String)> {
    problems(input).into_iter().map(|p| (p.rule.id(), p.field)).collect()
}

fn assert_breaks(rule: Rule, field: &str, mutate: fn(&mut RegisterTaskDefinitionInput)) {
    let mut input = valid();
    mutate(&mut input);
    assert_eq!(found(&input), vec![(rule.id(), field.to_owned())]);
}

fn main_container(input: &mut RegisterTaskDefinitionInput) -> &mut ContainerDefinition {
    &mut input.container_definitions.as_mut().expect("containers")[0]
}

#[test]
fn a_valid_request_passes() {
    assert_eq!(found(&valid()), vec![]);
    assert!(check([&valid()]).is_ok());
}

/// A valid Fargate size on another platform.
fn on_platform(i: &mut RegisterTaskDefinitionInput, (cpu, memory): (&str, &str), os: OsFamily, arch: CpuArchitecture) {
    i.cpu = Some(cpu.into());
    i.memory = Some(memory.into());
    i.runtime_platform = Some(
        RuntimePlatform::builder()
            .operating_system_family(os)
            .cpu_architecture(arch)
            .build(),
    );
}

/// One test per rule, and a test that every rule of the table has one.
macro_rules! one_mutation_per_rule {
    ($($test:ident: $rule:ident at $field:literal by $mutate:expr;)*) => {
        $(
            #[test]
            fn $test() {
                assert_breaks(Rule::$rule, $field, $mutate);
            }
        )*

        #[test]
        fn every_rule_has_its_mutation_test() {
            let tested = [$(Rule::$rule),*];
            for rule in Rule::ALL {
                assert!(tested.contains(rule), "no mutation test for {}", rule.id());
            }
        }
    };
}

one_mutation_per_rule! {
    three_gib_with_256_cpu_is_not_a_fargate_size: FargateSize at "memory" by |i| i.memory = Some("3072".into());
    a_cpu_fargate_does_not_offer_is_refused: FargateSize at "cpu" by |i| i.cpu = Some("384".into());
    a_missing_task_memory_is_refused: FargateSize at "memory" by |i| i.memory = None;
    bridge_networking_is_refused: NetworkMode at "networkMode" by |i| i.network_mode = Some(NetworkMode::Bridge);
    a_host_port_other_than_the_container_port_is_refused:
        HostPort at "containerDefinitions[0].portMappings[0].hostPort"
        by |i| main_container(i).port_mappings.as_mut().expect("mappings")[0].host_port = Some(8080);
    ephemeral_storage_below_21_gib_is_refused:
        EphemeralStorage at "ephemeralStorage.sizeInGiB"
        by |i| i.ephemeral_storage = Some(EphemeralStorage::builder().size_in_gib(20).build());
    no_essential_container_is_refused:
        EssentialContainer at "containerDefinitions"
        by |i| main_container(i).essential = Some(false);
    a_container_name_used_twice_is_refused:
        ContainerNames at "containerDefinitions[2].name"
        by |i| {
            i.container_definitions.as_mut().expect("containers")[2].name = Some("log-router".into());
            // The dependency on `init` would otherwise break another rule.
            main_container(i).depends_on.as_mut().expect("deps").truncate(1);
        };
    a_dependency_on_a_missing_container_is_refused:
        DependsOnTarget at "containerDefinitions[0].dependsOn[0].containerName"
        by |i| main_container(i).depends_on.as_mut().expect("deps")[0] = dependency("sidecar", ContainerCondition::Start);
    a_dependency_cycle_is_refused:
        DependsOnCycle at "containerDefinitions[1].dependsOn[0].containerName"
        by |i| i.container_definitions.as_mut().expect("containers")[1].depends_on =
            Some(vec![dependency("gunicorn", ContainerCondition::Start)]);
    waiting_for_an_essential_container_to_exit_is_refused:
        DependsOnExit at "containerDefinitions[0].dependsOn[1].condition"
        by |i| i.container_definitions.as_mut().expect("containers")[2].essential = Some(true);
    awslogs_without_an_execution_role_is_refused:
        AwslogsRole at "containerDefinitions[0].logConfiguration.logDriver"
        by |i| {
            i.execution_role_arn = None;
            main_container(i).secrets = None;
        };
    secrets_without_an_execution_role_are_refused:
        SecretsRole at "containerDefinitions[0].secrets"
        by |i| {
            i.execution_role_arn = None;
            main_container(i).log_configuration = None;
        };
    an_image_with_a_space_is_refused:
        ImageReference at "containerDefinitions[1].image"
        by |i| i.container_definitions.as_mut().expect("containers")[1].image = Some("aws for fluent bit".into());
    arm64_windows_is_refused:
        RuntimePlatform at "runtimePlatform.cpuArchitecture"
        by |i| on_platform(i, ("1024", "2048"), OsFamily::WindowsServer2022Core, CpuArchitecture::Arm64);
    windows_with_512_cpu_is_refused:
        RuntimePlatform at "cpu"
        by |i| on_platform(i, ("512", "1024"), OsFamily::WindowsServer2019Full, CpuArchitecture::X8664);
}

#[test]
fn every_fargate_size_in_the_table_passes_and_its_neighbours_do_not() {
    let cases: &[(&str, &[u32], &[u32])] = &[
        ("256", &[512, 1024, 2048], &[256, 1536, 3072]),
        ("512", &[1024, 2048, 3072, 4096], &[512, 5120, 1536]),
        ("1024", &[2048, 5120, 8192], &[1024, 9216]),
        ("2048", &[4096, 9216, 16384], &[3072, 17408]),
        ("4096", &[8192, 30720], &[7168, 31744]),
        ("8192", &[16384, 20480, 61440], &[17408, 65536]),
        ("16384", &[32768, 40960, 122880], &[36864, 131072]),
        ("1 vCPU", &[2048], &[1024]),
    ];
    for (cpu, good, bad) in cases {
        for (memory, ok) in good.iter().map(|m| (m, true)).chain(bad.iter().map(|m| (m, false))) {
            let mut input = valid();
            input.cpu = Some((*cpu).into());
            input.memory = Some(memory.to_string());
            assert_eq!(
                Rule::FargateSize.check(&input).is_empty(),
                ok,
                "cpu {cpu}, memory {memory}"
            );
        }
    }
    let mut input = valid();
    input.cpu = Some("0.25 vCPU".into());
    input.memory = Some("2 GB".into());
    assert!(Rule::FargateSize.check(&input).is_empty());
}

#[test]
fn a_three_container_cycle_is_named_once_as_a_path() {
    let mut input = valid();
    let containers = input.container_definitions.as_mut().expect("containers");
    containers[0].depends_on = Some(vec![dependency("log-router", ContainerCondition::Start)]);
    containers[1].depends_on = Some(vec![dependency("init", ContainerCondition::Start)]);
    containers[2].depends_on = Some(vec![dependency("gunicorn", ContainerCondition::Start)]);
    let cycles = Rule::DependsOnCycle.check(&input);
    assert_eq!(cycles.len(), 1, "{cycles:?}");
    assert_eq!(
        cycles[0].detail,
        r#"closes the cycle "gunicorn" -> "log-router" -> "init" -> "gunicorn""#
    );
}

#[test]
fn a_container_depending_on_itself_is_a_target_problem() {
    let mut input = valid();
    main_container(&mut input).depends_on = Some(vec![dependency("gunicorn", ContainerCondition::Start)]);
    assert_eq!(
        found(&input),
        vec![(
            "depends-on-target",
            "containerDefinitions[0].dependsOn[0].containerName".to_owned()
        )]
    );
}

#[test]
fn repository_credentials_and_secret_options_need_the_execution_role_too() {
    let mut input = valid();
    input.execution_role_arn = None;
    let main = main_container(&mut input);
    main.repository_credentials = Some(
        RepositoryCredentials::builder()
            .credentials_parameter("arn:aws:secretsmanager:us-east-1:123456789012:secret:hub")
            .build()
            .expect("parameter set"),
    );
    let fields: Vec<String> = Rule::SecretsRole.check(&input).into_iter().map(|f| f.field).collect();
    assert_eq!(
        fields,
        [
            "containerDefinitions[0].secrets",
            "containerDefinitions[0].repositoryCredentials"
        ]
    );
}

#[test]
fn the_full_fixture_copy_passes() {
    let described = testing::described_full("alpha-gunicorn", 7, "gunicorn", "repo/acme-backend:v1");
    let input = testing::copied_input(&described, "gunicorn", "repo/acme-backend:v2");
    assert_eq!(found(&input), vec![]);
}

/// The whole message: every family's problems at once, each with its rule,
/// field and page, and a hostile image shown escaped on its own line.
#[test]
fn the_error_names_every_problem_with_its_rule_field_and_page() {
    let mut gunicorn = valid();
    gunicorn.memory = Some("3072".into());
    main_container(&mut gunicorn).port_mappings.as_mut().expect("mappings")[0].host_port = Some(8080);
    let mut beat = valid();
    beat.family = Some("alpha-beat".into());
    beat.container_definitions.as_mut().expect("containers")[1].image = Some("evil\nimage".into());
    let err = check([&gunicorn, &beat]).unwrap_err();
    assert_eq!(err.problems.len(), 3);
    insta::assert_snapshot!(err.to_string());
}

/// docs/preflight.md lists the rules; it must say what the table here says.
#[test]
fn the_rules_in_docs_are_the_rules_here() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/preflight.md");
    let docs = std::fs::read_to_string(path).expect("docs/preflight.md");
    let rows = docs.lines().filter(|l| l.starts_with("| `")).count();
    assert_eq!(rows, Rule::ALL.len(), "one row per rule in {path}");
    for rule in Rule::ALL {
        let row = format!("| `{}` | {} | {} |", rule.id(), rule.statement(), rule.doc());
        assert!(docs.contains(&row), "{path} lacks or differs from:\n{row}");
    }
}
