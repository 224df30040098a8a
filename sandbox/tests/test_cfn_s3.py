"""S3 buckets and bucket policies made by the sandbox's CloudFormation carry
what the template sets, on create and on update, as on AWS."""

import json

import botocore.exceptions
import pytest
from cfn_templates import body, stack

BUCKET = "acme-stackpilot-state"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                   "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
                   "Condition": {"Bool": {"aws:SecureTransport": "false"}}}],
}


def state_bucket_template(**bucket: object) -> dict:
    properties = {
        "BucketName": BUCKET,
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": {"Ref": "Key"}},
             "BucketKeyEnabled": True}]},
        "VersioningConfiguration": {"Status": "Enabled"},
        "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                                           "BlockPublicPolicy": True, "RestrictPublicBuckets": True},
        "LifecycleConfiguration": {"Rules": [
            {"Id": "old-versions", "Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 90}},
            {"Id": "uploads", "Status": "Enabled", "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}},
            {"Id": "leases", "Status": "Enabled", "Prefix": "leases/", "ExpirationInDays": 30},
        ]},
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        "Tags": [{"Key": "managed-by", "Value": "stackpilot"}],
    }
    properties.update(bucket)
    return {"Resources": {
        "Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Version": "2012-10-17", "Statement": []}}},
        "StateBucket": {"Type": "AWS::S3::Bucket", "Properties": {k: v for k, v in properties.items() if v is not None}},
        "StateBucketPolicy": {"Type": "AWS::S3::BucketPolicy",
                              "Properties": {"Bucket": {"Ref": "StateBucket"}, "PolicyDocument": POLICY}},
    }, "Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["StateBucket", "Arn"]}}}}


def missing(call) -> str:
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call(Bucket=BUCKET)
    return raised.value.response["Error"]["Code"]


def test_a_bucket_from_cloudformation_has_every_property_of_its_template(sandbox):
    cfn, s3 = sandbox.client("cloudformation"), sandbox.client("s3")
    cfn.create_stack(StackName="state", TemplateBody=body(state_bucket_template()))
    assert stack(cfn, "state")["StackStatus"] == "CREATE_COMPLETE"
    assert stack(cfn, "state")["Outputs"][0]["OutputValue"] == f"arn:aws:s3:::{BUCKET}"
    key = cfn.describe_stack_resource(StackName="state", LogicalResourceId="Key")["StackResourceDetail"]["PhysicalResourceId"]
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    rule = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule == {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key},
                    "BucketKeyEnabled": True}
    assert s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]}
    assert rules["old-versions"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 90}
    assert rules["uploads"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    assert (rules["leases"]["Filter"], rules["leases"]["Expiration"]) == ({"Prefix": "leases/"}, {"Days": 30})
    assert s3.get_bucket_ownership_controls(Bucket=BUCKET)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerEnforced"}]
    assert s3.get_bucket_tagging(Bucket=BUCKET)["TagSet"] == [{"Key": "managed-by", "Value": "stackpilot"}]
    assert json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"]) == POLICY


def test_a_bucket_update_applies_changed_and_removes_dropped_properties(sandbox):
    cfn, s3 = sandbox.client("cloudformation"), sandbox.client("s3")
    cfn.create_stack(StackName="state", TemplateBody=body(state_bucket_template()))
    changed = state_bucket_template(
        VersioningConfiguration=None, PublicAccessBlockConfiguration=None, OwnershipControls=None,
        LifecycleConfiguration={"Rules": [{"Id": "uploads", "Status": "Enabled",
                                           "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}]},
        Tags=[{"Key": "managed-by", "Value": "someone-else"}])
    tighter = dict(POLICY, Statement=[dict(POLICY["Statement"][0], Sid="Tls")])
    changed["Resources"]["StateBucketPolicy"]["Properties"]["PolicyDocument"] = tighter
    cfn.update_stack(StackName="state", TemplateBody=body(changed))
    assert stack(cfn, "state")["StackStatus"] == "UPDATE_COMPLETE"
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Suspended"  # a bucket cannot become unversioned
    assert missing(s3.get_public_access_block) == "NoSuchPublicAccessBlockConfiguration"
    assert missing(s3.get_bucket_ownership_controls) == "OwnershipControlsNotFoundError"
    assert s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"][0]["AbortIncompleteMultipartUpload"] == {
        "DaysAfterInitiation": 1}
    assert s3.get_bucket_tagging(Bucket=BUCKET)["TagSet"] == [{"Key": "managed-by", "Value": "someone-else"}]
    assert json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"][0]["Sid"] == "Tls"

    cfn.update_stack(StackName="state", TemplateBody=body(state_bucket_template()))
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    assert s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is True
    cfn.delete_stack(StackName="state")
    assert BUCKET not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_a_tls_only_policy_denied_every_request_to_the_bucket(sandbox):
    """moto evaluated the policy without its Condition, so the usual
    TLS-only statement denied every object request (403)."""
    cfn, s3 = sandbox.client("cloudformation"), sandbox.client("s3")
    cfn.create_stack(StackName="state", TemplateBody=body(state_bucket_template()))
    s3.put_object(Bucket=BUCKET, Key=".pulumi/meta.yaml", Body=b"version: 1\n")
    assert s3.get_object(Bucket=BUCKET, Key=".pulumi/meta.yaml")["Body"].read() == b"version: 1\n"


def test_a_statement_whose_condition_holds_still_denies(sandbox):
    cfn, s3 = sandbox.client("cloudformation"), sandbox.client("s3")
    template = state_bucket_template()
    deny_all = {**POLICY["Statement"][0], "Sid": "DenyOverTls",
                "Condition": {"Bool": {"aws:SecureTransport": "true"}}}
    template["Resources"]["StateBucketPolicy"]["Properties"]["PolicyDocument"] = {
        "Version": "2012-10-17", "Statement": [deny_all]}
    cfn.create_stack(StackName="state", TemplateBody=body(template))
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        s3.put_object(Bucket=BUCKET, Key="x", Body=b"x")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
