//! `stackpilot bootstrap`: the one CloudFormation stack that makes an AWS
//! account ready — the state bucket, the secrets key, the GitHub OIDC
//! provider and the roles the workflows assume — and what the rest of
//! stackpilot reads back from it.

pub mod lookup;
pub mod policy;
mod settings;
pub mod state;
pub mod template;

use std::collections::BTreeMap;

use serde::Serialize;

pub use lookup::{find as find_stack, Found, LookupError};
pub use settings::{parse_oidc_arn, GitHubRepo, Requested, Settings, SettingsError, StackName};
use template::outputs as names;

/// The stack `bootstrap` makes and everything else looks for, unless
/// `--stack-name` / `STACKPILOT_BOOTSTRAP_STACK` says otherwise.
pub const DEFAULT_STACK: &str = "stackpilot-bootstrap";

/// What the bootstrap stack made, from its outputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outputs {
    pub state_bucket: String,
    pub secrets_key_arn: String,
    pub secrets_key_alias: String,
    pub oidc_provider_arn: String,
    /// The stack made the provider (rather than using the account's own).
    pub oidc_provider_made_here: bool,
    pub preview_role_arn: String,
    pub deploy_role_arns: BTreeMap<String, String>,
    pub github_repository: String,
    pub envs: Vec<String>,
}

impl Outputs {
    /// `None` when an output the current template always has is missing:
    /// the stack was made by something else, or by hand.
    pub fn from_stack(outputs: &BTreeMap<String, String>) -> Option<Self> {
        let get = |k: &str| outputs.get(k).cloned();
        let envs: Vec<String> = get(names::ENVS)?
            .split(',')
            .filter(|e| !e.is_empty())
            .map(str::to_owned)
            .collect();
        let deploy_role_arns = envs
            .iter()
            .filter_map(|env| {
                let key = format!("{}{}", names::DEPLOY_ROLE_PREFIX, template::id_part(env));
                Some((env.clone(), get(&key)?))
            })
            .collect();
        Some(Outputs {
            state_bucket: get(names::BUCKET)?,
            secrets_key_arn: get(names::KEY_ARN)?,
            secrets_key_alias: get(names::ALIAS)?,
            oidc_provider_arn: get(names::OIDC)?,
            oidc_provider_made_here: get(names::OIDC_SOURCE).as_deref() == Some("stack"),
            preview_role_arn: get(names::PREVIEW_ROLE)?,
            deploy_role_arns,
            github_repository: get(names::REPOSITORY)?,
            envs,
        })
    }

    /// `key=value` lines for `$GITHUB_OUTPUT`. Every value is an AWS name
    /// or ARN, checked to be one line.
    pub fn step_outputs(&self) -> String {
        let mut lines = vec![
            ("state_bucket".to_owned(), self.state_bucket.clone()),
            ("secrets_key_arn".to_owned(), self.secrets_key_arn.clone()),
            ("secrets_key_alias".to_owned(), self.secrets_key_alias.clone()),
            ("oidc_provider_arn".to_owned(), self.oidc_provider_arn.clone()),
            ("preview_role_arn".to_owned(), self.preview_role_arn.clone()),
        ];
        for (env, arn) in &self.deploy_role_arns {
            lines.push((format!("deploy_role_arn_{}", env.replace('-', "_")), arn.clone()));
        }
        lines
            .into_iter()
            .filter(|(_, v)| !v.contains(['\n', '\r']))
            .map(|(k, v)| format!("{k}={v}\n"))
            .collect()
    }

    /// Shown after an apply, in the summary's output table.
    pub fn table(&self) -> BTreeMap<String, String> {
        let mut rows = BTreeMap::from([
            ("state bucket".to_owned(), self.state_bucket.clone()),
            ("secrets key".to_owned(), self.secrets_key_alias.clone()),
            ("GitHub OIDC provider".to_owned(), self.oidc_provider_arn.clone()),
            ("AWS_PREVIEW_ROLE_ARN".to_owned(), self.preview_role_arn.clone()),
        ]);
        for (env, arn) in &self.deploy_role_arns {
            rows.insert(format!("AWS_DEPLOY_ROLE_ARN ({env})"), arn.clone());
        }
        rows
    }
}
