"""A task that lives through the Fargate lifecycle on scaled time.

moto's task is RUNNING from birth and every exit code is 0. This subclass
walks PROVISIONING → PENDING → RUNNING → STOPPING → DEPROVISIONING → STOPPED
as the scenario plans it (or as a real local process decides), fills in the
timestamps, stop codes and per-container exit codes that DescribeTasks shows,
and writes the containers' log lines to CloudWatch Logs.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from moto.ec2 import ec2_backends
from moto.ec2.utils import random_private_ip
from moto.ecs.models import Task

from .clock import Clock, as_datetime
from .executor import LocalProcess, container_argv, container_env
from .health import HealthSchedule, HealthStatus, schedule_for, task_health
from .logs import MISSING_GROUP_REASON, AwslogsTarget
from .scenario import LocalCommand, Outcome, TaskPlan

ESSENTIAL_EXITED = "Essential container in task exited"


class TaskPhase(StrEnum):
    """A Fargate task's lastStatus, in lifecycle order."""

    PROVISIONING = "PROVISIONING"
    PENDING = "PENDING"
    ACTIVATING = "ACTIVATING"
    RUNNING = "RUNNING"
    DEACTIVATING = "DEACTIVATING"
    STOPPING = "STOPPING"
    DEPROVISIONING = "DEPROVISIONING"
    STOPPED = "STOPPED"


class AttachmentStatus(StrEnum):
    """The task ENI attachment's status, as far as the sandbox moves it."""

    ATTACHED = "ATTACHED"
    DETACHING = "DETACHING"
    DELETED = "DELETED"


ACTIVE_PHASES = frozenset({TaskPhase.PROVISIONING, TaskPhase.PENDING, TaskPhase.ACTIVATING, TaskPhase.RUNNING})
# DescribeClusters' pendingTasksCount: tasks on their way to RUNNING.
PENDING_PHASES = frozenset({TaskPhase.PROVISIONING, TaskPhase.PENDING, TaskPhase.ACTIVATING})


class _WithoutAwsvpc:
    """A task definition as moto's Task.__init__ sees it when the sandbox
    attaches the task's network interface itself (see SandboxTask)."""

    network_mode = None

    def __init__(self, task_definition: Any) -> None:
        self._task_definition = task_definition

    def __getattr__(self, name: str) -> Any:
        return getattr(self._task_definition, name)


