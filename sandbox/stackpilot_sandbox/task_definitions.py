"""Task definitions as ECS returns them: the fields the server adds.

moto stores what the caller registered and nothing more. ECS also answers
with `registeredAt`, `registeredBy`, the `requiresAttributes` it derived from
the definition (what a container instance must support), `deregisteredAt`
once deregistered, and RegisterTaskDefinition echoes the request's `tags`.
Registrations ECS would refuse are refused first (taskdef_rules.py).
This mixin sits in front of moto's backend (see SandboxEcsBackend).
"""

from __future__ import annotations

from typing import Any

from moto.ecs.exceptions import EcsClientException

from . import fargate_rules
from .clock import as_datetime
from .runtime import RUNTIME

# What every Fargate task definition requires, as ECS derives it.
_ALWAYS = ("com.amazonaws.ecs.capability.docker-remote-api.1.18",)


def required_attributes(task_definition: Any) -> list[dict[str, str]]:
    """The capabilities ECS derives from a definition (a representative
    subset: awslogs, execution-role pulls, task roles, ENIs, health checks,
    secrets)."""
    names = list(_ALWAYS)
    containers = task_definition.container_definitions
    drivers = {(c.get("logConfiguration") or {}).get("logDriver") for c in containers}
    if "awslogs" in drivers:
        names.append("com.amazonaws.ecs.capability.logging-driver.awslogs")
        names.append("com.amazonaws.ecs.capability.docker-remote-api.1.19")
        if getattr(task_definition, "execution_role_arn", None):
            names.append("ecs.capability.execution-role-awslogs")
    if getattr(task_definition, "task_role_arn", None):
        names.append("com.amazonaws.ecs.capability.task-iam-role")
    if task_definition.network_mode == "awsvpc":
        names.append("ecs.capability.task-eni")
    if any(c.get("healthCheck") for c in containers):
        names.append("ecs.capability.container-health-check")
        names.append("com.amazonaws.ecs.capability.docker-remote-api.1.24")
    if any(c.get("secrets") for c in containers):
        names.append("ecs.capability.secrets.asm.environment-variables")
    if any(c.get("dependsOn") for c in containers):
        names.append("ecs.capability.container-ordering")
    return [{"name": name} for name in dict.fromkeys(names)]


class TaskDefinitionFields:
    """Mixed into the ECS backend, before moto's class."""

    def register_task_definition(self, family: str, container_definitions: list[dict[str, Any]], **kwargs: Any) -> Any:
        # ECS refuses a definition it could never run; moto does not. The
        # rules share their ids with stackpilot's preflight.
        refused = fargate_rules.refusal(
            {
                "family": family,
                "containerDefinitions": container_definitions or [],
                "networkMode": kwargs.get("network_mode"),
                "requiresCompatibilities": kwargs.get("requires_compatibilities"),
                "cpu": kwargs.get("cpu"),
                "memory": kwargs.get("memory"),
                "executionRoleArn": kwargs.get("execution_role_arn"),
                "ephemeralStorage": kwargs.get("ephemeral_storage"),
            }
        )
        if refused:
            raise EcsClientException(refused[1])
        task_definition = super().register_task_definition(  # type: ignore[misc]
            family, container_definitions, **kwargs
        )
        task_definition.registered_at = as_datetime(RUNTIME.clock.now())
        task_definition.registered_by = f"arn:aws:iam::{self.account_id}:root"  # type: ignore[attr-defined]
        task_definition.requires_attributes = required_attributes(task_definition)
        return task_definition

    def deregister_task_definition(self, task_definition_str: str) -> Any:
        task_definition = super().deregister_task_definition(task_definition_str)  # type: ignore[misc]
        if getattr(task_definition, "deregistered_at", None) is None:
            task_definition.deregistered_at = as_datetime(RUNTIME.clock.now())
        return task_definition
