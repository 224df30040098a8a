//! The plan of an infrastructure change: the change set of a preview in a
//! canonical form (operation, URN, changed property paths with a digest of
//! each new value, replacement reasons, output changes), the stack config
//! it was made with, and Pulumi's own update plan when there is one.
//!
//! Two plans are compared resource by resource, so that a refusal names
//! what changed: the approved line next to the current one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{fingerprint, push_differences, sha256, PlanError, FORMAT};
use crate::digest::short;
use crate::outcome::infra::{Action, PlanDifference};
use crate::preview::{ChangeSet, DiffKind};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InfraPlan {
    pub format: u32,
    pub stackpilot_version: String,
    pub layer: String,
    pub env: String,
    /// `up` or `destroy`: a plan is applied only by the command it was made for.
    pub action: Action,
    /// SHA-256 of `stacks/<layer>/Pulumi.<env>.yaml` when the plan was made.
    pub config_sha256: String,
    /// Whether that file held Pulumi's `encryptionsalt`: a plan made right
    /// after Pulumi created the stack has one that a fresh checkout lacks.
    #[serde(default)]
    pub config_salted: bool,
    /// The stack's last update then ("update v3 at …"), `None` before the first.
    #[serde(default)]
    pub last_update: Option<String>,
    /// SHA-256 of `resources` and `outputs` in their canonical form.
    pub fingerprint: String,
    pub resources: Vec<PlannedResource>,
    pub outputs: Vec<PlannedOutput>,
    /// The update plan `pulumi preview --save-plan` wrote, applied with
    /// `pulumi up --plan` so that the engine itself refuses a deviation in
    /// the moment between stackpilot's check and the apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pulumi_plan: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlannedResource {
    pub op: String,
    pub urn: String,
    pub properties: Vec<PlannedProperty>,
    pub replace_reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlannedProperty {
    pub path: String,
    pub kind: DiffKind,
    /// SHA-256 of the whole new value (secrets blinded); never the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_sha256: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlannedOutput {
    pub name: String,
    pub kind: DiffKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_sha256: Option<String>,
}

/// What a plan is for: checked before a saved plan is used at all.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub layer: &'a str,
    pub env: &'a str,
    pub action: Action,
}

impl std::fmt::Display for Target<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verb = if self.action == Action::Destroy {
            "destroy"
        } else {
            "up"
        };
        write!(f, "`{verb} {} {}`", self.layer, self.env)
    }
}

impl InfraPlan {
    /// The plan of a preview's change set. `config` is the stack config
    /// file's text.
    pub fn new(target: Target<'_>, config: &[u8], changes: &ChangeSet) -> Result<Self, PlanError> {
        let mut resources: Vec<PlannedResource> = changes
            .resources
            .iter()
            .map(|r| {
                let mut properties: Vec<PlannedProperty> = r
                    .properties
                    .iter()
                    .map(|p| PlannedProperty {
                        path: p.path.clone(),
                        kind: p.kind,
                        after_sha256: p.after_digest.clone(),
                    })
                    .collect();
                properties.sort_by(|a, b| a.path.cmp(&b.path));
                let mut replace_reasons = r.replace_reasons.clone();
                replace_reasons.sort();
                PlannedResource {
                    op: r.op.past_tense().to_owned(),
                    urn: r.urn.clone(),
                    properties,
                    replace_reasons,
                }
            })
            .collect();
        resources.sort_by(|a, b| a.urn.cmp(&b.urn).then(a.op.cmp(&b.op)));
        let mut outputs: Vec<PlannedOutput> = changes
            .outputs
            .iter()
            .map(|o| PlannedOutput {
                name: o.name.clone(),
                kind: o.kind,
                after_sha256: o.after_digest.clone(),
            })
            .collect();
        outputs.sort_by(|a, b| a.name.cmp(&b.name));
        let fingerprint = fingerprint(&(&resources, &outputs))?;
        Ok(InfraPlan {
            format: FORMAT,
            stackpilot_version: env!("CARGO_PKG_VERSION").to_owned(),
            layer: target.layer.to_owned(),
            env: target.env.to_owned(),
            action: target.action,
            config_sha256: sha256(config),
            config_salted: String::from_utf8_lossy(config)
                .lines()
                .any(|l| l.starts_with("encryptionsalt:")),
            last_update: None,
            fingerprint,
            resources,
            outputs,
            pulumi_plan: None,
        })
    }

