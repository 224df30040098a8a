//! The rules, as data: each has an id, the one sentence it enforces and the
//! AWS page that documents it; [`Rule::check`] finds every place a
//! RegisterTaskDefinition request breaks it.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionInput;
use aws_sdk_ecs::types::{ContainerCondition, ContainerDefinition, CpuArchitecture, LogDriver, NetworkMode, OsFamily};

use crate::syntax;

/// Where a request breaks a rule: the field's JSON path and what is wrong
/// with its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    pub(crate) field: String,
    pub(crate) detail: String,
}

fn finding(field: impl Into<String>, detail: impl Into<String>) -> Finding {
    Finding {
        field: field.into(),
        detail: detail.into(),
    }
}

macro_rules! rules {
    ($($(#[$doc:meta])* $variant:ident = $id:literal, $statement:literal, $link:literal;)*) => {
        /// A rule ECS enforces on a task definition for Fargate, at
        /// RegisterTaskDefinition or when a task starts.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub(crate) enum Rule {
            $($(#[$doc])* $variant,)*
        }

        impl Rule {
            pub(crate) const ALL: &'static [Rule] = &[$(Rule::$variant),*];

            /// A stable, short name for messages and docs.
            pub(crate) fn id(self) -> &'static str {
                match self { $(Rule::$variant => $id,)* }
            }

            /// What the rule requires, in one line.
            pub(crate) fn statement(self) -> &'static str {
                match self { $(Rule::$variant => $statement,)* }
            }

            /// The AWS documentation page that states it.
            pub(crate) fn doc(self) -> &'static str {
                match self { $(Rule::$variant => $link,)* }
            }
        }
    };
}

rules! {
    FargateSize = "fargate-cpu-memory",
        "task-level cpu and memory are set to a pair Fargate offers (256 CPU units: 512, 1024 or 2048 MiB; 512: 1-4 GiB; 1024: 2-8 GiB; 2048: 4-16 GiB; 4096: 8-30 GiB, in 1 GiB steps; 8192: 16-60 GiB in 4 GiB steps; 16384: 32-120 GiB in 8 GiB steps)",
        "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html";
    NetworkMode = "fargate-awsvpc",
        "networkMode is awsvpc, the only network mode Fargate runs",
        "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#network_mode";
    HostPort = "awsvpc-host-port",
        "under awsvpc, each portMapping's hostPort is left out or equal to its containerPort",
        "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_PortMapping.html";
    EphemeralStorage = "ephemeral-storage",
        "ephemeralStorage.sizeInGiB, when set, is between 21 and 200",
        "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_EphemeralStorage.html";
    EssentialContainer = "essential-container",
        "at least one container is essential (a container without `essential` is)",
        "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#container_definition_essential";
    ContainerNames = "container-names",
        "every container has a name of 1 to 255 letters, digits, hyphens and underscores, unique in the task definition",
        "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#container_definition_name";
    DependsOnTarget = "depends-on-target",
        "each dependsOn names another container of the task definition",
        "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#container_definition_dependson";
    DependsOnCycle = "depends-on-cycle",
        "the dependsOn relations have no cycle, so that every container can start",
        "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDependency.html";
    DependsOnExit = "depends-on-exit",
        "a COMPLETE or SUCCESS dependency waits for a container that is not essential",
        "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDependency.html";
    AwslogsRole = "awslogs-execution-role",
        "a container logging with the awslogs driver needs the task's executionRoleArn on Fargate",
        "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html";
    SecretsRole = "secrets-execution-role",
        "secrets, logConfiguration.secretOptions and repositoryCredentials need the task's executionRoleArn",
        "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/specifying-sensitive-data.html";
    ImageReference = "image-reference",
        "each image is a Docker reference repository[:tag][@digest] of at most 255 characters, lowercase repository path",
        "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#container_definition_image";
    RuntimePlatform = "runtime-platform",
        "Windows runs on Fargate with 1024, 2048 or 4096 CPU units and X86_64 only; ARM64 only with LINUX",
        "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RuntimePlatform.html";
}

