//! Steps 1 and 2 of the update: what ECS runs now, and the plan. Describes
//! the latest revision of every task family the requested tags touch and
//! every service that may roll, refuses to roll over deployments this run
//! did not start, and records the plan before any write, so that a dry run
//! and a real run show the same revisions and services.

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_sdk_ecs::types::Service;

use super::UpdateRun;
use crate::contract::{self, Contract};
use crate::ecs::rollout::{self, Watch};
use crate::ecs::taskdef::{self, Described};
use crate::ecs::{plan_diff, revision_of, EcsError};
use crate::outcome::update::{BakeReport, MigrationReport, RevisionPlan, ServiceReport, StepResult};

/// A task family the run touches: the revision it starts from and the
/// image its container gets.
pub(super) struct FamilyPlan {
    pub(super) latest: Described,
    pub(super) container: String,
    pub(super) new_image: String,
}

impl FamilyPlan {
    pub(super) fn name(&self) -> &str {
        &self.latest.family
    }

    pub(super) fn needs_register(&self) -> bool {
        self.latest.image_of(&self.container).ok() != Some(self.new_image.as_str())
    }
}

/// What one service ran before this run: what a rollback returns it to.
pub(super) struct Before {
    pub(super) arn: String,
    pub(super) desired: i32,
}

/// One service through the run: its contract entry and family, what it ran
/// before, and what each step did to it.
pub(super) struct ServiceRun<'r> {
    pub(super) spec: &'r contract::Service,
    pub(super) family: Arc<FamilyPlan>,
    pub(super) before: Before,
    /// Whether the run rolls it (a re-run with the same tag does not).
    pub(super) rolls: bool,
    /// The revision it rolls to, once registration settled it.
    pub(super) target: Option<Described>,
    /// The count the rollout set: a service still at 0 (fresh from the IaC)
    /// gets the contract's, and a rollback puts the old count back.
    pub(super) raised_to: Option<i32>,
    pub(super) rollout: Option<Watch>,
    /// The deployment that takes it back, when the run rolls back.
    pub(super) rollback: Option<Watch>,
    pub(super) entry: ServiceReport,
}

impl ServiceRun<'_> {
    pub(super) fn into_report(self) -> ServiceReport {
        self.entry
    }
}

/// Everything the later steps start from.
pub(super) struct Plan<'r> {
    /// By family name; shared with the services that use them.
    pub(super) families: BTreeMap<String, Arc<FamilyPlan>>,
    /// In contract order, one per service whose image has a requested tag.
    pub(super) services: Vec<ServiceRun<'r>>,
    /// The migration's image is among the requested tags.
    pub(super) migration_wanted: bool,
    /// One per family, for the report.
    pub(super) revisions: Vec<RevisionPlan>,
    /// `--bake`: how the watch after the rollouts went.
    pub(super) bake: Option<BakeReport>,
}

impl<'r> Plan<'r> {
    pub(super) fn rolling(&self) -> impl Iterator<Item = &ServiceRun<'r>> {
        self.services.iter().filter(|s| s.rolls)
    }

    /// The migration runs when its image rolls out to some service.
    pub(super) fn gate_needed(&self, contract: &Contract) -> bool {
        self.migration_wanted && self.rolling().any(|s| s.spec.image == contract.migration.image)
    }

    /// The families step 3 registers a new revision of: those of the
    /// rolling services, and the migration's when the gate runs, unless
    /// already on the image.
    pub(super) fn families_to_register(&self, contract: &Contract, gate_needed: bool) -> Vec<&FamilyPlan> {
        self.families
            .values()
            .filter(|f| f.needs_register())
            .filter(|f| {
                self.rolling().any(|s| s.family.name() == f.name())
                    || (gate_needed && f.name() == contract.migration.task_family)
            })
            .map(Arc::as_ref)
            .collect()
    }

    /// The migration a dry run would start: the revision it would register
    /// (latest + 1) when the image changes.
    pub(super) fn planned_migration(&self, contract: &Contract) -> MigrationReport {
        let family = self.families.get(&contract.migration.task_family);
        MigrationReport {
            family: contract.migration.task_family.clone(),
            revision: family.map(|f| f.latest.revision + i32::from(f.needs_register())),
            command: contract.migration.command.clone(),
            database: contract.database.clone(),
            task_id: None,
            result: StepResult::Planned,
            reason: None,
            failure: None,
            log: None,
            duration_secs: 0.0,
        }
    }
}

impl<'a> UpdateRun<'a> {
    /// Families first, then services: a service's current image is read
    /// from its family's latest revision when it already runs that one.
    pub(super) async fn plan(&self) -> Result<Plan<'a>, EcsError> {
        let contract = self.contract();
        let tags = &self.request.tags;
        let image_for = |kind: &str| -> Option<String> {
            let tag = tags.get(kind)?;
            Some(format!("{}:{tag}", contract.images.get(kind)?))
        };
        let specs: Vec<&'a contract::Service> = contract
            .services
            .iter()
            .filter(|s| tags.contains_key(&s.image))
            .collect();
        let migration_wanted = tags.contains_key(&contract.migration.image);
        let mut wanted: Vec<(&str, &str, String)> = Vec::new();
        if migration_wanted {
            if let Some(image) = image_for(&contract.migration.image) {
                wanted.push((&contract.migration.task_family, &contract.migration.container, image));
            }
        }
        for s in &specs {
            if let Some(image) = image_for(&s.image) {
                wanted.push((&s.task_family, &s.container, image));
            }
        }
        let mut families = BTreeMap::new();
        for (family, container, new_image) in wanted {
            let latest = taskdef::describe_latest(&self.clients.ecs, family).await?;
            latest.container(container)?;
            let plan = FamilyPlan {
                latest,
                container: container.to_owned(),
                new_image,
            };
            families.insert(family.to_owned(), Arc::new(plan));
        }
        let revisions = families
            .values()
            .map(|f| self.revision_plan(f))
            .collect::<Result<_, _>>()?;

