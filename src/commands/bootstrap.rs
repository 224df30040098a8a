//! `stackpilot bootstrap`: build the template from what is asked and what
//! the stack holds, show its change set, apply it once confirmed, and
//! report what the account now has. `--destroy` deletes the stack, never
//! while the state bucket holds anything.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use aws_sdk_cloudformation::Client;

use crate::bootstrap::{state, template, Outputs, Requested, Settings};
use crate::cli::BootstrapArgs;
use crate::cloudformation::{self, CfnError, Execution, Preparation, Prepared, StackInfo, StackRequest, Waiting};
use crate::commands::confirm::{self, Question};
use crate::commands::Context;
use crate::ecs::pacing::Pacing;
use crate::outcome::bootstrap::BootstrapReport;
use crate::preview::ChangeSet;
use crate::progress::Progress;
use crate::report::infra::failure_markdown;
use crate::report::sink::SummarySink;
use crate::report::{Action, AppliedChanges, Failure, InfraReport, Outcome, SUMMARY_LIMIT};
use crate::{aws, printer, Error, Exit, Refusal};

/// Room kept for the result section appended after the change set.
const APPLIED_RESERVE: usize = 16 * 1024;
/// Keys named when the state bucket is not empty.
const SAMPLE_KEYS: i32 = 10;

pub(crate) fn run(ctx: &Context, args: BootstrapArgs) -> Result<Exit, Error> {
    let sink = ctx.sink(args.output.summary.clone(), args.output.json);
    ctx.check_outputs(&sink)?;
    let runtime = crate::commands::runtime()?;
    runtime.block_on(async {
        let config = aws::sdk_config_any_region(args.region.as_deref())
            .await
            .ok_or(Refusal::NoRegion)?;
        tracing::debug!("AWS endpoint: {}", aws::endpoint_of(&config));
        let action = if args.destroy { Action::Destroy } else { Action::Up };
        let mut run = Run {
            ctx,
            cfn: Client::new(&config),
            waiting: Waiting {
                pacing: pacing_for(&config),
                deadline: tokio::time::Instant::now() + Duration::from_secs(args.timeout),
            },
            config,
            sink,
            json: args.output.json,
            report: BootstrapReport {
                run: InfraReport {
                    layer: "bootstrap".to_owned(),
                    env: args.stack_name.to_string(),
                    action,
                    outcome: Outcome::Succeeded,
                    changes: None,
                    failure: None,
                    applied: None,
                    plan: None,
                },
                stack_status: None,
                outputs: None,
            },
        };
        let result = if args.destroy {
            run.destroy(&args).await
        } else {
            run.apply(&args).await
        };
        match result {
            Ok(exit) => Ok(exit),
            Err(err) => Err(run.stopped(err)),
        }
    })
}

