//! `stackpilot outputs <layer> <env>`.

use crate::commands::{stack, Context};
use crate::names::Layer;
use crate::preview::value::render;
use crate::{Error, Exit};

pub(crate) fn run(ctx: &Context, layer: Layer, env: &str, json: bool) -> Result<Exit, Error> {
    let stack = stack::prepare(ctx, layer, env)?;
    let outputs = stack.outputs()?;
    if json {
        println!("{}", serde_json::Value::Object(outputs.into_iter().collect()));
    } else if outputs.is_empty() {
        eprintln!("the {layer} stack `{env}` has no outputs");
    } else {
        let width = outputs.keys().map(String::len).max().unwrap_or(0);
        for (name, value) in &outputs {
            println!("{name:width$}  {}", render(value, 2000));
        }
    }
    Ok(Exit::Success)
}
