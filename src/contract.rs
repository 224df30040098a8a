//! The deploy contract (docs/deploy-contract.md): the names the app stack exports for
//! `stackpilot update`, and the image tags a run asks for. Both are parsed
//! and checked here, before the first API call, so that a typo fails with
//! exit 2 instead of half an update.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use schemars::JsonSchema;

use crate::input::{self, InputError, CONTRACT_CAP};
use serde::{Deserialize, Serialize};

use crate::syntax;

mod fields;
use fields::{image_path, shown};

#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    #[error("could not read the deploy contract {}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: InputError,
    },
    #[error("the deploy contract from {origin} is not the shape `stackpilot contract schema` prints")]
    Shape {
        origin: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("the app stack has no `deploy` output; run `stackpilot up app <env>` first, or pass --contract <file>")]
    MissingOutput,
    #[error("the deploy contract from {origin} is not usable: {}; fix the app stack's `deploy` output (or the --contract file)", .problems.join("; "))]
    Invalid { origin: String, problems: Vec<String> },
}

/// Where one-off tasks (the migration) run: the awsvpc network of the
/// services.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Network {
    /// Subnet ids (`subnet-…`), at least one.
    #[schemars(inner(pattern(syntax::SUBNET_ID)))]
    pub subnets: Vec<String>,
    /// Security group ids (`sg-…`).
    #[schemars(inner(pattern(syntax::SECURITY_GROUP_ID)))]
    pub security_groups: Vec<String>,
    /// Whether the task gets a public IP (needed in public subnets without NAT).
    pub assign_public_ip: bool,
}

/// The one-off task that gates every update: create the database if
/// missing, migrate, collect static files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Migration {
    /// The task definition family it runs (exact name).
    #[schemars(pattern(syntax::ECS_NAME))]
    pub task_family: String,
    /// The container whose image and command are set.
    #[schemars(pattern(syntax::ECS_NAME))]
    pub container: String,
    /// A key of [`Contract::images`].
    pub image: String,
    /// The command the container runs instead of its default.
    pub command: Vec<String>,
}

/// One ECS service the update rolls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Service {
    /// The short name people use (`gunicorn`).
    #[schemars(pattern(syntax::ECS_NAME))]
    pub name: String,
    /// The ECS service name (`alpha-gunicorn`).
    #[schemars(pattern(syntax::ECS_NAME))]
    pub service: String,
    /// The task definition family the service runs (exact name).
    #[schemars(pattern(syntax::ECS_NAME))]
    pub task_family: String,
    /// The container whose image the update sets.
    #[schemars(pattern(syntax::ECS_NAME))]
    pub container: String,
    /// A key of [`Contract::images`].
    pub image: String,
    /// Applied only to a service still at 0 (fresh from the IaC); after
    /// that, autoscaling owns the count.
    pub desired_count: i32,
}

/// What the app stack exports as its `deploy` output: the names
/// `stackpilot update` needs, so that it never guesses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Contract {
    /// The AWS region of the cluster (`us-east-1`).
    #[schemars(pattern(syntax::REGION))]
    pub region: String,
    /// The ECS cluster name.
    #[schemars(pattern(syntax::ECS_NAME))]
    pub cluster: String,
    pub network: Network,
    /// Image kind (`backend`, `frontend`) → repository URI without a tag.
    #[schemars(transform = repository_values)]
    pub images: BTreeMap<String, String>,
    /// The database the migration creates when missing (`<env>-db`).
    pub database: String,
    pub migration: Migration,
    pub services: Vec<Service>,
}

/// The schema's check of a repository: Docker's repository syntax, which
/// ECR's URIs follow; the stricter ECR form is checked after parsing.
fn repository_values(schema: &mut schemars::Schema) {
    if let Some(values) = schema.get_mut("additionalProperties").and_then(|v| v.as_object_mut()) {
        values.insert("pattern".into(), syntax::DOCKER_REPOSITORY.into());
    }
}

