//! Where Markdown summaries go: `--summary <file>`, else GitHub's
//! `$GITHUB_STEP_SUMMARY` (appended, as GitHub expects), else stdout once the
//! run is over.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
#[error("cannot write to {}", .path.display())]
pub struct SinkError {
    path: PathBuf,
    #[source]
    source: std::io::Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A file named by `--summary`: replaced by this run's summary.
    File(PathBuf),
    /// `$GITHUB_STEP_SUMMARY`: other steps' text stays, ours is appended.
    StepSummary(PathBuf),
    /// Printed on stdout when the run ends.
    Stdout,
    /// `--json` owns stdout and no file was named: the summary is dropped.
    Nowhere,
}

#[derive(Debug)]
pub struct SummarySink {
    target: Target,
    started: bool,
    held_for_stdout: String,
}

impl SummarySink {
    /// Picks the target: `--summary <file>`, else `$GITHUB_STEP_SUMMARY`
    /// (appended), else stdout after the run — or nowhere when `--json`
    /// owns stdout.
    pub fn resolve(explicit: Option<PathBuf>, step_summary: Option<PathBuf>, json_on_stdout: bool) -> Self {
        let target = match (explicit, step_summary) {
            (Some(path), _) => Target::File(path),
            (None, Some(path)) => Target::StepSummary(path),
            (None, None) if json_on_stdout => Target::Nowhere,
            (None, None) => Target::Stdout,
        };
        SummarySink {
            target,
            started: false,
            held_for_stdout: String::new(),
        }
    }

    /// Fails when the summary could not be written, before the run changes
    /// anything: a report that cannot be kept is found out at the start,
    /// not after the services rolled.
    pub fn check(&self) -> Result<(), SinkError> {
        match &self.target {
            Target::File(path) | Target::StepSummary(path) => check_writable(path),
            Target::Stdout | Target::Nowhere => Ok(()),
        }
    }

    #[cfg(test)]
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Adds a section. Written straight away to files, so a run that is
    /// killed later still leaves what it knew.
    pub fn write(&mut self, markdown: &str) -> Result<(), SinkError> {
        let truncate = !self.started;
        self.started = true;
        let path = match &self.target {
            Target::File(p) => p,
            Target::StepSummary(p) => {
                return append(p, markdown, false);
            }
            Target::Stdout => {
                self.held_for_stdout.push_str(markdown);
                return Ok(());
            }
            Target::Nowhere => return Ok(()),
        };
        append(path, markdown, truncate)
    }

    /// Adds a section, logging a failure instead of returning it: at the
    /// end of a run the exit code must say what happened to the stack or
    /// the services, not that a file could not be written (which
    /// [`SummarySink::check`] made unlikely up front).
    pub fn write_or_log(&mut self, markdown: &str) {
        if let Err(e) = self.write(markdown) {
            tracing::error!("{}: {}", e, e.source);
        }
    }

    /// Prints what was held for stdout.
    pub fn finish(self) {
        if self.held_for_stdout.is_empty() {
            return;
        }
        if let Err(e) = crate::printer::result(&self.held_for_stdout) {
            tracing::error!("could not print the summary on stdout: {e}");
        }
    }
}

/// Opens `path` for appending, as the real write will, and removes the
/// file again when it was not there before: checking leaves no trace.
pub(crate) fn check_writable(path: &Path) -> Result<(), SinkError> {
    let existed = path.exists();
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|source| SinkError {
            path: path.to_owned(),
            source,
        })?;
    if !existed {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

fn append(path: &PathBuf, markdown: &str, truncate: bool) -> Result<(), SinkError> {
    let err = |source| SinkError {
        path: path.clone(),
        source,
    };
    let mut file = OpenOptions::new()
        .create(true)
        .write(true)
        .append(!truncate)
        .truncate(truncate)
        .open(path)
        .map_err(err)?;
    file.write_all(markdown.as_bytes()).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_file_wins_and_is_replaced_then_appended() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.md");
        std::fs::write(&path, "old\n").unwrap();
        let mut sink = SummarySink::resolve(Some(path.clone()), Some(dir.path().join("gh")), false);
        sink.write("a\n").unwrap();
        sink.write("b\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a\nb\n");
        assert!(!dir.path().join("gh").exists());
    }

    #[test]
    fn step_summary_keeps_what_other_steps_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gh");
        std::fs::write(&path, "earlier step\n").unwrap();
        let mut sink = SummarySink::resolve(None, Some(path.clone()), true);
        sink.write("ours\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "earlier step\nours\n");
    }

    #[test]
    fn check_finds_an_unwritable_summary_and_leaves_no_file_behind() {
        let dir = tempfile::tempdir().unwrap();
        let missing_dir = SummarySink::resolve(Some(dir.path().join("no/such/dir/s.md")), None, true);
        assert!(missing_dir.check().is_err());
        let a_directory = SummarySink::resolve(None, Some(dir.path().to_owned()), false);
        assert!(a_directory.check().is_err());
        let fine = dir.path().join("s.md");
        SummarySink::resolve(Some(fine.clone()), None, false).check().unwrap();
        assert!(!fine.exists(), "checking must not leave an empty summary");
        assert!(SummarySink::resolve(None, None, false).check().is_ok());
    }

    #[test]
    fn json_on_stdout_leaves_no_room_for_markdown() {
        let sink = SummarySink::resolve(None, None, true);
        assert_eq!(sink.target(), &Target::Nowhere);
        let sink = SummarySink::resolve(None, None, false);
        assert_eq!(sink.target(), &Target::Stdout);
    }
}
