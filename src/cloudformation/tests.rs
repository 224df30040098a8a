//! Change sets and stack events against a mocked CloudFormation, under
//! tokio's paused clock.

use std::time::Duration;

use aws_sdk_cloudformation::operation::create_change_set::CreateChangeSetOutput;
use aws_sdk_cloudformation::operation::delete_change_set::DeleteChangeSetOutput;
use aws_sdk_cloudformation::operation::describe_change_set::DescribeChangeSetOutput;
use aws_sdk_cloudformation::operation::describe_stack_events::DescribeStackEventsOutput;
use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksOutput;
use aws_sdk_cloudformation::operation::execute_change_set::ExecuteChangeSetOutput;
use aws_sdk_cloudformation::operation::list_stack_resources::ListStackResourcesOutput;
use aws_sdk_cloudformation::types::{
    Change, ChangeAction, ChangeSetStatus, ResourceChange, ResourceStatus, Stack, StackEvent, StackResourceSummary,
    StackStatus,
};
use aws_sdk_cloudformation::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use tokio::time::Instant;

use super::*;

const STACK: &str = "stackpilot-bootstrap";
const ID: &str = "arn:aws:cloudformation:us-east-1:123456789012:changeSet/stackpilot-1/abc";

fn waiting() -> Waiting {
    Waiting {
        pacing: Pacing::default(),
        deadline: Instant::now() + Duration::from_secs(600),
    }
}

fn existing(status: &str) -> StackInfo {
    StackInfo {
        id: format!("arn:aws:cloudformation:us-east-1:123456789012:stack/{STACK}/1"),
        status: status.to_owned(),
        outputs: BTreeMap::new(),
        last_updated: None,
    }
}

fn request() -> StackRequest {
    StackRequest {
        stack: STACK.to_owned(),
        template_body: "{}".to_owned(),
        parameters: BTreeMap::new(),
        tags: BTreeMap::new(),
    }
}

fn change(action: ChangeAction, id: &str) -> Change {
    Change::builder()
        .resource_change(
            ResourceChange::builder()
                .action(action)
                .logical_resource_id(id)
                .resource_type("AWS::IAM::Role")
                .build(),
        )
        .build()
}

/// A client that makes the change set, describes it with `describe`, and
/// can delete it; the delete rule, to count its calls.
fn with_deletable_change_set(create: &Rule, describe: &Rule) -> (Client, Rule) {
    let delete = mock!(Client::delete_change_set).then_output(|| DeleteChangeSetOutput::builder().build());
    let cfn = mock_client!(aws_sdk_cloudformation, RuleMode::MatchAny, [create, describe, &delete]);
    (cfn, delete)
}

fn described(status: ChangeSetStatus) -> DescribeChangeSetOutput {
    DescribeChangeSetOutput::builder().status(status).build()
}

#[tokio::test(start_paused = true)]
async fn a_change_set_that_failed_for_lack_of_changes_is_deleted_and_reported_as_none() {
    let create = mock!(Client::create_change_set).then_output(|| CreateChangeSetOutput::builder().id(ID).build());
    let describe = mock!(Client::describe_change_set)
        .sequence()
        .output(|| described(ChangeSetStatus::CreatePending))
        .output(|| {
            DescribeChangeSetOutput::builder()
                .status(ChangeSetStatus::Failed)
                .status_reason("The submitted information didn't contain changes. Submit different information to create a change set.")
                .build()
        })
        .build();
    let (cfn, delete) = with_deletable_change_set(&create, &describe);
    let prepared = prepare(&cfn, &request(), Some(&existing("UPDATE_COMPLETE")), waiting())
        .await
        .unwrap();
    assert!(matches!(prepared, Preparation::NoChanges));
    assert_eq!(
        (describe.num_calls(), delete.num_calls()),
        (2, 1),
        "no empty change set is left"
    );
}

