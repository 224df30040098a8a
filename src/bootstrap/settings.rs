//! What a bootstrap run asks for: the repository whose workflows may
//! assume the roles, the envs that get a deploy role, and an existing OIDC
//! provider to use instead of making one. A re-run starts from what the
//! stack holds, so `--env beta` adds beta and keeps the rest.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use super::Outputs;
use crate::names::EnvName;

/// Role names are `<stack>-deploy-<env>` and must fit IAM's 64 characters
/// with a 32-character env; bucket names fit S3's 63 with account and region.
const MAX_STACK_NAME: usize = 24;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SettingsError {
    #[error("`{0}` is not a GitHub repository; give it as owner/name (for example acme/ublog)")]
    Repo(String),
    #[error("bootstrap stack name `{0}` must be 1 to {MAX_STACK_NAME} lowercase letters, digits and dashes, starting with a letter")]
    StackName(String),
    #[error("`{0}` is not an IAM OIDC provider ARN (arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com)")]
    OidcArn(String),
    #[error("the account has no bootstrap stack yet: the first run needs --github-repo owner/name")]
    NoRepository,
    #[error("envs `{0}` and `{1}` would share one role's logical id; rename one of them")]
    EnvClash(String, String),
    #[error("--remove-env {0}: the bootstrap stack has no deploy role for `{0}`")]
    UnknownEnv(String),
}

/// `owner/name`, as GitHub allows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitHubRepo(String);

impl FromStr for GitHubRepo {
    type Err = SettingsError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let bad = || SettingsError::Repo(raw.escape_debug().to_string());
        let (owner, name) = raw.split_once('/').ok_or_else(bad)?;
        let owner_ok = (1..=39).contains(&owner.len())
            && owner.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !owner.starts_with('-');
        let name_ok = (1..=100).contains(&name.len())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            && name != "."
            && name != "..";
        if owner_ok && name_ok {
            Ok(GitHubRepo(raw.to_owned()))
        } else {
            Err(bad())
        }
    }
}

impl fmt::Display for GitHubRepo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackName(String);

impl FromStr for StackName {
    type Err = SettingsError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let ok = (1..=MAX_STACK_NAME).contains(&raw.len())
            && raw.starts_with(|c: char| c.is_ascii_lowercase())
            && raw
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !raw.ends_with('-');
        if ok {
            Ok(StackName(raw.to_owned()))
        } else {
            Err(SettingsError::StackName(raw.escape_debug().to_string()))
        }
    }
}

impl StackName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StackName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub fn parse_oidc_arn(raw: &str) -> Result<String, SettingsError> {
    let ok = raw.starts_with("arn:aws") && raw.contains(":iam::") && raw.contains(":oidc-provider/");
    if ok && !raw.contains(char::is_whitespace) {
        Ok(raw.to_owned())
    } else {
        Err(SettingsError::OidcArn(raw.escape_debug().to_string()))
    }
}

/// What the template is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub github_repo: GitHubRepo,
    /// Sorted, each once.
    pub envs: Vec<EnvName>,
    /// An OIDC provider the account already has (an account holds one per
    /// issuer); `None`: the stack makes it.
    pub oidc_provider_arn: Option<String>,
}

/// What the command line asked for.
#[derive(Debug, Clone, Default)]
pub struct Requested {
    pub github_repo: Option<GitHubRepo>,
    pub add_envs: Vec<EnvName>,
    pub remove_envs: Vec<EnvName>,
    pub oidc_provider_arn: Option<String>,
}

