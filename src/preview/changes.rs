//! The change set a report shows: resources grouped by what will happen to
//! them, stack output changes, and the diagnostics worth a reader's time.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::Value;

use super::model::{DiagnosticSeverity, PreviewDigest, PreviewStep, UrnParts};
use super::property_path::lookup;
use super::value::render;
use crate::digest;

const STACK_TYPE: &str = "pulumi:pulumi:Stack";
/// Characters of a property value shown in a report before it is cut.
const VALUE_CHARS: usize = 120;

/// What will happen to a resource, in the order a reader wants to see it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Create,
    Update,
    Replace,
    Delete,
    Import,
    Read,
    Refresh,
    /// An operation this version does not know; shown with its own name.
    #[serde(untagged)]
    Other(String),
}

impl ChangeKind {
    /// Maps a step's `op`; `None` for steps that change nothing.
    pub fn from_op(op: &str) -> Option<Self> {
        Some(match op {
            "same" => return None,
            "create" => ChangeKind::Create,
            "update" => ChangeKind::Update,
            "replace" | "create-replacement" | "delete-replaced" => ChangeKind::Replace,
            "delete" => ChangeKind::Delete,
            "import" | "import-replacement" => ChangeKind::Import,
            "read" | "read-replacement" => ChangeKind::Read,
            "refresh" => ChangeKind::Refresh,
            other => ChangeKind::Other(other.to_owned()),
        })
    }

    pub fn label(&self) -> &str {
        match self {
            ChangeKind::Create => "create",
            ChangeKind::Update => "update",
            ChangeKind::Replace => "replace",
            ChangeKind::Delete => "delete",
            ChangeKind::Import => "import",
            ChangeKind::Read => "read",
            ChangeKind::Refresh => "refresh",
            ChangeKind::Other(op) => op,
        }
    }

    /// How a result reads: "2 created".
    pub fn past_tense(&self) -> &str {
        match self {
            ChangeKind::Create => "created",
            ChangeKind::Update => "updated",
            ChangeKind::Replace => "replaced",
            ChangeKind::Delete => "deleted",
            ChangeKind::Import => "imported",
            ChangeKind::Read => "read",
            ChangeKind::Refresh => "refreshed",
            ChangeKind::Other(op) => op,
        }
    }

