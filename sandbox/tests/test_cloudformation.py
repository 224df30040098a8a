"""CloudFormation as stackpilot bootstrap uses it: AWS::IAM::OIDCProvider,
change sets with CloudFormation's details and statuses."""

import json

import botocore.exceptions
import pytest
from cfn_templates import GITHUB, THUMBPRINT, body, bootstrap_template, edited, events, stack, wait_change_set

from stackpilot_sandbox.cloudformation import NO_CHANGES


def test_oidc_provider_is_created_referenced_and_listed_by_iam(sandbox):
    cfn, iam = sandbox.client("cloudformation"), sandbox.client("iam")
    cfn.create_stack(StackName="boot", TemplateBody=body(bootstrap_template()))
    described = stack(cfn, "boot")
    assert described["StackStatus"] == "CREATE_COMPLETE"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}
    arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    assert outputs["OidcArn"] == outputs["OidcRef"] == arn
    assert [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]] == [arn]
    provider = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert provider["ClientIDList"] == ["sts.amazonaws.com"]
    assert provider["ThumbprintList"] == []  # optional since 2023
    trust = iam.get_role(RoleName="stackpilot-alpha")["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"]["Federated"] == arn


def test_oidc_provider_updates_in_place_and_is_replaced_for_a_new_url(sandbox):
    cfn, iam = sandbox.client("cloudformation"), sandbox.client("iam")
    template = bootstrap_template()
    cfn.create_stack(StackName="boot", TemplateBody=body(template))
    arn = stack(cfn, "boot")["Outputs"][0]["OutputValue"]
    in_place = edited(template, "GitHubOidc", ThumbprintList=[THUMBPRINT], ClientIdList=["sts.amazonaws.com", "x"])
    cfn.update_stack(StackName="boot", TemplateBody=body(in_place))
    assert stack(cfn, "boot")["StackStatus"] == "UPDATE_COMPLETE"
    provider = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert (provider["ThumbprintList"], provider["ClientIDList"]) == ([THUMBPRINT], ["sts.amazonaws.com", "x"])

    moved = edited(in_place, "GitHubOidc", Url="https://gitlab.example.com")
    cfn.update_stack(StackName="boot", TemplateBody=body(moved))
    new_arn = "arn:aws:iam::123456789012:oidc-provider/gitlab.example.com"
    assert [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]] == [new_arn]
    oidc_events = [(status, reason) for logical, status, reason in events(cfn, "boot") if logical == "GitHubOidc"]
    assert oidc_events[-5:] == [
        ("UPDATE_IN_PROGRESS", None),
        ("UPDATE_IN_PROGRESS", "Requested update requires the creation of a new physical resource; hence creating one."),
        ("UPDATE_COMPLETE", None),
        ("DELETE_IN_PROGRESS", None),  # the old provider, in UPDATE_COMPLETE_CLEANUP_IN_PROGRESS
        ("DELETE_COMPLETE", None),
    ]
    cfn.delete_stack(StackName="boot")
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []


def test_a_second_provider_for_the_same_url_fails_and_leaves_the_first_alone(sandbox):
    cfn, iam = sandbox.client("cloudformation"), sandbox.client("iam")
    existing = iam.create_open_id_connect_provider(Url=GITHUB, ClientIDList=["sts.amazonaws.com"])["OpenIDConnectProviderArn"]
    cfn.create_stack(StackName="boot", TemplateBody=body(bootstrap_template()))
    assert stack(cfn, "boot")["StackStatus"] == "ROLLBACK_COMPLETE"
    failed = [reason for logical, status, reason in events(cfn, "boot") if status == "CREATE_FAILED"]
    assert len(failed) == 1
    assert failed[0].startswith(
        f'Resource handler returned message: "Provider with url {GITHUB} already exists. (Service: Iam, Status Code: 409,'
    )
    assert failed[0].endswith("HandlerErrorCode: AlreadyExists)")
    assert [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]] == [existing]


