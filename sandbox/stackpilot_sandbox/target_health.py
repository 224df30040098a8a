"""Target groups of ECS services, as ECS and Elastic Load Balancing run them.

ECS registers each RUNNING task of a service that has `loadBalancers` in
their target groups (target: the task's private IP and the container port).
A new target is `initial` until it has passed HealthyThresholdCount health
checks HealthCheckIntervalSeconds apart (AWS seconds, on the sandbox's
clock), then `healthy`; the scheduler counts the task as healthy only then,
so a deployment completes only once its tasks' targets are healthy. When the
task leaves RUNNING, ECS deregisters it: `draining` for the group's
deregistration delay, then gone. Health checks always pass: the scenario's
crashes and container health checks are how tasks fail here.

moto keeps the target groups and the registrations (its DescribeTargetHealth
calls every registered target healthy); this book keeps the timing, and
elbv2_responses.py lays it over moto's answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from moto.elbv2.exceptions import InvalidTargetError, TargetGroupNotFoundError
from moto.elbv2.models import ELBv2Backend, FakeTargetGroup, elbv2_backends

from .clock import Clock
from .tasks import SandboxTask, TaskPhase

DEFAULT_DEREGISTRATION_DELAY = 300.0


class TargetState(StrEnum):
    INITIAL = "initial"
    HEALTHY = "healthy"
    DRAINING = "draining"


# (Reason, Description) as Elastic Load Balancing words them.
REASONS = {
    TargetState.INITIAL: ("Elb.RegistrationInProgress", "Target registration is in progress"),
    TargetState.DRAINING: ("Target.DeregistrationInProgress", "Target deregistration is in progress"),
}


@dataclass
class Registration:
    task: SandboxTask
    port: int
    draining_until: float | None = None  # set once deregistered


def task_ip(task: SandboxTask) -> str | None:
    for attachment in task.attachments:
        for detail in attachment.get("details", []):
            if detail["name"] == "privateIPv4Address":
                return detail["value"]
    return None


def _seconds(value: Any, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


class TargetHealthBook:
    """The targets ECS registered in one account and region, by target group ARN and target id."""

    def __init__(self, account_id: str, region_name: str, clock: Clock) -> None:
        self.account_id = account_id
        self.region_name = region_name
        self.clock = clock
        self.registrations: dict[tuple[str, str], Registration] = {}

    def _elbv2(self) -> ELBv2Backend:
        return elbv2_backends[self.account_id][self.region_name]

    def _group(self, arn: str) -> FakeTargetGroup | None:
        return self._elbv2().target_groups.get(arn)

    @staticmethod
    def target_groups(service: Any) -> list[tuple[str, int]]:
        """(target group ARN, container port) of each of the service's load balancers."""
        return [
            (lb["targetGroupArn"], int(lb.get("containerPort") or 0))
            for lb in getattr(service, "load_balancers", None) or []
            if lb.get("targetGroupArn")
        ]

    def healthy_after(self, arn: str) -> float:
        """AWS seconds from registration until a target is healthy."""
        group = self._group(arn)
        if group is None:
            return 0.0
        return _seconds(group.health_check_interval_seconds, 30.0) * _seconds(group.healthy_threshold_count, 5.0)

    def sync(self, service: Any, tasks: list[SandboxTask], now: float) -> None:
        """Register the service's RUNNING tasks, deregister those that left RUNNING."""
        groups = self.target_groups(service)
        for task in tasks:
            ip = task_ip(task)
            if ip is None:
                continue
            serving = task.is_active and task.last_status is TaskPhase.RUNNING
            for arn, port in groups:
                key = (arn, ip)
                registration = self.registrations.get(key)
                if serving and registration is None:
                    self._register(arn, ip, port, task)
                elif not serving and registration is not None and registration.task is task:
                    self._deregister(arn, ip, registration, now)
        for key, registration in list(self.registrations.items()):
            if registration.draining_until is not None and now >= registration.draining_until:
                del self.registrations[key]

    def _register(self, arn: str, ip: str, port: int, task: SandboxTask) -> None:
        try:
            self._elbv2().register_targets(arn, [{"Id": ip, "Port": port}])
        except TargetGroupNotFoundError:
            return  # ECS writes a service event and retries; the sandbox just serves without it
        self.registrations[(arn, ip)] = Registration(task, port)

    def _deregister(self, arn: str, ip: str, registration: Registration, now: float) -> None:
        if registration.draining_until is not None:
            return
        try:
            self._elbv2().deregister_targets(arn, [{"Id": ip}])
        except (InvalidTargetError, TargetGroupNotFoundError):
            pass  # deregistered by hand already
        group = self._group(arn)
        delay = _seconds(group.attributes.get("deregistration_delay.timeout_seconds") if group else None,
                         DEFAULT_DEREGISTRATION_DELAY)
        registration.draining_until = self.clock.after(now, delay)

    def state(self, arn: str, target_id: str, now: float) -> TargetState | None:
        registration = self.registrations.get((arn, target_id))
        if registration is None:
            return None
        if registration.draining_until is not None:
            return TargetState.DRAINING
        if registration.task.running_for(now) >= self.healthy_after(arn):
            return TargetState.HEALTHY
        return TargetState.INITIAL

    def task_healthy(self, service: Any, task: SandboxTask, now: float) -> bool:
        """Healthy in every target group of the service (true without any;
        a group that does not exist holds nothing up)."""
        ip = task_ip(task)
        return all(
            self.state(arn, ip or "", now) is TargetState.HEALTHY
            for arn, _ in self.target_groups(service)
            if self._group(arn) is not None
        )

    def draining(self, arn: str) -> list[tuple[str, int]]:
        """(target id, port) of the group's targets that are draining."""
        return [
            (ip, registration.port)
            for (group, ip), registration in self.registrations.items()
            if group == arn and registration.draining_until is not None
        ]
