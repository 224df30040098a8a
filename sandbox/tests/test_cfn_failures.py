"""A resource that fails: the stack events CloudFormation writes, the
rollback that really restores, and the scenario hook that injects failures."""

import urllib.error

import pytest
from cfn_templates import THUMBPRINT, body, bootstrap_template, edited, events, stack

CREATE_ROLLBACK = "The following resource(s) failed to create: [StateBucket]. Rollback requested by user."


def test_a_taken_bucket_name_fails_the_create_and_rolls_back(sandbox):
    cfn, s3, iam = sandbox.client("cloudformation"), sandbox.client("s3"), sandbox.client("iam")
    s3.create_bucket(Bucket="acme-stackpilot-state")
    template = bootstrap_template()
    template["Resources"]["StateBucket"]["DependsOn"] = ["StateKeyAlias"]  # a fixed order for the events
    cfn.create_stack(StackName="boot", TemplateBody=body(template))
    described = stack(cfn, "boot")
    assert described["StackStatus"] == "ROLLBACK_COMPLETE"
    assert "Outputs" not in described
    started, done = ("CREATE_IN_PROGRESS", None), ("CREATE_COMPLETE", None)
    initiated = ("CREATE_IN_PROGRESS", "Resource creation Initiated")

    def created(logical):
        return [(logical, *started), (logical, *initiated), (logical, *done)]

    def deleted(logical):
        return [(logical, "DELETE_IN_PROGRESS", None), (logical, "DELETE_COMPLETE", None)]

    assert events(cfn, "boot") == [
        ("boot", "CREATE_IN_PROGRESS", "User Initiated"),
        *created("GitHubOidc"), *created("StateKey"), *created("StateKeyAlias"),
        ("StateBucket", *started),
        ("StateBucket", "CREATE_FAILED", "acme-stackpilot-state already exists"),
        ("boot", "ROLLBACK_IN_PROGRESS", CREATE_ROLLBACK),
        ("StateBucket", "DELETE_COMPLETE", None),
        *deleted("StateKeyAlias"), *deleted("StateKey"), *deleted("GitHubOidc"),
        ("boot", "ROLLBACK_COMPLETE", None),
    ]
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []
    assert sandbox.client("kms").list_aliases()["Aliases"] == [] or all(
        a["AliasName"] != "alias/stackpilot-state" for a in sandbox.client("kms").list_aliases()["Aliases"])
    assert cfn.list_stack_resources(StackName="boot")["StackResourceSummaries"] == []
    with pytest.raises(Exception) as refused:
        cfn.update_stack(StackName="boot", TemplateBody=body(bootstrap_template("other-name")))
    assert "is in ROLLBACK_COMPLETE state and can not be updated." in str(refused.value)


POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
FAIL_ROLE_UPDATE = """
name: role-update-fails
cloudformation:
  failures:
    - match: {logicalId: DeployRole}
      operation: update
      reason: "Resource handler returned message: \\"Access denied\\" (HandlerErrorCode: AccessDenied)"
"""