/// The memory (MiB) Fargate offers for a task's CPU units.
enum Memory {
    OneOf(&'static [u32]),
    Steps { min: u32, max: u32, step: u32 },
}

impl Memory {
    fn allows(&self, mib: u32) -> bool {
        match *self {
            Memory::OneOf(values) => values.contains(&mib),
            Memory::Steps { min, max, step } => (min..=max).contains(&mib) && (mib - min) % step == 0,
        }
    }
}

const GIB: u32 = 1024;

/// Fargate's task sizes: CPU units → the memory it may have.
const FARGATE_SIZES: &[(u32, Memory)] = &[
    (256, Memory::OneOf(&[512, GIB, 2 * GIB])),
    (
        512,
        Memory::Steps {
            min: GIB,
            max: 4 * GIB,
            step: GIB,
        },
    ),
    (
        1024,
        Memory::Steps {
            min: 2 * GIB,
            max: 8 * GIB,
            step: GIB,
        },
    ),
    (
        2048,
        Memory::Steps {
            min: 4 * GIB,
            max: 16 * GIB,
            step: GIB,
        },
    ),
    (
        4096,
        Memory::Steps {
            min: 8 * GIB,
            max: 30 * GIB,
            step: GIB,
        },
    ),
    (
        8192,
        Memory::Steps {
            min: 16 * GIB,
            max: 60 * GIB,
            step: 4 * GIB,
        },
    ),
    (
        16384,
        Memory::Steps {
            min: 32 * GIB,
            max: 120 * GIB,
            step: 8 * GIB,
        },
    ),
];

/// The CPU units Windows tasks may have on Fargate.
const WINDOWS_CPU: &[u32] = &[1024, 2048, 4096];

/// `"1024"` or `"1 vCPU"` (ECS accepts both and stores the units).
fn cpu_units(raw: &str) -> Option<u32> {
    amount(raw, "vcpu", 1024)
}

/// `"2048"` or `"2 GB"` (ECS accepts both and stores MiB).
fn memory_mib(raw: &str) -> Option<u32> {
    amount(raw, "gb", GIB)
}

fn amount(raw: &str, unit: &str, per_unit: u32) -> Option<u32> {
    let text = raw.trim().to_ascii_lowercase();
    if let Some(number) = text.strip_suffix(unit) {
        let units: f64 = number.trim().parse().ok()?;
        let value = units * f64::from(per_unit);
        return (value.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&value)).then_some(value as u32);
    }
    text.parse().ok()
}

fn containers(input: &RegisterTaskDefinitionInput) -> impl Iterator<Item = (String, &ContainerDefinition)> {
    input
        .container_definitions()
        .iter()
        .enumerate()
        .map(|(i, c)| (format!("containerDefinitions[{i}]"), c))
}

fn shown(value: &str) -> String {
    format!("{value:?}")
}

impl Rule {
    /// Every place `input` breaks this rule.
    pub(crate) fn check(self, input: &RegisterTaskDefinitionInput) -> Vec<Finding> {
        match self {
            Rule::FargateSize => fargate_size(input),
            Rule::NetworkMode => match input.network_mode() {
                Some(NetworkMode::Awsvpc) => vec![],
                Some(other) => vec![finding("networkMode", format!("is {}", shown(other.as_str())))],
                None => vec![finding("networkMode", "is not set (ECS then uses bridge)")],
            },
            Rule::HostPort => host_ports(input),
            Rule::EphemeralStorage => input
                .ephemeral_storage()
                .map(|e| e.size_in_gib())
                .filter(|size| !(21..=200).contains(size))
                .map(|size| vec![finding("ephemeralStorage.sizeInGiB", format!("is {size}"))])
                .unwrap_or_default(),
            Rule::EssentialContainer => {
                if input
                    .container_definitions()
                    .iter()
                    .any(|c| c.essential().unwrap_or(true))
                {
                    vec![]
                } else {
                    vec![finding("containerDefinitions", "has no essential container")]
                }
            }
            Rule::ContainerNames => container_names(input),
            Rule::DependsOnTarget => depends_on_targets(input),
            Rule::DependsOnCycle => depends_on_cycles(input),
            Rule::DependsOnExit => depends_on_exits(input),
            Rule::AwslogsRole => needs_role(input, |path, c| {
                c.log_configuration()
                    .filter(|l| *l.log_driver() == LogDriver::Awslogs)
                    .map(|_| vec![format!("{path}.logConfiguration.logDriver")])
                    .unwrap_or_default()
            }),
            Rule::SecretsRole => needs_role(input, |path, c| {
                let mut fields = Vec::new();
                if !c.secrets().is_empty() {
                    fields.push(format!("{path}.secrets"));
                }
                if c.log_configuration().is_some_and(|l| !l.secret_options().is_empty()) {
                    fields.push(format!("{path}.logConfiguration.secretOptions"));
                }
                if c.repository_credentials().is_some() {
                    fields.push(format!("{path}.repositoryCredentials"));
                }
                fields
            }),
            Rule::ImageReference => containers(input)
                .filter_map(|(path, c)| match c.image() {
                    None => Some(finding(format!("{path}.image"), "is not set")),
                    Some(image) if !syntax::is_image_reference(image) => {
                        Some(finding(format!("{path}.image"), format!("is {}", shown(image))))
                    }
                    Some(_) => None,
                })
                .collect(),
            Rule::RuntimePlatform => runtime_platform(input),
        }
    }
}

