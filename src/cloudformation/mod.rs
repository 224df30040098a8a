//! CloudFormation stacks driven through change sets: what `bootstrap` (and
//! any layer made of CloudFormation templates) uses to preview, apply and
//! delete a stack. A change set is described into the same
//! [`crate::preview::ChangeSet`] a Pulumi preview gives, so one renderer
//! shows both.

mod changes;
mod watch;

use std::collections::BTreeMap;

use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudformation::primitives::DateTimeFormat;
use aws_sdk_cloudformation::types::{Capability, ChangeSetStatus, ChangeSetType, Parameter, Tag};
use aws_sdk_cloudformation::Client;
use tokio::time::Instant;

use crate::ecs::pacing::{Pacer, Pacing};
use crate::preview::ChangeSet;

#[cfg(test)]
pub use watch::FailedEvent;
pub use watch::{delete, execute, Execution};

/// How CloudFormation says a change set holds nothing to do.
const NO_CHANGES: [&str; 2] = ["didn't contain changes", "No updates are to be performed"];

#[derive(Debug, thiserror::Error)]
pub enum CfnError {
    #[error("CloudFormation {operation} failed: {message}")]
    Call { operation: &'static str, message: String },
    #[error(
        "stack `{stack}` is {status}: another operation on it is still running; wait for it to end (`aws cloudformation describe-stacks --stack-name {stack}`) and run again"
    )]
    Busy { stack: String, status: String },
    #[error("CloudFormation could not make a change set for `{stack}`: {reason}")]
    ChangeSetFailed { stack: String, reason: String },
    #[error("gave up waiting for `{stack}` at the deadline (it was {status}); CloudFormation carries on without us: check it with `aws cloudformation describe-stacks --stack-name {stack}`")]
    TimedOut { stack: String, status: String },
    #[error("interrupted while `{stack}` was {status}; CloudFormation carries on without us: check it with `aws cloudformation describe-stacks --stack-name {stack}`")]
    Interrupted { stack: String, status: String },
}

impl CfnError {
    pub(crate) fn exit(&self) -> crate::Exit {
        match self {
            CfnError::Busy { .. } => crate::Exit::Locked,
            CfnError::TimedOut { .. } => crate::Exit::TimedOut,
            CfnError::Interrupted { .. } => crate::Exit::Interrupted,
            _ => crate::Exit::Failed,
        }
    }
}

/// The code and message AWS gave, or the transport's error chain.
fn call_error<E, R>(operation: &'static str, err: SdkError<E, R>) -> CfnError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    CfnError::Call {
        operation,
        message: crate::aws::call_failure(&err),
    }
}

fn is_missing_stack<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    err.as_service_error()
        .and_then(|e| e.message())
        .is_some_and(|m| m.contains("does not exist"))
}

/// A stack as DescribeStacks shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct StackInfo {
    pub id: String,
    pub status: String,
    pub outputs: BTreeMap<String, String>,
    /// When it last changed (its creation, before any update), as AWS says.
    pub last_updated: Option<String>,
}

impl StackInfo {
    /// Another operation is running on it.
    pub fn is_busy(&self) -> bool {
        self.status.ends_with("_IN_PROGRESS") && self.status != "REVIEW_IN_PROGRESS"
    }
}

/// `None` when there is no such stack (or only a deleted one).
pub async fn describe(client: &Client, stack: &str) -> Result<Option<StackInfo>, CfnError> {
    let answer = match client.describe_stacks().stack_name(stack).send().await {
        Ok(answer) => answer,
        Err(e) if is_missing_stack(&e) => return Ok(None),
        Err(e) => return Err(call_error("DescribeStacks", e)),
    };
    let Some(found) = answer.stacks().first() else {
        return Ok(None);
    };
    let status = found.stack_status().map(|s| s.as_str().to_owned()).unwrap_or_default();
    if status == "DELETE_COMPLETE" {
        return Ok(None);
    }
    let outputs = found
        .outputs()
        .iter()
        .filter_map(|o| Some((o.output_key()?.to_owned(), o.output_value()?.to_owned())))
        .collect();
    let last_updated = found
        .last_updated_time()
        .or(found.creation_time())
        .and_then(|t| t.fmt(DateTimeFormat::DateTime).ok());
    Ok(Some(StackInfo {
        id: found.stack_id().unwrap_or(stack).to_owned(),
        status,
        outputs,
        last_updated,
    }))
}

