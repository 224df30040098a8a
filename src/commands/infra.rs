//! `preview`, `up` and `destroy` of one stack.

use std::path::PathBuf;
use std::time::Instant;

use crate::cli::StackArgs;
use crate::commands::confirm::{self, Question};
use crate::commands::{check_plan_path, load_plan, stack, Context};
use crate::engine::Engine;
use crate::github::pr_comment::{self, PullRequest};
use crate::preview::value::render;
use crate::preview::ChangeSet;
use crate::printer;
use crate::process::{ProcessError, Stream};
use crate::progress::Progress;
use crate::pulumi::{events, PreviewRun, PulumiError, Stack};
use crate::report::infra::failure_markdown;
use crate::report::sink::SummarySink;
use crate::report::{Action, AppliedChanges, Failure, InfraReport, Outcome, SUMMARY_LIMIT};
use crate::{Error, Exit, Refusal};

mod saved_plan;

/// The failure after an apply sits under the result section's heading.
const APPLIED_FAILURE_HEADING: &str = "#### What went wrong";

/// Room kept for the result section that `up` appends after the preview.
const APPLIED_RESERVE: usize = 48 * 1024;

pub(crate) fn preview(
    ctx: &Context,
    args: StackArgs,
    pr_comment: bool,
    save_plan: Option<PathBuf>,
) -> Result<Exit, Error> {
    // Checked before Pulumi runs: a missing token should not cost a preview.
    let pull_request = pr_comment
        .then(|| PullRequest::from_env(&*ctx.var))
        .transpose()
        .map_err(Error::PrComment)?;
    check_plan_path(save_plan.as_deref())?;
    if let Some(cdk) = stack::cdk_layer(ctx, args.layer, &args.env)? {
        return super::cdk::preview(ctx, &args, &cdk, pull_request, save_plan);
    }
    // Pull request code never creates a stack in the shared backend: the
    // stack appears when a reviewed change is applied, not before.
    let selection = match pull_request {
        Some(_) => Selection::ExistingOnly,
        None => Selection::CreateIfMissing,
    };
    let mut run = Run::start(ctx, &args, Action::Preview, selection)?;
    run.pulumi_plan_wanted = save_plan.is_some();
    // A stack that does not exist yet has nothing to preview, which is not a failure.
    let exists = run.report.outcome != Outcome::NotCreatedYet;
    let previewed = !exists || run.preview()?;
    if let (Some(path), true, true) = (&save_plan, previewed, exists) {
        run.save_plan(path, Action::Up)?;
    }
    run.publish_preview(SUMMARY_LIMIT);
    if let Some(pr) = pull_request {
        comment_on(&pr, &run.report)?;
    }
    Ok(run.finish(previewed))
}

/// Posts the preview on the pull request, or edits the comment posted
/// there before for the same stack.
pub(crate) fn comment_on(pr: &PullRequest, report: &InfraReport) -> Result<(), Error> {
    let marker = pr_comment::marker(&report.layer, &report.env);
    let body = report.preview_markdown(pr_comment::COMMENT_LIMIT - marker.len() - 1);
    let posted = pr_comment::upsert(pr, &marker, &body).map_err(Error::PrComment)?;
    tracing::info!("pull request #{}: comment {posted:?}", pr.number);
    Ok(())
}

/// How `up` goes about it.
pub(crate) struct UpMode {
    pub dry_run: bool,
    pub yes: bool,
    /// A saved plan the preview must still match.
    pub plan: Option<PathBuf>,
    /// With `dry_run`: write the preview's plan here (`deploy --dry-run
    /// --save-stack-plan`).
    pub save_plan: Option<PathBuf>,
    /// Something else prints on stdout (`deploy --json`: the update's
    /// JSON), so the stack's summary must not go there.
    pub stdout_taken: bool,
}

