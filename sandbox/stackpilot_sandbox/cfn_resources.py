"""Resource types the sandbox's CloudFormation creates itself instead of
through moto's CloudFormation models.

moto's models for these types drop most of what a template sets (an S3
bucket keeps only its encryption and tags; ECS task definitions lose cpu,
memory and the network mode) or act on moto's own ECS rather than the
sandbox's. A handler here receives the template's properties with every
intrinsic function resolved and makes the resource through the backend the
sandbox's API serves, as CloudFormation's resource handlers call the
service's API. SandboxResourceMap (cfn_stacks.py) asks `handler_for` first
and falls back to moto's models for every other type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.cloudformation.parsing import clean_json, generate_resource_name


@dataclass(frozen=True)
class ResourceContext:
    """Where a resource is made: the stack's account and region."""

    account_id: str
    region_name: str
    stack_name: str
    logical_id: str


@dataclass
class ResourceHandle:
    """What the stack holds for a resource: `Ref` gives `physical_resource_id`,
    `Fn::GetAtt` the named attribute."""

    physical_resource_id: str
    attributes: dict[str, Any] = field(default_factory=dict)

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name in self.attributes:
            return self.attributes[attribute_name]
        raise UnformattedGetAttTemplateException()


class ResourceHandler:
    """Creates, updates and deletes one resource type. `properties` are the
    resolved template properties; an update also gets those the resource was
    last created or updated with (CloudFormation's resource handlers see
    both, which is how they know what the template removed)."""

    resource_type: ClassVar[str]
    name_property: ClassVar[str | None] = None

    @classmethod
    def create(cls, ctx: ResourceContext, name: str, properties: dict[str, Any]) -> ResourceHandle:
        raise NotImplementedError

    @classmethod
    def replaces(cls, old: dict[str, Any], new: dict[str, Any]) -> bool:
        """Whether the change needs a new resource (AWS's "Update requires:
        Replacement"); by default a new name does."""
        return cls.name_property is not None and old.get(cls.name_property) != new.get(cls.name_property)

    @classmethod
    def update(
        cls, ctx: ResourceContext, handle: ResourceHandle, name: str, old: dict[str, Any], new: dict[str, Any]
    ) -> ResourceHandle:
        """A replacement is created, then the old resource deleted (what
        CloudFormation's cleanup does); otherwise the resource changes in place."""
        if cls.replaces(old, new):
            replacement = cls.create(ctx, name, new)
            cls.delete(ctx, handle, old)
            return replacement
        cls.change(ctx, handle, old, new)
        return handle

    @classmethod
    def change(cls, ctx: ResourceContext, handle: ResourceHandle, old: dict[str, Any], new: dict[str, Any]) -> None:
        raise NotImplementedError

    @classmethod
    def delete(cls, ctx: ResourceContext, handle: ResourceHandle, properties: dict[str, Any]) -> None:
        raise NotImplementedError


HANDLERS: dict[str, type[ResourceHandler]] = {}


def handles(handler: type[ResourceHandler]) -> type[ResourceHandler]:
    """Class decorator: registers a handler for its resource type."""
    HANDLERS[handler.resource_type] = handler
    return handler


def handler_for(resource_type: str) -> type[ResourceHandler] | None:
    # The handler modules register themselves when imported.
    from . import cfn_ecs, cfn_s3  # noqa: F401

    return HANDLERS.get(resource_type)


def resolved_properties(body: dict[str, Any], resource_map: Any) -> dict[str, Any]:
    """The template's properties with Ref, GetAtt, Sub, If, ImportValue, …
    resolved (moto's resolver); a property that resolves to AWS::NoValue is
    left out, as CloudFormation leaves it out."""
    return clean_json(body.get("Properties") or {}, resource_map) or {}


def physical_name(
    handler: type[ResourceHandler], properties: dict[str, Any], stack_name: str, logical_id: str
) -> str:
    """The name the template gives, else one CloudFormation would generate."""
    given = properties.get(handler.name_property) if handler.name_property else None
    return str(given) if given else generate_resource_name(handler.resource_type, stack_name, logical_id)


def tag_map(properties: dict[str, Any]) -> dict[str, str]:
    return {str(tag["Key"]): str(tag["Value"]) for tag in properties.get("Tags") or []}
