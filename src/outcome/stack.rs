//! What a run on one CloudFormation stack did (bootstrap, a CDK layer):
//! the infrastructure report every stack gets, and how CloudFormation left
//! the stack.

use serde::Serialize;

use super::infra::InfraReport;

#[derive(Debug, Clone, Serialize)]
pub struct StackReport {
    #[serde(flatten)]
    pub run: InfraReport,
    /// The CloudFormation stack's name.
    pub stack_name: String,
    /// The stack's status when the run ended (`None`: there is no stack).
    pub stack_status: Option<String>,
}

/// A report a CloudFormation stack run fills in: the shared part, and what
/// the command adds to it.
pub(crate) trait HasStack: Serialize {
    fn stack(&self) -> &StackReport;
    fn stack_mut(&mut self) -> &mut StackReport;
}

impl HasStack for StackReport {
    fn stack(&self) -> &StackReport {
        self
    }

    fn stack_mut(&mut self) -> &mut StackReport {
        self
    }
}
