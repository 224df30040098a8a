//! Executing a change set or deleting a stack, and following it through
//! its stack events until CloudFormation is done.

use aws_sdk_cloudformation::types::StackEvent;
use aws_sdk_cloudformation::Client;
use serde::Serialize;

use super::{call_error, pause, CfnError, Prepared, Waiting};
use crate::ecs::pacing::Pacer;

/// How a stack operation ended.
#[derive(Debug, Clone, Serialize)]
pub struct Execution {
    /// The stack's status once CloudFormation stopped: `UPDATE_COMPLETE`,
    /// `ROLLBACK_COMPLETE`, …
    pub status: String,
    pub succeeded: bool,
    /// The first resource that failed: the cause; later failures are most
    /// often its consequences.
    pub first_failure: Option<FailedEvent>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailedEvent {
    pub logical_id: String,
    pub resource_type: String,
    pub status: String,
    pub reason: String,
}

impl Execution {
    /// What the stack's final status means for the person reading, and what
    /// to do next; `None` for a success.
    pub fn advice(&self, stack: &str) -> Option<String> {
        if self.succeeded {
            return None;
        }
        Some(match self.status.as_str() {
            "ROLLBACK_COMPLETE" => format!(
                "the stack was not created and CloudFormation removed what it had made; the next run deletes the empty `{stack}` and creates it again"
            ),
            "ROLLBACK_FAILED" => format!(
                "the creation failed and so did the clean-up: some resources are left; delete the stack (`aws cloudformation delete-stack --stack-name {stack}`), remove what it could not, then run again"
            ),
            "UPDATE_ROLLBACK_COMPLETE" => "the stack is back where it was before this run; fix the cause and run again".to_owned(),
            "UPDATE_ROLLBACK_FAILED" => format!(
                "the update failed and the stack could not return to where it was; fix the resource named above, then `aws cloudformation continue-update-rollback --stack-name {stack}` (with `--resources-to-skip` for one that cannot go back), then run again"
            ),
            "DELETE_FAILED" => format!(
                "some resources could not be deleted; remove them (or what keeps them), then delete `{stack}` again"
            ),
            other => format!("the stack ended as {other}"),
        })
    }
}

fn is_settled(status: &str) -> bool {
    !status.ends_with("_IN_PROGRESS")
}

fn is_success(status: &str) -> bool {
    matches!(
        status,
        "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "DELETE_COMPLETE" | "IMPORT_COMPLETE"
    )
}

/// Runs the change set, then follows the stack until it settles.
pub async fn execute(
    client: &Client,
    prepared: &Prepared,
    waiting: Waiting,
    on_event: &mut dyn FnMut(&str),
) -> Result<Execution, CfnError> {
    let mut events = EventCursor::at_newest(client, &prepared.stack).await?;
    client
        .execute_change_set()
        .stack_name(&prepared.stack)
        .change_set_name(&prepared.id)
        .send()
        .await
        .map_err(|e| call_error("ExecuteChangeSet", e))?;
    follow(client, &prepared.stack, &mut events, waiting, on_event).await
}

/// Deletes the stack (by id, so that its end can still be read), then
/// follows it until it is gone or stuck.
pub async fn delete(
    client: &Client,
    stack_id: &str,
    waiting: Waiting,
    on_event: &mut dyn FnMut(&str),
) -> Result<Execution, CfnError> {
    let mut events = EventCursor::at_newest(client, stack_id).await?;
    client
        .delete_stack()
        .stack_name(stack_id)
        .send()
        .await
        .map_err(|e| call_error("DeleteStack", e))?;
    follow(client, stack_id, &mut events, waiting, on_event).await
}

async fn follow(
    client: &Client,
    stack: &str,
    events: &mut EventCursor,
    waiting: Waiting,
    on_event: &mut dyn FnMut(&str),
) -> Result<Execution, CfnError> {
    let mut pacer = Pacer::new(waiting.pacing);
    let mut failures: Vec<FailedEvent> = Vec::new();
    let mut show = |fresh: Vec<StackEvent>| {
        for event in &fresh {
            on_event(&event_line(event));
            failures.extend(failed_event(event));
        }
        !fresh.is_empty()
    };
    loop {
        let moved = show(events.read_new(client, stack).await?);
        let status = status_of(client, stack).await?;
        if is_settled(&status) {
            // Events written between the last read and the status.
            show(events.read_new(client, stack).await?);
            return Ok(Execution {
                succeeded: is_success(&status),
                first_failure: first_cause(failures),
                status,
            });
        }
        if moved {
            pacer.next(true);
        }
        pause(&mut pacer, waiting.deadline, stack, &status).await?;
    }
}

/// A failure that is not only the echo of another one: CloudFormation
/// cancels the resources in flight when one fails, and the stack itself
/// fails because a resource did.
fn first_cause(failures: Vec<FailedEvent>) -> Option<FailedEvent> {
    let echo = |f: &FailedEvent| {
        f.resource_type == "AWS::CloudFormation::Stack"
            || f.reason.contains("Resource creation cancelled")
            || f.reason.contains("Resource update cancelled")
    };
    failures.iter().find(|f| !echo(f)).or_else(|| failures.first()).cloned()
}

fn failed_event(event: &StackEvent) -> Option<FailedEvent> {
    let status = event.resource_status()?.as_str();
    status.ends_with("_FAILED").then(|| FailedEvent {
        logical_id: event.logical_resource_id().unwrap_or_default().to_owned(),
        resource_type: event.resource_type().unwrap_or_default().to_owned(),
        status: status.to_owned(),
        reason: event.resource_status_reason().unwrap_or("no reason given").to_owned(),
    })
}

/// One progress line per event: status, type, name, and the reason when
/// CloudFormation gave one.
fn event_line(event: &StackEvent) -> String {
    let mut line = format!(
        "{} {} {}",
        event.resource_status().map_or("?", |s| s.as_str()),
        event.resource_type().unwrap_or("?"),
        event.logical_resource_id().unwrap_or("?")
    );
    if let Some(reason) = event.resource_status_reason().filter(|r| !r.is_empty()) {
        line.push_str(": ");
        line.push_str(reason);
    }
    line
}

async fn status_of(client: &Client, stack: &str) -> Result<String, CfnError> {
    let answer = client
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .map_err(|e| call_error("DescribeStacks", e))?;
    Ok(answer
        .stacks()
        .first()
        .and_then(|s| s.stack_status())
        .map(|s| s.as_str().to_owned())
        .unwrap_or_default())
}

/// Where the events already shown end: DescribeStackEvents lists newest
/// first, in pages, and an operation's events are those after the newest
/// one seen before it began.
struct EventCursor {
    newest_seen: Option<String>,
}

impl EventCursor {
    async fn at_newest(client: &Client, stack: &str) -> Result<Self, CfnError> {
        let answer = client
            .describe_stack_events()
            .stack_name(stack)
            .send()
            .await
            .map_err(|e| call_error("DescribeStackEvents", e))?;
        Ok(EventCursor {
            newest_seen: answer
                .stack_events()
                .first()
                .and_then(|e| e.event_id())
                .map(str::to_owned),
        })
    }

    /// The events since the last read, oldest first.
    async fn read_new(&mut self, client: &Client, stack: &str) -> Result<Vec<StackEvent>, CfnError> {
        let mut fresh: Vec<StackEvent> = Vec::new();
        let mut token: Option<String> = None;
        'pages: loop {
            let page = client
                .describe_stack_events()
                .stack_name(stack)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| call_error("DescribeStackEvents", e))?;
            for event in page.stack_events() {
                if event.event_id().is_some() && event.event_id() == self.newest_seen.as_deref() {
                    break 'pages;
                }
                fresh.push(event.clone());
            }
            match page.next_token() {
                Some(next) => token = Some(next.to_owned()),
                None => break,
            }
        }
        if let Some(newest) = fresh.first().and_then(|e| e.event_id()) {
            self.newest_seen = Some(newest.to_owned());
        }
        fresh.reverse();
        Ok(fresh)
    }
}
