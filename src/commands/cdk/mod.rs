//! `preview`, `up`, `destroy` and `outputs` of a layer the CDK builds:
//! `cdk synth`, then a CloudFormation change set for the env's stack,
//! rendered like a Pulumi preview, executed on `up`, followed event by
//! event, and reported with the stack's outputs. The flags, summaries,
//! exit codes and saved plans are those of the Pulumi layers.

mod saved_plan;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::cdk::{self, CdkError, Synthesized};
use crate::cli::StackArgs;
use crate::cloudformation::{self, CfnError, Preparation, Prepared, StackInfo, StackRequest};
use crate::commands::cfn_stack::{exit_of, planned_counts, Operation, StackRun};
use crate::commands::confirm::Question;
use crate::commands::infra::UpMode;
use crate::commands::{check_plan_path, load_plan, Context};
use crate::engine::{CdkEnv, Engine};
use crate::github::pr_comment::PullRequest;
use crate::outcome::stack::StackReport;
use crate::preview::ChangeSet;
use crate::process::{ProcessError, Stream};
use crate::progress::Progress;
use crate::report::sink::SummarySink;
use crate::report::{Action, Failure, InfraReport, Outcome, SUMMARY_LIMIT};
use crate::{aws, Error, Exit, Refusal};

use saved_plan::Found;

/// Room kept for the result section appended after the change set.
const APPLIED_RESERVE: usize = 16 * 1024;
/// How long a stack operation may take before stackpilot stops following it.
const STACK_TIMEOUT: Duration = Duration::from_secs(60 * 60);
/// The app stack's parameter that keeps services' task definition and
/// desired count out of every change set after the one that creates them.
const PHASE_PARAMETER: &str = "StackpilotPhase";
/// Characters of an output value kept in the summary.
const OUTPUT_CHARS: usize = 500;

type Run<'a> = StackRun<'a, StackReport>;

/// How a run's first steps ended.
enum Start {
    Ready(Box<Ready>),
    /// The summary already says why (synth failed; a failed creation to clear first).
    Stopped(Exit),
}

/// The synthesized stack, the stack as it is, and the change set between
/// them (`None`: nothing to change).
struct Ready {
    synth: Synthesized,
    existing: Option<StackInfo>,
    prepared: Option<Prepared>,
}

impl Ready {
    fn found(&self) -> Found<'_> {
        Found {
            synth: Some(&self.synth),
            prepared: self.prepared.as_ref(),
            existing: self.existing.as_ref(),
        }
    }
}

pub(crate) fn preview(
    ctx: &Context,
    args: &StackArgs,
    cdk: &CdkEnv,
    pull_request: Option<PullRequest>,
    save_plan: Option<PathBuf>,
) -> Result<Exit, Error> {
    let sink = ctx.sink(args.output.summary.clone(), args.output.json);
    ctx.check_outputs(&sink)?;
    let (exit, report) = crate::commands::runtime()?.block_on(async {
        let mut run = start(ctx, args, cdk, Action::Preview, sink).await;
        let result = run.preview(cdk, save_plan.as_deref()).await;
        let report = run.report.run.clone();
        settle(run, result).map(|exit| (exit, report))
    })?;
    // After the runtime: the GitHub client blocks, and must not run on it.
    if let Some(pr) = &pull_request {
        crate::commands::infra::comment_on(pr, &report)?;
    }
    Ok(exit)
}

pub(crate) fn up(ctx: &Context, args: &StackArgs, cdk: &CdkEnv, mode: UpMode) -> Result<Exit, Error> {
    // `deploy --json`: the update's JSON owns stdout, so the summary must
    // not go there.
    let sink = ctx.sink(args.output.summary.clone(), args.output.json || mode.stdout_taken);
    ctx.check_outputs(&sink)?;
    check_plan_path(mode.save_plan.as_deref())?;
    let approved = load_plan(mode.plan.as_deref(), args, Action::Up, Engine::Cdk)?;
    crate::commands::runtime()?.block_on(async {
        let mut run = start(ctx, args, cdk, Action::Up, sink).await;
        let result = run.up(cdk, &mode, approved.as_ref()).await;
        settle(run, result)
    })
}

