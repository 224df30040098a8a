//! Progress of an update on stderr: a spinner per service on a terminal,
//! one plain line per state change elsewhere, inside a `::group::` in
//! GitHub Actions.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::ecs::progress::{Event, ProgressSink, Subject};
use crate::printer;
use crate::progress::Mode;

pub(crate) struct Board {
    mode: Mode,
    multi: Option<MultiProgress>,
    bars: Mutex<BTreeMap<String, ProgressBar>>,
}

impl Board {
    pub(crate) fn start(mode: Mode, label: &str) -> Self {
        match mode {
            Mode::Spinner | Mode::Plain => printer::progress(label),
            Mode::GithubGroup => printer::command(&crate::github::group(label)),
        }
        Board {
            mode,
            multi: (mode == Mode::Spinner).then(MultiProgress::new),
            bars: Mutex::new(BTreeMap::new()),
        }
    }

    /// The latest state of one service (or of the migration).
    pub(crate) fn state(&self, name: &str, state: &str) {
        let Some(multi) = &self.multi else {
            printer::progress(&format!("  {name}: {state}"));
            return;
        };
        let Ok(mut bars) = self.bars.lock() else { return };
        let bar = bars.entry(name.to_owned()).or_insert_with(|| {
            let bar = multi.add(ProgressBar::new_spinner());
            if let Ok(style) = ProgressStyle::with_template("{spinner} {prefix:12} {wide_msg} {elapsed}") {
                bar.set_style(style);
            }
            bar.set_prefix(name.to_owned());
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        bar.set_message(state.to_owned());
    }

    pub(crate) fn finish(self, outcome: &str) {
        if let Ok(bars) = self.bars.lock() {
            bars.values().for_each(ProgressBar::finish);
        }
        if self.mode == Mode::GithubGroup {
            printer::command(crate::github::END_GROUP);
        }
        printer::progress(outcome);
    }
}

impl ProgressSink for Board {
    fn event(&self, subject: Subject<'_>, event: Event<'_>) {
        self.state(&subject.to_string(), &event.to_string());
    }
}
