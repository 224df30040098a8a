"""Stacks that work resource by resource, as CloudFormation does.

moto creates a stack's resources in one go and writes only stack-level
events. SandboxStack creates, updates and deletes one resource at a time in
dependency order, writes each resource's events with AWS's reason texts, and
when a resource fails (a real error, e.g. a bucket name that is taken, or one
the scenario injects under `cloudformation.failures`) rolls back: a failed
create deletes what it created (ROLLBACK_COMPLETE); a failed update puts the
changed resources back and deletes the added ones (UPDATE_ROLLBACK_COMPLETE).
Operations finish within the request that starts them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from moto.cloudformation.models import Event, Stack
from moto.cloudformation.parsing import (
    OutputMap,
    ResourceMap,
    generate_resource_name,
    parse_and_create_resource,
    parse_and_update_resource,
    resource_class_from_type,
)
from moto.core.exceptions import ServiceException
from moto.core.utils import utcnow
from moto.iam.models import iam_backends
from moto.s3.exceptions import BucketAlreadyExists
from moto.utilities.utils import get_partition

from .cfn_changes import references
from .cfn_resources import ResourceContext, handler_for, physical_name, resolved_properties
from .runtime import RUNTIME
from .scenario import StackOperation


class ResourceStatus(StrEnum):
    CREATE_IN_PROGRESS = "CREATE_IN_PROGRESS"
    CREATE_COMPLETE = "CREATE_COMPLETE"
    CREATE_FAILED = "CREATE_FAILED"
    UPDATE_IN_PROGRESS = "UPDATE_IN_PROGRESS"
    UPDATE_COMPLETE = "UPDATE_COMPLETE"
    UPDATE_FAILED = "UPDATE_FAILED"
    DELETE_IN_PROGRESS = "DELETE_IN_PROGRESS"
    DELETE_COMPLETE = "DELETE_COMPLETE"
    DELETE_FAILED = "DELETE_FAILED"


class StackStatus(StrEnum):
    CREATE_IN_PROGRESS = "CREATE_IN_PROGRESS"
    CREATE_COMPLETE = "CREATE_COMPLETE"
    ROLLBACK_IN_PROGRESS = "ROLLBACK_IN_PROGRESS"
    ROLLBACK_COMPLETE = "ROLLBACK_COMPLETE"
    UPDATE_IN_PROGRESS = "UPDATE_IN_PROGRESS"
    UPDATE_COMPLETE_CLEANUP_IN_PROGRESS = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
    UPDATE_COMPLETE = "UPDATE_COMPLETE"
    UPDATE_ROLLBACK_IN_PROGRESS = "UPDATE_ROLLBACK_IN_PROGRESS"
    UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS = "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"
    UPDATE_ROLLBACK_COMPLETE = "UPDATE_ROLLBACK_COMPLETE"
    DELETE_IN_PROGRESS = "DELETE_IN_PROGRESS"
    DELETE_FAILED = "DELETE_FAILED"
    DELETE_COMPLETE = "DELETE_COMPLETE"
    REVIEW_IN_PROGRESS = "REVIEW_IN_PROGRESS"


USER_INITIATED = "User Initiated"
CREATION_INITIATED = "Resource creation Initiated"
REPLACING = "Requested update requires the creation of a new physical resource; hence creating one."


class ResourceFailed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def failure_reason(resource_type: str, physical_name: str, error: Exception) -> str:
    """The ResourceStatusReason CloudFormation writes for an error from the
    service behind a resource."""
    if isinstance(error, ResourceFailed):
        return error.reason
    if isinstance(error, BucketAlreadyExists):
        return f"{physical_name} already exists"  # the S3 handler's own wording
    if isinstance(error, ServiceException):
        code = error.code
        handler_code, status = (
            ("AlreadyExists", 409) if "AlreadyExists" in code
            else ("NotFound", 404) if "NotFound" in code or "NoSuch" in code
            else ("InvalidRequest", 400)
        )
        service = resource_type.split("::")[1].capitalize() if resource_type.count("::") == 2 else "Unknown"
        return (
            f'Resource handler returned message: "{error.message} (Service: {service}, '
            f'Status Code: {status}, Request ID: {uuid.uuid4()})" '
            f"(RequestToken: {uuid.uuid4()}, HandlerErrorCode: {handler_code})"
        )
    return f"Internal Failure: {error}"


@dataclass
class ResourceRecord:
    """What DescribeStackResources says about one resource."""

    logical_id: str
    resource_type: str
    physical_id: str = ""
    status: ResourceStatus = ResourceStatus.CREATE_IN_PROGRESS
    reason: str | None = None
    updated: datetime = field(default_factory=utcnow)


class Placeholder:
    """A resource of a type moto cannot make: it only has a name, so a stack
    that holds one can still be created, updated and deleted."""

    def __init__(self, physical_id: str) -> None:
        self.physical_resource_id = physical_id

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return self.physical_resource_id


def physical_id_of(instance: Any) -> str:
    return str(getattr(instance, "physical_resource_id", None) or "")


class SandboxResourceMap(ResourceMap):
    """moto's map of a stack's resources, driven one resource at a time.

    Looking a resource up never creates it (moto's map creates on first
    access, which would bring back a rolled-back resource when its outputs
    are read): only `provision` does. Types with a sandbox handler
    (cfn_resources.py) are made by it; the rest by moto's models."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The resolved properties each handler-made resource was last given.
        self._applied: dict[str, dict[str, Any]] = {}

    def __getitem__(self, key: str) -> Any:
        if key in self._parsed_resources:
            return self._parsed_resources[key]
        raise KeyError(key)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter([name for name in self._resource_json_map if name in self._parsed_resources])

    def switch_to(self, template: dict[str, Any], parameters: dict[str, Any] | None) -> None:
        self._template = template
        if parameters is not None:
            self.input_parameters = parameters
        self.load_mapping()
        self.load_parameters()
        self.load_conditions()
        self._resource_json_map = template.get("Resources") or {}

    def order(self) -> list[str]:
        """Logical ids, each after the resources it refers to or depends on."""
        resources = self._resource_json_map
        ordered: list[str] = []
        visiting: set[str] = set()

        def visit(name: str) -> None:
            if name in ordered or name in visiting:
                return  # a cycle is the template's error; keep going
            visiting.add(name)
            body = resources[name]
            depends = body.get("DependsOn") or []
            needs = ([depends] if isinstance(depends, str) else list(depends)) + sorted(references(body))
            for other in needs:
                if other in resources and other != name:
                    visit(other)
            visiting.discard(name)
            ordered.append(name)

        for name in resources:
            visit(name)
        return ordered

    def wanted(self, logical_id: str) -> bool:
        condition = self._resource_json_map[logical_id].get("Condition")
        return not condition or bool(self.lazy_condition_map[condition])

    def json_of(self, logical_id: str) -> dict[str, Any]:
        return self._resource_json_map[logical_id]

    def _context(self, logical_id: str) -> ResourceContext:
        return ResourceContext(self._account_id, self._region_name, str(self["AWS::StackName"]), logical_id)

    def provision(self, logical_id: str) -> Any:
        body = self._resource_json_map[logical_id]
        instance = None
        handler = handler_for(body["Type"])
        if handler is not None:
            properties = resolved_properties(body, self)
            name = physical_name(handler, properties, str(self["AWS::StackName"]), logical_id)
            instance = handler.create(self._context(logical_id), name, properties)
            self._applied[logical_id] = properties
        elif resource_class_from_type(body["Type"]) is not None:
            instance = parse_and_create_resource(logical_id, body, self, self._account_id, self._region_name)
        if instance is None:
            instance = Placeholder(generate_resource_name(body["Type"], self["AWS::StackName"], logical_id))
        self._parsed_resources[logical_id] = instance
        return instance

    def change(self, logical_id: str) -> Any:
        current = self._parsed_resources[logical_id]
        changed = None
        body = self._resource_json_map[logical_id]
        handler = handler_for(body["Type"])
        if handler is not None:
            properties = resolved_properties(body, self)
            name = physical_name(handler, properties, str(self["AWS::StackName"]), logical_id)
            changed = handler.update(self._context(logical_id), current, name, self._applied[logical_id], properties)
            self._applied[logical_id] = properties
        elif not isinstance(current, Placeholder):
            body = self._resource_json_map[logical_id]
            changed = parse_and_update_resource(logical_id, body, self, self._account_id, self._region_name)
        # moto cannot update some types in place (e.g. KMS keys): they stay as they were.
        self._parsed_resources[logical_id] = changed or current
        return self._parsed_resources[logical_id]

    def remove(self, logical_id: str, body: dict[str, Any]) -> None:
        instance = self._parsed_resources.get(logical_id)
        handler = handler_for(body["Type"])
        if handler is not None and logical_id in self._applied:
            handler.delete(self._context(logical_id), instance, self._applied.pop(logical_id))
        elif instance is not None and not isinstance(instance, Placeholder) and not isinstance(instance, str):
            if body["Type"] == "AWS::IAM::ManagedPolicy":
                # moto's CloudFormation never deletes managed policies.
                iam_backends[self._account_id][get_partition(self._region_name)].delete_policy(instance.arn)
            else:
                self._delete_resource(instance, body)
        self._parsed_resources.pop(logical_id, None)

    def instance(self, logical_id: str) -> Any:
        return self._parsed_resources.get(logical_id)


