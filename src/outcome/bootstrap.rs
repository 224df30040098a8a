//! What a bootstrap run did: the report every CloudFormation stack gets
//! (change set, result, failure, stack status), and what the stack made.

use serde::Serialize;

use super::stack::{HasStack, StackReport};
use crate::bootstrap::Outputs;

#[derive(Debug, Clone, Serialize)]
pub struct BootstrapReport {
    #[serde(flatten)]
    pub stack: StackReport,
    /// What the stack made, when it exists and is complete.
    pub outputs: Option<Outputs>,
}

impl HasStack for BootstrapReport {
    fn stack(&self) -> &StackReport {
        &self.stack
    }

    fn stack_mut(&mut self) -> &mut StackReport {
        &mut self.stack
    }
}