pub(crate) fn destroy(
    ctx: &Context,
    args: &StackArgs,
    cdk: &CdkEnv,
    yes: bool,
    save_plan: Option<PathBuf>,
    plan: Option<PathBuf>,
) -> Result<Exit, Error> {
    let sink = ctx.sink(args.output.summary.clone(), args.output.json);
    ctx.check_outputs(&sink)?;
    check_plan_path(save_plan.as_deref())?;
    let approved = load_plan(plan.as_deref(), args, Action::Destroy, Engine::Cdk)?;
    crate::commands::runtime()?.block_on(async {
        let mut run = start(ctx, args, cdk, Action::Destroy, sink).await;
        let result = run.destroy(cdk, yes, save_plan.as_deref(), approved.as_ref()).await;
        settle(run, result)
    })
}

/// The stack's outputs as strings (the `deploy` contract is JSON text).
pub(crate) fn outputs(cdk: &CdkEnv) -> Result<BTreeMap<String, serde_json::Value>, Error> {
    let runtime = crate::commands::runtime()?;
    runtime.block_on(async {
        let config = aws::sdk_config(&cdk.region).await;
        let client = aws_sdk_cloudformation::Client::new(&config);
        let stack = cdk.stack_name();
        let Some(found) = cloudformation::describe(&client, &stack).await? else {
            return Err(Refusal::NoCdkStack { stack }.into());
        };
        Ok(found
            .outputs
            .into_iter()
            .map(|(k, v)| (k, serde_json::Value::String(v)))
            .collect())
    })
}

/// A run with the AWS config of the env's region and an empty report.
async fn start<'c>(ctx: &'c Context, args: &StackArgs, cdk: &CdkEnv, action: Action, sink: SummarySink) -> Run<'c> {
    let config = aws::sdk_config(&cdk.region).await;
    tracing::debug!("AWS endpoint: {}", aws::endpoint_of(&config));
    let report = StackReport {
        run: InfraReport::started(args.layer.as_str(), args.env.as_str(), action),
        stack_name: cdk.stack_name(),
        stack_status: None,
    };
    StackRun::new(ctx, config, STACK_TIMEOUT, sink, args.output.json, report)
}

/// Publishes the run's end, or what it knew when an error stopped it.
fn settle(mut run: Run<'_>, result: Result<Exit, Error>) -> Result<Exit, Error> {
    match result {
        Ok(exit) => Ok(run.finish(exit)),
        Err(err) => Err(run.stopped(err)),
    }
}