        let names: Vec<&str> = specs.iter().map(|s| s.service.as_str()).collect();
        let found = rollout::describe_services(&self.clients.ecs, &contract.cluster, &names).await?;
        self.refuse_foreign_deployments(&found)?;
        let mut services = Vec::with_capacity(specs.len());
        for spec in specs {
            let service = found
                .iter()
                .find(|s| rollout::matches_name(s, &spec.service))
                .ok_or_else(|| EcsError::ServiceNotFound {
                    cluster: contract.cluster.clone(),
                    service: spec.service.clone(),
                    reason: "not returned".into(),
                })?;
            let family = Arc::clone(&families[&spec.task_family]);
            services.push(self.service_run(spec, family, service).await?);
        }
        Ok(Plan {
            families,
            services,
            migration_wanted,
            revisions,
            bake: None,
        })
    }

    fn refuse_foreign_deployments(&self, services: &[Service]) -> Result<(), EcsError> {
        let foreign: Vec<(String, String)> = services
            .iter()
            .flat_map(|s| {
                rollout::in_progress_deployments(s)
                    .into_iter()
                    .map(|id| (s.service_name().unwrap_or("?").to_owned(), id))
            })
            .collect();
        if foreign.is_empty() {
            return Ok(());
        }
        if !self.options().force {
            return Err(EcsError::ForeignDeployment { deployments: foreign });
        }
        tracing::warn!(
            "--force: rolling over {} deployment(s) in progress that this run did not start",
            foreign.len()
        );
        Ok(())
    }

    fn revision_plan(&self, family: &FamilyPlan) -> Result<RevisionPlan, EcsError> {
        let input = taskdef::copy_input(&family.latest, &family.container, &family.new_image)?;
        let container = family.latest.container(&family.container)?;
        Ok(RevisionPlan {
            family: family.name().to_owned(),
            container: family.container.clone(),
            old_revision: family.latest.revision,
            old_image: family.latest.image_of(&family.container)?.to_owned(),
            new_image: family.new_image.clone(),
            new_revision: (!family.needs_register()).then_some(family.latest.revision),
            registers: family.needs_register(),
            changes: plan_diff::changes(&family.latest, &input),
            environment: plan_diff::environment(container),
            secrets: plan_diff::secrets(container),
        })
    }

    async fn service_run(
        &self,
        spec: &'a contract::Service,
        family: Arc<FamilyPlan>,
        service: &Service,
    ) -> Result<ServiceRun<'a>, EcsError> {
        let arn = service.task_definition().unwrap_or_default().to_owned();
        let image = if arn == family.latest.arn {
            Some(family.latest.image_of(&spec.container)?.to_owned())
        } else {
            self.taskdef_by_arn(&arn, &family.latest.family)
                .await
                .ok()
                .and_then(|d| d.image_of(&spec.container).ok().map(str::to_owned))
        };
        // Rolls unless the service already runs the latest revision and that
        // revision already has the image: a re-run with the same tag is a no-op.
        let rolls = family.needs_register() || arn != family.latest.arn;
        let result = if !rolls {
            StepResult::Unchanged
        } else if self.options().dry_run {
            StepResult::Planned
        } else {
            StepResult::Skipped
        };
        let entry = ServiceReport {
            name: spec.name.clone(),
            service: spec.service.clone(),
            old_revision: revision_of(&arn),
            new_revision: None,
            old_image: image,
            new_image: Some(family.new_image.clone()),
            desired: service.desired_count(),
            running: service.running_count(),
            result,
            reason: None,
            deployment_id: None,
            duration_secs: 0.0,
            failed_tasks: Vec::new(),
            rollback: None,
        };
        Ok(ServiceRun {
            spec,
            family,
            before: Before {
                arn,
                desired: service.desired_count(),
            },
            rolls,
            target: None,
            raised_to: None,
            rollout: None,
            rollback: None,
            entry,
        })
    }

    /// A revision by its ARN: what a service runs now, which the rollback
    /// returns to.
    pub(super) async fn taskdef_by_arn(&self, arn: &str, family: &str) -> Result<Described, EcsError> {
        let out = self
            .clients
            .ecs
            .describe_task_definition()
            .task_definition(arn)
            .send()
            .await
            .map_err(|source| EcsError::DescribeTaskDefinition {
                family: family.to_owned(),
                source: Box::new(source),
            })?;
        let definition = out.task_definition.ok_or_else(|| EcsError::Incomplete {
            what: format!("taskDefinition {arn}"),
        })?;
        Ok(Described {
            family: family.to_owned(),
            arn: arn.to_owned(),
            revision: definition.revision(),
            definition,
            tags: Vec::new(),
        })
    }
}