class SandboxTask(Task):
    def __init__(
        self,
        cluster: Any,
        task_definition: Any,
        *args: Any,
        networking_configuration: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        # moto's Task reads the ENI's private DNS name, which moto sets only in
        # VPCs with DNS hostnames on; the sandbox attaches the ENI itself so a
        # task runs in any VPC, as on AWS. The backend has checked the awsvpc
        # configuration before it gets here.
        awsvpc = task_definition.network_mode == "awsvpc" and networking_configuration is not None
        seen_by_moto = _WithoutAwsvpc(task_definition) if awsvpc else task_definition
        super().__init__(cluster, seen_by_moto, *args, networking_configuration=networking_configuration, **kwargs)
        if awsvpc:
            assert networking_configuration is not None
            self.network_configuration = networking_configuration
            self.attachments.append(self._network_interface(networking_configuration["awsvpcConfiguration"]))
        # ECS task ids are 32 hex digits; log stream names end with them.
        self.id = uuid.uuid4().hex
        self.family = task_definition.family
        self.container_definitions = task_definition.container_definitions
        self.cpu = task_definition.cpu
        self.memory = task_definition.memory
        self.launch_type = self.launch_type or "FARGATE"
        self.platform_version = self.platform_version or "1.4.0"
        self.platform_family = "Linux"
        self.availability_zone = f"{self.region_name}a"
        self.connectivity = None
        self.health_status = "UNKNOWN"
        # Members ECS returns for every Fargate task (platform 1.4.0).
        self.ephemeral_storage = task_definition.ephemeral_storage or {"sizeInGiB": 20}
        self.enable_execute_command = False
        self.attributes = [{"name": "ecs.cpu-architecture", "value": "x86_64"}]
        self.version = 1
        self.stop_code = None
        self.stopped_reason = None  # moto's "" would show on running tasks
        self.containers = [self._container(d) for d in task_definition.container_definitions]
        self.service_name: str | None = None
        self.deployment_id: str | None = None
        self.plan: TaskPlan | None = None
        self.failed = False  # stopped on its own, as the circuit breaker counts
        self.failure_counted = False
        self.reached_running = False  # the service throttle ignores tasks that ran
        self._phase = TaskPhase.PROVISIONING
        self._next_at: float | None = None
        self._healthy_at: float | None = None
        self._clock: Clock | None = None
        self._local: LocalCommand | None = None
        self._processes: dict[str, LocalProcess] = {}
        self._logs: dict[str, AwslogsTarget] = {}
        # StopTask is asynchronous: the stop takes effect on the next tick,
        # and containers stop (with these exit codes) when STOPPING ends.
        self._stop_request: tuple[str, str] | None = None
        self._exit_codes_on_stop: dict[str, int] | None = None
        self._running_since: float | None = None
        self._health: dict[str, HealthSchedule] = {}  # containers with a healthCheck

    def _network_interface(self, awsvpc: dict[str, Any]) -> dict[str, Any]:
        subnet = awsvpc["subnets"][0]
        eni = ec2_backends[self._account_id][self.region_name].create_network_interface(
            subnet=subnet,
            private_ip_address=random_private_ip(),
            group_ids=awsvpc.get("securityGroups", []),
            description="sandbox ECS task",
        )
        eni.status = "in-use"
        eni.device_index = 0
        details = {
            "subnetId": subnet,
            "networkInterfaceId": eni.id,
            "macAddress": eni.mac_address,
            "privateDnsName": getattr(eni, "private_dns_name", None),
            "privateIPv4Address": eni.private_ip_address,
        }
        return {
            "id": str(uuid.uuid4()),
            "type": "ElasticNetworkInterface",
            "status": AttachmentStatus.ATTACHED,
            "details": [{"name": name, "value": value} for name, value in details.items()],
        }

    def _container(self, definition: dict[str, Any]) -> dict[str, Any]:
        return {
            "containerArn": f"arn:aws:ecs:{self.region_name}:{self._account_id}:container/"
            f"{self.cluster_name}/{uuid.uuid4()}",
            "taskArn": "",
            "name": definition.get("name"),
            "image": definition.get("image"),
            "lastStatus": TaskPhase.PENDING,
            "networkInterfaces": self._network_interfaces(),
            "healthStatus": "UNKNOWN",
            "networkBindings": [],
            "cpu": str(definition.get("cpu", 0)),
            "memory": str(definition["memory"]) if definition.get("memory") else None,
        }

    def _network_interfaces(self) -> list[dict[str, str]]:
        interfaces = []
        for attachment in self.attachments:
            details = {d["name"]: d["value"] for d in attachment.get("details", [])}
            interfaces.append(
                {"attachmentId": attachment["id"], "privateIpv4Address": details.get("privateIPv4Address")}
            )
        return interfaces

    # moto reads and writes `last_status`; the phase is ours alone.
    @property
    def last_status(self) -> TaskPhase:
        return self._phase

    @last_status.setter
    def last_status(self, value: str) -> None:
        # moto writes plain strings here; only its "STOPPED" means anything to the lifecycle.
        if value == TaskPhase.STOPPED:
            self._phase = TaskPhase.STOPPED

    def start(self, plan: TaskPlan, clock: Clock, local: LocalCommand | None, now: float) -> None:
        self.plan = plan
        self._clock = clock
        self._local = local
        self.created_at = as_datetime(now)
        for container in self.containers:
            container["taskArn"] = self.task_arn
        self._next_at = clock.after(now, plan.provision_seconds)

    @property
    def exits_by_itself(self) -> bool:
        assert self.plan is not None
        return self.plan.outcome is Outcome.CRASH or self.service_name is None

    @property
    def is_active(self) -> bool:
        return self.desired_status == TaskPhase.RUNNING and self._phase in ACTIVE_PHASES

    def is_healthy(self, now: float) -> bool:
        """The scheduler trusts the task: its container health checks pass,
        or (without any) it has been RUNNING for healthySeconds."""
        running = self.is_active and self._phase is TaskPhase.RUNNING
        if self._health:
            return running and self.health_status == HealthStatus.HEALTHY
        return running and self._healthy_at is not None and now >= self._healthy_at

    def running_for(self, now: float) -> float:
        """AWS seconds since the task reached RUNNING (0 before)."""
        if self._running_since is None or self._clock is None:
            return 0.0
        return max(now - self._running_since, 0.0) / self._clock.time_scale

    def _refresh_health(self, now: float) -> None:
        if not self._health or self._phase is not TaskPhase.RUNNING:
            return
        elapsed = self.running_for(now)
        essential = []
        for container, definition in zip(self.containers, self.container_definitions):
            schedule = self._health.get(container["name"])
            if schedule is None:
                continue
            container["healthStatus"] = schedule.status(elapsed)
            if definition.get("essential", True):
                essential.append(container["healthStatus"])
        self.health_status = task_health(essential)

    def tick(self, now: float) -> None:
        """Apply every transition due by `now`, each at its own scheduled time."""
        if self.plan is None:
            return
        self._collect_local_output(now)
        while self._next_at is not None and self._next_at <= now:
            self._advance(self._next_at)
        self._refresh_health(now)

    def _advance(self, at: float) -> None:
        assert self.plan is not None and self._clock is not None
        self.version += 1
        phase = self._phase
        if self._stop_request is not None and phase in ACTIVE_PHASES:
            if phase is TaskPhase.RUNNING and self.plan.deactivating_seconds > 0:
                self._phase = TaskPhase.DEACTIVATING
                self._next_at = self._clock.after(at, self.plan.deactivating_seconds)
            else:
                self._stop_requested(at, *self._stop_request)
        elif phase is TaskPhase.DEACTIVATING and self._stop_request is not None:
            self._stop_requested(at, *self._stop_request)
        elif phase is TaskPhase.PROVISIONING:
            self._phase = TaskPhase.PENDING
            self.pull_started_at = as_datetime(at)
            never = self.plan.outcome is Outcome.NEVER_STARTS
            self._next_at = None if never else self._clock.after(at, self.plan.pending_seconds)
        elif phase is TaskPhase.PENDING:
            self.pull_stopped_at = as_datetime(at)
            if self.plan.activating_seconds > 0:
                self._phase = TaskPhase.ACTIVATING
                self._next_at = self._clock.after(at, self.plan.activating_seconds)
            else:
                self._begin_running(at)
        elif phase is TaskPhase.ACTIVATING:
            self._begin_running(at)
        elif phase is TaskPhase.RUNNING:
            self._essential_exit(at, {c["name"]: self.plan.exit_code_for(c["name"]) for c in self.containers})
        elif phase is TaskPhase.STOPPING:
            self._phase = TaskPhase.DEPROVISIONING
            if self._exit_codes_on_stop is not None:
                self._containers_stopped(at, self._exit_codes_on_stop)
            self._set_attachment_status(AttachmentStatus.DETACHING)
            self._next_at = self._clock.after(at, self.plan.stopping_seconds / 2)
        elif phase is TaskPhase.DEPROVISIONING:
            self._phase = TaskPhase.STOPPED
            self.stopped_at = as_datetime(at)
            self._set_attachment_status(AttachmentStatus.DELETED)
            self._next_at = None

    def _set_attachment_status(self, status: AttachmentStatus) -> None:
        for attachment in self.attachments:
            attachment["status"] = status

    def _begin_running(self, at: float) -> None:
        assert self.plan is not None and self._clock is not None
        for definition in self.container_definitions:
            target = AwslogsTarget.for_container(definition, self.id, self._account_id, self.region_name)
            if target is None:
                continue
            if not target.open():
                self.failed = True
                self._stop(at, "TaskFailedToStart", MISSING_GROUP_REASON, exit_codes=None)
                return
            self._logs[definition["name"]] = target
        self._phase = TaskPhase.RUNNING
        self.reached_running = True
        self._running_since = at
        for definition in self.container_definitions:
            if definition.get("healthCheck"):
                self._health[definition["name"]] = schedule_for(
                    definition["healthCheck"], self.plan.unhealthy_after_seconds
                )
        self._healthy_at = self._clock.after(at, self.plan.healthy_seconds)
        self.started_at = as_datetime(at)
        self.connectivity = "CONNECTED"
        self.connectivity_at = as_datetime(at)
        for container in self.containers:
            container["lastStatus"] = TaskPhase.RUNNING
            container["runtimeId"] = f"{self.id}-{uuid.uuid4().int % 10**10:010d}"
            container["imageDigest"] = f"sha256:{uuid.uuid5(uuid.NAMESPACE_URL, container['image'] or '').hex * 2}"
        if self._local is not None:
            self._start_local_processes()
            self._next_at = None
            return
        for target in self._logs.values():
            target.write(list(self.plan.logs), at)
        exits = self.exits_by_itself
        self._next_at = self._clock.after(at, self.plan.run_seconds) if exits else None

    def _start_local_processes(self) -> None:
        assert self._local is not None
        overrides = {o.get("name"): o for o in (self.overrides or {}).get("containerOverrides") or []}
        for definition in self.container_definitions:
            override = overrides.get(definition["name"], {})
            self._processes[definition["name"]] = LocalProcess(
                container_argv(definition, override),
                container_env(definition, override),
                self._local.cwd,
                self._local.timeout_seconds,
            )

    def _collect_local_output(self, now: float) -> None:
        if not self._processes or self._phase is not TaskPhase.RUNNING:
            return
        for name, process in self._processes.items():
            finished = process.finished
            lines = process.take_lines()
            if process.error:
                lines.append(process.error)
            if name in self._logs:
                self._logs[name].write(lines, now)
            if finished and self._stop_request is None:
                codes = {}
                for other_name, other in self._processes.items():
                    if other is not process:
                        other.stop()
                    codes[other_name] = other.returncode if other.finished else 137
                self._essential_exit(now, codes)
                return

    def _essential_exit(self, at: float, exit_codes: dict[str, int]) -> None:
        # For a service every exit is a failed task; a one-off task is meant to end.
        self.failed = self.service_name is not None
        self._stop(at, "EssentialContainerExited", ESSENTIAL_EXITED, exit_codes)

    def request_stop(self, at: float, stop_code: str, reason: str) -> None:
        """Someone (a user or the service scheduler) stops the task. As on
        ECS the answer still shows the task as it was, desiredStatus
        STOPPED; the task moves to STOPPING on the next tick."""
        if self._phase in ACTIVE_PHASES and self._stop_request is None:
            for process in self._processes.values():
                process.stop()
            self.stop_code = stop_code
            self.stopped_reason = reason
            self._stop_request = (stop_code, reason)
            self._next_at = at
        self.desired_status = TaskPhase.STOPPED

    def _stop_requested(self, at: float, stop_code: str, reason: str) -> None:
        # Containers get SIGTERM now and have exited (0) once STOPPING ends.
        running = {c["name"]: 0 for c in self.containers if c["lastStatus"] is TaskPhase.RUNNING}
        self._stop(at, stop_code, reason, running, containers_exited=False)

    def _stop(
        self,
        at: float,
        stop_code: str,
        reason: str,
        exit_codes: dict[str, int] | None,
        containers_exited: bool = True,
    ) -> None:
        assert self._clock is not None and self.plan is not None
        self.desired_status = TaskPhase.STOPPED
        self.stop_code = stop_code
        self.stopped_reason = reason
        self.stopping_at = as_datetime(at)
        if containers_exited:
            self._containers_stopped(at, exit_codes or {})
        else:
            self._exit_codes_on_stop = exit_codes or {}
        self._phase = TaskPhase.STOPPING
        self._next_at = self._clock.after(at, self.plan.stopping_seconds / 2)

    def _containers_stopped(self, at: float, exit_codes: dict[str, int]) -> None:
        self.execution_stopped_at = as_datetime(at)
        for container in self.containers:
            container["lastStatus"] = TaskPhase.STOPPED
            if container["name"] in exit_codes:
                container["exitCode"] = exit_codes[container["name"]]
