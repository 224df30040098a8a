//! What a bootstrap run did: the infrastructure report every stack gets
//! (change set, result, failure), how CloudFormation left the stack, and
//! what the stack made.

use serde::Serialize;

use super::infra::InfraReport;
use crate::bootstrap::Outputs;

#[derive(Debug, Clone, Serialize)]
pub struct BootstrapReport {
    #[serde(flatten)]
    pub run: InfraReport,
    /// The stack's status when the run ended (`None`: there is no stack).
    pub stack_status: Option<String>,
    /// What the stack made, when it exists and is complete.
    pub outputs: Option<Outputs>,
}