/// What to make a change set of.
#[derive(Debug, Clone)]
pub struct StackRequest {
    pub stack: String,
    pub template_body: String,
    pub parameters: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
}

/// Whether the change set creates the stack or changes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Create,
    Update,
}

/// A change set made and described, not yet executed.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub stack: String,
    pub id: String,
    pub kind: Kind,
    pub changes: ChangeSet,
}

#[derive(Debug, Clone)]
pub enum Preparation {
    /// CloudFormation found nothing to change; the empty change set is gone.
    NoChanges,
    Ready(Prepared),
}

/// How long to wait between two polls of a change set or a stack, and for
/// how long in all.
#[derive(Debug, Clone, Copy)]
pub struct Waiting {
    pub pacing: Pacing,
    pub deadline: Instant,
}

/// Makes a change set for `request` and waits until it is described.
/// `existing` is the stack as it is now (`None`: create it). A change set
/// with nothing in it is deleted and reported as [`Preparation::NoChanges`].
pub async fn prepare(
    client: &Client,
    request: &StackRequest,
    existing: Option<&StackInfo>,
    waiting: Waiting,
) -> Result<Preparation, CfnError> {
    if let Some(stack) = existing.filter(|s| s.is_busy()) {
        return Err(CfnError::Busy {
            stack: request.stack.clone(),
            status: stack.status.clone(),
        });
    }
    let kind = match existing {
        Some(s) if s.status != "REVIEW_IN_PROGRESS" => Kind::Update,
        _ => Kind::Create,
    };
    let name = format!("stackpilot-{}", unix_millis());
    let created = client
        .create_change_set()
        .stack_name(&request.stack)
        .change_set_name(&name)
        .change_set_type(match kind {
            Kind::Create => ChangeSetType::Create,
            Kind::Update => ChangeSetType::Update,
        })
        .template_body(&request.template_body)
        .set_parameters(Some(
            request
                .parameters
                .iter()
                .map(|(k, v)| Parameter::builder().parameter_key(k).parameter_value(v).build())
                .collect(),
        ))
        .set_tags(Some(
            request
                .tags
                .iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build())
                .collect(),
        ))
        .capabilities(Capability::CapabilityIam)
        .capabilities(Capability::CapabilityNamedIam)
        .description("made by stackpilot")
        .send()
        .await
        .map_err(|e| call_error("CreateChangeSet", e))?;
    let id = created.id().unwrap_or(&name).to_owned();
    let prepared = Prepared {
        stack: request.stack.clone(),
        id,
        kind,
        changes: ChangeSet::default(),
    };
    match wait_until_described(client, &prepared, waiting).await {
        Ok(Described::Changes(changes)) => {
            let unchanged = match kind {
                Kind::Create => 0,
                Kind::Update => count_resources(client, &request.stack)
                    .await?
                    .saturating_sub(changes.touched_existing()),
            };
            Ok(Preparation::Ready(Prepared {
                changes: changes.into_change_set(unchanged),
                ..prepared
            }))
        }
        Ok(Described::Nothing) => {
            discard(client, &prepared).await?;
            Ok(Preparation::NoChanges)
        }
        Err(err) => {
            // Leave nothing behind: a failed change set, or a stack in
            // REVIEW_IN_PROGRESS that only exists because of it.
            if let Err(cleanup) = discard(client, &prepared).await {
                tracing::warn!("could not delete the failed change set {}: {cleanup}", prepared.id);
            }
            Err(err)
        }
    }
}

enum Described {
    Nothing,
    Changes(changes::Collected),
}

async fn wait_until_described(client: &Client, prepared: &Prepared, waiting: Waiting) -> Result<Described, CfnError> {
    let mut pacer = Pacer::new(waiting.pacing);
    loop {
        let first = client
            .describe_change_set()
            .stack_name(&prepared.stack)
            .change_set_name(&prepared.id)
            .include_property_values(true)
            .send()
            .await
            .map_err(|e| call_error("DescribeChangeSet", e))?;
        let status = first.status().cloned().unwrap_or(ChangeSetStatus::CreatePending);
        match status {
            ChangeSetStatus::CreateComplete => {
                let mut collected = changes::Collected::default();
                collected.add(first.changes());
                let mut token = first.next_token().map(str::to_owned);
                while let Some(next) = token {
                    let page = client
                        .describe_change_set()
                        .stack_name(&prepared.stack)
                        .change_set_name(&prepared.id)
                        .include_property_values(true)
                        .next_token(next)
                        .send()
                        .await
                        .map_err(|e| call_error("DescribeChangeSet", e))?;
                    collected.add(page.changes());
                    token = page.next_token().map(str::to_owned);
                }
                return Ok(if collected.is_empty() {
                    Described::Nothing
                } else {
                    Described::Changes(collected)
                });
            }
            ChangeSetStatus::Failed => {
                let reason = first.status_reason().unwrap_or("no reason given").to_owned();
                if NO_CHANGES.iter().any(|m| reason.contains(m)) {
                    return Ok(Described::Nothing);
                }
                return Err(CfnError::ChangeSetFailed {
                    stack: prepared.stack.clone(),
                    reason,
                });
            }
            other => {
                let status = other.as_str().to_owned();
                pause(&mut pacer, waiting.deadline, &prepared.stack, &status).await?;
            }
        }
    }
}