impl Contract {
    /// The JSON Schema of the contract, as `stackpilot contract schema`
    /// prints it and `docs/deploy-contract.schema.json` holds it.
    pub fn schema_json() -> String {
        let schema = schemars::schema_for!(Contract);
        let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Reads a `--contract <file>` (at most [`CONTRACT_CAP`] bytes; an
    /// interrupt stops the read).
    pub fn from_file(path: &Path) -> Result<Self, ContractError> {
        let text = input::read_to_string(path, CONTRACT_CAP).map_err(|source| ContractError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Reads the `deploy` entry of `pulumi stack output --json`.
    pub fn from_stack_outputs(outputs: &BTreeMap<String, serde_json::Value>, env: &str) -> Result<Self, ContractError> {
        let value = outputs.get("deploy").ok_or(ContractError::MissingOutput)?;
        let origin = format!("the app stack `{env}`");
        // Pulumi prints a structured output as JSON, but a program that
        // exported `JSON.stringify(...)` gives a string holding it.
        let contract: Contract = match value {
            serde_json::Value::String(text) => serde_json::from_str(text),
            other => serde_json::from_value(other.clone()),
        }
        .map_err(|source| ContractError::Shape {
            origin: origin.clone(),
            source,
        })?;
        contract.validated(&origin)
    }

    pub fn parse(text: &str, origin: &str) -> Result<Self, ContractError> {
        let contract: Contract = serde_json::from_str(text).map_err(|source| ContractError::Shape {
            origin: origin.to_owned(),
            source,
        })?;
        contract.validated(origin)
    }

    fn validated(self, origin: &str) -> Result<Self, ContractError> {
        let problems = self.problems();
        if problems.is_empty() {
            Ok(self)
        } else {
            Err(ContractError::Invalid {
                origin: origin.to_owned(),
                problems,
            })
        }
    }

    /// Every problem at once, so one edit fixes them all.
    pub fn problems(&self) -> Vec<String> {
        let mut required: Vec<(String, &str)> = vec![
            ("region".into(), &self.region),
            ("cluster".into(), &self.cluster),
            ("database".into(), &self.database),
            ("migration.taskFamily".into(), &self.migration.task_family),
            ("migration.container".into(), &self.migration.container),
        ];
        for (i, s) in self.services.iter().enumerate() {
            required.push((format!("services[{i}].name"), &s.name));
            required.push((format!("services[{i}].service"), &s.service));
            required.push((format!("services[{i}].taskFamily"), &s.task_family));
            required.push((format!("services[{i}].container"), &s.container));
        }
        for (kind, repo) in &self.images {
            required.push((image_path(kind), repo));
        }
        let mut problems: Vec<String> = required
            .iter()
            .filter(|(_, value)| value.trim().is_empty())
            .map(|(what, _)| format!("{what} is empty"))
            .collect();
        problems.extend(fields::syntax_problems(self));
        if self.network.subnets.is_empty() {
            problems.push("network.subnets is empty: the migration task needs a subnet".into());
        }
        if self.migration.command.is_empty() {
            problems.push("migration.command is empty".into());
        }
        if self.services.is_empty() {
            problems.push("services is empty".into());
        }
        let mut refs = vec![("migration.image".to_owned(), &self.migration.image)];
        refs.extend(
            self.services
                .iter()
                .enumerate()
                .map(|(i, s)| (format!("services[{i}].image"), &s.image)),
        );
        for (path, kind) in refs {
            if !self.images.contains_key(kind.as_str()) {
                let known: Vec<String> = self.images.keys().map(|k| shown(k)).collect();
                problems.push(format!(
                    "{path} names image {}, which is not in images ({})",
                    shown(kind),
                    known.join(", ")
                ));
            }
        }
        for (what, names) in [
            (
                "services[].name",
                self.services.iter().map(|s| &s.name).collect::<Vec<_>>(),
            ),
            ("services[].service", self.services.iter().map(|s| &s.service).collect()),
        ] {
            let mut seen = BTreeSet::new();
            for name in names {
                if !seen.insert(name) {
                    problems.push(format!("{what} {} appears twice", shown(name)));
                }
            }
        }
        // Two services sharing a family would race to register revisions.
        let mut families = BTreeSet::from([&self.migration.task_family]);
        for s in &self.services {
            if !families.insert(&s.task_family) {
                problems.push(format!("taskFamily {} is used twice", shown(&s.task_family)));
            }
        }
        for s in &self.services {
            if s.desired_count < 0 {
                problems.push(format!("services {} has a negative desiredCount", shown(&s.name)));
            }
        }
        problems
    }
}

/// A Docker image tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ImageTag(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("image tag `{tag}` is not valid: {reason}; a Docker tag is 1 to 128 of A-Z a-z 0-9 _ . - and does not start with . or -")]
pub struct ImageTagError {
    tag: String,
    reason: &'static str,
}

impl FromStr for ImageTag {
    type Err = ImageTagError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let bad = |reason| ImageTagError {
            tag: raw.escape_debug().to_string(),
            reason,
        };
        let first = raw.chars().next().ok_or_else(|| bad("it is empty"))?;
        if raw.len() > 128 {
            return Err(bad("it is longer than 128 characters"));
        }
        if !(first.is_ascii_alphanumeric() || first == '_') {
            return Err(bad("it must start with a letter, digit or _"));
        }
        if !raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            return Err(bad("it contains a character other than A-Z a-z 0-9 _ . -"));
        }
        Ok(ImageTag(raw.to_owned()))
    }
}

impl ImageTag {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ImageTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const SAMPLE: &str = r#"{
      "region": "us-east-1", "cluster": "alpha-cluster",
      "network": {"subnets": ["subnet-0123abcd"], "securityGroups": ["sg-0123abcd"], "assignPublicIp": false},
      "images": {"backend": "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme-backend",
                 "frontend": "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme-frontend"},
      "database": "alpha-db",
      "migration": {"taskFamily": "alpha-backend_update", "container": "backend_update",
                    "image": "backend", "command": ["python", "manage.py", "pre_update"]},
      "services": [
        {"name": "gunicorn", "service": "alpha-gunicorn", "taskFamily": "alpha-gunicorn",
         "container": "gunicorn", "image": "backend", "desiredCount": 1},
        {"name": "web-ui", "service": "alpha-web-ui", "taskFamily": "alpha-web-ui",
         "container": "web-ui", "image": "frontend", "desiredCount": 1}
      ]}"#;

    #[test]
    fn the_documented_shape_parses() {
        let c = Contract::parse(SAMPLE, "test").unwrap();
        assert_eq!(c.cluster, "alpha-cluster");
        assert_eq!(c.services[1].image, "frontend");
    }

    /// The schema in docs/ is the one the Pulumi program's tests validate
    /// against; it must be exactly what the types here accept.
    #[test]
    fn the_schema_in_docs_is_the_one_the_types_generate() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/deploy-contract.schema.json");
        let in_docs = std::fs::read_to_string(path).unwrap();
        assert_eq!(
            in_docs,
            Contract::schema_json(),
            "docs/deploy-contract.schema.json is stale: regenerate it with `stackpilot contract schema > docs/deploy-contract.schema.json`"
        );
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let bad = SAMPLE
            .replace(r#""cluster": "alpha-cluster""#, r#""cluster": """#)
            .replace(r#""image": "frontend""#, r#""image": "front""#)
            .replace(r#""service": "alpha-web-ui""#, r#""service": "alpha-gunicorn""#)
            .replace(r#""taskFamily": "alpha-web-ui""#, r#""taskFamily": "alpha-gunicorn""#);
        let err = Contract::parse(&bad, "test").unwrap_err().to_string();
        for part in [
            "cluster is empty",
            r#"names image "front""#,
            r#"services[].service "alpha-gunicorn" appears twice"#,
            r#"taskFamily "alpha-gunicorn" is used twice"#,
        ] {
            assert!(err.contains(part), "{part} missing from {err}");
        }
    }

    #[test]
    fn unknown_fields_are_refused_so_typos_surface() {
        let bad = SAMPLE.replace("\"database\"", "\"databse\"");
        assert!(matches!(Contract::parse(&bad, "t"), Err(ContractError::Shape { .. })));
    }

    #[test]
    fn a_stringified_output_is_accepted() {
        let outputs = BTreeMap::from([("deploy".to_owned(), serde_json::Value::String(SAMPLE.into()))]);
        assert!(Contract::from_stack_outputs(&outputs, "alpha").is_ok());
        assert!(matches!(
            Contract::from_stack_outputs(&BTreeMap::new(), "alpha"),
            Err(ContractError::MissingOutput)
        ));
    }

    #[test]
    fn tags_follow_the_docker_grammar() {
        for ok in ["v1.2.3", "latest", "_x", "a".repeat(128).as_str(), "sha-0f3c_1"] {
            assert!(ok.parse::<ImageTag>().is_ok(), "{ok}");
        }
        for bad in ["", ".v1", "-v1", "v1:2", "a/b", "v 1", "é", &"a".repeat(129)] {
            assert!(bad.parse::<ImageTag>().is_err(), "{bad}");
        }
    }
}
