//! GitHub: annotations and step outputs in Actions, and the pull request
//! comment that carries a preview.

pub(crate) mod inert;
pub mod pr_comment;

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;

use crate::preview::{ChangeKind, ChangeSet, DiagnosticSeverity};
use crate::report::escape::{push_inert, Backslash};

/// The environment GitHub Actions gives a step, when we run inside one.
#[derive(Debug, Clone, Default)]
pub struct Actions {
    pub step_summary: Option<PathBuf>,
    pub output: Option<PathBuf>,
}

impl Actions {
    /// Reads `GITHUB_ACTIONS` and friends; `None` outside Actions.
    pub fn detect(var: impl Fn(&str) -> Option<String>) -> Option<Self> {
        if var("GITHUB_ACTIONS").as_deref() != Some("true") {
            return None;
        }
        let path = |k: &str| var(k).filter(|v| !v.is_empty()).map(PathBuf::from);
        Some(Actions {
            step_summary: path("GITHUB_STEP_SUMMARY"),
            output: path("GITHUB_OUTPUT"),
        })
    }

    /// `::error` / `::warning` lines for the diagnostics of a preview. They
    /// go to stderr, which the runner reads for commands as it does stdout,
    /// so that stdout stays the place for results.
    pub fn annotate(&self, changes: &ChangeSet) {
        for line in annotations(changes) {
            crate::printer::command(&line);
        }
    }

    /// Fails when `$GITHUB_STEP_SUMMARY` or `$GITHUB_OUTPUT` is set but
    /// cannot be written, so a run finds out before it changes anything.
    pub fn check_writable(&self) -> Result<(), crate::report::sink::SinkError> {
        for path in [&self.step_summary, &self.output].into_iter().flatten() {
            crate::report::sink::check_writable(path)?;
        }
        Ok(())
    }

    /// Writes `has_changes` and a count per operation to `$GITHUB_OUTPUT`.
    pub fn write_outputs(&self, changes: &ChangeSet) -> std::io::Result<()> {
        self.append_outputs(&step_outputs(changes))
    }

    /// Appends `key=value` lines (one line each, checked by the caller) to
    /// `$GITHUB_OUTPUT`, when the step has one.
    pub fn append_outputs(&self, lines: &str) -> std::io::Result<()> {
        let Some(path) = &self.output else {
            return Ok(());
        };
        let mut file = OpenOptions::new().create(true).append(true).open(path)?;
        file.write_all(lines.as_bytes())
    }
}

/// Opens a collapsible group in the log; [`END_GROUP`] closes it.
pub(crate) fn group(label: &str) -> String {
    format!("::group::{}", escape_data(label))
}

pub(crate) const END_GROUP: &str = "::endgroup::";

pub fn annotations(changes: &ChangeSet) -> Vec<String> {
    changes
        .diagnostics
        .iter()
        .filter_map(|d| {
            let level = match d.severity {
                DiagnosticSeverity::Error => "error",
                DiagnosticSeverity::Warning => "warning",
                _ => return None,
            };
            let title = d
                .resource
                .as_deref()
                .map(|r| format!(" title={}", escape_property(r)))
                .unwrap_or_default();
            Some(format!("::{level}{title}::{}", escape_data(&d.message)))
        })
        .collect()
}

pub fn step_outputs(changes: &ChangeSet) -> String {
    let mut out = format!("has_changes={}\n", changes.has_changes());
    for kind in [
        ChangeKind::Create,
        ChangeKind::Update,
        ChangeKind::Replace,
        ChangeKind::Delete,
    ] {
        out.push_str(&format!("{}={}\n", kind.label(), changes.count(&kind)));
    }
    out.push_str(&format!("same={}\n", changes.unchanged));
    out
}

/// Workflow-command data escaping, as the runner decodes it. Everything
/// else goes by the rule summaries follow: control and direction characters
/// written out (`\u{202e}`), mentions and references made inert.
fn escape_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => push_inert(&mut out, c, Backslash::Literal),
        }
    }
    out
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preview::DiagnosticLine;

    #[test]
    fn annotations_cannot_be_split_by_hostile_messages() {
        let changes = ChangeSet {
            diagnostics: vec![
                DiagnosticLine {
                    severity: DiagnosticSeverity::Error,
                    resource: Some("db:main,x".into()),
                    message: "boom\n::warning::fake 100%".into(),
                },
                DiagnosticLine {
                    severity: DiagnosticSeverity::Info,
                    resource: None,
                    message: "program output".into(),
                },
            ],
            ..ChangeSet::default()
        };
        assert_eq!(
            annotations(&changes),
            vec!["::error title=db%3Amain%2Cx::boom%0A::warning::fake 100%25".to_owned()]
        );
    }

    /// NUL, BEL and U+202E in a resource name went raw into `::error title=`.
    #[test]
    fn control_and_direction_characters_in_annotations_are_written_out() {
        let changes = ChangeSet {
            diagnostics: vec![DiagnosticLine {
                severity: DiagnosticSeverity::Warning,
                resource: Some("bucket\u{0}\u{7}\u{202e}txt".into()),
                message: "tab\there \u{2067}x".into(),
            }],
            ..ChangeSet::default()
        };
        assert_eq!(
            annotations(&changes),
            vec![r"::warning title=bucket\u{0}\u{7}\u{202e}txt::tab\u{9}here \u{2067}x".to_owned()]
        );
    }

    #[test]
    fn detect_needs_github_actions_true() {
        assert!(Actions::detect(|_| None).is_none());
        let a = Actions::detect(|k| match k {
            "GITHUB_ACTIONS" => Some("true".into()),
            "GITHUB_OUTPUT" => Some("/tmp/o".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(a.output, Some(PathBuf::from("/tmp/o")));
        assert_eq!(a.step_summary, None);
    }
}
