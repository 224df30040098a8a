"""moto's ECS backend, extended so services roll and tasks live and die.

Everything moto already does well (clusters, task definitions, tags, ARNs,
ENIs) stays moto's; this subclass takes over the parts that must move with
time: services' deployments and tasks' lifecycles. The sandbox keeps these
backends in a registry of its own, `sandbox_ecs_backends` (moto's
`ecs_backends` is left alone); server.py routes ECS requests to them.
"""

from __future__ import annotations

import copy
from typing import Any

from moto.core.base_backend import BackendDict
from moto.ecs.exceptions import InvalidParameterException, ServiceNotFoundException
from moto.ecs.models import EC2ContainerServiceBackend

from .clock import as_datetime
from .ecs_deployments import DEFAULT_DEPLOYMENT_CONFIGURATION, Deployment, ServiceRollout
from .runtime import RUNTIME
from .scenario import Outcome, TaskFacts, TaskPlan
from .target_health import TargetHealthBook
from .task_definitions import TaskDefinitionFields
from .tasks import PENDING_PHASES, SandboxTask, TaskPhase

AWSVPC_REQUIRED = "Network Configuration must be provided when networkMode 'awsvpc' is specified."
FARGATE_PLATFORM_VERSION = "1.4.0"
TASK_NOT_FOUND = "The referenced task was not found."
NEGATIVE_DESIRED_COUNT = "Invalid desiredCount: it must be 0 or more."


# Service members moto's CreateService ignores, as attribute names; the
# sandbox keeps them (the scheduler reads the grace period).
SERVICE_SETTINGS = frozenset({
    "enable_execute_command",
    "health_check_grace_period_seconds",
    "capacity_provider_strategy",
    "enable_ecs_managed_tags",
    "placement_constraints",
    "placement_strategy",
})


def full_deployment_configuration(given: dict[str, Any] | None) -> dict[str, Any]:
    """AWS echoes the defaults of what the caller left out."""
    configuration = copy.deepcopy(DEFAULT_DEPLOYMENT_CONFIGURATION)
    configuration.update(given or {})
    return configuration


def resolved_platform_version(requested: str | None) -> str:
    """Services say LATEST; their deployments and tasks show the version it meant."""
    return FARGATE_PLATFORM_VERSION if requested in (None, "LATEST") else requested


def check_desired_count(desired: Any) -> None:
    """AWS answers 400 for a negative desiredCount; moto stored it."""
    if desired is not None and int(desired) < 0:
        raise InvalidParameterException(NEGATIVE_DESIRED_COUNT)


def image_tag(image: str) -> str:
    last = image.rsplit("/", 1)[-1].split("@", 1)[0]
    return last.rsplit(":", 1)[1] if ":" in last else "latest"


def task_facts(task_definition: Any, service: str | None, started_by: str) -> TaskFacts:
    containers = task_definition.container_definitions
    return TaskFacts(
        family=task_definition.family,
        service=service,
        image_tags=[image_tag(c.get("image", "")) for c in containers],
        containers=[c.get("name", "") for c in containers],
        started_by=started_by,
    )


