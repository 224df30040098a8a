//! `stackpilot outputs <layer> <env>`.

use crate::commands::{stack, Context};
use crate::names::{EnvName, Layer};
use crate::preview::value::render;
use crate::printer;
use crate::{Error, Exit};

pub(crate) fn run(ctx: &Context, layer: Layer, env: &EnvName, json: bool) -> Result<Exit, Error> {
    let stack = stack::prepare(ctx, layer, env)?;
    let outputs = stack.outputs()?;
    if json {
        printer::result_line(&serde_json::Value::Object(outputs.into_iter().collect()).to_string())
            .map_err(Error::Print)?;
    } else if outputs.is_empty() {
        printer::progress(&format!("the {layer} stack `{env}` has no outputs"));
    } else {
        let width = outputs.keys().map(String::len).max().unwrap_or(0);
        let table: String = outputs
            .iter()
            .map(|(name, value)| format!("{name:width$}  {}\n", render(value, 2000)))
            .collect();
        printer::result(&table).map_err(Error::Print)?;
    }
    Ok(Exit::Success)
}
