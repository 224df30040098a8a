//! Which Pulumi backend a stack lives in, and whether its secrets can be
//! opened.
//!
//! Precedence follows Pulumi's own: `PULUMI_BACKEND_URL`, then the project's
//! `backend.url`, then the account `pulumi login` chose. With none of them,
//! stackpilot uses a local file backend inside the repository so that a
//! first run works without any account.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::project::{Project, StackConfig, Workspace};

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error(
        "backend `{url}` (from {source_name}) is not one Pulumi knows; use file://<dir>, s3://<bucket>, gs://<bucket>, azblob://<container> or https://api.pulumi.com"
    )]
    Unknown { url: String, source_name: &'static str },
    #[error("could not create the local state folder {}", .path.display())]
    StateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the stack's secrets are encrypted with a passphrase, but neither PULUMI_CONFIG_PASSPHRASE nor PULUMI_CONFIG_PASSPHRASE_FILE is set; export one of them (in GitHub Actions, from a repository secret)"
    )]
    MissingPassphrase,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackendOrigin {
    Environment,
    Project,
    Login,
    Default,
}

impl BackendOrigin {
    fn name(self) -> &'static str {
        match self {
            BackendOrigin::Environment => "PULUMI_BACKEND_URL",
            BackendOrigin::Project => "Pulumi.yaml backend.url",
            BackendOrigin::Login => "pulumi login",
            BackendOrigin::Default => "stackpilot's default",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backend {
    pub url: String,
    pub origin: BackendOrigin,
}

impl Backend {
    /// File and object-store backends ("DIY") keep state without a service,
    /// and default to passphrase-encrypted secrets.
    pub fn is_self_managed(&self) -> bool {
        ["file://", "s3://", "gs://", "azblob://"]
            .iter()
            .any(|p| self.url.starts_with(p))
    }
}

#[derive(Debug, Deserialize)]
struct Credentials {
    #[serde(default)]
    current: Option<String>,
}

/// Resolves the backend for `project`. `var` reads the environment.
pub fn resolve(
    workspace: &Workspace,
    project: &Project,
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<Backend, BackendError> {
    let chosen = var("PULUMI_BACKEND_URL")
        .filter(|u| !u.is_empty())
        .map(|url| (url, BackendOrigin::Environment))
        .or_else(|| project.backend_url.clone().map(|url| (url, BackendOrigin::Project)))
        .or_else(|| login_url(var).map(|url| (url, BackendOrigin::Login)));
    let backend = match chosen {
        Some((url, origin)) => Backend { url, origin },
        None => {
            let dir = workspace.state_dir();
            std::fs::create_dir_all(&dir).map_err(|source| BackendError::StateDir {
                path: dir.clone(),
                source,
            })?;
            Backend {
                url: format!("file://{}", dir.display()),
                origin: BackendOrigin::Default,
            }
        }
    };
    let known = ["file://", "s3://", "gs://", "azblob://", "https://", "http://"];
    if !known.iter().any(|p| backend.url.starts_with(p)) {
        return Err(BackendError::Unknown {
            url: backend.url,
            source_name: backend.origin.name(),
        });
    }
    Ok(backend)
}

fn login_url(var: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let home = var("PULUMI_HOME")
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|h| Path::new(&h).join(".pulumi")))?;
    let text = std::fs::read_to_string(home.join("credentials.json")).ok()?;
    serde_json::from_str::<Credentials>(&text)
        .ok()?
        .current
        .filter(|u| !u.is_empty())
}

/// Fails early when the stack needs a passphrase that nobody gave.
pub fn check_secrets(
    backend: &Backend,
    config: &StackConfig,
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<(), BackendError> {
    let provider = config
        .secrets_provider
        .as_deref()
        .unwrap_or(if backend.is_self_managed() {
            "passphrase"
        } else {
            "service"
        });
    let uses_passphrase = provider == "passphrase" || config.encryption_salt.is_some();
    // An empty passphrase is allowed by Pulumi, so "set" is what counts.
    let have = var("PULUMI_CONFIG_PASSPHRASE").is_some()
        || var("PULUMI_CONFIG_PASSPHRASE_FILE").is_some_and(|p| !p.is_empty());
    if uses_passphrase && !have {
        return Err(BackendError::MissingPassphrase);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::Layer;

    fn fixture() -> (tempfile::TempDir, Workspace, Project) {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::discover(Some(dir.path()), dir.path()).unwrap();
        let project = Project {
            layer: Layer::Base,
            name: "base".into(),
            dir: dir.path().join("pulumi/base"),
            config_dir: dir.path().join("stacks/base"),
            backend_url: None,
        };
        (dir, ws, project)
    }

    #[test]
    fn env_var_beats_project_which_beats_default() {
        let (dir, ws, mut project) = fixture();
        let none = |_: &str| None;
        let default = resolve(&ws, &project, &none).unwrap();
        assert_eq!(default.origin, BackendOrigin::Default);
        assert!(default.url.ends_with(".stackpilot/state"));
        assert!(dir.path().join(".stackpilot/state").is_dir());

        project.backend_url = Some("s3://bucket".into());
        assert_eq!(resolve(&ws, &project, &none).unwrap().origin, BackendOrigin::Project);

        let env = |k: &str| (k == "PULUMI_BACKEND_URL").then(|| "file:///tmp/x".to_owned());
        let b = resolve(&ws, &project, &env).unwrap();
        assert_eq!(
            (b.url.as_str(), b.origin),
            ("file:///tmp/x", BackendOrigin::Environment)
        );
    }

    #[test]
    fn pulumi_login_state_is_honoured() {
        let (dir, ws, project) = fixture();
        let home = dir.path().join("ph");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(
            home.join("credentials.json"),
            r#"{"current":"gs://state","accounts":{}}"#,
        )
        .unwrap();
        let home_s = home.display().to_string();
        let env = move |k: &str| (k == "PULUMI_HOME").then(|| home_s.clone());
        let b = resolve(&ws, &project, &env).unwrap();
        assert_eq!((b.url.as_str(), b.origin), ("gs://state", BackendOrigin::Login));
    }

    #[test]
    fn unknown_scheme_is_refused() {
        let (_dir, ws, project) = fixture();
        let env = |k: &str| (k == "PULUMI_BACKEND_URL").then(|| "ftp://x".to_owned());
        let err = resolve(&ws, &project, &env).unwrap_err().to_string();
        assert!(err.contains("ftp://x") && err.contains("PULUMI_BACKEND_URL"), "{err}");
    }

    #[test]
    fn passphrase_is_required_only_where_secrets_need_it() {
        let local = Backend {
            url: "file:///x".into(),
            origin: BackendOrigin::Default,
        };
        let cloud = Backend {
            url: "https://api.pulumi.com".into(),
            origin: BackendOrigin::Login,
        };
        let none = |_: &str| None;
        let plain = StackConfig::default();
        assert!(matches!(
            check_secrets(&local, &plain, &none),
            Err(BackendError::MissingPassphrase)
        ));
        assert!(check_secrets(&cloud, &plain, &none).is_ok());
        let empty_ok = |k: &str| (k == "PULUMI_CONFIG_PASSPHRASE").then(String::new);
        assert!(check_secrets(&local, &plain, &empty_ok).is_ok());
        let kms = StackConfig {
            secrets_provider: Some("awskms://alias/x".into()),
            encryption_salt: None,
        };
        assert!(check_secrets(&local, &kms, &none).is_ok());
    }
}
