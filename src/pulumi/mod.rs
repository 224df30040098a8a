//! Driving the Pulumi CLI. Every call goes through [`crate::process`] with
//! the same global flags, so none of them can prompt, colour, or stop to
//! check for updates.

pub mod events;
mod lock;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::backend::Backend;
use crate::names::EnvName;
use crate::outcome::infra::Action;
use crate::preview::{self, PreviewDigest, PreviewError};
use crate::process::{Finished, Invocation, ProcessError, Program, Stream};

pub use events::EventLogError;
pub use lock::LockHolder;

#[derive(Debug, thiserror::Error)]
pub enum PulumiError {
    #[error(
        "`pulumi` is not on PATH; install the Pulumi CLI (https://www.pulumi.com/docs/install/, or `scripts/install-tools` in this repository, which builds it from the Go module proxy) and try again"
    )]
    NotInstalled,
    #[error(transparent)]
    Process(#[from] ProcessError),
    #[error("the stack is locked by another update{}", describe_holders(.holders))]
    Locked {
        holders: Vec<LockHolder>,
        stderr_tail: String,
    },
    #[error("stack `{env}` does not exist in this backend yet; create it with `stackpilot up <layer> {env}`")]
    NoStack { env: String },
    #[error("`pulumi stack output --json` printed something that is not JSON")]
    OutputsJson(#[source] serde_json::Error),
    #[error("`pulumi stack history --json` printed something stackpilot could not read")]
    HistoryJson(#[source] serde_json::Error),
}

fn describe_holders(holders: &[LockHolder]) -> String {
    if holders.is_empty() {
        return String::new();
    }
    let list: Vec<String> = holders.iter().map(ToString::to_string).collect();
    format!(" ({}); wait for it to finish. stackpilot never cancels someone else's update: if you are sure it is dead, run `pulumi cancel` yourself", list.join("; "))
}

/// A failed call whose output carries Pulumi's lock error becomes
/// [`PulumiError::Locked`]; anything else passes through.
fn fail_if_locked(finished: Finished) -> Result<Finished, PulumiError> {
    if finished.success() {
        return Ok(finished);
    }
    match lock::holders(&finished.stderr_tail).or_else(|| lock::holders(&finished.stdout)) {
        Some(holders) => Err(PulumiError::Locked {
            holders,
            stderr_tail: finished.stderr_tail,
        }),
        None => Ok(finished),
    }
}

/// Pulumi's answer when the stack named by `--stack` does not exist.
fn is_missing_stack(finished: &Finished) -> bool {
    !finished.success() && finished.stderr_tail.contains("no stack named")
}

/// Finds `pulumi` on PATH.
pub fn locate() -> Result<Program, PulumiError> {
    which::which("pulumi")
        .map(|path| Program::at("pulumi", path))
        .map_err(|_| PulumiError::NotInstalled)
}

/// One stack of one project, ready to be driven.
#[derive(Debug, Clone)]
pub struct Stack {
    program: Program,
    project_dir: PathBuf,
    backend: Backend,
    env: EnvName,
    /// `stacks/<layer>/Pulumi.<env>.yaml`, whose text a saved plan pins.
    pub config_file: PathBuf,
}

/// The result of `pulumi preview --json`: the process, and the digest when
/// its stdout could be read (also when the preview failed).
#[derive(Debug)]
pub struct PreviewRun {
    pub finished: Finished,
    pub digest: Result<PreviewDigest, PreviewError>,
    /// The root stack's outputs from the event log; the digest lacks them.
    pub stack_outputs: Option<events::StackOutputs>,
}

impl Stack {
    pub fn new(program: Program, project_dir: &Path, backend: Backend, env: EnvName, config_file: PathBuf) -> Self {
        Stack {
            program,
            project_dir: project_dir.to_path_buf(),
            backend,
            env,
            config_file,
        }
    }

    fn command(&self) -> Invocation {
        Invocation::new(&self.program)
            .current_dir(&self.project_dir)
            .env("PULUMI_BACKEND_URL", &self.backend.url)
            .env("PULUMI_SKIP_UPDATE_CHECK", "true")
            // `--event-log`, which the Automation API also relies on, is
            // only accepted with this set.
            .env("PULUMI_DEBUG_COMMANDS", "true")
    }

    fn stack_command<I: IntoIterator<Item = &'static str>>(&self, verb: I) -> Invocation {
        self.command()
            .args(verb)
            .args(["--stack", self.env.as_str(), "--non-interactive", "--color", "never"])
    }

    /// Turns a failed call into [`PulumiError::Locked`] when the failure was
    /// a lock, and into [`ProcessError::Status`] otherwise.
    fn classify(&self, finished: Finished) -> Result<Finished, PulumiError> {
        let finished = fail_if_locked(finished)?;
        Ok(finished.check()?)
    }

    /// Selects the stack, creating it when it does not exist yet.
    /// A stack created here gets the backend's secrets provider (the
    /// bootstrap key) when it names one.
    pub fn select_or_create(&self) -> Result<(), PulumiError> {
        let mut cmd = self.command().args([
            "stack",
            "select",
            "--create",
            self.env.as_str(),
            "--non-interactive",
            "--color",
            "never",
        ]);
        if let Some(provider) = &self.backend.secrets_provider {
            cmd = cmd.arg("--secrets-provider").arg(provider);
        }
        let finished = cmd.run(&mut |_, _| {})?;
        self.classify(finished).map(|_| ())
    }

    /// Selects the stack only when it exists: `Ok(false)` when it does not,
    /// and nothing is written to the backend.
    pub fn select_existing(&self) -> Result<bool, PulumiError> {
        let finished = self.stack_command(["stack", "select"]).run(&mut |_, _| {})?;
        if is_missing_stack(&finished) {
            return Ok(false);
        }
        self.classify(finished).map(|_| true)
    }

    /// Runs `pulumi preview --json`. A failed preview is not an error here:
    /// its digest still says what went wrong. A lock is.
    ///
    /// With `save_plan`, Pulumi also writes its own update plan there
    /// (`--save-plan`, still marked experimental, hence the variable);
    /// destroy previews have none.
    pub fn preview(
        &self,
        action: Action,
        event_log: &Path,
        save_plan: Option<&Path>,
        on_line: &mut dyn FnMut(Stream, &str),
    ) -> Result<PreviewRun, PulumiError> {
        let mut cmd = match action {
            Action::Destroy => self.stack_command(["destroy", "--preview-only", "--json"]),
            Action::Preview | Action::Up | Action::Summarize => self.stack_command(["preview", "--json"]),
        };
        if let (Some(path), false) = (save_plan, action == Action::Destroy) {
            cmd = cmd.env("PULUMI_EXPERIMENTAL", "true").arg("--save-plan").arg(path);
        }
        let finished = fail_if_locked(cmd.arg("--event-log").arg(event_log).run(on_line)?)?;
        let digest = preview::parse(&finished.stdout);
        let stack_outputs = match events::read_stack_outputs(event_log) {
            Ok(outputs) => outputs,
            Err(e) => {
                tracing::warn!("{e}; stack output changes are not shown");
                None
            }
        };
        Ok(PreviewRun {
            finished,
            digest,
            stack_outputs,
        })
    }

    /// Applies the stack (`up`) or tears it down (`destroy`), recording
    /// Pulumi's engine events to `event_log` for the result section.
    ///
    /// With `plan` (Pulumi's own update plan), the engine refuses any
    /// operation the plan does not hold.
    pub fn apply(
        &self,
        action: Action,
        event_log: &Path,
        plan: Option<&Path>,
        on_line: &mut dyn FnMut(Stream, &str),
    ) -> Result<Finished, PulumiError> {
        let verb = match action {
            Action::Destroy => "destroy",
            Action::Preview | Action::Up | Action::Summarize => "up",
        };
        // The preview already ran (and was shown); a second one inside `up`
        // would only double the wait.
        let mut cmd = self
            .stack_command([verb, "--yes", "--skip-preview"])
            .arg("--event-log")
            .arg(event_log);
        if let Some(path) = plan {
            cmd = cmd.env("PULUMI_EXPERIMENTAL", "true").arg("--plan").arg(path);
        }
        let finished = cmd.run(on_line)?;
        self.classify(finished)
    }

    /// The stack's last update, as "update v3 at 2026-…", or `None` for a
    /// stack never updated: a saved plan pins it, so that an update by
    /// anyone else in between is seen even when it left the change set the
    /// same.
    pub fn last_update(&self) -> Result<Option<String>, PulumiError> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Entry {
            version: i64,
            kind: String,
            start_time: String,
        }
        let finished = self
            .stack_command(["stack", "history", "--json", "--page-size", "1"])
            .run(&mut |_, _| {})?;
        let finished = self.classify(finished)?;
        let entries: Vec<Entry> = serde_json::from_str(&finished.stdout).map_err(PulumiError::HistoryJson)?;
        Ok(entries
            .first()
            .map(|e| format!("{} v{} at {}", e.kind, e.version, e.start_time)))
    }

    /// The stack's outputs as `pulumi stack output --json` prints them:
    /// secrets come back as `[secret]` because `--show-secrets` is never passed.
    ///
    /// Reading never creates the stack: a missing one is [`PulumiError::NoStack`].
    pub fn outputs(&self) -> Result<BTreeMap<String, serde_json::Value>, PulumiError> {
        let finished = self.stack_command(["stack", "output", "--json"]).run(&mut |_, _| {})?;
        if is_missing_stack(&finished) {
            return Err(PulumiError::NoStack {
                env: self.env.to_string(),
            });
        }
        let finished = self.classify(finished)?;
        let mut outputs: BTreeMap<String, serde_json::Value> =
            serde_json::from_str(&finished.stdout).map_err(PulumiError::OutputsJson)?;
        outputs.values_mut().for_each(preview::value::blind_secrets);
        Ok(outputs)
    }
}
