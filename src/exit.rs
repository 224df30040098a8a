//! Exit codes (docs/exit-codes.md): 0 success · 1 failed · 2 bad usage or
//! configuration · 3 failed and rolled back · 4 timed out · 5 stack locked ·
//! 6 changed since it was approved · 130 interrupted.

use std::process::ExitCode;

use crate::contract::ContractError;
use crate::process::ProcessError;
use crate::pulumi::PulumiError;
use crate::{Error, SummarizeInputError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Success,
    Failed,
    Usage,
    RolledBack,
    TimedOut,
    Locked,
    /// A saved plan no longer matches what the run would do.
    Changed,
    Interrupted,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Failed => 1,
            Exit::Usage => 2,
            Exit::RolledBack => 3,
            Exit::TimedOut => 4,
            Exit::Locked => 5,
            Exit::Changed => 6,
            Exit::Interrupted => 130,
        }
    }

    pub fn from_error(err: &Error) -> Self {
        match err {
            Error::Contract(ContractError::Read { source, .. })
            | Error::SummarizeInput {
                source: SummarizeInputError::Input(source),
                ..
            } if source.is_interrupted() => Exit::Interrupted,
            Error::EnvName(_) | Error::Project(_) | Error::Backend(_) | Error::Refused(_) => Exit::Usage,
            Error::SummarizeInput { .. } | Error::OutputNotWritable(_) => Exit::Usage,
            Error::Contract(_) | Error::ImageTag(_) => Exit::Usage,
            Error::Plan(crate::plan::PlanError::Read {
                source: crate::input::InputError::Interrupted,
                ..
            }) => Exit::Interrupted,
            Error::Plan(_) => Exit::Usage,
            Error::Ecs(e) => e.exit(),
            Error::Cloudformation(e) => e.exit(),
            Error::Cdk(e) if e.is_setup() => Exit::Usage,
            Error::BootstrapSettings(_) => Exit::Usage,
            Error::Lease(crate::lease::LeaseError::Held { .. }) => Exit::Locked,
            Error::PrComment(e) if e.is_configuration() => Exit::Usage,
            Error::Pulumi(PulumiError::NotInstalled | PulumiError::NoStack { .. }) => Exit::Usage,
            Error::Pulumi(PulumiError::Locked { .. }) => Exit::Locked,
            Error::Pulumi(PulumiError::Process(ProcessError::Interrupted { .. })) | Error::Interrupted => {
                Exit::Interrupted
            }
            _ => Exit::Failed,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit.code())
    }
}
