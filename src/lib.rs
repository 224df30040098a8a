//! stackpilot deploys a containerised web app to AWS ECS Fargate: Pulumi
//! stacks for the infrastructure, the ECS API for the application.

// What the binary, the integration tests and the benchmark generator use is
// `pub`; everything else is the crate's own business.
pub mod cli;
pub mod github;
pub mod logging;
pub mod preview;
pub mod report;

mod aws;
mod backend;
mod bootstrap;
mod cdk;
mod cloudformation;
mod commands;
mod contract;
mod digest;
mod ecs;
mod engine;
mod exit;
mod input;
mod interrupt;
mod lease;
mod names;
mod outcome;
mod plan;
mod printer;
mod process;
mod progress;
mod project;
mod pulumi;
mod redact;
mod syntax;

pub use exit::Exit;

use std::path::PathBuf;

/// Everything that can stop a command, by the module it came from.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    EnvName(#[from] names::EnvNameError),
    #[error(transparent)]
    Project(#[from] project::ProjectError),
    #[error(transparent)]
    Backend(#[from] backend::BackendError),
    #[error(transparent)]
    Pulumi(#[from] pulumi::PulumiError),
    #[error(transparent)]
    Sink(#[from] report::sink::SinkError),
    #[error("{0}; nothing was run: fix the path, or the variable that names it")]
    OutputNotWritable(#[source] report::sink::SinkError),
    #[error(transparent)]
    EventLog(#[from] pulumi::EventLogError),
    #[error(transparent)]
    Contract(#[from] contract::ContractError),
    #[error(transparent)]
    ImageTag(#[from] contract::ImageTagError),
    #[error(transparent)]
    Ecs(#[from] ecs::EcsError),
    #[error(transparent)]
    Plan(#[from] plan::PlanError),
    #[error(transparent)]
    Cloudformation(#[from] cloudformation::CfnError),
    #[error(transparent)]
    Cdk(#[from] cdk::CdkError),
    #[error(transparent)]
    Lease(#[from] lease::LeaseError),
    #[error(transparent)]
    BootstrapSettings(#[from] bootstrap::SettingsError),
    #[error(transparent)]
    StateBucket(#[from] bootstrap::state::StateError),
    #[error("could not post the preview on the pull request")]
    PrComment(#[source] github::pr_comment::CommentError),
    #[error("could not read the preview to summarize, {}", .path.display())]
    SummarizeInput {
        path: PathBuf,
        #[source]
        source: SummarizeInputError,
    },
    #[error("could not set up {what}")]
    Setup {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("could not print the result on stdout")]
    Print(#[source] std::io::Error),
    #[error("interrupted")]
    Interrupted,
}

/// A command that stopped before changing anything because what it was
/// asked for cannot be done as asked (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("not on a terminal, so nobody can confirm; pass --yes to go ahead")]
    NobodyToConfirm,
    #[error("{}", match .0 {
        outcome::infra::Action::Destroy => "not destroyed: the env name was not confirmed",
        _ => "not applied: the change was not confirmed",
    })]
    NotConfirmed(outcome::infra::Action),
    #[error("deploy reads the contract from the app stack it applies; use `update --contract` for a contract file")]
    ContractFileWithDeploy,
    #[error("--poll-interval {secs} is below {floor} s: only a local sandbox (a loopback AWS_ENDPOINT_URL) may be polled faster")]
    PollTooFast { secs: f64, floor: f64 },
    #[error("no AWS region: pass --region, or set AWS_REGION (or a region in the AWS profile)")]
    NoRegion,
    #[error("stack `{stack}` exists but was not made by `stackpilot bootstrap` (its outputs are not the bootstrap's); pick another --stack-name")]
    NotABootstrapStack { stack: String },
    #[error("there is no stack `{stack}`: apply the layer first (`stackpilot up`)")]
    NoCdkStack { stack: String },
    #[error("could not write the bootstrap template: {0}")]
    Template(String),
    #[error("the state bucket `{bucket}` still holds {}{}: the bootstrap stack is not deleted while any state is left. Destroy the stacks (or move their state) and empty the bucket, old versions included, then run again", .keys.join(", "), if *.more { ", and more" } else { "" })]
    StateLeft {
        bucket: String,
        keys: Vec<String>,
        more: bool,
    },
    #[error("--{kind} was given, but the deploy contract has no `{kind}` image; its images are: {}", .available.join(", "))]
    ImageNotInContract { kind: String, available: Vec<String> },
}

#[derive(Debug, thiserror::Error)]
pub enum SummarizeInputError {
    #[error(transparent)]
    Input(#[from] input::InputError),
    #[error(transparent)]
    Preview(#[from] preview::PreviewError),
}

/// Runs one command line. Failures that were reported (a failed preview, a
/// locked stack) come back as an [`Exit`]; errors that stopped the command
/// before it could report come back as [`Error`].
pub fn run(cli: cli::Cli) -> Result<Exit, Error> {
    interrupt::install().map_err(|source| Error::Setup {
        what: "the Ctrl-C handler",
        source,
    })?;
    commands::dispatch(cli)
}

/// Prints why a command stopped — the whole chain of causes on one line,
/// through the printer like every other line, since causes quote stderr —
/// and returns its exit code.
pub fn report_failure(err: Error) -> Exit {
    let exit = Exit::from_error(&err);
    printer::progress(&format!("error: {:#}", anyhow::Error::new(err)));
    exit
}
