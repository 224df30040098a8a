//! The command line. Every argument is parsed into its own type here
//! (env names, layers, image tags, ranged numbers), so bad input gets
//! clap's usage message and exit 2 before any command runs.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::bootstrap::{GitHubRepo, StackName};
use crate::contract::ImageTag;
use crate::names::{EnvName, Layer};

/// The longest any wait may be asked to last: a week, in seconds. Longer
/// is a typo, and would overflow a deadline.
const MAX_WAIT_SECS: u64 = 7 * 24 * 3600;

/// A number of seconds from 0.01 to 60. (Below 0.5 s only against the
/// local sandbox, whose clock is scaled: the update command checks that.)
fn poll_interval(raw: &str) -> Result<f64, String> {
    let secs: f64 = raw.parse().map_err(|e| format!("{e}"))?;
    if secs.is_finite() && (0.01..=60.0).contains(&secs) {
        Ok(secs)
    } else {
        Err("must be a number of seconds from 0.01 to 60 (at least 0.5 against AWS)".into())
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "stackpilot",
    version,
    about = "Deploy a web app to AWS ECS Fargate: Pulumi stacks for the infrastructure, the ECS API for the app."
)]
pub struct Cli {
    /// The repository root (where `stackpilot.yaml`, `pulumi/` and `stacks/`
    /// are); found from the current folder by default.
    #[arg(long, global = true, env = "STACKPILOT_ROOT", value_name = "DIR")]
    pub root: Option<PathBuf>,

