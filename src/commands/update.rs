//! `stackpilot update <env>` and `stackpilot deploy <env>`: parse and check
//! everything, then hand the run to [`crate::ecs::update`] on a small tokio
//! runtime, then publish its report.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::cli::{DeployArgs, OutputArgs, StackArgs, UpdateArgs};
use crate::commands::update_board::Board;
use crate::commands::{check_plan_path, infra, stack, Context};
use crate::contract::{Contract, ImageTag};
use crate::ecs::pacing::Pacing;
use crate::ecs::update::{ApprovedPlan, UpdateOptions, UpdateRequest};
use crate::names::{EnvName, Layer};
use crate::outcome::update::{UpdateOutcome, UpdateReport};
use crate::plan::update::{Reading, Target, UpdatePlan};
use crate::report::sink::SummarySink;
use crate::report::SUMMARY_LIMIT;
use crate::{aws, printer, Error, Exit, Refusal};

/// Which image kind of the contract each flag sets.
const BACKEND: &str = "backend";
const FRONTEND: &str = "frontend";

pub(crate) fn update(ctx: &Context, args: UpdateArgs) -> Result<Exit, Error> {
    let (env, tags) = (args.env.clone(), requested_tags(&args));
    let sink = ctx.sink(args.output.summary.clone(), args.output.json);
    ctx.check_outputs(&sink)?;
    check_plan_path(args.save_plan.as_deref())?;
    check_poll_interval(ctx, args.poll_interval)?;
    let approved = load_plan(&args, &env, &tags)?;
    let contract = resolve_contract(ctx, &args, &env)?;
    execute(ctx, &args, env, tags, contract, sink, approved)
}

/// `up app <env>`, then the update. A failed or previewed-only `up` stops
/// before any ECS call.
///
/// `--save-stack-plan`/`--save-plan` (with `--dry-run`) write both plans;
/// `--stack-plan`/`--plan` apply only what they hold. The update's plan is
/// checked after the stack was applied: an app stack that changes task
/// definitions makes it differ (exit 6, the stack applied, no service
/// touched).
pub(crate) fn deploy(ctx: &Context, deploy: DeployArgs) -> Result<Exit, Error> {
    let DeployArgs {
        update: args,
        save_stack_plan,
        stack_plan,
    } = deploy;
    let (env, tags) = (args.env.clone(), requested_tags(&args));
    if args.contract.is_some() {
        return Err(Refusal::ContractFileWithDeploy.into());
    }
    // Both the stack's summary and the update's go to the same place.
    ctx.check_outputs(&ctx.sink(args.output.summary.clone(), args.output.json))?;
    check_plan_path(args.save_plan.as_deref())?;
    check_plan_path(save_stack_plan.as_deref())?;
    check_poll_interval(ctx, args.poll_interval)?;
    let approved = load_plan(&args, &env, &tags)?;
    let up_args = StackArgs {
        layer: Layer::App,
        env: env.clone(),
        output: OutputArgs {
            summary: args.output.summary.clone(),
            // One JSON object on stdout: the update's.
            json: false,
        },
    };
    let mode = infra::UpMode {
        dry_run: args.dry_run,
        yes: true,
        plan: stack_plan,
        save_plan: save_stack_plan,
        stdout_taken: args.output.json,
    };
    let applied = infra::up(ctx, up_args, mode)?;
    if applied != Exit::Success {
        return Ok(applied);
    }
    let contract = resolve_contract(ctx, &args, &env)?;
    // The stack's summary is already in the file: the update's goes after
    // it, as if the file were the step summary.
    let sink = match args.output.summary.clone() {
        Some(path) => SummarySink::resolve(None, Some(path), args.output.json),
        None => ctx.sink(None, args.output.json),
    };
    execute(ctx, &args, env, tags, contract, sink, approved)
}

/// Reads `--plan` and refuses one made for another env or other tags,
/// before any AWS call.
fn load_plan(
    args: &UpdateArgs,
    env: &EnvName,
    tags: &BTreeMap<String, ImageTag>,
) -> Result<Option<ApprovedPlan>, Error> {
    let Some(path) = &args.plan else { return Ok(None) };
    let plan: UpdatePlan = crate::plan::read(path)?;
    let tags: BTreeMap<String, String> = tags.iter().map(|(k, v)| (k.clone(), v.to_string())).collect();
    plan.check_target(
        path,
        Target {
            env: env.as_str(),
            tags: &tags,
        },
    )?;
    Ok(Some(ApprovedPlan {
        file: path.display().to_string(),
        plan,
    }))
}

