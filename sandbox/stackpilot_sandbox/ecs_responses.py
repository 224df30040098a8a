"""Fills the gaps in moto's ECS responses that clients read.

RunTask answers `failures: []` whatever happens, DescribeTasks says nothing
about tasks it does not know (AWS lists them as MISSING), and CreateService
drops `deploymentConfiguration`, which the circuit breaker needs.
"""

from __future__ import annotations

import copy

from moto.core.responses import ActionResult
from moto.ecs.responses import EC2ContainerServiceResponse

from .ecs_deployments import DEFAULT_DEPLOYMENT_CONFIGURATION

_original_create_service = EC2ContainerServiceResponse.create_service
_original_describe_tasks = EC2ContainerServiceResponse.describe_tasks


def _run_task(self: EC2ContainerServiceResponse) -> ActionResult:
    tasks = self.ecs_backend.run_task(
        self._get_param("cluster", "default"),
        self._get_param("taskDefinition"),
        self._get_int_param("count", 1),
        self._get_param("overrides"),
        self._get_param("startedBy"),
        self._get_param("tags"),
        self._get_param("launchType"),
        self._get_param("networkConfiguration"),
        self._get_param("group"),
        self._get_param("platformVersion"),
        self._get_param("capacityProviderStrategy"),
    )
    failures = getattr(self.ecs_backend, "last_run_failures", [])
    return ActionResult({"tasks": tasks, "failures": failures})


def _describe_tasks(self: EC2ContainerServiceResponse) -> ActionResult:
    result = _original_describe_tasks(self)
    found = result.result["tasks"]
    known = {task.task_arn for task in found} | {task.id for task in found}
    missing = [ref for ref in self._get_param("tasks", []) if ref not in known]
    result.result["failures"] = [{"arn": ref, "reason": "MISSING"} for ref in missing]
    return result


def _create_service(self: EC2ContainerServiceResponse) -> ActionResult:
    result = _original_create_service(self)
    service = self.ecs_backend._get_service(
        self._get_param("cluster", "default"), self._get_param("serviceName")
    )
    # AWS echoes the defaults when the caller gave none.
    configuration = copy.deepcopy(DEFAULT_DEPLOYMENT_CONFIGURATION)
    configuration.update(self._get_param("deploymentConfiguration") or {})
    service.deployment_configuration = configuration
    for param, attribute in (
        ("enableExecuteCommand", "enable_execute_command"),
        ("healthCheckGracePeriodSeconds", "health_check_grace_period_seconds"),
        ("capacityProviderStrategy", "capacity_provider_strategy"),
    ):
        value = self._get_param(param)
        if value is not None:
            setattr(service, attribute, value)
    return result


def install() -> None:
    EC2ContainerServiceResponse.run_task = _run_task
    EC2ContainerServiceResponse.create_service = _create_service
    EC2ContainerServiceResponse.describe_tasks = _describe_tasks