    /// More logging on stderr (-v: every command run; -vv: everything).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Preview a stack and write a Markdown summary of what would change.
    Preview {
        #[command(flatten)]
        stack: StackArgs,
        /// Also post the summary as a pull request comment, editing the one
        /// an earlier run left (GitHub Actions, pull_request events).
        #[arg(long)]
        pr_comment: bool,
        /// Also write the plan a reviewer approves: `up --plan <file>`
        /// then applies exactly this change set, or nothing (exit 6).
        #[arg(long, value_name = "FILE")]
        save_plan: Option<PathBuf>,
    },
    /// Preview, then apply a stack.
    Up {
        #[command(flatten)]
        stack: StackArgs,
        /// Preview only: change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Apply without asking (required when not on a terminal).
        #[arg(long)]
        yes: bool,
        /// Apply only if the preview still matches this plan (from
        /// `preview --save-plan`); otherwise apply nothing and exit 6.
        #[arg(long, value_name = "FILE", conflicts_with = "dry_run")]
        plan: Option<PathBuf>,
    },
    /// Destroy every resource of a stack.
    Destroy {
        #[command(flatten)]
        stack: StackArgs,
        /// Destroy without asking (required when not on a terminal).
        #[arg(long)]
        yes: bool,
        /// Preview the destroy, write its plan, and stop: nothing is destroyed.
        #[arg(long, value_name = "FILE", conflicts_with = "plan")]
        save_plan: Option<PathBuf>,
        /// Destroy only if the preview still matches this plan (from
        /// `destroy --save-plan`); otherwise destroy nothing and exit 6.
        #[arg(long, value_name = "FILE")]
        plan: Option<PathBuf>,
    },
    /// Print a stack's outputs (secrets stay `[secret]`).
    Outputs {
        layer: Layer,
        env: EnvName,
        /// One JSON object on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Render a saved `pulumi preview --json` as the Markdown summary.
    Summarize {
        /// The file `pulumi preview --json` wrote (`-` for stdin).
        preview: PathBuf,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Roll new image tags out to the app's ECS services: new task
    /// definition revisions, the migration task, then every service at once.
    Update(UpdateArgs),
    /// Apply the app stack, then update the app (`up app <env>`, then `update`).
    Deploy(DeployArgs),
    /// The deploy contract the app stack exports for `update`.
    #[command(subcommand)]
    Contract(ContractCommand),
    /// Make the AWS account ready (one CloudFormation stack): the Pulumi
    /// state bucket, the KMS key for secrets, the GitHub OIDC provider, a
    /// preview role and a deploy role per env.
    Bootstrap(BootstrapArgs),
    /// Say which backend, secrets provider, roles and deploy lease this
    /// env will use, and whether each can be reached.
    Doctor {
        /// The env to check (its stacks and its deploy role).
        env: EnvName,
        /// One JSON object on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Say which engine builds a layer (stackpilot.yaml; Pulumi by default):
    /// `pulumi`, or `cdk` and the CDK app's folder.
    Engine {
        layer: Layer,
        /// One JSON object on stdout: layer, engine, and the CDK app's folder.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct BootstrapArgs {
    /// The repository whose workflows may assume the roles (owner/name);
    /// needed the first time, kept after.
    #[arg(long, value_name = "OWNER/NAME")]
    pub github_repo: Option<GitHubRepo>,
    /// An env that gets a deploy role (repeat for several); the envs the
    /// stack has already are kept.
    #[arg(long = "env", value_name = "ENV")]
    pub envs: Vec<EnvName>,
    /// An env whose deploy role goes away (repeat for several).
    #[arg(long = "remove-env", value_name = "ENV")]
    pub remove_envs: Vec<EnvName>,
    /// Use the account's GitHub OIDC provider (an account holds one per
    /// issuer) instead of making one.
    #[arg(long, value_name = "ARN", value_parser = crate::bootstrap::parse_oidc_arn)]
    pub oidc_provider_arn: Option<String>,
    /// The bootstrap stack's name (several can share an account).
    #[arg(long, env = "STACKPILOT_BOOTSTRAP_STACK", default_value = crate::bootstrap::DEFAULT_STACK, value_name = "NAME")]
    pub stack_name: StackName,
    /// The region (default: AWS_REGION, else the profile's).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Show the change set and change nothing.
    #[arg(long, conflicts_with = "yes")]
    pub dry_run: bool,
    /// Apply without asking (required when not on a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Delete the bootstrap stack; refused while the state bucket holds anything.
    #[arg(long, conflicts_with_all = ["github_repo", "envs", "remove_envs", "oidc_provider_arn"])]
    pub destroy: bool,
    /// Give up waiting for CloudFormation after this many seconds (it carries on).
    #[arg(long, value_name = "SECS", default_value_t = 1800, value_parser = clap::value_parser!(u64).range(1..=MAX_WAIT_SECS))]
    pub timeout: u64,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Subcommand)]
pub enum ContractCommand {
    /// Print the contract's JSON Schema (what the app stack's `deploy` output must match).
    Schema,
}

/// `update` and `deploy`. At least one of --backend and --frontend: with
/// only --frontend, only the front end rolls and no migration runs.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("tags").required(true).multiple(true).args(["backend", "frontend"])))]
pub struct UpdateArgs {
    /// The app environment (the app stack's name).
    pub env: EnvName,
    /// Backend image tag: the migration task and the gunicorn, worker and beat services.
    #[arg(long, value_name = "TAG")]
    pub backend: Option<ImageTag>,
    /// Front-end image tag: the web-ui service.
    #[arg(long, value_name = "TAG")]
    pub frontend: Option<ImageTag>,
    /// Only read: print the plan (task definition diffs, services that would roll).
    #[arg(long)]
    pub dry_run: bool,
    /// With --dry-run: also write the plan a reviewer approves; `update
    /// --plan <file>` then applies exactly it, or nothing (exit 6).
    #[arg(long, value_name = "FILE", requires = "dry_run")]
    pub save_plan: Option<PathBuf>,
    /// Apply only if ECS still matches this plan (from `--dry-run
    /// --save-plan`); otherwise write nothing and exit 6.
    #[arg(long, value_name = "FILE", conflicts_with = "dry_run")]
    pub plan: Option<PathBuf>,
    /// Read the deploy contract from this file instead of the app stack's `deploy` output.
    #[arg(long, value_name = "FILE")]
    pub contract: Option<PathBuf>,
    /// Leave failed services where they are instead of rolling every updated service back.
    #[arg(long)]
    pub no_rollback: bool,
    /// Roll even when a deployment this run did not start is in progress.
    #[arg(long)]
    pub force: bool,
    /// Give up (exit 4) after this many seconds in all (at most a week).
    #[arg(long, value_name = "SECS", default_value_t = 1800, value_parser = clap::value_parser!(u64).range(1..=MAX_WAIT_SECS))]
    pub timeout: u64,
    /// Fail a rollout (or a migration that has not started) when nothing moved for this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=MAX_WAIT_SECS))]
    pub no_progress_timeout: u64,
    /// Fail a rollout once this many of its tasks failed.
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(i32).range(1..))]
    pub failed_tasks_threshold: i32,
    /// Once every rollout completed, keep watching the services this many
    /// seconds more: a task of the new revision that crashes or fails its
    /// health check in that window fails the update (and rolls it back, exit 3).
    /// On top of --timeout. 0: the update ends when the rollouts complete.
    #[arg(long, value_name = "SECS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=MAX_WAIT_SECS))]
    pub bake: u64,
    /// Shortest wait between polls, in seconds (it grows while nothing changes).
    #[arg(long, value_name = "SECS", default_value_t = 2.0, hide = true, value_parser = poll_interval)]
    pub poll_interval: f64,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `deploy`: the update's arguments, and the app stack's saved plan.
#[derive(Debug, Args)]
pub struct DeployArgs {
    #[command(flatten)]
    pub update: UpdateArgs,
    /// With --dry-run: also write the app stack's plan, as `preview
    /// --save-plan` does (`--save-plan` writes the update's).
    #[arg(long, value_name = "FILE", requires = "dry_run")]
    pub save_stack_plan: Option<PathBuf>,
    /// Apply the app stack only if its preview still matches this plan
    /// (`--plan` is the update's); otherwise change nothing and exit 6.
    #[arg(long, value_name = "FILE", conflicts_with = "dry_run")]
    pub stack_plan: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct StackArgs {
    /// `base` (shared environment) or `app` (one app environment).
    pub layer: Layer,
    /// The environment, which is also the stack name.
    pub env: EnvName,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Write the Markdown summary to this file (default: $GITHUB_STEP_SUMMARY
    /// when set, else stdout).
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// Print one JSON result object on stdout.
    #[arg(long)]
    pub json: bool,
}
