//! The one way stackpilot writes to its own stdout and stderr: results on
//! stdout, progress and logs on stderr (tracing writes there too).
//!
//! Nothing here panics. A stdout that is closed or full (`| head`,
//! `> /dev/full`) is an error for the caller to report, because the result
//! was lost; a stderr that cannot be written has nobody left to tell, so
//! those writes are best effort.

use std::io::{self, Write};

use serde::Serialize;

/// Writes a result to stdout and flushes it.
pub(crate) fn result(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Writes one line of result to stdout.
pub(crate) fn result_line(line: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(line.as_bytes())?;
    out.write_all(b"\n")?;
    out.flush()
}

/// The `--json` result object, pretty-printed on one stdout write.
pub(crate) fn json(value: &impl Serialize) -> io::Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(io::Error::other)?;
    result_line(&text)
}

/// One line of progress (or a workflow command) on stderr.
pub(crate) fn progress(line: &str) {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "{line}");
}
