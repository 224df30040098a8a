//! The plan of an app update: per task family the revision it starts from
//! and a digest of the content it registers, per service the revision,
//! image and task count it runs now, and the migration. `update --plan`
//! reads ECS again and refuses (exit 6) when any of it moved.
//!
//! A task definition revision never changes once registered, so the
//! revision a copy starts from, the container and the new image (and the
//! stackpilot version that makes the copy) determine the registered
//! content exactly: that is what `content_sha256` pins.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{fingerprint, push_differences, sha256, PlanError, FORMAT};
use crate::outcome::update::{MigrationReport, RevisionPlan, ServiceReport, StepResult};
use crate::outcome::PlanDifference;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdatePlan {
    pub format: u32,
    pub stackpilot_version: String,
    pub env: String,
    pub cluster: String,
    /// Image kind → tag.
    pub tags: BTreeMap<String, String>,
    /// SHA-256 of `families`, `services` and `migration`.
    pub fingerprint: String,
    pub families: Vec<PlannedFamily>,
    pub services: Vec<PlannedService>,
    pub migration: Option<PlannedMigration>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlannedFamily {
    pub family: String,
    pub container: String,
    pub from_revision: i32,
    pub new_image: String,
    pub registers: bool,
    pub content_sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlannedService {
    pub name: String,
    pub service: String,
    pub revision: Option<i32>,
    pub image: Option<String>,
    pub desired_count: i32,
    pub rolls: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlannedMigration {
    pub family: String,
    pub command: Vec<String>,
    pub database: String,
}

/// What a plan is for: the env and the tags asked for.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub env: &'a str,
    pub tags: &'a BTreeMap<String, String>,
}

impl std::fmt::Display for Target<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tags: Vec<String> = self.tags.iter().map(|(k, v)| format!("--{k} {v}")).collect();
        write!(f, "`update {} {}`", self.env, tags.join(" "))
    }
}

/// What a plan is made from: the parts of an update report known before
/// anything is written.
pub struct Reading<'a> {
    pub env: &'a str,
    pub cluster: &'a str,
    pub tags: &'a BTreeMap<String, String>,
    pub revisions: &'a [RevisionPlan],
    pub services: Vec<&'a ServiceReport>,
    pub migration: Option<&'a MigrationReport>,
}

impl UpdatePlan {
    pub fn new(reading: Reading<'_>) -> Result<Self, PlanError> {
        let version = env!("CARGO_PKG_VERSION");
        let families: Vec<PlannedFamily> = reading
            .revisions
            .iter()
            .map(|r| PlannedFamily {
                family: r.family.clone(),
                container: r.container.clone(),
                from_revision: r.old_revision,
                new_image: r.new_image.clone(),
                registers: r.registers,
                content_sha256: sha256(format!(
                    "{}:{}\n{}\n{}\nstackpilot {version}",
                    r.family, r.old_revision, r.container, r.new_image
                )),
            })
            .collect();
        let services: Vec<PlannedService> = reading
            .services
            .iter()
            .map(|s| PlannedService {
                name: s.name.clone(),
                service: s.service.clone(),
                revision: s.old_revision,
                image: s.old_image.clone(),
                desired_count: s.desired,
                rolls: s.result != StepResult::Unchanged,
            })
            .collect();
        let migration = reading.migration.map(|m| PlannedMigration {
            family: m.family.clone(),
            command: m.command.clone(),
            database: m.database.clone(),
        });
        let fingerprint = fingerprint(&(&families, &services, &migration))?;
        Ok(UpdatePlan {
            format: FORMAT,
            stackpilot_version: version.to_owned(),
            env: reading.env.to_owned(),
            cluster: reading.cluster.to_owned(),
            tags: reading.tags.clone(),
            fingerprint,
            families,
            services,
            migration,
        })
    }

    /// Refuses a plan made for another env or other tags.
    pub fn check_target(&self, path: &std::path::Path, asked: Target<'_>) -> Result<(), PlanError> {
        if self.env == asked.env && &self.tags == asked.tags {
            return Ok(());
        }
        let planned = Target {
            env: &self.env,
            tags: &self.tags,
        };
        Err(PlanError::OtherTarget {
            path: path.to_owned(),
            planned: planned.to_string(),
            asked: asked.to_string(),
        })
    }

    /// What moved in ECS since this (approved) plan was made.
    pub fn differences(&self, now: &UpdatePlan) -> Vec<PlanDifference> {
        let mut out = Vec::new();
        if self.cluster != now.cluster {
            out.push(PlanDifference {
                subject: "cluster".into(),
                approved: self.cluster.clone(),
                now: now.cluster.clone(),
            });
        }
        compare(
            &mut out,
            &self.families,
            &now.families,
            |f| format!("task family {}", f.family),
            describe_family,
        );
        compare(
            &mut out,
            &self.services,
            &now.services,
            |s| format!("service {}", s.service),
            describe_service,
        );
        let migration = |m: &Option<PlannedMigration>| {
            m.as_ref().map_or_else(
                || "does not run".to_owned(),
                |m| format!("{} in {}: {}", m.family, m.database, m.command.join(" ")),
            )
        };
        if self.migration != now.migration {
            out.push(PlanDifference {
                subject: "migration".into(),
                approved: migration(&self.migration),
                now: migration(&now.migration),
            });
        }
        out
    }
}

/// One row per item whose description differs, or that one side lacks.
fn compare<T>(
    out: &mut Vec<PlanDifference>,
    approved: &[T],
    now: &[T],
    key: impl Fn(&T) -> String,
    describe: impl Fn(&T) -> String,
) {
    let index = |items: &[T]| -> BTreeMap<String, String> { items.iter().map(|i| (key(i), describe(i))).collect() };
    let absent = ("not in the plan", "not there now");
    push_differences(out, index(approved), index(now), absent, |k| k.to_owned());
}

fn describe_family(f: &PlannedFamily) -> String {
    let action = if f.registers { "registers a copy of" } else { "stays on" };
    format!(
        "{action} revision {} with {} (content {})",
        f.from_revision,
        f.new_image,
        crate::digest::short(&f.content_sha256)
    )
}

fn describe_service(s: &PlannedService) -> String {
    format!(
        "revision {}, {}, {} task(s){}",
        s.revision.map_or_else(|| "?".to_owned(), |r| r.to_string()),
        s.image.as_deref().unwrap_or("image unknown"),
        s.desired_count,
        if s.rolls { ", rolls" } else { ", stays" }
    )
}

#[cfg(test)]
mod tests;
