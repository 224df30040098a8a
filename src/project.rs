//! Finding the repository, its Pulumi projects and the live configuration
//! of each env (which engine builds a layer: [`crate::engine`]).
//!
//! Layout (docs/architecture.md): `pulumi/<layer>/Pulumi.yaml`, whose `stackConfigDir`
//! points at `stacks/<layer>/`, where `Pulumi.<env>.yaml` holds an env's
//! config. The stack name is the env name.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::names::{EnvName, Layer};

#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error(
        "could not find the stackpilot layout (a stackpilot.yaml, or a `pulumi/base` or `pulumi/app` folder with a Pulumi.yaml) in {} or any folder above it; run stackpilot from the repository or pass --root",
        .start.display()
    )]
    NoRoot { start: PathBuf },
    #[error("there is no {layer} project: {} does not exist", .path.display())]
    NoProject { layer: Layer, path: PathBuf },
    #[error("could not read {}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not valid YAML: {message}", .path.display())]
    Yaml { path: PathBuf, message: String },
    #[error("{}", missing_config_message(.layer, .env, .path, .existing))]
    MissingConfig {
        layer: Layer,
        env: EnvName,
        path: PathBuf,
        existing: Vec<String>,
    },
}

fn missing_config_message(layer: &Layer, env: &EnvName, path: &Path, existing: &[String]) -> String {
    let known = if existing.is_empty() {
        "there are none yet".to_owned()
    } else {
        format!("the {layer} envs that exist are: {}", existing.join(", "))
    };
    let start = if path.extension().is_some_and(|e| e == "json") {
        "an object with the keys the CDK app reads, `region` first"
    } else {
        "`config: {}`"
    };
    format!(
        "unknown {layer} env `{env}`: its config file {} does not exist ({known}); to add the env, create that file (it may start as {start})",
        path.display()
    )
}

/// The repository: where `pulumi/` and `stacks/` live.
#[derive(Debug, Clone)]
pub struct Workspace {
    root: PathBuf,
}

impl Workspace {
    /// Uses `explicit` when given, else the nearest folder at or above
    /// `start` that holds `stackpilot.yaml`, `pulumi/base/Pulumi.yaml` or
    /// `pulumi/app/Pulumi.yaml`.
    pub fn discover(explicit: Option<&Path>, start: &Path) -> Result<Self, ProjectError> {
        if let Some(root) = explicit {
            return Ok(Workspace {
                root: root.to_path_buf(),
            });
        }
        let found = start.ancestors().find(|dir| {
            dir.join(crate::engine::PROJECT_FILE).is_file()
                || [Layer::Base, Layer::App]
                    .iter()
                    .any(|l| dir.join("pulumi").join(l.as_str()).join("Pulumi.yaml").is_file())
        });
        match found {
            Some(root) => Ok(Workspace {
                root: root.to_path_buf(),
            }),
            None => Err(ProjectError::NoRoot {
                start: start.to_path_buf(),
            }),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where stackpilot keeps its own state (the default Pulumi backend).
    pub fn state_dir(&self) -> PathBuf {
        self.root.join(".stackpilot").join("state")
    }

    pub fn project(&self, layer: Layer) -> Result<Project, ProjectError> {
        let dir = self.root.join("pulumi").join(layer.as_str());
        let file = dir.join("Pulumi.yaml");
        if !file.is_file() {
            return Err(ProjectError::NoProject { layer, path: file });
        }
        let manifest: Manifest = read_yaml(&file)?;
        let config_dir = match &manifest.stack_config_dir {
            Some(rel) => dir.join(rel),
            None => dir.clone(),
        };
        Ok(Project {
            layer,
            dir,
            config_dir,
            backend_url: manifest.backend.and_then(|b| b.url),
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Manifest {
    #[serde(default)]
    stack_config_dir: Option<String>,
    #[serde(default)]
    backend: Option<ManifestBackend>,
}

#[derive(Debug, Deserialize)]
struct ManifestBackend {
    #[serde(default)]
    url: Option<String>,
}

/// One Pulumi project (a layer).
#[derive(Debug, Clone)]
pub struct Project {
    pub layer: Layer,
    pub dir: PathBuf,
    pub config_dir: PathBuf,
    pub backend_url: Option<String>,
}

/// The parts of `Pulumi.<env>.yaml` that decide how secrets are handled.
#[derive(Debug, Default, Deserialize)]
pub struct StackConfig {
    #[serde(default, rename = "secretsprovider")]
    pub secrets_provider: Option<String>,
    #[serde(default, rename = "encryptionsalt")]
    pub encryption_salt: Option<String>,
}

impl Project {
    pub fn config_file(&self, env: &EnvName) -> PathBuf {
        self.config_dir.join(format!("Pulumi.{env}.yaml"))
    }

    /// The envs that have a config file, sorted.
    pub fn envs(&self) -> Vec<String> {
        let mut envs: Vec<String> = std::fs::read_dir(&self.config_dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let env = name.strip_prefix("Pulumi.")?.strip_suffix(".yaml")?;
                (!env.is_empty()).then(|| env.to_owned())
            })
            .collect();
        envs.sort();
        envs
    }

    /// Reads the env's config file, which must exist.
    pub fn stack_config(&self, env: &EnvName) -> Result<StackConfig, ProjectError> {
        let path = self.config_file(env);
        if !path.is_file() {
            return Err(ProjectError::MissingConfig {
                layer: self.layer,
                env: env.clone(),
                path,
                existing: self.envs(),
            });
        }
        let text = std::fs::read_to_string(&path).map_err(|source| ProjectError::Read {
            path: path.clone(),
            source,
        })?;
        if text.trim().is_empty() {
            return Ok(StackConfig::default());
        }
        serde_saphyr::from_str(&text).map_err(|e| ProjectError::Yaml {
            path,
            message: e.to_string(),
        })
    }
}

fn read_yaml<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, ProjectError> {
    let text = std::fs::read_to_string(path).map_err(|source| ProjectError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_saphyr::from_str(&text).map_err(|e| ProjectError::Yaml {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("pulumi/app");
        std::fs::create_dir_all(&project).unwrap();
        std::fs::write(
            project.join("Pulumi.yaml"),
            "name: app\nruntime: yaml\nstackConfigDir: ../../stacks/app\n",
        )
        .unwrap();
        let stacks = dir.path().join("stacks/app");
        std::fs::create_dir_all(&stacks).unwrap();
        std::fs::write(stacks.join("Pulumi.alpha.yaml"), "config: {}\n").unwrap();
        std::fs::write(stacks.join("Pulumi.beta.yaml"), "encryptionsalt: v1:abc\n").unwrap();
        dir
    }

    #[test]
    fn discovers_the_root_from_a_nested_folder() {
        let dir = layout();
        let nested = dir.path().join("stacks/app");
        let ws = Workspace::discover(None, &nested).unwrap();
        assert_eq!(ws.root(), dir.path());
    }

    #[test]
    fn missing_config_names_the_envs_that_exist() {
        let dir = layout();
        let project = Workspace::discover(Some(dir.path()), dir.path())
            .unwrap()
            .project(Layer::App)
            .unwrap();
        let err = project.stack_config(&"gamma".parse().unwrap()).unwrap_err().to_string();
        assert!(err.contains("unknown app env `gamma`"), "{err}");
        assert!(err.contains("alpha, beta"), "{err}");
        let beta = project.stack_config(&"beta".parse().unwrap()).unwrap();
        assert_eq!(beta.encryption_salt.as_deref(), Some("v1:abc"));
    }
}
