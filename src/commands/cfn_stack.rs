//! One run on one CloudFormation stack, as `bootstrap` and the CDK layers
//! share it: the client and its pacing, the summary as it grows (change
//! set, then result), confirmation, stack events as progress lines, and a
//! report that still says what happened when the run stops early.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use aws_sdk_cloudformation::Client;

use crate::cloudformation::{self, CfnError, Execution, Prepared, StackInfo, Waiting};
use crate::commands::confirm::{self, Question};
use crate::commands::Context;
use crate::ecs::pacing::Pacing;
use crate::outcome::stack::HasStack;
use crate::preview::{ChangeKind, ChangeSet};
use crate::progress::Progress;
use crate::report::infra::failure_markdown;
use crate::report::sink::SummarySink;
use crate::report::{Action, AppliedChanges, Failure, Outcome, SUMMARY_LIMIT};
use crate::{aws, printer, Error, Exit, Refusal};

/// The failure after an apply sits under the result section's heading.
pub(crate) const APPLIED_FAILURE_HEADING: &str = "#### What went wrong";

/// A stack operation whose events a run follows.
pub(crate) enum Operation<'p> {
    Execute(&'p Prepared),
    Delete(&'p str),
}

pub(crate) struct StackRun<'a, R: HasStack> {
    pub ctx: &'a Context,
    pub config: SdkConfig,
    pub cfn: Client,
    pub waiting: Waiting,
    pub sink: SummarySink,
    pub json: bool,
    pub report: R,
}

/// CloudFormation settles in seconds in the sandbox, in minutes on AWS.
pub(crate) fn pacing_for(config: &SdkConfig) -> Pacing {
    if config.endpoint_url().is_some_and(aws::is_loopback) {
        Pacing {
            min: Duration::from_millis(50),
            max: Duration::from_millis(500),
            ..Pacing::default()
        }
    } else {
        Pacing {
            min: Duration::from_secs(2),
            max: Duration::from_secs(10),
            ..Pacing::default()
        }
    }
}

impl<'a, R: HasStack> StackRun<'a, R> {
    pub fn new(
        ctx: &'a Context,
        config: SdkConfig,
        timeout: Duration,
        sink: SummarySink,
        json: bool,
        report: R,
    ) -> Self {
        StackRun {
            ctx,
            cfn: Client::new(&config),
            waiting: Waiting {
                pacing: pacing_for(&config),
                deadline: tokio::time::Instant::now() + timeout,
            },
            config,
            sink,
            json,
            report,
        }
    }

    pub fn stack_name(&self) -> String {
        self.report.stack().stack_name.clone()
    }

    pub fn set_status(&mut self, status: Option<String>) {
        self.report.stack_mut().stack_status = status;
    }

    pub fn confirmed(&self, yes: bool, question: Question<'_>, action: Action) -> Result<(), Error> {
        if yes || confirm::ask(question)? {
            Ok(())
        } else {
            Err(Refusal::NotConfirmed(action).into())
        }
    }

    /// Runs one stack operation with its events as progress lines.
    pub async fn follow(&self, label: &str, operation: Operation<'_>) -> Result<Execution, Error> {
        let progress = Progress::start(self.ctx.progress, label);
        let mut on_event = |line: &str| progress.line(line);
        let result = match operation {
            Operation::Execute(prepared) => {
                cloudformation::execute(&self.cfn, prepared, self.waiting, &mut on_event).await
            }
            Operation::Delete(stack_id) => {
                cloudformation::delete(&self.cfn, stack_id, self.waiting, &mut on_event).await
            }
        };
        progress.finish(match &result {
            Ok(e) if e.succeeded => "done",
            Ok(_) => "failed",
            Err(_) => "stopped",
        });
        Ok(result?)
    }