/// `--save-plan`: the dry run's report, as the plan a reviewer approves.
fn save_plan(path: &std::path::Path, report: &mut UpdateReport) -> Result<(), Error> {
    let plan = UpdatePlan::new(Reading {
        env: &report.env,
        cluster: &report.cluster,
        tags: &report.tags,
        revisions: &report.revisions,
        services: report.services.iter().collect(),
        migration: report.migration.as_ref(),
    })?;
    crate::plan::write(path, &plan)?;
    report.plan = Some(crate::outcome::PlanCheck {
        file: path.display().to_string(),
        fingerprint: plan.fingerprint,
        saved: true,
        differences: Vec::new(),
    });
    Ok(())
}

/// The image kind each flag sets, for the flags that were given.
fn requested_tags(args: &UpdateArgs) -> BTreeMap<String, ImageTag> {
    [(BACKEND, &args.backend), (FRONTEND, &args.frontend)]
        .into_iter()
        .filter_map(|(kind, tag)| Some((kind.to_owned(), tag.clone()?)))
        .collect()
}

fn resolve_contract(ctx: &Context, args: &UpdateArgs, env: &EnvName) -> Result<Contract, Error> {
    let contract = match &args.contract {
        Some(path) => Contract::from_file(path)?,
        None => Contract::from_stack_outputs(&stack::outputs(ctx, Layer::App, env)?, env.as_str())?,
    };
    for kind in [BACKEND, FRONTEND] {
        let asked = if kind == BACKEND { &args.backend } else { &args.frontend };
        if asked.is_some() && !contract.images.contains_key(kind) {
            return Err(Refusal::ImageNotInContract {
                kind: kind.to_owned(),
                available: contract.images.keys().cloned().collect(),
            }
            .into());
        }
    }
    Ok(contract)
}

fn execute(
    ctx: &Context,
    args: &UpdateArgs,
    env: EnvName,
    tags: BTreeMap<String, ImageTag>,
    contract: Contract,
    mut sink: SummarySink,
    approved: Option<ApprovedPlan>,
) -> Result<Exit, Error> {
    let min = Duration::from_secs_f64(args.poll_interval);
    let request = UpdateRequest {
        env: env.to_string(),
        options: UpdateOptions {
            dry_run: args.dry_run,
            rollback: !args.no_rollback,
            force: args.force,
            timeout: Duration::from_secs(args.timeout),
            no_progress: Duration::from_secs(args.no_progress_timeout),
            failed_tasks_threshold: args.failed_tasks_threshold,
            bake: Duration::from_secs(args.bake),
            approved,
            pacing: Pacing {
                min,
                max: Duration::from_secs(15).max(min),
                ..Pacing::default()
            },
        },
        contract,
        tags,
    };
    let runtime = crate::commands::runtime()?;
    let label = format!(
        "{} `{}` in cluster `{}`",
        if args.dry_run {
            "planning the update of"
        } else {
            "updating"
        },
        env,
        request.contract.cluster
    );
    let config = runtime.block_on(aws::sdk_config(&request.contract.region));
    tracing::debug!("AWS endpoint: {}", aws::endpoint_of(&config));
    let lease = match args.dry_run {
        true => None,
        false => runtime.block_on(take_lease(ctx, &config, &env))?,
    };
    let board = Board::start(ctx.progress, &label);
    let result = runtime.block_on(async {
        let clients = aws::Clients::from_config(&config);
        let update = crate::ecs::update::run(&clients, &request, &board);
        let Some(lease) = lease else { return update.await };
        tokio::pin!(update);
        let result = tokio::select! {
            biased;
            result = &mut update => result,
            () = lease.keep_renewed() => update.await,
        };
        // Released on every way out, Ctrl-C included (the engine returns
        // an interrupted report rather than stopping here).
        if let Err(e) = lease.release().await {
            tracing::warn!(
                "{e}; it expires by itself at {}",
                crate::lease::when(crate::lease::now() + crate::lease::TTL.as_secs() as i64)
            );
        }
        result
    });
    let mut report = match result {
        Ok(report) => report,
        Err(err) => {
            board.finish("stopped");
            return Err(err.into());
        }
    };
    board.finish(outcome_word(report.outcome));
    if let (Some(path), UpdateOutcome::Planned) = (&args.save_plan, report.outcome) {
        save_plan(path, &mut report)?;
    }
    publish(&report, &mut sink, args.output.json);
    sink.finish();
    Ok(exit_of(&report))
}