class SandboxEcsBackend(TaskDefinitionFields, EC2ContainerServiceBackend):
    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.rollouts: dict[str, ServiceRollout] = {}
        self.targets = TargetHealthBook(account_id, region_name, RUNTIME.clock)
        # Set by run_task, read by the RunTask response (requests are serialised).
        self.last_run_failures: list[dict[str, str]] = []
        # RunTask's clientToken → the tasks that call started.
        self.run_task_tokens: dict[str, list[Any]] = {}

    @property
    def _url_module(self) -> Any:
        # moto builds the routes from the module this names: ours answers with
        # SandboxEcsResponse. Imported here: that module imports this one.
        from . import ecs_urls

        return ecs_urls

    # --- time -------------------------------------------------------------

    def tick(self, now: float) -> None:
        for rollout in self.rollouts.values():
            rollout.tick(now)
        for cluster_tasks in self.tasks.values():
            for task in cluster_tasks.values():
                if isinstance(task, SandboxTask) and task.service_name is None:
                    task.tick(now)

    # --- clusters ------------------------------------------------------------

    def create_cluster(self, cluster_name: str, *args: Any, **kwargs: Any) -> Any:
        cluster = super().create_cluster(cluster_name, *args, **kwargs)
        # ECS answers with empty lists where moto has nothing.
        cluster.capacity_providers = cluster.capacity_providers or []
        cluster.default_capacity_provider_strategy = cluster.default_capacity_provider_strategy or []
        cluster.statistics = []
        return cluster

    def describe_clusters(self, cluster_names: list[str]) -> tuple[list[Any], list[Any]]:
        clusters, failures = super().describe_clusters(cluster_names)
        for cluster in clusters:
            self._count_for(cluster)
        return clusters, failures

    def _count_for(self, cluster: Any) -> None:
        """moto counts tasks only on EC2 container instances; AWS counts every
        task by its lastStatus, and the cluster's ACTIVE services."""
        phases = [
            task.last_status
            for task in self.tasks.get(cluster.name, {}).values()
            if isinstance(task, SandboxTask)
        ]
        cluster.running_tasks_count = sum(1 for phase in phases if phase is TaskPhase.RUNNING)
        cluster.pending_tasks_count = sum(1 for phase in phases if phase in PENDING_PHASES)
        cluster.active_services_count = sum(
            1
            for service in self.services.values()
            if service.cluster_name == cluster.name and service.status == "ACTIVE"
        )

    # --- services ------------------------------------------------------------

    def create_service(
        self,
        cluster_str: str,
        service_name: str,
        desired_count: int,
        task_definition_str: str | None = None,
        load_balancers: list[dict[str, Any]] | None = None,
        scheduling_strategy: Any = None,
        tags: list[dict[str, str]] | None = None,
        deployment_controller: dict[str, str] | None = None,
        launch_type: str | None = None,
        deployment_configuration: dict[str, Any] | None = None,
        settings: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """moto's arguments, plus the `deploymentConfiguration` moto drops and
        `settings`: the other members moto's service does not take (see
        SERVICE_SETTINGS), by attribute name."""
        # The sandbox has no EC2 capacity: a service without a launch type
        # (capacity provider strategy) runs on Fargate here.
        launch_type = launch_type or "FARGATE"
        check_desired_count(desired_count)
        if task_definition_str and launch_type == "FARGATE" and not kwargs.get("network_configuration"):
            if self.describe_task_definition(task_definition_str).network_mode == "awsvpc":
                raise InvalidParameterException(AWSVPC_REQUIRED)
        service = super().create_service(
            cluster_str,
            service_name,
            desired_count,
            task_definition_str,
            load_balancers,
            scheduling_strategy,
            tags,
            deployment_controller,
            launch_type,
            **kwargs,
        )
        service.deployments = []
        service.running_count = 0
        service.pending_count = 0
        # Members ECS always returns for a service; the response overrides
        # them with what the request gave.
        service.created_at = as_datetime(RUNTIME.clock.now())
        service.created_by = f"arn:aws:iam::{self.account_id}:root"
        service.platform_version = service.platform_version or "LATEST"
        service.platform_family = "Linux"
        service.placement_constraints = []
        service.placement_strategy = []
        service.enable_ecs_managed_tags = False
        service.enable_execute_command = False
        service.deployment_configuration = full_deployment_configuration(deployment_configuration)
        for name, value in (settings or {}).items():
            if name in SERVICE_SETTINGS and value is not None:
                setattr(service, name, value)
        rollout = ServiceRollout(service, self._launch_for_service, RUNTIME.clock, self.targets)
        self.rollouts[self._key(service)] = rollout
        if service.task_definition:
            rollout.start_deployment(service.task_definition, RUNTIME.clock.now())
        return service

    @staticmethod
    def _key(service: Any) -> str:
        return f"{service.cluster_name}:{service.name}"

    def update_service(self, service_properties: dict[str, Any]) -> Any:
        props = dict(service_properties)
        cluster_str = props.pop("cluster", "default")
        service = self._get_service(cluster_str, props.pop("service").split("/")[-1])
        rollout = self.rollouts[self._key(service)]
        now = RUNTIME.clock.now()
        task_definition_str = props.pop("task_definition", None)
        force = bool(props.pop("force_new_deployment", False))
        desired = props.pop("desired_count", None)
        check_desired_count(desired)
        for name, value in props.items():
            if value is not None:
                setattr(service, name, value)
        if desired is not None:
            rollout.set_desired_count(int(desired), now)
        target = service.task_definition
        if task_definition_str:
            target = self.describe_task_definition(task_definition_str).arn
        if target != service.task_definition or force:
            rollout.start_deployment(target, now)
        rollout.tick(now)
        return service

    def delete_service(self, cluster_name: str, service_name: str, force: bool) -> Any:
        service = super().delete_service(cluster_name, service_name, force)
        self.rollouts[self._key(service)].stop_all(RUNTIME.clock.now())
        return service

    def _launch_for_service(self, service: Any, deployment: Deployment, now: float) -> SandboxTask | str:
        task_definition = self.describe_task_definition(deployment.task_definition)
        plan = RUNTIME.scenario.plan_for(task_facts(task_definition, service.name, deployment.id))
        if plan.outcome is Outcome.CANNOT_PLACE:
            return plan.placement_failure
        task = self._new_task(
            service.cluster_name,
            task_definition,
            group=f"service:{service.name}",
            started_by=deployment.id,
            network=service.network_configuration or None,
            launch_type=service.launch_type,
            platform_version=service.platform_version,
        )
        task.service_name = service.name
        task.enable_execute_command = bool(service.enable_execute_command)
        self._start(task, plan, now)
        return task

    def _new_task(
        self,
        cluster_str: str,
        task_definition: Any,
        group: str,
        started_by: str,
        network: dict[str, Any] | None,
        launch_type: str | None = None,
        platform_version: str | None = None,
        overrides: dict[str, Any] | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> SandboxTask:
        # Built here rather than by moto's run_task: Fargate needs no container
        # instance, and task definitions may set memory only at task level.
        cluster = self._get_cluster(cluster_str)
        task = SandboxTask(
            cluster=cluster,
            task_definition=task_definition,
            container_instance_arn=None,
            resource_requirements=None,
            backend=self,
            group=group,
            launch_type=launch_type or "FARGATE",
            overrides=overrides or {},
            started_by=started_by,
            tags=tags or [],
            networking_configuration=network,
            platform_version=resolved_platform_version(platform_version),
        )
        self.tasks.setdefault(cluster.name, {})[task.task_arn] = task
        return task

    @staticmethod
    def _start(task: SandboxTask, plan: TaskPlan, now: float) -> None:
        task.start(plan, RUNTIME.clock, RUNTIME.scenario.local_command_for(task.family), now)

    # --- tasks ---------------------------------------------------------------

    def run_task(
        self,
        cluster_str: str,
        task_definition_str: str,
        count: int,
        overrides: dict[str, Any] | None,
        started_by: str,
        tags: Any,
        launch_type: str | None,
        networking_configuration: dict[str, Any] | None = None,
        group: str | None = None,
        platform_version: str | None = None,
        capacity_provider_strategy: list[dict[str, Any]] | None = None,
    ) -> list[Any]:
        self.last_run_failures = []
        if launch_type and capacity_provider_strategy:
            raise InvalidParameterException(
                "Specify either Launch Type or Capacity Provider Strategy, but not both."
            )
        if launch_type not in (None, "FARGATE"):
            raise InvalidParameterException("The sandbox runs FARGATE tasks only.")
        task_definition = self.describe_task_definition(task_definition_str)
        if not networking_configuration:
            raise InvalidParameterException(AWSVPC_REQUIRED)
        awsvpc = networking_configuration.get("awsvpcConfiguration") or {}
        if not awsvpc.get("subnets"):
            raise InvalidParameterException("subnets can not be empty.")
        # AWS puts a task without security groups in the VPC's default group;
        # moto's model indexes the key unconditionally.
        awsvpc.setdefault("securityGroups", [])
        plan = RUNTIME.scenario.plan_for(task_facts(task_definition, None, started_by or ""))
        if plan.outcome is Outcome.CANNOT_PLACE:
            self.last_run_failures = [
                {"arn": task_definition.arn, "reason": plan.placement_failure} for _ in range(count)
            ]
            return []
        now = RUNTIME.clock.now()
        tasks = []
        for _ in range(count):
            task = self._new_task(
                cluster_str,
                task_definition,
                group=group or f"family:{task_definition.family}",
                started_by=started_by or "",
                network=networking_configuration,
                launch_type="FARGATE",
                platform_version=platform_version,
                overrides=overrides,
                tags=tags,
            )
            self._start(task, plan, now)
            tasks.append(task)
        return tasks

    def list_tasks(
        self,
        cluster_str: str | None = None,
        container_instance: str | None = None,
        family: str | None = None,
        started_by: str | None = None,
        service_name: str | None = None,
        desiredStatus: str | None = None,
    ) -> list[Any]:
        # AWS lists only tasks whose desired status is RUNNING unless asked otherwise.
        tasks = super().list_tasks(
            cluster_str, container_instance, family, started_by, None, desiredStatus or "RUNNING"
        )
        if service_name:
            # AWS: ServiceNotFoundException for a service the cluster lacks.
            name = self._get_service(cluster_str or "default", service_name.split("/")[-1]).name
            tasks = [t for t in tasks if getattr(t, "service_name", None) == name]
        return tasks

    def stop_task(self, cluster_str: str, task_str: str, reason: str) -> Any:
        cluster = self._get_cluster(cluster_str)
        task_id = task_str.split("/")[-1]
        for arn, task in self.tasks.get(cluster.name, {}).items():
            if arn.endswith(task_id) and isinstance(task, SandboxTask):
                task.request_stop(RUNTIME.clock.now(), "UserInitiated", reason or "Task stopped by user")
                return task
        # moto raised a bare Exception here (HTTP 500, which clients retry).
        raise InvalidParameterException(TASK_NOT_FOUND)


sandbox_ecs_backends: BackendDict[SandboxEcsBackend] = BackendDict(SandboxEcsBackend, "ecs")


def tick_all(now: float) -> None:
    for account in list(sandbox_ecs_backends.values()):
        for backend in list(account.values()):
            if isinstance(backend, SandboxEcsBackend):
                backend.tick(now)
