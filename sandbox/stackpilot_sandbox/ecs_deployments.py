"""Rolling deployments of one ECS service, as the ECS scheduler runs them.

moto keeps one deployment per service and swaps its task definition in
place. Here every UpdateService that changes the task definition (or forces
it) starts a new PRIMARY deployment; older ones turn ACTIVE and drain within
minimumHealthyPercent/maximumPercent; failed tasks are counted, the deployment
circuit breaker trips at the documented threshold and may roll back to the
last COMPLETED task definition; service events are written newest first.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .clock import Clock, as_datetime
from .health import HealthStatus
from .target_health import TargetHealthBook
from .tasks import SandboxTask, TaskPhase

DEFAULT_DEPLOYMENT_CONFIGURATION: dict[str, Any] = {
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
}
MAX_EVENTS = 100
# ECS slows relaunching after tasks that failed to start ("service
# throttle"); tasks that reached RUNNING and exited later don't start it.
# AWS seconds, doubled per consecutive failure to start, up to the cap.
RESTART_BACKOFF_SECONDS = 10.0
RESTART_BACKOFF_CAP_SECONDS = 300.0
UNABLE_TO_PLACE_EVENT_SECONDS = 60.0
UNHEALTHY_REASON = "Task failed container health checks"
THROTTLED_EVENT = (
    "is unable to consistently start tasks successfully. For more information, "
    "see the Troubleshooting section of the Amazon ECS Developer Guide."
)

# Given (service, deployment, now): a started task, or the placement failure reason.
Launcher = Callable[[Any, "Deployment", float], "SandboxTask | str"]


def circuit_breaker_threshold(desired_count: int) -> int:
    """AWS: 0.5 × desired count, at least 3 and at most 200 failed tasks."""
    return min(max(math.ceil(0.5 * desired_count), 3), 200)


def new_deployment_id() -> str:
    return f"ecs-svc/{random.randint(10**18, 10**19 - 1)}"


@dataclass
class Deployment:
    """Serialised by moto from these attribute names (camelCase on the wire)."""

    id: str
    task_definition: str
    desired_count: int
    created_at: datetime
    updated_at: datetime
    launch_type: str | None = "FARGATE"
    platform_version: str | None = "1.4.0"
    platform_family: str = "Linux"
    network_configuration: dict[str, Any] | None = None
    status: str = "PRIMARY"
    rollout_state: str = "IN_PROGRESS"
    rollout_state_reason: str = ""
    running_count: int = 0
    pending_count: int = 0
    failed_tasks: int = 0
    consecutive_failures: int = field(default=0, repr=False)
    # History for ListServiceDeployments/DescribeServiceDeployments.
    finished_at: datetime | None = field(default=None, repr=False)
    sources: list[Deployment] = field(default_factory=list, repr=False)
    rollback: Deployment | None = field(default=None, repr=False)
    rollback_for: Deployment | None = field(default=None, repr=False)


class ServiceRollout:
    """The scheduler of one service; `tick` moves it to the present."""

    def __init__(self, service: Any, launcher: Launcher, clock: Clock, targets: TargetHealthBook) -> None:
        self.service = service
        self.launch = launcher
        self.clock = clock
        self.targets = targets  # the load balancers' view of the tasks
        self.tasks: list[SandboxTask] = []
        self.history: list[Deployment] = []  # every deployment ever started, newest first
        self.steady = False
        self.last_completed: Deployment | None = None
        self._next_launch_at = 0.0
        self._last_unable_event_at: float | None = None
        self._throttled = False  # the throttle event is written once per episode

    # --- configuration -------------------------------------------------

    @property
    def config(self) -> dict[str, Any]:
        merged = dict(DEFAULT_DEPLOYMENT_CONFIGURATION)
        merged.update(getattr(self.service, "deployment_configuration", None) or {})
        return merged

    @property
    def primary(self) -> Deployment:
        return self.service.deployments[0]

    # --- API-driven changes ----------------------------------------------

    def start_deployment(self, task_definition: str, now: float, reason: str = "") -> Deployment:
        for older in self.service.deployments:
            older.status = "ACTIVE"
            older.updated_at = as_datetime(now)
            if older.rollout_state == "IN_PROGRESS" and older.finished_at is None:
                older.finished_at = older.updated_at  # superseded
        deployment_id = new_deployment_id()
        deployment = Deployment(
            id=deployment_id,
            task_definition=task_definition,
            desired_count=self.service.desired_count,
            created_at=as_datetime(now),
            updated_at=as_datetime(now),
            launch_type=self.service.launch_type,
            platform_version=(
                "1.4.0" if self.service.platform_version in (None, "LATEST") else self.service.platform_version
            ),
            network_configuration=self.service.network_configuration or None,
            rollout_state_reason=reason or f"ECS deployment {deployment_id} in progress.",
            sources=list(self.service.deployments),
        )
        self.service.deployments.insert(0, deployment)
        self.history.insert(0, deployment)
        self.service.task_definition = task_definition
        self.steady = False
        self._next_launch_at = now
        return deployment

    def set_desired_count(self, desired: int, now: float) -> None:
        self.service.desired_count = desired
        self.primary.desired_count = desired
        self.primary.updated_at = as_datetime(now)

    def stop_all(self, now: float) -> None:
        """DeleteService --force: every task goes."""
        for task in self.tasks:
            if task.is_active:
                task.request_stop(now, "ServiceSchedulerInitiated", "Service deleted")

    # --- the scheduler loop ------------------------------------------------

    def tick(self, now: float) -> None:
        # Tasks of a deleted service still have to finish stopping.
        for task in self.tasks:
            task.tick(now)
        if self.targets.target_groups(self.service):
            self.targets.sync(self.service, self.tasks, now)
        if not self.service.deployments or self.service.status != "ACTIVE":
            return
        self._replace_unhealthy(now)
        self._count_failures(now)
        self._check_circuit_breaker(now)
        if self.primary.rollout_state != "FAILED":
            self._launch(now)
        self._drain(now)
        self._scale_down(now)
        self._retire_drained(now)
        self._refresh_counts()
        self._check_completed(now)

    def _tasks_of(self, deployment: Deployment) -> list[SandboxTask]:
        return [t for t in self.tasks if t.deployment_id == deployment.id]

    def _active(self, deployment: Deployment) -> list[SandboxTask]:
        return [t for t in self._tasks_of(deployment) if t.is_active]

    def _count_failures(self, now: float) -> None:
        by_id = {d.id: d for d in self.service.deployments}
        for task in self.tasks:
            if not task.failed or task.failure_counted:
                continue
            task.failure_counted = True
            deployment = by_id.get(task.deployment_id or "")
            if deployment is None:
                continue
            deployment.failed_tasks += 1
            deployment.updated_at = as_datetime(now)
            if task.reached_running:
                continue
            deployment.consecutive_failures += 1
            if not self._throttled:
                self._throttled = True
                self.event(now, THROTTLED_EVENT)
            backoff = min(
                RESTART_BACKOFF_SECONDS * 2 ** (deployment.consecutive_failures - 1),
                RESTART_BACKOFF_CAP_SECONDS,
            )
            self._next_launch_at = max(self._next_launch_at, self.clock.after(now, backoff))

    def _replace_unhealthy(self, now: float) -> None:
        """An essential container failed its health check: the scheduler stops
        the task (after the service's grace period) and counts it as failed."""
        grace = float(getattr(self.service, "health_check_grace_period_seconds", None) or 0)
        for task in self.tasks:
            if task.is_active and task.health_status == HealthStatus.UNHEALTHY and task.running_for(now) >= grace:
                task.failed = True
                self.event(now, f"(task {task.id}) failed container health checks.")
                self._stop(now, [task], UNHEALTHY_REASON)

    def _check_circuit_breaker(self, now: float) -> None:
        breaker = self.config.get("deploymentCircuitBreaker") or {}
        primary = self.primary
        if not breaker.get("enable") or primary.rollout_state != "IN_PROGRESS":
            return
        if primary.failed_tasks < circuit_breaker_threshold(self.service.desired_count):
            return
        primary.rollout_state = "FAILED"
        primary.rollout_state_reason = "ECS deployment circuit breaker: tasks failed to start."
        primary.updated_at = as_datetime(now)
        self.event(now, f"(deployment {primary.id}) deployment failed: tasks failed to start.")
        target = self.last_completed
        if breaker.get("rollback") and target is not None:
            rollback = self.start_deployment(
                target.task_definition,
                now,
                f"ECS deployment circuit breaker: rolling back to deploymentId {target.id}.",
            )
            self.event(now, f"rolling back to deployment {target.id}.")
            rollback.rollback_for, primary.rollback = primary, rollback
        else:
            primary.finished_at = as_datetime(now)

    def _launch(self, now: float) -> None:
        if now < self._next_launch_at:
            return
        desired = self.service.desired_count
        primary = self.primary
        need = desired - len(self._active(primary))
        ceiling = math.floor(desired * self.config["maximumPercent"] / 100)
        everyone = sum(len(self._active(d)) for d in self.service.deployments)
        count = min(need, max(ceiling - everyone, 0))
        started = []
        for _ in range(max(count, 0)):
            outcome = self.launch(self.service, primary, now)
            if isinstance(outcome, str):
                self._unable_to_place(now, outcome)
                break
            outcome.service_name = self.service.name
            outcome.deployment_id = primary.id
            self.tasks.append(outcome)
            started.append(outcome)
        if started:
            ids = " ".join(f"(task {t.id})" for t in started)
            self.event(now, f"has started {len(started)} tasks: {ids}.")

    def _unable_to_place(self, now: float, reason: str) -> None:
        spacing = self.clock.real_seconds(UNABLE_TO_PLACE_EVENT_SECONDS)
        if self._last_unable_event_at is None or now - self._last_unable_event_at >= spacing:
            self._last_unable_event_at = now
            self.event(now, f"was unable to place a task. Reason: {reason}.")
        self._next_launch_at = self.clock.after(now, RESTART_BACKOFF_SECONDS)

    def _drain(self, now: float) -> None:
        """Stop old deployments' tasks without dropping below minimumHealthyPercent.

        Old tasks that are RUNNING serve traffic; new ones count only once
        healthy, so a crashing image never pushes the old tasks out.
        """
        desired = self.service.desired_count
        floor = math.ceil(desired * self.config["minimumHealthyPercent"] / 100)
        primary_healthy = self._healthy(self._active(self.primary), now)
        old_deployments = self.service.deployments[1:]
        serving = primary_healthy + sum(_running(self._active(d)) for d in old_deployments)
        for old in old_deployments:
            stopped = []
            for task in self._active(old):
                if task.last_status is not TaskPhase.RUNNING:
                    stopped.append(task)
                elif primary_healthy >= desired or serving - 1 >= floor:
                    serving -= 1
                    stopped.append(task)
            if stopped:
                self._stop(now, stopped, f"Scaling activity initiated by (deployment {old.id})")

    def _scale_down(self, now: float) -> None:
        primary = self.primary
        active = self._active(primary)
        extra = len(active) - self.service.desired_count
        if extra <= 0:
            return
        # Pending tasks go first, as the scheduler prefers them.
        victims = sorted(active, key=lambda t: t.last_status is TaskPhase.RUNNING)[:extra]
        self._stop(now, victims, f"Scaling activity initiated by (deployment {primary.id})")

    def _stop(self, now: float, tasks: list[SandboxTask], reason: str) -> None:
        running = [t for t in tasks if t.last_status is TaskPhase.RUNNING]
        for task in tasks:
            task.request_stop(now, "ServiceSchedulerInitiated", reason)
        if running:
            ids = " ".join(f"(task {t.id})" for t in running)
            self.event(now, f"has stopped {len(running)} running tasks: {ids}.")

    def _retire_drained(self, now: float) -> None:
        keep = [self.primary]
        for old in self.service.deployments[1:]:
            if self._active(old):
                keep.append(old)
        self.service.deployments[:] = keep

    def _refresh_counts(self) -> None:
        for deployment in self.service.deployments:
            active = self._active(deployment)
            deployment.running_count = _running(active)
            deployment.pending_count = len(active) - deployment.running_count
        self.service.running_count = sum(d.running_count for d in self.service.deployments)
        self.service.pending_count = sum(d.pending_count for d in self.service.deployments)

    def _check_completed(self, now: float) -> None:
        primary = self.primary
        done = (
            len(self.service.deployments) == 1
            and self._healthy(self._active(primary), now) == self.service.desired_count
            and primary.pending_count == 0
        )
        if not done:
            self.steady = False
            return
        primary.consecutive_failures = 0
        self._throttled = False
        if primary.rollout_state == "IN_PROGRESS":
            primary.rollout_state = "COMPLETED"
            primary.rollout_state_reason = f"ECS deployment {primary.id} completed."
            primary.updated_at = primary.finished_at = as_datetime(now)
            if primary.rollback_for is not None:
                primary.rollback_for.finished_at = primary.finished_at
            self.last_completed = primary
            self.event(now, f"(deployment {primary.id}) deployment completed.")
        if not self.steady:
            self.steady = True
            self.event(now, "has reached a steady state.")

    def _healthy(self, tasks: list[SandboxTask], now: float) -> int:
        """Tasks the scheduler trusts: healthy themselves and, behind a load
        balancer, healthy in its target groups."""
        return sum(1 for t in tasks if t.is_healthy(now) and self.targets.task_healthy(self.service, t, now))

    def event(self, now: float, text: str) -> None:
        """ECS prefixes every service event with the service name; newest first."""
        self.service.events.insert(
            0,
            {
                "id": str(uuid.uuid4()),
                "createdAt": as_datetime(now),
                "message": f"(service {self.service.name}) {text}",
            },
        )
        del self.service.events[MAX_EVENTS:]


def _running(tasks: list[SandboxTask]) -> int:
    return sum(1 for t in tasks if t.last_status is TaskPhase.RUNNING)