pub(crate) fn up(ctx: &Context, args: StackArgs, mode: UpMode) -> Result<Exit, Error> {
    if let Some(cdk) = stack::cdk_layer(ctx, args.layer, &args.env)? {
        return super::cdk::up(ctx, &args, &cdk, mode);
    }
    let UpMode {
        dry_run,
        yes,
        plan,
        save_plan,
        stdout_taken,
    } = mode;
    check_plan_path(save_plan.as_deref())?;
    let approved = load_plan(plan.as_deref(), &args, Action::Up, Engine::Pulumi)?;
    let mut run = Run::start(ctx, &args, Action::Up, Selection::CreateIfMissing)?;
    if stdout_taken {
        run.sink = ctx.sink(args.output.summary.clone(), true);
    }
    run.pulumi_plan_wanted = save_plan.is_some();
    if !run.preview()? {
        run.publish_preview(SUMMARY_LIMIT - APPLIED_RESERVE);
        return Ok(run.finish(false));
    }
    if let Some((path, approved)) = &approved {
        if !run.matches_plan(path, approved)? {
            run.publish_preview(SUMMARY_LIMIT);
            return Ok(run.finish_changed());
        }
        run.write_pulumi_plan(approved)?;
    }
    if dry_run {
        if let Some(path) = &save_plan {
            run.save_plan(path, Action::Up)?;
        }
        run.report.outcome = Outcome::Previewed;
        run.publish_preview(SUMMARY_LIMIT);
        return Ok(run.finish(true));
    }
    let has_changes = run.report.changes.as_ref().is_some_and(ChangeSet::has_changes);
    run.publish_preview(SUMMARY_LIMIT - APPLIED_RESERVE);
    if !has_changes {
        tracing::info!("nothing to apply");
        return Ok(run.finish(true));
    }
    if !yes && !confirm::ask(Question::YesNo("Apply these changes?"))? {
        return Err(Refusal::NotConfirmed(Action::Up).into());
    }
    let applied = run.apply()?;
    Ok(run.finish(applied))
}

pub(crate) fn destroy(
    ctx: &Context,
    args: StackArgs,
    yes: bool,
    save_plan: Option<PathBuf>,
    plan: Option<PathBuf>,
) -> Result<Exit, Error> {
    if let Some(cdk) = stack::cdk_layer(ctx, args.layer, &args.env)? {
        return super::cdk::destroy(ctx, &args, &cdk, yes, save_plan, plan);
    }
    check_plan_path(save_plan.as_deref())?;
    let approved = load_plan(plan.as_deref(), &args, Action::Destroy, Engine::Pulumi)?;
    let mut run = Run::start(ctx, &args, Action::Destroy, Selection::CreateIfMissing)?;
    let previewed = run.preview()?;
    if let (Some(path), true) = (&save_plan, previewed) {
        run.save_plan(path, Action::Destroy)?;
        run.report.outcome = Outcome::Previewed;
        run.publish_preview(SUMMARY_LIMIT);
        return Ok(run.finish(true));
    }
    if let (Some((path, approved)), true) = (&approved, previewed) {
        if !run.matches_plan(path, approved)? {
            run.publish_preview(SUMMARY_LIMIT);
            return Ok(run.finish_changed());
        }
    }
    run.publish_preview(SUMMARY_LIMIT - APPLIED_RESERVE);
    if !previewed {
        return Ok(run.finish(false));
    }
    let env = args.env.clone();
    let prompt = format!(
        "Destroy every resource of the {} stack `{env}`? Type the env name to confirm",
        args.layer
    );
    if !yes
        && !confirm::ask(Question::TypeToConfirm {
            prompt: &prompt,
            expected: env.as_str(),
        })?
    {
        return Err(Refusal::NotConfirmed(Action::Destroy).into());
    }
    let destroyed = run.apply()?;
    Ok(run.finish(destroyed))
}

/// What a run does when its stack does not exist yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Selection {
    CreateIfMissing,
    /// Leave the backend as it is and report the stack as not created yet.
    ExistingOnly,
}

/// The state of one infrastructure command as it goes.
struct Run<'a> {
    ctx: &'a Context,
    stack: Stack,
    sink: SummarySink,
    json: bool,
    report: InfraReport,
    /// Ask Pulumi for its own update plan during the preview.
    pulumi_plan_wanted: bool,
    /// Holds Pulumi's plan file (written by the preview, or from an
    /// approved plan for the apply) for as long as the run lasts.
    workdir: tempfile::TempDir,
    pulumi_plan: Option<PathBuf>,
}

