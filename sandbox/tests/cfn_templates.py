"""Templates shaped like the stack `stackpilot bootstrap` makes, and helpers
for CloudFormation tests."""

from __future__ import annotations

import copy
import json
from typing import Any

from harness import wait_until

GITHUB = "https://token.actions.githubusercontent.com"
THUMBPRINT = "6938fd4d98bab03faadb97b34396831e3780aea1"


def bootstrap_template(bucket: str = "acme-stackpilot-state") -> dict[str, Any]:
    trust = {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": {"Ref": "GitHubOidc"}},
            "Action": "sts:AssumeRoleWithWebIdentity",
        }],
    }
    return {
        "Parameters": {"Env": {"Type": "String", "Default": "alpha"}},
        "Resources": {
            "GitHubOidc": {"Type": "AWS::IAM::OIDCProvider",
                           "Properties": {"Url": GITHUB, "ClientIdList": ["sts.amazonaws.com"]}},
            "StateKey": {"Type": "AWS::KMS::Key",
                         "Properties": {"Description": "state", "KeyPolicy": {"Version": "2012-10-17", "Statement": []}}},
            "StateKeyAlias": {"Type": "AWS::KMS::Alias",
                              "Properties": {"AliasName": "alias/stackpilot-state", "TargetKeyId": {"Ref": "StateKey"}}},
            "StateBucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": bucket}},
            "StateBucketPolicy": {"Type": "AWS::S3::BucketPolicy",
                                  "Properties": {"Bucket": {"Ref": "StateBucket"}, "PolicyDocument": {"Statement": []}}},
            "DeployRole": {"Type": "AWS::IAM::Role",
                           "Properties": {"RoleName": {"Fn::Sub": "stackpilot-${Env}"}, "AssumeRolePolicyDocument": trust}},
        },
        "Outputs": {
            "OidcArn": {"Value": {"Fn::GetAtt": ["GitHubOidc", "Arn"]}},
            "OidcRef": {"Value": {"Ref": "GitHubOidc"}},
            "Bucket": {"Value": {"Ref": "StateBucket"}},
        },
    }


def edited(template: dict[str, Any], logical_id: str, **properties: Any) -> dict[str, Any]:
    changed = copy.deepcopy(template)
    changed["Resources"][logical_id]["Properties"].update(properties)
    return changed


def body(template: dict[str, Any]) -> str:
    return json.dumps(template)


def stack(cfn, name: str) -> dict[str, Any]:
    return cfn.describe_stacks(StackName=name)["Stacks"][0]


def events(cfn, name: str) -> list[tuple[str, str, str | None]]:
    """(logical id, status, reason) of every event, oldest first, all pages."""
    found = []
    for page in cfn.get_paginator("describe_stack_events").paginate(StackName=name):
        found.extend(page["StackEvents"])
    return [(e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason")) for e in reversed(found)]


def wait_change_set(cfn, name: str, stack_name: str) -> dict[str, Any]:
    def settled():
        described = cfn.describe_change_set(ChangeSetName=name, StackName=stack_name)
        return described if described["Status"] in ("CREATE_COMPLETE", "FAILED") else None

    return wait_until(settled)
