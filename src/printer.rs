//! The one way stackpilot writes to its own stdout and stderr: results on
//! stdout, progress and logs on stderr (tracing writes there too).
//!
//! Nothing here panics. A stdout that is closed or full (`| head`,
//! `> /dev/full`) is an error for the caller to report, because the result
//! was lost; a stderr that cannot be written has nobody left to tell, so
//! those writes are best effort.
//!
//! Every line goes out through [`inert::lines`], so that nothing quoted from
//! elsewhere is read as a GitHub workflow command; the commands stackpilot
//! means go through [`command`].

use std::io::{self, Write};

use serde::Serialize;

use crate::github::inert;

/// Writes a result to stdout and flushes it.
pub(crate) fn result(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(inert::lines(text).as_bytes())?;
    out.flush()
}

/// Writes one line of result to stdout.
pub(crate) fn result_line(line: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(inert::lines(line).as_bytes())?;
    out.write_all(b"\n")?;
    out.flush()
}

/// The `--json` result object, pretty-printed on one stdout write.
pub(crate) fn json(value: &impl Serialize) -> io::Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(io::Error::other)?;
    result_line(&inert::json(&text))
}

/// A JSON value on one stdout line.
pub(crate) fn json_line(value: &impl Serialize) -> io::Result<()> {
    let text = serde_json::to_string(value).map_err(io::Error::other)?;
    result_line(&inert::json(&text))
}

/// One line of progress on stderr.
pub(crate) fn progress(line: &str) {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "{}", inert::lines(line));
}

/// A workflow command stackpilot means, built by [`crate::github`] with its
/// data escaped, on stderr as it is.
pub(crate) fn command(line: &str) {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

/// Where logs go: stderr, by the same rule as [`progress`]. tracing hands
/// over one whole event per write.
pub(crate) fn log_writer() -> LogWriter {
    LogWriter
}

pub(crate) struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        io::stderr().lock().write_all(inert::lines(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}
