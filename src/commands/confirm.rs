//! Asking a person before anything irreversible, with `dialoguer`: a y/N
//! question for `up`, the env name typed out for `destroy`. Ctrl-C at the
//! prompt stops the command (exit 130) rather than being read as "no".

use std::io::IsTerminal;

use crate::{Error, Refusal};

/// What the person is asked to do.
pub(crate) enum Question<'a> {
    /// Answer yes or no (default no).
    YesNo(&'a str),
    /// Type `expected` exactly.
    TypeToConfirm { prompt: &'a str, expected: &'a str },
}

/// `Ok(true)` when the person agreed. Off a terminal there is nobody to ask,
/// so the command must have been given `--yes`.
pub(crate) fn ask(question: Question<'_>) -> Result<bool, Error> {
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return Err(Refusal::NobodyToConfirm.into());
    }
    let theme = dialoguer::theme::SimpleTheme;
    let answer = match question {
        Question::YesNo(prompt) => dialoguer::Confirm::with_theme(&theme)
            .with_prompt(prompt)
            .default(false)
            .interact(),
        Question::TypeToConfirm { prompt, expected } => dialoguer::Input::<String>::with_theme(&theme)
            .with_prompt(prompt)
            .allow_empty(true)
            .interact_text()
            .map(|typed| typed.trim() == expected),
    };
    match answer {
        Ok(agreed) => Ok(agreed),
        Err(dialoguer::Error::IO(e)) if e.kind() == std::io::ErrorKind::Interrupted => Err(Error::Interrupted),
        Err(dialoguer::Error::IO(source)) => Err(Error::Setup {
            what: "reading the confirmation",
            source,
        }),
    }
}