impl Run<'_> {
    async fn preview(&mut self, cdk: &CdkEnv, save_plan: Option<&Path>) -> Result<Exit, Error> {
        let ready = match self.make_ready(cdk, true).await? {
            Start::Ready(ready) => ready,
            Start::Stopped(exit) => return Ok(exit),
        };
        if let Some(path) = save_plan {
            self.save_plan(path, cdk, Action::Up, ready.found())?;
        }
        self.discard(ready.prepared.as_ref()).await?;
        self.publish_preview(SUMMARY_LIMIT);
        Ok(Exit::Success)
    }

    async fn up(
        &mut self,
        cdk: &CdkEnv,
        mode: &UpMode,
        approved: Option<&(PathBuf, crate::plan::infra::InfraPlan)>,
    ) -> Result<Exit, Error> {
        let ready = match self.make_ready(cdk, mode.dry_run).await? {
            Start::Ready(ready) => ready,
            Start::Stopped(exit) => return Ok(exit),
        };
        let (found, prepared) = (ready.found(), ready.prepared.as_ref());
        if let Some((path, approved)) = approved {
            let matches = self.matches_plan(path, approved, cdk, found)?;
            if !matches {
                self.discard(prepared).await?;
                self.publish_preview(SUMMARY_LIMIT);
                tracing::error!("the stack changed since the plan was approved; nothing was applied");
                return Ok(Exit::Changed);
            }
        }
        if mode.dry_run {
            if let Some(path) = &mode.save_plan {
                self.save_plan(path, cdk, Action::Up, found)?;
            }
            self.discard(prepared).await?;
            self.report.run.outcome = Outcome::Previewed;
            self.publish_preview(SUMMARY_LIMIT);
            return Ok(Exit::Success);
        }
        self.publish_preview(SUMMARY_LIMIT - APPLIED_RESERVE);
        let Some(prepared) = prepared else {
            tracing::info!("nothing to apply");
            return Ok(Exit::Success);
        };
        if let Err(err) = self.confirmed(mode.yes, Question::YesNo("Apply these changes?"), Action::Up) {
            // Nothing is left behind by a run that was not confirmed.
            cloudformation::discard(&self.cfn, prepared).await?;
            return Err(err);
        }
        let started = Instant::now();
        let label = format!("applying the change set to `{}`", prepared.stack);
        let execution = self.follow(&label, Operation::Execute(prepared)).await?;
        let after = cloudformation::describe(&self.cfn, &prepared.stack).await?;
        self.record(&execution, planned_counts(&prepared.changes), started, after.as_ref());
        if let (true, Some(after), Some(applied)) = (execution.succeeded, &after, self.report.run.applied.as_mut()) {
            applied.outputs = after
                .outputs
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        crate::preview::value::render(&serde_json::Value::String(v.clone()), OUTPUT_CHARS),
                    )
                })
                .collect();
        }
        self.publish_applied();
        Ok(exit_of(&execution))
    }

    async fn destroy(
        &mut self,
        cdk: &CdkEnv,
        yes: bool,
        save_plan: Option<&Path>,
        approved: Option<&(PathBuf, crate::plan::infra::InfraPlan)>,
    ) -> Result<Exit, Error> {
        let stack = self.stack_name();
        let found = cloudformation::describe(&self.cfn, &stack).await?;
        self.set_status(found.as_ref().map(|s| s.status.clone()));
        let deletion = match &found {
            Some(found) if found.is_busy() => {
                return Err(CfnError::Busy {
                    stack,
                    status: found.status.clone(),
                }
                .into())
            }
            Some(_) => cloudformation::deletion(&cloudformation::resources(&self.cfn, &stack).await?),
            None => {
                tracing::info!("there is no stack `{stack}`; nothing to destroy");
                ChangeSet::default()
            }
        };
        self.show_changes(&deletion);
        if let Some(path) = save_plan {
            self.save_plan(
                path,
                cdk,
                Action::Destroy,
                Found {
                    existing: found.as_ref(),
                    ..Found::default()
                },
            )?;
            self.report.run.outcome = Outcome::Previewed;
            self.publish_preview(SUMMARY_LIMIT);
            return Ok(Exit::Success);
        }
        if let Some((path, approved)) = approved {
            let pinned = Found {
                existing: found.as_ref(),
                ..Found::default()
            };
            if !self.matches_plan(path, approved, cdk, pinned)? {
                self.publish_preview(SUMMARY_LIMIT);
                tracing::error!("the stack changed since the plan was approved; nothing was deleted");
                return Ok(Exit::Changed);
            }
        }
        let Some(found) = found else {
            self.publish_preview(SUMMARY_LIMIT);
            return Ok(Exit::Success);
        };
        self.publish_preview(SUMMARY_LIMIT - APPLIED_RESERVE);
        let prompt = format!(
            "Destroy every resource of the {} stack `{}` ({stack})? Type the env name to confirm",
            cdk.layer, cdk.env
        );
        self.delete_confirmed(yes, &prompt, cdk.env.as_str(), &found.id).await
    }

    /// Deletes the change set a run made and will not execute, if it made one.
    async fn discard(&self, prepared: Option<&Prepared>) -> Result<(), Error> {
        match prepared {
            Some(prepared) => Ok(cloudformation::discard(&self.cfn, prepared).await?),
            None => Ok(()),
        }
    }

    /// Synthesizes, reads the stack and makes its change set, or says why
    /// the run stops there.
    async fn make_ready(&mut self, cdk: &CdkEnv, preview_only: bool) -> Result<Start, Error> {
        let Some(synth) = self.synth(cdk)? else {
            self.publish_preview(SUMMARY_LIMIT);
            return Ok(Start::Stopped(Exit::Failed));
        };
        let Some(existing) = self.existing(preview_only, "`up`").await? else {
            return Ok(Start::Stopped(Exit::Success));
        };
        let prepared = self.change_set(&synth, existing.as_ref()).await?;
        Ok(Start::Ready(Box::new(Ready {
            synth,
            existing,
            prepared,
        })))
    }

    /// `cdk synth`; `None` when the app failed, with the report saying why.
    fn synth(&mut self, cdk: &CdkEnv) -> Result<Option<Synthesized>, Error> {
        let label = format!("synthesizing the {} stack `{}`", cdk.layer, cdk.env);
        let progress = Progress::start(self.ctx.progress, &label);
        let result = cdk::synth(cdk, &mut |stream, line| {
            if stream == Stream::Stderr {
                progress.line(line);
            }
        });
        match result {
            Ok(synth) => {
                progress.finish("synthesized");
                Ok(Some(synth))
            }
            Err(CdkError::Synth(ProcessError::Status {
                command,
                status,
                stderr_tail,
            })) => {
                progress.finish("synth failed");
                self.report.run.outcome = Outcome::Failed;
                self.report.run.failure = Some(Failure {
                    message: format!("`{command}` {status}: the CDK app could not be synthesized"),
                    stderr_tail,
                });
                Ok(None)
            }
            Err(err) => {
                progress.finish("synth stopped");
                Err(err.into())
            }
        }
    }

    /// Makes and describes the change set; `None` when there is nothing
    /// to change (the report then counts the unchanged resources).
    async fn change_set(
        &mut self,
        synth: &Synthesized,
        existing: Option<&StackInfo>,
    ) -> Result<Option<Prepared>, Error> {
        let creating = existing.is_none_or(|s| s.status == "REVIEW_IN_PROGRESS");
        let mut parameters = BTreeMap::new();
        if synth.parameters.contains(PHASE_PARAMETER) {
            let phase = if creating { "create" } else { "update" };
            parameters.insert(PHASE_PARAMETER.to_owned(), phase.to_owned());
        }
        let request = StackRequest {
            stack: synth.stack.clone(),
            template_body: synth.template.clone(),
            parameters,
            tags: synth.tags.clone(),
        };
        let progress = Progress::start(self.ctx.progress, &format!("making a change set for `{}`", synth.stack));
        let prepared = cloudformation::prepare(&self.cfn, &request, existing, self.waiting).await;
        progress.finish("described");
        let outputs = self.output_changes(synth, existing).await?;
        match prepared? {
            Preparation::NoChanges => {
                let unchanged = match existing {
                    Some(_) => cloudformation::resources(&self.cfn, &synth.stack).await?.len(),
                    None => 0,
                };
                self.show_changes(&ChangeSet {
                    unchanged,
                    outputs,
                    ..ChangeSet::default()
                });
                Ok(None)
            }
            Preparation::Ready(mut prepared) => {
                prepared.changes.outputs = outputs;
                self.show_changes(&prepared.changes);
                Ok(Some(prepared))
            }
        }
    }

    /// The outputs the new template adds, changes or drops against the
    /// stack's current one: a change set does not list them. Each is the
    /// template's expression, since the value is only known once applied.
    async fn output_changes(
        &self,
        synth: &Synthesized,
        existing: Option<&StackInfo>,
    ) -> Result<Vec<crate::preview::OutputChange>, Error> {
        let old = match existing {
            Some(found) if found.status != "REVIEW_IN_PROGRESS" => {
                cloudformation::current_template(&self.cfn, &found.id)
                    .await?
                    .unwrap_or_default()
            }
            _ => serde_json::Value::Null,
        };
        let new: serde_json::Value = serde_json::from_str(&synth.template).unwrap_or_default();
        let changes = ChangeSet::default().with_stack_outputs(
            &cloudformation::template_outputs(&old),
            &cloudformation::template_outputs(&new),
        );
        let masked = |v: Option<String>| v.map(|v| crate::redact::shapes(&v).into_owned());
        Ok(changes
            .outputs
            .into_iter()
            .map(|o| crate::preview::OutputChange {
                before: masked(o.before),
                after: masked(o.after),
                ..o
            })
            .collect())
    }
}