@dataclass
class UpdateProgress:
    added: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    replaced: dict[str, str] = field(default_factory=dict)  # logical id -> old physical id


class SandboxStack(Stack):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.records: dict[str, ResourceRecord] = {}
        self.status_reason: str | None = None
        super().__init__(*args, **kwargs)

    def _create_resource_map(self) -> SandboxResourceMap:
        resource_map = SandboxResourceMap(
            self.stack_id,
            self.name,
            self.parameters,
            self.tags,
            account_id=self.account_id,
            region_name=self.region_name,
            template=self.template_dict,
            cross_stack_resources=self.cross_stack_resources,
        )
        resource_map.load()
        return resource_map

    @property
    def sandbox_map(self) -> SandboxResourceMap:
        assert isinstance(self.resource_map, SandboxResourceMap)
        return self.resource_map

    # --- events -----------------------------------------------------------

    def stack_event(self, status: StackStatus, reason: str | None = None) -> None:
        self.status = status.value
        self.status_reason = reason
        self._add_stack_event(status.value, resource_status_reason=reason)

    def resource_event(self, logical_id: str, status: ResourceStatus, reason: str | None = None) -> None:
        record = self.records[logical_id]
        record.status, record.reason, record.updated = status, reason, utcnow()
        event = Event(
            stack_id=self.stack_id,
            stack_name=self.name,
            logical_resource_id=logical_id,
            physical_resource_id=record.physical_id,
            resource_type=record.resource_type,
            resource_status=status.value,
            resource_status_reason=reason,
            resource_properties=None,
        )
        self.events.append(event)

    def _injected(self, logical_id: str, operation: StackOperation) -> None:
        reason = RUNTIME.scenario.resource_failure(
            self.name, logical_id, self.records[logical_id].resource_type, operation
        )
        if reason is not None:
            raise ResourceFailed(reason)

    # --- one resource -----------------------------------------------------

    def _create_one(self, logical_id: str) -> None:
        """Raises ResourceFailed after writing CREATE_FAILED."""
        body = self.sandbox_map.json_of(logical_id)
        self.records[logical_id] = ResourceRecord(logical_id, body["Type"])
        self.resource_event(logical_id, ResourceStatus.CREATE_IN_PROGRESS)
        try:
            self._injected(logical_id, StackOperation.CREATE)
            instance = self.sandbox_map.provision(logical_id)
        except Exception as err:
            name = (body.get("Properties") or {}).get("BucketName", logical_id)
            reason = failure_reason(body["Type"], str(name), err)
            self.resource_event(logical_id, ResourceStatus.CREATE_FAILED, reason)
            raise ResourceFailed(reason) from err
        self.records[logical_id].physical_id = physical_id_of(instance)
        self.resource_event(logical_id, ResourceStatus.CREATE_IN_PROGRESS, CREATION_INITIATED)
        self.resource_event(logical_id, ResourceStatus.CREATE_COMPLETE)

    def _update_one(self, logical_id: str, progress: UpdateProgress | None) -> None:
        record = self.records[logical_id]
        self.resource_event(logical_id, ResourceStatus.UPDATE_IN_PROGRESS)
        before = record.physical_id
        try:
            if progress is not None:
                self._injected(logical_id, StackOperation.UPDATE)
            instance = self.sandbox_map.change(logical_id)
        except Exception as err:
            reason = failure_reason(record.resource_type, before, err)
            self.resource_event(logical_id, ResourceStatus.UPDATE_FAILED, reason)
            raise ResourceFailed(reason) from err
        after = physical_id_of(instance)
        if after and after != before:
            record.physical_id = after
            self.resource_event(logical_id, ResourceStatus.UPDATE_IN_PROGRESS, REPLACING)
            if progress is not None:
                progress.replaced[logical_id] = before
        self.resource_event(logical_id, ResourceStatus.UPDATE_COMPLETE)

    def _delete_one(
        self, logical_id: str, body: dict[str, Any], physical_id: str | None = None, inject: bool = False
    ) -> None:
        """`physical_id`: only write the events for that (already deleted) resource.
        `inject`: scenario failures apply (not while rolling back)."""
        record = self.records[logical_id]
        if physical_id is not None:
            record.physical_id = physical_id
        if record.status is ResourceStatus.CREATE_FAILED:
            self.resource_event(logical_id, ResourceStatus.DELETE_COMPLETE)  # nothing was made
            return
        self.resource_event(logical_id, ResourceStatus.DELETE_IN_PROGRESS)
        if physical_id is None and body.get("DeletionPolicy") != "Retain":
            if inject:
                self._injected(logical_id, StackOperation.DELETE)
            self.sandbox_map.remove(logical_id, body)
        self.resource_event(logical_id, ResourceStatus.DELETE_COMPLETE)

    # --- whole-stack operations ---------------------------------------------

    def _no_outputs(self) -> None:
        self.output_map = OutputMap(self.resource_map, {}, self.stack_id)

    def create_resources(self) -> None:
        self.status = StackStatus.CREATE_IN_PROGRESS.value
        resource_map = self.sandbox_map
        resource_map.switch_to(self.template_dict, None)
        resource_map.tags.update({"aws:cloudformation:stack-name": self.name, "aws:cloudformation:stack-id": self.stack_id})
        created: list[str] = []
        for logical_id in resource_map.order():
            if not resource_map.wanted(logical_id):
                continue
            try:
                self._create_one(logical_id)
            except ResourceFailed:
                self._roll_back_create(created, logical_id)
                return
            created.append(logical_id)
        self.description = self.template_dict.get("Description")
        self.output_map = self._create_output_map()
        self.stack_event(StackStatus.CREATE_COMPLETE)

    def _roll_back_create(self, created: list[str], failed: str) -> None:
        self.stack_event(
            StackStatus.ROLLBACK_IN_PROGRESS,
            f"The following resource(s) failed to create: [{failed}]. Rollback requested by user.",
        )
        for logical_id in [failed, *reversed(created)]:
            self._delete_one(logical_id, self.sandbox_map.json_of(logical_id))
        self.records.clear()
        self._no_outputs()
        self.stack_event(StackStatus.ROLLBACK_COMPLETE)

    def update(
        self,
        template: str,
        role_arn: str | None = None,
        parameters: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
    ) -> None:
        self.stack_event(StackStatus.UPDATE_IN_PROGRESS, USER_INITIATED)
        resource_map = self.sandbox_map
        new_template = self.parse_template(template)
        old_template, old_parameters = self.template_dict, dict(resource_map.input_parameters)
        diff = resource_map.build_resource_diff(new_template, parameters)
        old_bodies = dict(resource_map._resource_json_map)
        resource_map.switch_to(new_template, parameters)
        progress = UpdateProgress()
        try:
            for logical_id in resource_map.order():
                if logical_id in diff["Add"] and resource_map.wanted(logical_id):
                    self._create_one(logical_id)
                    progress.added.append(logical_id)
                elif logical_id in diff["Modify"] and logical_id in self.records:
                    self._update_one(logical_id, progress)
                    progress.modified.append(logical_id)
        except ResourceFailed:
            failed = next(name for name, record in self.records.items() if record.status.name.endswith("FAILED"))
            self._roll_back_update(progress, failed, old_template, old_parameters)
            return
        self.template, self.template_dict = template, new_template
        if parameters:
            self.parameters = parameters
        if tags is not None:
            self.tags = tags
        self.role_arn = role_arn
        self.stack_event(StackStatus.UPDATE_COMPLETE_CLEANUP_IN_PROGRESS)
        for logical_id, old_physical in progress.replaced.items():
            self._delete_one(logical_id, old_bodies[logical_id], physical_id=old_physical)
            self.records[logical_id].physical_id = physical_id_of(resource_map.instance(logical_id))
            self.records[logical_id].status = ResourceStatus.UPDATE_COMPLETE
        for logical_id in diff["Remove"]:
            if logical_id in self.records:
                self._delete_one(logical_id, old_bodies[logical_id])
                del self.records[logical_id]
        self.output_map = self._create_output_map()
        self.stack_event(StackStatus.UPDATE_COMPLETE)

    def _roll_back_update(
        self, progress: UpdateProgress, failed: str, old_template: dict[str, Any], old_parameters: dict[str, Any]
    ) -> None:
        verb = "create" if self.records[failed].status is ResourceStatus.CREATE_FAILED else "update"
        self.stack_event(
            StackStatus.UPDATE_ROLLBACK_IN_PROGRESS, f"The following resource(s) failed to {verb}: [{failed}]."
        )
        resource_map = self.sandbox_map
        new_bodies = dict(resource_map._resource_json_map)
        resource_map.switch_to(old_template, old_parameters)
        for logical_id in reversed(progress.modified):
            self._update_one(logical_id, None)  # back to the old template's properties
        if verb == "update":
            self.resource_event(failed, ResourceStatus.UPDATE_COMPLETE)
        self.stack_event(StackStatus.UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS)
        for logical_id in [*([failed] if verb == "create" else []), *reversed(progress.added)]:
            self._delete_one(logical_id, new_bodies[logical_id])
            del self.records[logical_id]
        self.output_map = self._create_output_map()
        self.stack_event(StackStatus.UPDATE_ROLLBACK_COMPLETE)

    def delete(self) -> None:
        self.stack_event(StackStatus.DELETE_IN_PROGRESS, USER_INITIATED)
        failed = []
        for logical_id in reversed(list(self.records)):
            try:
                self._delete_one(logical_id, self.sandbox_map.json_of(logical_id), inject=True)
            except Exception as err:
                record = self.records[logical_id]
                self.resource_event(
                    logical_id, ResourceStatus.DELETE_FAILED, failure_reason(record.resource_type, record.physical_id, err)
                )
                failed.append(logical_id)
        if failed:
            self.stack_event(
                StackStatus.DELETE_FAILED, f"The following resource(s) failed to delete: [{', '.join(failed)}]. "
            )
            return
        self.records.clear()
        self._no_outputs()
        self.stack_event(StackStatus.DELETE_COMPLETE)
