//! Asking a person before anything irreversible.

use std::io::{BufRead, IsTerminal, Write};

use crate::Error;

/// `Ok(true)` when the person agreed. Off a terminal there is nobody to ask,
/// so the command must have been given `--yes`.
pub(crate) fn ask(question: &str, expected: &str, flag_hint: &str) -> Result<bool, Error> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::Refused(format!(
            "not on a terminal, so nobody can confirm; pass {flag_hint} to go ahead"
        )));
    }
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{question} ");
    let _ = err.flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|source| Error::Setup {
            what: "reading the confirmation",
            source,
        })?;
    Ok(answer.trim() == expected)
}
