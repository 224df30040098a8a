//! Step 4 of the update: wire the migration gate to this run — the revision
//! just registered, the contract's network and command, a fresh idempotency
//! token — and turn its result into the run's outcome when it did not pass.

use std::collections::BTreeMap;

use tokio::time::Instant;

use super::read::Family;
use super::UpdateRequest;
use crate::aws::Clients;
use crate::ecs::migration::{GateLimits, MigrationGate, MigrationTask};
use crate::ecs::EcsError;
use crate::report::update::{MigrationReport, StepResult, UpdateOutcome, UpdateReport};

/// Runs the migration task and records it in the report. `None` when it
/// passed; otherwise the outcome the run ends with.
pub(super) async fn pass(
    clients: &Clients,
    request: &UpdateRequest,
    families: &BTreeMap<String, Family>,
    deadline: Instant,
    on_state: &(dyn Fn(&str, &str) + Sync),
    report: &mut UpdateReport,
) -> Result<Option<UpdateOutcome>, EcsError> {
    let contract = &request.contract;
    let options = &request.options;
    let family = &families[&contract.migration.task_family];
    let revision = family.target.as_ref().unwrap_or(&family.latest);
    let token = client_token(&request.env);
    let started_by = format!("stackpilot-{}", request.env);
    let task = MigrationTask {
        cluster: &contract.cluster,
        network: &contract.network,
        revision,
        container: &contract.migration.container,
        command: &contract.migration.command,
        database: &contract.database,
        started_by: &started_by,
        client_token: &token,
    };
    let limits = GateLimits {
        deadline,
        start_timeout: options.no_progress,
        pacing: options.pacing,
    };
    on_state("migration", "starting");
    let result = MigrationGate::new(clients).run(&task, limits).await?;
    on_state("migration", result.result_label());
    let outcome = match result.result {
        StepResult::Succeeded => None,
        StepResult::TimedOut => Some(UpdateOutcome::TimedOut),
        StepResult::Interrupted => Some(UpdateOutcome::Interrupted),
        _ => Some(UpdateOutcome::Failed),
    };
    report.migration = Some(result);
    Ok(outcome)
}

/// RunTask's idempotency token: unique per run, the same across the SDK's
/// retries of the one call.
fn client_token(env: &str) -> String {
    let mut rng = fastrand::Rng::new();
    let random: String = (0..24).map(|_| rng.alphanumeric()).collect();
    let mut token = format!("stackpilot-{env}-{random}");
    token.truncate(64);
    token
}

impl MigrationReport {
    fn result_label(&self) -> &'static str {
        match self.result {
            StepResult::Succeeded => "passed",
            StepResult::TimedOut => "timed out",
            StepResult::Interrupted => "interrupted",
            _ => "failed",
        }
    }
}
