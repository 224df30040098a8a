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
use crate::engine::Engine;
use crate::outcome::infra::{Action, PlanDifference};
use crate::preview::{ChangeSet, DiffKind};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InfraPlan {
    pub format: u32,
    pub stackpilot_version: String,
    pub layer: String,
    pub env: String,
    /// Which engine the plan was made with; plans from before the CDK engine
    /// are Pulumi's.
    #[serde(default = "pulumi")]
    pub engine: Engine,
    /// `up` or `destroy`: a plan is applied only by the command it was made for.
    pub action: Action,
    /// SHA-256 of the env's config file (`stacks/<layer>/Pulumi.<env>.yaml`,
    /// or `<env>.json` for the CDK) when the plan was made.
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
    /// CDK: SHA-256 of the synthesized template the change set was made
    /// from (outputs and parameters are in it, which a change set omits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_sha256: Option<String>,
    /// CDK: the change set the plan was read from, for the record; the
    /// apply makes a fresh one and executes it only when it matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_set: Option<String>,
}

fn pulumi() -> Engine {
    Engine::Pulumi
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
    pub engine: Engine,
    pub action: Action,
}

impl std::fmt::Display for Target<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verb = if self.action == Action::Destroy {
            "destroy"
        } else {
            "up"
        };
        let engine = match self.engine {
            Engine::Pulumi => "",
            Engine::Cdk => " (CDK)",
        };
        write!(f, "`{verb} {} {}`{engine}", self.layer, self.env)
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
            engine: target.engine,
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
            template_sha256: None,
            change_set: None,
        })
    }

    /// Reads an approved plan, refusing one made for another stack,
    /// command or engine.
    pub fn load(path: &std::path::Path, asked: Target<'_>) -> Result<Self, PlanError> {
        let plan: InfraPlan = super::read(path)?;
        plan.check_target(path, asked)?;
        Ok(plan)
    }

    /// Refuses a plan made for another stack or command.
    pub fn check_target(&self, path: &std::path::Path, asked: Target<'_>) -> Result<(), PlanError> {
        let planned = Target {
            layer: &self.layer,
            env: &self.env,
            engine: self.engine,
            action: self.action,
        };
        if (planned.layer, planned.env, planned.engine, planned.action)
            == (asked.layer, asked.env, asked.engine, asked.action)
        {
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
            let file = match self.engine {
                Engine::Pulumi => format!("Pulumi.{}.yaml", self.env),
                Engine::Cdk => format!("{}.json", self.env),
            };
            out.push(PlanDifference {
                subject: format!("stack config {file}"),
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
        if self.template_sha256 != current.template_sha256 {
            let describe = |t: &Option<String>| {
                t.as_deref()
                    .map_or_else(|| "none".to_owned(), |h| format!("sha256 {}", short(h)))
            };
            out.push(PlanDifference {
                subject: "the synthesized template".into(),
                approved: describe(&self.template_sha256),
                now: describe(&current.template_sha256),
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
