//! Parse, validate, then act: everything that can be checked about a stack
//! is checked here, before the first `pulumi` or `cdk` process starts.

use std::collections::BTreeMap;

use crate::backend;
use crate::commands::Context;
use crate::engine::{CdkEnv, Engine, Engines};
use crate::names::{EnvName, Layer};
use crate::project::Workspace;
use crate::pulumi::{self, Stack};
use crate::Error;

/// The CDK app and config of a layer the CDK builds, `None` for a Pulumi layer.
pub(crate) fn cdk_layer(ctx: &Context, layer: Layer, env: &EnvName) -> Result<Option<CdkEnv>, Error> {
    let workspace = Workspace::discover(ctx.root.as_deref(), &ctx.cwd)?;
    let engines = Engines::read(workspace.root())?;
    match engines.of(layer) {
        Engine::Pulumi => Ok(None),
        Engine::Cdk => Ok(Some(engines.cdk_env(workspace.root(), layer, env)?)),
    }
}

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

/// The stack's outputs, whichever engine made it.
pub(crate) fn outputs(
    ctx: &Context,
    layer: Layer,
    env: &EnvName,
) -> Result<BTreeMap<String, serde_json::Value>, Error> {
    match cdk_layer(ctx, layer, env)? {
        Some(cdk) => crate::commands::cdk::outputs(&cdk),
        None => Ok(prepare(ctx, layer, env)?.outputs()?),
    }
}