/// CloudFormation settles in seconds in the sandbox, in minutes on AWS.
fn pacing_for(config: &SdkConfig) -> Pacing {
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

/// A stack operation whose events a run follows.
enum Operation<'p> {
    Execute(&'p Prepared),
    Delete(&'p str),
}

struct Run<'a> {
    ctx: &'a Context,
    config: SdkConfig,
    cfn: Client,
    waiting: Waiting,
    sink: SummarySink,
    json: bool,
    report: BootstrapReport,
}

impl Run<'_> {
    fn stack(&self) -> String {
        self.report.run.env.clone()
    }

    async fn apply(&mut self, args: &BootstrapArgs) -> Result<Exit, Error> {
        let stack = self.stack();
        let mut existing = cloudformation::describe(&self.cfn, &stack).await?;
        self.report.stack_status = existing.as_ref().map(|s| s.status.clone());
        if let Some(found) = existing.as_ref().filter(|s| s.status == "ROLLBACK_COMPLETE") {
            if args.dry_run {
                self.report.run.outcome = Outcome::Previewed;
                self.report.run.failure = Some(Failure {
                    message: format!("stack `{stack}` is ROLLBACK_COMPLETE (its creation failed); a run without --dry-run deletes it and creates it again, so there is no change set to show"),
                    stderr_tail: String::new(),
                });
                return Ok(self.finish(Exit::Success));
            }
            tracing::info!("stack `{stack}` is ROLLBACK_COMPLETE (an earlier creation failed): deleting it before creating it again");
            let id = found.id.clone();
            self.follow("deleting the failed stack", Operation::Delete(&id)).await?;
            existing = None;
        }
        let current = match &existing {
            Some(found) if found.status != "REVIEW_IN_PROGRESS" => Some(
                Outputs::from_stack(&found.outputs)
                    .ok_or_else(|| Refusal::NotABootstrapStack { stack: stack.clone() })?,
            ),
            _ => None,
        };
        let settings = Settings::merge(
            current.as_ref(),
            Requested {
                github_repo: args.github_repo.clone(),
                add_envs: args.envs.clone(),
                remove_envs: args.remove_envs.clone(),
                oidc_provider_arn: args.oidc_provider_arn.clone(),
            },
        )?;
        let request = StackRequest {
            stack: stack.clone(),
            template_body: serde_json::to_string_pretty(&template::build(&settings))
                .map_err(|e| Refusal::Template(e.to_string()))?,
            parameters: BTreeMap::new(),
            tags: BTreeMap::from([("made-by".to_owned(), "stackpilot".to_owned())]),
        };
        let progress = Progress::start(self.ctx.progress, &format!("making a change set for `{stack}`"));
        let prepared = cloudformation::prepare(&self.cfn, &request, existing.as_ref(), self.waiting).await;
        progress.finish("described");
        let prepared = match prepared? {
            Preparation::NoChanges => {
                tracing::info!("the bootstrap stack already matches; nothing to change");
                let unchanged = cloudformation::resources(&self.cfn, &stack).await?.len();
                self.report.run.changes = Some(ChangeSet {
                    unchanged,
                    ..ChangeSet::default()
                });
                self.report.outputs = current;
                if args.dry_run {
                    self.report.run.outcome = Outcome::Previewed;
                }
                self.publish_preview(SUMMARY_LIMIT - APPLIED_RESERVE);
                self.publish_outputs();
                return Ok(self.finish(Exit::Success));
            }
            Preparation::Ready(prepared) => prepared,
        };
        self.show_changes(&prepared.changes);
        if args.dry_run {
            cloudformation::discard(&self.cfn, &prepared).await?;
            self.report.run.outcome = Outcome::Previewed;
            self.report.outputs = current;
            self.publish_preview(SUMMARY_LIMIT);
            return Ok(self.finish(Exit::Success));
        }
        self.publish_preview(SUMMARY_LIMIT - APPLIED_RESERVE);
        if let Err(err) = self.confirmed(args.yes, Question::YesNo("Apply these changes?"), Action::Up) {
            // Nothing is left behind by a run that was not confirmed.
            cloudformation::discard(&self.cfn, &prepared).await?;
            return Err(err);
        }
        let started = Instant::now();
        let execution = self
            .follow(
                &format!("applying the change set to `{stack}`"),
                Operation::Execute(&prepared),
            )
            .await?;
        self.applied(&prepared, &execution, started).await
    }

    async fn destroy(&mut self, args: &BootstrapArgs) -> Result<Exit, Error> {
        let stack = self.stack();
        let Some(found) = cloudformation::describe(&self.cfn, &stack).await? else {
            tracing::info!("there is no stack `{stack}`; nothing to destroy");
            self.report.run.changes = Some(ChangeSet::default());
            self.publish_preview(SUMMARY_LIMIT);
            return Ok(self.finish(Exit::Success));
        };
        self.report.stack_status = Some(found.status.clone());
        if found.is_busy() {
            return Err(CfnError::Busy {
                stack,
                status: found.status,
            }
            .into());
        }
        // A stack made by anything else is not ours to delete; an empty
        // one a failed creation left (ROLLBACK_COMPLETE) has no outputs yet.
        match Outputs::from_stack(&found.outputs) {
            Some(outputs) => {
                self.refuse_if_state_left(&outputs.state_bucket).await?;
                self.report.outputs = Some(outputs);
            }
            None if found.status == "ROLLBACK_COMPLETE" => {}
            None => return Err(Refusal::NotABootstrapStack { stack }.into()),
        }
        let resources = cloudformation::resources(&self.cfn, &stack).await?;
        self.show_changes(&cloudformation::deletion(&resources));
        if args.dry_run {
            self.report.run.outcome = Outcome::Previewed;
            self.publish_preview(SUMMARY_LIMIT);
            return Ok(self.finish(Exit::Success));
        }
        self.publish_preview(SUMMARY_LIMIT - APPLIED_RESERVE);
        let prompt = format!("Delete the bootstrap stack `{stack}` and everything in it? Type its name to confirm");
        self.confirmed(
            args.yes,
            Question::TypeToConfirm {
                prompt: &prompt,
                expected: &stack,
            },
            Action::Destroy,
        )?;
        let started = Instant::now();
        let execution = self
            .follow(&format!("deleting `{stack}`"), Operation::Delete(&found.id))
            .await?;
        let counts = self.report.run.changes.as_ref().map(planned_counts).unwrap_or_default();
        self.record(&execution, counts, started, None);
        let exit = if execution.succeeded {
            Exit::Success
        } else {
            Exit::Failed
        };
        Ok(self.finish(exit))
    }

    async fn refuse_if_state_left(&self, bucket: &str) -> Result<(), Error> {
        let held = state::contents(&aws::s3_client(&self.config), bucket, SAMPLE_KEYS).await?;
        if held.is_empty() {
            return Ok(());
        }
        Err(Refusal::StateLeft {
            bucket: bucket.to_owned(),
            keys: held.keys,
            more: held.more,
        }
        .into())
    }

    fn confirmed(&self, yes: bool, question: Question<'_>, action: Action) -> Result<(), Error> {
        if yes || confirm::ask(question)? {
            Ok(())
        } else {
            Err(Refusal::NotConfirmed(action).into())
        }
    }

    /// Runs one stack operation with its events as progress lines.
    async fn follow(&self, label: &str, operation: Operation<'_>) -> Result<Execution, Error> {
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

    fn show_changes(&mut self, changes: &ChangeSet) {
        if let Some(actions) = &self.ctx.actions {
            if let Err(e) = actions.write_outputs(changes) {
                tracing::warn!("could not write $GITHUB_OUTPUT: {e}");
            }
        }
        self.report.run.changes = Some(changes.clone());
    }

    async fn applied(&mut self, prepared: &Prepared, execution: &Execution, started: Instant) -> Result<Exit, Error> {
        let after = cloudformation::describe(&self.cfn, &prepared.stack).await?;
        let outputs = after.as_ref().and_then(|s| Outputs::from_stack(&s.outputs));
        self.record(execution, planned_counts(&prepared.changes), started, after.as_ref());
        self.report.outputs = outputs.filter(|_| execution.succeeded);
        self.publish_outputs();
        Ok(self.finish(if execution.succeeded {
            Exit::Success
        } else {
            Exit::Failed
        }))
    }

    fn record(
        &mut self,
        execution: &Execution,
        counts: BTreeMap<crate::preview::ChangeKind, i64>,
        started: Instant,
        after: Option<&StackInfo>,
    ) {
        let stack = self.stack();
        self.report.stack_status = Some(after.map_or_else(|| execution.status.clone(), |s| s.status.clone()));
        let unchanged = self.report.run.changes.as_ref().map_or(0, |c| c.unchanged as i64);
        self.report.run.applied = Some(AppliedChanges {
            duration_secs: started.elapsed().as_secs_f64(),
            counts: if execution.succeeded { counts } else { BTreeMap::new() },
            unchanged,
            outputs: BTreeMap::new(),
        });
        self.report.run.outcome = if execution.succeeded {
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
            self.report.run.failure = Some(Failure {
                message: format!("{cause}\nThe stack is {}: {advice}.", execution.status),
                stderr_tail: String::new(),
            });
        }
        self.sink.write_or_log(&self.report.run.applied_markdown());
        if let Some(failure) = &self.report.run.failure {
            tracing::error!("{}", failure.message);
            self.sink
                .write_or_log(&failure_markdown(failure, "#### What went wrong"));
        }
    }

    fn publish_preview(&mut self, limit: usize) {
        let markdown = self.report.run.preview_markdown(limit);
        self.sink.write_or_log(&markdown);
    }

    /// The outputs table in the summary, and the outputs in `$GITHUB_OUTPUT`.
    fn publish_outputs(&mut self) {
        let Some(outputs) = &self.report.outputs else { return };
        self.sink
            .write_or_log(&crate::report::bootstrap::outputs_markdown(outputs));
        if let Some(actions) = &self.ctx.actions {
            if let Err(e) = actions.append_outputs(&outputs.step_outputs()) {
                tracing::warn!("could not write $GITHUB_OUTPUT: {e}");
            }
        }
    }

    /// A run stopped by an error still reports what it knew.
    fn stopped(mut self, err: Error) -> Error {
        let outcome = match &err {
            Error::Cloudformation(CfnError::Busy { .. }) => Outcome::Locked,
            Error::Cloudformation(CfnError::Interrupted { .. }) | Error::Interrupted => Outcome::Interrupted,
            _ => Outcome::Failed,
        };
        self.report.run.outcome = outcome;
        self.report.run.failure = Some(Failure {
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

    fn finish(&mut self, exit: Exit) -> Exit {
        self.print_json();
        self.flush_sink();
        exit
    }

    fn flush_sink(&mut self) {
        let sink = std::mem::replace(&mut self.sink, SummarySink::resolve(None, None, true));
        sink.finish();
    }
}

fn planned_counts(changes: &ChangeSet) -> BTreeMap<crate::preview::ChangeKind, i64> {
    changes
        .counts
        .iter()
        .map(|c| (c.op.clone(), i64::try_from(c.count).unwrap_or(i64::MAX)))
        .collect()
}
