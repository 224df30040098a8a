//! The IAM and KMS policy documents of the bootstrap stack: who may assume
//! each role, and what each role may do.

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};

use super::template::{github_trust, ids, InlinePolicy, Key, Role, Val};

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyDocument {
    pub version: &'static str,
    pub statement: Vec<Statement>,
}

impl PolicyDocument {
    pub fn new(statement: Vec<Statement>) -> Self {
        PolicyDocument {
            version: "2012-10-17",
            statement,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<&'static str>,
    pub effect: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<Principal>,
    pub action: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resource: Vec<Val>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub condition: BTreeMap<String, BTreeMap<String, Val>>,
}

impl Statement {
    fn allow(sid: &'static str, action: Vec<&'static str>, resource: Vec<Val>) -> Self {
        Statement {
            sid: Some(sid),
            effect: "Allow",
            principal: None,
            action,
            resource,
            condition: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone)]
pub enum Principal {
    Everyone,
    Aws(Val),
    Federated(Val),
}

impl Serialize for Principal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let one = |key: &str, v: &Val| BTreeMap::from([(key.to_owned(), v.clone())]);
        match self {
            Principal::Everyone => s.serialize_str("*"),
            Principal::Aws(v) => one("AWS", v).serialize(s),
            Principal::Federated(v) => one("Federated", v).serialize(s),
        }
    }
}

fn account_root() -> Val {
    Val::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")
}

fn managed(name: &str) -> Val {
    Val::sub(format!("arn:${{AWS::Partition}}:iam::aws:policy/{name}"))
}

fn bucket_objects(prefix: &str) -> Val {
    Val::sub(format!("${{{}.Arn}}/{prefix}*", ids::BUCKET))
}

/// The account administers the key through IAM, as for any customer key;
/// the roles get their uses from their own policies.
pub fn secrets_key() -> Key {
    Key {
        description: "stackpilot: encrypts Pulumi stack secrets and the state bucket".to_owned(),
        enable_key_rotation: true,
        key_policy: PolicyDocument::new(vec![Statement {
            sid: Some("AccountAdministersTheKey"),
            effect: "Allow",
            principal: Some(Principal::Aws(account_root())),
            action: vec!["kms:*"],
            resource: vec![Val::str("*")],
            condition: BTreeMap::new(),
        }]),
    }
}

/// Refuses every request to the bucket that does not come over TLS.
pub fn tls_only(bucket: &str) -> PolicyDocument {
    let mut condition = BTreeMap::new();
    condition.insert(
        "Bool".to_owned(),
        BTreeMap::from([("aws:SecureTransport".to_owned(), Val::str("false"))]),
    );
    PolicyDocument::new(vec![Statement {
        sid: Some("DenyPlainHttp"),
        effect: "Deny",
        principal: Some(Principal::Everyone),
        action: vec!["s3:*"],
        resource: vec![Val::arn_of(bucket), bucket_objects("")],
        condition,
    }])
}

/// Previews and plans from any branch or pull request of the repository:
/// read the account and the state, write only Pulumi's lock files.
pub fn preview_role(repo: &str, oidc: &Val) -> Role {
    Role {
        role_name: Val::sub("${AWS::StackName}-preview"),
        description: format!("stackpilot previews for {repo}: read-only"),
        assume_role_policy_document: github_trust(oidc, &format!("repo:{repo}:*"), false),
        max_session_duration: 3600,
        managed_policy_arns: vec![managed("ReadOnlyAccess")],
        policies: vec![InlinePolicy {
            policy_name: "state-read-lock-write".to_owned(),
            policy_document: PolicyDocument::new(vec![
                Statement::allow(
                    "ReadState",
                    vec![
                        "s3:GetObject",
                        "s3:GetObjectVersion",
                        "s3:ListBucket",
                        "s3:GetBucketLocation",
                    ],
                    vec![Val::arn_of(ids::BUCKET), bucket_objects("")],
                ),
                Statement::allow(
                    "WriteLocks",
                    vec!["s3:PutObject", "s3:DeleteObject"],
                    vec![bucket_objects(".pulumi/locks/")],
                ),
                Statement::allow(
                    "OpenSecrets",
                    vec!["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"],
                    vec![Val::arn_of(ids::KEY)],
                ),
            ]),
        }],
    }
}

/// Applies for one env, only from a job bound to the GitHub environment of
/// that name (where a reviewer approves): the account's services, the
/// state, and IAM roles named after the env.
pub fn deploy_role(repo: &str, env: &str, oidc: &Val) -> Role {
    let env_roles = Val::sub(format!("arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{env}-*"));
    Role {
        role_name: Val::sub(format!("${{AWS::StackName}}-deploy-{env}")),
        description: format!("stackpilot deploys of `{env}` for {repo}"),
        assume_role_policy_document: github_trust(oidc, &format!("repo:{repo}:environment:{env}"), true),
        max_session_duration: 3600,
        managed_policy_arns: vec![managed("PowerUserAccess")],
        policies: vec![InlinePolicy {
            policy_name: "state-and-env-roles".to_owned(),
            policy_document: PolicyDocument::new(vec![
                Statement::allow(
                    "ReadWriteState",
                    vec![
                        "s3:GetObject",
                        "s3:GetObjectVersion",
                        "s3:PutObject",
                        "s3:DeleteObject",
                        "s3:ListBucket",
                        "s3:GetBucketLocation",
                    ],
                    vec![Val::arn_of(ids::BUCKET), bucket_objects("")],
                ),
                Statement::allow(
                    "UseSecretsKey",
                    vec!["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"],
                    vec![Val::arn_of(ids::KEY)],
                ),
                Statement::allow(
                    "ManageEnvRoles",
                    vec![
                        "iam:CreateRole",
                        "iam:DeleteRole",
                        "iam:GetRole",
                        "iam:UpdateRole",
                        "iam:TagRole",
                        "iam:UntagRole",
                        "iam:UpdateAssumeRolePolicy",
                        "iam:PutRolePolicy",
                        "iam:GetRolePolicy",
                        "iam:DeleteRolePolicy",
                        "iam:ListRolePolicies",
                        "iam:AttachRolePolicy",
                        "iam:DetachRolePolicy",
                        "iam:ListAttachedRolePolicies",
                        "iam:ListInstanceProfilesForRole",
                        "iam:PassRole",
                    ],
                    vec![env_roles],
                ),
                Statement::allow(
                    "ServiceLinkedRoles",
                    vec!["iam:CreateServiceLinkedRole"],
                    vec![Val::str("*")],
                ),
            ]),
        }],
    }
}
