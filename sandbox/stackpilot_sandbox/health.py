"""Container health checks, as Docker runs them for ECS.

A container whose definition has a `healthCheck` is UNKNOWN until its first
check; checks run every `interval` seconds from the start; failures inside
`startPeriod` do not count; `retries` failures in a row make it UNHEALTHY.
Whether the command passes is the scenario's to say: `unhealthyAfterSeconds`
(AWS seconds after the container started; absent: it always passes, 0: it
never passes). A task's healthStatus sums up its essential containers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

# ECS's defaults for a healthCheck that leaves them out.
DEFAULT_INTERVAL = 30.0
DEFAULT_RETRIES = 3
DEFAULT_START_PERIOD = 0.0


class HealthStatus(StrEnum):
    HEALTHY = "HEALTHY"
    UNHEALTHY = "UNHEALTHY"
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True)
class HealthSchedule:
    """When (AWS seconds after start) a container turns HEALTHY and UNHEALTHY."""

    healthy_after: float | None
    unhealthy_after: float | None

    def status(self, elapsed: float) -> HealthStatus:
        if self.unhealthy_after is not None and elapsed >= self.unhealthy_after:
            return HealthStatus.UNHEALTHY
        if self.healthy_after is not None and elapsed >= self.healthy_after:
            return HealthStatus.HEALTHY
        return HealthStatus.UNKNOWN


def schedule_for(check: dict[str, Any], fails_from: float | None) -> HealthSchedule:
    """The schedule of a container whose check command fails from `fails_from`
    (AWS seconds after start; None: never)."""
    interval = float(check.get("interval") or DEFAULT_INTERVAL)
    retries = int(check.get("retries") or DEFAULT_RETRIES)
    start_period = float(check.get("startPeriod") or DEFAULT_START_PERIOD)
    passes_first = fails_from is None or fails_from > interval
    healthy_after = interval if passes_first else None
    if fails_from is None:
        return HealthSchedule(healthy_after, None)
    # Checks run at k × interval (k ≥ 1); the first one that fails and counts:
    first = max(1, math.ceil(max(fails_from, start_period) / interval))
    return HealthSchedule(healthy_after, (first + retries - 1) * interval)


def task_health(essential_checked: list[HealthStatus]) -> HealthStatus:
    """From the statuses of the essential containers that have a health
    check: UNHEALTHY if one is, HEALTHY if all are, otherwise UNKNOWN (as
    for a task without health checks)."""
    if not essential_checked:
        return HealthStatus.UNKNOWN
    if HealthStatus.UNHEALTHY in essential_checked:
        return HealthStatus.UNHEALTHY
    if all(status is HealthStatus.HEALTHY for status in essential_checked):
        return HealthStatus.HEALTHY
    return HealthStatus.UNKNOWN