def test_a_failed_update_rolls_back_and_really_restores(sandbox):
    cfn, iam = sandbox.client("cloudformation"), sandbox.client("iam")
    template = bootstrap_template()
    cfn.create_stack(StackName="boot", TemplateBody=body(template))
    arn = stack(cfn, "boot")["Outputs"][0]["OutputValue"]
    sandbox.load(FAIL_ROLE_UPDATE)
    changed = edited(template, "GitHubOidc", ThumbprintList=[THUMBPRINT])  # updated first (the role refers to it)
    changed = edited(changed, "DeployRole", Description="now with a description")
    changed["Resources"]["Extra"] = {"Type": "AWS::IAM::ManagedPolicy",
                                     "Properties": {"ManagedPolicyName": "extra", "PolicyDocument": POLICY},
                                     "DependsOn": "GitHubOidc"}
    changed["Resources"]["DeployRole"]["DependsOn"] = "Extra"  # Extra is made before the role fails
    cfn.update_stack(StackName="boot", TemplateBody=body(changed))
    assert stack(cfn, "boot")["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    history = events(cfn, "boot")
    update = history[history.index(("boot", "UPDATE_IN_PROGRESS", "User Initiated")):]
    reason = 'Resource handler returned message: "Access denied" (HandlerErrorCode: AccessDenied)'
    assert [e for e in update if e[0] in ("boot", "DeployRole", "Extra")] == [
        ("boot", "UPDATE_IN_PROGRESS", "User Initiated"),
        ("Extra", "CREATE_IN_PROGRESS", None),
        ("Extra", "CREATE_IN_PROGRESS", "Resource creation Initiated"),
        ("Extra", "CREATE_COMPLETE", None),
        ("DeployRole", "UPDATE_IN_PROGRESS", None),
        ("DeployRole", "UPDATE_FAILED", reason),
        ("boot", "UPDATE_ROLLBACK_IN_PROGRESS", "The following resource(s) failed to update: [DeployRole]."),
        ("DeployRole", "UPDATE_COMPLETE", None),
        ("boot", "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", None),
        ("Extra", "DELETE_IN_PROGRESS", None),
        ("Extra", "DELETE_COMPLETE", None),
        ("boot", "UPDATE_ROLLBACK_COMPLETE", None),
    ]
    oidc = [e[1] for e in update if e[0] == "GitHubOidc"]
    assert oidc == ["UPDATE_IN_PROGRESS", "UPDATE_COMPLETE", "UPDATE_IN_PROGRESS", "UPDATE_COMPLETE"]  # there and back
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ThumbprintList"] == []
    assert iam.get_role(RoleName="stackpilot-alpha")["Role"].get("Description") in (None, "")
    assert all(p["PolicyName"] != "extra" for p in iam.list_policies(Scope="Local")["Policies"])
    assert "ThumbprintList" not in cfn.get_template(StackName="boot")["TemplateBody"]
    summaries = cfn.list_stack_resources(StackName="boot")["StackResourceSummaries"]
    assert sorted(s["LogicalResourceId"] for s in summaries) == sorted(template["Resources"])
    sandbox.load("name: calm\n")
    cfn.update_stack(StackName="boot", TemplateBody=body(changed))  # the same update goes through now
    assert stack(cfn, "boot")["StackStatus"] == "UPDATE_COMPLETE"
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ThumbprintList"] == [THUMBPRINT]


def test_a_failure_rule_by_type_fails_creates_only(sandbox):
    sandbox.load("""
name: no-keys
cloudformation:
  failures:
    - match: {type: "AWS::KMS::Key"}
      operation: create
""")
    cfn = sandbox.client("cloudformation")
    cfn.create_stack(StackName="boot", TemplateBody=body(bootstrap_template()))
    assert stack(cfn, "boot")["StackStatus"] == "ROLLBACK_COMPLETE"
    failed = [(logical, reason) for logical, status, reason in events(cfn, "boot") if status == "CREATE_FAILED"]
    assert failed == [("StateKey", 'Resource handler returned message: "Internal Failure" (HandlerErrorCode: InternalFailure)')]
    assert ("boot", "ROLLBACK_IN_PROGRESS",
            "The following resource(s) failed to create: [StateKey]. Rollback requested by user.") in events(cfn, "boot")


def test_a_bad_failure_rule_is_refused_naming_the_key(sandbox):
    with pytest.raises(urllib.error.HTTPError) as raised:
        sandbox.load("cloudformation:\n  failures:\n    - match: {logicalId: X}\n      operaton: create\n")
    assert raised.value.code == 400
    assert "`operaton`" in raised.value.read().decode()


def test_stack_events_come_newest_first_in_pages(sandbox):
    cfn = sandbox.client("cloudformation")
    template = {"Resources": {f"Param{i:02}": {"Type": "AWS::SSM::Parameter",
                                                "Properties": {"Name": f"/p/{i}", "Type": "String", "Value": "v"}}
                              for i in range(40)}}
    cfn.create_stack(StackName="many", TemplateBody=body(template))
    first = cfn.describe_stack_events(StackName="many")
    assert len(first["StackEvents"]) == 100 and "NextToken" in first
    second = cfn.describe_stack_events(StackName="many", NextToken=first["NextToken"])
    assert "NextToken" not in second
    every = first["StackEvents"] + second["StackEvents"]
    assert len(every) == 2 + 40 * 3 == len({e["EventId"] for e in every})
    assert (every[0]["LogicalResourceId"], every[0]["ResourceStatus"]) == ("many", "CREATE_COMPLETE")
    assert (every[-1]["LogicalResourceId"], every[-1]["ResourceStatus"]) == ("many", "CREATE_IN_PROGRESS")
    stamps = [e["Timestamp"] for e in every]
    assert stamps == sorted(stamps, reverse=True)
