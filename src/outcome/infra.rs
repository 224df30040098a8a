//! What an infrastructure run did, as data: the preview's change set, how
//! `up` or `destroy` went, and why it failed. The commands fill these in;
//! `crate::report::infra` renders them; `--json` serialises them.

use std::collections::BTreeMap;

use serde::Serialize;

pub use super::{PlanCheck, PlanDifference};
use crate::preview::{ChangeKind, ChangeSet, PreviewDigest, UrnParts};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Preview,
    Up,
    Destroy,
    Summarize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Succeeded,
    /// `up --dry-run`: previewed, nothing applied.
    Previewed,
    Failed,
    Locked,
    Interrupted,
    /// `--plan`: the fresh preview differs from the approved plan; nothing
    /// was applied.
    ChangedSinceApproved,
    /// `preview --pr-comment` of a stack that does not exist yet: a pull
    /// request never creates one, so there was nothing to preview.
    NotCreatedYet,
}

#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub message: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub stderr_tail: String,
}

/// What `pulumi up` or `pulumi destroy` actually did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AppliedChanges {
    pub duration_secs: f64,
    /// Resources changed, by what happened to them.
    pub counts: BTreeMap<ChangeKind, i64>,
    /// Resources left as they were.
    pub unchanged: i64,
    /// Stack outputs after the run, secrets as `[secret]`.
    pub outputs: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InfraReport {
    /// `base`, `app`, or the project name of a saved preview.
    pub layer: String,
    pub env: String,
    pub action: Action,
    pub outcome: Outcome,
    /// `None` when Pulumi failed before it could say what would change.
    pub changes: Option<ChangeSet>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied: Option<AppliedChanges>,
    /// `--plan`/`--save-plan`: the plan this run checked against, or wrote.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanCheck>,
}

impl InfraReport {
    /// A run that has not found anything yet, nor failed.
    pub fn started(layer: impl Into<String>, env: impl Into<String>, action: Action) -> Self {
        InfraReport {
            layer: layer.into(),
            env: env.into(),
            action,
            outcome: Outcome::Succeeded,
            changes: None,
            failure: None,
            applied: None,
            plan: None,
        }
    }

    /// The report for a digest saved earlier. It does not say which layer or
    /// env it was for; its URNs do (`urn:pulumi:<stack>::<project>::…`).
    pub fn from_saved_preview(digest: &PreviewDigest) -> Self {
        let (env, project) = digest
            .steps
            .iter()
            .find_map(|s| UrnParts::parse(&s.urn).map(|u| (u.stack.to_owned(), u.project.to_owned())))
            .unwrap_or_else(|| ("unknown".to_owned(), "unknown".to_owned()));
        let changes = ChangeSet::from_digest(digest);
        let failed = changes.program_failed();
        InfraReport {
            layer: project,
            env,
            action: Action::Summarize,
            outcome: if failed { Outcome::Failed } else { Outcome::Succeeded },
            changes: Some(changes),
            failure: None,
            applied: None,
            plan: None,
        }
    }
}
