//! `stackpilot summarize <preview.json>`: the summary of a saved preview.

use std::path::Path;

use crate::cli::OutputArgs;
use crate::commands::Context;
use crate::input::{self, PREVIEW_CAP};
use crate::report::{InfraReport, SUMMARY_LIMIT};
use crate::{preview, printer};
use crate::{Error, Exit, SummarizeInputError};

pub(crate) fn run(ctx: &Context, path: &Path, output: OutputArgs) -> Result<Exit, Error> {
    let input_error = |source: SummarizeInputError| Error::SummarizeInput {
        path: path.to_path_buf(),
        source,
    };
    let text = input::read_to_string(path, PREVIEW_CAP).map_err(|e| input_error(e.into()))?;
    let digest = preview::parse(&text).map_err(|e| input_error(e.into()))?;
    let report = InfraReport::from_saved_preview(&digest);
    let mut sink = ctx.sink(output.summary, output.json);
    sink.write(&report.preview_markdown(SUMMARY_LIMIT))?;
    if output.json {
        printer::json(&report).map_err(Error::Print)?;
    }
    sink.finish();
    Ok(Exit::Success)
}
