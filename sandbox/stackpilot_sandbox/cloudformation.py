"""moto's CloudFormation backend, extended so stacks and change sets behave
as CloudFormation's do.

- Stacks are SandboxStacks (cfn_stacks.py): resource events, failures and
  rollbacks.
- Change sets take (scaled) time to create: CREATE_PENDING, then
  CREATE_IN_PROGRESS, then CREATE_COMPLETE with ExecutionStatus AVAILABLE, or
  FAILED with AWS's reason when nothing would change. Their changes carry
  Replacement, Scope and Details (cfn_changes.py). Executing one deletes the
  stack's other change sets, as CloudFormation does.
- AWS::IAM::OIDCProvider is known (cfn_oidc.py).

The backends live in the sandbox's own registry, `sandbox_cloudformation_backends`;
moto's `cloudformation_backends` stays as moto made it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from moto.cloudformation.exceptions import AlreadyExistsException, CloudFormationError, ValidationError
from moto.cloudformation.models import ChangeSet, CloudFormationBackend
from moto.cloudformation.utils import generate_changeset_id, generate_stack_id, validate_create_change_set
from moto.core.base_backend import BackendDict

from . import cfn_oidc  # noqa: F401  (defining the class registers AWS::IAM::OIDCProvider)
from .cfn_changes import (
    KNOWN_AFTER_APPLY,
    ChangeInputs,
    condition_values,
    resolve_value,
    resource_changes,
    with_conditions,
)
from .cfn_stacks import SandboxStack, StackStatus
from .runtime import RUNTIME

# AWS seconds a change set spends CREATE_PENDING, and until it is complete.
CHANGE_SET_PENDING_SECONDS = 1.0
CHANGE_SET_CREATE_SECONDS = 3.0
NO_CHANGES = (
    "The submitted information didn't contain changes. Submit different information to create a change set."
)


class ChangeSetStatus(StrEnum):
    CREATE_PENDING = "CREATE_PENDING"
    CREATE_IN_PROGRESS = "CREATE_IN_PROGRESS"
    CREATE_COMPLETE = "CREATE_COMPLETE"
    FAILED = "FAILED"


class ExecutionStatus(StrEnum):
    UNAVAILABLE = "UNAVAILABLE"
    AVAILABLE = "AVAILABLE"
    EXECUTE_IN_PROGRESS = "EXECUTE_IN_PROGRESS"
    EXECUTE_COMPLETE = "EXECUTE_COMPLETE"
    EXECUTE_FAILED = "EXECUTE_FAILED"


class InvalidChangeSetStatus(CloudFormationError):
    code = "InvalidChangeSetStatus"


class ChangeSetNotFound(CloudFormationError):
    code = "ChangeSetNotFound"


def template_parameters(template: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """Every parameter of the template with its value: given, else the default."""
    declared = template.get("Parameters") or {}
    return {name: given.get(name, spec.get("Default")) for name, spec in declared.items()}


class SandboxChangeSet(ChangeSet):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.created_at = RUNTIME.clock.now()
        self.outcome = ChangeSetStatus.CREATE_COMPLETE
        self.outcome_reason: str | None = None
        self.execution: ExecutionStatus | None = None
        super().__init__(*args, **kwargs)

    # moto's constructor assigns these; the values that count are derived from time.
    @property
    def status(self) -> str:
        elapsed = RUNTIME.clock.now() - self.created_at
        if elapsed < RUNTIME.clock.real_seconds(CHANGE_SET_PENDING_SECONDS):
            return ChangeSetStatus.CREATE_PENDING.value
        if elapsed < RUNTIME.clock.real_seconds(CHANGE_SET_CREATE_SECONDS):
            return ChangeSetStatus.CREATE_IN_PROGRESS.value
        return self.outcome.value

    @status.setter
    def status(self, value: Any) -> None:
        pass

    @property
    def execution_status(self) -> str:
        if self.execution is not None:
            return self.execution.value
        if self.status == ChangeSetStatus.CREATE_COMPLETE:
            return ExecutionStatus.AVAILABLE.value
        return ExecutionStatus.UNAVAILABLE.value

    @execution_status.setter
    def execution_status(self, value: Any) -> None:
        pass

    @property
    def status_reason(self) -> str | None:
        return self.outcome_reason if self.status == self.outcome else None

    @status_reason.setter
    def status_reason(self, value: Any) -> None:
        pass

    def diff(self) -> list[Any]:
        """Computed once, when the change set is made, as AWS does."""
        stack = self.stack
        assert isinstance(stack, SandboxStack)
        old_resources = dict(stack.template_dict.get("Resources") or {}) if stack.template_dict else {}
        self.resolved_parameters = template_parameters(self.template_dict, self.parameters)
        old_parameters = dict(stack.resource_map.resolved_parameters) if old_resources else {}
        new_resources = self.template_dict.get("Resources") or {}
        # Conditions are known when the change set is made: compare what each
        # Fn::If chooses, not the Fn::If as written.
        old_resources = _conditioned(old_resources, condition_values(stack.template_dict or {}, old_parameters))
        new_resources = _conditioned(new_resources, condition_values(self.template_dict, self.resolved_parameters))
        pseudo = {key: value for key, value in stack.resource_map._parsed_resources.items() if key.startswith("AWS::")}

        def before(name: str, attribute: str | None) -> Any:
            if name in old_parameters:
                return old_parameters[name]
            if name in pseudo:
                return pseudo[name]
            record = stack.records.get(name)
            if record is None:
                return KNOWN_AFTER_APPLY
            if attribute is None:
                return record.physical_id
            try:
                return stack.sandbox_map.instance(name).get_cfn_attribute(attribute)
            except Exception:  # moto does not model every attribute
                return KNOWN_AFTER_APPLY

        def after(value: Any, replaced: set[str]) -> Any:
            def lookup(name: str, attribute: str | None) -> Any:
                if name in self.resolved_parameters:
                    return self.resolved_parameters[name]
                if name in replaced:
                    return KNOWN_AFTER_APPLY
                return before(name, attribute)

            return resolve_value(value, lookup)

        inputs = ChangeInputs(
            old_resources=old_resources,
            new_resources=new_resources,
            old_parameters=old_parameters,
            new_parameters=self.resolved_parameters,
            physical_ids={name: record.physical_id for name, record in stack.records.items()},
            resolve_before=lambda value: resolve_value(value, before),
            resolve_after=after,
        )
        self.plain_changes = resource_changes(inputs, include_values=False)
        self.valued_changes = resource_changes(inputs, include_values=True)
        unchanged = (
            not self.plain_changes
            and old_parameters == self.resolved_parameters
            and stack.template_dict.get("Outputs") == self.template_dict.get("Outputs")
        )
        if self.change_set_type == "UPDATE" and unchanged:
            self.outcome, self.outcome_reason = ChangeSetStatus.FAILED, NO_CHANGES
        return self.plain_changes

    def describe(self, include_values: bool) -> dict[str, Any]:
        """DescribeChangeSet's answer."""
        answer: dict[str, Any] = {
            "ChangeSetName": self.change_set_name,
            "ChangeSetId": self.change_set_id,
            "StackId": self.stack_id,
            "StackName": self.stack_name,
            "Description": self.description,
            "Parameters": self.resolved_parameters,
            "CreationTime": self.creation_time,
            "ExecutionStatus": self.execution_status,
            "Status": self.status,
            "StatusReason": self.status_reason,
            "NotificationARNs": self.notification_arns or [],
            "Tags": [{"Key": k, "Value": v} for k, v in (self.tags or {}).items()],
            "Changes": [],
            "IncludeNestedStacks": False,
        }
        # Changes are known once the change set is complete.
        if self.status == ChangeSetStatus.CREATE_COMPLETE:
            answer["Changes"] = self.valued_changes if include_values else self.plain_changes
        return answer