    /// Refuses a plan made for another stack or command.
    pub fn check_target(&self, path: &std::path::Path, asked: Target<'_>) -> Result<(), PlanError> {
        let planned = Target {
            layer: &self.layer,
            env: &self.env,
            action: self.action,
        };
        if (planned.layer, planned.env, planned.action) == (asked.layer, asked.env, asked.action) {
            return Ok(());
        }
        Err(PlanError::OtherTarget {
            path: path.to_owned(),
            planned: planned.to_string(),
            asked: asked.to_string(),
        })
    }

    /// What differs between this (approved) plan and the current one:
    /// empty when the change set and the config are the same.
    pub fn differences(&self, current: &InfraPlan) -> Vec<PlanDifference> {
        let mut out = Vec::new();
        if self.config_sha256 != current.config_sha256 {
            out.push(PlanDifference {
                subject: format!("stack config Pulumi.{}.yaml", self.env),
                approved: format!("sha256 {}", short(&self.config_sha256)),
                now: if self.config_salted && !current.config_salted {
                    format!(
                        "sha256 {}, without the encryptionsalt line the planning run had: Pulumi created the stack while planning; commit its config file and plan again",
                        short(&current.config_sha256)
                    )
                } else {
                    format!("sha256 {}", short(&current.config_sha256))
                },
            });
        }
        if self.last_update != current.last_update {
            let describe = |u: &Option<String>| u.clone().unwrap_or_else(|| "never updated".to_owned());
            out.push(PlanDifference {
                subject: "the stack's last update".into(),
                approved: describe(&self.last_update),
                now: describe(&current.last_update),
            });
        }
        let by_urn = |plan: &InfraPlan| -> BTreeMap<String, String> {
            plan.resources
                .iter()
                .map(|r| (r.urn.clone(), describe_resource(r)))
                .collect()
        };
        push_differences(
            &mut out,
            by_urn(self),
            by_urn(current),
            ("no change", "no change"),
            |urn| urn.rsplit("::").next().unwrap_or(urn).to_owned(),
        );
        let by_name = |plan: &InfraPlan| -> BTreeMap<String, String> {
            plan.outputs
                .iter()
                .map(|o| (o.name.clone(), describe_output(o)))
                .collect()
        };
        push_differences(
            &mut out,
            by_name(self),
            by_name(current),
            ("no change", "no change"),
            |name| format!("output {name}"),
        );
        out
    }
}

/// "updated: size (value a1b2c3d4), value (value e5f6…)"
fn describe_resource(r: &PlannedResource) -> String {
    let mut text = r.op.clone();
    if !r.properties.is_empty() {
        let props: Vec<String> = r
            .properties
            .iter()
            .map(|p| match &p.after_sha256 {
                Some(h) => format!("{} {} (new value {})", p.kind.label(), p.path, short(h)),
                None => format!("{} {}", p.kind.label(), p.path),
            })
            .collect();
        text.push_str(": ");
        text.push_str(&props.join(", "));
    }
    if !r.replace_reasons.is_empty() {
        text.push_str(&format!("; replaced for {}", r.replace_reasons.join(", ")));
    }
    text
}

fn describe_output(o: &PlannedOutput) -> String {
    match &o.after_sha256 {
        Some(h) => format!("{} (new value {})", o.kind.label(), short(h)),
        None => o.kind.label().to_owned(),
    }
}

#[cfg(test)]
mod tests;