/// Waits one poll interval; an error at the deadline or on Ctrl-C.
async fn pause(pacer: &mut Pacer, deadline: Instant, stack: &str, status: &str) -> Result<(), CfnError> {
    let wake = Instant::now() + pacer.next(false);
    if wake >= deadline {
        return Err(CfnError::TimedOut {
            stack: stack.to_owned(),
            status: status.to_owned(),
        });
    }
    tokio::select! {
        () = tokio::time::sleep_until(wake) => Ok(()),
        () = crate::interrupt::wait() => Err(CfnError::Interrupted {
            stack: stack.to_owned(),
            status: status.to_owned(),
        }),
    }
}

/// The template the stack was last created or updated with (`None`: there
/// is no such stack), as JSON; a YAML template reads as `Null`.
pub async fn current_template(client: &Client, stack: &str) -> Result<Option<serde_json::Value>, CfnError> {
    let answer = match client.get_template().stack_name(stack).send().await {
        Ok(answer) => answer,
        Err(e) if is_missing_stack(&e) => return Ok(None),
        Err(e) => return Err(call_error("GetTemplate", e)),
    };
    Ok(Some(
        answer
            .template_body()
            .and_then(|body| serde_json::from_str(body).ok())
            .unwrap_or_default(),
    ))
}

/// A template's outputs by name, each as the expression that makes it.
pub fn template_outputs(template: &serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    template
        .get("Outputs")
        .and_then(serde_json::Value::as_object)
        .map(|outputs| {
            outputs
                .iter()
                .map(|(name, o)| (name.clone(), o.get("Value").cloned().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default()
}

/// One resource a stack holds now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackResource {
    pub logical_id: String,
    pub resource_type: String,
    pub physical_id: String,
}

pub async fn resources(client: &Client, stack: &str) -> Result<Vec<StackResource>, CfnError> {
    let mut found = Vec::new();
    let mut pages = client.list_stack_resources().stack_name(stack).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| call_error("ListStackResources", e))?;
        found.extend(page.stack_resource_summaries().iter().map(|r| StackResource {
            logical_id: r.logical_resource_id().unwrap_or_default().to_owned(),
            resource_type: r.resource_type().unwrap_or_default().to_owned(),
            physical_id: r.physical_resource_id().unwrap_or_default().to_owned(),
        }));
    }
    Ok(found)
}

/// What deleting the stack would do, as a change set: every resource goes.
pub fn deletion(resources: &[StackResource]) -> ChangeSet {
    let mut collected = changes::Collected::default();
    collected.add_deletions(resources);
    collected.into_change_set(0)
}

async fn count_resources(client: &Client, stack: &str) -> Result<usize, CfnError> {
    Ok(resources(client, stack).await?.len())
}

/// Deletes a change set that will not be executed, and the stack it would
/// have created when that stack exists only because of it.
pub async fn discard(client: &Client, prepared: &Prepared) -> Result<(), CfnError> {
    client
        .delete_change_set()
        .stack_name(&prepared.stack)
        .change_set_name(&prepared.id)
        .send()
        .await
        .map_err(|e| call_error("DeleteChangeSet", e))?;
    if prepared.kind == Kind::Create {
        if let Some(stack) = describe(client, &prepared.stack).await? {
            if stack.status == "REVIEW_IN_PROGRESS" {
                client
                    .delete_stack()
                    .stack_name(&stack.id)
                    .send()
                    .await
                    .map_err(|e| call_error("DeleteStack", e))?;
            }
        }
    }
    Ok(())
}

fn unix_millis() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

#[cfg(test)]
mod tests;