/// The env's deploy lease in the state bucket: the bucket of an `s3://`
/// `PULUMI_BACKEND_URL`, else the bootstrap stack's. With neither, runs
/// are serialised only by the ECS checks (a deployment in progress).
async fn take_lease(
    ctx: &Context,
    config: &aws_config::SdkConfig,
    env: &EnvName,
) -> Result<Option<crate::lease::Lease>, Error> {
    let from_backend = (ctx.var)("PULUMI_BACKEND_URL")
        .and_then(|u| url::Url::parse(&u).ok())
        .filter(|u| u.scheme() == "s3")
        .and_then(|u| u.host_str().map(str::to_owned));
    let bucket = match from_backend {
        Some(bucket) => Some(bucket),
        None if crate::bootstrap::lookup::aws_configured(&*ctx.var) => {
            let stack = crate::bootstrap::lookup::stack_name(&*ctx.var).map_err(crate::backend::BackendError::from)?;
            crate::bootstrap::lookup::find_with(config, &stack)
                .await
                .map_err(crate::backend::BackendError::from)?
                .map(|found| found.outputs.state_bucket)
        }
        None => None,
    };
    let Some(bucket) = bucket else {
        tracing::warn!(
            "no state bucket (no bootstrap stack, no s3:// PULUMI_BACKEND_URL): runs of `{env}` are not serialised beyond the check for a deployment in progress"
        );
        return Ok(None);
    };
    let holder = crate::lease::identify(&*ctx.var);
    Ok(Some(
        crate::lease::Lease::acquire(&aws::s3_client(config), &bucket, env.as_str(), holder).await?,
    ))
}

/// The JSON first, then the summary: neither failing hides the other or
/// the exit code, which says what happened to the services.
fn publish(report: &UpdateReport, sink: &mut SummarySink, json: bool) {
    if json {
        if let Err(e) = printer::json(report) {
            tracing::error!("could not print the JSON result: {e}");
        }
    }
    sink.write_or_log(&report.markdown(SUMMARY_LIMIT));
    if let Some(message) = &report.message {
        match report.outcome {
            UpdateOutcome::Succeeded | UpdateOutcome::NothingToDo | UpdateOutcome::Planned => {
                tracing::info!("{message}")
            }
            _ => tracing::error!("{message}"),
        }
    }
}

/// The floor under `--poll-interval` against AWS: faster polling only
/// spends the account's API rate. The local sandbox runs on a scaled
/// clock, so there (a loopback endpoint) the interval scales down with it.
const MIN_POLL_INTERVAL_AWS: f64 = 0.5;

fn check_poll_interval(ctx: &Context, secs: f64) -> Result<(), Error> {
    if secs >= MIN_POLL_INTERVAL_AWS {
        return Ok(());
    }
    let endpoint = (ctx.var)("AWS_ENDPOINT_URL_ECS").or_else(|| (ctx.var)("AWS_ENDPOINT_URL"));
    if endpoint.as_deref().is_some_and(aws::is_loopback) {
        return Ok(());
    }
    Err(Refusal::PollTooFast {
        secs,
        floor: MIN_POLL_INTERVAL_AWS,
    }
    .into())
}

fn outcome_word(outcome: UpdateOutcome) -> &'static str {
    match outcome {
        UpdateOutcome::Succeeded => "updated",
        UpdateOutcome::NothingToDo => "already up to date",
        UpdateOutcome::Planned => "planned",
        UpdateOutcome::Failed => "failed",
        UpdateOutcome::RolledBack => "failed and rolled back",
        UpdateOutcome::TimedOut => "timed out",
        UpdateOutcome::Unknown => "outcome unknown",
        UpdateOutcome::ChangedSinceApproved => "changed since it was approved",
        UpdateOutcome::Interrupted => "interrupted",
    }
}

pub(crate) fn exit_of(report: &UpdateReport) -> Exit {
    match report.outcome {
        UpdateOutcome::Succeeded | UpdateOutcome::NothingToDo | UpdateOutcome::Planned => Exit::Success,
        UpdateOutcome::Failed => Exit::Failed,
        UpdateOutcome::RolledBack => Exit::RolledBack,
        // Exit 4: the deadline passed before stackpilot could tell.
        UpdateOutcome::TimedOut | UpdateOutcome::Unknown => Exit::TimedOut,
        UpdateOutcome::Interrupted => Exit::Interrupted,
        UpdateOutcome::ChangedSinceApproved => Exit::Changed,
    }
}
