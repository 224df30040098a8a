//! One module per command; this one dispatches and holds what they share.

mod bootstrap;
mod cdk;
mod cfn_stack;
mod confirm;
mod doctor;
mod infra;
mod outputs;
mod stack;
mod summarize;
mod update;
mod update_board;

use std::path::PathBuf;

use crate::cli::{Cli, Command, ContractCommand};
use crate::github::Actions;
use crate::report::sink::SummarySink;
use crate::{printer, progress};
use crate::{Error, Exit};

/// What every command gets from the process environment, read once.
pub(crate) struct Context {
    pub root: Option<PathBuf>,
    pub cwd: PathBuf,
    pub actions: Option<Actions>,
    pub progress: progress::Mode,
    pub var: EnvReader,
}

/// Reads one environment variable; tests of the commands swap it.
pub(crate) type EnvReader = Box<dyn Fn(&str) -> Option<String>>;

impl Context {
    fn from_process(root: Option<PathBuf>) -> Result<Self, Error> {
        let var = |k: &str| std::env::var(k).ok();
        let actions = Actions::detect(var);
        let cwd = std::env::current_dir().map_err(|source| Error::Setup {
            what: "the current folder",
            source,
        })?;
        Ok(Context {
            root,
            cwd,
            progress: progress::Mode::detect(actions.is_some()),
            actions,
            var: Box::new(var),
        })
    }

    /// Exit 2 before the first AWS or Pulumi call when the summary or a
    /// GitHub Actions file cannot be written.
    pub fn check_outputs(&self, sink: &SummarySink) -> Result<(), Error> {
        sink.check().map_err(Error::OutputNotWritable)?;
        if let Some(actions) = &self.actions {
            actions.check_writable().map_err(Error::OutputNotWritable)?;
        }
        Ok(())
    }

    pub fn sink(&self, explicit: Option<PathBuf>, json: bool) -> SummarySink {
        let step_summary = self.actions.as_ref().and_then(|a| a.step_summary.clone());
        SummarySink::resolve(explicit, step_summary, json)
    }
}

/// The async runtime a command's AWS calls run on.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    crate::aws::runtime().map_err(|source| Error::Setup {
        what: "the async runtime",
        source,
    })
}

/// Exit 2 before the first AWS or Pulumi call when a plan could not be
/// written where `--save-plan` (or `--save-stack-plan`) says.
pub(crate) fn check_plan_path(path: Option<&std::path::Path>) -> Result<(), Error> {
    match path {
        Some(path) => crate::report::sink::check_writable(path).map_err(Error::OutputNotWritable),
        None => Ok(()),
    }
}

/// Reads the approved plan of `up --plan`/`destroy --plan`, refusing one
/// made for another stack, command or engine before anything runs.
pub(crate) fn load_plan(
    path: Option<&std::path::Path>,
    args: &crate::cli::StackArgs,
    action: crate::report::Action,
    engine: crate::engine::Engine,
) -> Result<Option<(PathBuf, crate::plan::infra::InfraPlan)>, Error> {
    let Some(path) = path else { return Ok(None) };
    let asked = crate::plan::infra::Target {
        layer: args.layer.as_str(),
        env: args.env.as_str(),
        engine,
        action,
    };
    Ok(Some((
        path.to_owned(),
        crate::plan::infra::InfraPlan::load(path, asked)?,
    )))
}

pub(crate) fn dispatch(cli: Cli) -> Result<Exit, Error> {
    let ctx = Context::from_process(cli.root)?;
    match cli.command {
        Command::Preview {
            stack,
            pr_comment,
            save_plan,
        } => infra::preview(&ctx, stack, pr_comment, save_plan),
        Command::Up {
            stack,
            dry_run,
            yes,
            plan,
        } => {
            let mode = infra::UpMode {
                dry_run,
                yes,
                plan,
                save_plan: None,
                stdout_taken: false,
            };
            infra::up(&ctx, stack, mode)
        }
        Command::Destroy {
            stack,
            yes,
            save_plan,
            plan,
        } => infra::destroy(&ctx, stack, yes, save_plan, plan),
        Command::Outputs { layer, env, json } => outputs::run(&ctx, layer, &env, json),
        Command::Summarize { preview, output } => summarize::run(&ctx, &preview, output),
        Command::Update(args) => update::update(&ctx, args),
        Command::Deploy(args) => update::deploy(&ctx, args),
        Command::Bootstrap(args) => bootstrap::run(&ctx, args),
        Command::Doctor { env, json } => doctor::run(&ctx, &env, json),
        Command::Engine { layer, json } => stack::print_engine(&ctx, layer, json),
        Command::Contract(ContractCommand::Schema) => {
            printer::result(&crate::contract::Contract::schema_json()).map_err(Error::Print)?;
            Ok(Exit::Success)
        }
    }
}
