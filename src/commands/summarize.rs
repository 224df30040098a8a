//! `stackpilot summarize <preview.json>`: the summary of a saved preview.

use std::io::Read;
use std::path::Path;

use crate::cli::OutputArgs;
use crate::commands::Context;
use crate::preview::{self, ChangeSet, PreviewDigest};
use crate::report::{Action, InfraReport, Outcome, SUMMARY_LIMIT};
use crate::{Error, Exit, SummarizeInputError};

pub(crate) fn run(ctx: &Context, path: &Path, output: OutputArgs) -> Result<Exit, Error> {
    let input_error = |source: SummarizeInputError| Error::SummarizeInput {
        path: path.to_path_buf(),
        source,
    };
    let text = if path == Path::new("-") {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| input_error(e.into()))?;
        s
    } else {
        std::fs::read_to_string(path).map_err(|e| input_error(e.into()))?
    };
    let digest = preview::parse(&text).map_err(|e| input_error(e.into()))?;
    let report = report_for(&digest);
    let mut sink = ctx.sink(output.summary, output.json);
    sink.write(&report.preview_markdown(SUMMARY_LIMIT))?;
    if output.json {
        println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
    }
    sink.finish();
    Ok(Exit::Success)
}

/// A saved digest does not say which layer or env it was for; its URNs do
/// (`urn:pulumi:<stack>::<project>::…`).
pub fn report_for(digest: &PreviewDigest) -> InfraReport {
    let (env, project) = digest
        .steps
        .iter()
        .find_map(|s| {
            let rest = s.urn.strip_prefix("urn:pulumi:")?;
            let mut parts = rest.splitn(3, "::");
            Some((parts.next()?.to_owned(), parts.next()?.to_owned()))
        })
        .unwrap_or_else(|| ("unknown".to_owned(), "unknown".to_owned()));
    let changes = ChangeSet::from_digest(digest);
    let failed = changes.errors().next().is_some();
    InfraReport {
        layer: project,
        env,
        action: Action::Summarize,
        outcome: if failed { Outcome::Failed } else { Outcome::Succeeded },
        changes: Some(changes),
        failure: None,
        applied: None,
    }
}
