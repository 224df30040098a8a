//! The CDK engine's one subprocess: `cdk synth` of the project's own pinned
//! `aws-cdk` (through `npx --no-install`, so nothing is fetched), read back
//! from the cloud assembly's `manifest.json` as the template and tags of
//! the one stack a layer and env name. Everything after synth is
//! CloudFormation ([`crate::cloudformation`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Deserialize;

use crate::engine::CdkEnv;
use crate::process::{Invocation, ProcessError, Program, Stream};

/// CloudFormation's limit for a template passed in the request itself.
pub const TEMPLATE_BODY_LIMIT: usize = 51_200;

#[derive(Debug, thiserror::Error)]
pub enum CdkError {
    #[error("npx is not on PATH: the CDK engine runs the project's own aws-cdk with npx (install Node.js, then `npm ci` in the CDK app's folder)")]
    NpxMissing,
    #[error("the CDK app's aws-cdk is not installed: {} does not exist; run `npm ci` in {}", .cli.display(), .dir.display())]
    NotInstalled {
        cli: std::path::PathBuf,
        dir: std::path::PathBuf,
    },
    #[error("could not set up a folder for the cloud assembly")]
    Workdir(#[source] std::io::Error),
    #[error("cdk synth failed")]
    Synth(#[source] ProcessError),
    #[error("could not read the cloud assembly {}: {message}", .path.display())]
    Assembly { path: std::path::PathBuf, message: String },
    #[error("the CDK app made no stack `{stack}` for this env (it made: {})", if .made.is_empty() { "none".to_owned() } else { .made.join(", ") })]
    NoSuchStack { stack: String, made: Vec<String> },
    #[error("the template of `{stack}` is {size} bytes, over CloudFormation's {TEMPLATE_BODY_LIMIT}-byte limit for a template sent in the request; split the stack")]
    TemplateTooLarge { stack: String, size: usize },
}

impl CdkError {
    /// Whether nothing could have run: the tool or the app is missing.
    pub fn is_setup(&self) -> bool {
        matches!(self, CdkError::NpxMissing | CdkError::NotInstalled { .. })
    }
}

/// One stack as the CDK app synthesized it.
#[derive(Debug, Clone)]
pub struct Synthesized {
    pub stack: String,
    /// The template, compact (the request carries it).
    pub template: String,
    /// The stack tags the app declares.
    pub tags: BTreeMap<String, String>,
    /// The parameters the template declares.
    pub parameters: BTreeSet<String>,
}

#[derive(Debug, Deserialize)]
struct Manifest {
    #[serde(default)]
    artifacts: BTreeMap<String, Artifact>,
}

#[derive(Debug, Deserialize)]
struct Artifact {
    #[serde(rename = "type")]
    kind: String,
    /// Each kind of artifact has its own properties; only stacks' are read.
    #[serde(default)]
    properties: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StackProperties {
    template_file: String,
    #[serde(default)]
    stack_name: Option<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

/// Synthesizes the env's stack; `on_line` gets the CLI's output as it runs.
pub fn synth(env: &CdkEnv, on_line: &mut dyn FnMut(Stream, &str)) -> Result<Synthesized, CdkError> {
    let npx = which::which("npx").map_err(|_| CdkError::NpxMissing)?;
    let cli = env.app_dir.join("node_modules").join(".bin").join("cdk");
    if !cli.exists() {
        return Err(CdkError::NotInstalled {
            cli,
            dir: env.app_dir.clone(),
        });
    }
    let out = tempfile::tempdir().map_err(CdkError::Workdir)?;
    Invocation::new(&Program::at("npx", npx))
        .args(["--no-install", "cdk", "synth", "--quiet", "-c"])
        .arg(format!("env={}", env.env))
        .arg("-c")
        .arg(format!("stacksDir={}", env.stacks_dir.display()))
        .arg("-o")
        .arg(out.path())
        .env("CDK_DISABLE_CLI_TELEMETRY", "true")
        // npm would otherwise look for a newer npm on the registry.
        .env("NPM_CONFIG_UPDATE_NOTIFIER", "false")
        .current_dir(&env.app_dir)
        .run(on_line)
        .and_then(crate::process::Finished::check)
        .map_err(CdkError::Synth)?;
    read_stack(out.path(), &env.stack_name())
}

/// Finds `stack` in the cloud assembly at `dir`.
fn read_stack(dir: &Path, stack: &str) -> Result<Synthesized, CdkError> {
    let manifest_path = dir.join("manifest.json");
    let manifest: Manifest = read_json(&manifest_path)?;
    let stacks: Vec<(String, StackProperties)> = manifest
        .artifacts
        .into_iter()
        .filter(|(_, a)| a.kind == "aws:cloudformation:stack")
        .map(|(id, a)| {
            let properties: StackProperties =
                serde_json::from_value(a.properties.unwrap_or_default()).map_err(|e| CdkError::Assembly {
                    path: manifest_path.clone(),
                    message: format!("stack `{id}`: {e}"),
                })?;
            Ok((properties.stack_name.clone().unwrap_or(id), properties))
        })
        .collect::<Result<_, CdkError>>()?;
    let made: Vec<String> = stacks.iter().map(|(name, _)| name.clone()).collect();
    let Some((_, properties)) = stacks.into_iter().find(|(name, _)| name == stack) else {
        return Err(CdkError::NoSuchStack {
            stack: stack.to_owned(),
            made,
        });
    };
    let template: serde_json::Value = read_json(&dir.join(&properties.template_file))?;
    let parameters = template
        .get("Parameters")
        .and_then(serde_json::Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    let template = template.to_string();
    if template.len() > TEMPLATE_BODY_LIMIT {
        return Err(CdkError::TemplateTooLarge {
            stack: stack.to_owned(),
            size: template.len(),
        });
    }
    Ok(Synthesized {
        stack: stack.to_owned(),
        template,
        tags: properties.tags,
        parameters,
    })
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, CdkError> {
    let assembly = |message: String| CdkError::Assembly {
        path: path.to_owned(),
        message,
    };
    let text = crate::input::read_to_string(path, 16 << 20).map_err(|e| assembly(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| assembly(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assembly(stacks: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let mut artifacts = serde_json::Map::new();
        artifacts.insert(
            "Tree".into(),
            serde_json::json!({"type": "cdk:tree", "properties": {"file": "tree.json"}}),
        );
        for (name, template) in stacks {
            let file = format!("{name}.template.json");
            std::fs::write(dir.path().join(&file), template).unwrap();
            artifacts.insert(
                (*name).into(),
                serde_json::json!({"type": "aws:cloudformation:stack",
                    "properties": {"templateFile": file, "tags": {"env": "alpha"}}}),
            );
        }
        std::fs::write(
            dir.path().join("manifest.json"),
            serde_json::json!({"version": "48.0.0", "artifacts": artifacts}).to_string(),
        )
        .unwrap();
        dir
    }

    #[test]
    fn the_named_stack_is_read_compact_with_its_tags() {
        let dir = assembly(&[(
            "alpha-app",
            "{\n  \"Parameters\": {\"P\": {}},\n  \"Resources\": {}\n}\n",
        )]);
        let found = read_stack(dir.path(), "alpha-app").unwrap();
        assert_eq!(found.template, r#"{"Parameters":{"P":{}},"Resources":{}}"#);
        assert_eq!(found.parameters.iter().collect::<Vec<_>>(), ["P"]);
        assert_eq!(found.tags.get("env").map(String::as_str), Some("alpha"));
    }

    #[test]
    fn a_stack_the_app_did_not_make_names_those_it_did() {
        let dir = assembly(&[("dev-base", "{}")]);
        let err = read_stack(dir.path(), "alpha-app").unwrap_err().to_string();
        assert!(
            err.contains("no stack `alpha-app`") && err.contains("dev-base"),
            "{err}"
        );
    }

    #[test]
    fn a_template_over_the_request_limit_is_refused() {
        let big = format!(r#"{{"Description":"{}"}}"#, "x".repeat(TEMPLATE_BODY_LIMIT));
        let dir = assembly(&[("alpha-app", &big)]);
        let err = read_stack(dir.path(), "alpha-app").unwrap_err().to_string();
        assert!(err.contains("over CloudFormation's 51200-byte limit"), "{err}");
    }
}
