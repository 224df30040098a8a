"""The sandbox's ECS API: moto's responses, subclassed where clients need more.

moto's RunTask answers `failures: []` whatever happens, its DescribeTasks
says nothing about tasks it does not know (AWS lists them as MISSING), its
CreateService drops `deploymentConfiguration`, which the circuit breaker
needs, and it has no ListServiceDeployments / DescribeServiceDeployments
(service_deployments.py). Requests reach this class through ecs_urls.py.
"""

from __future__ import annotations

from moto.core.responses import ActionResult
from moto.core.utils import camelcase_to_underscores
from moto.ecs.responses import EC2ContainerServiceResponse

from .ecs_backend import SandboxEcsBackend, sandbox_ecs_backends
from .service_deployments import ServiceDeploymentActions


class SandboxEcsResponse(ServiceDeploymentActions, EC2ContainerServiceResponse):
    @property
    def ecs_backend(self) -> SandboxEcsBackend:
        return sandbox_ecs_backends[self.current_account][self.region]

    def run_task(self) -> ActionResult:
        # ECS answers a RunTask repeated with the same clientToken with the
        # tasks the first one started: a client's retry starts nothing new.
        token = self._get_param("clientToken")
        started = self.ecs_backend.run_task_tokens.get(token) if token else None
        if started is not None:
            return ActionResult({"tasks": started, "failures": []})
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
        if token and tasks:
            self.ecs_backend.run_task_tokens[token] = tasks
        return ActionResult({"tasks": tasks, "failures": self.ecs_backend.last_run_failures})

    def describe_tasks(self) -> ActionResult:
        result = super().describe_tasks()
        found = result.result["tasks"]
        known = {task.task_arn for task in found} | {task.id for task in found}
        missing = [ref for ref in self._get_param("tasks", []) if ref not in known]
        result.result["failures"] = [{"arn": ref, "reason": "MISSING"} for ref in missing]
        return result

    def register_task_definition(self) -> ActionResult:
        result = super().register_task_definition()
        # ECS echoes the request's tags next to the task definition.
        result.result["tags"] = self._get_param("tags") or []
        return result

    def create_service(self) -> ActionResult:
        service = self.ecs_backend.create_service(
            self._get_param("cluster", "default"),
            self._get_param("serviceName"),
            self._get_int_param("desiredCount"),
            self._get_param("taskDefinition"),
            self._get_param("loadBalancers"),
            self._get_param("schedulingStrategy"),
            self._get_param("tags"),
            self._get_param("deploymentController"),
            self._get_param("launchType"),
            deployment_configuration=self._get_param("deploymentConfiguration"),
            settings={
                camelcase_to_underscores(member): self._get_param(member)
                for member in (
                    "enableExecuteCommand",
                    "healthCheckGracePeriodSeconds",
                    "capacityProviderStrategy",
                    "enableECSManagedTags",
                    "placementConstraints",
                    "placementStrategy",
                )
            },
            network_configuration=self._get_param("networkConfiguration"),
            service_registries=self._get_param("serviceRegistries"),
            platform_version=self._get_param("platformVersion"),
            propagate_tags=self._get_param("propagateTags") or "NONE",
            role_arn=self._get_param("role"),
        )
        return ActionResult({"service": service})
