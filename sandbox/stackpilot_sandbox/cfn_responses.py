"""CloudFormation answers from the sandbox's backend (and its routes: moto
builds a service's routes from the module its backend names, and
SandboxCloudFormationBackend names this one).

Where moto's answers differ from CloudFormation's, these override them:
CreateChangeSet (no "No updates" error: an empty change set FAILS instead),
DescribeChangeSet (details, IncludePropertyValues), ListChangeSets (one
stack's), DescribeStackEvents (paged), the stack-resource listings (each
resource's own status and time), and UpdateStack's "No updates are to be
performed." whether or not parameters were given.
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.responses import CloudFormationResponse
from moto.cloudformation.urls import url_bases  # noqa: F401  (the same hosts as moto's)
from moto.core.responses import ActionResult

from .cfn_stacks import SandboxStack
from .cloudformation import SandboxCloudFormationBackend, sandbox_cloudformation_backends

EVENTS_PAGE = 100


class SandboxCloudFormationResponse(CloudFormationResponse):
    @property
    def cloudformation_backend(self) -> SandboxCloudFormationBackend:
        return sandbox_cloudformation_backends[self.current_account][self.region]

    def _stack(self) -> SandboxStack:
        stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
        assert isinstance(stack, SandboxStack)
        return stack

    def create_change_set(self) -> ActionResult:
        backend = self.cloudformation_backend
        stack_name = self._get_param("StackName")
        change_set_type = self._get_param("ChangeSetType", "CREATE")
        body = self._get_param("TemplateBody")
        if self._get_param("TemplateURL"):
            body = self._get_stack_from_s3_url(self._get_param("TemplateURL"))
        previous: dict[str, Any] = {}
        if change_set_type == "UPDATE":
            stack = backend.get_stack(stack_name)
            self.validate_template_and_stack_body()
            if self._get_bool_param("UsePreviousTemplate", False):
                body = stack.template
            previous = dict(stack.stack_parameters)
        parameters = {}
        for parameter in self._get_param("Parameters", []):
            key = parameter["ParameterKey"]
            if parameter.get("UsePreviousValue", False):
                parameters[key] = previous[key]
            else:
                parameters[key] = parameter["ParameterValue"]
        change_set_id, stack_id = backend.create_change_set(
            stack_name=stack_name,
            change_set_name=self._get_param("ChangeSetName"),
            template=body,
            parameters=parameters,
            description=self._get_param("Description"),
            notification_arns=self._get_param("NotificationARNs", []),
            tags={item["Key"]: item["Value"] for item in self._get_param("Tags", [])},
            role_arn=self._get_param("RoleARN"),
            change_set_type=change_set_type,
        )
        return ActionResult({"Id": change_set_id, "StackId": stack_id})

    def describe_change_set(self) -> ActionResult:
        change_set = self.cloudformation_backend.describe_change_set(
            self._get_param("ChangeSetName"), self._get_param("StackName")
        )
        return ActionResult(change_set.describe(self._get_bool_param("IncludePropertyValues", False)))

    def delete_change_set(self) -> ActionResult:
        self.cloudformation_backend.delete_change_set(self._get_param("ChangeSetName"), self._get_param("StackName"))
        return ActionResult({})

    def execute_change_set(self) -> ActionResult:
        self.cloudformation_backend.execute_change_set(self._get_param("ChangeSetName"), self._get_param("StackName"))
        return ActionResult({})

    def list_change_sets(self) -> ActionResult:
        change_sets = self.cloudformation_backend.list_change_sets_of(self._get_param("StackName"))
        return ActionResult({"Summaries": change_sets})

    def describe_stack_events(self) -> ActionResult:
        """Newest first, EVENTS_PAGE at a time; the token names the last event
        given, so events written between two pages do not shift the next one."""
        events = self._stack().events[::-1]
        token = self._get_param("NextToken")
        start = 0
        if token:
            ids = [str(event.event_id) for event in events]
            if token not in ids:
                raise ValidationError(message="Invalid NextToken")
            start = ids.index(token) + 1
        page = events[start : start + EVENTS_PAGE]
        more = start + EVENTS_PAGE < len(events)
        return ActionResult({"StackEvents": page, "NextToken": str(page[-1].event_id) if more else None})

    def _resource_rows(self, stack: SandboxStack, logical_id: str | None) -> list[dict[str, Any]]:
        return [
            {
                "StackName": stack.name,
                "StackId": stack.stack_id,
                "LogicalResourceId": record.logical_id,
                "PhysicalResourceId": record.physical_id,
                "ResourceType": record.resource_type,
                "Timestamp": record.updated,
                "LastUpdatedTimestamp": record.updated,
                "ResourceStatus": record.status.value,
                "ResourceStatusReason": record.reason,
            }
            for record in stack.records.values()
            if logical_id in (None, record.logical_id)
        ]

    def list_stack_resources(self) -> ActionResult:
        return ActionResult({"StackResourceSummaries": self._resource_rows(self._stack(), None)})

    def describe_stack_resources(self) -> ActionResult:
        rows = self._resource_rows(self._stack(), self._get_param("LogicalResourceId"))
        return ActionResult({"StackResources": rows})

    def describe_stack_resource(self) -> ActionResult:
        stack, logical_id = self._stack(), self._get_param("LogicalResourceId")
        rows = self._resource_rows(stack, logical_id)
        if not rows:
            raise ValidationError(message=f"Resource {logical_id} does not exist for stack {stack.name}")
        return ActionResult({"StackResourceDetail": rows[0]})

    def _validate_different_update(
        self, incoming_params: list[dict[str, Any]] | None, stack_body: str, old_stack: Any
    ) -> None:
        new_params = self._get_param_values(incoming_params or [], old_stack.stack_parameters)
        same_template = stack_body is not None and old_stack.parse_template(stack_body) == old_stack.template_dict
        if same_template and all(str(old_stack.stack_parameters.get(k)) == str(v) for k, v in new_params.items()):
            raise ValidationError(old_stack.name, message="No updates are to be performed.")


url_paths = {"{0}/$": SandboxCloudFormationResponse.dispatch}
