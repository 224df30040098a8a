//! `stackpilot outputs <layer> <env>`.

use crate::commands::{stack, Context};
use crate::names::{EnvName, Layer};
use crate::preview::value::render;
use crate::printer;
use crate::{Error, Exit};

pub(crate) fn run(ctx: &Context, layer: Layer, env: &EnvName, json: bool) -> Result<Exit, Error> {
    let outputs = stack::outputs(ctx, layer, env)?;
    if json {
        printer::json_line(&serde_json::Value::Object(outputs.into_iter().collect())).map_err(Error::Print)?;
    } else if outputs.is_empty() {
        printer::progress(&format!("the {layer} stack `{env}` has no outputs"));
    } else {
        let width = outputs.keys().map(String::len).max().unwrap_or(0);
        let table: String = outputs
            .iter()
            .map(|(name, value)| format!("{name:width$}  {}\n", continued(&render(value, 2000), width + 2)))
            .collect();
        printer::result(&table).map_err(Error::Print)?;
    }
    Ok(Exit::Success)
}

/// A multi-line value with its later lines under its first, so that each
/// line still reads as part of the value (the printer keeps them from being
/// read as workflow commands).
fn continued(value: &str, indent: usize) -> String {
    value.lines().collect::<Vec<_>>().join(&format!("\n{:indent$}", ""))
}

#[cfg(test)]
mod tests {
    #[test]
    fn later_lines_of_a_value_stay_in_its_column() {
        assert_eq!(super::continued("a\n::add-mask::x\n", 4), "a\n    ::add-mask::x");
        assert_eq!(super::continued("one line", 4), "one line");
    }
}