impl<'a> Run<'a> {
    fn start(ctx: &'a Context, args: &StackArgs, action: Action, selection: Selection) -> Result<Self, Error> {
        let sink = ctx.sink(args.output.summary.clone(), args.output.json);
        ctx.check_outputs(&sink)?;
        let stack = stack::prepare(ctx, args.layer, &args.env)?;
        let exists = match selection {
            Selection::CreateIfMissing => stack.select_or_create().map(|()| true)?,
            Selection::ExistingOnly => stack.select_existing()?,
        };
        if !exists {
            tracing::info!("stack `{}` does not exist yet; previewing nothing", args.env);
        }
        let workdir = event_dir()?;
        Ok(Run {
            ctx,
            stack,
            sink,
            json: args.output.json,
            pulumi_plan_wanted: false,
            workdir,
            pulumi_plan: None,
            report: InfraReport {
                outcome: if exists {
                    Outcome::Succeeded
                } else {
                    Outcome::NotCreatedYet
                },
                ..InfraReport::started(args.layer.as_str(), args.env.as_str(), action)
            },
        })
    }

    /// Previews; `Ok(false)` when the preview failed (and the report says why).
    fn preview(&mut self) -> Result<bool, Error> {
        let label = format!("previewing the {} stack `{}`", self.report.layer, self.report.env);
        let progress = Progress::start(self.ctx.progress, &label);
        let events_dir = event_dir()?;
        // stdout is the JSON digest; only stderr is progress.
        let pulumi_plan = self.workdir.path().join("pulumi-plan.json");
        let result = self.stack.preview(
            self.report.action,
            &events_dir.path().join("preview.jsonl"),
            self.pulumi_plan_wanted.then_some(pulumi_plan.as_path()),
            &mut |stream, line| {
                if stream == Stream::Stderr {
                    progress.line(line);
                }
            },
        );
        let PreviewRun {
            finished,
            digest,
            stack_outputs,
        } = match result {
            Ok(run) => run,
            Err(err) => {
                progress.finish("preview stopped");
                return self.stopped(err);
            }
        };
        if let Ok(digest) = &digest {
            let mut changes = ChangeSet::from_digest(digest);
            if let Some(outputs) = &stack_outputs {
                changes = changes.with_stack_outputs(&outputs.old, &outputs.new);
            }
            self.report.changes = Some(changes);
        }
        let ok = finished.success() && digest.is_ok();
        if !ok {
            self.report.outcome = Outcome::Failed;
            let mut message = format!(
                "`{}` {}",
                finished.command,
                crate::process::ExitDescription(finished.status)
            );
            if let Err(e) = &digest {
                message.push_str(&format!("; {e}"));
            }
            self.report.failure = Some(Failure {
                message,
                stderr_tail: finished.stderr_tail.clone(),
            });
        }
        progress.finish(if ok { "preview done" } else { "preview failed" });
        if let (Some(actions), Some(changes)) = (&self.ctx.actions, &self.report.changes) {
            actions.annotate(changes);
            if let Err(e) = actions.write_outputs(changes) {
                tracing::warn!("could not write $GITHUB_OUTPUT: {e}");
            }
        }
        Ok(ok)
    }

    /// A lock or an interrupt stops the command, but the summary still says so.
    fn stopped<T>(&mut self, err: PulumiError) -> Result<T, Error> {
        let Some((outcome, failure)) = stop_report(&err) else {
            return Err(err.into());
        };
        self.report.outcome = outcome;
        self.report.failure = Some(failure);
        self.publish_preview(SUMMARY_LIMIT);
        self.print_json();
        self.flush_sink();
        Err(err.into())
    }

    fn publish_preview(&mut self, limit: usize) {
        let markdown = self.report.preview_markdown(limit);
        self.sink.write_or_log(&markdown);
    }