def test_a_change_set_is_pending_then_in_progress_then_complete(sandbox):
    sandbox.load("name: slow\ntimeScale: 0.5\n")  # 0.5 s pending, complete after 1.5 s
    cfn = sandbox.client("cloudformation")
    created = cfn.create_change_set(StackName="boot", ChangeSetName="first", ChangeSetType="CREATE",
                                    TemplateBody=body(bootstrap_template()))
    assert stack(cfn, "boot")["StackStatus"] == "REVIEW_IN_PROGRESS"
    first = cfn.describe_change_set(ChangeSetName=created["Id"])
    assert (first["Status"], first["ExecutionStatus"], first["Changes"]) == ("CREATE_PENDING", "UNAVAILABLE", [])
    with pytest.raises(botocore.exceptions.ClientError) as early:
        cfn.execute_change_set(ChangeSetName=created["Id"])
    assert early.value.response["Error"]["Code"] == "InvalidChangeSetStatus"
    seen = []

    def complete():
        described = cfn.describe_change_set(ChangeSetName="first", StackName="boot")
        seen.append(described["Status"])
        return described if described["Status"] == "CREATE_COMPLETE" else None

    from harness import wait_until

    done = wait_until(complete)
    assert "CREATE_IN_PROGRESS" in seen and seen.index("CREATE_IN_PROGRESS") < len(seen) - 1
    assert done["ExecutionStatus"] == "AVAILABLE"
    assert done["Parameters"] == [{"ParameterKey": "Env", "ParameterValue": "alpha"}]
    assert sorted(c["ResourceChange"]["LogicalResourceId"] for c in done["Changes"]) == sorted(bootstrap_template()["Resources"])
    assert all(set(c["ResourceChange"]) == {"Action", "LogicalResourceId", "ResourceType", "Scope", "Details"}
               for c in done["Changes"])  # Add: no Replacement, no PhysicalResourceId
    cfn.execute_change_set(ChangeSetName="first", StackName="boot")
    assert stack(cfn, "boot")["StackStatus"] == "CREATE_COMPLETE"
    assert cfn.describe_change_set(ChangeSetName=created["Id"])["ExecutionStatus"] == "EXECUTE_COMPLETE"