    /// The stack as it is, ready for a change set: `Some(None)` when there
    /// is none. A stack whose creation failed (ROLLBACK_COMPLETE) cannot
    /// take a change set: a real run deletes it first (as `cdk deploy`
    /// does); a preview says that `rerun` will, publishes that, and stops
    /// (`None`).
    pub async fn existing(&mut self, preview_only: bool, rerun: &str) -> Result<Option<Option<StackInfo>>, Error> {
        let stack = self.stack_name();
        let existing = cloudformation::describe(&self.cfn, &stack).await?;
        self.set_status(existing.as_ref().map(|s| s.status.clone()));
        let Some(found) = existing.as_ref().filter(|s| s.status == "ROLLBACK_COMPLETE") else {
            return Ok(Some(existing));
        };
        if preview_only {
            let run = &mut self.report.stack_mut().run;
            run.outcome = Outcome::Previewed;
            run.failure = Some(Failure {
                message: format!("stack `{stack}` is ROLLBACK_COMPLETE (its creation failed); {rerun} deletes it and creates it again, so there is no change set to show"),
                stderr_tail: String::new(),
            });
            self.publish_preview(SUMMARY_LIMIT);
            return Ok(None);
        }
        tracing::info!(
            "stack `{stack}` is ROLLBACK_COMPLETE (an earlier creation failed): deleting it before creating it again"
        );
        let id = found.id.clone();
        self.follow("deleting the failed stack", Operation::Delete(&id)).await?;
        self.set_status(None);
        Ok(Some(None))
    }

    /// Deletes the stack once `expected` was typed (or `--yes`), following
    /// it to its end, and records what went, as the report's change set said.
    pub async fn delete_confirmed(
        &mut self,
        yes: bool,
        prompt: &str,
        expected: &str,
        stack_id: &str,
    ) -> Result<Exit, Error> {
        self.confirmed(yes, Question::TypeToConfirm { prompt, expected }, Action::Destroy)?;
        let started = Instant::now();
        let label = format!("deleting `{}`", self.stack_name());
        let execution = self.follow(&label, Operation::Delete(stack_id)).await?;
        let counts = self
            .report
            .stack()
            .run
            .changes
            .as_ref()
            .map(planned_counts)
            .unwrap_or_default();
        self.record(&execution, counts, started, None);
        self.publish_applied();
        Ok(exit_of(&execution))
    }

    /// The change set goes into the report, its replacements and deletions
    /// into annotations, and its counts into `$GITHUB_OUTPUT`, as a Pulumi
    /// preview's do.
    pub fn show_changes(&mut self, changes: &ChangeSet) {
        if let Some(actions) = &self.ctx.actions {
            actions.annotate(changes);
            if let Err(e) = actions.write_outputs(changes) {
                tracing::warn!("could not write $GITHUB_OUTPUT: {e}");
            }
        }
        self.report.stack_mut().run.changes = Some(changes.clone());
    }

    /// Puts the result of an execution or deletion in the report and the
    /// summary: what was applied, or the first failure and what to do.
    pub fn record(
        &mut self,
        execution: &Execution,
        counts: BTreeMap<ChangeKind, i64>,
        started: Instant,
        after: Option<&StackInfo>,
    ) {
        let stack = self.stack_name();
        self.set_status(Some(
            after.map_or_else(|| execution.status.clone(), |s| s.status.clone()),
        ));
        let run = &mut self.report.stack_mut().run;
        let unchanged = run.changes.as_ref().map_or(0, |c| c.unchanged as i64);
        run.applied = Some(AppliedChanges {
            duration_secs: started.elapsed().as_secs_f64(),
            counts: if execution.succeeded { counts } else { BTreeMap::new() },
            unchanged,
            outputs: BTreeMap::new(),
        });
        run.outcome = if execution.succeeded {
            Outcome::Succeeded
        } else {
            Outcome::Failed
        };
        if !execution.succeeded {
            let cause = execution.first_failure.as_ref().map_or_else(
                || "CloudFormation reported no failed resource".to_owned(),
                |f| format!("{} ({}) {}: {}", f.logical_id, f.resource_type, f.status, f.reason),
            );
            let advice = execution.advice(&stack).unwrap_or_default();
            run.failure = Some(Failure {
                message: format!("{cause}\nThe stack is {}: {advice}.", execution.status),
                stderr_tail: String::new(),
            });
        }
    }

