//! The local AWS sandbox for the update tests: one server per test on a free
//! port, seeded with an app environment, and the stackpilot binary pointed
//! at it. Nothing here can reach AWS: every client gets a 127.0.0.1 endpoint
//! and dummy credentials, and the developer's own AWS settings are cleared.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::support::{finish, Run};

pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The sandbox's Python, after `sandbox/bootstrap` ran once per test
/// binary (it is idempotent and quiet when the venv is up to date).
fn sandbox_python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let bootstrap = repo_root().join("sandbox/bootstrap");
        assert!(
            bootstrap.is_file(),
            "{} is missing: the update tests need the local AWS sandbox",
            bootstrap.display()
        );
        let status = Command::new("bash")
            .arg(&bootstrap)
            .status()
            .expect("bash runs sandbox/bootstrap");
        assert!(
            status.success(),
            "`bash sandbox/bootstrap` failed ({status}); the update tests need its venv"
        );
        let python = repo_root().join("sandbox/.venv/bin/python");
        assert!(
            python.is_file(),
            "sandbox/bootstrap ran but {} is missing",
            python.display()
        );
        python
    })
}

pub struct Sandbox {
    /// The server's pid; the launcher started it in a session of its own.
    pid: u32,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    /// Starts a sandbox with a scenario from `tests/fixtures/update/`,
    /// through the sandbox's launcher (`python -m stackpilot_sandbox start`):
    /// it waits, bounded, for the server to be ready and fails with the end
    /// of the server's log (kept in the test's temp dir) when it is not.
    pub fn start(scenario: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let scenario = repo_root().join("tests/fixtures/update").join(scenario);
        let out = Command::new(sandbox_python())
            .args(["-m", "stackpilot_sandbox", "start", "--port", "0", "--scenario"])
            .arg(&scenario)
            .arg("--log")
            .arg(dir.path().join("sandbox.log"))
            .current_dir(dir.path())
            .output()
            .expect("the sandbox launcher runs");
        assert!(
            out.status.success(),
            "the sandbox did not start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The launcher prints shell assignments: AWS_ENDPOINT_URL=http://127.0.0.1:PORT, SANDBOX_PID=N, ...
        let stdout = String::from_utf8_lossy(&out.stdout);
        let value = |name: &str| {
            stdout
                .lines()
                .find_map(|line| line.strip_prefix(name)?.strip_prefix('='))
                .unwrap_or_else(|| panic!("no {name}= in the launcher's output {stdout:?}"))
                .to_owned()
        };
        let port = value("AWS_ENDPOINT_URL")
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in the launcher's output {stdout:?}"));
        let pid = value("SANDBOX_PID")
            .parse()
            .unwrap_or_else(|_| panic!("no pid in the launcher's output {stdout:?}"));
        Sandbox { pid, port, dir }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Seeds `env` and writes its deploy contract next to the test's files.
    pub fn seed(&self, env: &str) -> PathBuf {
        self.seed_with(env, 1)
    }

    /// Seeds `env` with every service at `desired` tasks.
    pub fn seed_with(&self, env: &str, desired: u32) -> PathBuf {
        let out = Command::new(sandbox_python())
            .args(["-m", "stackpilot_sandbox", "seed", env, "--endpoint", &self.endpoint()])
            .args(["--desired-count", &desired.to_string()])
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .output()
            .expect("seed runs");
        assert!(
            out.status.success(),
            "seed failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let path = self.dir.path().join(format!("{env}-contract.json"));
        std::fs::write(&path, &out.stdout).expect("contract written");
        path
    }

    /// An ECS client for arranging and checking state (never stackpilot's).
    pub fn ecs(&self) -> aws_sdk_ecs::Client {
        let config = aws_sdk_ecs::Config::builder()
            .behavior_version(aws_sdk_ecs::config::BehaviorVersion::latest())
            .region(aws_sdk_ecs::config::Region::new("us-east-1"))
            .endpoint_url(self.endpoint())
            .credentials_provider(aws_sdk_ecs::config::Credentials::new(
                "testing", "testing", None, None, "tests",
            ))
            // A throttled call is retried at once: the sandbox's scaled time
            // makes the SDK's real-time backoff the slowest part of a test.
            .retry_config(
                aws_sdk_ecs::config::retry::RetryConfig::standard()
                    .with_max_attempts(10)
                    .with_max_backoff(Duration::from_millis(200)),
            )
            .build();
        aws_sdk_ecs::Client::from_conf(config)
    }

    /// The shared SDK settings of the checking clients below: the sandbox's
    /// endpoint, dummy credentials, immediate retries.
    pub fn sdk_config(&self) -> aws_config::SdkConfig {
        aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(self.endpoint())
            .credentials_provider(aws_sdk_ecs::config::SharedCredentialsProvider::new(
                aws_sdk_ecs::config::Credentials::new("testing", "testing", None, None, "tests"),
            ))
            .build()
    }

    /// S3, path-style as the sandbox needs, for checking the state bucket.
    pub fn s3(&self) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::config::Builder::from(&self.sdk_config())
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// CloudFormation, for checking stacks and change sets.
    pub fn cfn(&self) -> aws_sdk_cloudformation::Client {
        aws_sdk_cloudformation::Client::new(&self.sdk_config())
    }

    /// A CloudWatch Logs client for checking what tasks wrote.
    pub fn logs(&self) -> aws_sdk_cloudwatchlogs::Client {
        let config = aws_sdk_cloudwatchlogs::Config::builder()
            .behavior_version(aws_sdk_cloudwatchlogs::config::BehaviorVersion::latest())
            .region(aws_sdk_cloudwatchlogs::config::Region::new("us-east-1"))
            .endpoint_url(self.endpoint())
            .credentials_provider(aws_sdk_cloudwatchlogs::config::Credentials::new(
                "testing", "testing", None, None, "tests",
            ))
            .build();
        aws_sdk_cloudwatchlogs::Client::from_conf(config)
    }

    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(f)
    }

    /// Waits (bounded) until every service of the cluster has one
    /// COMPLETED deployment, as a seeded environment settles.
    pub fn wait_stable(&self, cluster: &str, services: &[&str]) {
        let ecs = self.ecs();
        let deadline = Instant::now() + Duration::from_secs(60);
        self.block_on(async {
            loop {
                // Throttling scenarios throttle this client too: just ask again.
                let out = ecs
                    .describe_services()
                    .cluster(cluster)
                    .set_services(Some(services.iter().map(|s| s.to_string()).collect()))
                    .send()
                    .await;
                let stable = out.is_ok_and(|out| {
                    out.services().iter().all(|s| {
                        s.deployments().len() == 1
                            && s.deployments()[0].rollout_state().map(|r| r.as_str()) == Some("COMPLETED")
                    })
                });
                if stable {
                    return;
                }
                assert!(Instant::now() < deadline, "the seeded services did not settle in 60 s");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
    }

    /// Seeds `alpha`, waits for it to settle, returns the contract path.
    pub fn seeded(&self) -> PathBuf {
        let contract = self.seed("alpha");
        self.wait_stable("alpha-cluster", &ALL_SERVICES);
        contract
    }

    /// The stackpilot binary with only the sandbox's AWS settings.
    pub fn stackpilot(&self, args: &[&str]) -> Run {
        finish(self.command(args).output().expect("stackpilot runs"))
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_stackpilot"));
        cmd.env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("HOME", self.dir.path());
        self.aws_env(&mut cmd);
        cmd.args(args);
        cmd
    }

    /// The sandbox's endpoint and dummy credentials, and none of the
    /// developer's own AWS files.
    pub fn aws_env(&self, cmd: &mut Command) {
        cmd.env("AWS_ENDPOINT_URL", self.endpoint())
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", self.dir.path().join("no-aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.dir.path().join("no-aws-credentials"),
            );
    }

    /// `update alpha` with the contract, fast polling and a summary file.
    pub fn update(&self, contract: &Path, extra: &[&str]) -> Run {
        finish(self.update_command(contract, extra).output().expect("stackpilot runs"))
    }

    pub fn update_command(&self, contract: &Path, extra: &[&str]) -> Command {
        let summary = self.summary_path();
        let mut args = vec![
            "update",
            "alpha",
            "--contract",
            contract.to_str().expect("utf-8 path"),
            "--summary",
            summary.to_str().expect("utf-8 path"),
            "--poll-interval",
            "0.2",
        ];
        args.extend_from_slice(extra);
        self.command(&args)
    }

    pub fn summary_path(&self) -> PathBuf {
        self.dir.path().join("summary.md")
    }

    pub fn summary(&self) -> String {
        std::fs::read_to_string(self.summary_path()).expect("the summary was written")
    }

    /// The sandbox's log of API calls: (operation, mutating, throttled).
    pub fn calls(&self) -> Vec<Call> {
        let body = self.http("GET", "/_sandbox/calls");
        let value: serde_json::Value = serde_json::from_str(&body).expect("calls JSON");
        value["calls"]
            .as_array()
            .expect("calls array")
            .iter()
            .map(|c| Call {
                operation: c["operation"].as_str().unwrap_or_default().to_owned(),
                mutating: c["mutating"].as_bool().unwrap_or_default(),
                throttled: c["throttled"].as_bool().unwrap_or_default(),
            })
            .collect()
    }

    pub fn clear_calls(&self) {
        self.http("DELETE", "/_sandbox/calls");
    }

    /// A service of `alpha-cluster` as ECS has it (not through any proxy).
    pub fn service(&self, service: &str) -> aws_sdk_ecs::types::Service {
        let ecs = self.ecs();
        self.block_on(async {
            let out = ecs
                .describe_services()
                .cluster("alpha-cluster")
                .services(service)
                .send()
                .await
                .expect("describe services");
            out.services().first().cloned().expect("the service exists")
        })
    }

    /// A CloudFormation stack's status, `None` when there is none.
    pub fn stack_status(&self, stack: &str) -> Option<String> {
        let cfn = self.cfn();
        self.block_on(async {
            let out = cfn.describe_stacks().stack_name(stack).send().await.ok()?;
            out.stacks()
                .first()
                .and_then(|s| s.stack_status())
                .map(|s| s.as_str().to_owned())
                .filter(|s| s != "DELETE_COMPLETE")
        })
    }

    /// Change sets that were made and never executed (an executed one stays
    /// listed, as on AWS).
    pub fn change_sets_left(&self, stack: &str) -> Vec<String> {
        let cfn = self.cfn();
        self.block_on(async {
            let out = cfn.list_change_sets().stack_name(stack).send().await.expect("listed");
            out.summaries()
                .iter()
                .filter(|c| c.execution_status().map(|e| e.as_str()) != Some("EXECUTE_COMPLETE"))
                .map(|c| format!("{:?} {:?} {:?}", c.change_set_name(), c.status(), c.execution_status()))
                .collect()
        })
    }

    /// Loads a scenario (YAML) into the running sandbox.
    pub fn load_scenario(&self, yaml: &str) {
        let reply = self.http_body("POST", "/_sandbox/scenario", yaml);
        assert!(reply.contains("loaded"), "the sandbox refused the scenario: {reply}");
    }

    fn http(&self, method: &str, path: &str) -> String {
        self.http_body(method, path, "")
    }

    fn http_body(&self, method: &str, path: &str, body: &str) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to the sandbox");
        write!(
            stream,
            "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/yaml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .expect("request sent");
        let mut reply = String::new();
        stream.read_to_string(&mut reply).expect("reply read");
        reply
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default()
    }

    /// insta filters for what changes between runs.
    pub fn filters(&self) -> Vec<(String, String)> {
        vec![
            (r"ecs-svc/[0-9]+".into(), "ecs-svc/[ID]".into()),
            (r"\b[0-9a-f]{32}\b".into(), "[TASK]".into()),
            (r"(?:[0-9]+\.)?[0-9]+ s\b".into(), "[N] s".into()),
            (r"subnet-[0-9a-f]+".into(), "subnet-[ID]".into()),
            (r"sg-[0-9a-f]+".into(), "sg-[ID]".into()),
        ]
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // SIGTERM lets it stop the local processes it started; the launcher
        // waits (bounded) and then kills the server's process group.
        let _ = Command::new(sandbox_python())
            .args(["-m", "stackpilot_sandbox", "stop", "--pid", &self.pid.to_string()])
            .status();
    }
}

#[derive(Debug, Clone)]
pub struct Call {
    pub operation: String,
    pub mutating: bool,
    pub throttled: bool,
}

pub const ALL_SERVICES: [&str; 4] = ["alpha-gunicorn", "alpha-default", "alpha-beat", "alpha-web-ui"];

/// Snapshots `text` with the sandbox's filters applied.
#[macro_export]
macro_rules! update_snapshot {
    ($sandbox:expr, $name:expr, $text:expr) => {{
        let mut settings = insta::Settings::clone_current();
        for (pattern, replacement) in $sandbox.filters() {
            settings.add_filter(&pattern, replacement);
        }
        settings.bind(|| insta::assert_snapshot!($name, $text));
    }};
}

/// A request registering a new revision of `td`'s family with `containers`,
/// carrying over what the sandbox's seeded families set; a test adds what
/// it changes before sending it.
pub fn register_copy(
    ecs: &aws_sdk_ecs::Client,
    td: &aws_sdk_ecs::types::TaskDefinition,
    containers: Vec<aws_sdk_ecs::types::ContainerDefinition>,
) -> aws_sdk_ecs::operation::register_task_definition::builders::RegisterTaskDefinitionFluentBuilder {
    ecs.register_task_definition()
        .set_family(td.family().map(str::to_owned))
        .set_container_definitions(Some(containers))
        .set_network_mode(td.network_mode().cloned())
        .set_requires_compatibilities(Some(td.requires_compatibilities().to_vec()))
        .set_cpu(td.cpu().map(str::to_owned))
        .set_memory(td.memory().map(str::to_owned))
        .set_execution_role_arn(td.execution_role_arn().map(str::to_owned))
}

/// Registers a revision of `family` with `env` added to its first
/// container, and moves `service` (if any) onto it.
pub fn add_environment(sandbox: &Sandbox, family: &str, service: Option<&str>, env: &[(&str, &str)]) {
    revise(sandbox, family, service, |containers| {
        for (name, value) in env {
            containers[0].environment.get_or_insert_with(Vec::new).push(
                aws_sdk_ecs::types::KeyValuePair::builder()
                    .name(*name)
                    .value(*value)
                    .build(),
            );
        }
    });
}

/// Registers a revision of `family` with its containers changed by
/// `change`, and moves `service` (if any) onto it.
pub fn revise(
    sandbox: &Sandbox,
    family: &str,
    service: Option<&str>,
    change: impl FnOnce(&mut Vec<aws_sdk_ecs::types::ContainerDefinition>),
) {
    let ecs = sandbox.ecs();
    sandbox.block_on(async {
        let td = ecs
            .describe_task_definition()
            .task_definition(family)
            .send()
            .await
            .expect("describe the family");
        let td = td.task_definition().expect("a task definition").clone();
        let mut containers = td.container_definitions().to_vec();
        change(&mut containers);
        let new = register_copy(&ecs, &td, containers)
            .send()
            .await
            .expect("register the revision");
        if let Some(service) = service {
            let arn = new
                .task_definition()
                .and_then(|t| t.task_definition_arn())
                .expect("an ARN");
            ecs.update_service()
                .cluster("alpha-cluster")
                .service(service)
                .task_definition(arn)
                .send()
                .await
                .expect("move the service");
        }
    });
}
