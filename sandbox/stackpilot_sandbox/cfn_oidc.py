"""AWS::IAM::OIDCProvider for moto's CloudFormation (moto has the IAM API
for OpenID Connect providers but no CloudFormation resource for them).

moto finds CloudFormation resource types among the subclasses of
CloudFormationModel, so defining this class (importing this module before the
first stack is parsed) is what makes the type known. The provider itself is
moto's IAM one; this class only translates template properties to IAM calls.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from moto.core.common_models import CloudFormationModel
from moto.iam.exceptions import EntityAlreadyExists
from moto.iam.models import IAMBackend, OpenIDConnectProvider, iam_backends
from moto.utilities.utils import get_partition


def _iam(account_id: str, region_name: str) -> IAMBackend:
    return iam_backends[account_id][get_partition(region_name)]


def _arn(account_id: str, region_name: str, url: str) -> str:
    parsed = urlparse(url)
    return f"arn:{get_partition(region_name)}:iam::{account_id}:oidc-provider/{parsed.netloc}{parsed.path}"


def _tags(properties: dict[str, Any]) -> list[dict[str, str]]:
    return [{"Key": tag["Key"], "Value": tag["Value"]} for tag in properties.get("Tags") or []]


class SandboxOidcProvider(CloudFormationModel):
    """A handle on one IAM OpenID Connect provider, by ARN."""

    def __init__(self, provider: OpenIDConnectProvider, account_id: str, region_name: str) -> None:
        self.arn = provider.arn
        self.account_id = account_id
        self.region_name = region_name

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""  # the Url names it; CloudFormation generates no name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::IAM::OIDCProvider"

    @property
    def physical_resource_id(self) -> str:
        return self.arn  # `Ref` gives the ARN, as on AWS

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        if attribute_name == "Arn":
            return self.arn
        raise UnformattedGetAttTemplateException()

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> SandboxOidcProvider:
        properties = cloudformation_json["Properties"]
        url = properties["Url"]
        iam = _iam(account_id, region_name)
        if _arn(account_id, region_name, url) in iam.open_id_providers:
            # IAM's own words (moto says "Unknown"); one provider per URL.
            raise EntityAlreadyExists(f"Provider with url {url} already exists.")
        provider = iam.create_open_id_connect_provider(
            url,
            list(properties.get("ThumbprintList") or []),  # optional since 2023: IAM fetches it
            list(properties.get("ClientIdList") or []),
            _tags(properties),
        )
        return cls(provider, account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc]
        cls,
        original_resource: SandboxOidcProvider,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> SandboxOidcProvider:
        properties = cloudformation_json["Properties"]
        if _arn(account_id, region_name, properties["Url"]) != original_resource.arn:
            # A new Url is a new provider: create it, then drop the old one.
            replacement = cls.create_from_cloudformation_json(
                new_resource_name, cloudformation_json, account_id, region_name
            )
            original_resource.delete(account_id, region_name)
            return replacement
        iam = _iam(account_id, region_name)
        provider = iam.get_open_id_connect_provider(original_resource.arn)
        iam.update_open_id_connect_provider_thumbprint(provider.arn, list(properties.get("ThumbprintList") or []))
        provider.client_id_list = list(properties.get("ClientIdList") or [])
        provider.tags = {}
        tags = _tags(properties)
        if tags:
            iam.tag_open_id_connect_provider(provider.arn, tags)
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[misc]
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> None:
        _iam(account_id, region_name).delete_open_id_connect_provider(resource_name)

    def delete(self, account_id: str, region_name: str) -> None:
        _iam(account_id, region_name).delete_open_id_connect_provider(self.arn)

    def is_created(self) -> bool:
        return True
