//! The command line, as DESIGN.md fixes it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::names::Layer;

#[derive(Debug, Parser)]
#[command(name = "stackpilot", version, about = "Deploy a web app to AWS ECS Fargate: Pulumi stacks for the infrastructure, the ECS API for the app.")]
pub struct Cli {
    /// The repository root (where `pulumi/` and `stacks/` are); found from
    /// the current folder by default.
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
    Preview(StackArgs),
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
    },
    /// Destroy every resource of a stack.
    Destroy {
        #[command(flatten)]
        stack: StackArgs,
        /// Destroy without asking (required when not on a terminal).
        #[arg(long)]
        yes: bool,
    },
    /// Print a stack's outputs (secrets stay `[secret]`).
    Outputs {
        layer: Layer,
        env: String,
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
}

#[derive(Debug, Args)]
pub struct StackArgs {
    /// `base` (shared environment) or `app` (one app environment).
    pub layer: Layer,
    /// The environment, which is also the stack name.
    pub env: String,
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
