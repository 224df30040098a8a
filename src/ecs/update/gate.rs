//! Step 4 of the update: wire the migration gate to this run — the revision
//! just registered, the contract's network and command, a fresh idempotency
//! token — and turn its result into the run's outcome when it did not pass.

use super::UpdateRun;
use crate::ecs::migration::{GateLimits, MigrationGate, MigrationTask};
use crate::ecs::progress::{Event, Subject};
use crate::ecs::taskdef::Described;
use crate::ecs::EcsError;
use crate::outcome::update::{MigrationReport, StepResult, UpdateOutcome};

impl UpdateRun<'_> {
    /// Runs the migration task on `revision`. Returns its report, and the
    /// outcome the run ends with when it did not pass.
    pub(super) async fn pass_gate(
        &self,
        revision: &Described,
    ) -> Result<(MigrationReport, Option<UpdateOutcome>), EcsError> {
        let contract = self.contract();
        let env = &self.request.env;
        let token = client_token(env);
        let started_by = format!("stackpilot-{env}");
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
            deadline: self.deadline,
            start_timeout: self.options().no_progress,
            pacing: self.options().pacing,
        };
        self.progress.event(Subject::Migration, Event::MigrationStarting);
        let report = MigrationGate::new(self.clients).run(&task, limits).await?;
        self.progress
            .event(Subject::Migration, Event::MigrationEnded(report.result));
        let failed = match report.result {
            StepResult::Succeeded => None,
            StepResult::TimedOut => Some(UpdateOutcome::TimedOut),
            StepResult::Interrupted => Some(UpdateOutcome::Interrupted),
            StepResult::Unknown => Some(UpdateOutcome::Unknown),
            _ => Some(UpdateOutcome::Failed),
        };
        Ok((report, failed))
    }
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
