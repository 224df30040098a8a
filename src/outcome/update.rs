//! What an app update did, as data: the plan, the migration, each service's
//! rollout and rollback. The ECS engine (`crate::ecs`) fills these in; the
//! report (`crate::report::update`) renders them as Markdown, and `--json`
//! serialises them as they are.

use std::collections::BTreeMap;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum UpdateOutcome {
    Succeeded,
    /// Every target already runs the requested images.
    NothingToDo,
    /// `--dry-run`: the plan, nothing written.
    Planned,
    Failed,
    RolledBack,
    TimedOut,
    /// The deadline passed while ECS could not be read, or a write's answer
    /// was lost: what ECS did is not known, so nothing was rolled back.
    Unknown,
    Interrupted,
    /// `--plan`: ECS moved since the plan was approved; nothing was written.
    ChangedSinceApproved,
}

/// How one step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StepResult {
    /// Already on the requested image: nothing to do.
    Unchanged,
    /// Dry run: this would happen.
    Planned,
    /// Not started because an earlier step failed.
    Skipped,
    InProgress,
    Succeeded,
    Failed,
    TimedOut,
    /// Not known: ECS could not be read to the end, or a write's answer was
    /// lost and reading the service back did not settle it.
    Unknown,
    Interrupted,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct FieldChange {
    pub field: String,
    pub old: String,
    pub new: String,
}

/// One environment variable as the report may show it (masked unless its
/// name is on the allow-list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct EnvVar {
    pub name: String,
    pub value: String,
    pub masked: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SecretRef {
    pub name: String,
    pub value_from: String,
}

/// A task family: its revision before, and the one the run uses.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RevisionPlan {
    pub family: String,
    pub container: String,
    pub old_revision: i32,
    pub old_image: String,
    pub new_image: String,
    /// The revision the services roll to (the old one when it already had the image).
    pub new_revision: Option<i32>,
    /// Whether this run registered (or, dry, would register) a revision.
    pub registers: bool,
    pub changes: Vec<FieldChange>,
    pub environment: Vec<EnvVar>,
    pub secrets: Vec<SecretRef>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct TaskFailure {
    pub task_id: String,
    pub container: Option<String>,
    pub exit_code: Option<i32>,
    pub stop_code: Option<String>,
    pub stopped_reason: Option<String>,
    pub log: Option<LogTail>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct MigrationReport {
    pub family: String,
    pub revision: Option<i32>,
    pub command: Vec<String>,
    pub database: String,
    pub task_id: Option<String>,
    pub result: StepResult,
    pub reason: Option<String>,
    pub failure: Option<TaskFailure>,
    /// The end of the task's log when it passed: what the migration did.
    /// (A failed task's log is in [`TaskFailure::log`].)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<LogTail>,
    pub duration_secs: f64,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct RollbackReport {
    pub to_revision: Option<i32>,
    pub deployment_id: Option<String>,
    pub result: StepResult,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct ServiceReport {
    pub name: String,
    pub service: String,
    pub old_revision: Option<i32>,
    pub new_revision: Option<i32>,
    pub old_image: Option<String>,
    pub new_image: Option<String>,
    pub desired: i32,
    pub running: i32,
    pub result: StepResult,
    pub reason: Option<String>,
    pub deployment_id: Option<String>,
    pub duration_secs: f64,
    pub failed_tasks: Vec<TaskFailure>,
    pub rollback: Option<RollbackReport>,
}

/// `--bake`: the watch that went on after every rollout completed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct BakeReport {
    /// The window asked for.
    pub window_secs: u64,
    /// How long the services were watched: the window, or less when a
    /// failure (or Ctrl-C) ended it.
    pub watched_secs: f64,
    /// Succeeded: every service held for the whole window.
    pub result: StepResult,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct UpdateReport {
    pub env: String,
    pub cluster: String,
    pub dry_run: bool,
    pub outcome: UpdateOutcome,
    /// Image kind → tag asked for.
    pub tags: BTreeMap<String, String>,
    pub revisions: Vec<RevisionPlan>,
    pub migration: Option<MigrationReport>,
    pub services: Vec<ServiceReport>,
    pub message: Option<String>,
    pub duration_secs: f64,
    /// `--plan`/`--save-plan`: the plan this run checked against, or wrote.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<super::PlanCheck>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bake: Option<BakeReport>,
}

impl UpdateReport {
    pub(crate) fn new(env: &str, cluster: &str, dry_run: bool) -> Self {
        UpdateReport {
            env: env.to_owned(),
            cluster: cluster.to_owned(),
            dry_run,
            outcome: UpdateOutcome::Succeeded,
            tags: Default::default(),
            revisions: Vec::new(),
            migration: None,
            services: Vec::new(),
            message: None,
            duration_secs: 0.0,
            plan: None,
            bake: None,
        }
    }
}

/// Where awslogs puts one container's output of one task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct LogLocation {
    pub group: String,
    pub stream: String,
}

/// The tail of a log stream, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct LogTail {
    pub location: Option<LogLocation>,
    pub lines: Vec<String>,
    /// Set when the lines could not be read.
    pub unavailable: Option<String>,
}