    /// The result section of the summary, after [`Self::record`] and once
    /// the outputs are in.
    pub fn publish_applied(&mut self) {
        let run = &self.report.stack().run;
        let mut markdown = run.applied_markdown();
        if let Some(failure) = &run.failure {
            tracing::error!("{}", failure.message);
            markdown.push_str(&failure_markdown(failure, APPLIED_FAILURE_HEADING));
        }
        self.sink.write_or_log(&markdown);
    }

    pub fn publish_preview(&mut self, limit: usize) {
        let markdown = self.report.stack().run.preview_markdown(limit);
        self.sink.write_or_log(&markdown);
    }

    /// A run stopped by an error still reports what it knew.
    pub fn stopped(mut self, err: Error) -> Error {
        let outcome = match &err {
            Error::Cloudformation(CfnError::Busy { .. }) => Outcome::Locked,
            Error::Cloudformation(CfnError::Interrupted { .. }) | Error::Interrupted => Outcome::Interrupted,
            _ => Outcome::Failed,
        };
        let run = &mut self.report.stack_mut().run;
        run.outcome = outcome;
        run.failure = Some(Failure {
            message: err.to_string(),
            stderr_tail: String::new(),
        });
        if !matches!(err, Error::Refused(_)) {
            self.publish_preview(SUMMARY_LIMIT);
        }
        self.print_json();
        self.flush_sink();
        err
    }

    fn print_json(&self) {
        if self.json {
            if let Err(e) = printer::json(&self.report) {
                tracing::error!("could not print the JSON result: {e}");
            }
        }
    }

    pub fn finish(&mut self, exit: Exit) -> Exit {
        self.print_json();
        self.flush_sink();
        exit
    }

    fn flush_sink(&mut self) {
        let sink = std::mem::replace(&mut self.sink, SummarySink::resolve(None, None, true));
        sink.finish();
    }
}

/// The counts a change set planned, as the result section shows them.
pub(crate) fn planned_counts(changes: &ChangeSet) -> BTreeMap<ChangeKind, i64> {
    changes
        .counts
        .iter()
        .map(|c| (c.op.clone(), i64::try_from(c.count).unwrap_or(i64::MAX)))
        .collect()
}

/// A failed execution CloudFormation rolled back is exit 3, as a rolled
/// back app update is; anything else that failed (a stack left in a
/// *_FAILED state) is exit 1.
pub(crate) fn exit_of(execution: &Execution) -> Exit {
    if execution.succeeded {
        Exit::Success
    } else if execution.status.ends_with("ROLLBACK_COMPLETE") {
        Exit::RolledBack
    } else {
        Exit::Failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudformation::FailedEvent;

    fn ended(status: &str, succeeded: bool) -> Execution {
        Execution {
            status: status.to_owned(),
            succeeded,
            first_failure: (!succeeded).then(|| FailedEvent {
                logical_id: "Log".into(),
                resource_type: "AWS::Logs::LogGroup".into(),
                status: "UPDATE_FAILED".into(),
                reason: "limit".into(),
            }),
        }
    }

    #[test]
    fn only_a_failure_cloudformation_rolled_back_is_exit_3() {
        assert_eq!(exit_of(&ended("UPDATE_COMPLETE", true)), Exit::Success);
        assert_eq!(exit_of(&ended("UPDATE_ROLLBACK_COMPLETE", false)), Exit::RolledBack);
        assert_eq!(exit_of(&ended("ROLLBACK_COMPLETE", false)), Exit::RolledBack);
        assert_eq!(exit_of(&ended("UPDATE_ROLLBACK_FAILED", false)), Exit::Failed);
        assert_eq!(exit_of(&ended("DELETE_FAILED", false)), Exit::Failed);
    }
}
