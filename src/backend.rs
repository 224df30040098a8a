//! Which Pulumi backend a stack lives in, and whether its secrets can be
//! opened.
//!
//! Precedence follows Pulumi's own: `PULUMI_BACKEND_URL`, then the project's
//! `backend.url`, then the account `pulumi login` chose. With none of them,
//! the state bucket of the account's bootstrap stack (`stackpilot
//! bootstrap`), whose KMS key then encrypts new stacks' secrets. With no
//! bootstrap stack either, stackpilot uses a local file backend inside the
//! repository so that a first run works without any account.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::project::{Project, StackConfig, Workspace};

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// `url` is already redacted: a backend URL may carry a password.
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
    #[error(transparent)]
    Bootstrap(#[from] crate::bootstrap::LookupError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackendOrigin {
    Environment,
    Project,
    Login,
    /// The state bucket of the account's bootstrap stack.
    Bootstrap,
    Default,
}

impl BackendOrigin {
    fn name(self) -> &'static str {
        match self {
            BackendOrigin::Environment => "PULUMI_BACKEND_URL",
            BackendOrigin::Project => "Pulumi.yaml backend.url",
            BackendOrigin::Login => "pulumi login",
            BackendOrigin::Bootstrap => "the bootstrap stack",
            BackendOrigin::Default => "stackpilot's default",
        }
    }
}

/// Where Pulumi keeps state, by the backend URL's scheme: the one list of
/// the schemes Pulumi knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    File,
    S3,
    Gcs,
    AzureBlob,
    /// Pulumi Cloud, or a self-hosted Pulumi service (`https://`, `http://`).
    Service,
}

impl BackendKind {
    fn of_scheme(scheme: &str) -> Option<Self> {
        Some(match scheme {
            "file" => BackendKind::File,
            "s3" => BackendKind::S3,
            "gs" => BackendKind::Gcs,
            "azblob" => BackendKind::AzureBlob,
            "https" | "http" => BackendKind::Service,
            _ => return None,
        })
    }

