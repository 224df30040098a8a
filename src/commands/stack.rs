//! Parse, validate, then act: everything that can be checked about a stack
//! is checked here, before the first `pulumi` process starts.

use crate::backend;
use crate::commands::Context;
use crate::names::{EnvName, Layer};
use crate::project::Workspace;
use crate::pulumi::{self, Stack};
use crate::Error;

pub(crate) fn prepare(ctx: &Context, layer: Layer, env: &EnvName) -> Result<Stack, Error> {
    let workspace = Workspace::discover(ctx.root.as_deref(), &ctx.cwd)?;
    let project = workspace.project(layer)?;
    let config = project.stack_config(env)?;
    let program = pulumi::locate()?;
    let backend = backend::resolve(&workspace, &project, &*ctx.var, &|| {
        crate::bootstrap::find_stack(&*ctx.var)
    })?;
    backend::check_secrets(&backend, &config, &*ctx.var)?;
    tracing::debug!(backend = %backend.redacted(), origin = ?backend.origin, "backend");
    let config_file = project.config_file(env);
    Ok(Stack::new(program, &project.dir, backend, env.clone(), config_file))
}
