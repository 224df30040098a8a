//! `stackpilot bootstrap`: build the template from what is asked and what
//! the stack holds, show its change set, apply it once confirmed, and
//! report what the account now has. `--destroy` deletes the stack, never
//! while the state bucket holds anything.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::bootstrap::{state, template, Outputs, Requested, Settings};
use crate::cli::BootstrapArgs;
use crate::cloudformation::{self, CfnError, Execution, Preparation, Prepared, StackRequest};
use crate::commands::cfn_stack::{exit_of, planned_counts, Operation, StackRun};
use crate::commands::confirm::Question;
use crate::commands::Context;
use crate::outcome::bootstrap::BootstrapReport;
use crate::outcome::stack::StackReport;
use crate::preview::ChangeSet;
use crate::progress::Progress;
use crate::report::{Action, InfraReport, Outcome, SUMMARY_LIMIT};
use crate::{aws, Error, Exit, Refusal};

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
        let report = BootstrapReport {
            stack: StackReport {
                run: InfraReport::started("bootstrap", args.stack_name.as_str(), action),
                stack_name: args.stack_name.to_string(),
                stack_status: None,
            },
            outputs: None,
        };
        let timeout = Duration::from_secs(args.timeout);
        let mut run = StackRun::new(ctx, config, timeout, sink, args.output.json, report);
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

type Run<'a> = StackRun<'a, BootstrapReport>;

impl Run<'_> {
    async fn apply(&mut self, args: &BootstrapArgs) -> Result<Exit, Error> {
        let stack = self.stack_name();
        let Some(existing) = self.existing(args.dry_run, "a run without --dry-run").await? else {
            return Ok(self.finish(Exit::Success));
        };
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
                self.report.stack.run.changes = Some(ChangeSet {
                    unchanged,
                    ..ChangeSet::default()
                });
                self.report.outputs = current;
                if args.dry_run {
                    self.report.stack.run.outcome = Outcome::Previewed;
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
            self.report.stack.run.outcome = Outcome::Previewed;
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
        let stack = self.stack_name();
        let Some(found) = cloudformation::describe(&self.cfn, &stack).await? else {
            tracing::info!("there is no stack `{stack}`; nothing to destroy");
            self.report.stack.run.changes = Some(ChangeSet::default());
            self.publish_preview(SUMMARY_LIMIT);
            return Ok(self.finish(Exit::Success));
        };
        self.set_status(Some(found.status.clone()));
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
            self.report.stack.run.outcome = Outcome::Previewed;
            self.publish_preview(SUMMARY_LIMIT);
            return Ok(self.finish(Exit::Success));
        }
        self.publish_preview(SUMMARY_LIMIT - APPLIED_RESERVE);
        let prompt = format!("Delete the bootstrap stack `{stack}` and everything in it? Type its name to confirm");
        let exit = self.delete_confirmed(args.yes, &prompt, &stack, &found.id).await?;
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

    async fn applied(&mut self, prepared: &Prepared, execution: &Execution, started: Instant) -> Result<Exit, Error> {
        let after = cloudformation::describe(&self.cfn, &prepared.stack).await?;
        let outputs = after.as_ref().and_then(|s| Outputs::from_stack(&s.outputs));
        self.record(execution, planned_counts(&prepared.changes), started, after.as_ref());
        self.publish_applied();
        self.report.outputs = outputs.filter(|_| execution.succeeded);
        self.publish_outputs();
        Ok(self.finish(exit_of(execution)))
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
}