fn fargate_size(input: &RegisterTaskDefinitionInput) -> Vec<Finding> {
    let (Some(cpu_raw), Some(memory_raw)) = (input.cpu(), input.memory()) else {
        let missing: Vec<&str> = [("cpu", input.cpu()), ("memory", input.memory())]
            .into_iter()
            .filter(|(_, v)| v.is_none())
            .map(|(name, _)| name)
            .collect();
        return missing
            .into_iter()
            .map(|name| finding(name, "is not set at task level; Fargate needs it"))
            .collect();
    };
    let Some(cpu) = cpu_units(cpu_raw) else {
        return vec![finding(
            "cpu",
            format!("{} is not a number of CPU units", shown(cpu_raw)),
        )];
    };
    let Some((_, memory)) = FARGATE_SIZES.iter().find(|(units, _)| *units == cpu) else {
        return vec![finding("cpu", format!("{cpu} CPU units is not a Fargate size"))];
    };
    match memory_mib(memory_raw) {
        Some(mib) if memory.allows(mib) => vec![],
        Some(mib) => vec![finding(
            "memory",
            format!("{mib} MiB is not offered with {cpu} CPU units"),
        )],
        None => vec![finding(
            "memory",
            format!("{} is not a number of MiB", shown(memory_raw)),
        )],
    }
}

fn host_ports(input: &RegisterTaskDefinitionInput) -> Vec<Finding> {
    // Only awsvpc (and host) tie the two ports; a wrong mode is its own rule.
    if input.network_mode() != Some(&NetworkMode::Awsvpc) {
        return vec![];
    }
    let mut out = Vec::new();
    for (path, c) in containers(input) {
        for (j, mapping) in c.port_mappings().iter().enumerate() {
            if let Some(host) = mapping.host_port() {
                if mapping.container_port() != Some(host) {
                    let container = mapping
                        .container_port()
                        .map_or_else(|| "not set".to_owned(), |p| p.to_string());
                    out.push(finding(
                        format!("{path}.portMappings[{j}].hostPort"),
                        format!("is {host}, containerPort is {container}"),
                    ));
                }
            }
        }
    }
    out
}

fn container_names(input: &RegisterTaskDefinitionInput) -> Vec<Finding> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (path, c) in containers(input) {
        let field = format!("{path}.name");
        match c.name() {
            None => out.push(finding(field, "is not set")),
            Some(name) if !syntax::ECS_NAME_RE.matches(name) => out.push(finding(field, format!("is {}", shown(name)))),
            Some(name) if !seen.insert(name) => out.push(finding(field, format!("{} is used twice", shown(name)))),
            Some(_) => {}
        }
    }
    out
}

fn depends_on_targets(input: &RegisterTaskDefinitionInput) -> Vec<Finding> {
    let names: BTreeSet<&str> = input.container_definitions().iter().filter_map(|c| c.name()).collect();
    let mut out = Vec::new();
    for (path, c) in containers(input) {
        for (j, dependency) in c.depends_on().iter().enumerate() {
            let target = dependency.container_name();
            let field = format!("{path}.dependsOn[{j}].containerName");
            if c.name() == Some(target) {
                out.push(finding(field, format!("{} is the container itself", shown(target))));
            } else if !names.contains(target) {
                out.push(finding(
                    field,
                    format!("{} is not a container of this task definition", shown(target)),
                ));
            }
        }
    }
    out
}

