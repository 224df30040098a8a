//! The CloudFormation template of the bootstrap stack, as typed values that
//! serde writes out. Nothing here joins strings into JSON: every intrinsic
//! function is a [`Val`] variant, every resource a [`Kind`] variant.

use std::collections::BTreeMap;

use serde::Serialize;

use super::policy::{PolicyDocument, Principal, Statement};
use super::Settings;

/// The issuer GitHub Actions signs its OIDC tokens with.
pub const GITHUB_OIDC_URL: &str = "https://token.actions.githubusercontent.com";
/// The audience `aws-actions/configure-aws-credentials` asks tokens for.
pub const GITHUB_OIDC_AUDIENCE: &str = "sts.amazonaws.com";
/// Old state versions are kept this long, to undo a bad `pulumi up` by hand.
const NONCURRENT_VERSION_DAYS: u32 = 90;

/// A template value: a literal or one of CloudFormation's intrinsic functions.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Val {
    Str(String),
    Ref {
        #[serde(rename = "Ref")]
        name: String,
    },
    GetAtt {
        #[serde(rename = "Fn::GetAtt")]
        target: [String; 2],
    },
    /// `${AWS::AccountId}`-style substitution of pseudo parameters and
    /// resource names, which CloudFormation resolves.
    Sub {
        #[serde(rename = "Fn::Sub")]
        text: String,
    },
}

