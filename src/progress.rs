//! Progress on stderr while a long command runs: a spinner on a terminal,
//! plain lines elsewhere, and a collapsible `::group::` in GitHub Actions.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::printer;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Spinner,
    Plain,
    GithubGroup,
}

impl Mode {
    pub fn detect(in_actions: bool) -> Self {
        if in_actions {
            Mode::GithubGroup
        } else if std::io::stderr().is_terminal() && std::env::var_os("CI").is_none() {
            Mode::Spinner
        } else {
            Mode::Plain
        }
    }
}

/// One step of work whose output lines are worth showing as they come.
pub struct Progress {
    mode: Mode,
    spinner: Option<ProgressBar>,
}

impl Progress {
    pub fn start(mode: Mode, label: &str) -> Self {
        let spinner = match mode {
            Mode::Spinner => {
                let bar = ProgressBar::new_spinner();
                if let Ok(style) = ProgressStyle::with_template("{spinner} {prefix} {wide_msg} {elapsed}") {
                    bar.set_style(style);
                }
                bar.set_prefix(label.to_owned());
                bar.enable_steady_tick(Duration::from_millis(120));
                Some(bar)
            }
            Mode::Plain => {
                printer::progress(label);
                None
            }
            Mode::GithubGroup => {
                printer::command(&crate::github::group(label));
                None
            }
        };
        Progress { mode, spinner }
    }

    /// Shows one line of a child's output.
    pub fn line(&self, line: &str) {
        let line = line.trim_end();
        // Where plugins were found is noise to anyone watching a deploy.
        if line.trim().is_empty() || crate::preview::is_tooling_notice(line) {
            return;
        }
        match &self.spinner {
            Some(bar) => bar.set_message(line.trim().to_owned()),
            None => printer::progress(&format!("  {line}")),
        }
    }

    pub fn finish(self, outcome: &str) {
        match self.spinner {
            Some(bar) => bar.finish_with_message(outcome.to_owned()),
            None => {
                if self.mode == Mode::GithubGroup {
                    printer::command(crate::github::END_GROUP);
                }
                printer::progress(outcome);
            }
        }
    }
}
