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

/// `stackpilot engine <layer>`: what the GitHub action reads to install
/// the Pulumi CLI or the CDK app's packages.
pub(crate) fn print_engine(ctx: &Context, layer: Layer, json: bool) -> Result<crate::Exit, Error> {
    let workspace = Workspace::discover(ctx.root.as_deref(), &ctx.cwd)?;
    let engines = Engines::read(workspace.root())?;
    let engine = engines.of(layer);
    let app = match engine {
        Engine::Pulumi => None,
        Engine::Cdk => {
            let dir = engines.cdk_app_dir(workspace.root());
            Some(dir.strip_prefix(workspace.root()).unwrap_or(&dir).display().to_string())
        }
    };
    let printed = if json {
        crate::printer::json_line(&serde_json::json!({"layer": layer, "engine": engine, "cdk_app": app}))
    } else {
        let name = match engine {
            Engine::Pulumi => "pulumi",
            Engine::Cdk => "cdk",
        };
        crate::printer::result(&format!("{name}\n"))
    };
    printed.map_err(Error::Print)?;
    Ok(crate::Exit::Success)
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