def _conditioned(resources: dict[str, Any], conditions: dict[str, bool]) -> dict[str, Any]:
    return {
        name: {**resource, "Properties": with_conditions(resource.get("Properties") or {}, conditions)}
        for name, resource in resources.items()
    }


class SandboxCloudFormationBackend(CloudFormationBackend):
    @property
    def _url_module(self) -> Any:
        from . import cfn_responses

        return cfn_responses

    def _stack_named(self, name_or_id: str) -> SandboxStack | None:
        for stack in self.stacks.values():
            if name_or_id in (stack.name, stack.stack_id) and isinstance(stack, SandboxStack):
                return stack
        return None

    def create_stack(self, name: str, template: str, parameters: dict[str, Any], **kwargs: Any) -> SandboxStack:
        if self._stack_named(name) is not None:
            raise AlreadyExistsException(f"Stack [{name}] already exists")
        stack = SandboxStack(
            stack_id=generate_stack_id(name, self.region_name, self.account_id),
            name=name,
            template=template,
            parameters=parameters,
            account_id=self.account_id,
            region_name=self.region_name,
            cross_stack_resources=self.exports,
            **kwargs,
        )
        self.stacks[stack.stack_id] = stack
        stack.stack_event(StackStatus.CREATE_IN_PROGRESS, "User Initiated")
        stack.create_resources()
        for export in stack.exports:
            self.exports[export.name] = export
        return stack

    def create_change_set(
        self,
        stack_name: str,
        change_set_name: str,
        template: str,
        parameters: dict[str, str],
        description: str,
        change_set_type: str,
        notification_arns: list[str] | None = None,
        tags: dict[str, str] | None = None,
        role_arn: str | None = None,
    ) -> tuple[str, str]:
        validate_create_change_set(change_set_name)
        stack = self._stack_named(stack_name)
        if change_set_type == "UPDATE":
            if stack is None:
                raise ValidationError(message=f"Stack [{stack_name}] does not exist")
            if stack.status in (StackStatus.REVIEW_IN_PROGRESS, StackStatus.ROLLBACK_COMPLETE):
                raise ValidationError(
                    message=f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated."
                )
        elif stack is not None and stack.status != StackStatus.REVIEW_IN_PROGRESS:
            raise ValidationError(
                message=f"Stack [{stack_name}] already exists and cannot be created again with the changeSet [{change_set_name}]."
            )
        elif stack is None:
            stack = SandboxStack(
                stack_id=generate_stack_id(stack_name, self.region_name, self.account_id),
                name=stack_name,
                template={},
                parameters=parameters,
                account_id=self.account_id,
                region_name=self.region_name,
                cross_stack_resources=self.exports,
                notification_arns=notification_arns,
                tags=tags,
                role_arn=role_arn,
            )
            self.stacks[stack.stack_id] = stack
            stack.stack_event(StackStatus.REVIEW_IN_PROGRESS, "User Initiated")
        change_set = SandboxChangeSet(
            change_set_type=change_set_type,
            change_set_id=generate_changeset_id(change_set_name, self.region_name, self.account_id),
            change_set_name=change_set_name,
            stack=stack,
            template=template,
            parameters=parameters,
            description=description,
            notification_arns=notification_arns,
            tags=tags,
            role_arn=role_arn,
        )
        self.change_sets[change_set.change_set_id] = change_set
        return change_set.change_set_id, stack.stack_id

    def describe_change_set(self, change_set_name: str, stack_name: str | None = None) -> SandboxChangeSet:
        for change_set in self.change_sets.values():
            if change_set_name == change_set.change_set_id or (
                change_set_name == change_set.change_set_name
                and stack_name in (None, change_set.stack_name, change_set.stack_id)
            ):
                assert isinstance(change_set, SandboxChangeSet)
                return change_set
        raise ChangeSetNotFound(f"ChangeSet [{change_set_name}] does not exist")

    def delete_change_set(self, change_set_name: str, stack_name: str | None = None) -> None:
        # A CREATE change set's stack stays in REVIEW_IN_PROGRESS, as on AWS.
        change_set = self.describe_change_set(change_set_name, stack_name)
        del self.change_sets[change_set.change_set_id]

    def execute_change_set(self, change_set_name: str, stack_name: str | None = None) -> None:
        change_set = self.describe_change_set(change_set_name, stack_name)
        if change_set.execution_status != ExecutionStatus.AVAILABLE:
            raise InvalidChangeSetStatus(
                f"ChangeSet [{change_set.change_set_id}] cannot be executed in its current status of "
                f"[{change_set.status}]"
            )
        stack = self.stacks[change_set.stack_id]
        assert isinstance(stack, SandboxStack)
        change_set.execution = ExecutionStatus.EXECUTE_IN_PROGRESS
        if change_set.change_set_type == "CREATE":
            stack.template, stack.template_dict = change_set.template, change_set.template_dict
            stack.parameters = change_set.parameters
            stack.resource_map.input_parameters = change_set.parameters
            stack.stack_event(StackStatus.CREATE_IN_PROGRESS, "User Initiated")
            stack.create_resources()
            succeeded = stack.status == StackStatus.CREATE_COMPLETE
        else:
            stack.update(change_set.template, change_set.role_arn, change_set.parameters, change_set.tags or None)
            succeeded = stack.status == StackStatus.UPDATE_COMPLETE
        change_set.execution = ExecutionStatus.EXECUTE_COMPLETE if succeeded else ExecutionStatus.EXECUTE_FAILED
        if succeeded:
            self._publish_exports(stack)
        for other in [cs for cs in self.change_sets.values() if cs.stack_id == stack.stack_id and cs is not change_set]:
            del self.change_sets[other.change_set_id]

    def _publish_exports(self, stack: SandboxStack) -> None:
        """A stack's exports as its last successful create or update left them,
        as AWS keeps them (moto only registers them in CreateStack)."""
        for name in [n for n, e in self.exports.items() if e.exporting_stack_id == stack.stack_id]:
            del self.exports[name]
        for export in stack.exports:
            self.exports[export.name] = export

    def list_change_sets_of(self, stack_name: str) -> list[SandboxChangeSet]:
        return [
            cs for cs in self.change_sets.values()
            if stack_name in (cs.stack_name, cs.stack_id) and isinstance(cs, SandboxChangeSet)
        ]

    def delete_stack(self, name_or_stack_id: str) -> None:
        stack = self._stack_named(name_or_stack_id)
        if stack is None:
            return  # AWS answers success for a stack that does not exist
        exports = list(stack.exports)
        stack.delete()
        if stack.status != StackStatus.DELETE_COMPLETE:
            return
        del self.stacks[stack.stack_id]
        self.deleted_stacks[stack.stack_id] = stack
        for export in exports:
            self.exports.pop(export.name, None)
        for change_set in self.list_change_sets_of(stack.stack_id):
            del self.change_sets[change_set.change_set_id]


sandbox_cloudformation_backends: BackendDict[SandboxCloudFormationBackend] = BackendDict(
    SandboxCloudFormationBackend, "cloudformation"
)
