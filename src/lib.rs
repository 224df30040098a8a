//! stackpilot deploys a containerised web app to AWS ECS Fargate: Pulumi
//! stacks for the infrastructure, the ECS API for the application.

pub mod aws;
pub mod backend;
pub mod cli;
mod commands;
pub mod contract;
pub mod ecs;
mod exit;
pub mod github;
pub mod interrupt;
pub mod logging;
pub mod names;
pub mod preview;
pub mod process;
pub mod progress;
pub mod project;
pub mod pulumi;
pub mod report;

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
    #[error(transparent)]
    EventLog(#[from] pulumi::EventLogError),
    #[error(transparent)]
    Contract(#[from] contract::ContractError),
    #[error(transparent)]
    ImageTag(#[from] contract::ImageTagError),
    #[error(transparent)]
    Ecs(#[from] ecs::EcsError),
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
    #[error("{0}")]
    Refused(String),
    #[error("interrupted")]
    Interrupted,
}

#[derive(Debug, thiserror::Error)]
pub enum SummarizeInputError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
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