impl Settings {
    /// The settings a run applies: what the stack holds now (`current`),
    /// changed by what was asked.
    pub fn merge(current: Option<&Outputs>, asked: Requested) -> Result<Self, SettingsError> {
        let github_repo = match (asked.github_repo, current) {
            (Some(repo), _) => repo,
            (None, Some(now)) => now.github_repository.parse()?,
            (None, None) => return Err(SettingsError::NoRepository),
        };
        let mut envs: BTreeSet<String> = current.map(|c| c.envs.iter().cloned().collect()).unwrap_or_default();
        for env in &asked.remove_envs {
            if !envs.remove(env.as_str()) {
                return Err(SettingsError::UnknownEnv(env.to_string()));
            }
        }
        envs.extend(asked.add_envs.iter().map(|e| e.to_string()));
        let envs: Vec<EnvName> = envs.iter().filter_map(|e| e.parse().ok()).collect();
        for (i, a) in envs.iter().enumerate() {
            if let Some(b) = envs[i + 1..]
                .iter()
                .find(|b| super::template::id_part(a.as_str()) == super::template::id_part(b.as_str()))
            {
                return Err(SettingsError::EnvClash(a.to_string(), b.to_string()));
            }
        }
        // A provider the stack did not make stays the one it uses.
        let oidc_provider_arn = asked.oidc_provider_arn.or_else(|| {
            current
                .filter(|c| !c.oidc_provider_made_here)
                .map(|c| c.oidc_provider_arn.clone())
        });
        Ok(Settings {
            github_repo,
            envs,
            oidc_provider_arn,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outputs(envs: &[&str]) -> Outputs {
        Outputs {
            state_bucket: "b".into(),
            secrets_key_arn: "k".into(),
            secrets_key_alias: "alias/x".into(),
            oidc_provider_arn: "arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com".into(),
            oidc_provider_made_here: true,
            preview_role_arn: "r".into(),
            deploy_role_arns: Default::default(),
            github_repository: "acme/ublog".into(),
            envs: envs.iter().map(|e| e.to_string()).collect(),
        }
    }

    fn env(e: &str) -> EnvName {
        e.parse().unwrap()
    }

    #[test]
    fn repositories_are_owner_slash_name() {
        assert!("acme/ublog".parse::<GitHubRepo>().is_ok());
        assert!("acme-co/my.repo_2".parse::<GitHubRepo>().is_ok());
        for bad in [
            "acme", "acme/", "/ublog", "ac me/x", "acme/x/y", "-acme/x", "acme/..", "acme/a*",
        ] {
            assert!(bad.parse::<GitHubRepo>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_rerun_keeps_the_envs_it_has_and_adds_the_new_one() {
        let now = outputs(&["alpha", "dev"]);
        let asked = Requested {
            add_envs: vec![env("beta")],
            ..Requested::default()
        };
        let s = Settings::merge(Some(&now), asked).unwrap();
        let envs: Vec<&str> = s.envs.iter().map(EnvName::as_str).collect();
        assert_eq!(envs, ["alpha", "beta", "dev"]);
        assert_eq!(s.github_repo.to_string(), "acme/ublog");
        assert_eq!(s.oidc_provider_arn, None, "the stack's own provider stays in the stack");
    }

    #[test]
    fn removing_an_env_the_stack_lacks_is_refused() {
        let asked = Requested {
            remove_envs: vec![env("gamma")],
            ..Requested::default()
        };
        assert_eq!(
            Settings::merge(Some(&outputs(&["alpha"])), asked),
            Err(SettingsError::UnknownEnv("gamma".into()))
        );
    }

    #[test]
    fn the_first_run_needs_a_repository() {
        assert_eq!(
            Settings::merge(None, Requested::default()),
            Err(SettingsError::NoRepository)
        );
    }

    #[test]
    fn envs_that_would_share_a_logical_id_are_refused() {
        let asked = Requested {
            github_repo: Some("acme/ublog".parse().unwrap()),
            add_envs: vec![env("a1"), env("a-1")],
            ..Requested::default()
        };
        assert!(matches!(Settings::merge(None, asked), Err(SettingsError::EnvClash(..))));
    }

    #[test]
    fn an_existing_provider_is_kept_on_a_rerun() {
        let now = Outputs {
            oidc_provider_made_here: false,
            ..outputs(&["alpha"])
        };
        let s = Settings::merge(Some(&now), Requested::default()).unwrap();
        assert_eq!(s.oidc_provider_arn.as_deref(), Some(now.oidc_provider_arn.as_str()));
    }
}