    /// File and object-store backends ("DIY") keep state without a service,
    /// and default to passphrase-encrypted secrets.
    pub fn is_self_managed(self) -> bool {
        self != BackendKind::Service
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backend {
    /// As given: Pulumi gets exactly this. Never log it; log [`Backend::redacted`].
    pub url: String,
    pub kind: BackendKind,
    pub origin: BackendOrigin,
    /// The secrets provider new stacks are created with (`--secrets-provider`);
    /// `None`: Pulumi's default for the backend.
    pub secrets_provider: Option<String>,
}

impl Backend {
    fn parse(url: String, origin: BackendOrigin) -> Result<Self, BackendError> {
        let kind = url::Url::parse(&url)
            .ok()
            .and_then(|u| BackendKind::of_scheme(u.scheme()));
        match kind {
            Some(kind) => Ok(Backend {
                url,
                kind,
                origin,
                secrets_provider: None,
            }),
            None => Err(BackendError::Unknown {
                url: redact(&url),
                source_name: origin.name(),
            }),
        }
    }

    pub fn is_self_managed(&self) -> bool {
        self.kind.is_self_managed()
    }

    /// Where the choice came from, as a reader names it.
    pub fn origin_name(&self) -> &'static str {
        self.origin.name()
    }

    /// The URL with any user name and password left out, for logs and errors.
    pub fn redacted(&self) -> String {
        redact(&self.url)
    }
}

/// `scheme://user:password@host/…` → `scheme://••••@host/…` (the rule
/// lives in [`crate::redact`], with every other mask).
pub fn redact(raw: &str) -> String {
    crate::redact::location(raw)
}

#[derive(Debug, Deserialize)]
struct Credentials {
    #[serde(default)]
    current: Option<String>,
}

/// The bootstrap stack, when one is found: asked only when nothing
/// explicit chose a backend.
pub type BootstrapLookup<'a> = &'a dyn Fn() -> Result<Option<crate::bootstrap::Found>, crate::bootstrap::LookupError>;

/// Resolves the backend for `project`. `var` reads the environment.
pub fn resolve(
    workspace: &Workspace,
    project: &Project,
    var: &dyn Fn(&str) -> Option<String>,
    bootstrap: BootstrapLookup<'_>,
) -> Result<Backend, BackendError> {
    let chosen = var("PULUMI_BACKEND_URL")
        .filter(|u| !u.is_empty())
        .map(|url| (url, BackendOrigin::Environment))
        .or_else(|| project.backend_url.clone().map(|url| (url, BackendOrigin::Project)))
        .or_else(|| login_url(var).map(|url| (url, BackendOrigin::Login)));
    match chosen {
        Some((url, origin)) => Backend::parse(url, origin),
        None => match bootstrap()? {
            Some(found) => Ok(Backend {
                url: found.backend_url(),
                kind: BackendKind::S3,
                origin: BackendOrigin::Bootstrap,
                secrets_provider: Some(found.secrets_provider()),
            }),
            None => default_backend(workspace),
        },
    }
}

fn default_backend(workspace: &Workspace) -> Result<Backend, BackendError> {
    let dir = workspace.state_dir();
    std::fs::create_dir_all(&dir).map_err(|source| BackendError::StateDir {
        path: dir.clone(),
        source,
    })?;
    Ok(Backend {
        url: format!("file://{}", dir.display()),
        kind: BackendKind::File,
        origin: BackendOrigin::Default,
        secrets_provider: None,
    })
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
        .or(backend.secrets_provider.as_deref())
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

    fn no_bootstrap() -> Result<Option<crate::bootstrap::Found>, crate::bootstrap::LookupError> {
        Ok(None)
    }

    fn fixture() -> (tempfile::TempDir, Workspace, Project) {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::discover(Some(dir.path()), dir.path()).unwrap();
        let project = Project {
            layer: Layer::Base,
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
        let default = resolve(&ws, &project, &none, &no_bootstrap).unwrap();
        assert_eq!(default.origin, BackendOrigin::Default);
        assert!(default.url.ends_with(".stackpilot/state"));
        assert!(dir.path().join(".stackpilot/state").is_dir());

        project.backend_url = Some("s3://bucket".into());
        assert_eq!(
            resolve(&ws, &project, &none, &no_bootstrap).unwrap().origin,
            BackendOrigin::Project
        );

        let env = |k: &str| (k == "PULUMI_BACKEND_URL").then(|| "file:///tmp/x".to_owned());
        let b = resolve(&ws, &project, &env, &no_bootstrap).unwrap();
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
        let b = resolve(&ws, &project, &env, &no_bootstrap).unwrap();
        assert_eq!((b.url.as_str(), b.origin), ("gs://state", BackendOrigin::Login));
    }

    #[test]
    fn unknown_scheme_is_refused() {
        let (_dir, ws, project) = fixture();
        let env = |k: &str| (k == "PULUMI_BACKEND_URL").then(|| "ftp://x".to_owned());
        let err = resolve(&ws, &project, &env, &no_bootstrap).unwrap_err().to_string();
        assert!(err.contains("ftp://x") && err.contains("PULUMI_BACKEND_URL"), "{err}");
    }

    #[test]
    fn a_scheme_that_only_starts_like_a_known_one_is_refused() {
        let (_dir, ws, project) = fixture();
        let env = |k: &str| (k == "PULUMI_BACKEND_URL").then(|| "s3x://bucket".to_owned());
        assert!(matches!(
            resolve(&ws, &project, &env, &no_bootstrap),
            Err(BackendError::Unknown { .. })
        ));
    }

    #[test]
    fn a_password_in_a_backend_url_never_reaches_the_error() {
        let (_dir, ws, project) = fixture();
        let env = |k: &str| (k == "PULUMI_BACKEND_URL").then(|| "postgres://admin:DBPASS@db:5432/state".to_owned());
        let err = resolve(&ws, &project, &env, &no_bootstrap).unwrap_err().to_string();
        assert!(!err.contains("DBPASS") && !err.contains("admin"), "{err}");
        assert!(err.contains("••••@db:5432"), "{err}");
        assert_eq!(redact("https://user:PASS@example.com/x"), "https://••••@example.com/x");
        assert_eq!(redact("s3://bucket?region=us-east-1"), "s3://bucket?region=us-east-1");
    }

    #[test]
    fn passphrase_is_required_only_where_secrets_need_it() {
        let local = Backend::parse("file:///x".into(), BackendOrigin::Default).unwrap();
        let cloud = Backend::parse("https://api.pulumi.com".into(), BackendOrigin::Login).unwrap();
        assert_eq!((local.kind, cloud.kind), (BackendKind::File, BackendKind::Service));
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
