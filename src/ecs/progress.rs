//! What the update engine says while it works, as typed events. The
//! progress display (`commands::update_board`) turns them into text; tests
//! collect them.

use std::fmt;

use aws_sdk_ecs::types::DeploymentRolloutState;

use crate::outcome::update::StepResult;

/// Who an event is about: the migration, or a service by its short name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Subject<'a> {
    Migration,
    Service(&'a str),
}

impl fmt::Display for Subject<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Migration => f.write_str("migration"),
            Subject::Service(name) => f.write_str(name),
        }
    }
}

/// One change of state worth showing.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Event<'a> {
    MigrationStarting,
    MigrationEnded(StepResult),
    DeploymentStarted {
        deployment_id: &'a str,
    },
    /// The counts of the deployment being watched moved.
    Rollout {
        state: Option<&'a DeploymentRolloutState>,
        running: i32,
        desired: i32,
        pending: i32,
        failed: i32,
    },
    Failed {
        reason: &'a str,
    },
    RollingBack {
        to_revision: i32,
        deployment_id: &'a str,
    },
}

impl fmt::Display for Event<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::MigrationStarting => f.write_str("starting"),
            Event::MigrationEnded(result) => f.write_str(match result {
                StepResult::Succeeded => "passed",
                StepResult::TimedOut => "timed out",
                StepResult::Interrupted => "interrupted",
                StepResult::Unknown => "state unknown",
                _ => "failed",
            }),
            Event::DeploymentStarted { deployment_id } => write!(f, "deployment {deployment_id} started"),
            Event::Rollout {
                state,
                running,
                desired,
                pending,
                failed,
            } => write!(
                f,
                "{}, {running}/{desired} running, {pending} pending, {failed} failed",
                state.map_or("UNKNOWN", |s| s.as_str())
            ),
            Event::Failed { reason } => write!(f, "failed: {reason}"),
            Event::RollingBack {
                to_revision,
                deployment_id,
            } => write!(f, "rolling back to revision {to_revision} ({deployment_id})"),
        }
    }
}

/// Where the engine sends its events.
pub(crate) trait ProgressSink: Sync {
    fn event(&self, subject: Subject<'_>, event: Event<'_>);
}

/// Any closure will do, which keeps tests short.
impl<F: Fn(Subject<'_>, Event<'_>) + Sync> ProgressSink for F {
    fn event(&self, subject: Subject<'_>, event: Event<'_>) {
        self(subject, event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_read_as_the_progress_lines_people_saw_before() {
        let rollout = Event::Rollout {
            state: Some(&DeploymentRolloutState::InProgress),
            running: 1,
            desired: 2,
            pending: 1,
            failed: 0,
        };
        assert_eq!(rollout.to_string(), "IN_PROGRESS, 1/2 running, 1 pending, 0 failed");
        assert_eq!(Event::MigrationEnded(StepResult::Succeeded).to_string(), "passed");
        assert_eq!(
            Event::RollingBack {
                to_revision: 3,
                deployment_id: "ecs-svc/9"
            }
            .to_string(),
            "rolling back to revision 3 (ecs-svc/9)"
        );
        assert_eq!(Subject::Migration.to_string(), "migration");
    }
}
