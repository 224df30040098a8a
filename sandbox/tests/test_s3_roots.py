"""The bucket-configuration answers a strict client (the Rust AWS SDK) reads
have the XML root element S3 sends: moto named some after the operation."""

import json
import xml.etree.ElementTree as ET

import pytest

BUCKET = "acme-stackpilot-state"
S3_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


@pytest.fixture
def s3(sandbox):
    client = sandbox.client("s3")
    client.create_bucket(Bucket=BUCKET)
    client.bodies = {}

    def keep(http_response, model, **_):
        client.bodies[model.name] = http_response.content

    client.meta.events.register("after-call.s3.*", keep)
    return client


def root(s3, operation: str) -> str:
    return ET.fromstring(s3.bodies[operation]).tag.removeprefix(S3_NS)


def test_get_bucket_versioning_answers_a_versioning_configuration_when_never_versioned(s3):
    assert "Status" not in s3.get_bucket_versioning(Bucket=BUCKET)
    body = s3.bodies["GetBucketVersioning"]
    assert body.split(b"?>")[-1].strip() == b'<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>'
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    assert root(s3, "GetBucketVersioning") == "VersioningConfiguration"
    assert s3.bodies["GetBucketVersioning"].rstrip().endswith(b"</VersioningConfiguration>")


def test_bucket_configuration_answers_have_s3s_root_elements(s3):
    s3.put_bucket_encryption(Bucket=BUCKET, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3.put_public_access_block(Bucket=BUCKET, PublicAccessBlockConfiguration={"BlockPublicAcls": True})
    s3.put_bucket_lifecycle_configuration(Bucket=BUCKET, LifecycleConfiguration={"Rules": [
        {"ID": "r", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 1}}]})
    s3.put_bucket_ownership_controls(Bucket=BUCKET, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    s3.put_bucket_accelerate_configuration(Bucket=BUCKET, AccelerateConfiguration={"Status": "Enabled"})
    policy = {"Version": "2012-10-17", "Statement": []}
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key="big")["UploadId"]
    for call in ("get_bucket_encryption", "get_public_access_block", "get_bucket_lifecycle_configuration",
                 "get_bucket_ownership_controls", "get_bucket_accelerate_configuration", "get_bucket_policy"):
        getattr(s3, call)(Bucket=BUCKET)
    s3.list_parts(Bucket=BUCKET, Key="big", UploadId=upload)
    assert {op: root(s3, op) for op in (
        "GetBucketEncryption", "GetPublicAccessBlock", "GetBucketLifecycleConfiguration",
        "GetBucketOwnershipControls", "GetBucketAccelerateConfiguration", "ListParts")} == {
        "GetBucketEncryption": "ServerSideEncryptionConfiguration",
        "GetPublicAccessBlock": "PublicAccessBlockConfiguration",
        "GetBucketLifecycleConfiguration": "LifecycleConfiguration",
        "GetBucketOwnershipControls": "OwnershipControls",
        "GetBucketAccelerateConfiguration": "AccelerateConfiguration",
        "ListParts": "ListPartsResult",
    }
    assert json.loads(s3.bodies["GetBucketPolicy"]) == policy  # the policy document itself, no XML
