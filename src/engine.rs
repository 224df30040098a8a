//! Which infrastructure engine builds each layer: Pulumi (the default) or a
//! CDK app. A repository says so in `stackpilot.yaml` at its root:
//!
//! ```yaml
//! layers:
//!   base: cdk
//!   app: cdk
//! cdk:
//!   app: cdk        # the folder holding cdk.json, relative to this file
//! ```
//!
//! Without the file, or for a layer it does not name, the layer is a Pulumi
//! project. Either way an env's live config sits in `stacks/<layer>/`:
//! `Pulumi.<env>.yaml` for Pulumi, `<env>.json` for the CDK.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::names::{EnvName, Layer};
use crate::project::ProjectError;

/// The project file's name, at the repository's root.
pub const PROJECT_FILE: &str = "stackpilot.yaml";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Pulumi,
    Cdk,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectFile {
    #[serde(default)]
    layers: BTreeMap<Layer, Engine>,
    #[serde(default)]
    cdk: Option<CdkSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CdkSection {
    app: PathBuf,
}

/// What `stackpilot.yaml` declares, read once per command.
#[derive(Debug, Clone, Default)]
pub struct Engines {
    layers: BTreeMap<Layer, Engine>,
    cdk_app: Option<PathBuf>,
}

/// One env of a layer built by the CDK app.
#[derive(Debug, Clone)]
pub struct CdkEnv {
    /// The folder holding `cdk.json` and `node_modules`.
    pub app_dir: PathBuf,
    /// `stacks/`: the app reads `<layer>/<env>.json` from it.
    pub stacks_dir: PathBuf,
    /// `stacks/<layer>/<env>.json`, whose text a saved plan pins.
    pub config_file: PathBuf,
    pub layer: Layer,
    pub env: EnvName,
    /// The config's `region`: where the stack lives.
    pub region: String,
}

impl CdkEnv {
    /// The CloudFormation stack the app names for this env and layer.
    pub fn stack_name(&self) -> String {
        format!("{}-{}", self.env, self.layer)
    }
}

impl Engines {
    /// Reads `stackpilot.yaml` under `root`; no file means Pulumi everywhere.
    pub fn read(root: &Path) -> Result<Self, ProjectError> {
        let path = root.join(PROJECT_FILE);
        if !path.is_file() {
            return Ok(Engines::default());
        }
        let text = std::fs::read_to_string(&path).map_err(|source| ProjectError::Read {
            path: path.clone(),
            source,
        })?;
        let file: ProjectFile = if text.trim().is_empty() {
            ProjectFile::default()
        } else {
            serde_saphyr::from_str(&text).map_err(|e| ProjectError::Yaml {
                path: path.clone(),
                message: e.to_string(),
            })?
        };
        let uses_cdk = file.layers.values().any(|e| *e == Engine::Cdk);
        let cdk_app = match (file.cdk, uses_cdk) {
            (Some(section), _) => Some(root.join(section.app)),
            (None, true) => {
                return Err(ProjectError::Yaml {
                    path,
                    message: "a layer uses the cdk engine, but there is no `cdk: {app: <folder>}` naming the CDK app"
                        .into(),
                })
            }
            (None, false) => None,
        };
        Ok(Engines {
            layers: file.layers,
            cdk_app,
        })
    }

    /// The CDK app's folder: as the project file names it, else `cdk/`.
    pub fn cdk_app_dir(&self, root: &Path) -> PathBuf {
        self.cdk_app.clone().unwrap_or_else(|| root.join("cdk"))
    }

    pub fn of(&self, layer: Layer) -> Engine {
        self.layers.get(&layer).copied().unwrap_or(Engine::Pulumi)
    }

    /// The CDK app and the env's config file, which must exist.
    pub fn cdk_env(&self, root: &Path, layer: Layer, env: &EnvName) -> Result<CdkEnv, ProjectError> {
        let app_dir = self.cdk_app_dir(root);
        if !app_dir.join("cdk.json").is_file() {
            return Err(ProjectError::NoProject {
                layer,
                path: app_dir.join("cdk.json"),
            });
        }
        let stacks_dir = root.join("stacks");
        let config_dir = stacks_dir.join(layer.as_str());
        let config_file = config_dir.join(format!("{env}.json"));
        if !config_file.is_file() {
            return Err(ProjectError::MissingConfig {
                layer,
                env: env.clone(),
                path: config_file,
                existing: json_envs(&config_dir),
            });
        }
        let region = config_region(&config_file)?;
        Ok(CdkEnv {
            app_dir,
            stacks_dir,
            config_file,
            layer,
            env: env.clone(),
            region,
        })
    }
}

/// The `region` of an env's JSON config; the CDK app checks the rest.
fn config_region(path: &Path) -> Result<String, ProjectError> {
    let invalid = |message: String| ProjectError::Yaml {
        path: path.to_owned(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|source| ProjectError::Read {
        path: path.to_owned(),
        source,
    })?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| invalid(format!("not valid JSON: {e}")))?;
    match value.get("region") {
        Some(serde_json::Value::String(region)) if crate::syntax::REGION_RE.matches(region) => Ok(region.clone()),
        Some(other) => Err(invalid(format!("`region` {other} is not an AWS region name"))),
        None => Err(invalid(
            "there is no `region`: name the AWS region the stack lives in".into(),
        )),
    }
}

/// The envs with a `<env>.json` in `dir`, sorted.
fn json_envs(dir: &Path) -> Vec<String> {
    let mut envs: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let env = name.strip_suffix(".json")?;
            (!env.is_empty()).then(|| env.to_owned())
        })
        .collect();
    envs.sort();
    envs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root_with(project: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(PROJECT_FILE), project).unwrap();
        std::fs::create_dir_all(dir.path().join("cdk")).unwrap();
        std::fs::write(dir.path().join("cdk/cdk.json"), "{}").unwrap();
        std::fs::create_dir_all(dir.path().join("stacks/app")).unwrap();
        std::fs::write(dir.path().join("stacks/app/alpha.json"), r#"{"region": "eu-west-1"}"#).unwrap();
        std::fs::write(dir.path().join("stacks/app/beta.json"), r#"{"region": "Mars 1"}"#).unwrap();
        dir
    }

    #[test]
    fn a_layer_the_file_does_not_name_stays_on_pulumi() {
        let dir = root_with("layers:\n  app: cdk\ncdk:\n  app: cdk\n");
        let engines = Engines::read(dir.path()).unwrap();
        assert_eq!(engines.of(Layer::App), Engine::Cdk);
        assert_eq!(engines.of(Layer::Base), Engine::Pulumi);
        let none = tempfile::tempdir().unwrap();
        assert_eq!(Engines::read(none.path()).unwrap().of(Layer::App), Engine::Pulumi);
    }

    #[test]
    fn a_cdk_layer_without_its_app_folder_is_refused() {
        let dir = root_with("layers:\n  app: cdk\n");
        let err = Engines::read(dir.path()).unwrap_err().to_string();
        assert!(err.contains("no `cdk: {app: <folder>}`"), "{err}");
        let dir = root_with("layers:\n  app: terraform\n");
        assert!(Engines::read(dir.path()).is_err());
    }

    #[test]
    fn an_unknown_env_names_the_json_envs_that_exist() {
        let dir = root_with("layers:\n  app: cdk\ncdk:\n  app: cdk\n");
        let engines = Engines::read(dir.path()).unwrap();
        let found = engines
            .cdk_env(dir.path(), Layer::App, &"alpha".parse().unwrap())
            .unwrap();
        assert_eq!(found.stack_name(), "alpha-app");
        assert_eq!(found.region, "eu-west-1");
        let err = engines
            .cdk_env(dir.path(), Layer::App, &"beta".parse().unwrap())
            .unwrap_err()
            .to_string();
        assert!(err.contains("not an AWS region name"), "{err}");
        let err = engines
            .cdk_env(dir.path(), Layer::App, &"gamma".parse().unwrap())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unknown app env `gamma`") && err.contains("alpha, beta"),
            "{err}"
        );
    }
}