/// Each cycle once, named at the dependency that closes it, as a path.
fn depends_on_cycles(input: &RegisterTaskDefinitionInput) -> Vec<Finding> {
    let mut edges: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for c in input.container_definitions() {
        if let Some(name) = c.name() {
            let targets = c.depends_on().iter().map(|d| d.container_name());
            // A container that depends on itself is the target rule's finding.
            edges.entry(name).or_default().extend(targets.filter(|t| *t != name));
        }
    }
    let mut finished: BTreeSet<&str> = BTreeSet::new();
    let mut cycles: Vec<Vec<&str>> = Vec::new();
    for start in edges.keys() {
        walk(start, &edges, &mut Vec::new(), &mut finished, &mut cycles);
    }
    cycles
        .into_iter()
        .filter_map(|cycle| {
            let (last, first) = (*cycle.last()?, *cycle.first()?);
            let (i, c) = input
                .container_definitions()
                .iter()
                .enumerate()
                .find(|(_, c)| c.name() == Some(last))?;
            let j = c.depends_on().iter().position(|d| d.container_name() == first)?;
            let path: Vec<String> = cycle.iter().chain([&first]).map(|n| shown(n)).collect();
            Some(finding(
                format!("containerDefinitions[{i}].dependsOn[{j}].containerName"),
                format!("closes the cycle {}", path.join(" -> ")),
            ))
        })
        .collect()
}

fn walk<'a>(
    node: &'a str,
    edges: &BTreeMap<&'a str, Vec<&'a str>>,
    stack: &mut Vec<&'a str>,
    finished: &mut BTreeSet<&'a str>,
    cycles: &mut Vec<Vec<&'a str>>,
) {
    if finished.contains(node) {
        return;
    }
    if let Some(at) = stack.iter().position(|n| *n == node) {
        cycles.push(stack[at..].to_vec());
        return;
    }
    stack.push(node);
    for next in edges.get(node).into_iter().flatten() {
        walk(next, edges, stack, finished, cycles);
    }
    stack.pop();
    finished.insert(node);
}

fn depends_on_exits(input: &RegisterTaskDefinitionInput) -> Vec<Finding> {
    let essential: BTreeSet<&str> = input
        .container_definitions()
        .iter()
        .filter(|c| c.essential().unwrap_or(true))
        .filter_map(|c| c.name())
        .collect();
    let mut out = Vec::new();
    for (path, c) in containers(input) {
        for (j, dependency) in c.depends_on().iter().enumerate() {
            let waits_for_exit = matches!(
                dependency.condition(),
                ContainerCondition::Complete | ContainerCondition::Success
            );
            if waits_for_exit && essential.contains(dependency.container_name()) {
                out.push(finding(
                    format!("{path}.dependsOn[{j}].condition"),
                    format!(
                        "is {} on {}, which is essential",
                        dependency.condition().as_str(),
                        shown(dependency.container_name())
                    ),
                ));
            }
        }
    }
    out
}

/// The fields `needing` names, when the task has no execution role.
fn needs_role(
    input: &RegisterTaskDefinitionInput,
    needing: impl Fn(&str, &ContainerDefinition) -> Vec<String>,
) -> Vec<Finding> {
    if input.execution_role_arn().is_some_and(|arn| !arn.trim().is_empty()) {
        return vec![];
    }
    containers(input)
        .flat_map(|(path, c)| needing(&path, c))
        .map(|field| finding(field, "is set, and executionRoleArn is not"))
        .collect()
}

fn runtime_platform(input: &RegisterTaskDefinitionInput) -> Vec<Finding> {
    let Some(platform) = input.runtime_platform() else {
        return vec![];
    };
    let os = platform.operating_system_family();
    let windows = os.is_some_and(|os| os.as_str().starts_with("WINDOWS"));
    let mut out = Vec::new();
    if platform.cpu_architecture() == Some(&CpuArchitecture::Arm64) && os.is_some_and(|os| *os != OsFamily::Linux) {
        out.push(finding(
            "runtimePlatform.cpuArchitecture",
            format!("is ARM64 with {}", os.map(OsFamily::as_str).unwrap_or_default()),
        ));
    }
    if windows {
        if let Some(cpu) = input.cpu().and_then(cpu_units).filter(|cpu| !WINDOWS_CPU.contains(cpu)) {
            out.push(finding("cpu", format!("{cpu} CPU units on Windows")));
        }
    }
    out
}