impl Val {
    pub fn str(s: impl Into<String>) -> Self {
        Val::Str(s.into())
    }
    pub fn reference(logical_id: &str) -> Self {
        Val::Ref {
            name: logical_id.to_owned(),
        }
    }
    pub fn arn_of(logical_id: &str) -> Self {
        Val::GetAtt {
            target: [logical_id.to_owned(), "Arn".to_owned()],
        }
    }
    pub fn sub(text: impl Into<String>) -> Self {
        Val::Sub { text: text.into() }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Template {
    #[serde(rename = "AWSTemplateFormatVersion")]
    pub format_version: &'static str,
    pub description: String,
    pub resources: BTreeMap<String, Resource>,
    pub outputs: BTreeMap<String, Output>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Output {
    pub description: String,
    pub value: Val,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Resource {
    #[serde(flatten)]
    pub kind: Kind,
    /// State outlives a mistake: a replaced or deleted bucket is kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_policy: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_replace_policy: Option<&'static str>,
}

impl From<Kind> for Resource {
    fn from(kind: Kind) -> Self {
        Resource {
            kind,
            deletion_policy: None,
            update_replace_policy: None,
        }
    }
}

/// The resource types the bootstrap stack holds, with their properties.
#[derive(Debug, Serialize)]
#[serde(tag = "Type", content = "Properties")]
pub enum Kind {
    #[serde(rename = "AWS::S3::Bucket")]
    Bucket(Bucket),
    #[serde(rename = "AWS::S3::BucketPolicy")]
    BucketPolicy {
        #[serde(rename = "Bucket")]
        bucket: Val,
        #[serde(rename = "PolicyDocument")]
        document: PolicyDocument,
    },
    #[serde(rename = "AWS::KMS::Key")]
    Key(Key),
    #[serde(rename = "AWS::KMS::Alias")]
    Alias {
        #[serde(rename = "AliasName")]
        name: Val,
        #[serde(rename = "TargetKeyId")]
        key: Val,
    },
    #[serde(rename = "AWS::IAM::OIDCProvider")]
    OidcProvider {
        #[serde(rename = "Url")]
        url: String,
        #[serde(rename = "ClientIdList")]
        client_ids: Vec<String>,
    },
    #[serde(rename = "AWS::IAM::Role")]
    Role(Role),
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Bucket {
    pub bucket_name: Val,
    pub versioning_configuration: Status,
    pub bucket_encryption: BucketEncryption,
    pub public_access_block_configuration: PublicAccessBlock,
    pub lifecycle_configuration: Lifecycle,
    pub ownership_controls: OwnershipControls,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Status {
    pub status: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BucketEncryption {
    pub server_side_encryption_configuration: Vec<EncryptionRule>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EncryptionRule {
    pub server_side_encryption_by_default: EncryptionDefault,
    /// S3 Bucket Keys: one KMS call per bucket key instead of per object.
    pub bucket_key_enabled: bool,
}

#[derive(Debug, Serialize)]
pub struct EncryptionDefault {
    #[serde(rename = "SSEAlgorithm")]
    pub algorithm: &'static str,
    #[serde(rename = "KMSMasterKeyID")]
    pub key: Val,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PublicAccessBlock {
    pub block_public_acls: bool,
    pub block_public_policy: bool,
    pub ignore_public_acls: bool,
    pub restrict_public_buckets: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Lifecycle {
    pub rules: Vec<LifecycleRule>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LifecycleRule {
    pub id: &'static str,
    pub status: &'static str,
    pub noncurrent_version_expiration: NoncurrentExpiration,
    pub abort_incomplete_multipart_upload: AbortMultipart,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NoncurrentExpiration {
    pub noncurrent_days: u32,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AbortMultipart {
    pub days_after_initiation: u32,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OwnershipControls {
    pub rules: Vec<OwnershipRule>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OwnershipRule {
    pub object_ownership: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Key {
    pub description: String,
    pub enable_key_rotation: bool,
    pub key_policy: PolicyDocument,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Role {
    pub role_name: Val,
    pub description: String,
    pub assume_role_policy_document: PolicyDocument,
    pub max_session_duration: u32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub managed_policy_arns: Vec<Val>,
    pub policies: Vec<InlinePolicy>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InlinePolicy {
    pub policy_name: String,
    pub policy_document: PolicyDocument,
}

/// Logical ids of the resources everything else refers to.
pub mod ids {
    pub const BUCKET: &str = "StateBucket";
    pub const BUCKET_POLICY: &str = "StateBucketPolicy";
    pub const KEY: &str = "SecretsKey";
    pub const ALIAS: &str = "SecretsKeyAlias";
    pub const OIDC: &str = "GitHubOidcProvider";
    pub const PREVIEW_ROLE: &str = "PreviewRole";
}

/// Output names, which [`super::Outputs`] reads back.
pub mod outputs {
    pub const BUCKET: &str = "StateBucketName";
    pub const KEY_ARN: &str = "SecretsKeyArn";
    pub const ALIAS: &str = "SecretsKeyAlias";
    pub const OIDC: &str = "OidcProviderArn";
    /// `stack` when the stack made the provider, `existing` when it uses
    /// one the account had.
    pub const OIDC_SOURCE: &str = "OidcProviderSource";
    pub const PREVIEW_ROLE: &str = "PreviewRoleArn";
    pub const REPOSITORY: &str = "GitHubRepository";
    pub const ENVS: &str = "Environments";
    /// Followed by the env's logical-id form: `DeployRoleArnAlpha`.
    pub const DEPLOY_ROLE_PREFIX: &str = "DeployRoleArn";
}

/// `dev-2` → `Dev2`: the part of a logical id or output name that names
/// an env. Logical ids are alphanumeric; [`Settings`] refuses two envs that
/// would meet here.
pub fn id_part(env: &str) -> String {
    env.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

pub fn deploy_role_id(env: &str) -> String {
    format!("DeployRole{}", id_part(env))
}

/// The names of the things the stack makes, from its own name: several
/// bootstrap stacks (`--stack-name`) can live in one account.
pub fn bucket_name() -> Val {
    Val::sub("${AWS::StackName}-${AWS::AccountId}-${AWS::Region}")
}

pub fn alias_name() -> Val {
    Val::sub("alias/${AWS::StackName}-secrets")
}

pub fn build(settings: &Settings) -> Template {
    let mut resources: BTreeMap<String, Resource> = BTreeMap::new();
    let mut outputs: BTreeMap<String, Output> = BTreeMap::new();
    let mut output = |name: &str, description: &str, value: Val| {
        outputs.insert(
            name.to_owned(),
            Output {
                description: description.to_owned(),
                value,
            },
        );
    };

    resources.insert(ids::KEY.into(), Kind::Key(super::policy::secrets_key()).into());
    resources.insert(
        ids::ALIAS.into(),
        Kind::Alias {
            name: alias_name(),
            key: Val::reference(ids::KEY),
        }
        .into(),
    );
    resources.insert(
        ids::BUCKET.into(),
        Resource {
            kind: Kind::Bucket(state_bucket()),
            deletion_policy: Some("Retain"),
            update_replace_policy: Some("Retain"),
        },
    );
    resources.insert(
        ids::BUCKET_POLICY.into(),
        Kind::BucketPolicy {
            bucket: Val::reference(ids::BUCKET),
            document: super::policy::tls_only(ids::BUCKET),
        }
        .into(),
    );
    let (oidc, source) = match &settings.oidc_provider_arn {
        Some(arn) => (Val::str(arn.clone()), "existing"),
        None => {
            resources.insert(
                ids::OIDC.into(),
                Kind::OidcProvider {
                    url: GITHUB_OIDC_URL.to_owned(),
                    client_ids: vec![GITHUB_OIDC_AUDIENCE.to_owned()],
                }
                .into(),
            );
            (Val::reference(ids::OIDC), "stack")
        }
    };
    let repo = settings.github_repo.to_string();
    resources.insert(
        ids::PREVIEW_ROLE.into(),
        Kind::Role(super::policy::preview_role(&repo, &oidc)).into(),
    );
    for env in &settings.envs {
        let id = deploy_role_id(env.as_str());
        resources.insert(
            id.clone(),
            Kind::Role(super::policy::deploy_role(&repo, env.as_str(), &oidc)).into(),
        );
        output(
            &format!("{}{}", outputs::DEPLOY_ROLE_PREFIX, id_part(env.as_str())),
            &format!("AWS_DEPLOY_ROLE_ARN for the GitHub environment `{env}`"),
            Val::arn_of(&id),
        );
    }

    output(
        outputs::BUCKET,
        "The bucket that holds Pulumi state and deploy leases",
        Val::reference(ids::BUCKET),
    );
    output(
        outputs::KEY_ARN,
        "The KMS key that encrypts stack secrets",
        Val::arn_of(ids::KEY),
    );
    output(outputs::ALIAS, "The key's alias (awskms://<alias>)", alias_name());
    output(outputs::OIDC, "The GitHub OIDC identity provider the roles trust", oidc);
    output(
        outputs::OIDC_SOURCE,
        "Whether this stack made the provider",
        Val::str(source),
    );
    output(
        outputs::PREVIEW_ROLE,
        "AWS_PREVIEW_ROLE_ARN: previews and plans, read-only",
        Val::arn_of(ids::PREVIEW_ROLE),
    );
    output(
        outputs::REPOSITORY,
        "The repository whose workflows may assume the roles",
        Val::str(repo),
    );
    let envs: Vec<&str> = settings.envs.iter().map(|e| e.as_str()).collect();
    output(outputs::ENVS, "The envs with a deploy role", Val::str(envs.join(",")));

    Template {
        format_version: "2010-09-09",
        description:
            "stackpilot bootstrap: Pulumi state bucket, secrets key, GitHub OIDC roles (made by `stackpilot bootstrap`)"
                .to_owned(),
        resources,
        outputs,
    }
}

fn state_bucket() -> Bucket {
    Bucket {
        bucket_name: bucket_name(),
        versioning_configuration: Status { status: "Enabled" },
        bucket_encryption: BucketEncryption {
            server_side_encryption_configuration: vec![EncryptionRule {
                server_side_encryption_by_default: EncryptionDefault {
                    algorithm: "aws:kms",
                    key: Val::arn_of(ids::KEY),
                },
                bucket_key_enabled: true,
            }],
        },
        public_access_block_configuration: PublicAccessBlock {
            block_public_acls: true,
            block_public_policy: true,
            ignore_public_acls: true,
            restrict_public_buckets: true,
        },
        lifecycle_configuration: Lifecycle {
            rules: vec![LifecycleRule {
                id: "expire-old-state-versions",
                status: "Enabled",
                noncurrent_version_expiration: NoncurrentExpiration {
                    noncurrent_days: NONCURRENT_VERSION_DAYS,
                },
                abort_incomplete_multipart_upload: AbortMultipart {
                    days_after_initiation: 7,
                },
            }],
        },
        ownership_controls: OwnershipControls {
            rules: vec![OwnershipRule {
                object_ownership: "BucketOwnerEnforced",
            }],
        },
    }
}

/// Who may assume a role: GitHub's tokens for `sub`, for our audience only.
pub(super) fn github_trust(oidc: &Val, subject: &str, exact: bool) -> PolicyDocument {
    let operator = if exact { "StringEquals" } else { "StringLike" };
    let mut condition: BTreeMap<String, BTreeMap<String, Val>> = BTreeMap::new();
    condition.entry("StringEquals".to_owned()).or_default().insert(
        "token.actions.githubusercontent.com:aud".to_owned(),
        Val::str(GITHUB_OIDC_AUDIENCE),
    );
    condition
        .entry(operator.to_owned())
        .or_default()
        .insert("token.actions.githubusercontent.com:sub".to_owned(), Val::str(subject));
    PolicyDocument::new(vec![Statement {
        sid: None,
        effect: "Allow",
        principal: Some(Principal::Federated(oidc.clone())),
        action: vec!["sts:AssumeRoleWithWebIdentity"],
        resource: Vec::new(),
        condition,
    }])
}