#[tokio::test(start_paused = true)]
async fn a_change_set_that_failed_for_another_reason_is_deleted_and_its_reason_reported() {
    let create = mock!(Client::create_change_set).then_output(|| CreateChangeSetOutput::builder().id(ID).build());
    let describe = mock!(Client::describe_change_set).then_output(|| {
        DescribeChangeSetOutput::builder()
            .status(ChangeSetStatus::Failed)
            .status_reason("Template format error: Unresolved resource dependencies [Nope]")
            .build()
    });
    let (cfn, delete) = with_deletable_change_set(&create, &describe);
    let err = prepare(&cfn, &request(), Some(&existing("UPDATE_COMPLETE")), waiting())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("Unresolved resource dependencies [Nope]"),
        "{err}"
    );
    assert_eq!(delete.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_change_set_described_in_pages_keeps_every_change_and_counts_the_rest_unchanged() {
    let create = mock!(Client::create_change_set).then_output(|| CreateChangeSetOutput::builder().id(ID).build());
    let describe = mock!(Client::describe_change_set)
        .sequence()
        .output(|| {
            DescribeChangeSetOutput::builder()
                .status(ChangeSetStatus::CreateComplete)
                .changes(change(ChangeAction::Modify, "PreviewRole"))
                .next_token("page-2")
                .build()
        })
        .output(|| {
            DescribeChangeSetOutput::builder()
                .status(ChangeSetStatus::CreateComplete)
                .changes(change(ChangeAction::Add, "DeployRoleBeta"))
                .build()
        })
        .build();
    let resources = mock!(Client::list_stack_resources).then_output(|| {
        let summary = |id: &str| {
            StackResourceSummary::builder()
                .logical_resource_id(id)
                .resource_type("AWS::IAM::Role")
                .last_updated_timestamp(aws_sdk_cloudformation::primitives::DateTime::from_secs(0))
                .resource_status(ResourceStatus::CreateComplete)
                .build()
        };
        ListStackResourcesOutput::builder()
            .stack_resource_summaries(summary("PreviewRole"))
            .stack_resource_summaries(summary("StateBucket"))
            .stack_resource_summaries(summary("SecretsKey"))
            .build()
    });
    let cfn = mock_client!(
        aws_sdk_cloudformation,
        RuleMode::MatchAny,
        [&create, &describe, &resources]
    );
    let Preparation::Ready(prepared) = prepare(&cfn, &request(), Some(&existing("UPDATE_COMPLETE")), waiting())
        .await
        .unwrap()
    else {
        panic!("changes expected");
    };
    let names: Vec<(&str, &str)> = prepared
        .changes
        .resources
        .iter()
        .map(|r| (r.op.label(), r.name.as_str()))
        .collect();
    assert_eq!(names, [("create", "DeployRoleBeta"), ("update", "PreviewRole")]);
    assert_eq!(prepared.changes.unchanged, 2);
    assert_eq!(prepared.kind, Kind::Update);
}

#[tokio::test(start_paused = true)]
async fn a_stack_with_an_operation_in_progress_is_refused_before_any_call() {
    let cfn = mock_client!(aws_sdk_cloudformation, []);
    let err = prepare(&cfn, &request(), Some(&existing("UPDATE_IN_PROGRESS")), waiting())
        .await
        .unwrap_err();
    assert!(matches!(err, CfnError::Busy { .. }), "{err}");
    assert_eq!(err.exit(), crate::Exit::Locked);
}

#[tokio::test(start_paused = true)]
async fn a_change_set_never_described_by_the_deadline_times_out() {
    let create = mock!(Client::create_change_set).then_output(|| CreateChangeSetOutput::builder().id(ID).build());
    let describe = mock!(Client::describe_change_set).then_output(|| described(ChangeSetStatus::CreateInProgress));
    let delete = mock!(Client::delete_change_set).then_output(|| DeleteChangeSetOutput::builder().build());
    // The first change set made the stack (REVIEW_IN_PROGRESS): it goes too.
    let review = mock!(Client::describe_stacks).then_output(|| stack_output(StackStatus::ReviewInProgress));
    let delete_stack = mock!(Client::delete_stack)
        .then_output(|| aws_sdk_cloudformation::operation::delete_stack::DeleteStackOutput::builder().build());
    let cfn = mock_client!(
        aws_sdk_cloudformation,
        RuleMode::MatchAny,
        [&create, &describe, &delete, &review, &delete_stack]
    );
    let limited = Waiting {
        deadline: Instant::now() + Duration::from_secs(60),
        ..waiting()
    };
    let err = prepare(&cfn, &request(), None, limited).await.unwrap_err();
    assert!(matches!(err, CfnError::TimedOut { .. }), "{err}");
    assert_eq!(err.exit(), crate::Exit::TimedOut);
    assert_eq!(delete.num_calls(), 1, "the change set left behind is deleted");
    assert_eq!(delete_stack.num_calls(), 1, "and the empty stack it made");
}

fn stack_output(status: StackStatus) -> DescribeStacksOutput {
    DescribeStacksOutput::builder()
        .stacks(
            Stack::builder()
                .stack_id("stack-id")
                .stack_name(STACK)
                .stack_status(status)
                .creation_time(aws_sdk_cloudformation::primitives::DateTime::from_secs(0))
                .build(),
        )
        .build()
}

fn event(id: &str, logical: &str, kind: &str, status: ResourceStatus, reason: Option<&str>) -> StackEvent {
    StackEvent::builder()
        .stack_id("stack-id")
        .stack_name(STACK)
        .event_id(id)
        .logical_resource_id(logical)
        .resource_type(kind)
        .resource_status(status)
        .set_resource_status_reason(reason.map(str::to_owned))
        .timestamp(aws_sdk_cloudformation::primitives::DateTime::from_secs(0))
        .build()
}

#[tokio::test(start_paused = true)]
async fn paged_events_are_shown_oldest_first_and_the_first_cause_is_named() {
    let older = || {
        event(
            "e0",
            STACK,
            "AWS::CloudFormation::Stack",
            ResourceStatus::UpdateComplete,
            None,
        )
    };
    let settled = || {
        event(
            "e4",
            STACK,
            "AWS::CloudFormation::Stack",
            ResourceStatus::UpdateRollbackComplete,
            None,
        )
    };
    let events = mock!(Client::describe_stack_events)
        .sequence()
        // Before executing: where the events already shown end.
        .output(move || DescribeStackEventsOutput::builder().stack_events(older()).build())
        // Newest first, in two pages; the second reaches the old event.
        .output(move || {
            DescribeStackEventsOutput::builder()
                .stack_events(settled())
                .stack_events(event(
                    "e3",
                    "PreviewRole",
                    "AWS::IAM::Role",
                    ResourceStatus::UpdateFailed,
                    Some("Resource update cancelled"),
                ))
                .next_token("more")
                .build()
        })
        .output(move || {
            DescribeStackEventsOutput::builder()
                .stack_events(event(
                    "e2",
                    "DeployRoleBeta",
                    "AWS::IAM::Role",
                    ResourceStatus::CreateFailed,
                    Some("Role quota exceeded"),
                ))
                .stack_events(event(
                    "e1",
                    "DeployRoleBeta",
                    "AWS::IAM::Role",
                    ResourceStatus::CreateInProgress,
                    None,
                ))
                .stack_events(older())
                .build()
        })
        // Once settled: nothing newer.
        .output(move || DescribeStackEventsOutput::builder().stack_events(settled()).build())
        .build();
    let execute_call = mock!(Client::execute_change_set).then_output(|| ExecuteChangeSetOutput::builder().build());
    let status = mock!(Client::describe_stacks).then_output(|| stack_output(StackStatus::UpdateRollbackComplete));
    let cfn = mock_client!(
        aws_sdk_cloudformation,
        RuleMode::MatchAny,
        [&events, &execute_call, &status]
    );
    let prepared = Prepared {
        stack: STACK.to_owned(),
        id: ID.to_owned(),
        kind: Kind::Update,
        changes: ChangeSet::default(),
    };
    let mut lines: Vec<String> = Vec::new();
    let execution = execute(&cfn, &prepared, waiting(), &mut |l| lines.push(l.to_owned()))
        .await
        .unwrap();
    assert_eq!(
        lines,
        [
            "CREATE_IN_PROGRESS AWS::IAM::Role DeployRoleBeta",
            "CREATE_FAILED AWS::IAM::Role DeployRoleBeta: Role quota exceeded",
            "UPDATE_FAILED AWS::IAM::Role PreviewRole: Resource update cancelled",
            "UPDATE_ROLLBACK_COMPLETE AWS::CloudFormation::Stack stackpilot-bootstrap",
        ]
    );
    assert!(!execution.succeeded);
    assert_eq!(execution.status, "UPDATE_ROLLBACK_COMPLETE");
    let cause = execution.first_failure.clone().unwrap();
    assert_eq!(
        (cause.logical_id.as_str(), cause.reason.as_str()),
        ("DeployRoleBeta", "Role quota exceeded")
    );
    assert!(execution.advice(STACK).unwrap().contains("back where it was"));
}

#[test]
fn a_templates_outputs_are_read_as_the_expressions_that_make_them() {
    let template = serde_json::json!({
        "Outputs": {
            "deploy": {"Value": {"Fn::Join": ["", ["{", {"Ref": "Cluster"}, "}"]]}, "Export": {"Name": "x"}},
            "plain": {"Value": "v1"}
        }
    });
    let outputs = super::template_outputs(&template);
    assert_eq!(outputs.len(), 2);
    assert_eq!(outputs["plain"], "v1");
    assert_eq!(outputs["deploy"]["Fn::Join"][1][1]["Ref"], "Cluster");
    assert!(super::template_outputs(&serde_json::Value::Null).is_empty());
}
