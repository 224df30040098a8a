//! stackpilot's integration tests: one binary, an area per file.

mod fake_github;
mod fault_proxy;
mod support;

mod bake;
mod bootstrap;
mod cdk;
mod child_env;
mod deploy;
mod infra;
mod interrupt;
mod layering;
mod lease;
mod lock;
mod pr_comment;
mod preflight;
mod sandbox_sdk;
mod saved_plan;
mod secrets;
mod state_bucket;
mod summary_corpus;
mod update;
mod update_faults;
mod update_plan;
mod update_support;
mod validation;
mod workflow_commands;