    /// The sign Pulumi's own display uses, so the table reads familiar.
    pub fn symbol(&self) -> &'static str {
        match self {
            ChangeKind::Create => "+",
            ChangeKind::Update => "~",
            ChangeKind::Replace => "+-",
            ChangeKind::Delete => "-",
            ChangeKind::Import => "=",
            ChangeKind::Read => ">",
            ChangeKind::Refresh => "~",
            ChangeKind::Other(_) => "?",
        }
    }

    /// Whether the change destroys something that exists now.
    pub fn is_destructive(&self) -> bool {
        matches!(self, ChangeKind::Replace | ChangeKind::Delete)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct OpCount {
    pub op: ChangeKind,
    pub count: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct PropertyChange {
    pub path: String,
    pub kind: DiffKind,
    pub forces_replacement: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// SHA-256 of the whole new value (secrets already blinded), which a
    /// saved plan pins: `after` is cut for the summary.
    #[serde(skip)]
    pub after_digest: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ResourceChange {
    pub op: ChangeKind,
    #[serde(rename = "type")]
    pub type_token: String,
    pub name: String,
    pub urn: String,
    pub properties: Vec<PropertyChange>,
    pub replace_reasons: Vec<String>,
}

impl ResourceChange {
    /// IAM resources (CloudFormation's `AWS::IAM::*`, Pulumi's `aws:iam/…`),
    /// bucket policies, and KMS keys (whose policy says who may use them).
    pub fn changes_access(&self) -> bool {
        let t = self.type_token.as_str();
        t.starts_with("AWS::IAM::")
            || t.starts_with("aws:iam/")
            || matches!(
                t,
                "AWS::S3::BucketPolicy" | "aws:s3/bucketPolicy:BucketPolicy" | "AWS::KMS::Key" | "aws:kms/key:Key"
            )
    }
}

/// What happens to one property of a resource, or to one stack output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiffKind {
    Add,
    Update,
    Delete,
}

impl DiffKind {
    pub fn label(self) -> &'static str {
        match self {
            DiffKind::Add => "add",
            DiffKind::Update => "update",
            DiffKind::Delete => "delete",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct OutputChange {
    pub name: String,
    pub kind: DiffKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// SHA-256 of the whole new value, as for [`PropertyChange`].
    #[serde(skip)]
    pub after_digest: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DiagnosticLine {
    pub severity: DiagnosticSeverity,
    /// The resource it is about, by name, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub message: String,
}

/// Everything a report says about a preview.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ChangeSet {
    pub counts: Vec<OpCount>,
    pub unchanged: usize,
    pub resources: Vec<ResourceChange>,
    pub outputs: Vec<OutputChange>,
    pub diagnostics: Vec<DiagnosticLine>,
    /// Tooling notices left out (plugins found on PATH, default providers).
    pub hidden_notices: usize,
}

impl ChangeSet {
    pub fn from_digest(digest: &PreviewDigest) -> Self {
        let resources = resource_changes(&digest.steps);
        let mut counts: BTreeMap<ChangeKind, usize> = BTreeMap::new();
        for r in &resources {
            *counts.entry(r.op.clone()).or_default() += 1;
        }
        let unchanged = digest
            .change_summary
            .get("same")
            .map(|n| usize::try_from(*n).unwrap_or(0))
            .unwrap_or_else(|| digest.steps.iter().filter(|s| s.op == "same").count());
        let (diagnostics, hidden_notices) = diagnostics(digest);
        ChangeSet {
            counts: counts.into_iter().map(|(op, count)| OpCount { op, count }).collect(),
            unchanged,
            resources,
            outputs: digest_output_changes(&digest.steps),
            diagnostics,
            hidden_notices,
        }
    }

    pub fn has_changes(&self) -> bool {
        !self.resources.is_empty() || !self.outputs.is_empty()
    }

    pub fn count(&self, kind: &ChangeKind) -> usize {
        self.counts.iter().find(|c| &c.op == kind).map_or(0, |c| c.count)
    }

    /// Changes to what decides who may do what: IAM, bucket and key
    /// policies (reading or refreshing one changes nothing).
    pub fn access(&self) -> impl Iterator<Item = &ResourceChange> {
        self.resources
            .iter()
            .filter(|r| r.changes_access() && !matches!(r.op, ChangeKind::Read | ChangeKind::Refresh))
    }

    pub fn destructive(&self) -> impl Iterator<Item = &ResourceChange> {
        self.resources.iter().filter(|r| r.op.is_destructive())
    }

    /// Whether the program reported an error, either as an engine
    /// diagnostic or on its stderr.
    pub fn program_failed(&self) -> bool {
        self.diagnostics.iter().any(|d| {
            d.severity == DiagnosticSeverity::Error
                || (d.severity == DiagnosticSeverity::Stderr
                    && d.message.trim_start().to_ascii_lowercase().starts_with("error"))
        })
    }

    pub fn errors(&self) -> impl Iterator<Item = &DiagnosticLine> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == DiagnosticSeverity::Error)
    }
}

fn is_default_provider(parts: &UrnParts<'_>) -> bool {
    parts.resource_type().starts_with("pulumi:providers:") && parts.name.starts_with("default")
}

fn resource_changes(steps: &[PreviewStep]) -> Vec<ResourceChange> {
    // A replacement arrives as up to three steps for one URN; keep one entry.
    let mut by_urn: HashMap<&str, usize> = HashMap::new();
    let mut out: Vec<ResourceChange> = Vec::new();
    for step in steps {
        let Some(op) = ChangeKind::from_op(&step.op) else {
            continue;
        };
        let Some(parts) = UrnParts::parse(&step.urn) else {
            continue;
        };
        if is_default_provider(&parts) {
            continue;
        }
        if parts.resource_type() == STACK_TYPE && op == ChangeKind::Update {
            // The root stack "updates" whenever outputs change; those are
            // reported in their own section.
            continue;
        }
        let change = ResourceChange {
            op,
            type_token: parts.resource_type().to_owned(),
            name: parts.name.to_owned(),
            urn: step.urn.clone(),
            properties: property_changes(step),
            replace_reasons: step.replace_reasons.clone(),
        };
        match by_urn.get(step.urn.as_str()) {
            Some(&i) => merge(&mut out[i], change),
            None => {
                by_urn.insert(&step.urn, out.len());
                out.push(change);
            }
        }
    }
    // The engine plans independent resources in parallel, so its order
    // changes from run to run; type and name give a stable, scannable one.
    out.sort_by(|a, b| (&a.op, &a.type_token, &a.name).cmp(&(&b.op, &b.type_token, &b.name)));
    out
}

fn merge(existing: &mut ResourceChange, other: ResourceChange) {
    if existing.properties.is_empty() {
        existing.properties = other.properties;
    }
    if existing.replace_reasons.is_empty() {
        existing.replace_reasons = other.replace_reasons;
    }
    if other.op == ChangeKind::Replace {
        existing.op = ChangeKind::Replace;
    }
}

fn property_changes(step: &PreviewStep) -> Vec<PropertyChange> {
    let old_inputs = step.old_state.as_ref().and_then(|s| s.inputs());
    let old_outputs = step.old_state.as_ref().and_then(|s| s.outputs());
    let new_inputs = step.new_state.as_ref().and_then(|s| s.inputs());
    let (old_inputs, old_outputs, new_inputs) = (old_inputs.as_ref(), old_outputs.as_ref(), new_inputs.as_ref());
    let value_at =
        |root: Option<&Value>, path: &str| root.and_then(|r| lookup(r, path)).map(|v| render(v, VALUE_CHARS));
    let digest_at = |root: Option<&Value>, path: &str| root.and_then(|r| lookup(r, path)).map(digest::of_value);
    match &step.detailed_diff {
        Some(diff) if !diff.is_empty() => diff
            .iter()
            .map(|(path, d)| {
                let before_root = if d.input_diff {
                    old_inputs
                } else {
                    old_outputs.or(old_inputs)
                };
                PropertyChange {
                    path: path.clone(),
                    kind: d.base_kind(),
                    forces_replacement: d.forces_replacement(),
                    before: (d.base_kind() != DiffKind::Add)
                        .then(|| value_at(before_root, path))
                        .flatten(),
                    after: (d.base_kind() != DiffKind::Delete)
                        .then(|| value_at(new_inputs, path))
                        .flatten(),
                    after_digest: (d.base_kind() != DiffKind::Delete)
                        .then(|| digest_at(new_inputs, path))
                        .flatten(),
                }
            })
            .collect(),
        // Without a detailed diff, the top-level keys are all we know.
        _ => step
            .diff_reasons
            .iter()
            .map(|key| PropertyChange {
                path: key.clone(),
                kind: DiffKind::Update,
                forces_replacement: step.replace_reasons.contains(key),
                before: value_at(old_inputs, key),
                after: value_at(new_inputs, key),
                after_digest: digest_at(new_inputs, key),
            })
            .collect(),
    }
}

impl ChangeSet {
    /// Replaces the output changes with ones computed from the outputs the
    /// engine registered (from the event log), which the JSON digest lacks.
    pub fn with_stack_outputs(
        mut self,
        old: &serde_json::Map<String, Value>,
        new: &serde_json::Map<String, Value>,
    ) -> Self {
        // The last registration is complete, so a missing key was removed.
        self.outputs = output_changes(old, new, true);
        self
    }
}

fn digest_output_changes(steps: &[PreviewStep]) -> Vec<OutputChange> {
    let Some(stack) = steps
        .iter()
        .find(|s| UrnParts::parse(&s.urn).is_some_and(|p| p.resource_type() == STACK_TYPE))
    else {
        return Vec::new();
    };
    let outputs = |state: &Option<super::model::ResourceState>| match state.as_ref().and_then(|s| s.outputs()) {
        Some(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    let (old, new) = (outputs(&stack.old_state), outputs(&stack.new_state));
    // An output the preview did not register yet is not a deletion unless
    // the stack itself goes away.
    output_changes(&old, &new, stack.op == "delete" || !new.is_empty())
}

fn output_changes(
    old: &serde_json::Map<String, Value>,
    new: &serde_json::Map<String, Value>,
    new_is_complete: bool,
) -> Vec<OutputChange> {
    let mut changes = Vec::new();
    for (name, after) in new {
        match old.get(name) {
            None => changes.push(OutputChange {
                name: name.clone(),
                kind: DiffKind::Add,
                before: None,
                after: Some(render(after, VALUE_CHARS)),
                after_digest: Some(digest::of_value(after)),
            }),
            Some(before) if before != after => changes.push(OutputChange {
                name: name.clone(),
                kind: DiffKind::Update,
                before: Some(render(before, VALUE_CHARS)),
                after: Some(render(after, VALUE_CHARS)),
                after_digest: Some(digest::of_value(after)),
            }),
            Some(_) => {}
        }
    }
    if new_is_complete {
        for (name, before) in old {
            if !new.contains_key(name) {
                changes.push(OutputChange {
                    name: name.clone(),
                    kind: DiffKind::Delete,
                    before: Some(render(before, VALUE_CHARS)),
                    after: None,
                    after_digest: None,
                });
            }
        }
    }
    changes.sort_by(|a, b| a.name.cmp(&b.name));
    changes
}

/// Warnings about where plugins were found say nothing about the stack.
pub fn is_tooling_notice(message: &str) -> bool {
    let m = message.trim();
    (m.contains(" from $PATH at ") && m.contains("using pulumi-")) || m.starts_with("using pulumi-language-")
}

fn diagnostics(digest: &PreviewDigest) -> (Vec<DiagnosticLine>, usize) {
    let mut hidden = 0;
    let mut lines = Vec::new();
    for d in &digest.diagnostics {
        let parts = d.urn.as_deref().and_then(UrnParts::parse);
        let about_default_provider = parts.as_ref().is_some_and(is_default_provider);
        if d.severity == DiagnosticSeverity::Debug {
            continue;
        }
        if is_tooling_notice(&d.message) || (about_default_provider && d.severity != DiagnosticSeverity::Error) {
            hidden += 1;
            continue;
        }
        let message = crate::report::escape::strip_terminal_escapes(d.message.trim_end());
        if message.trim().is_empty() {
            continue;
        }
        lines.push(DiagnosticLine {
            severity: d.severity,
            resource: parts
                .filter(|p| p.resource_type() != STACK_TYPE)
                .map(|p| p.name.to_owned()),
            message,
        });
    }
    // Errors first, then warnings, then program output, each in order.
    lines.sort_by_key(|l| l.severity);
    (lines, hidden)
}