    /// Applies; `Ok(false)` when Pulumi failed (and the report says why).
    fn apply(&mut self) -> Result<bool, Error> {
        let action = self.report.action;
        let verb = if action == Action::Destroy {
            "destroying"
        } else {
            "updating"
        };
        let label = format!("{verb} the {} stack `{}`", self.report.layer, self.report.env);
        let progress = Progress::start(self.ctx.progress, &label);
        let events_dir = event_dir()?;
        let event_log = events_dir.path().join("events.jsonl");
        let started = Instant::now();
        let plan = self.pulumi_plan.as_deref();
        let result = self
            .stack
            .apply(action, &event_log, plan, &mut |_, line| progress.line(line));
        let elapsed = started.elapsed().as_secs_f64();
        let summary = events::read_summary(&event_log)?.unwrap_or_default();
        let mut applied = AppliedChanges {
            duration_secs: summary.duration_secs.unwrap_or(elapsed),
            counts: summary.counts,
            unchanged: summary.unchanged,
            outputs: Default::default(),
        };
        let ok = match result {
            Ok(_) => {
                progress.finish("done");
                true
            }
            Err(PulumiError::Process(ProcessError::Status {
                command,
                status,
                stderr_tail,
            })) => {
                progress.finish("failed");
                self.report.failure = Some(Failure {
                    message: format!("`{command}` {status}"),
                    stderr_tail,
                });
                false
            }
            Err(err) => {
                progress.finish("stopped");
                self.report.applied = Some(applied);
                return self.stopped_after_apply(err);
            }
        };
        if action != Action::Destroy {
            match self.stack.outputs() {
                Ok(outputs) => {
                    applied.outputs = outputs.iter().map(|(k, v)| (k.clone(), render(v, 500))).collect();
                }
                Err(e) => tracing::warn!("could not read the stack outputs: {e}"),
            }
        }
        self.report.outcome = if ok { Outcome::Succeeded } else { Outcome::Failed };
        self.report.applied = Some(applied);
        self.sink.write_or_log(&self.report.applied_markdown());
        if !ok {
            if let Some(f) = &self.report.failure {
                self.sink.write_or_log(&failure_markdown(f, APPLIED_FAILURE_HEADING));
            }
        }
        Ok(ok)
    }

    fn stopped_after_apply<T>(&mut self, err: PulumiError) -> Result<T, Error> {
        let (outcome, failure) = stop_report(&err).unwrap_or_else(|| {
            let failure = Failure {
                message: err.to_string(),
                stderr_tail: String::new(),
            };
            (Outcome::Failed, failure)
        });
        self.report.outcome = outcome;
        self.sink.write_or_log(&self.report.applied_markdown());
        self.sink
            .write_or_log(&failure_markdown(&failure, APPLIED_FAILURE_HEADING));
        self.report.failure = Some(failure);
        self.print_json();
        self.flush_sink();
        Err(err.into())
    }

    fn print_json(&self) {
        if self.json {
            if let Err(e) = printer::json(&self.report) {
                tracing::error!("could not print the JSON result: {e}");
            }
        }
    }

    fn flush_sink(&mut self) {
        let sink = std::mem::replace(&mut self.sink, SummarySink::resolve(None, None, true));
        sink.finish();
    }

    fn finish(mut self, ok: bool) -> Exit {
        self.print_json();
        self.flush_sink();
        if ok {
            Exit::Success
        } else {
            if let Some(f) = &self.report.failure {
                tracing::error!("{}", f.message);
            }
            Exit::Failed
        }
    }
}

/// A lock or an interrupt stops the command, but its summary still says so:
/// the outcome and the failure to report, or `None` for other errors.
fn stop_report(err: &PulumiError) -> Option<(Outcome, Failure)> {
    let (outcome, stderr_tail) = match err {
        PulumiError::Locked { stderr_tail, .. } => (Outcome::Locked, stderr_tail),
        PulumiError::Process(ProcessError::Interrupted { stderr_tail, .. }) => (Outcome::Interrupted, stderr_tail),
        _ => return None,
    };
    let failure = Failure {
        message: err.to_string(),
        stderr_tail: stderr_tail.clone(),
    };
    Some((outcome, failure))
}

fn event_dir() -> Result<tempfile::TempDir, Error> {
    tempfile::tempdir().map_err(|source| Error::Setup {
        what: "a folder for Pulumi's event log",
        source,
    })
}