def test_change_set_details_say_what_is_replaced_and_why(sandbox):
    cfn = sandbox.client("cloudformation")
    template = bootstrap_template()
    cfn.create_stack(StackName="boot", TemplateBody=body(template))
    changed = edited(template, "StateBucket", BucketName="acme-stackpilot-state-2")
    changed = edited(changed, "StateKey", Tags=[{"Key": "team", "Value": "ops"}])
    del changed["Resources"]["StateKeyAlias"]
    changed["Resources"]["Extra"] = {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": {"Statement": []}}}
    cfn.create_change_set(StackName="boot", ChangeSetName="next", ChangeSetType="UPDATE", TemplateBody=body(changed),
                          Parameters=[{"ParameterKey": "Env", "ParameterValue": "beta"}])
    described = wait_change_set(cfn, "next", "boot")
    changes = {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"] for c in described["Changes"]}

    def detail(name, recreation, source="DirectModification", evaluation="Static", attribute="Properties", cause=None):
        target = {"Attribute": attribute, "RequiresRecreation": recreation}
        if name:
            target["Name"] = name
        found = {"Target": target, "Evaluation": evaluation, "ChangeSource": source}
        if cause:
            found["CausingEntity"] = cause
        return found

    assert changes == {
        "Extra": {"Action": "Add", "LogicalResourceId": "Extra", "ResourceType": "AWS::IAM::ManagedPolicy",
                  "Scope": [], "Details": []},
        "StateKey": {"Action": "Modify", "LogicalResourceId": "StateKey", "ResourceType": "AWS::KMS::Key",
                     "PhysicalResourceId": changes["StateKey"]["PhysicalResourceId"], "Replacement": "False",
                     "Scope": ["Tags"], "Details": [detail(None, "Never", attribute="Tags")]},
        "StateBucket": {"Action": "Modify", "LogicalResourceId": "StateBucket", "ResourceType": "AWS::S3::Bucket",
                        "PhysicalResourceId": "acme-stackpilot-state", "Replacement": "True",
                        "PolicyAction": "ReplaceAndDelete", "Scope": ["Properties"],
                        "Details": [detail("BucketName", "Always")]},
        "StateBucketPolicy": {"Action": "Modify", "LogicalResourceId": "StateBucketPolicy",
                              "ResourceType": "AWS::S3::BucketPolicy",
                              "PhysicalResourceId": changes["StateBucketPolicy"]["PhysicalResourceId"],
                              "Replacement": "Conditional", "Scope": ["Properties"],
                              "Details": [detail("Bucket", "Conditionally", "ResourceReference", "Dynamic",
                                                 cause="StateBucket")]},
        "DeployRole": {"Action": "Modify", "LogicalResourceId": "DeployRole", "ResourceType": "AWS::IAM::Role",
                       "PhysicalResourceId": "stackpilot-alpha", "Replacement": "True",
                       "PolicyAction": "ReplaceAndDelete", "Scope": ["Properties"],
                       "Details": [detail("RoleName", "Always", "ParameterReference", cause="Env")]},
        "StateKeyAlias": {"Action": "Remove", "LogicalResourceId": "StateKeyAlias", "ResourceType": "AWS::KMS::Alias",
                          "PhysicalResourceId": "alias/stackpilot-state", "PolicyAction": "Delete",
                          "Scope": [], "Details": []},
    }
    valued = cfn.describe_change_set(ChangeSetName="next", StackName="boot", IncludePropertyValues=True)
    bucket = next(c["ResourceChange"] for c in valued["Changes"] if c["ResourceChange"]["LogicalResourceId"] == "StateBucket")
    assert json.loads(bucket["BeforeContext"]) == {"Properties": {"BucketName": "acme-stackpilot-state"}}
    assert json.loads(bucket["AfterContext"]) == {"Properties": {"BucketName": "acme-stackpilot-state-2"}}
    target = bucket["Details"][0]["Target"]
    assert (target["BeforeValue"], target["AfterValue"], target["Path"]) == (
        "acme-stackpilot-state", "acme-stackpilot-state-2", "/Properties/BucketName")
    role = next(c["ResourceChange"] for c in valued["Changes"] if c["ResourceChange"]["LogicalResourceId"] == "DeployRole")
    assert json.loads(role["AfterContext"])["Properties"]["RoleName"] == "stackpilot-beta"
    extra = next(c["ResourceChange"] for c in valued["Changes"] if c["ResourceChange"]["Action"] == "Add")
    assert "BeforeContext" not in extra and json.loads(extra["AfterContext"]) == {"Properties": {"PolicyDocument": {"Statement": []}}}


def test_a_change_set_without_changes_fails_with_the_aws_reason(sandbox):
    cfn = sandbox.client("cloudformation")
    cfn.create_stack(StackName="boot", TemplateBody=body(bootstrap_template()))
    cfn.create_change_set(StackName="boot", ChangeSetName="same", ChangeSetType="UPDATE",
                          TemplateBody=body(bootstrap_template()),
                          Parameters=[{"ParameterKey": "Env", "UsePreviousValue": True}])
    described = wait_change_set(cfn, "same", "boot")
    assert (described["Status"], described["ExecutionStatus"], described["StatusReason"]) == (
        "FAILED", "UNAVAILABLE", NO_CHANGES)
    assert NO_CHANGES == "The submitted information didn't contain changes. Submit different information to create a change set."
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        cfn.update_stack(StackName="boot", TemplateBody=body(bootstrap_template()))  # no parameters given
    assert raised.value.response["Error"]["Message"] == "No updates are to be performed."


def test_deleting_a_create_change_set_leaves_the_stack_in_review(sandbox):
    cfn = sandbox.client("cloudformation")
    first = cfn.create_change_set(StackName="boot", ChangeSetName="one", ChangeSetType="CREATE",
                                  TemplateBody=body(bootstrap_template()))
    cfn.delete_change_set(ChangeSetName="one", StackName="boot")
    assert stack(cfn, "boot")["StackStatus"] == "REVIEW_IN_PROGRESS"
    assert cfn.list_change_sets(StackName="boot")["Summaries"] == []
    with pytest.raises(botocore.exceptions.ClientError) as update:
        cfn.create_change_set(StackName="boot", ChangeSetName="upd", ChangeSetType="UPDATE",
                              TemplateBody=body(bootstrap_template()))
    assert "REVIEW_IN_PROGRESS state and can not be updated" in update.value.response["Error"]["Message"]
    again = cfn.create_change_set(StackName="boot", ChangeSetName="two", ChangeSetType="CREATE",
                                  TemplateBody=body(bootstrap_template()))
    assert again["StackId"] == first["StackId"]
    other = cfn.create_change_set(StackName="boot", ChangeSetName="three", ChangeSetType="CREATE",
                                  TemplateBody=body(bootstrap_template()))
    wait_change_set(cfn, "three", "boot")
    cfn.execute_change_set(ChangeSetName="two", StackName="boot")
    # Executing one deletes the stack's other change sets.
    assert [s["ChangeSetName"] for s in cfn.list_change_sets(StackName="boot")["Summaries"]] == ["two"]
    with pytest.raises(botocore.exceptions.ClientError) as gone:
        cfn.describe_change_set(ChangeSetName=other["Id"])
    assert gone.value.response["Error"]["Code"] == "ChangeSetNotFound"
    with pytest.raises(botocore.exceptions.ClientError) as exists:
        cfn.create_change_set(StackName="boot", ChangeSetName="four", ChangeSetType="CREATE",
                              TemplateBody=body(bootstrap_template()))
    assert exists.value.response["Error"]["Message"] == (
        "Stack [boot] already exists and cannot be created again with the changeSet [four].")


def _exporting(value: str) -> dict:
    return {
        "Resources": {"Log": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": f"/x/{value}"}}},
        "Outputs": {"Name": {"Value": value, "Export": {"Name": "base:name"}}},
    }


def _execute(cfn, stack_name: str, template: dict, kind: str) -> None:
    cfn.create_change_set(StackName=stack_name, ChangeSetName=f"cs-{kind.lower()}", TemplateBody=body(template),
                          ChangeSetType=kind)
    wait_change_set(cfn, f"cs-{kind.lower()}", stack_name)
    cfn.execute_change_set(ChangeSetName=f"cs-{kind.lower()}", StackName=stack_name)


def test_exports_of_a_stack_made_by_change_sets_were_never_published(sandbox):
    """moto registers exports only in CreateStack: a stack created (or
    updated) by a change set exported nothing, so the CDK app stack's
    Fn::ImportValue of its base failed."""
    cfn = sandbox.client("cloudformation")
    _execute(cfn, "base", _exporting("one"), "CREATE")
    assert [(e["Name"], e["Value"]) for e in cfn.list_exports()["Exports"]] == [("base:name", "one")]
    _execute(cfn, "base", _exporting("two"), "UPDATE")
    assert [(e["Name"], e["Value"]) for e in cfn.list_exports()["Exports"]] == [("base:name", "two")]
    importing = {"Resources": {"Log": {"Type": "AWS::Logs::LogGroup",
                                       "Properties": {"LogGroupName": {"Fn::ImportValue": "base:name"}}}}}
    _execute(cfn, "app", importing, "CREATE")
    assert stack(cfn, "app")["StackStatus"] == "CREATE_COMPLETE"
    groups = sandbox.client("logs").describe_log_groups(logGroupNamePrefix="two")["logGroups"]
    assert [g["logGroupName"] for g in groups] == ["two"]


def _phased(phase_default: str, retention: int) -> dict:
    return {
        "Parameters": {"Phase": {"Type": "String", "Default": phase_default}},
        "Conditions": {"Creating": {"Fn::Equals": [{"Ref": "Phase"}, "create"]}},
        "Resources": {"Log": {"Type": "AWS::Logs::LogGroup", "Properties": {
            "LogGroupName": "/x/phased",
            "RetentionInDays": {"Fn::If": ["Creating", retention, {"Ref": "AWS::NoValue"}]},
        }}},
    }


def test_a_change_set_compared_fn_if_as_written_instead_of_the_branch_it_takes(sandbox):
    """A property behind a condition that stays false is absent before and
    after, whatever the branch it would take says; the sandbox compared the
    Fn::If text and listed a change AWS does not."""
    cfn = sandbox.client("cloudformation")
    _execute(cfn, "phased", _phased("create", 30), "CREATE")
    _execute(cfn, "phased", _phased("update", 30), "UPDATE")  # the property leaves: one change
    cfn.create_change_set(StackName="phased", ChangeSetName="again", TemplateBody=body(_phased("update", 14)),
                          ChangeSetType="UPDATE")
    described = wait_change_set(cfn, "again", "phased")
    assert (described["Status"], described["Changes"]) == ("FAILED", [])
    assert described["StatusReason"] == NO_CHANGES
