//! Finding the bootstrap stack from any command: where Pulumi state lives
//! and which key encrypts new stacks' secrets when nothing else says.

use std::time::Duration;

use aws_config::SdkConfig;

use super::{Outputs, StackName, DEFAULT_STACK};
use crate::cloudformation;

/// A lookup that has not answered by then is a failure, not a wait.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error("STACKPILOT_BOOTSTRAP_STACK: {0}")]
    Name(#[from] super::SettingsError),
    #[error("could not look for the bootstrap stack `{stack}`: {message}; set PULUMI_BACKEND_URL to choose the backend yourself")]
    Failed { stack: String, message: String },
}

/// The bootstrap stack, found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub stack: String,
    pub region: String,
    /// `AWS_ENDPOINT_URL` when set (the local sandbox): Pulumi's own S3 and
    /// KMS clients must be told too.
    pub endpoint: Option<String>,
    pub outputs: Outputs,
}

impl Found {
    /// The Pulumi backend URL of the state bucket.
    pub fn backend_url(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("region", &self.region);
        if let Some(endpoint) = &self.endpoint {
            query.append_pair("endpoint", endpoint);
            query.append_pair("s3ForcePathStyle", "true");
        }
        format!("s3://{}?{}", self.outputs.state_bucket, query.finish())
    }

    /// The `--secrets-provider` new stacks get: the bootstrap key.
    pub fn secrets_provider(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("region", &self.region);
        if let Some(endpoint) = &self.endpoint {
            query.append_pair("endpoint", endpoint);
        }
        format!("awskms://{}?{}", self.outputs.secrets_key_alias, query.finish())
    }
}

/// The bootstrap stack's name: `STACKPILOT_BOOTSTRAP_STACK`, else the default.
pub fn stack_name(var: &dyn Fn(&str) -> Option<String>) -> Result<StackName, LookupError> {
    Ok(var("STACKPILOT_BOOTSTRAP_STACK")
        .filter(|v| !v.is_empty())
        .as_deref()
        .unwrap_or(DEFAULT_STACK)
        .parse()?)
}

/// Whether this process could reach an AWS account at all: without any
/// credentials, profile or endpoint there is nothing to look in, and the
/// credential chain would only spend seconds finding that out.
pub fn aws_configured(var: &dyn Fn(&str) -> Option<String>) -> bool {
    let set = |k: &str| var(k).is_some_and(|v| !v.is_empty());
    let env = [
        "AWS_ACCESS_KEY_ID",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_ENDPOINT_URL",
    ];
    if env.iter().any(|k| set(k)) {
        return true;
    }
    let home = var("HOME").map(std::path::PathBuf::from);
    let file = |k: &str, default: &str| {
        var(k)
            .map(std::path::PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".aws").join(default)))
            .is_some_and(|p| p.is_file())
    };
    file("AWS_CONFIG_FILE", "config") || file("AWS_SHARED_CREDENTIALS_FILE", "credentials")
}

/// Looks for the stack with `config`; `None` when it is not there (or is
/// not complete enough to use).
pub async fn find_with(config: &SdkConfig, stack: &StackName) -> Result<Option<Found>, LookupError> {
    let failed = |message: String| LookupError::Failed {
        stack: stack.to_string(),
        message,
    };
    let client = aws_sdk_cloudformation::Client::new(config);
    let described = tokio::time::timeout(LOOKUP_TIMEOUT, cloudformation::describe(&client, stack.as_str()))
        .await
        .map_err(|_| failed(format!("no answer within {} s", LOOKUP_TIMEOUT.as_secs())))?
        .map_err(|e| failed(e.to_string()))?;
    let Some(info) = described else { return Ok(None) };
    let Some(outputs) = Outputs::from_stack(&info.outputs) else {
        tracing::warn!(
            "stack `{stack}` is {} and lacks the bootstrap outputs; not using it",
            info.status
        );
        return Ok(None);
    };
    Ok(Some(Found {
        stack: stack.to_string(),
        region: config.region().map(ToString::to_string).unwrap_or_default(),
        endpoint: config.endpoint_url().map(str::to_owned),
        outputs,
    }))
}

/// From synchronous code: `None` without AWS configuration or a region.
pub fn find(var: &dyn Fn(&str) -> Option<String>) -> Result<Option<Found>, LookupError> {
    let stack = stack_name(var)?;
    if !aws_configured(var) {
        tracing::debug!("no AWS credentials, profile or endpoint: not looking for a bootstrap stack");
        return Ok(None);
    }
    let runtime = crate::aws::runtime().map_err(|e| LookupError::Failed {
        stack: stack.to_string(),
        message: e.to_string(),
    })?;
    runtime.block_on(async {
        let Some(config) = crate::aws::sdk_config_any_region(None).await else {
            tracing::debug!("no AWS region: not looking for a bootstrap stack");
            return Ok(None);
        };
        find_with(&config, &stack).await
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(endpoint: Option<&str>) -> Found {
        Found {
            stack: "stackpilot-bootstrap".into(),
            region: "eu-west-1".into(),
            endpoint: endpoint.map(str::to_owned),
            outputs: Outputs {
                state_bucket: "stackpilot-bootstrap-123456789012-eu-west-1".into(),
                secrets_key_arn: "arn:aws:kms:eu-west-1:123456789012:key/k".into(),
                secrets_key_alias: "alias/stackpilot-bootstrap-secrets".into(),
                oidc_provider_arn: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com".into(),
                oidc_provider_made_here: true,
                preview_role_arn: "arn:aws:iam::123456789012:role/p".into(),
                deploy_role_arns: Default::default(),
                github_repository: "acme/ublog".into(),
                envs: vec![],
            },
        }
    }

    #[test]
    fn the_backend_and_key_urls_name_the_region_and_a_local_endpoint() {
        let aws = found(None);
        assert_eq!(
            aws.backend_url(),
            "s3://stackpilot-bootstrap-123456789012-eu-west-1?region=eu-west-1"
        );
        assert_eq!(
            aws.secrets_provider(),
            "awskms://alias/stackpilot-bootstrap-secrets?region=eu-west-1"
        );
        let local = found(Some("http://127.0.0.1:4566"));
        assert_eq!(
            local.backend_url(),
            "s3://stackpilot-bootstrap-123456789012-eu-west-1?region=eu-west-1&endpoint=http%3A%2F%2F127.0.0.1%3A4566&s3ForcePathStyle=true"
        );
    }

    #[test]
    fn without_credentials_profile_or_endpoint_nothing_is_looked_up() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().display().to_string();
        let bare = |k: &str| (k == "HOME").then(|| home.clone());
        assert!(!aws_configured(&bare));
        let profile = |k: &str| match k {
            "HOME" => Some(home.clone()),
            "AWS_PROFILE" => Some("dev".to_owned()),
            _ => None,
        };
        assert!(aws_configured(&profile));
        std::fs::create_dir_all(dir.path().join(".aws")).unwrap();
        std::fs::write(dir.path().join(".aws/config"), "[default]\nregion = eu-west-1\n").unwrap();
        assert!(aws_configured(&bare));
    }
}
