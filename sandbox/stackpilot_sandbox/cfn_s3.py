"""AWS::S3::Bucket and AWS::S3::BucketPolicy as CloudFormation's S3 handlers
make them: every bucket configuration the template sets is put through
moto's S3 backend (the one the S3 API serves), on create and on update; a
configuration the template no longer sets is removed (versioning, which a
bucket cannot lose, is suspended). moto's own bucket model applies only
BucketEncryption and Tags, and has no bucket policy type at all.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from moto.s3.exceptions import MissingBucket
from moto.s3.models import S3Backend, s3_backends
from moto.utilities.utils import get_partition

from .cfn_resources import ResourceContext, ResourceHandle, ResourceHandler, handles, tag_map
from .s3_policy import answer_conditions

S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"


def _s3(ctx: ResourceContext) -> S3Backend:
    return s3_backends[ctx.account_id][get_partition(ctx.region_name)]


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def encryption_of(properties: dict[str, Any]) -> dict[str, Any]:
    """BucketEncryption → the configuration PutBucketEncryption stores (its
    first rule: S3 keeps one)."""
    rule = (properties.get("ServerSideEncryptionConfiguration") or [{}])[0]
    default = rule.get("ServerSideEncryptionByDefault") or {}
    applied = {"SSEAlgorithm": default.get("SSEAlgorithm", "AES256")}
    if default.get("KMSMasterKeyID"):
        applied["KMSMasterKeyID"] = default["KMSMasterKeyID"]
    stored: dict[str, Any] = {"ApplyServerSideEncryptionByDefault": applied}
    if "BucketKeyEnabled" in rule:
        stored["BucketKeyEnabled"] = "true" if _flag(rule["BucketKeyEnabled"]) else "false"
    return {"@xmlns": S3_NAMESPACE, "Rule": stored}


def lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """One CloudFormation lifecycle rule → the rule PutBucketLifecycleConfiguration takes."""
    api: dict[str, Any] = {"ID": rule.get("Id") or uuid.uuid4().hex[:16], "Status": rule.get("Status", "Enabled")}
    prefix = rule.get("Prefix") or ""
    tags = [{"Key": t["Key"], "Value": t["Value"]} for t in rule.get("TagFilters") or []]
    if tags:
        api["Filter"] = {"And": {"Prefix": prefix, "Tag": tags}} if prefix or len(tags) > 1 else {"Tag": tags[0]}
    else:
        api["Filter"] = {"Prefix": prefix}
    expiration: dict[str, Any] = {}
    if rule.get("ExpirationInDays") is not None:
        expiration["Days"] = int(rule["ExpirationInDays"])
    if rule.get("ExpirationDate"):
        expiration["Date"] = rule["ExpirationDate"]
    if rule.get("ExpiredObjectDeleteMarker") is not None:
        expiration["ExpiredObjectDeleteMarker"] = _flag(rule["ExpiredObjectDeleteMarker"])
    if expiration:
        api["Expiration"] = expiration
    noncurrent = rule.get("NoncurrentVersionExpiration")
    if noncurrent is None and rule.get("NoncurrentVersionExpirationInDays") is not None:
        noncurrent = {"NoncurrentDays": rule["NoncurrentVersionExpirationInDays"]}
    if noncurrent:
        api["NoncurrentVersionExpiration"] = {"NoncurrentDays": int(noncurrent["NoncurrentDays"])}
    abort = rule.get("AbortIncompleteMultipartUpload")
    if abort:
        api["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": int(abort["DaysAfterInitiation"])}
    transitions = list(rule.get("Transitions") or []) + ([rule["Transition"]] if rule.get("Transition") else [])
    if transitions:
        api["Transition"] = [
            {k: v for k, v in (("Days", t.get("TransitionInDays")), ("Date", t.get("TransitionDate")),
                               ("StorageClass", t["StorageClass"])) if v is not None}
            for t in transitions
        ]
    noncurrent_transitions = list(rule.get("NoncurrentVersionTransitions") or [])
    if rule.get("NoncurrentVersionTransition"):
        noncurrent_transitions.append(rule["NoncurrentVersionTransition"])
    if noncurrent_transitions:
        api["NoncurrentVersionTransition"] = [
            {k: v for k, v in (("NoncurrentDays", t.get("TransitionInDays")), ("StorageClass", t["StorageClass"]),
                               ("NewerNoncurrentVersions", t.get("NewerNoncurrentVersions"))) if v is not None}
            for t in noncurrent_transitions
        ]
    return api


def apply_configuration(s3: S3Backend, name: str, old: dict[str, Any], new: dict[str, Any]) -> None:
    """Puts what `new` sets; removes what only `old` set."""
    if new.get("BucketEncryption"):
        s3.put_bucket_encryption(name, encryption_of(new["BucketEncryption"]))
    elif old.get("BucketEncryption"):
        s3.delete_bucket_encryption(name)
    versioning = (new.get("VersioningConfiguration") or {}).get("Status")
    if versioning:
        s3.put_bucket_versioning(name, versioning)
    elif s3.get_bucket_versioning(name) == "Enabled":
        s3.put_bucket_versioning(name, "Suspended")
    block = new.get("PublicAccessBlockConfiguration")
    if block:
        s3.put_public_access_block(name, {key: _flag(block.get(key)) for key in (
            "BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")})
    elif old.get("PublicAccessBlockConfiguration"):
        s3.delete_public_access_block(name)
    rules = (new.get("LifecycleConfiguration") or {}).get("Rules")
    if rules:
        s3.put_bucket_lifecycle_configuration(name, [lifecycle_rule(rule) for rule in rules])
    elif old.get("LifecycleConfiguration"):
        s3.delete_bucket_lifecycle(name)
    ownership = (new.get("OwnershipControls") or {}).get("Rules")
    if ownership:
        s3.put_bucket_ownership_controls(name, ownership=ownership[0]["ObjectOwnership"])
    elif old.get("OwnershipControls"):
        s3.delete_bucket_ownership_controls(name)
    if new.get("Tags"):
        s3.put_bucket_tagging(name, tag_map(new))
    elif old.get("Tags"):
        s3.delete_bucket_tagging(name)


def _bucket_handle(s3: S3Backend, name: str) -> ResourceHandle:
    bucket = s3.get_bucket(name)
    return ResourceHandle(name, {
        "Arn": bucket.arn,
        "DomainName": bucket.domain_name,
        "DualStackDomainName": bucket.dual_stack_domain_name,
        "RegionalDomainName": bucket.regional_domain_name,
        "WebsiteURL": bucket.website_url,
    })


@handles
class BucketHandler(ResourceHandler):
    resource_type = "AWS::S3::Bucket"
    name_property = "BucketName"

    @classmethod
    def create(cls, ctx: ResourceContext, name: str, properties: dict[str, Any]) -> ResourceHandle:
        s3 = _s3(ctx)
        s3.create_bucket(name, ctx.region_name)  # BucketAlreadyExists when the name is taken
        apply_configuration(s3, name, {}, properties)
        return _bucket_handle(s3, name)

    @classmethod
    def change(cls, ctx: ResourceContext, handle: ResourceHandle, old: dict[str, Any], new: dict[str, Any]) -> None:
        apply_configuration(_s3(ctx), handle.physical_resource_id, old, new)

    @classmethod
    def delete(cls, ctx: ResourceContext, handle: ResourceHandle, properties: dict[str, Any]) -> None:
        try:
            # moto keeps a bucket that still holds objects (AWS: DELETE_FAILED).
            _s3(ctx).delete_bucket(handle.physical_resource_id)
        except MissingBucket:
            pass  # already gone: CloudFormation counts that as deleted


@handles
class BucketPolicyHandler(ResourceHandler):
    resource_type = "AWS::S3::BucketPolicy"

    @staticmethod
    def _document(properties: dict[str, Any]) -> bytes:
        document = properties.get("PolicyDocument") or {}
        text = document if isinstance(document, str) else json.dumps(document)
        return text.encode()

    @classmethod
    def _put(cls, ctx: ResourceContext, properties: dict[str, Any]) -> None:
        s3 = _s3(ctx)
        s3.put_bucket_policy(properties["Bucket"], cls._document(properties))
        answer_conditions(s3.get_bucket(properties["Bucket"]))

    @classmethod
    def create(cls, ctx: ResourceContext, name: str, properties: dict[str, Any]) -> ResourceHandle:
        cls._put(ctx, properties)
        return ResourceHandle(name)

    @classmethod
    def replaces(cls, old: dict[str, Any], new: dict[str, Any]) -> bool:
        return old.get("Bucket") != new.get("Bucket")

    @classmethod
    def change(cls, ctx: ResourceContext, handle: ResourceHandle, old: dict[str, Any], new: dict[str, Any]) -> None:
        cls._put(ctx, new)

    @classmethod
    def delete(cls, ctx: ResourceContext, handle: ResourceHandle, properties: dict[str, Any]) -> None:
        try:
            _s3(ctx).delete_bucket_policy(properties["Bucket"])
        except MissingBucket:
            pass
